/**
 * HTTP/1.x on one TCP connection (RFC 9112): request and status lines, header fields, and the
 * body's extent (Content-Length, chunked, or to the end of the connection), so each message is
 * reported on the frame that completes it, as tshark does with its body reassembly. Bodies are
 * counted, not kept. A direction that stops looking like HTTP is given up, never thrown on.
 */
import type { HttpHeaderField, HttpMessage, HttpVersion } from './message';
import { headerValue } from './message';

/** A message head longer than this is not HTTP we follow (tshark's limit is similar in spirit). */
const MAX_HEAD = 64 * 1024;
const MAX_LINE = 8 * 1024;

export interface Http1Message extends HttpMessage {
  fromClient: boolean;
  /** Request line or status line, without CRLF. */
  firstLine: string;
  /** Frame number where the message's first byte came, and where it completed. */
  startFrame: number;
  frame: number;
  headLength: number;
  /** Body octets (after de-chunking) and how the body was delimited. */
  bodyLength: number;
  delimiting: 'none' | 'content-length' | 'chunked' | 'close';
  contentLength: number | null;
  /** Chunk sizes in order, the last chunk's 0 included (chunked bodies). */
  chunkSizes: number[];
  /** A problem that ended this direction (a malformed chunk size, …). */
  error: string | null;
}

type BodyState =
  | { kind: 'length'; remaining: number }
  | { kind: 'chunk-size'; line: string }
  | { kind: 'chunk-data'; remaining: number }
  | { kind: 'chunk-end'; seen: number }
  | { kind: 'trailer'; line: string; lines: number }
  | { kind: 'close' };

class Direction {
  head: Uint8Array[] = [];
  headLength = 0;
  current: Http1Message | null = null;
  body: BodyState | null = null;
  dead: string | null = null;
  /** Whether this direction has carried a message already (a later one needs no resync). */
  started = false;
}

const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const REQUEST_LINE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+ \S+ HTTP\/\d\.\d$/;
const STATUS_LINE = /^HTTP\/\d\.\d \d{3}( .*)?$/;

export class Http1Connection {
  private readonly client = new Direction();
  private readonly server = new Direction();
  /** Methods of requests still awaiting their response (HEAD and CONNECT change the response's body). */
  private readonly awaiting: string[] = [];
  /** Every message completed, in order of completion. */
  readonly messages: Http1Message[] = [];
  /** Whether the last push carried bytes of a message (complete or not). */
  carried = false;

  /** In-order bytes of one direction; returns the messages completed by them. */
  push(fromClient: boolean, bytes: Uint8Array, frame: number): Http1Message[] {
    const dir = fromClient ? this.client : this.server;
    const out: Http1Message[] = [];
    this.carried = false;
    let at = 0;
    while (at < bytes.length && !dir.dead) {
      this.carried = true;
      if (dir.body === null) {
        at = this.readHead(dir, fromClient, bytes, at, frame, out);
      } else {
        at = this.readBody(dir, bytes, at, frame, out);
      }
    }
    return out;
  }

  /** The connection ended: a body read to the close is complete now. */
  close(frame: number): Http1Message[] {
    const out: Http1Message[] = [];
    for (const dir of [this.client, this.server]) {
      if (dir.body?.kind === 'close' && dir.current) this.finish(dir, frame, out);
    }
    return out;
  }

  get isDead(): boolean {
    return this.client.dead !== null && this.server.dead !== null;
  }

  private readHead(dir: Direction, fromClient: boolean, bytes: Uint8Array, at: number, frame: number, out: Http1Message[]): number {
    if (dir.headLength === 0) {
      // Blank lines between messages are allowed (RFC 9112 §2.2).
      while (at < bytes.length && (bytes[at] === 0x0d || bytes[at] === 0x0a)) at++;
      if (at >= bytes.length) return at;
      // A first byte no request or status line starts with (TLS application data of another
      // protocol, say) ends the direction now, not after scanning and holding up to MAX_HEAD bytes.
      if (fromClient ? !isTokenChar(bytes[at]) : bytes[at] !== 0x48 /* H */) {
        dir.dead = 'not HTTP/1.x';
        return bytes.length;
      }
      if (!dir.current) dir.current = this.newMessage(fromClient, frame);
    }
    // Look for the blank line ending the head, across the pieces held so far.
    const held = dir.headLength;
    const end = findHeadEnd(dir.head, held, bytes, at);
    if (end < 0) {
      const piece = bytes.subarray(at);
      dir.head.push(piece.slice());
      dir.headLength += piece.length;
      if (dir.headLength > MAX_HEAD) dir.dead = `message head longer than ${MAX_HEAD} bytes`;
      else if (!looksLikeStart(joinPieces(dir.head, dir.headLength), fromClient)) dir.dead = 'not HTTP/1.x';
      return bytes.length;
    }
    const used = end - at;
    const head = joinPieces([...dir.head, bytes.subarray(at, end)], held + used);
    dir.head = [];
    dir.headLength = 0;
    const message = dir.current!;
    const problem = this.parseHead(message, head, fromClient);
    if (problem) {
      dir.dead = problem;
      dir.current = null;
      return bytes.length;
    }
    message.headLength = head.length;
    dir.started = true;
    this.startBody(dir, message, fromClient);
    if (dir.body === null) this.finish(dir, frame, out);
    return end;
  }

