/**
 * Per-connection storage in typed arrays: a record per connection slot for what every frame
 * touches, and columns for the rest, so a million connections cost a few hundred bytes each and
 * the per-frame path never allocates. Columns start at a modest capacity (zero pages until
 * touched) and grow fourfold on demand up to the table's cap: a small capture does not pay for
 * reserving millions of rows, and a large one copies at most a third of its rows. Side-indexed data has
 * two rows per slot, `slot * 2 + side`, with side 0 the client (Zeek's originator) and side 1 the server.
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

/*
 * Every field a frame reads or writes lives in one 320-byte record per connection (five cache
 * lines, side by side), seen through a 32-bit and a 64-bit view of the same memory: a frame then
 * waits for one region of memory instead of four (conn32, conn64, side32, side64 rows apart).
 * The record is two 160-byte halves, one per side, so `(slot * 2 + side) * SIDE32` finds a side's
 * fields; the connection's own fields fill the space the sides leave free:
 *
 *   words  0..7   side 0, 64-bit fields (O_NEXT_SEQ_NS …)   words 40..47  side 1, 64-bit fields
 *   words  8..23  side 0, 32-bit fields (O_FLAGS …)          words 48..63  side 1, 32-bit fields
 *   words 24..29  connection 64-bit fields                   words 64..75  lookup key: hash, IP version, ports, addresses
 *   words 30..39  connection 32-bit fields (34, 35 SYN-flood; 36 history; 37, 38 packets per side; 39 free)                   words 76..79  connection 32-bit fields
 */
/** Words (32-bit) per connection record; `slot * CONN32 + O_C_*` indexes conn32. */
export const CONN32 = 80;
/** Doubles per connection record; `slot * CONN64 + O_C_*` indexes conn64. */
export const CONN64 = CONN32 / 2;
/** Per-side halves of the record: `sideIndex * SIDE32 + O_*` (32-bit), `sideIndex * SIDE64 + O_*` (64-bit). */
export const SIDE32 = CONN32 / 2;
export const SIDE64 = CONN64 / 2;

// Connection, 64-bit (doubles 12..14 = words 24..29)
export const O_C_START_SEC = 12;
export const O_C_END_SEC = 13;
export const O_C_BYTES = 14;
// Connection, 32-bit. What lookup compares sits in one cache line (words 64..75).
export const O_C_COMPLETENESS = 30;
export const O_C_STREAM = 31;
/** Least-recently-active list links, signed (read through connLinks): -1 ends the list. */
export const O_C_LRU_PREV = 32;
export const O_C_LRU_NEXT = 33;
/** The SYN-flood detector's id of the server endpoint, plus 1 (0: not asked yet). */
export const O_C_FLOOD_TARGET = 34;
/** The connection's position in that detector's half-open queue, plus 1 (0: never half-open). */
export const O_C_HALF_OPEN = 35;
/** The tracker's id of the connection's Zeek history (see Tracker.addHistory). */
export const O_C_HISTORY = 36;
/** Frames each side sent (Zeek's orig_pkts, resp_pkts): client at 37, server at 38. */
export const O_C_PACKETS = 37;
export const O_C_HASH = 64;
export const O_C_IP_VERSION = 65;
/** Client port, then server port. */
export const O_C_PORT = 66;
/** Client address words 0..3, then server address words 4..7 (IPv4 uses the first of each). */
export const O_C_ADDRESS = 68;
export const O_C_FRAMES = 76;
export const O_C_START_NS = 77;
export const O_C_END_NS = 78;
export const O_C_FLAGS = 79;

/** Per-side 32-bit fields: flags, then sequence state (unsigned 32-bit values). */
export const O_FLAGS = 8;
/** Wireshark's base for relative numbers. */
export const O_BASE = 9;
export const O_ISN = 10;
export const O_NEXT_SEQ = 11;
export const O_MAX_SEQ_TO_BE_ACKED = 12;
export const O_LAST_ACK = 13;
/** The last window field, raw (unscaled). */
export const O_WINDOW = 14;
export const O_DUP_ACK_COUNT = 15;
export const O_LAST_NON_DUP_ACK_FRAME = 16;
export const O_LAST_SEGMENT_FLAGS = 17;
/** Sequence number just past our FIN: the ACK that acknowledges it. */
export const O_FIN_END = 18;
export const O_ZEEK_LAST_SEQ = 19;
export const O_ZEEK_HOLE_START = 20;
export const O_HISTORY_LAST_SYN = 21;
export const O_HISTORY_LAST_FIN = 22;
export const O_HISTORY_LAST_RST = 23;
/** Per-side 64-bit fields: times in ns after the connection start, byte counts. */
export const O_NEXT_SEQ_NS = 0;
export const O_LAST_ACK_NS = 1;
export const O_PAYLOAD_BYTES = 2;
/** While a SYN awaits the receiver's answer: that SYN's time; in TIME_WAIT: when it began. */
export const O_MARK_NS = 3;

