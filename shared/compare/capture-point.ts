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
  /** Its frames, in capture order, are the indices [first, end) once the point is finished. */
  first: number;
  end: number;
}

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
  connections: PointConnection[];
}
const CHECKSUM_CODES: readonly ChecksumStatus[] = ['good', 'bad', 'partial', 'unverified'];

/** Columns of one point's TCP frames. Index i is the i-th TCP frame of the capture until `finish`, then the i-th in connection order. */
export class CapturePoint {
  count = 0;
  frameNumber: Uint32Array;
  /** Seconds since the epoch; a double keeps ~0.25 µs at today's epoch, enough for delays in µs. */
  time: Float64Array;
  connection: Uint32Array;
  /** 0: sent by the connection's endpoint 0 (client), 1: by endpoint 1. */
  direction: Uint8Array;
  seq: Uint32Array;
  ack: Uint32Array;
  length: Uint32Array;
  flags: Uint16Array;
  window: Uint16Array;
  ttl: Uint8Array;
  /** IPv4 identification, or -1 for IPv6. */
  ipId: Int32Array;
  /** IPv4 TOS / IPv6 traffic class byte (DSCP and ECN). */
  dsfield: Uint8Array;
  mss: Int32Array;
  windowScale: Int8Array;
  sackPermitted: Uint8Array;
  /** TSval, or -1 without the option. */
  tsval: Float64Array;
  /** The option kinds in order, interned: an index into `optionLists`. */
  options: Uint16Array;
  checksum: Uint8Array;

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
  /** The direction `connectionOf` found, beside the index it returns (no pair allocated per frame). */
  private lastDirection: 0 | 1 = 0;

