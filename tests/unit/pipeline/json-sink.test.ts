/**
 * decode --json writes each frame's line while the decoder reads its fields (FrameJsonSink), with
 * no object per field. Oracle: the same frames through a pipeline that builds the full decode and
 * the cli.md object, serialized by JSON.stringify; every line must match byte for byte. The sink
 * must also really carry the common frames (Ethernet padding, TCP options, IPv6, VLAN, tunnels)
 * rather than handing them to the full decode.
 * Captures: Scapy-built frames over every tunnel and link type the decoder reads, IP fragments,
 * 300 random well-formed frames, SACK/TLS/DNS/HTTP, and short frames Ethernet pads to 60 bytes;
 * then 20,000 mutated frames (bit flips, cuts, random bytes, other link types) from a seeded generator.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCaptureFile } from '../../../electron/engine/capture-file';
import { FramePipeline, type PipelineFrame } from '../../../shared/pipeline/frame-pipeline';
import { toHex } from '../../../shared/wire/bytes';
import { SeededRandom } from '../wire/support/random';
import { baseFrames, mutate } from '../wire/support/mutated-frames';
import { CORPUS_SCRIPT, ENCAP_CORPUS_SCRIPT, runPython, runPythonFile, scapyAvailable, tempDir } from '../wire/oracle/oracle';

const PADDED = `
import sys
from scapy.all import Ether, Dot1Q, IP, IPv6, TCP, UDP, Raw, PcapWriter
out = PcapWriter(sys.argv[1] + "/padded.pcap", linktype=1, sync=True)
frames = [
    Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src="198.18.0.1", dst="198.18.0.2") / TCP(sport=1, dport=2, flags="A") / Raw(b"\\0" * 6),
    Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01") / IP(src="198.18.0.2", dst="198.18.0.1") / UDP(sport=7, dport=9) / b"x",
    Ether() / Dot1Q(vlan=5) / IP(src="198.18.0.1", dst="198.18.0.2") / TCP(sport=3, dport=4, flags="R"),
    Ether() / IPv6(src="2001:db8::1", dst="2001:db8::2") / TCP(sport=5, dport=6, flags="S", options=[("MSS", 1440), ("NOP", None), ("WScale", 7), ("SAckOK", b""), ("Timestamp", (5, 0))]),
]
for i, frame in enumerate(frames):
    raw = bytes(frame)
    raw = raw + b"\\0" * max(0, 60 - len(raw))
    packet = Ether(raw)
    packet.time = 1700000000 + i / 1000
    out.write(packet)
    # The same frame with a 4-byte trailer (an FCS), as some capture cards keep it.
    trailed = Ether(raw + b"\\xde\\xad\\xbe\\xef")
    trailed.time = 1700000000 + i / 1000 + 0.0005
    out.write(trailed)
out.close()
`;

const directory = scapyAvailable ? tempDir('json-sink-') : '';
if (scapyAvailable) {
  runPythonFile(path.join(__dirname, '..', '..', 'integration', 'cli', 'json-lines.py'), [directory]);
  runPythonFile(ENCAP_CORPUS_SCRIPT, [directory]);
  runPythonFile(path.join(__dirname, '..', 'reassembly', 'fragments.py'), [directory]);
  runPythonFile(CORPUS_SCRIPT, ['--random', '300', '23', directory]);
  runPython(PADDED, [directory]);
}
const files = scapyAvailable ? readdirSync(directory).filter((name) => /\.pcap(ng)?$/.test(name)).sort() : [];

async function bothWays(file: string): Promise<{ direct: string; object: string; frames: number; fallbacks: number }> {
  const sink = new FramePipeline();
  sink.jsonLines = true;
  sink.withColumns = false;
  const object = new FramePipeline();
  object.withColumns = false;
  const decoder = new TextDecoder();
  let direct = '';
  let expected = '';
  const result = await readCaptureFile(file, {
    onFrame(frame) {
      direct += decoder.decode(sink.process(frame).json!);
      expected += `${JSON.stringify(object.process(frame).fields)}\n`;
    },
  });
  return { direct, object: expected, frames: result.frames, fallbacks: sink.jsonFallbacks };
}

describe.skipIf(!scapyAvailable)('decode --json lines written while decoding (skipped: needs python3-scapy)', () => {
  it('has a varied set of captures', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  it.each(files)('%s: byte for byte JSON.stringify of the full decode', async (name) => {
    const { direct, object, frames, fallbacks } = await bothWays(path.join(directory, name));
    expect(frames).toBeGreaterThan(0);
    expect(direct).toBe(object);
  });

  it('padded and trailed Ethernet, VLAN, IPv6 options, VXLAN and plain TCP/UDP frames need no full decode', async () => {
    for (const name of ['padded.pcap', 'vxlan.pcap', 'qinq.pcap', 'gre.pcap', 'mpls.pcap', 'v6-tcp.pcap', 'v4-udp.pcap', 'wlan.pcap']) {
      if (!files.includes(name)) throw new Error(`${name} was not built`);
      const { frames, fallbacks, direct } = await bothWays(path.join(directory, name));
      expect(frames, name).toBeGreaterThan(0);
      expect(fallbacks, name).toBe(0);
      if (name === 'padded.pcap') {
        expect(direct).toContain('"eth.padding":"00:00');
        expect(direct).toContain('"eth.fcs":');
      }
    }
  });
});


describe('decode --json lines of mutated frames', () => {
  it('20,000 mutated frames: the sink writes what JSON.stringify of the full decode gives, frame by frame', () => {
    const random = new SeededRandom(0x5eed);
    const bases = baseFrames(random, 200, 40);
    const sink = new FramePipeline();
    sink.jsonLines = true;
    sink.withColumns = false;
    const object = new FramePipeline();
    object.withColumns = false;
    const decoder = new TextDecoder();
    for (let i = 0; i < 20_000; i++) {
      const { bytes, linkType } = mutate(random, random.pick(bases));
      const frame: PipelineFrame = { frameNumber: i + 1, linkType, tsSeconds: 1700000000 + (i >> 10), tsNanos: (i * 7919) % 1e9, originalLength: bytes.length + (i % 50 === 0 ? 100 : 0), data: bytes };
      const direct = decoder.decode(sink.process(frame).json!);
      const expected = `${JSON.stringify(object.process(frame).fields)}\n`;
      if (direct !== expected) expect(direct, `frame ${i + 1} (link type ${linkType}): ${toHex(bytes)}`).toBe(expected);
    }
    // Most of them went through the sink, not the full decode.
    expect(sink.jsonFallbacks).toBeLessThan(4000);
  });
});
