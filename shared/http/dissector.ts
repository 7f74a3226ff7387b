/**
 * HTTP over every TCP connection of a capture, keyed by the tracker's `tcp.stream`: cleartext
 * segments (reassembled here from their relative sequence numbers) and decrypted TLS
 * application data (already in order) go in, per frame; what each frame completed comes out,
 * HTTP/1.1 messages or HTTP/2 frames, plus each connection's requests and responses.
 *
 * Which protocol a connection speaks is read from its bytes, as tshark's heuristics do, not
 * from its port: the HTTP/2 client preface means HTTP/2 (h2 over TLS and prior-knowledge h2c),
 * a request line means HTTP/1.x, anything else is left alone.
 */
import { Http2Connection, CLIENT_PREFACE, type Http2Frame } from '../http2/connection';
import { StreamAssembler } from '../reassembly/tcp-stream';
import { Http1Connection, type Http1Message } from './http1';
import { StreamSet } from '../track/stream-set';

/** One item of a frame's HTTP/2, in stream order. */
export type Http2Item = { kind: 'magic' } | { kind: 'frame'; frame: Http2Frame } | { kind: 'segment' };

export interface HttpFrameResult {
  tls: boolean;
  /** Which protocol the connection speaks (known once its first bytes were read). */
  protocol: 'http1' | 'http2' | null;
  http1: Http1Message[];
  http2: Http2Item[];
}

export interface HttpExchange {
  method: string | null;
  authority: string | null;
  path: string | null;
  status: number | null;
  requestFrame: number | null;
  responseFrame: number | null;
  /** HTTP/2 stream id. */
  streamId: number | null;
}

export interface HttpConnectionSummary {
  version: 'HTTP/1.1' | 'HTTP/1.0' | 'HTTP/2';
  exchanges: HttpExchange[];
}

const MAX_CONNECTIONS = 100_000;
const MAX_EXCHANGES = 10_000;
const PREFACE = Uint8Array.from(CLIENT_PREFACE, (c) => c.charCodeAt(0));
const REQUEST_START = /^[A-Z][A-Z0-9_-]{0,19} [^ \r\n]/;

interface Connection {
  kind: 'unknown' | 'h1' | 'h2' | 'none';
  h1: Http1Connection | null;
  h2: Http2Connection | null;
  assemblers: [StreamAssembler, StreamAssembler] | null;
  exchanges: HttpExchange[];
  byStream: Map<number, HttpExchange>;
  /** HTTP/1 requests awaiting their final response, oldest first. */
  waiting: HttpExchange[];
  version: HttpConnectionSummary['version'] | null;
}

export class HttpDissector {
  private readonly connections = new Map<number, Connection>();
  /** Streams whose first bytes were not HTTP: most of a capture's, kept without an object each. */
  private readonly notHttp = new StreamSet();

  /** Whether the stream's first bytes were not HTTP: its later segments need not be handed over. */
  skips(stream: number): boolean {
    return this.notHttp.has(stream);
  }

  /** A cleartext TCP segment's payload, with its relative sequence number. */
  segment(stream: number, fromClient: boolean, seq: number, payload: Uint8Array, frame: number): HttpFrameResult | null {
    if (payload.length === 0 || this.notHttp.has(stream)) return null;
    let connection = this.connections.get(stream);
    if (connection === undefined) {
      // A new stream's first segment is its first bytes (delivered as they are): decide here, before any allocation.
      if (httpKindOf(fromClient, payload) === 'none') {
        this.notHttp.add(stream);
        return null;
      }
      connection = this.connection(stream);
    }
    if (connection.kind === 'none') return null;
    connection.assemblers ??= [new StreamAssembler(), new StreamAssembler()];
    const result: HttpFrameResult = { tls: false, protocol: null, http1: [], http2: [] };
    let carried = false;
    connection.assemblers[fromClient ? 0 : 1].push(seq, payload, (bytes, gap) => {
      if (gap) this.lose(connection, fromClient);
      if (this.feed(connection, fromClient, bytes, frame, result, false)) carried = true;
    });
    return carried ? result : null;
  }

  /** Decrypted application data of the TLS records a frame completed, in order. */
  records(stream: number, fromClient: boolean, appData: readonly Uint8Array[], frame: number): HttpFrameResult | null {
    if (this.notHttp.has(stream)) return null;
    const connection = this.connection(stream);
    if (connection.kind === 'none') return null;
    const result: HttpFrameResult = { tls: true, protocol: null, http1: [], http2: [] };
    let carried = false;
    for (const bytes of appData) if (bytes.length > 0 && this.feed(connection, fromClient, bytes, frame, result, true)) carried = true;
    return carried ? result : null;
  }

  /** A FIN: an HTTP/1 body read to the connection's end is complete. */
  fin(stream: number, frame: number): HttpFrameResult | null {
    const connection = this.connections.get(stream);
    if (!connection?.h1) return null;
    const done = connection.h1.close(frame);
    if (done.length === 0) return null;
    for (const message of done) this.noteHttp1(connection, message);
    return { tls: false, protocol: 'http1', http1: done, http2: [] };
  }

  summary(stream: number): HttpConnectionSummary | null {
    const connection = this.connections.get(stream);
    if (!connection || connection.version === null) return null;
    return { version: connection.version, exchanges: connection.exchanges };
  }

  streams(): IterableIterator<number> {
    return this.connections.keys();
  }

  private connection(stream: number): Connection {
    let connection = this.connections.get(stream);
    if (!connection) {
      if (this.connections.size >= MAX_CONNECTIONS) {
        const oldest = this.connections.keys().next().value;
        if (oldest !== undefined) this.connections.delete(oldest);
      }
      connection = { kind: 'unknown', h1: null, h2: null, assemblers: null, exchanges: [], byStream: new Map(), waiting: [], version: null };
      this.connections.set(stream, connection);
    }
    return connection;
  }

