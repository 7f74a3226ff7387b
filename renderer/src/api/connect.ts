/**
 * Picks the transport: the Electron preload's API when present, otherwise the browser
 * host's WebSocket (same origin, token from the page URL). The rest of the renderer
 * sees one WorkbenchApi either way.
 */
import { createApiClient, RpcPeer, type WorkbenchApi } from '../../../shared/api';

export interface Connection {
  api: WorkbenchApi;
  /** Called when the transport drops (host stopped, engine gone). */
  onDisconnect(listener: (reason: string) => void): void;
}

export async function connect(): Promise<Connection> {
  const listeners = new Set<(reason: string) => void>();
  if (window.handshake) {
    return { api: window.handshake, onDisconnect: (listener) => listeners.add(listener) };
  }
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const socket = new WebSocket(`ws://${location.host}/api?token=${encodeURIComponent(token)}`);
  const peer = new RpcPeer((message) => socket.send(JSON.stringify(message)));
  socket.addEventListener('message', (event) => {
    if (typeof event.data !== 'string') return;
    try {
      peer.receive(JSON.parse(event.data));
    } catch {
      // not JSON: ignored, as the host never sends such a thing
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    socket.addEventListener('error', () => reject(new Error('cannot reach the workbench host (wrong or missing token?)')), { once: true });
  });
  socket.addEventListener('close', () => {
    peer.failAll('the connection to the workbench host closed');
    for (const listener of listeners) listener('the connection to the workbench host closed');
  });
  return { api: createApiClient(peer), onDisconnect: (listener) => listeners.add(listener) };
}
