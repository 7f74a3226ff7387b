/**
 * The browser host: serves the built renderer and the typed API over a WebSocket, on
 * 127.0.0.1 only, behind a random token. A request without the token (in the query
 * or in the cookie the first authorised page load sets) gets 403 and no data.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { dispatch, parseMessage, requestIdOf, toErrorBody, type Message } from '../../shared/api';
import { Backend } from '../engine/backend';
import { createHelperCaptureProvider } from '../engine/helper-capture-provider';

export interface HostOptions {
  /** 0 picks a free port. */
  port?: number;
  /** Capture file opened before the URL is printed. */
  file?: string;
  /** Directory of the built renderer (index.html + assets). */
  rendererDir?: string;
  /** Fixed token (tests); random otherwise. */
  token?: string;
  backend?: Backend;
}

export interface RunningHost {
  url: string;
  port: number;
  token: string;
  backend: Backend;
  close(): Promise<void>;
}

const COOKIE = 'handshake_token';
const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.map': 'application/json',
};

/** Finds the built renderer next to the bundle (out/node → out/renderer) or from the sources. */
export function defaultRendererDir(): string {
  const candidates = [path.resolve(__dirname, '..', 'renderer'), path.resolve(__dirname, '..', '..', 'out', 'renderer')];
  return candidates.find((dir) => existsSync(path.join(dir, 'index.html'))) ?? candidates[0];
}

function tokensEqual(given: string | null | undefined, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieToken(header: string | undefined): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === COOKIE) return rest.join('=');
  }
  return null;
}

function securityHeaders(port: number): Record<string, string> {
  return {
    'Content-Security-Policy': [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data: blob:",
      "font-src 'self'",
      `connect-src ws://127.0.0.1:${port}`,
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
    'Cross-Origin-Opener-Policy': 'same-origin',
  };
}

export async function startHost(options: HostOptions = {}): Promise<RunningHost> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const rendererDir = options.rendererDir ?? defaultRendererDir();
  const backend = options.backend ?? new Backend({ host: 'browser', version: '0.1.0', capture: createHelperCaptureProvider(), prefetchCaptureProbes: true, warmUp: true });
  const sockets = new Set<WebSocket>();
  let port = 0;

  const authorised = (req: http.IncomingMessage, url: URL): boolean => {
    // A foreign Host header means DNS rebinding or a proxy: refuse outright.
    const host = req.headers.host ?? '';
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return false;
    return tokensEqual(url.searchParams.get('token'), token) || tokensEqual(cookieToken(req.headers.cookie), token);
  };

  const forbid = (res: http.ServerResponse) => {
    res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end('403 forbidden: open the URL with the token that `handshake ui` printed\n');
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (!authorised(req, url)) return forbid(res);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' });
      return res.end();
    }
    const relative = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname).replace(/^\/+/, '');
    const file = path.resolve(rendererDir, relative);
    if (!file.startsWith(path.resolve(rendererDir) + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
      if (relative === 'index.html') {
        res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' });
        return res.end(`renderer not built (${rendererDir}): run \`npm run build\`\n`);
      }
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      return res.end('not found\n');
    }
    const headers: Record<string, string> = {
      ...securityHeaders(port),
      'Content-Type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
    };
    if (url.searchParams.has('token')) {
      // Assets the page loads carry no query string; the cookie authorises them.
      headers['Set-Cookie'] = `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
    }
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : readFileSync(file));
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const origin = req.headers.origin;
    const sameOrigin = !origin || origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
    if (url.pathname !== '/api' || !sameOrigin || !authorised(req, url)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws));
  });

  const send = (ws: WebSocket, message: Message) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  };

  const serveSocket = (ws: WebSocket) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    ws.on('message', async (data, isBinary) => {
      if (isBinary) return;
      let message: Message;
      let raw: unknown = null;
      try {
        raw = JSON.parse(data.toString());
        message = parseMessage(raw);
      } catch (error) {
        // A request with a usable id gets its refusal; anything else has nobody to answer.
        const id = requestIdOf(raw);
        if (id !== null) send(ws, { kind: 'response', id, ok: false, error: toErrorBody(error) });
        return;
      }
      if (message.kind !== 'request') return;
      try {
        const result = await dispatch(backend.handlers, message.method, message.params);
        send(ws, { kind: 'response', id: message.id, ok: true, result });
      } catch (error) {
        send(ws, { kind: 'response', id: message.id, ok: false, error: toErrorBody(error) });
      }
    });
  };

  const unsubscribe = backend.subscribe((event) => {
    for (const ws of sockets) send(ws, { kind: 'event', event });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  if (options.file) await backend.openFile(options.file);

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    backend,
    async close() {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await backend.dispose();
    },
  };
}
