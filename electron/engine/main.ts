/**
 * The engine process: the backend behind the API, run as Electron's utilityProcess
 * (messages through process.parentPort) or as a plain Node child (process.send).
 * Every request is validated by `dispatch` before a handler runs.
 */
import { spawnSync } from 'node:child_process';
import { dispatch, parseMessage, requestIdOf, toErrorBody, type Message } from '../../shared/api';
import { Backend } from './backend';
import { createHelperCaptureProvider } from './helper-capture-provider';

interface ParentPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;

/**
 * Inside Electron, process.execPath is the Electron binary. The capture helper is a plain
 * Node program whose native `cap` module is built for one Node ABI: prefer the system
 * `node` (what `npm install` built cap for); otherwise run Electron's binary as Node.
 */
function chooseHelperNode(): void {
  if (!process.versions.electron || process.env.HANDSHAKE_HELPER_NODE) return;
  const systemNode = spawnSync('node', ['--version'], { stdio: 'ignore' });
  if (systemNode.status === 0) process.env.HANDSHAKE_HELPER_NODE = 'node';
  else process.env.ELECTRON_RUN_AS_NODE = '1';
}
chooseHelperNode();

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
