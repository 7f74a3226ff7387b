/**
 * The engine process: the backend behind the API, run as Electron's utilityProcess
 * (messages through process.parentPort) or as a plain Node child (process.send).
 * Every request is validated by `dispatch` before a handler runs.
 */
import { dispatch, parseMessage, toErrorBody, type Message } from '../../shared/api';
import { Backend } from './backend';
import { createHelperCaptureProvider } from './helper-capture-provider';

interface ParentPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;

function post(message: Message): void {
  if (parentPort) parentPort.postMessage(message);
  else process.send?.(message);
}

const backend = new Backend({ host: 'electron', version: '0.1.0', capture: createHelperCaptureProvider() });
backend.subscribe((event) => post({ kind: 'event', event }));

async function receive(raw: unknown): Promise<void> {
  let message: Message;
  try {
    message = parseMessage(raw);
  } catch {
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
