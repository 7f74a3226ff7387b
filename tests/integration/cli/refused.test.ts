/**
 * A connection refused by a real Linux stack (SYN to a closed port in a test namespace,
 * answered by RST+ACK), captured by tcpdump: analyze must say "refused", as README promises,
 * and Zeek's REJ; tshark confirms the RST answered the SYN.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canUseNamespaces, createVethLab, hasTshark, nodeInNamespace, sleep, type VethLab } from '../capture/support';
import { buildCli, ndjson, runCliSync } from '../../support/cli';

const hasTcpdump = spawnSync('tcpdump', ['--version']).status === 0;
const CLOSED_PORT = 47001;

describe.skipIf(!canUseNamespaces || !hasTshark || !hasTcpdump)('a refused connection (SYN answered by RST)', () => {
  let lab: VethLab;
  let dir: string;
  let cli: string;
  let pcap: string;

  beforeAll(async () => {
    cli = buildCli();
    dir = mkdtempSync(path.join(os.tmpdir(), 'hw-live-refused-'));
    pcap = path.join(dir, 'refused.pcap');
    lab = createVethLab('liveref');
    const tcpdump = spawn('ip', ['netns', 'exec', lab.client.ns, 'tcpdump', '-i', lab.client.ifname, '--immediate-mode', '-U', '-n', '-w', pcap, 'tcp'], { stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('tcpdump did not start')), 10_000);
        tcpdump.stderr.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('listening on')) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      const client = nodeInNamespace(
        lab.client.ns,
        `require('net').connect(${CLOSED_PORT}, '${lab.server.ip}').on('error', (error) => console.log('error ' + error.code));`,
      );
      await client.waitFor(/^error /);
      client.stop();
      await sleep(300);
    } finally {
      tcpdump.kill('SIGINT');
      await new Promise((resolve) => tcpdump.once('close', resolve));
    }
  }, 60_000);
  afterAll(() => {
    lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
    rmSync(cli, { force: true });
  });

  it('the capture holds a SYN answered by RST+ACK (tshark)', () => {
    const rows = execFileSync('tshark', ['-r', pcap, '-T', 'fields', '-e', 'tcp.flags.str', '-e', 'tcp.srcport'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split('\t'));
    expect(rows.map(([flags]) => flags.replace(/·/g, '.'))).toEqual(['..........S.', '.......A.R..']);
    expect(rows[1][1]).toBe(String(CLOSED_PORT));
  });

  it('analyze says refused, in text and in --json', () => {
    const text = runCliSync(cli, ['analyze', pcap]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/conn_state REJ/);
    expect(text.stdout).toMatch(/^ {2}refused: the server answered the SYN with RST$/m);
    expect(text.stdout).not.toMatch(/reset close by server/);
    const json = runCliSync(cli, ['analyze', pcap, '--json']);
    expect(json.code, json.stderr).toBe(0);
    const [connection] = ndjson(json.stdout);
    expect(connection).toMatchObject({
      conn_state: 'REJ',
      server: `${lab.server.ip}:${CLOSED_PORT}`,
      handshake: { complete: false, refused: true },
      teardown: { kind: 'reset', initiator: 'server' },
    });
  });
});
