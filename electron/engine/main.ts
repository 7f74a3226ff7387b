/**
 * The engine process: the backend behind the API, run as Electron's utilityProcess
 * (messages through process.parentPort) or as a plain Node child (process.send).
 * Every request is validated by `dispatch` before a handler runs.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { dispatch, parseMessage, requestIdOf, toErrorBody, type Message } from '../../shared/api';
import { Backend } from './backend';
import { createHelperCaptureProvider } from './helper-capture-provider';
import { setDefaultHelperLaunch } from './helper-client';
import { helperRoute } from './helper-route';

interface ParentPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;

// Inside Electron, process.execPath is the Electron binary: the helper route (helper-route.ts)
// says which runtime and launcher run the capture helper for this installation and OS.
/** Electron's resources directory beside its binary, should a utility process lack process.resourcesPath. */
function electronResources(): string {
  return process.platform === 'darwin' ? path.join(path.dirname(process.execPath), '..', 'Resources') : path.join(path.dirname(process.execPath), 'resources');
}

if (process.versions.electron) {
  setDefaultHelperLaunch(
    helperRoute({
      platform: process.platform,
      execPath: process.execPath,
      resourcesPath: (process as { resourcesPath?: string }).resourcesPath ?? electronResources(),
      env: process.env,
      systemNodeRuns: () => spawnSync('node', ['--version'], { stdio: 'ignore' }).status === 0,
    }),
  );
}

function post(message: Message): void {
  if (parentPort) parentPort.postMessage(message);
  else process.send?.(message);
}

const backend = new Backend({ host: 'electron', version: '0.1.0', capture: createHelperCaptureProvider(), prefetchCaptureProbes: true, warmUp: true });
backend.subscribe((event) => post({ kind: 'event', event }));

async function receive(raw: unknown): Promise<void> {
  let message: Message;
  try {
    message = parseMessage(raw);
  } catch (error) {
    const id = requestIdOf(raw);
    if (id !== null) post({ kind: 'response', id, ok: false, error: toErrorBody(error) });
    return;
  }
  if (message.kind !== 'request') return;
  try {
    const result = await dispatch(backend.handlers, message.method, message.params);
    post({ kind: 'response', id: message.id, ok: true, result });
  } catch (error) {
    post({ kind: 'response', id: message.id, ok: false, error: toErrorBody(error) });
  }
}

if (parentPort) parentPort.on('message', (event) => void receive(event.data));
else process.on('message', (raw) => void receive(raw));

/** How long the engine waits for its conversations to be reset and their helpers to end before it exits anyway. */
const SHUTDOWN_LIMIT_MS = 5000;
let shuttingDown = false;

/** The app asks the engine to go (SIGTERM), or its parent is gone: live conversations are reset, their rules removed, then it exits. */
function shutDown(): void {
  if (shuttingDown) return;
  shuttingDown = true;
  setTimeout(() => process.exit(0), SHUTDOWN_LIMIT_MS).unref();
  void backend.dispose().finally(() => process.exit(0));
}

process.on('SIGTERM', shutDown);
process.on('SIGINT', shutDown);
process.on('disconnect', shutDown);
