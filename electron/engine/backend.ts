/**
 * The backend behind the typed API: owns the sessions (opened files, live captures),
 * implements every request handler and publishes the event stream. The browser host
 * runs it in-process; Electron runs it inside the engine utilityProcess. Both feed it
 * requests through `dispatch`, which validates params first.
 */
import { mkdtempSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ApiError,
  type ApiEvent,
  type ApiHandlers,
  type CapturePermission,
  type HostInfo,
  type InterfaceInfo,
  type AttachKeyLogResult,
  type RunScriptParams,
  type RecordPageLoadParams,
  type RecordPageLoadResult,
  type OpenEndpointParams,
  type OpenEndpointResult,
  type RunScriptResult,
  type SessionInfo,
  type RemoteHostParams,
  type StartCaptureParams,
} from '../../shared/api';
import { toHex } from '../../shared/wire/bytes';
import { CaptureError, CaptureSession, type CapturePointSpec } from './capture-session';
import { KeyLogFollower } from './keylog-follower';
import { KeyLog } from '../../shared/tls/keylog';
import { BrowserError, findBrowser, interfaceForUrl, startPageRecording, type RunningRecording } from './page-recorder';
import { capturePointSpec, listRemoteInterfaces, parseRemoteTarget, prepareRemoteCapture, type RemoteOptions } from './remote-capture';
import { exportFrames } from './export';
import { createSessionState, FileSession, type SessionLimits, type SessionState } from './session';
import type { CaptureProvider } from './capture-provider';
import { readScriptFile, ScriptRun, writeScriptFile } from './script-run';
import { EndpointRun, type EndpointControl } from './endpoint-run';
import type { EndpointLane } from '../../shared/endpoint/lane';
import { checkCapturePermission, collectSystemInfo } from './system-info';
import { warmUpEngine } from './warm-up';

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
  /**
   * Ask the helper for the interfaces and the capture permission at once, before a window does:
   * each answer costs a helper process, and a window asks for both as it opens.
   */
  prefetchCaptureProbes?: boolean;
  /** Index and serve a small generated capture at start, so the first real file runs on compiled code. */
  warmUp?: boolean;
  /** Per-session limits (frames indexed, free space for inflating gzip files); defaults in resource-limits.ts. */
  limits?: SessionLimits;
  /**
   * ssh -F for remote capture points (`handshake ui --ssh-config`). The renderer can never choose
   * one: an ssh config can run commands (ProxyCommand), so it comes only from the command line.
   */
  sshConfig?: string;
}

/** A prefetched answer is handed out once, and only while this fresh. */
const PREFETCH_FRESH_MS = 15_000;

interface Prefetched<T> {
  at: number;
  answer: Promise<T>;
}

type Listener = (event: ApiEvent) => void;

/** How often a running capture reports its counters. */
const STATS_INTERVAL_MS = 500;

interface RunningCapture {
  capture: CaptureSession;
  session: FileSession;
  timer: ReturnType<typeof setInterval>;
  stopRequested: boolean;
}

/** How long after a session starts the next spare index and tracker are built. */
const SPARE_DELAY_MS = 3000;

export class Backend {
  private readonly sessions = new Map<string, FileSession>();
  private readonly captures = new Map<string, RunningCapture>();
  private readonly recordings = new Map<string, RunningRecording>();
  private nextRecording = 1;
  /** Conversation scripts run from the UI, by run id (ended ones are dropped). */
  private readonly scriptRuns = new Map<string, ScriptRun>();
  private readonly endpointRuns = new Map<string, EndpointControl>();
  /** A script's or endpoint's live session, by session id: closing the session ends its run. */
  private readonly sessionRuns = new Map<string, string>();
  private nextRun = 1;
  private spoolDirectory: string | null = null;
  /** A fresh index and tracker made while idle, so opening a file does not wait for one. */
  private spare: SessionState | null = null;
  private spareTimer: ReturnType<typeof setTimeout> | null = null;
  /** Files opened in this run, newest first (the browser host's "recent files"). */
  private readonly opened: string[] = [];
  private readonly listeners = new Set<Listener>();
  private nextSession = 1;
  readonly handlers: ApiHandlers;

