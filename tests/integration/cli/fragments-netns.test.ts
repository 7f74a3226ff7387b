/**
 * A real fragmented exchange: two namespaces joined by a veth with a 576-byte MTU, so Linux
 * fragments a 2000-byte echo request (both the request and the reply) and a 3000-byte UDP datagram.
 * tcpdump captures it; `handshake decode -e` must print, frame for frame, what `tshark -T fields`
 * prints for the reassembly fields and the upper layers decoded from the reassembled datagrams.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canUseNamespaces, createVethLab, hasTshark, sleep, type VethLab } from '../capture/support';
import { buildCli, runCliSync } from '../../support/cli';

const hasTcpdump = spawnSync('tcpdump', ['--version']).status === 0;
const ready = canUseNamespaces && hasTcpdump && hasTshark;

/** Two 2000-byte echo requests from a raw ICMP socket (the kernel fragments them and its peer's replies). */
const PING = `
import socket, struct, time
def checksum(data):
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while total >> 16: total = (total & 0xffff) + (total >> 16)
    return ~total & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.settimeout(5)
for seq in (1, 2):
    body = bytes(range(250)) * 8
    header = struct.pack('!BBHHH', 8, 0, 0, 0x4242, seq)
    packet = struct.pack('!BBHHH', 8, 0, checksum(header + body), 0x4242, seq) + body
    s.sendto(packet, ('198.18.0.2', 0))
    s.recv(4096)
    time.sleep(0.2)
`;

const FIELDS = [
  'frame.number',
  'ip.src',
  'ip.flags.mf',
  'ip.frag_offset',
  'ip.fragment',
  'ip.fragment.count',
  'ip.reassembled.length',
  'icmp.type',
  'icmp.seq',
  'icmp.checksum.status',
  'udp.dstport',
  'udp.length',
  'udp.checksum.status',
  'data.len',
];
const STATUS: Record<string, string> = { good: '1', bad: '0', unverified: '2' };

let lab: VethLab | null = null;
let pcap = '';

function waitFor(child: ReturnType<typeof spawn>, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for "${text}"`)), 30_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

beforeAll(async () => {
  if (!ready) return;
  pcap = path.join(mkdtempSync(path.join(os.tmpdir(), 'breadth-frag-')), 'fragments.pcap');
  lab = createVethLab('breadth-frag');
  for (const end of [lab.client, lab.server]) lab.exec(end.ns, 'ip', ['link', 'set', 'dev', end.ifname, 'mtu', '576']);
  const tcpdump = spawn('ip', ['netns', 'exec', lab.server.ns, 'tcpdump', '--immediate-mode', '-i', lab.server.ifname, '-U', '-w', pcap, 'ip']);
  try {
    await waitFor(tcpdump, 'listening on');
    lab.exec(lab.client.ns, '/usr/bin/python3', ['-c', PING]);
    lab.exec(lab.client.ns, '/usr/bin/python3', ['-c', `import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(bytes(range(256)) * 11 + bytes(184), ('${lab.server.ip}', 42000))`]);
    await sleep(1000);
  } finally {
    tcpdump.kill('SIGINT');
    await new Promise((resolve) => tcpdump.on('close', resolve));
  }
}, 120_000);

afterAll(() => lab?.destroy());

describe.skipIf(!ready)('a fragmented exchange between two Linux stacks (MTU 576)', () => {
  it('decode -e prints what tshark -T fields prints, frame for frame', () => {
    const cli = buildCli();
    const ours = runCliSync(cli, ['decode', pcap, ...FIELDS.flatMap((name) => ['-e', name])]);
    expect(ours.code).toBe(0);
    const args = ['-r', pcap, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,', '-o', 'udp.check_checksum:TRUE'];
    for (const name of FIELDS) args.push('-e', name);
    const tshark = spawnSync('tshark', args, { encoding: 'utf8' });
    expect(tshark.status).toBe(0);
    const theirs = tshark.stdout.trim().split('\n');
    const mine = ours.stdout.trim().split('\n').map((line) => line.replace(/\b(good|bad|unverified)\b/g, (status) => STATUS[status]));
    // tshark prints the ICMP sequence number in both byte orders; ours is the network order one.
    const firstSeq = (line: string) => line.split('\t').map((cell, column) => (FIELDS[column] === 'icmp.seq' ? cell.split(',')[0] : cell)).join('\t');
    // The port-unreachable error that answers the datagram quotes its header: tshark lists the quoted
    // fields beside the error's own, decode's flat fields leave quoted ones out (cli.md). Compared apart.
    const unreachable = theirs.map((line) => line.split('\t')[FIELDS.indexOf('icmp.type')].startsWith('3'));
    expect(unreachable.filter(Boolean)).toHaveLength(1);
    expect(mine.map(firstSeq).filter((_, i) => !unreachable[i])).toEqual(theirs.map(firstSeq).filter((_, i) => !unreachable[i]));
    expect(mine.length).toBe(theirs.length);
    const rows = theirs.map((line) => line.split('\t'));
    const reassembled = rows.filter((row) => row[FIELDS.indexOf('ip.fragment')] !== '');
    // Two echo requests, two echo replies, one UDP datagram: every one carried in 4–6 fragments.
    expect(reassembled.map((row) => row[FIELDS.indexOf('icmp.type')] || `udp ${row[FIELDS.indexOf('udp.length')]}`)).toEqual(['8', '0', '8', '0', 'udp 3008']);
    for (const row of reassembled) expect(Number(row[FIELDS.indexOf('ip.fragment.count')])).toBeGreaterThanOrEqual(4);
  });

  it('the text output names the reassembled protocol on the last fragment and "Fragmented IP protocol" before it', () => {
    const cli = buildCli();
    const lines = runCliSync(cli, ['decode', pcap]).stdout.trim().split('\n');
    expect(lines.filter((line) => line.includes('Echo (ping) request'))).toHaveLength(2);
    expect(lines.filter((line) => line.includes('Echo (ping) reply'))).toHaveLength(2);
    expect(lines.filter((line) => / UDP \d+ \d+ → 42000 Len=3000/.test(line))).toHaveLength(1);
    expect(lines.filter((line) => line.includes('Fragmented IP protocol (proto=ICMP 1,')).length).toBeGreaterThanOrEqual(12);
  });
});
