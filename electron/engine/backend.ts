/**
 * The backend behind the typed API: owns the sessions (opened files, live captures),
 * implements every request handler and publishes the event stream. The browser host
 * runs it in-process; Electron runs it inside the engine utilityProcess. Both feed it
 * requests through `dispatch`, which validates params first.
 */
import path from 'node:path';
import {
  ApiError,
  type ApiEvent,
  type ApiHandlers,
  type HostInfo,
  type SessionInfo,
} from '../../shared/api';
import { exportFrames } from './export';
import { FileSession } from './session';
import type { CaptureProvider } from './capture-provider';

export interface BackendOptions {
  host: HostInfo['host'];
  version: string;
  /** Live capture and injection; absent when no helper is available. */
  capture?: CaptureProvider;
  /** Native dialogs and recent files live in Electron's main process; the host has none. */
  recentFiles?: () => string[];
  rememberFile?: (filePath: string) => void;
  /** Where spool files of live captures are written. */
  spoolDirectory?: string;
}

type Listener = (event: ApiEvent) => void;

export class Backend {
  private readonly sessions = new Map<string, FileSession>();
  private readonly listeners = new Set<Listener>();
  private nextSession = 1;
  readonly handlers: ApiHandlers;

  constructor(private readonly options: BackendOptions) {
    this.handlers = this.createHandlers();
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: ApiEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // one broken subscriber must not starve the others
      }
    }
  }

  /** Opens a capture file and starts indexing it; resolves once the header was read. */
  async openFile(filePath: string): Promise<SessionInfo> {
    const sessionId = `s${this.nextSession++}`;
    const session = new FileSession(sessionId, path.resolve(filePath), (event) => this.emit(event));
    this.sessions.set(sessionId, session);
    try {
      await session.open();
    } catch (error) {
      this.sessions.delete(sessionId);
      await session.close();
      throw error;
    }
    this.options.rememberFile?.(path.resolve(filePath));
    this.emit({ type: 'session-opened', session: session.info() });
    return session.info();
  }

  private session(sessionId: string): FileSession {
    const session = this.sessions.get(sessionId);
    if (!session) throw new ApiError('not-found', `no session ${sessionId} (it was closed or never opened)`);
    return session;
  }

  async dispose(): Promise<void> {
    for (const session of this.sessions.values()) await session.close();
    this.sessions.clear();
    this.listeners.clear();
  }

  private createHandlers(): ApiHandlers {
    const capture = () => {
      const provider = this.options.capture;
      if (!provider) throw new ApiError('unavailable', 'live capture is not available in this build');
      return provider;
    };
    return {
      hello: async () => ({
        host: this.options.host,
        version: this.options.version,
        nativeDialogs: false,
        sessions: [...this.sessions.values()].map((s) => s.info()),
      }),
      openFile: async ({ path: filePath }) => this.openFile(filePath),
      cancelOpen: async ({ sessionId }) => {
        this.session(sessionId).cancel();
        return null;
      },
      closeSession: async ({ sessionId }) => {
        const session = this.session(sessionId);
        this.sessions.delete(sessionId);
        await session.close();
        return null;
      },
      getRows: async (params) => this.session(params.sessionId).rows(params.start, params.count, params.filter),
      findRow: async ({ sessionId, filter, index }) => ({
        position: await this.session(sessionId).findRow(filter, index),
      }),
      getFrame: async ({ sessionId, index }) => this.session(sessionId).frame(index),
      getConnections: async ({ sessionId }) => this.session(sessionId).connections(),
      getLadder: async ({ sessionId, stream, limit }) => this.session(sessionId).ladder(stream, limit),
      listInterfaces: async () => ({ interfaces: await capture().listInterfaces() }),
      validateBpf: async ({ filter, linkType }) => capture().validateBpf(filter, linkType),
      startCapture: async () => {
        capture();
        throw new ApiError('unavailable', 'live capture sessions are not wired yet');
      },
      stopCapture: async ({ sessionId }) => {
        this.session(sessionId);
        return null;
      },
      send: async (params) => {
        const sent = await capture().send(params);
        return { sent, sessionId: null };
      },
      saveAs: async ({ sessionId, path: target, format }) => this.session(sessionId).saveAs(target, format),
      exportFrames: async (params) => exportFrames(params),
      chooseOpenPath: async () => ({ path: null }),
      chooseSavePath: async () => ({ path: null }),
      recentFiles: async () => ({ paths: this.options.recentFiles?.() ?? [] }),
      restartEngine: async () => null,
    };
  }
}
