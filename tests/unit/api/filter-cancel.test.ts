/**
 * A display filter over a large session cannot block the browser host (issue 11): it runs
 * in slices, other requests are answered meanwhile, and Cancel (cancelOpen) stops it. The
 * requests go over the host's WebSocket, so an engine that held the event loop would
 * answer nothing until the filter finished.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Backend } from '../../../electron/engine/backend';
import { createCaptureFileWriter } from '../../../electron/engine/capture-file';
import { startHost, type RunningHost } from '../../../electron/host/server';
import { API_PROTOCOL, TOKEN_PROTOCOL_PREFIX, type ApiEvent } from '../../../shared/api';

const FRAMES = 200_000;

/** Ethernet/IPv4/UDP frames with a 600-byte payload of 'a's: work for a byte-level `matches`. */
function writeCapture(file: string): void {
  const frame = new Uint8Array(14 + 20 + 8 + 600).fill(0x61);
  frame.set([0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, 0x08, 0x00], 0);
  frame.set([0x45, 0, 0x02, 0x74, 0, 0, 0, 0, 64, 17, 0, 0, 198, 18, 0, 1, 198, 18, 0, 2], 14);
  frame.set([0x30, 0x39, 0x00, 0x35, 0x02, 0x60, 0, 0], 34);
  const writer = createCaptureFileWriter(file, 'pcap', { interfaces: [{ linkType: 1 }] });
  for (let i = 0; i < FRAMES; i++) writer.writeFrame({ interfaceId: 0, tsSeconds: 1_700_000_000 + Math.floor(i / 1000), tsNanos: (i % 1000) * 1000, data: frame });
  writer.close();
}

describe('a long display filter through the browser host', () => {
  let dir = '';
  let host: RunningHost;
  let backend: Backend;
  let socket: WebSocket;
  let sessionId = '';
  let nextId = 1;
  const pending = new Map<number, (reply: { ok: boolean; result?: unknown; error?: { code: string; message: string } }) => void>();

  const call = (method: string, params: unknown) =>
    new Promise<{ ok: boolean; result?: unknown; error?: { code: string; message: string } }>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      socket.send(JSON.stringify({ kind: 'request', id, method, params }));
    });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hs-host-cancel-'));
    const file = path.join(dir, 'big.pcap');
    writeCapture(file);
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html>');
    backend = new Backend({ host: 'browser', version: 'test' });
    const indexed = new Promise<void>((resolve) => backend.subscribe((event: ApiEvent) => event.type === 'progress' && event.done && resolve()));
    host = await startHost({ port: 0, rendererDir: dir, backend });
    sessionId = (await backend.openFile(file)).sessionId;
    await indexed;
    socket = new WebSocket(`ws://127.0.0.1:${host.port}/api`, [API_PROTOCOL, `${TOKEN_PROTOCOL_PREFIX}${host.token}`]);
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { kind: string; id: number; ok: boolean };
      if (message.kind === 'response') pending.get(message.id)?.(message);
    });
    await new Promise((resolve) => socket.on('open', resolve));
  }, 180_000);
  afterAll(async () => {
    socket?.close();
    await host?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers other requests while the filter runs, and Cancel stops it', async () => {
    const filter = 'frame matches "(a|b)*z"';
    const started = performance.now();
    let findDone = 0;
    const find = call('findRow', { sessionId, filter, index: FRAMES - 1 }).then((reply) => {
      findDone = performance.now();
      return reply;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const helloSent = performance.now();
    const hello = await call('hello', null);
    const helloMs = performance.now() - helloSent;
    expect(hello.ok).toBe(true);
    // Served between slices, not after the whole scan (which takes seconds).
    expect(findDone, 'the filter was still running when hello was answered').toBe(0);
    expect(helloMs).toBeLessThan(2000);
    const rows = await call('getRows', { sessionId, start: 0, count: 10, filter });
    expect(rows.ok).toBe(true);
    expect((rows.result as { complete: boolean }).complete).toBe(false);
    const cancelled = await call('cancelOpen', { sessionId });
    expect(cancelled.ok).toBe(true);
    const reply = await find;
    expect(reply.ok).toBe(false);
    expect(reply.error?.code).toBe('cancelled');
    expect(reply.error?.message).toMatch(/^display filter cancelled after \d+ of 200000 frames$/);
    expect(findDone - started).toBeLessThan(60_000);
  }, 120_000);
});
