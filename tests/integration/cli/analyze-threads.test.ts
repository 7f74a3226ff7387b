/**
 * `handshake analyze` on two threads (electron/cli/commands/analyze-shard.ts) prints what one
 * thread prints, byte for byte, in every output form: tcp.stream numbers across both threads'
 * connections, SYN-flood alerts fed by both, port reuse, TLS. tcp.stream numbering is also held
 * against tshark's on the same capture, and a capture with IP fragments falls back to one thread.
 */
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCli, ndjson, runCliSync } from '../../support/cli';
import { Conversation, HAS_TSHARK, seededRandom, tempFile, tshark, writeCapture } from '../../unit/track/scenario';

type Frame = { bytes: Uint8Array; tsSeconds: number; tsNanos: number };

const HAS_SCAPY = spawnSync('/usr/bin/python3', ['-c', 'import scapy.all'], { encoding: 'utf8' }).status === 0;
const ONE = { HANDSHAKE_ANALYZE_THREADS: '1' };
const TWO = { HANDSHAKE_ANALYZE_THREADS: '2' };

let cli = '';
let mixed = '';
let flood = '';

/** Zeek's #open and #close lines carry the time of the run. */
const withoutRunTimes = (text: string) => text.replace(/^#(open|close)\t.*$/gm, '#$1');

beforeAll(() => {
  cli = buildCli();
  // 1,200 connections among 60 IPv4 and IPv6 hosts, overlapping in time: whole ones, refused
  // ones, half-open ones, and 4-tuples used again after a close (port reuse).
  const random = seededRandom(4242);
  const frames: Frame[] = [];
  const host = (i: number) => (i % 3 === 0 ? `2001:db8::${(i + 1).toString(16)}` : `198.18.${20 + (i % 7)}.${1 + i}`);
  for (let i = 0; i < 1200; i++) {
    const a = random(60);
    const b = (a + 3 * (1 + random(19))) % 60; // the same address family as `a`
    const reuse = i % 25 === 0;
    const port = reuse ? 40000 : 1024 + random(60000);
    const c = new Conversation({ address: host(a), port, isn: random(1 << 30) }, { address: host(b), port: [80, 443, 22][random(3)], isn: random(1 << 30) }, frames, random(20_000) * 1e6);
    c.send('c', 'S', { dt: 0 });
    const kind = random(10);
    if (kind === 0) {
      c.send('s', 'RA', { dt: 0.001 });
      continue;
    }
    c.send('s', 'SA', { dt: 0.001 });
    if (kind === 1) continue; // half-open
    c.send('c', 'A', { dt: 0.001 }).send('c', 'PA', { payload: 'x'.repeat(1 + random(900)) }).send('s', 'PA', { payload: 'y'.repeat(1 + random(1400)) });
    if (kind === 2) c.send('s', 'PA', { payload: 'z'.repeat(100), seq: c.nextSeq('s') + 500 }); // a gap
    c.send('c', 'FA').send('s', 'FA').send('c', 'A');
  }
  mixed = writeCapture(frames, tempFile('mixed.pcapng'));

  // The SYN-flood unit test's capture: 5 complete handshakes, then 300 spoofed SYNs answered and never acknowledged.
  const floodFrames: Frame[] = [];
  const target = { address: '198.18.2.20', port: 80, isn: 0 };
  for (let i = 0; i < 5; i++) {
    new Conversation({ address: `198.18.9.${i + 1}`, port: 41000 + i, isn: 100 + i }, { ...target, isn: 5000 + i }, floodFrames, i * 1e8).send('c', 'S').send('s', 'SA').send('c', 'A');
  }
  const spoof = seededRandom(7);
  for (let i = 0; i < 300; i++) {
    const source = `198.${18 + spoof(2)}.${spoof(256)}.${1 + spoof(254)}`;
    new Conversation({ address: source, port: 1024 + spoof(60000), isn: spoof(1 << 30) }, { ...target, isn: spoof(1 << 30) }, floodFrames, 1e9 + i * 1e7)
      .send('c', 'S', { dt: 0 })
      .send('s', 'SA', { dt: 0.0001 });
  }
  flood = writeCapture(floodFrames, tempFile('flood.pcapng'));
}, 300_000);

describe('analyze on two threads', () => {
  it('prints the same bytes as one thread: --json, text, --zeek=json and --zeek', () => {
    for (const args of [['--json'], [], ['--zeek=json'], ['--zeek']]) {
      const two = runCliSync(cli, ['analyze', mixed, ...args], TWO);
      const one = runCliSync(cli, ['analyze', mixed, ...args], ONE);
      expect(two.code, two.stderr).toBe(0);
      expect(one.code, one.stderr).toBe(0);
      expect(two.stderr).toBe(''); // no "one thread" note: both threads ran
      expect(two.stdout.length).toBeGreaterThan(100_000);
      expect(withoutRunTimes(two.stdout)).toBe(withoutRunTimes(one.stdout));
    }
  }, 600_000);

  it.skipIf(!HAS_TSHARK)('numbers connections as tshark does (tcp.stream in order of first frame, a reused 4-tuple a new stream)', () => {
    const connections = ndjson(runCliSync(cli, ['analyze', mixed, '--json'], TWO).stdout).filter((line) => line.type === 'connection');
    const rows = tshark(mixed, ['tcp.stream', 'ip.src', 'ipv6.src', 'tcp.srcport', 'tcp.flags.syn', 'tcp.flags.ack']);
    // Each stream's first frame is its client's SYN.
    const firstClient = new Map<number, string>();
    for (const row of rows) {
      const stream = Number(row['tcp.stream']);
      if (firstClient.has(stream)) continue;
      const address = row['ip.src'] || `[${row['ipv6.src']}]`;
      firstClient.set(stream, `${address}:${row['tcp.srcport']}`);
    }
    expect(connections.length).toBe(firstClient.size);
    expect(connections.filter((c) => c.client !== firstClient.get(c['tcp.stream'] as number))).toEqual([]);
    expect(connections.map((c) => c['tcp.stream'])).toEqual([...firstClient.keys()].sort((a, b) => a - b));
  }, 300_000);

  it('raises the SYN-flood alert from both threads\u2019 handshakes as one thread does', () => {
    const two = runCliSync(cli, ['analyze', flood, '--json'], TWO);
    const one = runCliSync(cli, ['analyze', flood, '--json'], ONE);
    expect(two.stderr).toBe('');
    expect(two.stdout).toBe(one.stdout);
    const alerts = ndjson(two.stdout).filter((line) => line.type === 'alert');
    expect(alerts).toHaveLength(1);
    // The target and the first spoofed SYN (frame 16, after the 5×3 real frames) follow from how the capture was built.
    expect(alerts[0]).toMatchObject({ kind: 'syn-flood', target: '198.18.2.20:80', first_frame: 16 });
    expect(runCliSync(cli, ['analyze', flood], TWO).stdout).toBe(runCliSync(cli, ['analyze', flood], ONE).stdout);
  }, 300_000);

  it.skipIf(!HAS_SCAPY)('reads a capture with IP fragments on one thread, as before', () => {
    const file = tempFile('fragments.pcap');
    const built = spawnSync(
      '/usr/bin/python3',
      [
        '-c',
        `
import sys
from scapy.all import Ether, IP, TCP, Raw, fragment, wrpcap
c, s = "198.18.30.1", "198.18.30.2"
frames = [Ether()/IP(src=c, dst=s)/TCP(sport=40000, dport=80, flags="S", seq=100),
          Ether()/IP(src=s, dst=c)/TCP(sport=80, dport=40000, flags="SA", seq=900, ack=101),
          Ether()/IP(src=c, dst=s)/TCP(sport=40000, dport=80, flags="A", seq=101, ack=901)]
frames += [Ether()/f for f in fragment(IP(src=c, dst=s, id=7)/TCP(sport=40000, dport=80, flags="PA", seq=101, ack=901)/Raw(b"q" * 3000), fragsize=1000)]
frames += [Ether()/IP(src=s, dst=c)/TCP(sport=80, dport=40000, flags="A", seq=901, ack=3101)]
for i, f in enumerate(frames): f.time = 1700000000 + i / 100
wrpcap(sys.argv[1], frames)
`,
        file,
      ],
      { encoding: 'utf8' },
    );
    expect(built.status, built.stderr).toBe(0);
    const two = runCliSync(cli, ['analyze', file, '--json'], TWO);
    expect(two.code).toBe(0);
    expect(two.stderr).toBe('handshake analyze: one thread: IP fragments\n');
    expect(two.stdout).toBe(runCliSync(cli, ['analyze', file, '--json'], ONE).stdout);
    // The reassembled segment was tracked (its three fragments count as the one segment they carry).
    expect(ndjson(two.stdout)[0]).toMatchObject({ 'tcp.stream': 0, frames: 5 });
  }, 300_000);
});
