/**
 * Picks the transport: the Electron preload's API when present, otherwise the browser
 * host's WebSocket (same origin). The rest of the renderer sees one WorkbenchApi either way.
 *
 * The host's printed URL carries the token in its fragment (#token=…), which no browser
 * sends over HTTP. The page moves it into sessionStorage (this tab only, survives a
 * reload), removes it from the address bar and history, and offers it as a WebSocket
 * subprotocol: never a cookie, never a query string.
 */
import { API_PROTOCOL, createApiClient, decodeBinaryMessage, RpcPeer, TOKEN_PROTOCOL_PREFIX, type WorkbenchApi } from '../../../shared/api';

export interface Connection {
  api: WorkbenchApi;
  /** Called when the transport drops (host stopped, engine gone). */
  onDisconnect(listener: (reason: string) => void): void;
}

const TOKEN_KEY = 'handshake.token';

/** The token from the URL fragment (then stored and removed from the address bar), or the stored one. */
function takeToken(): string {
  const fromFragment = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromFragment) {
    sessionStorage.setItem(TOKEN_KEY, fromFragment);
    history.replaceState(history.state, '', `${location.pathname}${location.search}`);
  }
  const token = sessionStorage.getItem(TOKEN_KEY) ?? '';
  // Only characters a subprotocol may hold (the host's tokens are base64url).
  return /^[A-Za-z0-9_-]+$/.test(token) ? token : 'none';
}

export async function connect(): Promise<Connection> {
  const listeners = new Set<(reason: string) => void>();
  if (window.handshake) {
    return { api: window.handshake, onDisconnect: (listener) => listeners.add(listener) };
  }
  const token = takeToken();
  const socket = new WebSocket(`ws://${location.host}/api`, [API_PROTOCOL, `${TOKEN_PROTOCOL_PREFIX}${token}`]);
  const peer = new RpcPeer((message) => socket.send(JSON.stringify(message)));
  // Results holding typed-array columns (stream graphs) come as binary frames (shared/api/binary.ts).
  socket.binaryType = 'arraybuffer';
  socket.addEventListener('message', (event) => {
    try {
      if (typeof event.data === 'string') peer.receive(JSON.parse(event.data));
      else if (event.data instanceof ArrayBuffer) peer.receive(decodeBinaryMessage(new Uint8Array(event.data)));
    } catch {
      // neither JSON nor a well-formed binary frame: ignored, as the host never sends such a thing
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    const reason = token === 'none' ? 'no access token: open the full URL that `handshake ui` printed' : 'cannot reach the workbench host (stopped, or an old token?)';
    socket.addEventListener('error', () => reject(new Error(reason)), { once: true });
  });
  socket.addEventListener('close', () => {
    peer.failAll('the connection to the workbench host closed');
    for (const listener of listeners) listener('the connection to the workbench host closed');
  });
  return { api: createApiClient(peer), onDisconnect: (listener) => listeners.add(listener) };
}
