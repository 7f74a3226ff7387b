/**
 * The sender's state through the typed API (what the Endpoint view shows): with retransmission
 * on, `endpoint-sender` events carry cwnd from RFC 6928's initial window up; with it off, none
 * come (no congestion control: the user studies the peer). The peer is Linux in a namespace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiContract, type ApiEvent, type OpenEndpointParams } from '../../../shared/api';
import { canUseNamespaces, sleep, type NodeInNamespace, type VethLab } from '../capture/support';
import { openEndpointApiLab, type EndpointApiLab } from './api-lab';

const UNOWNED = '198.18.0.13';
const PORT = 7310;

describe.skipIf(!canUseNamespaces)('the endpoint\'s sender state through the API, against Linux', () => {
  let api: EndpointApiLab;
  let lab: VethLab;
  let peer: NodeInNamespace;
  let events: ApiEvent[];

  beforeAll(async () => {
    // A sink: counts what its kernel delivered.
    api = await openEndpointApiLab('sendapi', (ip) => `require('net').createServer((s) => { let n = 0; s.on('data', (d) => { n += d.length; }); s.on('end', () => { console.log('end ' + n); s.end(); }); s.on('error', (e) => console.log('error ' + e.code)); }).listen(${PORT}, '${ip}', () => console.log('listening'));`);
    ({ lab, peer, events } = api);
  });
  afterAll(() => api?.close());

  const params = (change: Partial<OpenEndpointParams>): OpenEndpointParams => ({ interface: lab.client.ifname, local: UNOWNED, localPort: null, remote: lab.server.ip, remotePort: PORT, retransmit: false, keepaliveSeconds: null, step: false, isn: null, mss: null, windowScale: 7, sack: true, timestamps: true, ...change });
  const call = <M extends keyof ApiContract>(method: M, body: ApiContract[M]['params']) => api.call(method, body);
  const waitFor = (match: (event: ApiEvent) => boolean, timeoutMs = 20_000) => api.waitForEvent(match, timeoutMs);

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
