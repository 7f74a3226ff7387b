/**
 * Per-connection storage as struct-of-arrays: one row per connection slot in typed
 * arrays, so a million connections cost a few hundred bytes each and the per-frame path
 * never allocates. Columns are allocated once at the table's cap: the OS hands out zero
 * pages lazily, so resident memory follows the slots in use. Side-indexed columns hold two rows per slot: `slot * 2 + side`, with
 * side 0 the client (Zeek's originator) and side 1 the server.
 */

/** Transitions kept per endpoint; a normal life needs at most 6 (e.g. LISTEN … CLOSED). */
export const TRANSITIONS_PER_SIDE = 8;
/** Key frames kept per connection for the ladder (SYN, SYN+ACK, ACK, FINs and their ACKs, RST). */
export const KEY_FRAMES = 10;
/** Order of the counts columns, as cli.md lists them. */
export const COUNT_NAMES = [
  'retransmissions',
  'fast_retransmissions',
  'dup_acks',
  'out_of_order',
  'keepalives',
  'zero_windows',
  'window_updates',
  'lost_segments',
  'bad_checksums',
] as const;
export type CountName = (typeof COUNT_NAMES)[number];
export const Count = {
  RETRANSMISSIONS: 0,
  FAST_RETRANSMISSIONS: 1,
  DUP_ACKS: 2,
  OUT_OF_ORDER: 3,
  KEEPALIVES: 4,
  ZERO_WINDOWS: 5,
  WINDOW_UPDATES: 6,
  LOST_SEGMENTS: 7,
  BAD_CHECKSUMS: 8,
} as const;
const COUNT_COLUMNS = COUNT_NAMES.length;

/** Per-connection 32-bit record. */
export const CONN32 = 20;
export const O_C_HASH = 0;
export const O_C_FLAGS = 1;
/** Client port, then server port. */
export const O_C_PORT = 2;
/** Client address words 0..3, then server address words 4..7 (IPv4 uses the first of each). */
export const O_C_ADDRESS = 4;
export const O_C_FRAMES = 12;
export const O_C_START_NS = 13;
export const O_C_END_NS = 14;
export const O_C_STREAM = 15;
export const O_C_IP_VERSION = 16;
export const O_C_COMPLETENESS = 17;
/** Least-recently-active list links, signed (read through connLinks): -1 ends the list. */
export const O_C_LRU_PREV = 18;
export const O_C_LRU_NEXT = 19;
/** Per-connection 64-bit record. */
export const CONN64 = 3;
export const O_C_START_SEC = 0;
export const O_C_END_SEC = 1;
export const O_C_BYTES = 2;

/** Per-side 32-bit record: flags, then sequence state (unsigned 32-bit values). */
export const SIDE32 = 16;
export const O_FLAGS = 0;
/** Wireshark's base for relative numbers. */
export const O_BASE = 1;
export const O_ISN = 2;
export const O_NEXT_SEQ = 3;
export const O_MAX_SEQ_TO_BE_ACKED = 4;
export const O_LAST_ACK = 5;
/** The last window field, raw (unscaled). */
export const O_WINDOW = 6;
export const O_DUP_ACK_COUNT = 7;
export const O_LAST_NON_DUP_ACK_FRAME = 8;
export const O_LAST_SEGMENT_FLAGS = 9;
/** Sequence number just past our FIN: the ACK that acknowledges it. */
export const O_FIN_END = 10;
export const O_ZEEK_LAST_SEQ = 11;
export const O_ZEEK_HOLE_START = 12;
export const O_HISTORY_LAST_SYN = 13;
export const O_HISTORY_LAST_FIN = 14;
export const O_HISTORY_LAST_RST = 15;
/** Per-side 64-bit record: times in ns after the connection start, byte counts. */
export const SIDE64 = 4;
export const O_NEXT_SEQ_NS = 0;
export const O_LAST_ACK_NS = 1;
export const O_PAYLOAD_BYTES = 2;
/** While a SYN awaits the receiver's answer: that SYN's time; in TIME_WAIT: when it began. */
export const O_MARK_NS = 3;

/** Scaled (logarithmic) Zeek history letters, per side. */
export const Scaled = { C: 0, T: 1, W: 2, G: 3 } as const;

export class ConnectionStore {
  capacity: number;

  // Per connection: what every frame reads or writes sits in one record (conn32, with
  // connLinks as its signed view for the LRU links, and conn64), offsets O_C_*.
  conn32: Uint32Array;
  connLinks: Int32Array;
  conn64: Float64Array;
  synFrame: Uint32Array;
  synAckFrame: Uint32Array;
  finalAckFrame: Uint32Array;
  /** Offsets from the connection start, in ns; -1 when not seen. */
  lastSynNs: Float64Array;
  lastSynAckNs: Float64Array;
  synToSynAckNs: Float64Array;
  synAckToAckNs: Float64Array;
  initialRttNs: Float64Array;
  /** Wireshark's tcp.analysis.initial_rtt: the latest SYN → the first ACK-flagged non-SYN segment. */
  wiresharkRttNs: Float64Array;
  synRetransmissions: Uint32Array;
  synAckRetransmissions: Uint32Array;
  firstFinSide: Int8Array;
  rstSide: Int8Array;
  teardownKind: Uint8Array;
  halfCloseBytes: Float64Array;
  /**
   * Problem counters, only for connections that have any (most have none): the nine cli.md
   * counts, then Zeek's scaled c/t/w/g counters for the client and for the server.
   */
  private readonly problems = new Map<number, Uint32Array>();
  keyFrameCount: Uint8Array;
  keyFrame: Uint32Array;
  keyFrameInfo: Uint8Array;
  /** Zeek history per slot; a plain array, pushed as slots come into use. */
  history: string[];