/** inFlightFlags bits: bytes in flight not valid (a gap until the peer ACKs), the last data segment had PSH. */
export const BIF_INVALID = 1;
export const BIF_PUSH_LAST = 2;

/** Scaled (logarithmic) Zeek history letters, per side. */
export const Scaled = { C: 0, T: 1, W: 2, G: 3 } as const;

export class ConnectionStore {
  capacity: number;

  // Per connection: what every frame reads or writes sits in one record (conn32, with
  // connLinks as its signed view for the LRU links, and conn64 over the same memory), offsets O_C_*.
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

  // Per side. The fields every segment touches are the sides' halves of the connection record
  // (side32/side64: the same memory as conn32/conn64, offsets O_*).
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
  /** IP bytes each side sent, as the IP headers give them (Zeek's orig_ip_bytes, resp_ip_bytes). */
  ipBytes: Float64Array;
  /** Bytes in sequence gaps each side left (segments never captured; Zeek's missed_bytes). */
  missedBytes: Float64Array;
  /** Per side: the id of its unacknowledged-segment list in the tracker's pool, plus 1 (0: none). */
  unackedList: Uint32Array;
  /** Per side: BIF_* bits (bytes-in-flight validity, PSH seen last). */
  inFlightFlags: Uint8Array;
  /** Per side: Wireshark's push_bytes_sent counter. */
  pushBytes: Float64Array;
  /** Per side: bytes its latest SACK option covered (the sum of its blocks), taken off the peer's bytes in flight. */
  sackedBytes: Float64Array;

  constructor(initialCapacity: number) {
    const n = initialCapacity;
    this.capacity = n;
    // One buffer, three views: see the record layout above.
    const records = new ArrayBuffer(n * CONN32 * 4);
    this.conn32 = new Uint32Array(records);
    this.connLinks = new Int32Array(records);
    this.conn64 = new Float64Array(records);
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
    this.side32 = this.conn32;
    this.side64 = this.conn64;
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
    this.ipBytes = new Float64Array(s);
    this.missedBytes = new Float64Array(s);
    this.unackedList = new Uint32Array(s);
    this.inFlightFlags = new Uint8Array(s);
    this.pushBytes = new Float64Array(s);
    this.sackedBytes = new Float64Array(s);
  }