  private newMessage(fromClient: boolean, frame: number): Http1Message {
    return {
      kind: fromClient ? 'request' : 'response',
      version: 'HTTP/1.1',
      streamId: null,
      method: null,
      path: null,
      authority: null,
      scheme: null,
      status: null,
      reason: null,
      headers: [],
      fromClient,
      firstLine: '',
      startFrame: frame,
      frame,
      headLength: 0,
      bodyLength: 0,
      delimiting: 'none',
      contentLength: null,
      chunkSizes: [],
      error: null,
    };
  }

  /** Fills the message from its head; returns why it is not HTTP, or null. */
  private parseHead(message: Http1Message, head: Uint8Array, fromClient: boolean): string | null {
    let text = '';
    for (let i = 0; i < head.length; i++) text += String.fromCharCode(head[i]);
    const lines = text.split(/\r?\n/);
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    const first = lines[0] ?? '';
    message.firstLine = first;
    if (fromClient) {
      const parts = first.split(' ');
      if (parts.length !== 3 || !METHOD.test(parts[0]) || !/^HTTP\/\d\.\d$/.test(parts[2])) return 'not an HTTP/1.x request line';
      message.method = parts[0];
      message.path = parts[1];
      message.version = parts[2] === 'HTTP/1.0' ? 'HTTP/1.0' : ('HTTP/1.1' as HttpVersion);
    } else {
      const match = /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/.exec(first);
      if (!match) return 'not an HTTP/1.x status line';
      message.version = match[1] === 'HTTP/1.0' ? 'HTTP/1.0' : 'HTTP/1.1';
      message.status = Number(match[2]);
      message.reason = match[3] ?? '';
    }
    const headers: HttpHeaderField[] = [];
    for (const line of lines.slice(1)) {
      if ((line.startsWith(' ') || line.startsWith('\t')) && headers.length > 0) {
        headers[headers.length - 1].value += ` ${line.trim()}`; // obsolete line folding
        continue;
      }
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      headers.push({ name: line.slice(0, colon), value: line.slice(colon + 1).trim() });
    }
    message.headers = headers;
    if (fromClient) {
      message.authority = headerValue(headers, 'host');
      this.awaiting.push(message.method!);
    }
    return null;
  }

  private startBody(dir: Direction, message: Http1Message, fromClient: boolean): void {
    dir.body = null;
    const transfer = headerValue(message.headers, 'transfer-encoding');
    const lengthText = headerValue(message.headers, 'content-length');
    const length = lengthText !== null && /^\d+$/.test(lengthText.trim()) ? Number(lengthText.trim()) : null;
    message.contentLength = length;
    if (!fromClient) {
      const status = message.status!;
      if (status >= 100 && status < 200) {
        // Interim responses have no body, and the request still awaits its final response.
        if (status === 101) dir.dead = 'switched protocols (101)';
        return;
      }
      const method = this.awaiting.shift() ?? 'GET';
      if (method === 'HEAD' || status === 204 || status === 304) return;
      if (method === 'CONNECT' && status >= 200 && status < 300) {
        dir.dead = 'tunnel established by CONNECT';
        return;
      }
    }
    if (transfer !== null && /chunked\s*$/i.test(transfer)) {
      message.delimiting = 'chunked';
      dir.body = { kind: 'chunk-size', line: '' };
    } else if (length !== null) {
      message.delimiting = 'content-length';
      if (length > 0) dir.body = { kind: 'length', remaining: length };
    } else if (!fromClient) {
      message.delimiting = 'close';
      dir.body = { kind: 'close' };
    }
  }

