import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startHost, type RunningHost } from '../../../electron/host/server';
import { API_PROTOCOL, TOKEN_PROTOCOL_PREFIX } from '../../../shared/api';
import { bundleForTest } from '../../support/bundle';

/** Plain HTTP GET returning status, headers and body (no redirects, no cookies unless given). */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      })
      .on('error', reject);
  });
}

/** Tries a WebSocket upgrade; resolves with the HTTP status of a refusal, or 101 when it opened. */
function upgrade(url: string, headers: Record<string, string> = {}, protocols: string[] = []): Promise<{ status: number; socket: WebSocket | null }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, protocols, { headers });
    socket.on('open', () => resolve({ status: 101, socket }));
    socket.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0, socket: null }));
    socket.on('error', () => resolve({ status: 0, socket: null }));
  });
}

describe('browser host: 127.0.0.1 only, token required for the API', () => {
  let host: RunningHost;
  let rendererDir: string;
  const PAGE = '<!doctype html><title>renderer page</title>';
  const api = () => `ws://127.0.0.1:${host.port}/api`;
  const withToken = (token: string) => [API_PROTOCOL, `${TOKEN_PROTOCOL_PREFIX}${token}`];

  beforeAll(async () => {
    rendererDir = mkdtempSync(path.join(os.tmpdir(), 'hs-host-test-'));
    writeFileSync(path.join(rendererDir, 'index.html'), PAGE);
    host = await startHost({ port: 0, rendererDir });
  });
  afterAll(async () => {
    await host?.close();
    rmSync(rendererDir, { recursive: true, force: true });
  });

  it('prints a URL on 127.0.0.1 whose token (at least 128 bits) is in the fragment, never sent over HTTP', () => {
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]+$/);
    expect(new URL(host.url).search).toBe('');
    expect(Buffer.from(host.token, 'base64url').length).toBeGreaterThanOrEqual(16);
  });

  it('serves the static bundle (no secrets) without a token, with a strict CSP and no cookie', async () => {
    const response = await get(`http://127.0.0.1:${host.port}/`);
    expect(response.status).toBe(200);
    expect(response.body).toContain('renderer page');
    expect(response.headers['set-cookie']).toBeUndefined();
    expect(response.headers['content-security-policy']).toContain("default-src 'none'");
    expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    expect(response.headers['referrer-policy']).toBe('no-referrer');
  });

  it('a foreign Host header (DNS rebinding) gets 403, for pages and for the API even with the token', async () => {
    expect((await get(`http://127.0.0.1:${host.port}/`, { Host: `evil.example:${host.port}` })).status).toBe(403);
    expect((await upgrade(api(), { Host: `evil.example:${host.port}` }, withToken(host.token))).status).toBe(403);
  });

  it('path traversal outside the renderer directory is not served', async () => {
    const response = await get(`http://127.0.0.1:${host.port}/..%2f..%2f..%2fetc%2fpasswd`);
    expect(response.status).toBe(404);
    expect(response.body).not.toContain('root:');
  });

  it('the API socket refuses a missing or wrong token, a token in the query or a cookie, and a foreign origin', async () => {
    expect((await upgrade(api())).status).toBe(403);
    expect((await upgrade(api(), {}, withToken('nope'))).status).toBe(403);
    const wrong = host.token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect((await upgrade(api(), {}, withToken(wrong))).status).toBe(403);
    expect((await upgrade(`${api()}?token=${host.token}`)).status).toBe(403);
    expect((await upgrade(api(), { Cookie: `handshake_token=${host.token}` })).status).toBe(403);
    expect((await upgrade(api(), { Origin: 'http://evil.example' }, withToken(host.token))).status).toBe(403);
    expect((await upgrade(api(), { Origin: 'http://127.0.0.1:1' }, withToken(host.token))).status).toBe(403);
  });

  it('with the token as a subprotocol, the socket opens (answering only the API protocol) and validates requests', async () => {
    const { status, socket } = await upgrade(api(), { Origin: `http://127.0.0.1:${host.port}` }, withToken(host.token));
    expect(status).toBe(101);
    if (!socket) throw new Error('no socket');
    expect(socket.protocol).toBe(API_PROTOCOL);
    const replies: unknown[] = [];
    const two = new Promise<void>((resolve) =>
      socket.on('message', (data) => {
        replies.push(JSON.parse(data.toString()));
        if (replies.length === 2) resolve();
      }),
    );
    socket.send(JSON.stringify({ kind: 'request', id: 1, method: 'hello', params: null }));
    socket.send(JSON.stringify({ kind: 'request', id: 2, method: 'getRows', params: { sessionId: 's1', start: -4, count: 1, filter: '' } }));
    await two;
    socket.close();
    const byId = new Map(replies.map((r) => [(r as { id: number }).id, r]));
    expect(byId.get(1)).toMatchObject({ ok: true, result: { host: 'browser', sessions: [] } });
    expect(byId.get(2)).toMatchObject({ ok: false, error: { code: 'invalid' } });
  });

  const externalAddresses = Object.values(os.networkInterfaces())
    .flat()
    .filter((a): a is os.NetworkInterfaceInfo => !!a && a.family === 'IPv4' && !a.internal);
  it.skipIf(externalAddresses.length === 0)('listens on 127.0.0.1 only (not on this machine\'s other addresses)', async () => {
    for (const address of externalAddresses) {
      await expect(get(`http://${address.address}:${host.port}/`)).rejects.toThrow(/ECONNREFUSED/);
    }
  });
});

describe('`handshake ui` command', () => {
  let bundle = '';
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hs-ui-cli-'));
    bundle = bundleForTest('ui-cli', { source: "import { runUi } from './electron/cli/commands/ui'; runUi(process.argv.slice(2)).then((code) => process.exit(code));" });
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(bundle, { force: true });
  });

  function runCli(args: string[]): Promise<{ code: number | null; firstLine: string; stderr: string; stop: () => void }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [bundle, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('\n')) resolve({ code: null, firstLine: stdout.split('\n')[0], stderr, stop: () => child.kill('SIGTERM') });
      });
      child.on('exit', (code) => resolve({ code, firstLine: stdout.split('\n')[0], stderr, stop: () => undefined }));
    });
  }

  it('prints the full URL with the token first, on a free port, and serves until killed', async () => {
    const started = await runCli(['--port', '0']);
    try {
      expect(started.firstLine).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]{20,}$/);
      const port = new URL(started.firstLine).port;
      expect((await upgrade(`ws://127.0.0.1:${port}/api`)).status).toBe(403);
    } finally {
      started.stop();
    }
  });

  it('usage errors exit 2; an unreadable capture exits 3 with a one-line reason', async () => {
    expect((await runCli(['--port', 'eighty'])).code).toBe(2);
    expect((await runCli(['--bogus'])).code).toBe(2);
    const junk = path.join(dir, 'junk.pcap');
    writeFileSync(junk, 'not a capture');
    const bad = await runCli([junk, '--port', '0']);
    expect(bad.code).toBe(3);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect((await runCli([path.join(dir, 'missing.pcap'), '--port', '0'])).code).toBe(3);
  });
});
