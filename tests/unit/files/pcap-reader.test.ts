// pcap reading against independent writers (Scapy, editcap, hand-packed big-endian
// files) with tshark as the oracle for timestamps and lengths.
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCAPY_PACKETS, haveScapy, haveWiresharkTools, python, readAll, run, seededRandom, tsharkFrames, withTempDir } from './tools';

const canRun = haveScapy && haveWiresharkTools;
const temp = withTempDir('files-pcap');
let packetHex: string[] = [];

/** Rewrites a little-endian pcap as big-endian, field by field, in Python (an independent construction). */
const TO_BIG_ENDIAN = `
import struct, sys
src = open(sys.argv[1], 'rb').read()
magic, vmaj, vmin, zone, sig, snap, link = struct.unpack('<IHHiIII', src[:24])
out = [struct.pack('>IHHiIII', magic, vmaj, vmin, zone, sig, snap, link)]
pos = 24
while pos < len(src):
    sec, frac, incl, orig = struct.unpack('<IIII', src[pos:pos + 16])
    out.append(struct.pack('>IIII', sec, frac, incl, orig) + src[pos + 16:pos + 16 + incl])
    pos += 16 + incl
open(sys.argv[2], 'wb').write(b''.join(out))
`;

beforeAll(() => {
  if (!canRun) return;
  packetHex = python(`${SCAPY_PACKETS}
import sys
wrpcap(sys.argv[1], pkts, nano=True)
for p in pkts: print(bytes(p).hex())
`, temp.file('scapy-ns.pcap')).trim().split('\n');
  run('editcap', ['-F', 'pcap', temp.file('scapy-ns.pcap'), temp.file('editcap-us.pcap')]);
  run('editcap', ['-F', 'nsecpcap', temp.file('editcap-us.pcap'), temp.file('editcap-ns-from-us.pcap')]);
  python(TO_BIG_ENDIAN, temp.file('scapy-ns.pcap'), temp.file('big-ns.pcap'));
  python(TO_BIG_ENDIAN, temp.file('editcap-us.pcap'), temp.file('big-us.pcap'));
});
afterAll(() => temp.cleanup());

describe.skipIf(!canRun)('pcap reader', () => {
  const variants = [
    ['Scapy nanosecond, little-endian', 'scapy-ns.pcap', 9, true],
    ['editcap microsecond, little-endian', 'editcap-us.pcap', 6, true],
    ['editcap nanosecond', 'editcap-ns-from-us.pcap', 9, true],
    ['hand-packed nanosecond, big-endian', 'big-ns.pcap', 9, false],
    ['hand-packed microsecond, big-endian', 'big-us.pcap', 6, false],
  ] as const;

  for (const [label, name, resolution, littleEndian] of variants) {
    it(`reads ${label} exactly as tshark does`, () => {
      const file = temp.file(name);
      const outcome = readAll(readFileSync(file));
      expect(outcome.damage).toBeUndefined();
      expect(outcome.sections).toMatchObject([{ format: 'pcap', littleEndian, versionMajor: 2, versionMinor: 4 }]);
      expect(outcome.interfaces).toMatchObject([{ id: 0, linkType: 1, tsResolution: resolution }]);
      const oracle = tsharkFrames(file);
      expect(outcome.frames.map((f) => [f.epoch, f.originalLength, f.capturedLength])).toEqual(oracle.map((t) => [t.epoch, t.len, t.capLen]));
      expect(outcome.frames.map((f) => f.hex)).toEqual(packetHex);
      expect(outcome.frames.every((f) => f.linkType === 1 && f.interfaceId === 0)).toBe(true);
    });
  }

  it('keeps nanoseconds that a float of epoch nanoseconds would lose', () => {
    const outcome = readAll(readFileSync(temp.file('scapy-ns.pcap')));
    // Scapy was given 1700000000.000000001 for the first frame.
    expect(outcome.frames[0].epoch).toBe('1700000000.000000001');
  });

  it('gives the same frames whatever the chunk sizes', () => {
    for (const name of ['scapy-ns.pcap', 'big-us.pcap']) {
      const bytes = readFileSync(temp.file(name));
      const whole = readAll(bytes);
      for (let seed = 1; seed <= 40; seed++) {
        const random = seededRandom(seed);
        const maxChunk = [1, 3, 17, 100, 4096][seed % 5];
        expect(readAll(bytes, () => 1 + Math.floor(random() * maxChunk)), `seed ${seed}`).toEqual(whole);
      }
    }
  });

  it('reports offsets at which each frame can be re-read', () => {
    const bytes = readFileSync(temp.file('editcap-us.pcap'));
    const outcome = readAll(bytes, () => 7);
    for (const frame of outcome.frames) {
      expect(Buffer.from(bytes.subarray(frame.dataOffset, frame.dataOffset + frame.capturedLength)).toString('hex')).toBe(frame.hex);
      expect(frame.dataOffset - frame.recordOffset).toBe(16);
    }
  });

  it('masks the FCS bits of the link-type field', () => {
    // LINKTYPE_ETHERNET with the "FCS length present" bit (26) and 2 words (4 bytes) of FCS.
    const bytes = new Uint8Array(readFileSync(temp.file('editcap-us.pcap')));
    new DataView(bytes.buffer).setUint32(20, 0x24000001, true);
    const file = temp.file('fcs.pcap');
    writeFileSync(file, bytes);
    const outcome = readAll(bytes);
    expect(outcome.damage).toBeUndefined();
    expect(outcome.interfaces[0]).toMatchObject({ linkType: 1, fcsLength: 4 });
    expect(outcome.frames).toHaveLength(tsharkFrames(file).length);
  });

  it('reads a pcap written by text2pcap with a non-Ethernet link type', () => {
    const dump = '000000 45 00 00 1c 00 01 00 00 40 11 00 00 c6 12 00 01 c6 12 00 02 13 88 13 89 00 08 00 00\n';
    const input = temp.file('raw.txt');
    writeFileSync(input, dump);
    run('text2pcap', ['-q', '-l', '101', '-t', '%s.', input, temp.file('raw.pcap')]);
    const outcome = readAll(readFileSync(temp.file('raw.pcap')));
    expect(outcome.damage).toBeUndefined();
    expect(outcome.interfaces[0].linkType).toBe(101);
    expect(outcome.frames.map((f) => f.hex)).toEqual([dump.slice(7).replace(/[ \n]/g, '')]);
  });
});