  /**
   * Room for `capacity` slots, keeping every row. Callers hold the store, never its arrays,
   * across a call that may create a connection.
   */
  grow(capacity: number): void {
    if (capacity <= this.capacity) return;
    const n = capacity;
    const records = new ArrayBuffer(n * CONN32 * 4);
    const conn32 = new Uint32Array(records);
    conn32.set(this.conn32);
    this.conn32 = conn32;
    this.connLinks = new Int32Array(records);
    this.conn64 = new Float64Array(records);
    this.side32 = conn32;
    this.side64 = this.conn64;
    this.synFrame = grown(this.synFrame, new Uint32Array(n));
    this.synAckFrame = grown(this.synAckFrame, new Uint32Array(n));
    this.finalAckFrame = grown(this.finalAckFrame, new Uint32Array(n));
    this.lastSynNs = grown(this.lastSynNs, new Float64Array(n));
    this.lastSynAckNs = grown(this.lastSynAckNs, new Float64Array(n));
    this.synToSynAckNs = grown(this.synToSynAckNs, new Float64Array(n));
    this.synAckToAckNs = grown(this.synAckToAckNs, new Float64Array(n));
    this.initialRttNs = grown(this.initialRttNs, new Float64Array(n));
    this.wiresharkRttNs = grown(this.wiresharkRttNs, new Float64Array(n));
    this.synRetransmissions = grown(this.synRetransmissions, new Uint32Array(n));
    this.synAckRetransmissions = grown(this.synAckRetransmissions, new Uint32Array(n));
    this.firstFinSide = grown(this.firstFinSide, new Int8Array(n));
    this.rstSide = grown(this.rstSide, new Int8Array(n));
    this.teardownKind = grown(this.teardownKind, new Uint8Array(n));
    this.halfCloseBytes = grown(this.halfCloseBytes, new Float64Array(n));
    this.keyFrameCount = grown(this.keyFrameCount, new Uint8Array(n));
    this.keyFrame = grown(this.keyFrame, new Uint32Array(n * KEY_FRAMES));
    this.keyFrameInfo = grown(this.keyFrameInfo, new Uint8Array(n * KEY_FRAMES));
    const s = n * 2;
    this.state = grown(this.state, new Uint8Array(s));
    this.zeekState = grown(this.zeekState, new Uint8Array(s));
    this.zeekPrevState = grown(this.zeekPrevState, new Uint8Array(s));
    this.windowScaleOffer = grown(this.windowScaleOffer, new Int8Array(s));
    this.windowScale = grown(this.windowScale, new Int8Array(s));
    this.pendingSynFrame = grown(this.pendingSynFrame, new Uint32Array(s));
    this.transitionCount = grown(this.transitionCount, new Uint8Array(s));
    this.transitionState = grown(this.transitionState, new Uint8Array(s * TRANSITIONS_PER_SIDE));
    this.transitionFrame = grown(this.transitionFrame, new Uint32Array(s * TRANSITIONS_PER_SIDE));
    this.transitionNs = grown(this.transitionNs, new Float64Array(s * TRANSITIONS_PER_SIDE));
    this.ipBytes = grown(this.ipBytes, new Float64Array(s));
    this.missedBytes = grown(this.missedBytes, new Float64Array(s));
    this.unackedList = grown(this.unackedList, new Uint32Array(s));
    this.inFlightFlags = grown(this.inFlightFlags, new Uint8Array(s));
    this.pushBytes = grown(this.pushBytes, new Float64Array(s));
    this.sackedBytes = grown(this.sackedBytes, new Float64Array(s));
    this.capacity = n;
  }

  /** Clears a slot's row before reuse (only the columns whose zero is not a valid start). */
  reset(slot: number): void {
    // The whole record, both sides' fields included.
    this.conn32.fill(0, slot * CONN32, slot * CONN32 + CONN32);
    this.synFrame[slot] = 0;
    this.synAckFrame[slot] = 0;
    this.finalAckFrame[slot] = 0;
    this.synRetransmissions[slot] = 0;
    this.synAckRetransmissions[slot] = 0;
    this.teardownKind[slot] = 0;
    this.halfCloseBytes[slot] = 0;
    this.problems.delete(slot);
    this.keyFrameCount[slot] = 0;
    this.history[slot] = '';
    for (let side = slot * 2; side < slot * 2 + 2; side++) {
      this.state[side] = 0;
      this.zeekState[side] = 0;
      this.zeekPrevState[side] = 0;
      this.transitionCount[side] = 0;
      this.ipBytes[side] = 0;
      this.missedBytes[side] = 0;
      this.inFlightFlags[side] = 0;
      this.pushBytes[side] = 0;
      this.sackedBytes[side] = 0;
    }
    this.initialize(slot);
  }

  /**
   * The starting values that are not zero, for a slot never used (its rows are still the zeros
   * the columns were made with): what a new connection costs when no slot is reused.
   */
  initialize(slot: number): void {
    this.lastSynNs[slot] = -1;
    this.lastSynAckNs[slot] = -1;
    this.synToSynAckNs[slot] = -1;
    this.synAckToAckNs[slot] = -1;
    this.initialRttNs[slot] = -1;
    this.wiresharkRttNs[slot] = -1;
    this.firstFinSide[slot] = -1;
    this.rstSide[slot] = -1;
    this.windowScaleOffer[slot * 2] = -1;
    this.windowScaleOffer[slot * 2 + 1] = -1;
    this.windowScale[slot * 2] = -1;
    this.windowScale[slot * 2 + 1] = -1;
  }

  /** The slot's counts, Count.* first (undefined while all are zero): one map lookup for all of them. */
  counts(slot: number): Uint32Array | undefined {
    return this.problems.get(slot);
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

/** `larger` with `rows` copied into its start. */
export function grown<T extends Uint8Array | Int8Array | Int32Array | Uint32Array | Float64Array>(rows: T, larger: T): T {
  larger.set(rows as ArrayLike<number>);
  return larger;
}
