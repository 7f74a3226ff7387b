/**
 * `handshake follow --udp-stream N` against `tshark -q -z follow,udp,FORMAT,N` on a capture
 * Scapy writes: three interleaved conversations (IPv4, IPv6, and one whose first datagram goes
 * from the higher port), a datagram cut into IP fragments, datagrams of every length from 1 to
 * 40 bytes ending in spaces and dots (the hex dump's line ends), and non-UDP frames between.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, runCliSync } from '../../support/cli';

const PYTHON = '/usr/bin/python3';
const unavailable = !existsSync(PYTHON) || spawnSync(PYTHON, ['-c', 'import scapy.all']).status !== 0 ? 'needs python3-scapy' : spawnSync('tshark', ['-v']).error ? 'needs tshark' : null;

const SCRIPT = `
import sys
from scapy.all import *
pkts = []
a, b, c = '198.18.0.1', '198.18.0.2', '198.18.0.3'
t = 1700000000.0
def add(p):
    global t
    t += 0.001
    p.time = t
    pkts.append(p)
for n in range(1, 41):
    body = bytes((0x41 + (i % 26)) if i % 5 else 0x20 for i in range(n)) + (b' ' if n % 2 else b'.')
    add(Ether()/IP(src=a, dst=b)/UDP(sport=40000, dport=5000)/body)
    if n % 3 == 0:
        add(Ether()/IP(src=b, dst=a)/UDP(sport=5000, dport=40000)/(b'reply %d  ' % n))
    if n % 4 == 0:
        add(Ether()/IPv6(src='2001:db8::1', dst='2001:db8::2')/UDP(sport=6000, dport=6001)/(b'v6 %d \\x00\\xff ' % n))
    if n % 7 == 0:
        add(Ether()/IP(src=c, dst=a)/UDP(sport=5353, dport=40001)/(b'low port first %d' % n))
        add(Ether()/IP(src=a, dst=c)/TCP(sport=40002, dport=80, flags='S'))
for frag in fragment(IP(src=b, dst=a, id=77)/UDP(sport=5000, dport=40000)/(b'fragmented datagram ' * 200), fragsize=1000):
    add(Ether()/frag)
wrpcap(sys.argv[1], pkts)
`;

describe.skipIf(unavailable !== null)('handshake follow --udp-stream against tshark -z follow,udp', () => {
  let cli = '';
  let dir = '';
  let pcap = '';

  beforeAll(() => {
    cli = buildCli();
    dir = mkdtempSync(path.join(os.tmpdir(), 'hs-follow-udp-'));
    pcap = path.join(dir, 'udp.pcap');
    const made = spawnSync(PYTHON, ['-c', SCRIPT, pcap], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(made.stderr);
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('every udp.stream tshark numbers, in ascii, hex and raw, is byte-identical', () => {
    const streams = new Set(
      spawnSync('tshark', ['-r', pcap, '-T', 'fields', '-e', 'udp.stream'], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter(Boolean)
        .map(Number),
    );
    expect(streams.size).toBe(3);
    for (const stream of streams) {
      for (const format of ['ascii', 'hex', 'raw']) {
        const ours = runCliSync(cli, ['follow', pcap, '--udp-stream', String(stream), '--format', format]);
        expect(ours.code, ours.stderr).toBe(0);
        const theirs = spawnSync('tshark', ['-r', pcap, '-q', '-z', `follow,udp,${format},${stream}`], { encoding: 'utf8', maxBuffer: 1 << 26 }).stdout;
        expect(ours.stdout, `udp.stream ${stream} ${format}`).toBe(theirs);
      }
    }
  }, 120_000);

  it('a udp.stream the capture does not have is a usage error (exit 2)', () => {
    const run = runCliSync(cli, ['follow', pcap, '--udp-stream', '3']);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe(`handshake follow: ${pcap} has no udp.stream 3 (see handshake analyze ${pcap})`);
  });
});
