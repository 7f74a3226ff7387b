/**
 * When a connection's first request and response crossed the wire, read from its decrypted
 * application data: HTTP/2 frame headers (RFC 9113 §4.1: the first HEADERS the client sends,
 * and the server's HEADERS and END_STREAM on that stream) or HTTP/1.1's request and status
 * lines. Only timing is read here (no HPACK, no header values); the HTTP dissector owns the
 * protocol itself. Bounded: it stops once the first response has ended.
 */
export interface HttpMilestone {
  frame: number;
  time: number;
}

export interface HttpMilestones {
  kind: 'http2' | 'http1' | null;
  requestStart: HttpMilestone | null;
  requestEnd: HttpMilestone | null;
  responseStart: HttpMilestone | null;
  responseEnd: HttpMilestone | null;
}

const PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
const HEADERS = 0x1;
const DATA = 0x0;
const CONTINUATION = 0x9;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
/** Bytes of one direction kept while waiting for a frame header to complete. */
const MAX_PENDING = 64;

interface Direction {
  /** Bytes still to skip (the rest of a frame's payload). */
  skip: number;
  pending: number[];
  seen: number;
}

export class Http2FrameScanner {
  private kind: 'http2' | 'http1' | null = null;
  private done = false;
  private readonly client: Direction = { skip: 0, pending: [], seen: 0 };
  private readonly server: Direction = { skip: 0, pending: [], seen: 0 };
  private readonly result: HttpMilestones = { kind: null, requestStart: null, requestEnd: null, responseStart: null, responseEnd: null };
  private stream = -1;
  private prefaceLeft = PREFACE.length;
  /** The HEADERS frame being continued (CONTINUATION) and by whom. */
  private continuing: 'client' | 'server' | null = null;

  push(fromClient: boolean, data: Uint8Array, at: HttpMilestone): void {
    if (this.done || data.length === 0) return;
    if (this.kind === null) {
      if (!fromClient) return;
      const head = String.fromCharCode(...data.subarray(0, Math.min(data.length, 24)));
      if (PREFACE.startsWith(head.slice(0, Math.min(head.length, PREFACE.length)))) this.kind = 'http2';
      else if (/^[A-Z]+ \S+ HTTP\/1\.[01]/.test(String.fromCharCode(...data.subarray(0, Math.min(data.length, 256))))) this.kind = 'http1';
      else {
        this.done = true;
        return;
      }
      this.result.kind = this.kind;
    }
    if (this.kind === 'http1') {
      this.http1(fromClient, data, at);
      return;
    }
    let bytes = data;
    if (fromClient && this.prefaceLeft > 0) {
      const n = Math.min(this.prefaceLeft, bytes.length);
      this.prefaceLeft -= n;
      bytes = bytes.subarray(n);
    }
    this.frames(fromClient ? this.client : this.server, fromClient, bytes, at);
  }

  private http1(fromClient: boolean, data: Uint8Array, at: HttpMilestone): void {
    const r = this.result;
    if (fromClient) {
      if (r.requestStart === null) r.requestStart = at;
      if (r.responseStart === null) r.requestEnd = at;
      else this.done = true; // the next request: the first response is over
    } else if (r.requestStart !== null) {
      r.responseStart ??= at;
      r.responseEnd = at;
    }
  }

  private frames(direction: Direction, fromClient: boolean, data: Uint8Array, at: HttpMilestone): void {
    let i = 0;
    while (i < data.length && !this.done) {
      if (direction.skip > 0) {
        const n = Math.min(direction.skip, data.length - i);
        direction.skip -= n;
        i += n;
        continue;
      }
      while (direction.pending.length < 9 && i < data.length) direction.pending.push(data[i++]);
      if (direction.pending.length < 9) {
        if (direction.pending.length > MAX_PENDING) this.done = true;
        return;
      }
      const h = direction.pending;
      const length = (h[0] << 16) | (h[1] << 8) | h[2];
      const type = h[3];
      const flags = h[4];
      const stream = ((h[5] & 0x7f) << 24) | (h[6] << 16) | (h[7] << 8) | h[8];
      direction.pending = [];
      direction.skip = length;
      this.frame(fromClient, type, flags, stream, at);
    }
  }

  private frame(fromClient: boolean, type: number, flags: number, stream: number, at: HttpMilestone): void {
    const r = this.result;
    if (fromClient) {
      if (type === HEADERS && this.stream < 0) {
        this.stream = stream;
        r.requestStart = at;
        r.requestEnd = at;
        if (!(flags & END_HEADERS)) this.continuing = 'client';
      } else if (type === CONTINUATION && this.continuing === 'client' && stream === this.stream) {
        r.requestEnd = at;
        if (flags & END_HEADERS) this.continuing = null;
      } else if (type === DATA && stream === this.stream && r.responseStart === null) {
        r.requestEnd = at; // a request body
      }
      return;
    }
    if (stream !== this.stream || this.stream < 0) return;
    if (type === HEADERS || type === DATA || type === CONTINUATION) {
      r.responseStart ??= at;
      r.responseEnd = at;
      if (flags & END_STREAM && type !== CONTINUATION) this.done = true;
    }
  }

  milestones(): HttpMilestones {
    return this.result;
  }
}
