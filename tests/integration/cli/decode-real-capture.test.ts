/**
 * `handshake decode` and `handshake analyze` on real captures: a TCP connection (IPv4 and
 * IPv6) between two test namespaces, captured by tcpdump on the veth pair, then the same
 * capture rewritten by tshark as pcapng. tshark is the oracle for every key both print.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVethLab, nodeInNamespace, sleep, tcpServerScript, canUseNamespaces, hasTshark, type VethLab } from '../capture/support';
import { buildCli, ndjson, runCliSync } from '../../support/cli';

const hasTcpdump = (() => {
  try {
    execFileSync('tcpdump', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const ready = canUseNamespaces && hasTshark && hasTcpdump;

/** Keys compared frame by frame; tshark prints the same names (booleans as 1/0, some integers in hex). */
const COMPARED_KEYS = [
  'frame.time_epoch', 'frame.len', 'frame.cap_len',
  'eth.src', 'eth.dst', 'eth.type',
  'ip.version', 'ip.hdr_len', 'ip.len', 'ip.id', 'ip.ttl', 'ip.proto', 'ip.frag_offset', 'ip.checksum', 'ip.flags.df', 'ip.flags.mf', 'ip.src', 'ip.dst',
  'ipv6.src', 'ipv6.dst', 'ipv6.plen', 'ipv6.nxt', 'ipv6.hlim', 'ipv6.flow',
  'tcp.srcport', 'tcp.dstport', 'tcp.seq_raw', 'tcp.ack_raw', 'tcp.hdr_len', 'tcp.len', 'tcp.flags',
  'tcp.flags.syn', 'tcp.flags.ack', 'tcp.flags.fin', 'tcp.flags.reset', 'tcp.flags.push', 'tcp.flags.urg', 'tcp.flags.ece', 'tcp.flags.cwr',
  'tcp.window_size_value', 'tcp.checksum', 'tcp.urgent_pointer',
  'tcp.options.mss_val', 'tcp.options.wscale.shift', 'tcp.options.timestamp.tsval', 'tcp.options.timestamp.tsecr', 'tcp.options.sack_perm',
  'tcp.stream', 'tcp.seq', 'tcp.ack', 'tcp.nxtseq', 'tcp.window_size',
];

function tsharkRows(file: string, keys: string[], filter?: string): string[][] {
  const args = ['-r', file, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=f', '-o', 'tcp.relative_sequence_numbers:TRUE', '-o', 'tcp.check_checksum:TRUE'];
  for (const key of keys) args.push('-e', key);
  if (filter) args.push('-Y', filter);
  return execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => line.split('\t'));
}

/** tshark's text for a key, in our JSON's type. */
function tsharkValue(key: string, text: string, like: unknown): unknown {
  // tshark prints the SACK-permitted option's bytes (kind 4, length 2) where cli.md has a boolean.
  if (key === 'tcp.options.sack_perm') return text === '0402';
  if (typeof like === 'boolean') return text === '1' || text === 'True';
  if (typeof like === 'number') return /^0x/i.test(text) ? parseInt(text, 16) : Number(text);
  return text;
}