  // Per side. The fields every segment touches sit together in one record per side
  // (side32/side64, offsets O_*), so a frame reads a few cache lines, not one per field.
  side32: Uint32Array;
  side64: Float64Array;
  state: Uint8Array;
  zeekState: Uint8Array;
  zeekPrevState: Uint8Array;
  windowScaleOffer: Int8Array;
  /** -1 unknown (no SYN seen), -2 no scaling (a SYN without the option), else the shift. */
  windowScale: Int8Array;
  pendingSynFrame: Uint32Array;
  transitionCount: Uint8Array;
  transitionState: Uint8Array;
  transitionFrame: Uint32Array;
  transitionNs: Float64Array;

  constructor(initialCapacity: number) {
    const n = initialCapacity;
    this.capacity = n;
    this.conn32 = new Uint32Array(n * CONN32);
    this.connLinks = new Int32Array(this.conn32.buffer);
    this.conn64 = new Float64Array(n * CONN64);
    this.synFrame = new Uint32Array(n);
    this.synAckFrame = new Uint32Array(n);
    this.finalAckFrame = new Uint32Array(n);
    this.lastSynNs = new Float64Array(n);
    this.lastSynAckNs = new Float64Array(n);
    this.synToSynAckNs = new Float64Array(n);
    this.synAckToAckNs = new Float64Array(n);
    this.initialRttNs = new Float64Array(n);
    this.wiresharkRttNs = new Float64Array(n);
    this.synRetransmissions = new Uint32Array(n);
    this.synAckRetransmissions = new Uint32Array(n);
    this.firstFinSide = new Int8Array(n);
    this.rstSide = new Int8Array(n);
    this.teardownKind = new Uint8Array(n);
    this.halfCloseBytes = new Float64Array(n);
    this.keyFrameCount = new Uint8Array(n);
    this.keyFrame = new Uint32Array(n * KEY_FRAMES);
    this.keyFrameInfo = new Uint8Array(n * KEY_FRAMES);
    this.history = []; // grows with the slots in use

    const s = n * 2;
    this.side32 = new Uint32Array(s * SIDE32);
    this.side64 = new Float64Array(s * SIDE64);
    this.state = new Uint8Array(s);
    this.zeekState = new Uint8Array(s);
    this.zeekPrevState = new Uint8Array(s);
    this.windowScaleOffer = new Int8Array(s);
    this.windowScale = new Int8Array(s);
    this.pendingSynFrame = new Uint32Array(s);
    this.transitionCount = new Uint8Array(s);
    this.transitionState = new Uint8Array(s * TRANSITIONS_PER_SIDE);
    this.transitionFrame = new Uint32Array(s * TRANSITIONS_PER_SIDE);
    this.transitionNs = new Float64Array(s * TRANSITIONS_PER_SIDE);
  }

  /** Clears a slot's row before reuse (only the columns whose zero is not a valid start). */
  reset(slot: number): void {
    this.conn32.fill(0, slot * CONN32, slot * CONN32 + CONN32);
    this.conn64.fill(0, slot * CONN64, slot * CONN64 + CONN64);
    this.synFrame[slot] = 0;
    this.synAckFrame[slot] = 0;
    this.finalAckFrame[slot] = 0;
    this.lastSynNs[slot] = -1;
    this.lastSynAckNs[slot] = -1;
    this.synToSynAckNs[slot] = -1;
    this.synAckToAckNs[slot] = -1;
    this.initialRttNs[slot] = -1;
    this.wiresharkRttNs[slot] = -1;
    this.synRetransmissions[slot] = 0;
    this.synAckRetransmissions[slot] = 0;
    this.firstFinSide[slot] = -1;
    this.rstSide[slot] = -1;
    this.teardownKind[slot] = 0;
    this.halfCloseBytes[slot] = 0;
    this.problems.delete(slot);
    this.keyFrameCount[slot] = 0;
    this.history[slot] = '';
    for (let side = slot * 2; side < slot * 2 + 2; side++) {
      this.side32.fill(0, side * SIDE32, side * SIDE32 + SIDE32);
      this.side64.fill(0, side * SIDE64, side * SIDE64 + SIDE64);
      this.state[side] = 0;
      this.zeekState[side] = 0;
      this.zeekPrevState[side] = 0;
      this.windowScaleOffer[side] = -1;
      this.windowScale[side] = -1;
      this.transitionCount[side] = 0;
    }
  }

  count(slot: number, which: number): number {
    return this.problems.get(slot)?.[which] ?? 0;
  }

  addCount(slot: number, which: number): void {
    this.problemRow(slot)[which]++;
  }

  /** Increments a Zeek scaled counter (Scaled.*) of one side and returns its new value. */
  addScaled(slot: number, side: number, which: number): number {
    return ++this.problemRow(slot)[COUNT_COLUMNS + side * 4 + which];
  }

  private problemRow(slot: number): Uint32Array {
    let row = this.problems.get(slot);
    if (!row) {
      row = new Uint32Array(COUNT_COLUMNS + 8);
      this.problems.set(slot, row);
    }
    return row;
  }
}
