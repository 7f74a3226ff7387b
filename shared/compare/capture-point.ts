/**
 * One capture point of a comparison: every TCP frame seen there, reduced to what pairing and
 * rewrite detection need, in typed columns (a million frames cost ~60 MB, not a million objects),
 * grouped into the connections seen at that point.
 */
import { summaryTcpChecksumStatusAt, type ChecksumStatus } from '../wire/checksum';
import { createPacketSummary, TCP_ACK, TCP_SYN } from '../wire/summary';
import { summarizeAt } from '../wire/summarize';
import { formatEndpoint } from '../track/tracker';
import { hashWords } from '../wire/word-hash';

/** What a point needs of a frame; a capture reader's frame satisfies it. */
export interface PointFrameInput {
  readonly frameNumber: number;
  readonly linkType: number;
  readonly tsSeconds: number;
  readonly tsNanos: number;
  readonly originalLength: number;
  readonly capturedLength: number;
  readonly buffer: Uint8Array;
  readonly bufferOffset: number;
}

export interface PointConnection {
  readonly index: number;
  /** Endpoint 0 is the client: the first SYN's sender, else the side with the higher port (cli.md). */
  readonly endpoints: [string, string];
  /** Raw ISN of each endpoint (its SYN's sequence number), or -1 where no SYN was seen. */
  readonly isn: [number, number];
  firstTime: number;
  lastTime: number;
  /** Frame indices of this connection, in capture order (filled by `finish`). */
  frames: Uint32Array;
}

const EMPTY = new Uint32Array(0);
type Column = Uint8Array | Uint16Array | Uint32Array | Int8Array | Int32Array | Float64Array;

/** The per-frame columns, as a finished point hands them to another thread. */
const COLUMNS = ['frameNumber', 'time', 'connection', 'direction', 'seq', 'ack', 'length', 'flags', 'window', 'ttl', 'ipId', 'dsfield', 'mss', 'windowScale', 'sackPermitted', 'tsval', 'options', 'checksum'] as const;
type ColumnName = (typeof COLUMNS)[number];

/**
 * A finished point as plain data with its columns' buffers transferable (structured clone keeps
 * the typed arrays): read in a worker thread, rebuilt with `CapturePoint.fromFinished`.
 */
export interface FinishedPoint {
  count: number;
  startTime: number;
  endTime: number;
  otherFrames: number;
  optionLists: string[];
  columns: Pick<CapturePoint, ColumnName>;
  connections: Omit<PointConnection, 'frames'>[];
  /** Frame indices grouped by connection; connection c's run is [bounds[c], bounds[c + 1]). */
  order: Uint32Array;
  bounds: Uint32Array;
}
const CHECKSUM_CODES: readonly ChecksumStatus[] = ['good', 'bad', 'partial', 'unverified'];

/** Columns of one point's TCP frames. Index i is the i-th TCP frame of the capture until `finish`, then the i-th in connection order. */
export class CapturePoint {
  count = 0;
  frameNumber = new Uint32Array(1024);
  /** Seconds since the epoch; a double keeps ~0.25 µs at today's epoch, enough for delays in µs. */
  time = new Float64Array(1024);
  connection = new Uint32Array(1024);
  /** 0: sent by the connection's endpoint 0 (client), 1: by endpoint 1. */
  direction = new Uint8Array(1024);
  seq = new Uint32Array(1024);
  ack = new Uint32Array(1024);
  length = new Uint32Array(1024);
  flags = new Uint16Array(1024);
  window = new Uint16Array(1024);
  ttl = new Uint8Array(1024);
  /** IPv4 identification, or -1 for IPv6. */
  ipId = new Int32Array(1024);
  /** IPv4 TOS / IPv6 traffic class byte (DSCP and ECN). */
  dsfield = new Uint8Array(1024);
  mss = new Int32Array(1024);
  windowScale = new Int8Array(1024);
  sackPermitted = new Uint8Array(1024);
  /** TSval, or -1 without the option. */
  tsval = new Float64Array(1024);
  /** The option kinds in order, interned: an index into `optionLists`. */
  options = new Uint16Array(1024);
  checksum = new Uint8Array(1024);

  /** Times of the first and last TCP frame in capture order (the columns are in connection order once finished). */
  startTime = 0;
  endTime = 0;

  readonly connections: PointConnection[] = [];
  readonly optionLists: string[] = [];
  /** Frames that were not TCP over IP (or could not be read as such). */
  otherFrames = 0;

