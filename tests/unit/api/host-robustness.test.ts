/**
 * The browser host survives hostile clients (issue 11): raw bytes over net.Socket that
 * break HTTP, break the WebSocket framing, announce a message over the size limit, or
 * reset the connection. The host runs as its own process (as `handshake ui` does), so a
 * crash shows as an exit; after each attack it must still serve a page and the API.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { API_PROTOCOL, TOKEN_PROTOCOL_PREFIX } from '../../../shared/api';
import { bundleForTest } from '../../support/bundle';

/** Sends raw bytes, collects what comes back until the peer closes (or `ms` passes). */
function raw(port: number, bytes: Buffer | string, ms = 3000): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let reply = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(reply);
    }, ms);
    socket.on('data', (chunk) => (reply += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(reply);
    });
    socket.write(bytes);
  });
}

/** Opens a WebSocket by hand (so later frames can be anything); resolves once the 101 arrived. */
function rawUpgrade(port: number, token: string): Promise<{ socket: net.Socket; received: () => string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    let done = false;
    const closed = new Promise<void>((resolveClosed) => socket.on('close', () => resolveClosed()));
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      if (!done && data.includes('\r\n\r\n')) {
        done = true;
        if (!data.startsWith('HTTP/1.1 101')) reject(new Error(`upgrade refused: ${data.split('\r\n')[0]}`));
        else resolve({ socket, received: () => data, closed });
      }
    });
    socket.write(
      [
        'GET /api HTTP/1.1',
        `Host: 127.0.0.1:${port}`,
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
        'Sec-WebSocket-Version: 13',
        `Sec-WebSocket-Protocol: ${API_PROTOCOL}, ${TOKEN_PROTOCOL_PREFIX}${token}`,
        '',
        '',
      ].join('\r\n'),
    );
  });
}

/** The close code in a server close frame (opcode 8) found in `data`, or null. */
function closeCode(data: string): number | null {
  const body = data.slice(data.indexOf('\r\n\r\n') + 4);
  const bytes = Buffer.from(body, 'latin1');
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 0x88 && bytes[i + 1] >= 2 && bytes[i + 1] < 126) return bytes.readUInt16BE(i + 2);
  }
  return null;
}

describe('browser host under hostile clients', () => {
  let child: ChildProcess;
  let port = 0;
  let token = '';
  let bundle = '';
  let rendererDir = '';
  let stderr = '';

  beforeAll(async () => {
    rendererDir = mkdtempSync(path.join(os.tmpdir(), 'hs-host-robust-'));
    writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>page</title>');
    bundle = bundleForTest(
      'host-robust',
      { source: `import { startHost } from './electron/host/server'; startHost({ port: 0, rendererDir: ${JSON.stringify(rendererDir)} }).then((h) => process.stdout.write(h.url + '\\n'));` },
    );
    child = spawn(process.execPath, [bundle], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0]);
      });
      child.once('exit', (code) => reject(new Error(`host exited ${code}: ${stderr}`)));
    });
    const parsed = new URL(url);
    port = Number(parsed.port);
    token = new URLSearchParams(parsed.hash.slice(1)).get('token') ?? '';
  });
  afterAll(() => {
    child?.kill('SIGTERM');
    rmSync(rendererDir, { recursive: true, force: true });
    rmSync(bundle, { force: true });
  });

  /** The host still runs, serves its page and answers an API request. */
  async function expectAlive(): Promise<void> {
    expect(child.exitCode, `host died: ${stderr}`).toBeNull();
    const page = await raw(port, `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
    expect(page.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
    const socket = new WebSocket(`ws://127.0.0.1:${port}/api`, [API_PROTOCOL, `${TOKEN_PROTOCOL_PREFIX}${token}`]);
    const reply = await new Promise<unknown>((resolve, reject) => {
      socket.on('open', () => socket.send(JSON.stringify({ kind: 'request', id: 7, method: 'hello', params: null })));
      socket.on('message', (data) => resolve(JSON.parse(data.toString())));
      socket.on('error', reject);
    });
    socket.close();
    expect(reply).toMatchObject({ kind: 'response', id: 7, ok: true });
  }

  it('answers GET /%E0%A4%A (a URI that does not decode) with 400', async () => {
    const reply = await raw(port, `GET /%E0%A4%A HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
    expect(reply.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    await expectAlive();
  });

  it('answers bytes that are not HTTP with 400', async () => {
    const reply = await raw(port, Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 0x00, 0xff, 0x0d, 0x0a, 0x0d, 0x0a]));
    expect(reply.startsWith('HTTP/1.1 400')).toBe(true);
    await expectAlive();
  });

  it('closes a socket that sends a malformed WebSocket frame (1002) and keeps serving', async () => {
    const { socket, received, closed } = await rawUpgrade(port, token);
    // RSV1 set without a negotiated extension, and unmasked: both protocol errors (RFC 6455 §5.2).
    socket.write(Buffer.from([0xc1, 0x02, 0x7b, 0x7d]));
    await closed;
    expect(closeCode(received())).toBe(1002);
    await expectAlive();
  });

  it('closes a socket that announces a message over the size limit (1009) without reading it', async () => {
    const { socket, received, closed } = await rawUpgrade(port, token);
    const header = Buffer.alloc(14);
    header[0] = 0x81; // FIN, text
    header[1] = 0x80 | 127; // masked, 64-bit length
    header.writeBigUInt64BE(64n * 1024n * 1024n, 2);
    randomBytes(4).copy(header, 10);
    socket.write(header);
    await closed;
    expect(closeCode(received())).toBe(1009);
    await expectAlive();
  });

  it('survives connections reset mid-request and mid-WebSocket (socket errors)', async () => {
    await new Promise<void>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`);
        setTimeout(() => {
          socket.resetAndDestroy();
          resolve();
        }, 50);
      });
      socket.on('error', () => undefined);
    });
    const { socket } = await rawUpgrade(port, token);
    // Half a frame, then a reset.
    socket.write(Buffer.from([0x81, 0xfe, 0x10]));
    socket.resetAndDestroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    await expectAlive();
  });
});