  private prefetchedInterfaces: Prefetched<InterfaceInfo[]> | null = null;
  private prefetchedPermission: Prefetched<CapturePermission> | null = null;

  constructor(private readonly options: BackendOptions) {
    this.handlers = this.createHandlers();
    this.prepareSpare();
    const capture = options.capture;
    if (options.prefetchCaptureProbes && capture) {
      // One after the other: two helper processes starting together slow everything else down.
      const interfaces = capture.listInterfaces();
      this.prefetchedInterfaces = { at: Date.now(), answer: interfaces };
      this.prefetchedPermission = {
        at: Date.now(),
        // The catch also keeps a failed listing from being an unhandled rejection when nobody asks.
        answer: interfaces.catch(() => undefined).then(() => checkCapturePermission(capture)),
      };
    }
    if (options.warmUp) setTimeout(() => void warmUpEngine(), 0).unref?.();
  }

  /** The prefetched answer if it is still fresh (once), else a new one. */
  private static takePrefetched<T>(prefetched: Prefetched<T> | null, fresh: () => Promise<T>): Promise<T> {
    return prefetched && Date.now() - prefetched.at < PREFETCH_FRESH_MS ? prefetched.answer : fresh();
  }

  private prepareSpare(delayMs = 0): void {
    if (this.spare || this.spareTimer) return;
    this.spareTimer = setTimeout(() => {
      this.spareTimer = null;
      this.spare = createSessionState();
    }, delayMs);
    this.spareTimer.unref?.();
  }

