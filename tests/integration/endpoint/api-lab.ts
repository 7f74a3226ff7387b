/**
 * The set-up the endpoint's API tests share: a veth pair, the capture helper launched in the
 * client's namespace, a Linux peer program in the server's, and an engine Backend (what the UI
 * talks to) whose events are kept in order.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dispatch, type ApiContract, type ApiEvent } from '../../../shared/api';
import { Backend } from '../../../electron/engine/backend';
import { buildHelper, createVethLab, nodeInNamespace, sleep, type NodeInNamespace, type VethLab } from '../capture/support';

export interface EndpointApiLab {
  lab: VethLab;
  helperPath: string;
  /** The peer's program, printing what its kernel delivered. */
  peer: NodeInNamespace;
  backend: Backend;
  /** The backend's spool directory, removed by close(). */
  dir: string;
  events: ApiEvent[];
  /** A validated API call, typed by its method. */
  call<M extends keyof ApiContract>(method: M, body: ApiContract[M]['params']): Promise<ApiContract[M]['result']>;
  /** The first event so far or to come that `match` accepts. */
  waitForEvent(match: (event: ApiEvent) => boolean, timeoutMs?: number): Promise<ApiEvent>;
  close(): Promise<void>;
}

/** `peerProgram` gets the server's address and must print 'listening' once it listens. */
export async function openEndpointApiLab(tag: string, peerProgram: (serverIp: string) => string): Promise<EndpointApiLab> {
  const helperPath = buildHelper();
  const lab = createVethLab(tag);
  process.env.HANDSHAKE_HELPER_PATH = helperPath;
  process.env.HANDSHAKE_HELPER_LAUNCHER = `ip netns exec ${lab.client.ns}`;
  const dir = mkdtempSync(path.join(os.tmpdir(), `hs-${tag}-`));
  const events: ApiEvent[] = [];
  let peer: NodeInNamespace | null = null;
  let backend: Backend | null = null;
  const close = async () => {
    await backend?.dispose();
    peer?.stop();
    lab.destroy();
    delete process.env.HANDSHAKE_HELPER_PATH;
    delete process.env.HANDSHAKE_HELPER_LAUNCHER;
    rmSync(helperPath, { force: true });
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    peer = nodeInNamespace(lab.server.ns, peerProgram(lab.server.ip));
    await peer.waitFor(/listening/);
    backend = new Backend({ host: 'browser', version: 'test', spoolDirectory: dir });
    backend.subscribe((event) => events.push(event));
  } catch (error) {
    await close();
    throw error;
  }
  const ready = backend;
  return {
    lab,
    helperPath,
    peer,
    backend: ready,
    dir,
    events,
    call: async (method, body) => (await dispatch(ready.handlers, method, body)) as never,
    async waitForEvent(match, timeoutMs = 10_000) {
      for (let waited = 0; waited < timeoutMs; waited += 20) {
        const found = events.find(match);
        if (found) return found;
        await sleep(20);
      }
      throw new Error(`no such event; saw ${[...new Set(events.map((event) => event.type))].join(', ')}`);
    },
    close,
  };
}