  private readonly optionIds = new Map<number, number>();
  /** Open addressing on the endpoint hash: connection indices, -1 for empty; one (the newest) per endpoint pair. */
  private slots = new Int32Array(2048).fill(-1);
  private connectionHash = new Uint32Array(1024);
  /** Per connection: both endpoints' address words (4 each, in endpoint order) and ports. */
  private endpointWords = new Uint32Array(8 * 1024);
  private endpointPorts = new Uint16Array(2 * 1024);
  private readonly summary = createPacketSummary();
  /** Frame indices grouped by connection, and where each connection's run starts (set by `finish`). */
  private order: Uint32Array = EMPTY;
  private bounds: Uint32Array = EMPTY;
  /** The direction `connectionOf` found, beside the index it returns (no pair allocated per frame). */
  private lastDirection: 0 | 1 = 0;

  add(frame: PointFrameInput): void {
    const s = this.summary;
    summarizeAt(frame.buffer, frame.bufferOffset, frame.capturedLength, frame.linkType, s, frame.originalLength);
    if (s.protocol !== 6 || s.transportOffset < 0 || s.fragment) {
      this.otherFrames++;
      return;
    }
    const i = this.count;
    if (i === this.frameNumber.length) this.grow();
    const time = frame.tsSeconds + frame.tsNanos / 1e9;
    const synOnly = (s.tcpFlags & (TCP_SYN | TCP_ACK)) === TCP_SYN;
    const conn = this.connectionOf(synOnly, time);
    const direction = this.lastDirection;
    const ip = frame.bufferOffset + s.networkOffset;
    const bytes = frame.buffer;
    this.frameNumber[i] = frame.frameNumber;
    this.time[i] = time;
    this.connection[i] = conn;
    this.direction[i] = direction;
    this.seq[i] = s.seq;
    this.ack[i] = s.ack;
    this.length[i] = s.payloadLength;
    this.flags[i] = s.tcpFlags;
    this.window[i] = s.window;
    this.ttl[i] = s.ttl;
    this.ipId[i] = s.ipVersion === 4 ? (bytes[ip + 4] << 8) | bytes[ip + 5] : -1;
    this.dsfield[i] = s.ipVersion === 4 ? bytes[ip + 1] : ((bytes[ip] & 0x0f) << 4) | (bytes[ip + 1] >>> 4);
    this.mss[i] = s.mss;
    this.windowScale[i] = s.windowScale;
    this.sackPermitted[i] = s.sackPermitted ? 1 : 0;
    this.tsval[i] = s.tsval;
    this.options[i] = this.optionListId(bytes, frame.bufferOffset + s.transportOffset, s.tcpHeaderLength, frame.bufferOffset + frame.capturedLength);
    this.checksum[i] = CHECKSUM_CODES.indexOf(summaryTcpChecksumStatusAt(bytes, frame.bufferOffset, frame.capturedLength, s));
    this.count = i + 1;
  }

  /**
   * Groups the frames by connection (a counting sort, keeping capture order within each) and
   * stores the columns in that order, trimmed to size; call once after the last `add`. From
   * then on, index i counts in that order: a connection's frames are one run, which the
   * comparison reads front to back instead of jumping across the whole capture per column
   * (those cache misses were most of its time).
   */
  finish(): void {
    const n = this.count;
    if (n > 0) {
      this.startTime = this.time[0];
      this.endTime = this.time[n - 1];
    }
    const counts = new Uint32Array(this.connections.length + 1);
    for (let i = 0; i < n; i++) counts[this.connection[i] + 1]++;
    for (let c = 1; c <= this.connections.length; c++) counts[c] += counts[c - 1];
    const order = new Uint32Array(n);
    const next = counts.slice(0, this.connections.length);
    for (let i = 0; i < n; i++) order[next[this.connection[i]]++] = i;
    const permuted = <T extends Column>(column: T, make: (size: number) => T): T => {
      const out = make(n);
      for (let k = 0; k < n; k++) out[k] = column[order[k]];
      return out;
    };
    this.frameNumber = permuted(this.frameNumber, (size) => new Uint32Array(size));
    this.time = permuted(this.time, (size) => new Float64Array(size));
    this.connection = permuted(this.connection, (size) => new Uint32Array(size));
    this.direction = permuted(this.direction, (size) => new Uint8Array(size));
    this.seq = permuted(this.seq, (size) => new Uint32Array(size));
    this.ack = permuted(this.ack, (size) => new Uint32Array(size));
    this.length = permuted(this.length, (size) => new Uint32Array(size));
    this.flags = permuted(this.flags, (size) => new Uint16Array(size));
    this.window = permuted(this.window, (size) => new Uint16Array(size));
    this.ttl = permuted(this.ttl, (size) => new Uint8Array(size));
    this.ipId = permuted(this.ipId, (size) => new Int32Array(size));
    this.dsfield = permuted(this.dsfield, (size) => new Uint8Array(size));
    this.mss = permuted(this.mss, (size) => new Int32Array(size));
    this.windowScale = permuted(this.windowScale, (size) => new Int8Array(size));
    this.sackPermitted = permuted(this.sackPermitted, (size) => new Uint8Array(size));
    this.tsval = permuted(this.tsval, (size) => new Float64Array(size));
    this.options = permuted(this.options, (size) => new Uint16Array(size));
    this.checksum = permuted(this.checksum, (size) => new Uint8Array(size));
    for (let k = 0; k < n; k++) order[k] = k;
    this.group(order, counts);
  }