  /** Bytes were never captured: framing is lost, so this connection is not followed further. */
  private lose(connection: Connection, fromClient: boolean): void {
    void fromClient;
    connection.kind = 'none';
    connection.h1 = null;
    connection.h2 = null;
  }

  /** Returns whether the bytes belonged to an HTTP message or frame. */
  private feed(connection: Connection, fromClient: boolean, bytes: Uint8Array, frame: number, result: HttpFrameResult, tls: boolean): boolean {
    if (connection.kind === 'unknown') this.detect(connection, fromClient, bytes);
    result.protocol = connection.kind === 'h2' ? 'http2' : connection.kind === 'h1' ? 'http1' : null;
    if (connection.kind === 'h2' && connection.h2) {
      const output = connection.h2.push(fromClient, bytes);
      if (output.magic) result.http2.push({ kind: 'magic' });
      for (const h2frame of output.frames) {
        result.http2.push({ kind: 'frame', frame: h2frame });
        this.noteHttp2(connection, h2frame, frame);
      }
      // tshark marks a TLS record that continued one HTTP/2 frame and leaves the next unfinished.
      if (tls && output.partial && output.continued) result.http2.push({ kind: 'segment' });
      return output.magic || output.frames.length > 0 || output.partial;
    }
    if (connection.kind === 'h1' && connection.h1) {
      const messages = connection.h1.push(fromClient, bytes, frame);
      for (const message of messages) {
        result.http1.push(message);
        this.noteHttp1(connection, message);
      }
      return connection.h1.carried;
    }
    return false;
  }

  private detect(connection: Connection, fromClient: boolean, bytes: Uint8Array): void {
    const kind = httpKindOf(fromClient, bytes);
    connection.kind = kind;
    if (kind === 'h2') {
      connection.h2 = new Http2Connection(true);
      connection.version = 'HTTP/2';
    } else if (kind === 'h1') connection.h1 = new Http1Connection();
  }

  private noteHttp2(connection: Connection, h2frame: Http2Frame, frame: number): void {
    const message = h2frame.message;
    if (!message || message.streamId === null) return;
    if (message.kind === 'request') {
      if (connection.exchanges.length >= MAX_EXCHANGES) return;
      const exchange: HttpExchange = { method: message.method, authority: message.authority, path: message.path, status: null, requestFrame: frame, responseFrame: null, streamId: message.streamId };
      connection.exchanges.push(exchange);
      connection.byStream.set(message.streamId, exchange);
    } else if (message.status !== null && message.status >= 200) {
      let exchange = connection.byStream.get(message.streamId);
      if (!exchange) {
        if (connection.exchanges.length >= MAX_EXCHANGES) return;
        exchange = { method: null, authority: null, path: null, status: null, requestFrame: null, responseFrame: null, streamId: message.streamId };
        connection.exchanges.push(exchange);
      }
      connection.byStream.delete(message.streamId);
      exchange.status = message.status;
      exchange.responseFrame = frame;
    }
  }

  private noteHttp1(connection: Connection, message: Http1Message): void {
    connection.version ??= message.version === 'HTTP/1.0' ? 'HTTP/1.0' : 'HTTP/1.1';
    if (message.kind === 'request') {
      if (connection.exchanges.length >= MAX_EXCHANGES) return;
      const exchange: HttpExchange = { method: message.method, authority: message.authority, path: message.path, status: null, requestFrame: message.frame, responseFrame: null, streamId: null };
      connection.exchanges.push(exchange);
      connection.waiting.push(exchange);
    } else if (message.status !== null && message.status >= 200) {
      let exchange = connection.waiting.shift();
      if (!exchange) {
        if (connection.exchanges.length >= MAX_EXCHANGES) return;
        exchange = { method: null, authority: null, path: null, status: null, requestFrame: null, responseFrame: null, streamId: null };
        connection.exchanges.push(exchange);
      }
      exchange.status = message.status;
      exchange.responseFrame = message.frame;
    }
  }
}

/** What a connection speaks, from the first bytes of one direction. */
function httpKindOf(fromClient: boolean, bytes: Uint8Array): 'h1' | 'h2' | 'none' {
  // Most streams fail on the first byte: a request (and the HTTP/2 preface, "PRI") starts with
  // A-Z, a response with "H" or an HTTP/2 frame header. Decide those before building any string.
  if (bytes.length > 0) {
    const first = bytes[0];
    if (fromClient ? first < 0x41 || first > 0x5a : first !== 0x48 && (bytes.length < 9 || bytes[3] !== 4)) return 'none';
  }
  let prefix = '';
  for (let i = 0; i < bytes.length && i < 24; i++) prefix += String.fromCharCode(bytes[i]);
  if (fromClient) {
    let preface = true;
    for (let i = 0; i < Math.min(bytes.length, PREFACE.length); i++) if (bytes[i] !== PREFACE[i]) preface = false;
    if (preface) return 'h2';
    if (REQUEST_START.test(prefix)) return 'h1';
  } else if (bytes.length >= 9 && bytes[3] === 4 && (bytes[5] | bytes[6] | bytes[7] | bytes[8]) === 0 && ((bytes[0] << 16) | (bytes[1] << 8) | bytes[2]) % 6 === 0) {
    // An HTTP/2 server may send its SETTINGS before the client's preface arrives (h2 over TLS).
    return 'h2';
  } else if (prefix.startsWith('HTTP/1.')) {
    // The capture began after the request: the responses can still be read.
    return 'h1';
  }
  return 'none';
}
