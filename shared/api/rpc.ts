/**
 * The message envelope both transports carry, the typed client the renderer uses, and
 * the dispatcher the backend uses. Params are validated where they arrive (backend),
 * results and events where they arrive (renderer): every boundary checks what it gets.
 */
import {
  eventValidator,
  isMethod,
  methodValidators,
  type ApiContract,
  type ApiEvent,
  type Method,
  type ParamsOf,
  type ResultOf,
} from './contract';
import { bool, int, isPlainObject, literal, obj, str, ValidationError } from './validate';

/**
 * The browser host's WebSocket subprotocols: the page asks for API_PROTOCOL and offers its
 * token as a second one, `TOKEN_PROTOCOL_PREFIX + token` (not a cookie, not a query string).
 */
export const API_PROTOCOL = 'handshake.v1';
export const TOKEN_PROTOCOL_PREFIX = 'handshake.token.';

/** 'exists': a save or export target exists and `overwrite` was not set (ask the user, then retry with it). */
export type ErrorCode = 'invalid' | 'not-found' | 'unavailable' | 'cancelled' | 'permission' | 'failed' | 'exists';

/** An error the backend reports to the renderer with a one-line reason. */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The renderer's view of the backend: one method per request, plus the event stream. */
export type WorkbenchApi = { [M in Method]: (params: ParamsOf<M>) => Promise<ResultOf<M>> } & {
  onEvent(listener: (event: ApiEvent) => void): () => void;
};

/** What the backend implements: the same methods, without the event stream. */
export type ApiHandlers = { [M in Method]: (params: ParamsOf<M>) => Promise<ResultOf<M>> };

export type RequestMessage = { kind: 'request'; id: number; method: Method; params: unknown };
export type ResponseMessage =
  | { kind: 'response'; id: number; ok: true; result: unknown }
  | { kind: 'response'; id: number; ok: false; error: { code: ErrorCode; message: string } };
export type EventMessage = { kind: 'event'; event: ApiEvent };
export type Message = RequestMessage | ResponseMessage | EventMessage;

const messageId = int(0, Number.MAX_SAFE_INTEGER);
const errorCode = literal('invalid', 'not-found', 'unavailable', 'cancelled', 'permission', 'failed', 'exists');
const errorBody = obj({ code: errorCode, message: str({ max: 8192 }) });

/** Validates an envelope that arrived from another process (params/results are checked later, per method). */
export function parseMessage(value: unknown): Message {
  if (!isPlainObject(value)) throw new ValidationError('message', 'expected an object');
  switch (value.kind) {
    case 'request': {
      const id = messageId(value.id, 'id');
      if (!isMethod(value.method)) throw new ValidationError('method', `unknown method ${JSON.stringify(value.method)}`);
      return { kind: 'request', id, method: value.method, params: value.params ?? null };
    }
    case 'response': {
      const id = messageId(value.id, 'id');
      if (bool(value.ok, 'ok')) return { kind: 'response', id, ok: true, result: value.result ?? null };
      return { kind: 'response', id, ok: false, error: errorBody(value.error, 'error') };
    }
    case 'event':
      return { kind: 'event', event: eventValidator(value.event, 'event') };
    default:
      throw new ValidationError('kind', `unknown message kind ${JSON.stringify(value.kind)}`);
  }
}

/** The id of a request that failed validation, when it has a usable one, so the caller still gets an answer. */
export function requestIdOf(raw: unknown): number | null {
  if (!isPlainObject(raw) || raw.kind !== 'request') return null;
  const id = raw.id;
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : null;
}

/** Turns any thrown value into the error body sent back to the caller. */
export function toErrorBody(error: unknown): { code: ErrorCode; message: string } {
  if (error instanceof ApiError) return { code: error.code, message: error.message };
  if (error instanceof ValidationError) return { code: 'invalid', message: error.message };
  if (error instanceof Error) return { code: 'failed', message: error.message };
  return { code: 'failed', message: String(error) };
}

/** Validates a request's params and runs its handler; throws ApiError('invalid') on bad params. */
export async function dispatch(handlers: ApiHandlers, method: unknown, params: unknown): Promise<unknown> {
  if (!isMethod(method)) throw new ApiError('invalid', `unknown method ${JSON.stringify(method)}`);
  return callHandler(handlers, method, params);
}

async function callHandler<M extends Method>(handlers: ApiHandlers, method: M, params: unknown): Promise<ResultOf<M>> {
  let checked: ParamsOf<M>;
  try {
    checked = methodValidators[method].params(params ?? null, 'params');
  } catch (error) {
    throw new ApiError('invalid', `${method}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const handler = handlers[method] as (p: ParamsOf<M>) => Promise<ResultOf<M>>;
  return handler(checked);
}

/** The minimum a transport provides: a raw call and a raw event subscription. */
export interface RpcTransport {
  call(method: Method, params: unknown): Promise<unknown>;
  subscribe(listener: (event: unknown) => void): () => void;
}

/** Builds the typed API over a transport, checking every result and event it receives. */
export function createApiClient(transport: RpcTransport): WorkbenchApi {
  const methods = {} as Record<Method, (params: unknown) => Promise<unknown>>;
  for (const method of Object.keys(methodValidators) as Method[]) {
    const validators = methodValidators[method];
    methods[method] = async (params: unknown) => {
      const checked = validators.params(params ?? null, `${method} params`);
      const raw = await transport.call(method, checked);
      return validators.result(raw ?? null, `${method} result`);
    };
  }
  const api = methods as unknown as ApiHandlers;
  return {
    ...api,
    onEvent(listener) {
      return transport.subscribe((raw) => {
        let event: ApiEvent;
        try {
          event = eventValidator(raw, 'event');
        } catch {
          return; // a malformed event is dropped, never passed on half-checked
        }
        listener(event);
      });
    },
  };
}

/**
 * The request/response bookkeeping shared by message-based transports (WebSocket,
 * utilityProcess port): numbered requests, pending promises, events fanned out.
 */
export class RpcPeer {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Set<(event: unknown) => void>();

  constructor(private readonly post: (message: Message) => void) {}

  call(method: Method, params: unknown): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      try {
        this.post({ kind: 'request', id, method, params });
      } catch (error) {
        this.pending.delete(id);
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  subscribe(listener: (event: unknown) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Feeds one raw incoming message; malformed ones are reported, not thrown. */
  receive(raw: unknown): void {
    let message: Message;
    try {
      message = parseMessage(raw);
    } catch {
      return;
    }
    if (message.kind === 'event') {
      for (const listener of this.listeners) listener(message.event);
    } else if (message.kind === 'response') {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.ok) waiter.resolve(message.result);
      else waiter.reject(new ApiError(message.error.code, message.error.message));
    }
  }

  /** Fails every outstanding call (the connection or the engine went away). */
  failAll(reason: string): void {
    for (const waiter of this.pending.values()) waiter.reject(new ApiError('unavailable', reason));
    this.pending.clear();
  }
}

export type { ApiContract };
