/**
 * Browser-host authentication in real Chromium (issue 11): the token travels in the URL
 * fragment, lives in the tab's sessionStorage and is offered on the WebSocket only. Another
 * server on 127.0.0.1 (another port, so "same site") records every request the browser
 * sends it: none may carry the token. The address bar and history lose the token, and a
 * WebSocket without it is refused, from the host's own page and from the other server's.
 */
import { expect, test } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { startHost, tempDir, type RunningHost } from './support';

/** A one-frame pcap (Ethernet, an ARP request), so a connected page shows the file's name. */
function tinyCapture(): string {
  const file = path.join(tempDir('auth'), 'tiny.pcap');
  const frame = Buffer.from('ffffffffffff0011223344550806000108000604000100112233445598120001000000000000981200020000000000000000000000000000', 'hex');
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20);
  const record = Buffer.alloc(16);
  record.writeUInt32LE(1_700_000_000, 0);
  record.writeUInt32LE(frame.length, 8);
  record.writeUInt32LE(frame.length, 12);
  writeFileSync(file, Buffer.concat([header, record, frame]));
  return file;
}

interface Recorded {
  url: string;
  headers: string;
}

test.describe('browser host: no credential reaches other servers on 127.0.0.1', () => {
  let host: RunningHost;
  let token = '';
  let hostPort = 0;
  let snoop: http.Server;
  let snoopPort = 0;
  const recorded: Recorded[] = [];

  test.beforeAll(async () => {
    host = await startHost([tinyCapture()]);
    const url = new URL(host.url);
    hostPort = Number(url.port);
    token = new URLSearchParams(url.hash.slice(1)).get('token') ?? '';
    expect(token.length).toBeGreaterThanOrEqual(20);
    // Another local user's server: a page with a subresource, a fetch with credentials, and a socket attempt at the host.
    snoop = http.createServer((req, res) => {
      recorded.push({ url: req.url ?? '', headers: req.rawHeaders.join('\n') });
      if (req.url === '/') {
        res.writeHead(200, { 'Content-Type': 'text/html' });
        res.end(`<!doctype html><title>snoop</title><img src="/pixel.png"><script>
          fetch('/api-probe', { credentials: 'include' });
          const ws = new WebSocket('ws://127.0.0.1:${hostPort}/api', ['handshake.v1']);
          ws.onopen = () => (document.title = 'socket-open');
          ws.onerror = () => (document.title = 'socket-refused');
        </script>`);
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((resolve) => snoop.listen(0, '127.0.0.1', () => resolve()));
    snoopPort = (snoop.address() as AddressInfo).port;
  });
  test.afterAll(async () => {
    await host?.stop();
    await new Promise<void>((resolve) => (snoop ? snoop.close(() => resolve()) : resolve()));
  });

  test('the token leaves the address bar and history, and no other local server ever sees it', async ({ page, context }) => {
    const hostRequests: string[] = [];
    page.on('request', (request) => {
      if (request.url().startsWith(`http://127.0.0.1:${hostPort}`)) hostRequests.push(request.url());
    });
    await page.goto(host.url);
    await expect(page.getByTestId('session-name')).toHaveText('tiny.pcap');
    // Out of the address bar (and so out of history), kept in this tab's storage only.
    expect(page.url()).toBe(`http://127.0.0.1:${hostPort}/`);
    expect(await page.evaluate(() => location.hash)).toBe('');
    expect(await page.evaluate(() => sessionStorage.getItem('handshake.token'))).toBe(token);
    expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toContain(token);
    expect((await context.cookies()).length).toBe(0);
    // No HTTP request to the host carried it either (the fragment is never sent).
    for (const url of hostRequests) expect(url).not.toContain(token);

    await page.goto(`http://127.0.0.1:${snoopPort}/`);
    await expect(page).toHaveTitle(/socket-(open|refused)/);
    expect(await page.title()).toBe('socket-refused');
    expect(recorded.map((r) => r.url)).toEqual(expect.arrayContaining(['/', '/pixel.png', '/api-probe']));
    for (const request of recorded) expect(request.headers).not.toContain(token);

    // Back to the host page: no token in the URL history kept, and a reload still connects from sessionStorage.
    await page.goBack();
    expect(page.url()).not.toContain(token);
    await expect(page.getByTestId('session-name')).toHaveText('tiny.pcap');
  });

  test('a WebSocket without the token is refused, even from the host page itself', async ({ page }) => {
    await page.goto(host.url);
    await expect(page.getByTestId('session-name')).toHaveText('tiny.pcap');
    const outcome = await page.evaluate(
      (port) =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(`ws://127.0.0.1:${port}/api`, ['handshake.v1']);
          ws.onopen = () => resolve('open');
          ws.onerror = () => resolve('refused');
        }),
      hostPort,
    );
    expect(outcome).toBe('refused');
    // With a query-string token (the old scheme), refused too.
    const query = await page.evaluate(
      ([port, t]) =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(`ws://127.0.0.1:${port}/api?token=${t}`, ['handshake.v1']);
          ws.onopen = () => resolve('open');
          ws.onerror = () => resolve('refused');
        }),
      [hostPort, token] as const,
    );
    expect(query).toBe('refused');
  });

  test('a fresh tab opened without the fragment says how to get in', async ({ page }) => {
    await page.goto(`http://127.0.0.1:${hostPort}/`);
    await expect(page.getByText(/open the full URL that `handshake ui` printed/)).toBeVisible();
  });
});
