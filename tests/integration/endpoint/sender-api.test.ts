/**
 * The sender's state through the typed API (what the Endpoint view shows): with retransmission
 * on, `endpoint-sender` events carry cwnd from RFC 6928's initial window up; with it off, none
 * come (no congestion control: the user studies the peer). The peer is Linux in a namespace.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch, type ApiContract, type ApiEvent, type OpenEndpointParams } from '../../../shared/api';
import { Backend } from '../../../electron/engine/backend';
import { buildHelper, canUseNamespaces, createVethLab, nodeInNamespace, sleep, type NodeInNamespace, type VethLab } from '../capture/support';

const UNOWNED = '198.18.0.13';
const PORT = 7310;

describe.skipIf(!canUseNamespaces)('the endpoint\'s sender state through the API, against Linux', () => {
  let lab: VethLab;
  let helperPath: string;
  let peer: NodeInNamespace;
  let backend: Backend;
  let dir: string;
  const events: ApiEvent[] = [];

  beforeAll(async () => {
    helperPath = buildHelper();
    lab = createVethLab('sendapi');
    process.env.HANDSHAKE_HELPER_PATH = helperPath;
    process.env.HANDSHAKE_HELPER_LAUNCHER = `ip netns exec ${lab.client.ns}`;
    dir = mkdtempSync(path.join(os.tmpdir(), 'hs-sender-api-'));
    // A sink: counts what its kernel delivered.
    peer = nodeInNamespace(lab.server.ns, `require('net').createServer((s) => { let n = 0; s.on('data', (d) => { n += d.length; }); s.on('end', () => { console.log('end ' + n); s.end(); }); s.on('error', (e) => console.log('error ' + e.code)); }).listen(${PORT}, '${lab.server.ip}', () => console.log('listening'));`);
    await peer.waitFor(/listening/);
    backend = new Backend({ host: 'browser', version: 'test', spoolDirectory: dir });
    backend.subscribe((event) => events.push(event));
  });
  afterAll(async () => {
    await backend?.dispose();
    peer?.stop();
    lab?.destroy();
    delete process.env.HANDSHAKE_HELPER_PATH;
    delete process.env.HANDSHAKE_HELPER_LAUNCHER;
    if (helperPath) rmSync(helperPath, { force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const params = (change: Partial<OpenEndpointParams>): OpenEndpointParams => ({ interface: lab.client.ifname, local: UNOWNED, localPort: null, remote: lab.server.ip, remotePort: PORT, retransmit: false, keepaliveSeconds: null, step: false, isn: null, mss: null, windowScale: 7, sack: true, timestamps: true, ...change });
  const call = async <M extends keyof ApiContract>(method: M, body: ApiContract[M]['params']) => (await dispatch(backend.handlers, method, body)) as ApiContract[M]['result'];
  const waitFor = async (match: (event: ApiEvent) => boolean, timeoutMs = 20_000) => {
    for (let waited = 0; waited < timeoutMs; waited += 20) {
      const found = events.find(match);
      if (found) return found;
      await sleep(20);
    }
    throw new Error(`no such event; saw ${[...new Set(events.map((event) => event.type))].join(', ')}`);
  };

  /** Sends 256 KiB and closes; resolves with the endpoint's id once the peer's kernel has read it all. */
  async function send(change: Partial<OpenEndpointParams>): Promise<string> {
    const { endpointId } = await call('openEndpoint', params(change));
    await waitFor((event) => event.type === 'endpoint-state' && event.endpointId === endpointId && event.to === 'ESTABLISHED');
    const seen = peer.lines.length;
    await call('endpointSend', { endpointId, text: 'x'.repeat(256 * 1024) });
    await call('endpointClose', { endpointId, how: 'fin' });
    for (let waited = 0; waited < 20_000 && !peer.lines.slice(seen).some((line) => line.startsWith('end ')); waited += 20) await sleep(20);
    expect(peer.lines.slice(seen)).toContain(`end ${256 * 1024}`);
    await waitFor((event) => event.type === 'endpoint-end' && event.endpointId === endpointId);
    return endpointId;
  }

  it('retransmission on: cwnd starts at RFC 6928\'s 10 segments of 1448 bytes (MSS 1460 less timestamps) and grows; off: no sender events', async () => {
    const on = await send({ retransmit: true });
    const reports = events.filter((event): event is Extract<ApiEvent, { type: 'endpoint-sender' }> => event.type === 'endpoint-sender' && event.endpointId === on);
    expect(reports.length).toBeGreaterThan(0);
    for (const report of reports) {
      expect(report.cwnd).toBeGreaterThanOrEqual(14_480);
      expect(report.recovery).toBe('none');
    }
    expect(Math.max(...reports.map((report) => report.cwnd ?? 0))).toBeGreaterThan(14_480);
    const off = await send({ retransmit: false, initialWindow: null });
    expect(events.some((event) => event.type === 'endpoint-sender' && event.endpointId === off)).toBe(false);
  }, 90_000);
});
