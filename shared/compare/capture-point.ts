/**
 * One capture point of a comparison: every TCP frame seen there, reduced to what pairing and
 * rewrite detection need, in typed columns (a million frames cost ~60 MB, not a million objects),
 * grouped into the connections seen at that point.
 */
import { summaryTcpChecksumStatusAt, type ChecksumStatus } from '../wire/checksum';
import { createPacketSummary, TCP_ACK, TCP_SYN } from '../wire/summary';
import { summarizeAt } from '../wire/summarize';
import { formatEndpoint } from '../track/tracker';

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

const CHECKSUM_CODES: readonly ChecksumStatus[] = ['good', 'bad', 'partial', 'unverified'];

/** Columns of one point's TCP frames. Index i is the i-th TCP frame of the capture. */
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

  readonly connections: PointConnection[] = [];
  readonly optionLists: string[] = [];
  /** Frames that were not TCP over IP (or could not be read as such). */
  otherFrames = 0;

  private readonly optionIds = new Map<string, number>();
  private readonly byTuple = new Map<string, number>();
  private readonly summary = createPacketSummary();

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
    const src = formatEndpoint(s.ipVersion, s.srcWords, 0, s.srcPort);
    const dst = formatEndpoint(s.ipVersion, s.dstWords, 0, s.dstPort);
    const synOnly = (s.tcpFlags & (TCP_SYN | TCP_ACK)) === TCP_SYN;
    const [conn, direction] = this.connectionOf(src, dst, s.srcPort, s.dstPort, synOnly, s.tcpFlags, s.seq, time);
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

  /** Groups frame indices by connection (a counting sort); call once after the last `add`. */
  finish(): void {
    const counts = new Uint32Array(this.connections.length + 1);
    for (let i = 0; i < this.count; i++) counts[this.connection[i] + 1]++;
    for (let c = 1; c <= this.connections.length; c++) counts[c] += counts[c - 1];
    const order = new Uint32Array(this.count);
    const next = counts.slice(0, this.connections.length);
    for (let i = 0; i < this.count; i++) order[next[this.connection[i]]++] = i;
    for (const connection of this.connections) connection.frames = order.subarray(counts[connection.index], counts[connection.index + 1]);
  }

  checksumStatus(i: number): ChecksumStatus {
    return CHECKSUM_CODES[this.checksum[i]];
  }

  private connectionOf(src: string, dst: string, srcPort: number, dstPort: number, synOnly: boolean, flags: number, seq: number, time: number): [number, 0 | 1] {
    const forward = src < dst;
    const key = forward ? `${src}>${dst}` : `${dst}>${src}`;
    let index = this.byTuple.get(key);
    let connection = index === undefined ? undefined : this.connections[index];
    // A new SYN with another ISN from the client reuses the ports for a new connection (Wireshark's rule).
    if (connection !== undefined && synOnly && connection.endpoints[0] === src && connection.isn[0] !== -1 && connection.isn[0] !== seq) connection = undefined;
    if (connection === undefined) {
      // The first SYN's sender is the client; a SYN+ACK's receiver is; otherwise the higher port.
      const clientIsSource = synOnly || ((flags & TCP_SYN) === 0 && srcPort > dstPort) || ((flags & TCP_SYN) === 0 && srcPort === dstPort && forward);
      connection = {
        index: this.connections.length,
        endpoints: clientIsSource ? [src, dst] : [dst, src],
        isn: [-1, -1],
        firstTime: time,
        lastTime: time,
        frames: new Uint32Array(0),
      };
      index = connection.index;
      this.connections.push(connection);
      this.byTuple.set(key, index);
    }
    connection.lastTime = time;
    const direction: 0 | 1 = connection.endpoints[0] === src ? 0 : 1;
    if ((flags & TCP_SYN) !== 0 && connection.isn[direction] === -1) connection.isn[direction] = seq;
    return [connection.index, direction];
  }

  /** The TCP option kinds in header order ("2,4,8,1,3"), interned. */
  private optionListId(bytes: Uint8Array, tcp: number, headerLength: number, available: number): number {
    const end = Math.min(tcp + headerLength, available);
    let kinds = '';
    for (let at = tcp + 20; at < end; ) {
      const kind = bytes[at];
      kinds += kinds === '' ? `${kind}` : `,${kind}`;
      if (kind === 0) break;
      if (kind === 1) {
        at++;
        continue;
      }
      const size = at + 1 < end ? bytes[at + 1] : 0;
      if (size < 2) break;
      at += size;
    }
    let id = this.optionIds.get(kinds);
    if (id === undefined) {
      id = this.optionLists.length;
      this.optionLists.push(kinds);
      this.optionIds.set(kinds, id);
    }
    return id;
  }

  private grow(): void {
    const size = this.frameNumber.length * 2;
    const grown = <T extends Uint8Array | Uint16Array | Uint32Array | Int8Array | Int32Array | Float64Array>(old: T, make: (n: number) => T): T => {
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
