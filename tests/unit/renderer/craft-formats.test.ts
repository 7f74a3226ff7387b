/**
 * Crafted frames leaving the editor (hex dump, Scapy expression, pcap) and "craft reply",
 * checked against Scapy, text2pcap and tshark on frames Scapy built.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../../shared/craft';
import { fromHex } from '../../../shared/wire/bytes';
import { decodeFrame, getField } from '../../../shared/wire/decode';
import { hexDump, pcapBytes, scapyExpression } from '../../../renderer/src/lib/export-formats';
import { craftReply } from '../../../renderer/src/lib/reply';

const SYSTEM_PYTHON = '/usr/bin/python3';
const haveScapy = spawnSync(SYSTEM_PYTHON, ['-c', 'import scapy.all']).status === 0;
const haveTools = spawnSync('text2pcap', ['-v']).status === 0 && spawnSync('tshark', ['-v']).status === 0;
const dir = mkdtempSync(path.join(os.tmpdir(), 'hs-craft-formats-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function python(script: string): string {
  const result = spawnSync(SYSTEM_PYTHON, ['-c', `from scapy.all import *\nimport sys\n${script}`], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  return result.stdout.trim();
}

/** Scapy-built frames covering the editor's layers, options, a bad checksum and a payload. */
const SCAPY_FRAMES = [
  `Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IP(src="198.18.0.1", dst="198.18.0.2", ttl=61, id=7, flags="DF")/TCP(sport=40000, dport=443, flags="S", seq=1000, options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1, 0)), ("NOP", None), ("WScale", 7)])`,
  `Ether()/IP(src="198.18.0.2", dst="198.18.0.1")/TCP(sport=443, dport=40000, flags="PA", seq=5001, ack=1001, chksum=0x1234)/Raw(b"hello world")`,
  `Ether()/IP(src="198.18.0.1", dst="198.18.0.2")/TCP(sport=1, dport=2, flags="A", options=[("SAck", (100, 200, 300, 400)), ("NOP", None), ("NOP", None)])`,
  `Ether()/IPv6(src="2001:db8::1", dst="2001:db8::2", hlim=9)/TCP(sport=41000, dport=22, flags="S", seq=42)`,
  `Ether()/IP(src="198.18.0.9", dst="198.18.0.53")/UDP(sport=5353, dport=53)/Raw(b"\\x12\\x34")`,
];

describe.skipIf(!haveScapy)('Copy as Scapy', () => {
  it('Scapy rebuilds exactly the bytes of each frame from the expression', () => {
    const original = python(`for e in ${JSON.stringify(SCAPY_FRAMES)}:\n    print(bytes(eval(e)).hex())`).split('\n');
    const expressions = original.map((hex) => scapyExpression(decodeFrame(fromHex(hex), 1)));
    const rebuilt = python(`for e in sys.stdin.read().split("\\n"):\n    print(bytes(eval(e)).hex())`.replace('sys.stdin.read()', JSON.stringify(expressions.join('\n'))));
    expect(rebuilt.split('\n')).toEqual(original);
  });
});

describe.skipIf(!haveScapy || !haveTools)('hex dump and pcap export', () => {
  it('text2pcap reads the hex dump back into the same bytes, and tshark reads our pcap', () => {
    const hex = python(`sys.stdout.write(bytes(${SCAPY_FRAMES[1]}).hex())`);
    const bytes = fromHex(hex);
    writeFileSync(path.join(dir, 'dump.txt'), hexDump(bytes));
    spawnSync('text2pcap', ['-q', path.join(dir, 'dump.txt'), path.join(dir, 'dump.pcap')]);
    writeFileSync(path.join(dir, 'ours.pcap'), pcapBytes([bytes, bytes], 1));
    const read = (file: string) =>
      spawnSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.len', '-e', 'tcp.checksum', '-e', 'tcp.payload'], { encoding: 'utf8' }).stdout.trim().split('\n');
    expect(read(path.join(dir, 'dump.pcap'))).toEqual([`${bytes.length}\t0x1234\t68656c6c6f20776f726c64`]);
    expect(read(path.join(dir, 'ours.pcap'))).toEqual(read(path.join(dir, 'dump.pcap')).concat(read(path.join(dir, 'dump.pcap'))));
  });
});

describe.skipIf(!haveScapy)('craft reply from a tracked connection', () => {
  // The client's SYN (ISN 1000) and the server's SYN+ACK (ISN 5000, ack 1001), built by Scapy.
  const [syn, synAck, data] = [
    `Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IP(src="198.18.0.1", dst="198.18.0.2")/TCP(sport=40000, dport=443, flags="S", seq=1000, window=64240)`,
    `Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01")/IP(src="198.18.0.2", dst="198.18.0.1")/TCP(sport=443, dport=40000, flags="SA", seq=5000, ack=1001)`,
    `Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01")/IP(src="198.18.0.2", dst="198.18.0.1")/TCP(sport=443, dport=40000, flags="PA", seq=5001, ack=1001)/Raw(b"x" * 20)`,
  ].map((expression) => decodeFrame(fromHex(python(`sys.stdout.write(bytes(${expression}).hex())`)), 1));
  const value = (frame: ReturnType<typeof decodeFrame>, name: string) => getField(frame, name)?.value;
  const built = (spec: Parameters<typeof encodeFrame>[0]) => decodeFrame(encodeFrame(spec), 1);

  it('next ACK from the client: seq = x + 1, ack = y + 1 (the SYN consumed one number)', () => {
    const reply = built(craftReply('ack', synAck, syn));
    expect([value(reply, 'tcp.seq_raw'), value(reply, 'tcp.ack_raw'), value(reply, 'tcp.flags')]).toEqual([1001, 5001, 0x010]);
    expect([value(reply, 'ip.src'), value(reply, 'ip.dst'), value(reply, 'tcp.srcport'), value(reply, 'tcp.dstport')]).toEqual(['198.18.0.1', '198.18.0.2', 40000, 443]);
    expect([value(reply, 'eth.src'), value(reply, 'eth.dst')]).toEqual(['02:00:00:00:00:01', '02:00:00:00:00:02']);
    expect(value(reply, 'tcp.checksum.status')).toBe('good');
  });

  it('after 20 bytes of data the ACK is seq + len (5001 + 20), not +1', () => {
    expect(value(built(craftReply('ack', data, syn)), 'tcp.ack_raw')).toBe(5021);
  });

  it('keep-alive probe: seq = next − 1; RST: seq = next (in window), no ACK; FIN and data from the next seq', () => {
    expect(value(built(craftReply('keepalive', synAck, syn)), 'tcp.seq_raw')).toBe(1000);
    const rst = built(craftReply('rst', synAck, syn));
    expect([value(rst, 'tcp.seq_raw'), value(rst, 'tcp.flags')]).toEqual([1001, 0x004]);
    expect(value(built(craftReply('fin', synAck, syn)), 'tcp.flags')).toBe(0x011);
    const payload = built(craftReply('data', synAck, syn));
    expect([value(payload, 'tcp.seq_raw'), value(payload, 'tcp.len')]).toEqual([1001, 6]);
  });

  it('without a segment of my own, the peer\'s ACK tells my next sequence number', () => {
    // Replying as the server to the client's data-less ACK 5001: seq 5001.
    const clientAck = built(craftReply('ack', synAck, syn));
    expect(value(built(craftReply('ack', clientAck, null)), 'tcp.seq_raw')).toBe(5001);
  });
});