describe.skipIf(!ready)('decode/analyze on a real capture', () => {
  let lab: VethLab;
  let dir: string;
  let cli: string;
  let pcap: string;
  let pcapng: string;

  beforeAll(async () => {
    cli = buildCli();
    dir = mkdtempSync(path.join(os.tmpdir(), 'hw-cli-'));
    pcap = path.join(dir, 'tcpdump.pcap');
    pcapng = path.join(dir, 'tshark.pcapng');
    lab = createVethLab('cli');
    lab.exec(lab.client.ns, 'ip', ['addr', 'add', '2001:db8:18::1/64', 'dev', lab.client.ifname, 'nodad']);
    lab.exec(lab.server.ns, 'ip', ['addr', 'add', '2001:db8:18::2/64', 'dev', lab.server.ifname, 'nodad']);
    const server = nodeInNamespace(lab.server.ns, tcpServerScript('::', 43210));
    const tcpdump = spawn('ip', ['netns', 'exec', lab.client.ns, 'tcpdump', '-i', lab.client.ifname, '--immediate-mode', '-U', '-n', '-w', pcap, 'tcp'], { stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      await server.waitFor(/listening/);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('tcpdump did not start')), 10_000);
        tcpdump.stderr.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('listening on')) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      for (const host of ['198.18.0.2', '2001:db8:18::2']) {
        const client = nodeInNamespace(
          lab.client.ns,
          `const s = require('net').connect(43210, '${host}', () => s.write('ping'));
           s.on('data', () => s.end()); s.on('error', (e) => console.log('error ' + e.code)); s.on('close', () => console.log('done'));`,
        );
        await client.waitFor(/done/);
        expect(client.lines.filter((line) => line.startsWith('error'))).toEqual([]);
        client.stop();
      }
      await sleep(300);
    } finally {
      tcpdump.kill('SIGINT');
      await new Promise((resolve) => tcpdump.once('close', resolve));
      server.stop();
    }
    execFileSync('tshark', ['-r', pcap, '-F', 'pcapng', '-w', pcapng], { stdio: 'ignore' });
  }, 60_000);

  afterAll(() => {
    lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each([['tcpdump pcap', () => pcap], ['tshark pcapng', () => pcapng]])('%s: every key agrees with tshark', (_label, file) => {
    const run = runCliSync(cli, ['decode', file(), '--json']);
    expect(run.code, run.stderr).toBe(0);
    const frames = ndjson(run.stdout);
    const rows = tsharkRows(file(), COMPARED_KEYS);
    expect(frames.length).toBe(rows.length);
    expect(frames.length).toBeGreaterThanOrEqual(16); // two connections: handshake, data both ways, teardown
    let compared = 0;
    frames.forEach((frame, index) => {
      expect(frame['frame.number']).toBe(index + 1);
      COMPARED_KEYS.forEach((key, column) => {
        const theirs = rows[index][column] ?? '';
        if (!(key in frame)) {
          // Wireshark's IPv6 dissector also fills ip.version (6); cli.md keeps ip.* for IPv4 headers.
          if (key === 'ip.version' && frame['ipv6.src'] !== undefined) return;
          expect(theirs, `frame ${index + 1} ${key}: tshark has it, we don't`).toBe('');
          return;
        }
        if (theirs === '') return; // a field tshark does not print for this frame (e.g. tcp.ack without ACK in some versions)
        expect(frame[key], `frame ${index + 1} ${key}`).toEqual(tsharkValue(key, theirs, frame[key]));
        compared++;
      });
    });
    expect(compared).toBeGreaterThan(frames.length * 30);
  });

  it('a frame captured on the sending host with checksum offload is "partial", never "bad"', () => {
    const frames = ndjson(runCliSync(cli, ['decode', pcap, '--json']).stdout);
    const statuses = new Set(frames.map((frame) => frame['tcp.checksum.status']));
    expect(statuses.has('bad')).toBe(false);
    // veth offloads the client's own TCP checksums: those frames carry only the pseudo-header sum.
    const fromClient = frames.filter((frame) => frame['ip.src'] === '198.18.0.1' || frame['ipv6.src'] === '2001:db8:18::1');
    expect(fromClient.length).toBeGreaterThan(0);
    for (const frame of fromClient) expect(['partial', 'good']).toContain(frame['tcp.checksum.status']);
    expect(fromClient.some((frame) => frame['tcp.checksum.status'] === 'partial')).toBe(true);
    // tshark 4.0 has no "partial": it calls these same frames bad, which is what users must not see.
    const tsharkBad = tsharkRows(pcap, ['frame.number'], 'tcp.checksum.status == 0').map(([number]) => Number(number));
    const oursPartial = frames.filter((frame) => frame['tcp.checksum.status'] === 'partial').map((frame) => frame['frame.number']);
    expect(oursPartial).toEqual(tsharkBad);
    const fromServer = frames.filter((frame) => frame['ip.src'] === '198.18.0.2' || frame['ipv6.src'] === '2001:db8:18::2');
    for (const frame of fromServer) expect(['partial', 'good']).toContain(frame['tcp.checksum.status']);
  });

  it('-Y selects exactly the frames tshark selects', () => {
    for (const filter of ['tcp.flags.syn == 1', 'tcp.len > 0 && tcp.dstport == 43210', 'ipv6.addr == 2001:db8:18::2', 'tcp.flags.fin == 1 || tcp.flags.reset == 1', '!(tcp.flags.ack == 1)', 'tcp.port in {22, 43210}', 'tcp.flags & 0x12 == 0x12', 'tcp.payload']) {
      const ours = ndjson(runCliSync(cli, ['decode', pcap, '--json', '-Y', filter]).stdout).map((frame) => frame['frame.number']);
      const theirs = tsharkRows(pcap, ['frame.number'], filter).map(([number]) => Number(number));
      expect(ours, filter).toEqual(theirs);
      expect(theirs.length, filter).toBeGreaterThan(0);
    }
  });

  it('the summary lines carry tshark\'s columns', () => {
    const run = runCliSync(cli, ['decode', pcap]);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    const first = lines[0];
    expect(first).toMatch(/^\s+1\s+0\.000000 198\.18\.0\.1 → 198\.18\.0\.2 TCP 74 \d+ → 43210 \[SYN\] Seq=0 Win=\d+ Len=0 MSS=1460 SACK_PERM TSval=\d+ TSecr=0 WS=\d+$/);
    const tsharkInfo = execFileSync('tshark', ['-r', pcap, '-T', 'fields', '-e', '_ws.col.Info'], { encoding: 'utf8' }).trim().split('\n');
    // The Info column is word for word tshark's for every frame of a clean capture.
    lines.forEach((line, index) => expect(line.endsWith(tsharkInfo[index].replace(/\s+$/, '')), `frame ${index + 1}: ${line} vs ${tsharkInfo[index]}`).toBe(true));
  });

  it('analyze tells how each connection opened and closed, with both sides\' states', () => {
    const run = runCliSync(cli, ['analyze', pcap, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const connections = ndjson(run.stdout).filter((object) => object.type === 'connection');
    expect(connections.map((connection) => connection.server)).toEqual(['198.18.0.2:43210', '[2001:db8:18::2]:43210']);
    for (const connection of connections) {
      expect(connection.conn_state).toBe('SF');
      const handshake = connection.handshake as Record<string, unknown>;
      expect(handshake.kind).toBe('three-way');
      expect(handshake.complete).toBe(true);
      const teardown = connection.teardown as Record<string, unknown>;
      // The client ends its side after the echo; the server's socket answers with its own FIN.
      expect(teardown.initiator).toBe('client');
      expect(['four-way', 'three-way']).toContain(teardown.kind);
      const states = connection.states as Record<string, Array<{ state: string }>>;
      expect(states.client.map((entry) => entry.state).slice(0, 4)).toEqual(['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2']);
      expect(states.client.map((entry) => entry.state)).toContain('TIME_WAIT');
      expect(states.server.map((entry) => entry.state)).toEqual(
        expect.arrayContaining(['LISTEN', 'SYN_RECEIVED', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED']),
      );
      expect(connection.final_state).toEqual({ client: 'TIME_WAIT', server: 'CLOSED' });
      // tshark numbers streams the same way.
    }
    const streams = tsharkRows(pcap, ['tcp.stream', 'tcp.srcport']);
    expect(new Set(streams.map(([stream]) => Number(stream)))).toEqual(new Set(connections.map((connection) => connection['tcp.stream'])));
  });
});