  private readBody(dir: Direction, bytes: Uint8Array, at: number, frame: number, out: Http1Message[]): number {
    const message = dir.current!;
    const body = dir.body!;
    switch (body.kind) {
      case 'close':
        message.bodyLength += bytes.length - at;
        return bytes.length;
      case 'length': {
        const n = Math.min(body.remaining, bytes.length - at);
        body.remaining -= n;
        message.bodyLength += n;
        if (body.remaining === 0) this.finish(dir, frame, out);
        return at + n;
      }
      case 'chunk-data': {
        const n = Math.min(body.remaining, bytes.length - at);
        body.remaining -= n;
        message.bodyLength += n;
        if (body.remaining === 0) dir.body = { kind: 'chunk-end', seen: 0 };
        return at + n;
      }
      case 'chunk-end': {
        // The CRLF after a chunk's data.
        while (at < bytes.length && body.seen < 2) {
          if (bytes[at] === 0x0a) body.seen = 2;
          else if (bytes[at] === 0x0d) body.seen = 1;
          else return this.fail(dir, 'chunk data not followed by CRLF', bytes);
          at++;
        }
        if (body.seen >= 2) dir.body = { kind: 'chunk-size', line: '' };
        return at;
      }
      case 'chunk-size':
      case 'trailer': {
        while (at < bytes.length) {
          const c = bytes[at++];
          if (c !== 0x0a) {
            if (body.line.length >= MAX_LINE) return this.fail(dir, 'chunk line too long', bytes);
            body.line += String.fromCharCode(c);
            continue;
          }
          const line = body.line.replace(/\r$/, '');
          body.line = '';
          if (body.kind === 'chunk-size') {
            const match = /^([0-9a-fA-F]+)\s*(;.*)?$/.exec(line);
            if (!match) return this.fail(dir, `bad chunk size "${line.slice(0, 40)}"`, bytes);
            const size = parseInt(match[1], 16);
            if (!Number.isSafeInteger(size)) return this.fail(dir, 'chunk size too large', bytes);
            if (message.chunkSizes.length < 10_000) message.chunkSizes.push(size);
            dir.body = size === 0 ? { kind: 'trailer', line: '', lines: 0 } : { kind: 'chunk-data', remaining: size };
            return at;
          }
          if (line === '') {
            this.finish(dir, frame, out);
            return at;
          }
          if (++body.lines > 1000) return this.fail(dir, 'too many trailer lines', bytes);
        }
        return at;
      }
    }
  }

  private fail(dir: Direction, why: string, bytes: Uint8Array): number {
    if (dir.current) dir.current.error = why;
    dir.dead = why;
    return bytes.length;
  }

  private finish(dir: Direction, frame: number, out: Http1Message[]): void {
    const message = dir.current!;
    message.frame = frame;
    dir.current = null;
    dir.body = null;
    out.push(message);
    this.messages.push(message);
  }
}

/** Whether the bytes so far can still be the start of a request or status line. */
function looksLikeStart(head: Uint8Array, fromClient: boolean): boolean {
  let line = '';
  let complete = false;
  for (let i = 0; i < head.length && i < MAX_LINE; i++) {
    const c = head[i];
    if (c === 0x0d || c === 0x0a) {
      complete = true;
      break;
    }
    line += String.fromCharCode(c);
  }
  if (complete) return fromClient ? REQUEST_LINE.test(line) : STATUS_LINE.test(line);
  if (fromClient) {
    const space = line.indexOf(' ');
    return METHOD.test(space < 0 ? line : line.slice(0, space)) && (space >= 0 || line.length <= 32);
  }
  const prefix = 'HTTP/1.';
  return line.length >= prefix.length ? line.startsWith(prefix) : prefix.startsWith(line);
}

/** Where the head ends (just past its blank line) in `bytes`, given `held` bytes already held; -1 if not yet. */
function findHeadEnd(pieces: Uint8Array[], held: number, bytes: Uint8Array, at: number): number {
  // The last three held bytes, so a CRLFCRLF split across pieces is found.
  const tail: number[] = [];
  for (let p = pieces.length - 1; p >= 0 && tail.length < 3; p--) {
    const piece = pieces[p];
    for (let i = piece.length - 1; i >= 0 && tail.length < 3; i--) tail.unshift(piece[i]);
  }
  let a = tail.length > 2 ? tail[tail.length - 3] : -1;
  let b = tail.length > 1 ? tail[tail.length - 2] : -1;
  let c = tail.length > 0 ? tail[tail.length - 1] : -1;
  if (held === 0) a = b = c = -1;
  for (let i = at; i < bytes.length; i++) {
    const d = bytes[i];
    if (d === 0x0a && (c === 0x0a || (c === 0x0d && b === 0x0a))) return i + 1;
    a = b;
    b = c;
    c = d;
  }
  void a;
  return -1;
}

function joinPieces(pieces: Uint8Array[], length: number): Uint8Array {
  if (pieces.length === 1) return pieces[0];
  const out = new Uint8Array(length);
  let at = 0;
  for (const piece of pieces) {
    out.set(piece, at);
    at += piece.length;
  }
  return out;
}

/** RFC 9110 §5.6.2 tchar: what a method, and so a request line, begins with. */
function isTokenChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || TOKEN_PUNCTUATION.includes(c);
}
const TOKEN_PUNCTUATION = [...`!#$%&'*+-.^_\`|~`].map((c) => c.charCodeAt(0));