  private takeState(): SessionState {
    const state = this.spare ?? createSessionState();
    this.spare = null;
    // Not at once: building one blocks for tens of milliseconds, just when the new session's first rows are asked for.
    this.prepareSpare(SPARE_DELAY_MS);
    return state;
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
  /** Attaches a TLS key log to an open session (the `attachKeyLog` request, and `ui --tls-keylog`). */
  attachKeyLog(sessionId: string, keylogPath: string): Promise<AttachKeyLogResult> {
    return this.session(sessionId).attachKeyLog(keylogPath);
  }

  async openFile(filePath: string): Promise<SessionInfo> {
    const sessionId = `s${this.nextSession++}`;
    const session = new FileSession(sessionId, path.resolve(filePath), (event) => this.emit(event), null, this.takeState(), this.options.limits);
    this.sessions.set(sessionId, session);
    try {
      await session.open();
    } catch (error) {
      this.sessions.delete(sessionId);
      await session.close();
      throw error;
    }
    const resolved = path.resolve(filePath);
    this.options.rememberFile?.(resolved);
    this.opened.splice(0, this.opened.length, resolved, ...this.opened.filter((p) => p !== resolved).slice(0, 9));
    this.emit({ type: 'session-opened', session: session.info() });
    return session.info();
  }

  private session(sessionId: string): FileSession {
    const session = this.sessions.get(sessionId);
    if (!session) throw new ApiError('not-found', `no session ${sessionId} (it was closed or never opened)`);
    session.lastRequest = performance.now();
    return session;
  }

  /** The ssh options for a remote host the renderer named (its text parsed as ssh would be given it safely). */
  private remoteOptions(remote: RemoteHostParams): RemoteOptions {
    let target;
    try {
      target = parseRemoteTarget(remote.host);
    } catch (error) {
      throw new ApiError('invalid', error instanceof Error ? error.message : String(error));
    }
    return { target, sudo: remote.sudo, tool: remote.tool, sshConfig: this.options.sshConfig };
  }

  /**
   * Starts a live capture: a helper process (or an ssh session) per capture point, one pcapng
   * spool, and a session that follows the spool.
   */
  async startCapture(params: StartCaptureParams): Promise<SessionInfo> {
    const filter = params.bpf;
    if (params.tlsKeylog) checkKeyLogPath(params.tlsKeylog);
    const points = [params, ...(params.alsoFrom ?? [])];
    const device = params.interface;
    this.spoolDirectory ??= this.options.spoolDirectory ?? mkdtempSync(path.join(os.tmpdir(), 'handshake-spool-'));
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const spoolPath = path.join(this.spoolDirectory, `capture-${stamp}-${device.replace(/[^A-Za-z0-9_.-]/g, '_')}.pcapng`);
    let capture: CaptureSession;
    let specs: CapturePointSpec[] = [];
    try {
      for (const point of points) {
        const remote = point.remote ? this.remoteOptions(point.remote) : null;
        // The remote link type, reachability, permission and the BPF filter are checked before anything starts.
        if (remote) await prepareRemoteCapture(remote, point.interface, filter);
        // The incoming stream waits on the spool's disk while it is read.
        specs.push(capturePointSpec(point.interface, remote ? { ...remote, streamDirectory: this.spoolDirectory } : null, points.length > 1, filter));
      }
      capture = await CaptureSession.start({ ...specs[0], alsoFrom: specs.slice(1), spoolPath, track: true });
    } catch (error) {
      if (error instanceof CaptureError) {
        const code = error.code === 'permission' ? 'permission' : error.code === 'bad-filter' ? 'invalid' : 'failed';
        throw new ApiError(code, error.advice ? `${error.message}. ${error.advice}` : error.message);
      }
      throw error;
    }
    const sessionId = `s${this.nextSession++}`;
    const shownName = specs.map((spec) => spec.interfaceName).join(' + ');
    specs = [];
    const session = new FileSession(sessionId, spoolPath, (event) => this.emit(event), shownName, this.takeState(), this.options.limits);
    session.capturePoints = capture.points.map((point, index) => ({ name: point.name, remote: points[index].remote !== undefined, filter: point.opened?.appliedFilter ?? filter }));
    this.sessions.set(sessionId, session);
    await session.openLive();
    capture.onFrame(() => session.poke());
    capture.onWarning((message) => this.emit({ type: 'capture-error', sessionId, message }));
    // The session reads the secrets from the spool's Decryption Secrets Blocks, as any capture file's.
    const follower = params.tlsKeylog ? new KeyLogFollower(params.tlsKeylog, new KeyLog(), (lines) => capture.addSecrets(lines), (message, waiting) => this.emit({ type: waiting ? 'capture-note' : 'capture-error', sessionId, message })) : null;
    if (follower) {
      follower.start();
      capture.onBeforeBatch(() => follower.poll());
    }
    const running: RunningCapture = {
      capture,
      session,
      stopRequested: false,
      timer: setInterval(() => this.emitStats(sessionId, capture), STATS_INTERVAL_MS),
    };
    this.captures.set(sessionId, running);
    void capture.waitForEnd().then((end) => {
      follower?.stop();
      clearInterval(running.timer);
      this.emitStats(sessionId, capture);
      this.captures.delete(sessionId);
      session.endLive();
      const reason = end.reason ?? 'stopped';
      this.emit({ type: 'capture-stopped', sessionId, reason });
      if (end.reason && !running.stopRequested) {
        this.emit({ type: 'crashed', process: 'helper', message: `${end.reason}; the ${end.frames} frames captured so far are kept in ${end.spoolPath}` });
      }
    });
    this.emit({ type: 'session-opened', session: session.info() });
    return session.info();
  }

  /** Record page load: the browser and the capture run; the outcome comes as a `pageload-end` event, with the file opened. */
  async recordPageLoad(params: RecordPageLoadParams): Promise<RecordPageLoadResult> {
    let url: URL;
    try {
      url = new URL(params.url);
    } catch {
      throw new ApiError('invalid', `not a URL: ${params.url}`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ApiError('invalid', `only http and https URLs can be recorded, not ${url.protocol}`);
    let browser: ReturnType<typeof findBrowser>;
    try {
      browser = findBrowser(params.browser ?? undefined);
    } catch (error) {
      throw new ApiError('not-found', error instanceof BrowserError ? error.message.replace(/--browser PATH/, 'the Browser field') : String(error));
    }
    let device = params.interface;
    if (!device) {
      try {
        device = await interfaceForUrl(url);
      } catch (error) {
        throw new ApiError('invalid', `${(error as Error).message}; choose the interface`);
      }
    }
    this.spoolDirectory ??= this.options.spoolDirectory ?? mkdtempSync(path.join(os.tmpdir(), 'handshake-spool-'));
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const file = path.join(this.spoolDirectory, `page-load-${url.hostname.replace(/[^\w.-]/g, '_')}-${stamp}.pcapng`);
    const recordingId = `r${this.nextRecording++}`;
    let lastProgress = 0;
    let recording: RunningRecording;
    try {
      recording = await startPageRecording({
        url,
        browser,
        device,
        file,
        headless: params.headless,
        quietSeconds: params.quietSeconds ?? 2,
        timeoutSeconds: params.timeoutSeconds ?? 60,
        browserArgs: params.browserArgs,
        onMessage: (message) => this.emit({ type: 'pageload-progress', recordingId, frames: 0, loaded: false, message }),
        onProgress: ({ frames, loaded }) => {
          if (Date.now() - lastProgress < 250) return;
          lastProgress = Date.now();
          this.emit({ type: 'pageload-progress', recordingId, frames, loaded, message: null });
        },
      });
    } catch (error) {
      if (error instanceof CaptureError) {
        const code = error.code === 'permission' ? 'permission' : 'failed';
        throw new ApiError(code, error.advice ? `${error.message}. ${error.advice}` : error.message);
      }
      throw new ApiError('failed', error instanceof Error ? error.message : String(error));
    }
    this.recordings.set(recordingId, recording);
    void recording.done
      .then(async (result) => {
        const session = await this.openFile(result.file);
        const notes = [...result.notes, ...(result.captureEnd ? [result.captureEnd] : [])];
        this.emit({ type: 'pageload-end', recordingId, ok: true, error: null, session, notes: notes.slice(0, 64), frames: result.frames });
      })
      .catch((error: unknown) => {
        this.emit({ type: 'pageload-end', recordingId, ok: false, error: error instanceof Error ? error.message : String(error), session: null, notes: [], frames: 0 });
      })
      .finally(() => this.recordings.delete(recordingId));
    return { recordingId, browser: browser.path, interface: device, path: file };
  }

  /** Starts a conversation script: its frames go to a live session of their own, its steps out as events. */
  async runScript(params: RunScriptParams): Promise<RunScriptResult> {
    this.spoolDirectory ??= this.options.spoolDirectory ?? mkdtempSync(path.join(os.tmpdir(), 'handshake-spool-'));
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const spoolPath = path.join(this.spoolDirectory, `script-${stamp}-${params.interface.replace(/[^A-Za-z0-9_.-]/g, '_')}.pcapng`);
    const runId = `r${this.nextRun++}`;
    let session: FileSession | null = null;
    const { run, result } = await ScriptRun.start(runId, params, spoolPath, {
      emit: (event) => this.emit(event),
      onSpooled: () => session?.poke(),
      // Our segments show as sent from the workbench, as the editor's do.
      onSent: (bytes) => session?.expectCrafted([toHex(bytes)]),
      onEnd: () => {
        session?.endLive();
        this.scriptRuns.delete(runId);
        if (session) this.sessionRuns.delete(session.sessionId);
      },
    });
    const sessionId = `s${this.nextSession++}`;
    this.sessionRuns.set(sessionId, runId);
    session = new FileSession(sessionId, spoolPath, (event) => this.emit(event), `script on ${params.interface}`, this.takeState(), this.options.limits);
    this.sessions.set(sessionId, session);
    await session.openLive();
    this.scriptRuns.set(runId, run);
    this.emit({ type: 'session-opened', session: session.info() });
    // The answer goes out before the first step's event.
    setTimeout(() => void run.go(), 0);
    return { ...result, sessionId };
  }

  /** Opens the user-space TCP endpoint: its frames go to a live session of their own, its progress out as events. */
  async openEndpoint(params: OpenEndpointParams): Promise<OpenEndpointResult> {
    this.spoolDirectory ??= this.options.spoolDirectory ?? mkdtempSync(path.join(os.tmpdir(), 'handshake-spool-'));
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const spoolPath = path.join(this.spoolDirectory, `endpoint-${stamp}-${params.interface.replace(/[^A-Za-z0-9_.-]/g, '_')}.pcapng`);
    const endpointId = `e${this.nextRun++}`;
    let session: FileSession | null = null;
    // Lanes of conversations accepted before the session exists wait here.
    const lanes: EndpointLane[] = [];
    const { run, result } = await EndpointRun.start(endpointId, params, spoolPath, {
      emit: (event) => {
        // An accepted conversation's end frees its id (the listener's own end is onEnd).
        if (event.type === 'endpoint-end' && event.endpointId !== endpointId) this.endpointRuns.delete(event.endpointId);
        this.emit(event);
      },
      onSpooled: () => session?.poke(),
      onEnd: () => {
        session?.endLive();
        this.endpointRuns.delete(endpointId);
        if (session) this.sessionRuns.delete(session.sessionId);
      },
      onAccepted: (child: EndpointRun) => this.endpointRuns.set(child.endpointId, child),
      onLane: (lane) => {
        if (session) session.showEndpointLane(lane);
        else lanes.push(lane);
      },
    });
    const sessionId = `s${this.nextSession++}`;
    session = new FileSession(sessionId, spoolPath, (event) => this.emit(event), `endpoint on ${params.interface}`, this.takeState(), this.options.limits);
    this.sessions.set(sessionId, session);
    this.sessionRuns.set(sessionId, endpointId);
    for (const lane of lanes) session.showEndpointLane(lane);
    await session.openLive();
    this.endpointRuns.set(endpointId, run);
    this.emit({ type: 'session-opened', session: session.info() });
    return { ...result, sessionId };
  }

  /**
   * Ends a script run or an endpoint (a listener with every conversation it holds) by its id, as
   * Stop does: a live connection is reset, its RST rules removed, its helper ended. Unknown or
   * ended ids are ignored (the browser host calls this for a client that went away).
   */
  async stopRun(id: string): Promise<void> {
    await Promise.all([this.scriptRuns.get(id)?.stop(), this.endpointRuns.get(id)?.stop()]);
  }

  private endpointRun(endpointId: string): EndpointControl {
    const run = this.endpointRuns.get(endpointId);
    if (!run) throw new ApiError('not-found', `no endpoint ${endpointId} (it ended or never started)`);
    return run;
  }

  private scriptRun(runId: string): ScriptRun {
    const run = this.scriptRuns.get(runId);
    if (!run) throw new ApiError('not-found', `no running script ${runId} (it ended or never started)`);
    return run;
  }

  private emitStats(sessionId: string, capture: CaptureSession): void {
    const stats = capture.statistics();
    // Counted per connection by the client side's state, which names the connection's phase.
    const byState: Record<string, number> = {};
    for (const [state, count] of Object.entries(stats.connectionsByState.client)) byState[state] = count;
    this.emit({
      type: 'stats',
      sessionId,
      frames: stats.frames,
      bytes: stats.bytes,
      framesPerSecond: stats.framesPerSecond,
      connectionsByState: byState,
      gaps: stats.sequenceGaps,
    });
  }

  async dispose(): Promise<void> {
    if (this.spareTimer) clearTimeout(this.spareTimer);
    this.spareTimer = null;
    this.spare = null;
    // Each live conversation is reset and its rules and helper go before the engine does.
    await Promise.all([...[...this.scriptRuns.values()].map((run) => run.stop()), ...[...this.endpointRuns.values()].map((run) => run.stop().catch(() => undefined))]);
    // A recording closes its browser and stops its capture; its profile is deleted.
    for (const recording of this.recordings.values()) recording.stop();
    await Promise.all([...this.recordings.values()].map((recording) => recording.done.catch(() => undefined)));
    for (const running of this.captures.values()) {
      running.stopRequested = true;
      clearInterval(running.timer);
      await running.capture.stop().catch(() => undefined);
    }
    this.captures.clear();
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
        // A script's or endpoint's session: closing it ends the conversation too.
        const run = this.sessionRuns.get(sessionId);
        if (run) await this.stopRun(run);
        const running = this.captures.get(sessionId);
        if (running) {
          running.stopRequested = true;
          await running.capture.stop();
        }
        this.sessions.delete(sessionId);
        await session.close();
        return null;
      },
      getRows: async (params) => this.session(params.sessionId).rows(params.start, params.count, params.filter, params.columns, params.sort),
      findRow: async ({ sessionId, filter, index, sort }) => ({
        position: await this.session(sessionId).findRow(filter, index, sort),
      }),
      getFrame: async ({ sessionId, index }) => this.session(sessionId).frame(index),
      getConnections: async ({ sessionId }) => this.session(sessionId).connections(),
      comparePoints: async ({ sessionId, a, b, clockOffset }) => this.session(sessionId).comparePoints(a, b, clockOffset),
      getLadder: async ({ sessionId, stream, limit }) => this.session(sessionId).ladder(stream, limit),
      getStreamGraph: async ({ sessionId, stream, direction, maWindow, overview }) => this.session(sessionId).streamGraph(stream, direction, maWindow, overview),
      getQuicAttempts: async ({ sessionId }) => ({ attempts: await this.session(sessionId).quicAttempts() }),
      getPageLoad: async ({ sessionId }) => ({ rows: await this.session(sessionId).pageLoad() }),
      listInterfaces: async () => {
        const prefetched = this.prefetchedInterfaces;
        this.prefetchedInterfaces = null;
        return { interfaces: await Backend.takePrefetched(prefetched, () => capture().listInterfaces()) };
      },
      validateBpf: async ({ filter, linkType }) => capture().validateBpf(filter, linkType),
      listRemoteInterfaces: async (remote) => {
        try {
          const listed = await listRemoteInterfaces(this.remoteOptions(remote));
          return {
            interfaces: listed.map((entry): InterfaceInfo => ({
              name: entry.name,
              description: entry.description ?? '',
              addresses: entry.addresses.map((address) => address.address),
              mac: entry.mac,
              loopback: entry.loopback,
              linkType: 0,
              linkTypeName: 'unknown until opened',
            })),
          };
        } catch (error) {
          if (error instanceof CaptureError) throw new ApiError(error.code === 'permission' ? 'permission' : 'failed', error.advice ? `${error.message}. ${error.advice}` : error.message);
          throw error;
        }
      },
      startCapture: async (params) => this.startCapture(params),
      stopCapture: async ({ sessionId }) => {
        const running = this.captures.get(sessionId);
        if (!running) throw new ApiError('not-found', `no running capture ${sessionId}`);
        running.stopRequested = true;
        await running.capture.stop();
        return null;
      },
      send: async (params) => {
        // A capture running on that interface records the exchange too; it marks what was sent as crafted.
        const running = [...this.captures.entries()].find(([, candidate]) => candidate.capture.device === params.interface);
        if (running && params.fillLink === false) running[1].session.expectCrafted(params.framesHex);
        const result = await capture().send(params, (bytes) => running?.[1].session.expectCrafted([toHex(bytes)]));
        return { ...result, sessionId: running?.[0] ?? null };
      },
      saveAs: async ({ sessionId, path: target, format, overwrite }) => this.session(sessionId).saveAs(target, format, overwrite === true),
      attachKeyLog: async ({ sessionId, path: keylogPath }) => this.attachKeyLog(sessionId, keylogPath),
      runScript: async (params) => this.runScript(params),
      scriptStep: async ({ runId, mode }) => {
        this.scriptRun(runId).step(mode);
        return null;
      },
      stopScript: async ({ runId }) => {
        await this.scriptRun(runId).stop();
        return null;
      },
      openEndpoint: async (params) => this.openEndpoint(params),
      endpointSend: async ({ endpointId, text }) => ({ queued: this.endpointRun(endpointId).send(text) }),
      endpointClose: async ({ endpointId, how }) => {
        this.endpointRun(endpointId).close(how);
        return null;
      },
      endpointProposal: async ({ endpointId }) => this.endpointRun(endpointId).proposal(),
      endpointStep: async ({ endpointId, edit }) => ({ sent: await this.endpointRun(endpointId).step(edit) }),
      stopEndpoint: async ({ endpointId }) => {
        await this.endpointRun(endpointId).stop();
        return null;
      },
      readScript: async ({ path: file }) => ({ path: path.resolve(file), text: readScriptFile(path.resolve(file)) }),
      writeScript: async ({ path: file, text, overwrite }) => {
        writeScriptFile(path.resolve(file), text, overwrite === true);
        return { path: path.resolve(file) };
      },
      exportFrames: async (params) => exportFrames(params),
      exportPackets: async ({ sessionId, ...params }) => this.session(sessionId).exportPackets(params),
      recordPageLoad: async (params) => this.recordPageLoad(params),
      stopPageLoad: async ({ recordingId }) => {
        const recording = this.recordings.get(recordingId);
        if (!recording) throw new ApiError('not-found', `no page load recording ${recordingId}`);
        recording.stop();
        return null;
      },
      getFollow: async ({ sessionId, from, maxBytes, ...target }) => this.session(sessionId).followPage(target, from, maxBytes),
      saveFollow: async ({ sessionId, path: target, ...params }) => this.session(sessionId).saveFollow({ ...params, path: path.resolve(target) }),
      findFrame: async ({ sessionId, filter, displayFilter, from, backward }) => this.session(sessionId).findFrame(filter, displayFilter, from, backward),
      fieldFilter: async ({ sessionId, index, field }) => ({ filter: await this.session(sessionId).fieldFilter(index, field) }),
      setMarked: async ({ sessionId, indices, marked }) => ({ marked: this.session(sessionId).setMarked(indices, marked) }),
      setTimeReference: async ({ sessionId, index, on }) => ({ references: this.session(sessionId).setTimeReference(index, on) }),
      setComments: async ({ sessionId, index, comments }) => ({ commented: this.session(sessionId).setComments(index, comments) }),
      getExpertInfo: async ({ sessionId, filter }) => ({ groups: await this.session(sessionId).expertInfo(filter) }),
      getFlowGraph: async ({ sessionId, filter, nodes, start, count, frameIndex, withNames }) =>
        this.session(sessionId).flowGraphPage(filter, nodes, start, count, frameIndex, withNames === true),
      saveFlowGraph: async ({ sessionId, filter, nodes, format, path: target, overwrite }) => this.session(sessionId).saveFlowGraph(filter, nodes, format, path.resolve(target), overwrite === true),
      getConversations: async ({ sessionId, kind, filter }) => this.session(sessionId).conversations(kind, filter),
      chooseOpenPath: async () => ({ path: null }),
      chooseSavePath: async () => ({ path: null }),
      recentFiles: async () => ({ paths: this.options.recentFiles?.() ?? [...this.opened] }),
      restartEngine: async () => null,
      systemInfo: async () => collectSystemInfo(this.options.version, this.options.capture),
      checkCapturePermission: async () => {
        const prefetched = this.prefetchedPermission;
        this.prefetchedPermission = null;
        return Backend.takePrefetched(prefetched, () => checkCapturePermission(this.options.capture));
      },
    };
  }
}

/** A key log to follow may not exist yet (browsers create it), but must not be something other than a file. */
function checkKeyLogPath(keylogPath: string): void {
  if (!path.isAbsolute(keylogPath)) throw new ApiError('invalid', `key log ${keylogPath}: give an absolute path (the engine's working directory is not yours)`);
  let stat;
  try {
    stat = statSync(keylogPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new ApiError('invalid', `key log ${keylogPath}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  if (!stat.isFile()) throw new ApiError('invalid', `key log ${keylogPath} is not a regular file`);
}