  /** This finished point as data for another thread, and the buffers to transfer with it. */
  finished(): { data: FinishedPoint; transfer: ArrayBuffer[] } {
    const columns = Object.fromEntries(COLUMNS.map((name) => [name, this[name]])) as Pick<CapturePoint, ColumnName>;
    const order = this.order;
    const bounds = this.bounds;
    const connections = this.connections.map(({ index, endpoints, isn, firstTime, lastTime }) => ({ index, endpoints, isn, firstTime, lastTime }));
    const buffers = [...COLUMNS.map((name) => this[name].buffer), order.buffer, bounds.buffer];
    return {
      data: { count: this.count, startTime: this.startTime, endTime: this.endTime, otherFrames: this.otherFrames, optionLists: this.optionLists, columns, connections, order, bounds },
      transfer: buffers.filter((buffer): buffer is ArrayBuffer => buffer instanceof ArrayBuffer),
    };
  }

  /** A point finished elsewhere (see `finished`); it takes no more frames. */
  static fromFinished(data: FinishedPoint): CapturePoint {
    const point = new CapturePoint();
    Object.assign(point, data.columns);
    point.count = data.count;
    point.startTime = data.startTime;
    point.endTime = data.endTime;
    point.otherFrames = data.otherFrames;
    point.optionLists.push(...data.optionLists);
    for (const connection of data.connections) point.connections.push({ ...connection, frames: EMPTY });
    point.group(data.order, data.bounds);
    return point;
  }

  private group(order: Uint32Array, bounds: Uint32Array): void {
    this.order = order;
    this.bounds = bounds;
    for (const connection of this.connections) connection.frames = order.subarray(bounds[connection.index], bounds[connection.index + 1]);
  }

  checksumStatus(i: number): ChecksumStatus {
    return CHECKSUM_CODES[this.checksum[i]];
  }

