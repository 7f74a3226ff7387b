/**
 * The endpoint through the typed API (what the UI calls): open against a Linux echo server in a
 * namespace, send text with its CRLF, see the echo as an event, close with FIN; in step mode,
 * the proposal is a SYN and an edited window is what goes on the wire. The peer's kernel (what
 * its socket read) and tshark (the session's spool) are the oracles.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, dispatch, type ApiContract, type ApiEvent, type OpenEndpointParams } from '../../../shared/api';
import { Backend } from '../../../electron/engine/backend';
import { canUseNamespaces, hasTshark, nodeInNamespace, sleep, tsharkFields, type NodeInNamespace, type VethLab } from '../capture/support';
import { openEndpointApiLab, type EndpointApiLab } from './api-lab';

const UNOWNED = '198.18.0.11';

describe.skipIf(!canUseNamespaces)('the endpoint through the API, against Linux', () => {
  let api: EndpointApiLab;
  let lab: VethLab;
  let peer: NodeInNamespace;
  let backend: Backend;
  let dir: string;
  let events: ApiEvent[];

  beforeAll(async () => {
    api = await openEndpointApiLab('endapi', (ip) => `require('net').createServer((s) => { s.on('data', (d) => { console.log('got ' + JSON.stringify(d.toString('latin1'))); s.write(d); }); s.on('end', () => { console.log('end'); s.end(); }); s.on('error', (e) => console.log('error ' + e.code)); }).listen(7300, '${ip}', () => console.log('listening'));`);
    ({ lab, peer, backend, dir, events } = api);
  });
  afterAll(() => api?.close());

  const params = (change: Partial<OpenEndpointParams> = {}): OpenEndpointParams => ({
    interface: lab.client.ifname,
    local: UNOWNED,
    localPort: null,
    remote: lab.server.ip,
    remotePort: 7300,
    retransmit: false,
    keepaliveSeconds: null,
    step: false,
    isn: null,
    mss: null,
    windowScale: 7,
    sack: true,
    timestamps: true,
    ...change,
  });
  const call = <M extends keyof ApiContract>(method: M, body: ApiContract[M]['params']) => api.call(method, body);
  const waitForEvent = (match: (event: ApiEvent) => boolean, timeoutMs = 10_000) => api.waitForEvent(match, timeoutMs);

  it('connects, sends text byte for byte (CRLF kept), shows the echo, closes with FIN; the frames are in a live session', async () => {
    const opened = await call('openEndpoint', params({ localPort: 41300 }));
    const id = opened.endpointId;
    await waitForEvent((event) => event.type === 'endpoint-state' && event.endpointId === id && event.to === 'ESTABLISHED');
    const text = 'GET / HTTP/1.0\r\n\r\n';
    expect(await call('endpointSend', { endpointId: id, text })).toEqual({ queued: 18 });
    expect(await peer.waitFor(/^got /)).toBe(`got ${JSON.stringify(text)}`);
    const echo = await waitForEvent((event) => event.type === 'endpoint-data' && event.endpointId === id);
    expect(echo.type === 'endpoint-data' && echo.text).toBe(text);
    await call('endpointClose', { endpointId: id, how: 'fin' });
    await peer.waitFor(/^end$/);
    const end = await waitForEvent((event) => event.type === 'endpoint-end' && event.endpointId === id);
    expect(end).toMatchObject({ ok: true, bytesSent: 18, bytesReceived: 18 });
    const states = events.flatMap((event) => (event.type === 'endpoint-state' && event.endpointId === id ? [event.to] : []));
    expect(states).toEqual(['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT', 'CLOSED']);
    expect(events.some((event) => event.type === 'session-opened' && event.session.sessionId === opened.sessionId)).toBe(true);
    // The endpoint is gone: later calls name it as ended.
    await expect(call('endpointSend', { endpointId: id, text: 'x' })).rejects.toMatchObject({ code: 'not-found' });

    // Connections and the ladder: our lane is the endpoint's own state, the peer's as tracked from the wire.
    const ours = `${UNOWNED}:41300`;
    let row = (await call('getConnections', { sessionId: opened.sessionId })).connections.find((c) => c.client === ours);
    for (let i = 0; i < 100 && (!row || row.frames < 9); i++) {
      await sleep(50);
      row = (await call('getConnections', { sessionId: opened.sessionId })).connections.find((c) => c.client === ours);
    }
    expect(row).toMatchObject({ endpointSide: 'client', clientState: 'CLOSED', server: `${lab.server.ip}:7300` });
    const ladder = await call('getLadder', { sessionId: opened.sessionId, stream: row?.stream ?? 0, limit: 100 });
    expect(ladder).toMatchObject({ endpointSide: 'client', initialClientState: 'CLOSED', finalClientState: 'CLOSED' });
    // Where our state changes, and on which segment the wire shows: the endpoint's own steps.
    const changes = (side: 'client' | 'server') => {
      const out: string[] = [];
      let before = side === 'client' ? ladder.initialClientState : ladder.initialServerState;
      for (const arrow of ladder.arrows) {
        const state = side === 'client' ? arrow.clientState : arrow.serverState;
        if (state !== before) out.push(`${arrow.from} ${arrow.flags} -> ${state}`);
        before = state;
      }
      return out;
    };
    // Linux acknowledges our FIN alone (FIN_WAIT_2 between) or with its own FIN (straight to TIME_WAIT after that segment).
    const ourFin = ladder.arrows.find((arrow) => arrow.from === 'client' && arrow.flags.includes('FIN'));
    const finAckedAlone = ladder.arrows.some((arrow) => arrow.from === 'server' && arrow.flags === 'ACK' && ourFin && arrow.ack === ourFin.seq + 1);
    expect(changes('client')).toEqual([
      'client SYN -> SYN_SENT',
      'server SYN, ACK -> ESTABLISHED',
      'client FIN, ACK -> FIN_WAIT_1',
      ...(finAckedAlone ? ['server ACK -> FIN_WAIT_2'] : []),
      'server FIN, ACK -> TIME_WAIT',
    ]);
    expect(states.slice(0, 5)).toEqual(['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT']);
    // The peer's lane is the tracker's reading of Linux's segments.
    expect(changes('server')).toEqual(['client SYN -> SYN_RECEIVED', 'client ACK -> ESTABLISHED', 'client FIN, ACK -> CLOSE_WAIT', 'server FIN, ACK -> LAST_ACK', 'client ACK -> CLOSED']);
    expect(ladder.finalServerState).toBe('CLOSED');
  }, 60_000);

  it('step mode: the proposal is our SYN; the edited window is what goes out, and the handshake completes step by step', async () => {
    const opened = await call('openEndpoint', params({ localPort: 41301, step: true, isn: 1000 }));
    const id = opened.endpointId;
    const first = await call('endpointProposal', { endpointId: id });
    expect(first.state).toBe('CLOSED');
    expect(first.proposal).toMatchObject({ reason: 'syn', seq: 0, flags: 0x02, window: 65535 });
    const sent = await call('endpointStep', { endpointId: id, edit: { window: 1234 } });
    expect(sent.sent?.window).toBe(1234);
    expect(sent.sent?.text).toMatch(/^S 0:0\(0\) win 1234 <mss 1460/);
    // Linux answers; the next proposal is the ACK that completes the handshake.
    let next = await call('endpointProposal', { endpointId: id });
    for (let i = 0; i < 100 && !next.proposal; i++) {
      await sleep(50);
      next = await call('endpointProposal', { endpointId: id });
    }
    expect(next).toMatchObject({ state: 'ESTABLISHED', proposal: { reason: 'ack', seq: 1, ack: 1, flags: 0x10 } });
    await call('endpointStep', { endpointId: id });
    await call('endpointClose', { endpointId: id, how: 'rst' });
    const rst = await call('endpointProposal', { endpointId: id });
    expect(rst.proposal).toMatchObject({ reason: 'rst', seq: 1 });
    await call('endpointStep', { endpointId: id });
    await call('stopEndpoint', { endpointId: id });
    const end = await waitForEvent((event) => event.type === 'endpoint-end' && event.endpointId === id);
    expect(end).toMatchObject({ ok: true, reason: 'we reset the connection' });
    if (!hasTshark) return;
    // tshark reads the live session's spool: our SYN carried the edited window, Linux answered it, our RST ended it.
    const spool = readdirSync(dir).filter((name) => name.startsWith('endpoint-')).map((name) => path.join(dir, name)).find((file) => tsharkFields(file, ['tcp.srcport'], 'tcp.port == 41301').length > 0) as string;
    const rows = tsharkFields(spool, ['ip.src', 'tcp.flags.str', 'tcp.window_size_value'], 'tcp.port == 41301');
    expect(rows[0]).toEqual([UNOWNED, '··········S·', '1234']);
    expect(rows[1].slice(0, 2)).toEqual([lab.server.ip, '·······A··S·']);
    expect(rows[rows.length - 1].slice(0, 2)).toEqual([UNOWNED, '·······A·R··']);
  }, 60_000);

  it('listen for two peers: each Linux client is a conversation of its own (its id, its text, its FIN), both rows with our lane from the endpoint', async () => {
    const clientScript = (tag: string) =>
      `const s = require('net').connect({ host: '${UNOWNED}', port: 7302, allowHalfOpen: true }, () => console.log('connected ' + s.localPort)); s.on('data', (d) => console.log('got ' + JSON.stringify(d.toString('latin1')))); s.on('end', () => { console.log('end'); s.end(); }); s.on('error', (e) => console.log('error ' + e.code)); s.write('${tag}');`;
    const opened = await call('openEndpoint', params({ remote: null, remotePort: null, local: UNOWNED, localPort: 7302, connections: 2 }));
    const clients: NodeInNamespace[] = [];
    try {
      clients.push(nodeInNamespace(lab.server.ns, clientScript('first')));
      const firstPort = Number((await clients[0].waitFor(/^connected /)).split(' ')[1]);
      clients.push(nodeInNamespace(lab.server.ns, clientScript('second')));
      const secondPort = Number((await clients[1].waitFor(/^connected /)).split(' ')[1]);
      const accepted = async (port: number) => {
        const event = await waitForEvent((e) => e.type === 'endpoint-accepted' && e.endpointId === opened.endpointId && e.peer === `${lab.server.ip}:${port}`);
        return event.type === 'endpoint-accepted' ? event.connectionId : '';
      };
      const ids = [await accepted(firstPort), await accepted(secondPort)];
      expect(new Set(ids).size).toBe(2);
      // The listener itself holds no conversation.
      await expect(call('endpointSend', { endpointId: opened.endpointId, text: 'x' })).rejects.toMatchObject({ code: 'invalid' });
      // Each conversation's data is its own, both ways.
      for (const [i, id] of ids.entries()) {
        const data = await waitForEvent((e) => e.type === 'endpoint-data' && e.endpointId === id);
        expect(data.type === 'endpoint-data' && data.text).toBe(['first', 'second'][i]);
        await call('endpointSend', { endpointId: id, text: `to ${i}\r\n` });
        expect(await clients[i].waitFor(/^got /)).toBe(`got ${JSON.stringify(`to ${i}\r\n`)}`);
      }
      // Rows while both live: two conversations, our lane (the server side) from each endpoint.
      const rows = (await call('getConnections', { sessionId: opened.sessionId })).connections.filter((c) => c.server === `${UNOWNED}:7302`);
      expect(rows.map((row) => [row.client, row.endpointSide, row.serverState]).sort()).toEqual(
        [firstPort, secondPort].map((port) => [`${lab.server.ip}:${port}`, 'server', 'ESTABLISHED']).sort(),
      );
      for (const id of ids) await call('endpointClose', { endpointId: id, how: 'fin' });
      for (const client of clients) await client.waitFor(/^end$/);
      const end = await waitForEvent((e) => e.type === 'endpoint-end' && e.endpointId === opened.endpointId, 15_000);
      expect(end).toMatchObject({ ok: true, reason: '2 of 2 connections accepted, 2 ended as asked' });
      for (const id of ids) expect(events.find((e) => e.type === 'endpoint-end' && e.endpointId === id)).toMatchObject({ ok: true });
    } finally {
      for (const client of clients) client.stop();
    }
  }, 60_000);

  it('listen for two peers in step mode: each accepted conversation proposes its own SYN+ACK, sent only when stepped', async () => {
    const port = 7303;
    const clientScript = `const s = require('net').connect({ host: '${UNOWNED}', port: ${port} }, () => console.log('connected ' + s.localPort)); s.on('error', (e) => console.log('error ' + e.code));`;
    const opened = await call('openEndpoint', params({ remote: null, remotePort: null, local: UNOWNED, localPort: port, connections: 2, step: true }));
    const clients: NodeInNamespace[] = [];
    try {
      const ids: string[] = [];
      for (const [i, window] of [1111, 2222].entries()) {
        clients.push(nodeInNamespace(lab.server.ns, clientScript));
        const accepted = await waitForEvent((e) => e.type === 'endpoint-accepted' && e.endpointId === opened.endpointId && !ids.includes(e.connectionId));
        const id = accepted.type === 'endpoint-accepted' ? accepted.connectionId : '';
        ids.push(id);
        let proposal = await call('endpointProposal', { endpointId: id });
        for (let tries = 0; tries < 100 && !proposal.proposal; tries++) {
          await sleep(50);
          proposal = await call('endpointProposal', { endpointId: id });
        }
        expect(proposal).toMatchObject({ state: 'SYN_RECEIVED', proposal: { reason: 'syn-ack', flags: 0x12, seq: 0, ack: 1 } });
        // Held until stepped: the Linux client is not connected yet.
        await sleep(300);
        expect(clients[i].lines.some((line) => line.startsWith('connected'))).toBe(false);
        const sent = await call('endpointStep', { endpointId: id, edit: { window } });
        expect(sent.sent).toMatchObject({ flags: 0x12, window });
        await clients[i].waitFor(/^connected /);
        await waitForEvent((e) => e.type === 'endpoint-state' && e.endpointId === id && e.to === 'ESTABLISHED');
      }
      // The first is reset by stepping its RST; the second stays connected.
      await call('endpointClose', { endpointId: ids[0], how: 'rst' });
      expect((await call('endpointProposal', { endpointId: ids[0] })).proposal).toMatchObject({ reason: 'rst' });
      await call('endpointStep', { endpointId: ids[0] });
      expect(await clients[0].waitFor(/^error /)).toBe('error ECONNRESET');
      expect(clients[1].lines.some((line) => line.startsWith('error'))).toBe(false);
      await call('stopEndpoint', { endpointId: opened.endpointId });
      expect(await clients[1].waitFor(/^error /)).toBe('error ECONNRESET');
      expect(await waitForEvent((e) => e.type === 'endpoint-end' && e.endpointId === opened.endpointId)).toMatchObject({ reason: '2 of 2 connections accepted, 2 ended as asked' });
    } finally {
      for (const client of clients) client.stop();
    }
  }, 60_000);

  it('refuses bad arguments, naming them', async () => {
    const bad = async (change: Record<string, unknown>) => {
      try {
        await dispatch(backend.handlers, 'openEndpoint', { ...params(), ...change });
      } catch (error) {
        if (error instanceof ApiError) return error;
        throw error;
      }
      throw new Error('expected a refusal');
    };
    expect((await bad({ windowScale: 15 })).message).toMatch(/windowScale: above 14/);
    expect((await bad({ remotePort: null })).message).toMatch(/both remote and remotePort/);
    expect((await bad({ remote: null, remotePort: null, localPort: null })).message).toMatch(/localPort/);
    expect((await bad({ local: 'nope; rm' })).code).toBe('invalid');
  }, 30_000);
});
