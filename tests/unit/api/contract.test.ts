import { describe, expect, it } from 'vitest';
import {
  ApiError,
  createApiClient,
  dispatch,
  eventValidator,
  methodValidators,
  parseMessage,
  RpcPeer,
  type ApiHandlers,
  type Message,
} from '../../../shared/api';

describe('runtime validators at the process boundary', () => {
  it('rejects hostile getRows params with the path of the bad part', () => {
    const check = methodValidators.getRows.params;
    expect(() => check({ sessionId: 's1', start: -1, count: 10, filter: '' })).toThrow(/start: below 0/);
    expect(() => check({ sessionId: 's1', start: 0, count: 1e9, filter: '' })).toThrow(/count: above 10000/);
    expect(() => check({ sessionId: '../etc', start: 0, count: 1, filter: '' })).toThrow(/sessionId/);
    expect(() => check({ sessionId: 's1', start: 0, count: 1, filter: 7 })).toThrow(/filter: expected a string/);
    expect(() => check([1, 2])).toThrow(/expected an object/);
  });

  it('bounds a Follow Stream page request', () => {
    const check = methodValidators.getFollow.params;
    const base = { sessionId: 's1', kind: 'tcp', stream: 0, http2Stream: null, from: 0, maxBytes: 1024 };
    expect(check(base)).toEqual(base);
    expect(() => check({ ...base, maxBytes: 0 })).toThrow(/maxBytes/);
    expect(() => check({ ...base, maxBytes: 1 << 30 })).toThrow(/maxBytes/);
    expect(() => check({ ...base, kind: 'sctp' })).toThrow(/kind/);
    expect(check({ ...base, kind: 'quic', quicStream: 4, atFrame: 9 })).toEqual({ ...base, kind: 'quic', quicStream: 4, atFrame: 9 });
    expect(() => check({ ...base, kind: 'quic', quicStream: -4 })).toThrow(/quicStream/);
    expect(() => check({ ...base, stream: -1 })).toThrow(/stream/);
  });

  it('drops keys the contract does not declare', () => {
    const checked = methodValidators.openFile.params({ path: '/tmp/a.pcap', __proto__: { evil: 1 }, extra: 'x' });
    expect(Object.keys(checked)).toEqual(['path']);
  });

  it('refuses frames for send that are not lowercase hex bytes', () => {
    const check = methodValidators.send.params;
    const base = { interface: 'veth0', linkType: 1, count: 1, intervalMs: 0 };
    expect(() => check({ ...base, framesHex: ['abc'] })).toThrow(/framesHex\[0\]/);
    expect(() => check({ ...base, framesHex: ['zz'] })).toThrow(/framesHex\[0\]/);
    expect(check({ ...base, framesHex: ['00ff'] }).framesHex).toEqual(['00ff']);
  });

  it('checks detail trees recursively', () => {
    const frame = {
      index: 0,
      number: 1,
      timeEpoch: '1.000000000',
      time: 0,
      linkType: 1,
      bytesHex: '00',
      length: 1,
      stream: -1,
      expert: [],
      tree: [{ label: 'Ethernet II', field: null, offset: 0, length: 14, severity: null, children: [{ label: 'x' }] }],
    };
    expect(() => methodValidators.getFrame.result(frame)).toThrow(/tree\[0\]\.children\[0\]\.field/);
  });

  it('rejects events of unknown type and record keys that would pollute prototypes', () => {
    expect(() => eventValidator({ type: 'shell', command: 'rm' })).toThrow(/unknown type/);
    const stats = JSON.parse(
      '{"type":"stats","sessionId":"a","frames":1,"bytes":1,"framesPerSecond":1,"gaps":0,"connectionsByState":{"__proto__":1}}',
    );
    expect(() => eventValidator(stats)).toThrow(/forbidden key/);
  });

  it('rejects envelopes naming an unknown method', () => {
    expect(() => parseMessage({ kind: 'request', id: 1, method: 'eval', params: null })).toThrow(/unknown method/);
    expect(() => parseMessage({ kind: 'request', id: -5, method: 'hello', params: null })).toThrow(/id/);
  });
});

describe('one API over a message transport', () => {
  /** Wires a client RpcPeer to a dispatcher through JSON text, as the WebSocket does. */
  function connect(handlers: Partial<ApiHandlers>) {
    const client = new RpcPeer((message) => queueMicrotask(() => serve(JSON.stringify(message))));
    const serve = async (text: string) => {
      const message = parseMessage(JSON.parse(text));
      if (message.kind !== 'request') return;
      let reply: Message;
      try {
        const result = await dispatch(handlers as ApiHandlers, message.method, message.params);
        reply = { kind: 'response', id: message.id, ok: true, result };
      } catch (error) {
        const body = error instanceof ApiError ? { code: error.code, message: error.message } : { code: 'failed' as const, message: String(error) };
        reply = { kind: 'response', id: message.id, ok: false, error: body };
      }
      client.receive(JSON.parse(JSON.stringify(reply)));
    };
    return { api: createApiClient(client), client };
  }

  it('round-trips a typed call', async () => {
    const { api } = connect({
      validateBpf: async ({ filter }) => ({ ok: filter === 'tcp', message: filter === 'tcp' ? null : 'syntax error' }),
    });
    await expect(api.validateBpf({ filter: 'tcp', linkType: 1 })).resolves.toEqual({ ok: true, message: null });
    await expect(api.validateBpf({ filter: 'tcpp', linkType: 1 })).resolves.toEqual({ ok: false, message: 'syntax error' });
  });

  it('a backend result that breaks the contract is refused by the client', async () => {
    const { api } = connect({
      recentFiles: async () => ({ paths: [42] }) as unknown as { paths: string[] },
    });
    await expect(api.recentFiles(null)).rejects.toThrow(/recentFiles result\.paths\[0\]/);
  });

  it('the backend refuses bad params before its handler runs', async () => {
    let ran = false;
    const handlers = { closeSession: async () => ((ran = true), null) } as Partial<ApiHandlers>;
    await expect(dispatch(handlers as ApiHandlers, 'closeSession', { sessionId: 42 })).rejects.toMatchObject({ code: 'invalid' });
    expect(ran).toBe(false);
  });

  it('events are delivered only when valid; outstanding calls fail when the peer goes away', async () => {
    const peer = new RpcPeer(() => undefined);
    const api = createApiClient(peer);
    const seen: string[] = [];
    api.onEvent((event) => seen.push(event.type));
    peer.receive({ kind: 'event', event: { type: 'crashed', process: 'engine', message: 'exit code 9' } });
    peer.receive({ kind: 'event', event: { type: 'crashed', process: 'kernel', message: 'x' } });
    expect(seen).toEqual(['crashed']);
    const pending = api.hello(null);
    peer.failAll('engine exited');
    await expect(pending).rejects.toMatchObject({ code: 'unavailable' });
  });
});
