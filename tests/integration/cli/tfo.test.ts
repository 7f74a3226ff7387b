/**
 * TCP Fast Open (RFC 7413) from real Linux stacks: two namespaces with net.ipv4.tcp_fastopen=3,
 * a Python client sending with MSG_FASTOPEN twice (the first connection fetches the cookie, the
 * second carries data in its SYN), captured by tcpdump; analyze must call the second handshake
 * TFO and complete, and its per-frame numbers and flags must agree with tshark.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canUseNamespaces, createVethLab, hasTshark, sleep, type VethLab } from '../capture/support';
import { buildCli, ndjson, runCliSync } from '../../support/cli';
import { compareWithTshark, trackFile } from '../../unit/track/scenario';

const hasTcpdump = spawnSync('tcpdump', ['--version']).status === 0;
const ready = canUseNamespaces && hasTcpdump && hasTshark;

const SERVER = `
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, 5)
s.bind(('0.0.0.0', 8443)); s.listen()
print('ready', flush=True)
for i in range(2):
    c, _ = s.accept(); d = c.recv(100); c.sendall(b'ok:' + d); c.close()
`;
const CLIENT = `
import socket, time
for i in range(2):
    s = socket.socket()
    s.sendto(b'hello tfo %d' % i, socket.MSG_FASTOPEN, ('198.18.0.2', 8443))
    print(s.recv(100), flush=True)
    s.close()
    time.sleep(0.3)
`;

let lab: VethLab | null = null;
let pcap = '';

/** Resolves once the child printed `text` on the stream. */
function waitFor(child: ReturnType<typeof spawn>, stream: 'stdout' | 'stderr', text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for "${text}"`)), 30_000);
    child[stream]?.on('data', (chunk: Buffer) => {
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
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fidelity-tfo-'));
  pcap = path.join(dir, 'tfo.pcap');
  writeFileSync(path.join(dir, 'server.py'), SERVER);
  writeFileSync(path.join(dir, 'client.py'), CLIENT);
  lab = createVethLab('fidtfo');
  for (const end of [lab.client, lab.server]) lab.exec(end.ns, 'sysctl', ['-qw', 'net.ipv4.tcp_fastopen=3']);
  const tcpdump = spawn('ip', ['netns', 'exec', lab.server.ns, 'tcpdump', '--immediate-mode', '-i', lab.server.ifname, '-U', '-w', pcap, 'tcp']);
  try {
    await waitFor(tcpdump, 'stderr', 'listening on');
    const server = spawn('ip', ['netns', 'exec', lab.server.ns, '/usr/bin/python3', path.join(dir, 'server.py')]);
    await waitFor(server, 'stdout', 'ready');
    const client = spawnSync('ip', ['netns', 'exec', lab.client.ns, '/usr/bin/python3', path.join(dir, 'client.py')], { encoding: 'utf8', timeout: 30_000 });
    expect(client.stdout).toContain("b'ok:hello tfo 1'");
    await new Promise((resolve) => server.on('close', resolve));
    await sleep(1000);
  } finally {
    tcpdump.kill('SIGINT');
    await new Promise((resolve) => tcpdump.on('close', resolve));
  }
}, 120_000);

afterAll(() => lab?.destroy());

describe.skipIf(!ready)('TCP Fast Open between two Linux stacks', () => {
  it('the cookie-carrying SYN with data and the SYN+ACK acknowledging it make a complete TFO handshake', () => {
    const cli = buildCli();
    const run = runCliSync(cli, ['analyze', pcap, '--json']);
    expect(run.code).toBe(0);
    const connections = ndjson(run.stdout).filter((o) => o.type === 'connection') as Array<{ handshake: { kind: string; complete: boolean }; states: { client: Array<{ state: string }>; server: Array<{ state: string }> } }>;
    expect(connections).toHaveLength(2);
    // The first connection only asked for a cookie: its SYN had no data.
    expect(connections[0].handshake).toMatchObject({ kind: 'three-way', complete: true });
    expect(connections[1].handshake).toMatchObject({ kind: 'tfo', complete: true });
    for (const side of ['client', 'server'] as const) expect(connections[1].states[side].map((s) => s.state)).toContain('ESTABLISHED');
    // What tshark shows of it: a SYN with a cookie and data, a SYN+ACK whose ack covers the data.
    const rows = spawnSync('tshark', ['-r', pcap, '-Y', 'tcp.stream == 1 && tcp.flags.syn == 1', '-T', 'fields', '-e', 'tcp.len', '-e', 'tcp.ack', '-e', 'tcp.options.tfo.cookie'], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(Number(rows[0][0])).toBeGreaterThan(0);
    expect(rows[0][2]).not.toBe('');
    expect(Number(rows[1][1])).toBe(1 + Number(rows[0][0]));
  });

  it('per-frame relative numbers and analysis flags agree with tshark', () => {
    const { ours, theirs } = compareWithTshark(pcap, trackFile(pcap));
    expect(ours).toEqual(theirs);
  });
});
