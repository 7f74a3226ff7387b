/**
 * The browser host: serves the built renderer and the typed API over a WebSocket, on
 * 127.0.0.1 only. The static bundle holds no secrets and is served to anyone who names
 * this host (Host header checked against DNS rebinding). The API socket needs the random
 * token, which the printed URL carries in its fragment (never sent over HTTP); the page
 * keeps it in sessionStorage and presents it as a WebSocket subprotocol. No cookie: a
 * cookie for 127.0.0.1 would go to every other server on 127.0.0.1, whatever its port.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { API_PROTOCOL, dispatch, encodeBinaryMessage, hasColumns, parseMessage, requestIdOf, toErrorBody, TOKEN_PROTOCOL_PREFIX, type Message } from '../../shared/api';
import { Backend } from '../engine/backend';
import { createHelperCaptureProvider } from '../engine/helper-capture-provider';

export interface HostOptions {
  /** 0 picks a free port. */
  port?: number;
  /** Capture file opened before the URL is printed. */
  file?: string;
  /** NSS key log attached to that file (TLS decryption). */
  tlsKeylog?: string;
  /** Directory of the built renderer (index.html + assets). */
  rendererDir?: string;
  /** Fixed token (tests); random otherwise. */
  token?: string;
  /** ssh -F for remote capture points started from the UI. */
  sshConfig?: string;
  backend?: Backend;
}

export interface RunningHost {
  url: string;
  port: number;
  token: string;
  backend: Backend;
  close(): Promise<void>;
}

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

/** The token offered as a subprotocol (`Sec-WebSocket-Protocol: handshake.v1, handshake.token.…`). */
function protocolToken(header: string | string[] | undefined): string | null {
  const value = Array.isArray(header) ? header.join(',') : (header ?? '');
  for (const part of value.split(',')) {
    const protocol = part.trim();
    if (protocol.startsWith(TOKEN_PROTOCOL_PREFIX)) return protocol.slice(TOKEN_PROTOCOL_PREFIX.length);
  }
  return null;
}

const BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n';
const FORBIDDEN = 'HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n';

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
  const backend = options.backend ?? new Backend({ host: 'browser', version: '0.1.0', capture: createHelperCaptureProvider(), prefetchCaptureProbes: true, warmUp: true, sshConfig: options.sshConfig });
  const sockets = new Set<WebSocket>();
  let port = 0;

  // A foreign Host header means DNS rebinding or a proxy: refuse outright.
  const knownHost = (req: http.IncomingMessage): boolean => {
    const host = req.headers.host ?? '';
    return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
  };
  // Browsers always send Origin on a WebSocket; only a page served by this host may connect.
  const knownOrigin = (req: http.IncomingMessage): boolean => {
    const origin = req.headers.origin;
    return origin === undefined || origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
  };

  const plain = (res: http.ServerResponse, status: number, text: string) => {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(text);
  };

  const server = http.createServer((req, res) => {
    res.on('error', () => undefined);
    if (!knownHost(req)) return plain(res, 403, '403 forbidden: unknown Host header\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' });
      return res.end();
    }
    let relative: string;
    try {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      relative = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname).replace(/^\/+/, '');
    } catch {
      return plain(res, 400, '400 bad request: malformed URL\n');
    }
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
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : readFileSync(file));
  });

  // A client that breaks HTTP (bad bytes, reset) loses its own connection, nothing more.
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end(BAD_REQUEST);
    else socket.destroy();
  });
  server.on('connection', (socket) => socket.on('error', () => socket.destroy()));

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    // Answer with the API protocol only; echoing the token protocol would put it in a response header.
    handleProtocols: (protocols) => (protocols.has(API_PROTOCOL) ? API_PROTOCOL : false),
  });
  wss.on('error', () => undefined);
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    let pathname: string;
    try {
      pathname = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    } catch {
      socket.end(BAD_REQUEST);
      return;
    }
    if (pathname !== '/api' || !knownHost(req) || !knownOrigin(req) || !tokensEqual(protocolToken(req.headers['sec-websocket-protocol']), token)) {
      socket.end(FORBIDDEN);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws));
  });

  const send = (ws: WebSocket, message: Message) => {
    if (ws.readyState !== ws.OPEN) return;
    // Typed-array columns (stream graphs) go as one binary frame; everything else as JSON text.
    if (hasColumns(message)) ws.send(encodeBinaryMessage(message), { binary: true });
    else ws.send(JSON.stringify(message));
  };

  const serveSocket = (ws: WebSocket) => {
    sockets.add(ws);
    // Conversations this client started (scripts, endpoints) end with it: nobody is left to stop them.
    const owned = new Set<string>();
    ws.on('close', () => {
      sockets.delete(ws);
      for (const id of owned) void backend.stopRun(id).catch(() => undefined);
    });
    // A malformed frame or an oversized message: ws closes that socket (1002/1009) and reports here.
    ws.on('error', () => ws.terminate());
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
        const started = message.method === 'openEndpoint' ? (result as { endpointId: string }).endpointId : message.method === 'runScript' ? (result as { runId: string }).runId : null;
        if (started !== null) {
          if (ws.readyState === ws.OPEN) owned.add(started);
          else void backend.stopRun(started).catch(() => undefined); // the client left while it started
        }
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

  if (options.file) {
    const opened = await backend.openFile(options.file);
    if (options.tlsKeylog) await backend.attachKeyLog(opened.sessionId, options.tlsKeylog);
  }

  return {
    // In the fragment: browsers never send it to any server, and the page removes it from the address bar.
    url: `http://127.0.0.1:${port}/#token=${token}`,
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
