/**
 * A real capture with checksum offload: inside a network namespace this test creates, tcpdump
 * records connection attempts on loopback, where Linux leaves TCP checksums to "hardware", so the
 * captured field holds only the pseudo-header sum. The decoder must call those "partial", not
 * "bad". Scapy computes the pseudo-header sums independently; tshark 4.0 (no "partial") calls
 * the same frames bad, which shows they really are offloaded.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeFrame, getFieldValue } from '../../../shared/wire/decode';
import { runPython, runTshark, scapyAvailable, tempDir, tsharkAvailable } from './oracle/oracle';

const NAMESPACE = `hs-wire-offload-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
const canUseNamespaces = process.getuid?.() === 0 && spawnSync('ip', ['netns', 'list']).status === 0 && spawnSync('tcpdump', ['--version']).status === 0;
const ready = canUseNamespaces && scapyAvailable && tsharkAvailable;

function deleteNamespace(): void {
  spawnSync('ip', ['netns', 'del', NAMESPACE]);
}

afterAll(deleteNamespace);

/** Reads a classic little-endian pcap (what tcpdump -w writes) into its frames. */
function pcapFrames(file: string): Uint8Array[] {
  const data = readFileSync(file);
  const frames: Uint8Array[] = [];
  for (let offset = 24; offset + 16 <= data.length; ) {
    const captured = data.readUInt32LE(offset + 8);
    frames.push(new Uint8Array(data.subarray(offset + 16, offset + 16 + captured)));
    offset += 16 + captured;
  }
  return frames;
}

describe.skipIf(!ready)('checksum offload on a real capture', () => {
  it('reports the sender’s offloaded TCP checksums as partial', async () => {
    const file = path.join(tempDir('wire-offload-'), 'lo.pcap');
    try {
      expect(spawnSync('ip', ['netns', 'add', NAMESPACE]).status).toBe(0);
      expect(spawnSync('ip', ['netns', 'exec', NAMESPACE, 'ip', 'link', 'set', 'lo', 'up']).status).toBe(0);
      const capture = spawn('ip', ['netns', 'exec', NAMESPACE, 'tcpdump', '-i', 'lo', '-U', '-w', file, '-c', '4', 'tcp port 9'], { stdio: 'ignore' });
      const finished = new Promise<void>((resolve) => capture.on('exit', () => resolve()));
      for (let wait = 0; wait < 50 && !existsSync(file); wait++) await new Promise((resolve) => setTimeout(resolve, 100));
      // Nothing listens on port 9: each attempt is a SYN answered by RST+ACK, all on loopback.
      spawnSync('ip', ['netns', 'exec', NAMESPACE, '/usr/bin/python3', '-c', [
        'import socket',
        'for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):',
        '    s = socket.socket(family)',
        '    try: s.connect((host, 9))',
        '    except OSError: pass',
      ].join('\n')]);
      const timer = setTimeout(() => capture.kill(), 5000);
      await finished;
      clearTimeout(timer);
    } finally {
      deleteNamespace();
    }

    const frames = pcapFrames(file);
    expect(frames.length).toBeGreaterThanOrEqual(2);
    // Scapy: is each stored checksum exactly the folded pseudo-header sum?
    const pseudoOnly: boolean[] = JSON.parse(runPython(`
import json, sys, struct, socket
from scapy.all import rdpcap, IP, IPv6, TCP, raw
from scapy.utils import checksum
out = []
for p in rdpcap(sys.argv[1]):
    net = p[IP] if IP in p else p[IPv6]
    seg = raw(net[TCP])
    if IP in p:
        pseudo = socket.inet_aton(net.src) + socket.inet_aton(net.dst) + struct.pack("!HH", 6, len(seg))
    else:
        pseudo = socket.inet_pton(socket.AF_INET6, net.src) + socket.inet_pton(socket.AF_INET6, net.dst) + struct.pack("!IxxxB", len(seg), 6)
    out.append(p[TCP].chksum == (~checksum(pseudo)) & 0xffff)
print(json.dumps(out))
`, [file]));
    const tshark = runTshark(['-r', file, '-o', 'tcp.check_checksum:TRUE', '-T', 'fields', '-e', 'tcp.checksum.status']).trim().split('\n');
    expect(pseudoOnly.some(Boolean), 'the capture holds at least one offloaded checksum').toBe(true);
    frames.forEach((frame, index) => {
      const status = getFieldValue(decodeFrame(frame, 1), 'tcp.checksum.status');
      if (pseudoOnly[index]) {
        expect(status, `frame ${index + 1}`).toBe('partial');
        expect(tshark[index], 'tshark 4.0 calls it bad').toBe('0');
      } else {
        expect(status, `frame ${index + 1}`).toBe(tshark[index] === '1' ? 'good' : 'bad');
      }
    });
  });
});
