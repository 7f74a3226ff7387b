import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startHost, type RunningHost } from '../../../electron/host/server';
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
function upgrade(url: string, headers: Record<string, string> = {}): Promise<{ status: number; socket: WebSocket | null }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { headers });
    socket.on('open', () => resolve({ status: 101, socket }));
    socket.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0, socket: null }));
    socket.on('error', () => resolve({ status: 0, socket: null }));
  });
}

describe('browser host: 127.0.0.1 only, token required', () => {
  let host: RunningHost;
  let rendererDir: string;
  const SECRET_PAGE = '<!doctype html><title>secret renderer page</title>';

  beforeAll(async () => {
    rendererDir = mkdtempSync(path.join(os.tmpdir(), 'hs-host-test-'));
    writeFileSync(path.join(rendererDir, 'index.html'), SECRET_PAGE);
    host = await startHost({ port: 0, rendererDir });
  });
  afterAll(async () => {
    await host?.close();
    rmSync(rendererDir, { recursive: true, force: true });
  });

  it('prints a URL on 127.0.0.1 with a random token of at least 128 bits', () => {
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+$/);
    expect(Buffer.from(host.token, 'base64url').length).toBeGreaterThanOrEqual(16);
  });

  it('a missing token gets 403 and no data', async () => {
    const response = await get(`http://127.0.0.1:${host.port}/`);
    expect(response.status).toBe(403);
    expect(response.body).not.toContain('secret renderer page');
    const asset = await get(`http://127.0.0.1:${host.port}/index.html`);
    expect(asset.status).toBe(403);
  });

  it('a wrong token (even of the right length) gets 403', async () => {
    const wrong = host.token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    const response = await get(`http://127.0.0.1:${host.port}/?token=${wrong}`);
    expect(response.status).toBe(403);
    expect(response.body).not.toContain('secret renderer page');
    const cookie = await get(`http://127.0.0.1:${host.port}/`, { Cookie: `handshake_token=${wrong}` });
    expect(cookie.status).toBe(403);
  });

  it('a foreign Host header (DNS rebinding) gets 403 even with the token', async () => {
    const response = await get(host.url, { Host: `evil.example:${host.port}` });
    expect(response.status).toBe(403);
  });

  it('the right token serves the page with a strict CSP and sets an HttpOnly cookie for the assets', async () => {
    const response = await get(host.url);
    expect(response.status).toBe(200);
    expect(response.body).toContain('secret renderer page');
    expect(response.headers['content-security-policy']).toContain("default-src 'none'");
    expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    expect(response.headers['referrer-policy']).toBe('no-referrer');
    const cookie = String(response.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    // The cookie alone authorises later asset requests.
    const again = await get(`http://127.0.0.1:${host.port}/index.html`, { Cookie: cookie.split(';')[0] });
    expect(again.status).toBe(200);
  });

  it('path traversal outside the renderer directory is not served', async () => {
    const response = await get(`http://127.0.0.1:${host.port}/..%2f..%2f..%2fetc%2fpasswd?token=${host.token}`);
    expect(response.status).toBe(404);
    expect(response.body).not.toContain('root:');
  });

  it('the API socket refuses a missing or wrong token with 403, and a cross-site origin', async () => {
    expect((await upgrade(`ws://127.0.0.1:${host.port}/api`)).status).toBe(403);
    expect((await upgrade(`ws://127.0.0.1:${host.port}/api?token=nope`)).status).toBe(403);
    const crossSite = await upgrade(`ws://127.0.0.1:${host.port}/api?token=${host.token}`, { Origin: 'http://evil.example' });
    expect(crossSite.status).toBe(403);
  });

  it('with the token, the socket answers API requests and validates them', async () => {
    const { status, socket } = await upgrade(`ws://127.0.0.1:${host.port}/api?token=${host.token}`);
    expect(status).toBe(101);
    if (!socket) throw new Error('no socket');
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
      await expect(get(`http://${address.address}:${host.port}/?token=${host.token}`)).rejects.toThrow(/ECONNREFUSED/);
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
      expect(started.firstLine).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{20,}$/);
      const port = new URL(started.firstLine).port;
      expect((await get(`http://127.0.0.1:${port}/`)).status).toBe(403);
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
