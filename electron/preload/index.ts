/**
 * The sandboxed preload: exposes exactly the typed WorkbenchApi, nothing of Node or
 * Electron. Results and events are validated here before the page sees them.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { ApiError, createApiClient, type ErrorCode, type Method } from '../../shared/api';

type Reply = { ok: true; result: unknown } | { ok: false; error: { code: ErrorCode; message: string } };

const api = createApiClient({
  async call(method: Method, params: unknown) {
    const reply = (await ipcRenderer.invoke('handshake:call', method, params)) as Reply;
    if (reply.ok) return reply.result;
    throw new ApiError(reply.error.code, reply.error.message);
  },
  subscribe(listener) {
    const handler = (_event: IpcRendererEvent, payload: unknown) => listener(payload);
    ipcRenderer.on('handshake:event', handler);
    return () => ipcRenderer.removeListener('handshake:event', handler);
  },
});

contextBridge.exposeInMainWorld('handshake', api);