  /**
   * The connection of the summarized frame, found by a hash of both endpoints (the same whichever
   * way the frame goes) and checked word by word: no endpoint text per frame.
   */
  private connectionOf(synOnly: boolean, time: number): number {
    const s = this.summary;
    const words = s.ipVersion === 6 ? 4 : 1;
    const hash = (hashWords(s.srcWords, words, s.srcPort) ^ hashWords(s.dstWords, words, s.dstPort)) >>> 0;
    const mask = this.slots.length - 1;
    let slot = hash & mask;
    let connection: PointConnection | undefined;
    let direction: 0 | 1 = 0;
    for (let c = this.slots[slot]; c !== -1; slot = (slot + 1) & mask, c = this.slots[slot]) {
      if (this.connectionHash[c] !== hash) continue;
      const candidate = this.connections[c];
      if (this.sameEndpoint(candidate, 0, s.srcWords, s.srcPort, words) && this.sameEndpoint(candidate, 1, s.dstWords, s.dstPort, words)) {
        connection = candidate;
        direction = 0;
        break;
      }
      if (this.sameEndpoint(candidate, 1, s.srcWords, s.srcPort, words) && this.sameEndpoint(candidate, 0, s.dstWords, s.dstPort, words)) {
        connection = candidate;
        direction = 1;
        break;
      }
    }
    // A new SYN with another ISN from the client reuses the ports for a new connection (Wireshark's rule).
    if (connection !== undefined && synOnly && direction === 0 && connection.isn[0] !== -1 && connection.isn[0] !== s.seq) connection = undefined;
    if (connection === undefined) {
      // The first SYN's sender is the client; a SYN+ACK's receiver is; otherwise the higher port.
      const noSyn = (s.tcpFlags & TCP_SYN) === 0;
      const clientIsSource = synOnly || (noSyn && s.srcPort >= s.dstPort);
      const src = formatEndpoint(s.ipVersion, s.srcWords, 0, s.srcPort);
      const dst = formatEndpoint(s.ipVersion, s.dstWords, 0, s.dstPort);
      const index = this.connections.length;
      if (index * 2 === this.endpointPorts.length) {
        const words = new Uint32Array(this.endpointWords.length * 2);
        words.set(this.endpointWords);
        this.endpointWords = words;
        const ports = new Uint16Array(this.endpointPorts.length * 2);
        ports.set(this.endpointPorts);
        this.endpointPorts = ports;
        const hashes = new Uint32Array(this.connectionHash.length * 2);
        hashes.set(this.connectionHash);
        this.connectionHash = hashes;
      }
      this.connectionHash[index] = hash;
      this.endpointWords.set(clientIsSource ? s.srcWords : s.dstWords, index * 8);
      this.endpointWords.set(clientIsSource ? s.dstWords : s.srcWords, index * 8 + 4);
      this.endpointPorts[index * 2] = clientIsSource ? s.srcPort : s.dstPort;
      this.endpointPorts[index * 2 + 1] = clientIsSource ? s.dstPort : s.srcPort;
      connection = {
        index: this.connections.length,
        endpoints: clientIsSource ? [src, dst] : [dst, src],
        isn: [-1, -1],
        firstTime: time,
        lastTime: time,
        frames: EMPTY,
      };
      direction = clientIsSource ? 0 : 1;
      this.connections.push(connection);
      // The slot found holds the same endpoints' older connection (ports reused), or is empty.
      this.slots[slot] = connection.index;
      if (this.connections.length * 2 > this.slots.length) this.rehash();
    }
    connection.lastTime = time;
    if ((s.tcpFlags & TCP_SYN) !== 0 && connection.isn[direction] === -1) connection.isn[direction] = s.seq;
    this.lastDirection = direction;
    return connection.index;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2).fill(-1);
    const mask = slots.length - 1;
    for (const c of this.slots) {
      if (c === -1) continue;
      let slot = this.connectionHash[c] & mask;
      while (slots[slot] !== -1) slot = (slot + 1) & mask;
      slots[slot] = c;
    }
    this.slots = slots;
  }

  private sameEndpoint(c: PointConnection, side: 0 | 1, words: Uint32Array, port: number, count: number): boolean {
    if (this.endpointPorts[c.index * 2 + side] !== port) return false;
    const at = c.index * 8 + side * 4;
    for (let i = 0; i < count; i++) if (this.endpointWords[at + i] !== words[i]) return false;
    return true;
  }

  /** The TCP option kinds in header order ("2,4,8,1,3"), interned by a hash of the kinds (text made once per list). */
  private optionListId(bytes: Uint8Array, tcp: number, headerLength: number, available: number): number {
    const end = Math.min(tcp + headerLength, available);
    let signature = 0x811c9dc5;
    let count = 0;
    forEachOptionKind(bytes, tcp + 20, end, (kind) => {
      signature = Math.imul(signature ^ kind, 0x01000193);
      count++;
    });
    signature = (signature ^ count) >>> 0;
    let id = this.optionIds.get(signature);
    if (id === undefined) {
      const kinds: number[] = [];
      forEachOptionKind(bytes, tcp + 20, end, (kind) => kinds.push(kind));
      id = this.optionLists.length;
      this.optionLists.push(kinds.join(','));
      this.optionIds.set(signature, id);
    }
    return id;
  }

  private grow(): void {
    // ×1.5, not ×2: a million frames leave less unused and less copied at the last step.
    const size = Math.ceil(this.frameNumber.length * 1.5);
    const grown = <T extends Column>(old: T, make: (n: number) => T): T => {
      const next = make(size);
      next.set(old);
      return next;
    };
    this.frameNumber = grown(this.frameNumber, (n) => new Uint32Array(n));
    this.time = grown(this.time, (n) => new Float64Array(n));
    this.connection = grown(this.connection, (n) => new Uint32Array(n));
    this.direction = grown(this.direction, (n) => new Uint8Array(n));
    this.seq = grown(this.seq, (n) => new Uint32Array(n));
    this.ack = grown(this.ack, (n) => new Uint32Array(n));
    this.length = grown(this.length, (n) => new Uint32Array(n));
    this.flags = grown(this.flags, (n) => new Uint16Array(n));
    this.window = grown(this.window, (n) => new Uint16Array(n));
    this.ttl = grown(this.ttl, (n) => new Uint8Array(n));
    this.ipId = grown(this.ipId, (n) => new Int32Array(n));
    this.dsfield = grown(this.dsfield, (n) => new Uint8Array(n));
    this.mss = grown(this.mss, (n) => new Int32Array(n));
    this.windowScale = grown(this.windowScale, (n) => new Int8Array(n));
    this.sackPermitted = grown(this.sackPermitted, (n) => new Uint8Array(n));
    this.tsval = grown(this.tsval, (n) => new Float64Array(n));
    this.options = grown(this.options, (n) => new Uint16Array(n));
    this.checksum = grown(this.checksum, (n) => new Uint8Array(n));
  }
}

/** Visits each TCP option kind in [start, end) in order, stopping at End of Option List or a bad length. */
function forEachOptionKind(bytes: Uint8Array, start: number, end: number, visit: (kind: number) => void): void {
  for (let at = start; at < end; ) {
    const kind = bytes[at];
    visit(kind);
    if (kind === 0) return;
    if (kind === 1) {
      at++;
      continue;
    }
    const size = at + 1 < end ? bytes[at + 1] : 0;
    if (size < 2) return;
    at += size;
  }
}