  /**
   * `expectedFrames` sizes the columns up front (a guess from the file size saves the copies of
   * growing them; pages never written cost no memory, and `finish` trims to the frames added).
   */
  constructor(expectedFrames = 1024) {
    const n = Math.max(16, Math.ceil(expectedFrames));
    this.frameNumber = new Uint32Array(n);
    this.time = new Float64Array(n);
    this.connection = new Uint32Array(n);
    this.direction = new Uint8Array(n);
    this.seq = new Uint32Array(n);
    this.ack = new Uint32Array(n);
    this.length = new Uint32Array(n);
    this.flags = new Uint16Array(n);
    this.window = new Uint16Array(n);
    this.ttl = new Uint8Array(n);
    this.ipId = new Int32Array(n);
    this.dsfield = new Uint8Array(n);
    this.mss = new Int32Array(n);
    this.windowScale = new Int8Array(n);
    this.sackPermitted = new Uint8Array(n);
    this.tsval = new Float64Array(n);
    this.options = new Uint16Array(n);
    this.checksum = new Uint8Array(n);
  }

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
    // One gather per element type: a single generic loop over six array types runs megamorphic (measured ~5x slower).
    this.frameNumber = gatherU32(this.frameNumber, order);
    this.time = gatherF64(this.time, order);
    this.connection = gatherU32(this.connection, order);
    this.direction = gatherU8(this.direction, order);
    this.seq = gatherU32(this.seq, order);
    this.ack = gatherU32(this.ack, order);
    this.length = gatherU32(this.length, order);
    this.flags = gatherU16(this.flags, order);
    this.window = gatherU16(this.window, order);
    this.ttl = gatherU8(this.ttl, order);
    this.ipId = gatherI32(this.ipId, order);
    this.dsfield = gatherU8(this.dsfield, order);
    this.mss = gatherI32(this.mss, order);
    this.windowScale = gatherI8(this.windowScale, order);
    this.sackPermitted = gatherU8(this.sackPermitted, order);
    this.tsval = gatherF64(this.tsval, order);
    this.options = gatherU16(this.options, order);
    this.checksum = gatherU8(this.checksum, order);
    for (const connection of this.connections) {
      connection.first = counts[connection.index];
      connection.end = counts[connection.index + 1];
      // Set here rather than per frame: a store into the connection object per frame was a cache miss each.
      connection.lastTime = this.time[connection.end - 1];
    }
  }

  /** This finished point as data for another thread, and the buffers to transfer with it. */
  finished(): { data: FinishedPoint; transfer: ArrayBuffer[] } {
    const columns = Object.fromEntries(COLUMNS.map((name) => [name, this[name]])) as Pick<CapturePoint, ColumnName>;
    const connections = this.connections;
    const buffers = COLUMNS.map((name) => this[name].buffer);
    return {
      data: { count: this.count, startTime: this.startTime, endTime: this.endTime, otherFrames: this.otherFrames, optionLists: this.optionLists, columns, connections },
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
    point.connections.push(...data.connections);
    return point;
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
    // Candidates are checked by index in the typed arrays; the connection object is touched only once found.
    for (let c = this.slots[slot]; c !== -1; slot = (slot + 1) & mask, c = this.slots[slot]) {
      if (this.connectionHash[c] !== hash) continue;
      if (this.sameEndpoint(c, 0, s.srcWords, s.srcPort, words) && this.sameEndpoint(c, 1, s.dstWords, s.dstPort, words)) {
        connection = this.connections[c];
        direction = 0;
        break;
      }
      if (this.sameEndpoint(c, 1, s.srcWords, s.srcPort, words) && this.sameEndpoint(c, 0, s.dstWords, s.dstPort, words)) {
        connection = this.connections[c];
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
        first: 0,
        end: 0,
      };
      direction = clientIsSource ? 0 : 1;
      this.connections.push(connection);
      // The slot found holds the same endpoints' older connection (ports reused), or is empty.
      this.slots[slot] = connection.index;
      if (this.connections.length * 2 > this.slots.length) this.rehash();
    }
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

  private sameEndpoint(c: number, side: 0 | 1, words: Uint32Array, port: number, count: number): boolean {
    if (this.endpointPorts[c * 2 + side] !== port) return false;
    const at = c * 8 + side * 4;
    for (let i = 0; i < count; i++) if (this.endpointWords[at + i] !== words[i]) return false;
    return true;
  }

  /** The TCP option kinds in header order ("2,4,8,1,3"), interned by a hash of the kinds (text made once per list). */
  private optionListId(bytes: Uint8Array, tcp: number, headerLength: number, available: number): number {
    const end = Math.min(tcp + headerLength, available);
    // The walk of forEachOptionKind, inlined: a callback per frame allocated a closure per frame.
    let signature = 0x811c9dc5;
    let count = 0;
    for (let at = tcp + 20; at < end; ) {
      const kind = bytes[at];
      signature = Math.imul(signature ^ kind, 0x01000193);
      count++;
      if (kind === 0) break;
      if (kind === 1) {
        at++;
        continue;
      }
      const size = at + 1 < end ? bytes[at + 1] : 0;
      if (size < 2) break;
      at += size;
    }
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

function gatherU8(column: Uint8Array, order: Uint32Array): Uint8Array {
  const out = new Uint8Array(order.length);
  for (let k = 0; k < order.length; k++) out[k] = column[order[k]];
  return out;
}
function gatherI8(column: Int8Array, order: Uint32Array): Int8Array {
  const out = new Int8Array(order.length);
  for (let k = 0; k < order.length; k++) out[k] = column[order[k]];
  return out;
}
function gatherU16(column: Uint16Array, order: Uint32Array): Uint16Array {
  const out = new Uint16Array(order.length);
  for (let k = 0; k < order.length; k++) out[k] = column[order[k]];
  return out;
}
function gatherU32(column: Uint32Array, order: Uint32Array): Uint32Array {
  const out = new Uint32Array(order.length);
  for (let k = 0; k < order.length; k++) out[k] = column[order[k]];
  return out;
}
function gatherI32(column: Int32Array, order: Uint32Array): Int32Array {
  const out = new Int32Array(order.length);
  for (let k = 0; k < order.length; k++) out[k] = column[order[k]];
  return out;
}
function gatherF64(column: Float64Array, order: Uint32Array): Float64Array {
  const out = new Float64Array(order.length);
  for (let k = 0; k < order.length; k++) out[k] = column[order[k]];
  return out;
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
