/**
 * The engine entry (what Electron runs as a utilityProcess) run as a plain Node child:
 * it answers typed requests over its message port, validates them, and survives garbage.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMessage, type Message } from '../../../shared/api';
import { bundleForTest } from '../../support/bundle';

let bundle = '';

describe('engine process', () => {
  let engine: ChildProcess;
  const replies = new Map<number, Message>();
  const waiting = new Map<number, (message: Message) => void>();

  beforeAll(() => {
    bundle = bundleForTest('engine', 'electron/engine/main.ts');
    engine = fork(bundle, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    engine.on('message', (raw) => {
      const message = parseMessage(raw);
      if (message.kind !== 'response') return;
      replies.set(message.id, message);
      waiting.get(message.id)?.(message);
    });
  });
  afterAll(() => {
    engine?.kill();
    rmSync(bundle, { force: true });
  });

  function request(id: number, method: string, params: unknown): Promise<Message> {
    return new Promise((resolve) => {
      waiting.set(id, resolve);
      engine.send({ kind: 'request', id, method, params });
    });
  }

  it('answers hello as the Electron-side backend', async () => {
    const reply = await request(1, 'hello', null);
    expect(reply).toMatchObject({ kind: 'response', ok: true, result: { host: 'electron', sessions: [] } });
  });

  it('refuses bad params with an invalid error, and ignores messages that are not envelopes', async () => {
    engine.send('garbage');
    engine.send({ kind: 'request', id: 'x', method: 'hello' });
    const unknown = await request(3, 'rm -rf', null);
    expect(unknown).toMatchObject({ ok: false, error: { code: 'invalid', message: expect.stringMatching(/unknown method/) } });
    const reply = await request(2, 'getRows', { sessionId: 's1', start: 0, count: 1e9, filter: '' });
    expect(reply).toMatchObject({ ok: false, error: { code: 'invalid' } });
    const missing = await request(4, 'getFrame', { sessionId: 's9', index: 0 });
    expect(missing).toMatchObject({ ok: false, error: { code: 'not-found' } });
    expect(engine.exitCode).toBeNull();
  });
});
