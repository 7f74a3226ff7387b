/**
 * Connection tracking: the flow table, both endpoints' RFC 9293 states, Wireshark's TCP
 * analysis, Zeek's summary, handshake/teardown classification, TLS hellos and SYN floods.
 *
 * Feed it frames in capture order with `track()`; call `finish()` at the end of the
 * capture; read `connections()` and `alerts()`.
 */
import { formatIpv4, formatIpv6 } from '../wire/bytes';
import type { PacketSummary } from '../wire/summary';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from '../wire/summary';
import { Analysis, Completeness } from './flags';
import { seqDiff, seqGe, seqGt, seqLe, seqLt, seqRelative } from './seq';
import { TCP_STATE_NAMES, TcpEvent, TcpState, nextState } from './states';
import {
  COUNT_NAMES,
  Count,
  ConnectionStore,
  KEY_FRAMES,
  CONN32,
  CONN64,
  O_BASE,
  O_C_ADDRESS,
  O_C_BYTES,
  O_C_COMPLETENESS,
  O_C_END_NS,
  O_C_END_SEC,
  O_C_FLAGS,
  O_C_FRAMES,
  O_C_HASH,
  O_C_IP_VERSION,
  O_C_LRU_NEXT,
  O_C_FLOOD_TARGET,
  O_C_HALF_OPEN,
  O_C_HISTORY,
  O_C_LRU_PREV,
  O_C_PORT,
  O_C_START_NS,
  O_C_START_SEC,
  O_C_STREAM,
  O_DUP_ACK_COUNT,
  O_FIN_END,
  O_FLAGS,
  O_HISTORY_LAST_FIN,
  O_HISTORY_LAST_RST,
  O_HISTORY_LAST_SYN,
  O_ISN,
  O_LAST_ACK,
  O_LAST_ACK_NS,
  O_LAST_NON_DUP_ACK_FRAME,
  O_LAST_SEGMENT_FLAGS,
  O_MARK_NS,
  O_MAX_SEQ_TO_BE_ACKED,
  O_NEXT_SEQ,
  O_NEXT_SEQ_NS,
  O_PAYLOAD_BYTES,
  O_C_PACKETS,
  O_WINDOW,
  O_ZEEK_HOLE_START,
  O_ZEEK_LAST_SEQ,
  BIF_INVALID,
  BIF_PUSH_LAST,
  Scaled,
  SIDE32,
  SIDE64,
  TRANSITIONS_PER_SIDE,
} from './store';
import { NANOS_PER_SECOND } from '../files/timestamp';
import { SynFloodDetector, type SynFloodAlert, type SynFloodDescriber } from './synflood';
import { TlsStreamCollector, tlsCipherName, tlsVersionName, type TlsHello } from './tls';
import type {
  ConnectionCounts,
  ConnectionSummary,
  ConnectionTls,
  FrameAnalysis,
  LadderStep,
  StateRecord,
  TeardownKind,
  Timestamp,
  TrackerOptions,
  TrackerStats,
} from './types';
import { ZeekEndpoint, historyLetter, isScaledHistoryStep, zeekConnState } from './zeek';
import { hashWords } from '../wire/word-hash';
import { UnackedSegments } from './unacked';

/**
 * Default maximum segment lifetime: 30 s, so TIME_WAIT lasts 60 s as on Linux (TCP_TIMEWAIT_LEN,
 * fixed), the stack at the ends of most captures and of every real exchange the tests record.
 * RFC 9293 §3.4.2 suggests 2 minutes (TIME_WAIT 4 min), Windows holds TIME_WAIT 240 s by
 * default and macOS/FreeBSD 30 s: `--msl` sets another.
 */
export const DEFAULT_MSL_SECONDS = 30;

const CLIENT = 0;
const SERVER = 1;
/** Wireshark's out-of-order threshold before the initial RTT is known: 3 ms. */
const DEFAULT_OOO_THRESHOLD_NS = 3e6;
/** Wireshark: a fast retransmission follows the duplicate ACKs within 20 ms. */
const FAST_RETRANSMISSION_WINDOW_NS = 20e6;
/** Zeek ignores SYN/RST sequence jumps larger than this (TOO_LARGE_SEQ_DELTA). */
const ZEEK_TOO_LARGE_SEQ_DELTA = 1048576;
const MAX_WINDOW_SHIFT = 14;

// Connection flags
const C_GUESSED = 1 << 0;
const C_SIMULTANEOUS = 1 << 1;
const C_SYNACK_ISN_OK = 1 << 2;
const C_SYNACK_ISN_CHECKED = 1 << 3;
const C_FINAL_ACK_SEEN = 1 << 4;
const C_FINAL_ACK_ISN_OK = 1 << 5;
const C_DATA_ON_FINAL_ACK = 1 << 6;
const C_SYN_WITH_DATA = 1 << 7;
const C_REJECTED = 1 << 8;
const C_PARTIAL = 1 << 9;
const C_FINS_ACKED_BEFORE_RST = 1 << 10;

// Side flags
const S_BASE = 1 << 0;
const S_NEXTSEQ = 1 << 1;
const S_LASTACK = 1 << 2;
const S_MAXSEQ = 1 << 3;
const S_SYN = 1 << 4;
const S_SYNACK = 1 << 5;
const S_FIN = 1 << 6;
const S_RST = 1 << 7;
const S_WINDOW = 1 << 8;
const S_PENDING_SYN = 1 << 9;
const S_PASSIVE = 1 << 10;
const S_ACKED_PEER_FIN = 1 << 11;
const S_ACKED_PEER_FIN_ALONE = 1 << 12;
const S_FIN_ACKED = 1 << 13;
const S_ZEEK_LAST = 1 << 14;
const S_ZEEK_HOLE = 1 << 15;
const S_TRANSITIONS_OVERFLOW = 1 << 16;
/** The stream's first bytes are not a TLS handshake record: no collector for this direction. */
const S_NOT_TLS = 1 << 24;
// Zeek history "seen" bits (Connection::CheckHistory masks, per side)
const H_SYN = 1 << 17;
const H_FIN = 1 << 18;
const H_RST = 1 << 19;
const H_ACK = 1 << 20;
const H_DATA = 1 << 21;
const H_FIN_RST = 1 << 22;
const H_MULTI = 1 << 23;

// Key-frame info bits (for the ladder and the handshake/teardown frame lists)
const K_SERVER = 1;
const K_SYN = 2;
const K_ACK = 4;
const K_FIN = 8;
const K_RST = 16;
const K_DATA = 32;
const K_TEARDOWN = 64;

const TEARDOWN_NAMES: readonly TeardownKind[] = [null, 'four-way', 'three-way', 'simultaneous'];
const T_FOUR_WAY = 1;
const T_THREE_WAY = 2;
const T_SIMULTANEOUS = 3;

const COMPLETE_SYN = Completeness.SYN;
const COMPLETE_SYN_ACK = Completeness.SYN_ACK;
const COMPLETE_ACK = Completeness.ACK;
const COMPLETE_DATA = Completeness.DATA;
const COMPLETE_FIN = Completeness.FIN;
const COMPLETE_RST = Completeness.RST;

const EMPTY_TABLE_BITS = 10;
/**
 * Connection rows reserved up front; the store then grows fourfold. Not more: 65,536 rows are
 * 49 MB of ArrayBuffers, which V8 counts as external memory and answers with extra scavenges
 * ("external memory pressure"): ~20 ms of CPU and ~750 page faults at every command's start.
 */
const INITIAL_STORE_CAPACITY = 4096;
const STORE_GROWTH = 4;
const MAX_SHARED_HISTORIES = 4096;
/** O_C_HISTORY of a connection whose history is past the shared ones: its string is its own. */
const HISTORY_UNSHARED = 0xffffffff;

interface ConnectionTlsState {
  collectors: [TlsStreamCollector | null, TlsStreamCollector | null];
  /** Sequence number of each direction's stream offset 0: its ISN + 1, or where a hello began when the handshake wasn't captured. */
  starts: [number, number];
  client: TlsHello | null;
  server: TlsHello | null;
}

/** The flow table's hash of a TCP frame's connection: the same for both directions (the two endpoints' hashes added). */
function connectionHash(s: PacketSummary): number {
  const words = s.ipVersion === 4 ? 1 : 4;
  return (hashWords(s.srcWords, words, s.srcPort) + hashWords(s.dstWords, words, s.dstPort)) >>> 0;
}

export class Tracker {
  /** The MSL in use; TIME_WAIT lasts twice this. */
  readonly mslSeconds: number;
  private readonly msl2Ns: number;
  private readonly maxConnections: number;
  private readonly onEvict: ((summary: ConnectionSummary) => void) | null;
  private readonly idleTimeoutSeconds: number;
  private readonly closedTimeoutSeconds: number;
  private readonly tlsBytes: number;
  private readonly store: ConnectionStore;
  private readonly synFlood: SynFloodDetector;

  /**
   * Open-addressing flow table, two words per entry: slot + 1 (0 = empty), then the key's hash,
   * so probing past other connections compares hashes here without touching their records.
   */
  private table: Int32Array;
  /** Entries in the table minus one (a power of two minus one). */
  private tableMask: number;
  private readonly freeSlots: number[] = [];
  private nextUnusedSlot = 0;
  private active = 0;
  private lruHead = -1;
  private lruTail = -1;
  private matchSide = 0;
  private nextStream = 0;
  private readonly retained: ConnectionSummary[] = [];
  private readonly tls = new Map<number, ConnectionTlsState>();
  /** Unacknowledged-segment lists by id - 1 (store.unackedList), and the ids free for reuse. */
  private readonly unackedLists: UnackedSegments[] = [];
  private readonly freeUnacked: number[] = [];
  /**
   * Zeek histories as a trie: each distinct history has an id (0 is the empty one), and a
   * connection's next history is found by (id, letter) instead of building and hashing a string
   * per letter. The connection keeps its id (O_C_HISTORY) and the string itself (store.history).
   */
  private readonly historyStrings: string[] = [''];
  private readonly historyNext = new Map<number, number>();
  private readonly stats_: TrackerStats = { frames: 0, connections: 0, active: 0, evicted: 0, capEvictions: 0 };
  private latestSec = 0;
  private latestNs = 0;
  private nextSweepSec = 0;
  private finished = false;
  private readonly result: FrameAnalysis;
  /** The connection the SYN-flood detector may ask to name (only while a call is under way). */
  private describedSlot = 0;
  /** Set by analyze(): whether tshark would give this frame a SEQ/ACK analysis record. */
  private frameHasSeqAckRecord = false;
  /** The current frame's time in ns after its connection's start (set by trackAt for its steps). */
  private frameNs = Number.NaN;
  private readonly describer: SynFloodDescriber = {
    target: () => {
      const st = this.store;
      const at = this.describedSlot * CONN32;
      return formatEndpoint(st.conn32[at + O_C_IP_VERSION], st.conn32, at + O_C_ADDRESS + 4, st.conn32[at + O_C_PORT + 1]);
    },
    source: () => {
      const at = this.describedSlot * CONN32;
      return formatAddress(this.store.conn32[at + O_C_IP_VERSION], this.store.conn32, at + O_C_ADDRESS);
    },
  };

  constructor(options: TrackerOptions = {}) {
    this.mslSeconds = options.mslSeconds ?? DEFAULT_MSL_SECONDS;
    this.msl2Ns = 2 * this.mslSeconds * NANOS_PER_SECOND;
    this.maxConnections = Math.max(1, Math.floor(options.maxConnections ?? 2_000_000));
    this.onEvict = options.onEvict ?? null;
    this.idleTimeoutSeconds = options.idleTimeoutSeconds ?? 3600;
    this.closedTimeoutSeconds = options.closedTimeoutSeconds ?? 10;
    this.tlsBytes = options.tlsBytes ?? 16384;
    // Columns grow with the connections seen (see ConnectionStore): a small capture does not
    // pay for reserving the whole cap.
    this.store = new ConnectionStore(Math.min(this.maxConnections, INITIAL_STORE_CAPACITY));
    this.table = new Int32Array(2 << EMPTY_TABLE_BITS << 1);
    this.tableMask = (1 << EMPTY_TABLE_BITS << 1) - 1;
    this.synFlood = new SynFloodDetector(options.synFlood);
    this.result = {
      stream: -1,
      fromClient: true,
      relativeSeq: 0,
      relativeAck: -1,
      nextSeq: 0,
      windowSize: 0,
      windowScale: -1,
      analysis: 0,
      duplicateAckNumber: 0,
      duplicateAckFrame: 0,
      initialRtt: -1,
      acksFrame: 0,
      ackRttNs: -1,
      bytesInFlight: 0,
      pushBytesSent: 0,
      timeRelativeNs: 0,
      timeDeltaNs: 0,
      tls: null,
      phase: 'none',
      stateChanges: [],
      stateChangeCount: 0,
    };
  }

  /**
   * Tracks one frame. Returns the reused per-frame record, or null when the frame is not
   * a trackable TCP segment (not TCP, a fragment, or a header too damaged to read).
   * `checksumBad`: the caller found the TCP checksum wrong; like a receiving stack, the
   * receiver's state ignores such a segment (the sender did send it). `frameLength`: the length
   * on the wire when the capture cut the frame short; a connection's `bytes` add these up.
   */
  track(
    frameNumber: number,
    tsSeconds: number,
    tsNanos: number,
    summary: PacketSummary,
    frameBytes: Uint8Array,
    checksumBad: boolean,
    frameLength: number = frameBytes.length,
  ): FrameAnalysis | null {
    return this.trackAt(frameNumber, tsSeconds, tsNanos, summary, frameBytes, 0, frameBytes.length, checksumBad, frameLength);
  }

  /**
   * The same for a frame at `frameStart` inside a larger array (a file reader's chunk, with the
   * summary from `summarizeAt`), so the hot path makes no subarray per frame.
   */
  trackAt(
    frameNumber: number,
    tsSeconds: number,
    tsNanos: number,
    summary: PacketSummary,
    buffer: Uint8Array,
    frameStart: number,
    capturedLength: number,
    checksumBad: boolean,
    frameLength: number = capturedLength,
  ): FrameAnalysis | null {
    if (summary.protocol !== 6 || summary.transportOffset < 0 || summary.fragment || summary.tcpHeaderLength < 20) return null;
    if (summary.ipVersion !== 4 && summary.ipVersion !== 6) return null;
    this.stats_.frames++;
    if (tsSeconds > this.latestSec || (tsSeconds === this.latestSec && tsNanos > this.latestNs)) {
      this.latestSec = tsSeconds;
      this.latestNs = tsNanos;
    }
    if (this.onEvict && tsSeconds >= this.nextSweepSec) {
      this.nextSweepSec = tsSeconds + 1;
      this.sweep();
    }

    const st = this.store;
    const flags = summary.tcpFlags;
    const syn = (flags & TCP_SYN) !== 0;
    const ack = (flags & TCP_ACK) !== 0;
    const fin = (flags & TCP_FIN) !== 0;
    const rst = (flags & TCP_RST) !== 0;
    const seq = summary.seq >>> 0;
    const ackNo = summary.ack >>> 0;
    const seglen = summary.payloadLength > 0 ? summary.payloadLength : 0;

    const fa = this.result;
    fa.analysis = 0;
    fa.duplicateAckNumber = 0;
    fa.duplicateAckFrame = 0;
    fa.acksFrame = 0;
    fa.ackRttNs = -1;
    fa.bytesInFlight = 0;
    fa.pushBytesSent = 0;
    fa.tls = null;
    fa.phase = 'none';
    fa.stateChangeCount = 0;

    let slot = this.lookup(summary);
    let side = this.matchSide;
    let reused = false;
    if (slot >= 0 && syn && !ack && this.startsNewConnection(slot, side, seq)) {
      this.retire(slot, false);
      slot = -1;
      reused = true;
    }
    if (slot < 0) {
      slot = this.create(summary, frameNumber, tsSeconds, tsNanos);
      side = this.matchSide;
      if (reused) fa.analysis |= Analysis.REUSED_PORTS;
    } else if (st.conn64[slot * CONN64 + O_C_END_SEC] !== tsSeconds) {
      // Activity order at one-second granularity: relinking on every frame would touch two
      // neighbouring records per frame for no gain to the eviction policies.
      this.touch(slot);
    }

    const t = (tsSeconds - st.conn64[slot * CONN64 + O_C_START_SEC]) * NANOS_PER_SECOND + (tsNanos - st.conn32[slot * CONN32 + O_C_START_NS]);
    fa.timeRelativeNs = t;
    fa.timeDeltaNs = (tsSeconds - st.conn64[slot * CONN64 + O_C_END_SEC]) * NANOS_PER_SECOND + (tsNanos - st.conn32[slot * CONN32 + O_C_END_NS]);
    this.expireTimeWait(slot, t);
    const fwd = slot * 2 + side;
    const rev = fwd ^ 1;

    st.conn32[slot * CONN32 + O_C_FRAMES]++;
    st.conn32[slot * CONN32 + O_C_PACKETS + side]++;
    st.ipBytes[fwd] += summary.payloadOffset + summary.payloadLength - summary.networkOffset;
    st.conn64[slot * CONN64 + O_C_BYTES] += frameLength;
    st.conn64[slot * CONN64 + O_C_END_SEC] = tsSeconds;
    st.conn32[slot * CONN32 + O_C_END_NS] = tsNanos;

    // Window scaling (RFC 7323): in effect only when both SYNs carried the option.
    if (syn) this.noteWindowScale(fwd, rev, summary.windowScale);
    const shift = st.windowScale[fwd];
    const windowSize = !syn && shift >= 0 ? summary.window * (1 << shift) : summary.window;

    // Wireshark's initial RTT: from the most recent SYN (either side) to the first ACK-flagged
    // segment without SYN, whatever it is (for a refusal, the RST+ACK).
    if (syn && !ack) st.lastSynNs[slot] = t;
    else if (!syn && ack && st.wiresharkRttNs[slot] < 0 && st.lastSynNs[slot] >= 0) st.wiresharkRttNs[slot] = t - st.lastSynNs[slot];
    // The per-frame steps below are too large to inline: `t` reaches them through a field and the
    // sequence numbers as int32 bits, since a double or a uint32 above 2^31 passed as an argument
    // is boxed on the heap on every call (a few hundred MB of garbage per million frames).
    this.frameNs = t;
    // The bytes this segment's SACK blocks cover (0 without the option), taken off the peer's
    // bytes in flight until this side's next segment, as packet-tcp.c does.
    let sacked = 0;
    for (let i = 0; i < summary.sackCount; i++) sacked += (summary.sackRight[i] - summary.sackLeft[i]) >>> 0;
    st.sackedBytes[fwd] = sacked;
    const seqBits = seq | 0;
    const ackBits = ackNo | 0;
    const newBytes = this.analyze(frameNumber, slot, fwd, rev, flags, seqBits, ackBits, seglen, summary.window);
    st.side64[fwd * SIDE64 + O_PAYLOAD_BYTES] += newBytes;
    fa.stream = st.conn32[slot * CONN32 + O_C_STREAM];
    fa.fromClient = side === CLIENT;
    fa.relativeSeq = seqRelative(seq, st.side32[fwd * SIDE32 + O_BASE]);
    fa.relativeAck = ack ? seqRelative(ackNo, st.side32[rev * SIDE32 + O_BASE]) : ackNo; // without the ACK flag tshark shows the field as it is (tcp.ack.nonzero notes it)
    fa.nextSeq = seqRelative(seq + seglen + (syn ? 1 : 0) + (fin ? 1 : 0), st.side32[fwd * SIDE32 + O_BASE]);
    fa.windowSize = windowSize;
    fa.windowScale = shift;
    this.countAnalysis(slot, fa.analysis);

    // Completeness (Wireshark's tcp.completeness bits)
    // One OR on every frame, of module constants: the first FIN or RST then meets no operation or
    // property read the optimizer never saw run, which would send this function back to be recompiled.
    st.conn32[slot * CONN32 + O_C_COMPLETENESS] |=
      (syn ? (ack ? COMPLETE_SYN_ACK : COMPLETE_SYN) : ack ? COMPLETE_ACK : 0) | // any ACK-flagged segment but a SYN+ACK, as tshark 4.0 counts it
      (seglen > 0 ? COMPLETE_DATA : 0) |
      (fin ? COMPLETE_FIN : 0) |
      (rst ? COMPLETE_RST : 0);

    if (checksumBad) {
      st.addCount(slot, Count.BAD_CHECKSUMS);
      this.scaledHistory(slot, side, Scaled.C, 'C');
    } else {
      this.zeekUpdate(slot, side, flags, seqBits, ackBits, seglen, windowSize);
    }
    this.handshakeAndTeardown(frameNumber, slot, side, flags, seqBits, ackBits, seglen, newBytes);
    this.endpointEvents(frameNumber, slot, side, flags, seqBits, ackBits, checksumBad);
    fa.initialRtt = st.wiresharkRttNs[slot] >= 0 && this.frameHasSeqAckRecord ? st.wiresharkRttNs[slot] / NANOS_PER_SECOND : -1;

    // A SYN's own sequence number is the SYN; its data (TCP Fast Open) starts one later.
    if (seglen > 0 && !rst) this.collectTls(slot, side, fwd, syn ? (seq + 1) | 0 : seqBits, summary, buffer, frameStart, capturedLength);
    return fa;
  }

  /** Applies end-of-capture timeouts (TIME_WAIT → CLOSED when 2×MSL of capture time has passed). */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    for (let slot = this.lruHead; slot >= 0; slot = this.store.connLinks[slot * CONN32 + O_C_LRU_NEXT]) this.expireTimeWaitAt(slot, this.latestSec, this.latestNs);
  }

  /** Every connection seen, evicted or live, in order of first frame (tcp.stream). */
  connections(): ConnectionSummary[] {
    return [...this.eachConnection()];
  }

  /**
   * The same, one summary at a time: for a million connections this never holds more than
   * one live summary at once (what `handshake analyze` wants).
   */
  *eachConnection(): IterableIterator<ConnectionSummary> {
    const st = this.store;
    const live = new Int32Array(this.active);
    let n = 0;
    for (let slot = this.lruHead; slot >= 0; slot = st.connLinks[slot * CONN32 + O_C_LRU_NEXT]) live[n++] = slot;
    // By stream, as numbers (stream × slot range + slot) the typed array sorts natively: no comparator call per comparison.
    const slotRange = 2 ** Math.ceil(Math.log2(st.capacity + 1));
    if (this.nextStream * slotRange < Number.MAX_SAFE_INTEGER) {
      const keys = new Float64Array(n);
      for (let i = 0; i < n; i++) keys[i] = st.conn32[live[i] * CONN32 + O_C_STREAM] * slotRange + live[i];
      keys.sort();
      for (let i = 0; i < n; i++) live[i] = keys[i] % slotRange;
    } else live.sort((a, b) => st.conn32[a * CONN32 + O_C_STREAM] - st.conn32[b * CONN32 + O_C_STREAM]);
    this.retained.sort((a, b) => a.stream - b.stream);
    let r = 0;
    for (let i = 0; i < n; i++) {
      const stream = st.conn32[live[i] * CONN32 + O_C_STREAM];
      while (r < this.retained.length && this.retained[r].stream < stream) yield this.retained[r++];
      yield this.summarize(live[i]);
    }
    while (r < this.retained.length) yield this.retained[r++];
  }

  /** The live connection currently using tcp.stream `stream`, if still in the table. */
  connection(stream: number): ConnectionSummary | null {
    for (let slot = this.lruHead; slot >= 0; slot = this.store.connLinks[slot * CONN32 + O_C_LRU_NEXT]) {
      if (this.store.conn32[slot * CONN32 + O_C_STREAM] === stream) return this.summarize(slot);
    }
    return this.retained.find((c) => c.stream === stream) ?? null;
  }

  alerts(): readonly SynFloodAlert[] {
    return this.synFlood.alerts();
  }

  stats(): TrackerStats {
    this.stats_.active = this.active;
    return { ...this.stats_ };
  }

  // ---------------------------------------------------------------- flow table

  private lookup(s: PacketSummary): number {
    const st = this.store;
    const words = s.ipVersion === 4 ? 1 : 4;
    const h = connectionHash(s);
    const table = this.table;
    const mask = this.tableMask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const entry = table[i * 2];
      if (entry === 0) return -1;
      if (table[i * 2 + 1] !== (h | 0)) continue;
      const slot = entry - 1;
      if (st.conn32[slot * CONN32 + O_C_IP_VERSION] !== s.ipVersion) continue;
      const p = slot * CONN32 + O_C_PORT;
      if (st.conn32[p] === s.srcPort && st.conn32[p + 1] === s.dstPort && this.addressIs(slot, 0, s.srcWords, words) && this.addressIs(slot, 4, s.dstWords, words)) {
        this.matchSide = CLIENT;
        return slot;
      }
      if (st.conn32[p] === s.dstPort && st.conn32[p + 1] === s.srcPort && this.addressIs(slot, 0, s.dstWords, words) && this.addressIs(slot, 4, s.srcWords, words)) {
        this.matchSide = SERVER;
        return slot;
      }
    }
  }

  private addressIs(slot: number, at: number, words: Uint32Array, count: number): boolean {
    const a = this.store.conn32;
    const o = slot * CONN32 + O_C_ADDRESS + at;
    for (let i = 0; i < count; i++) if (a[o + i] !== words[i]) return false;
    return true;
  }

  private create(s: PacketSummary, frameNumber: number, tsSeconds: number, tsNanos: number): number {
    if (this.active >= this.maxConnections && this.lruHead >= 0) {
      this.stats_.capEvictions++;
      this.retire(this.lruHead, true);
    }
    let slot: number;
    let fresh = false;
    if (this.freeSlots.length > 0) slot = this.freeSlots.pop() as number;
    else {
      slot = this.nextUnusedSlot++;
      fresh = true;
      if (slot >= this.store.capacity) this.store.grow(Math.min(this.maxConnections, this.store.capacity * STORE_GROWTH));
      if (slot >= this.store.history.length) this.store.history.push('');
    }
    if ((this.active + 1) * 2 > this.tableMask + 1) this.rehash((this.tableMask + 1) * 2); // load ≤ 1/2
    const st = this.store;
    if (fresh) st.initialize(slot); // never used: its rows are still zero
    else {
      this.releaseUnacked(slot * 2);
      this.releaseUnacked(slot * 2 + 1);
      st.reset(slot);
    }
    const flags = s.tcpFlags;
    const syn = (flags & TCP_SYN) !== 0;
    const ack = (flags & TCP_ACK) !== 0;
    // Who is the client: the sender of a SYN; the receiver of a SYN+ACK; else the higher port (a guess).
    let sourceIsClient: boolean;
    if (syn) sourceIsClient = !ack;
    else sourceIsClient = s.srcPort >= s.dstPort;
    if (!syn || ack) st.conn32[slot * CONN32 + O_C_FLAGS] |= C_GUESSED;
    const words = s.ipVersion === 4 ? 1 : 4;
    const a = st.conn32;
    const base = slot * CONN32 + O_C_ADDRESS;
    const clientWords = sourceIsClient ? s.srcWords : s.dstWords;
    const serverWords = sourceIsClient ? s.dstWords : s.srcWords;
    for (let i = 0; i < 4; i++) {
      a[base + i] = i < words ? clientWords[i] : 0;
      a[base + 4 + i] = i < words ? serverWords[i] : 0;
    }
    st.conn32[slot * CONN32 + O_C_PORT] = sourceIsClient ? s.srcPort : s.dstPort;
    st.conn32[slot * CONN32 + O_C_PORT + 1] = sourceIsClient ? s.dstPort : s.srcPort;
    st.conn32[slot * CONN32 + O_C_IP_VERSION] = s.ipVersion;
    st.conn32[slot * CONN32 + O_C_HASH] = connectionHash(s);
    st.conn32[slot * CONN32 + O_C_STREAM] = this.nextStream++;
    st.conn64[slot * CONN64 + O_C_START_SEC] = tsSeconds;
    st.conn32[slot * CONN32 + O_C_START_NS] = tsNanos;
    st.conn64[slot * CONN64 + O_C_END_SEC] = tsSeconds;
    st.conn32[slot * CONN32 + O_C_END_NS] = tsNanos;
    if (st.conn32[slot * CONN32 + O_C_FLAGS] & C_GUESSED) this.addHistory(slot, '^');
    this.insert(slot);
    this.lruAppend(slot);
    this.active++;
    this.stats_.connections++;
    this.matchSide = sourceIsClient ? CLIENT : SERVER;
    // A capture that starts mid-connection: both endpoints are evidently synchronized.
    if (!syn && !(flags & TCP_RST)) {
      this.record(slot, slot * 2 + CLIENT, TcpState.ESTABLISHED, frameNumber, 0);
      this.record(slot, slot * 2 + SERVER, TcpState.ESTABLISHED, frameNumber, 0);
    }
    return slot;
  }

  private insert(slot: number): void {
    const hash = this.store.conn32[slot * CONN32 + O_C_HASH];
    for (let i = hash & this.tableMask; ; i = (i + 1) & this.tableMask) {
      if (this.table[i * 2] === 0) {
        this.table[i * 2] = slot + 1;
        this.table[i * 2 + 1] = hash | 0;
        return;
      }
    }
  }

  /** Linear-probing delete with backward shift, so lookups never meet a tombstone. */
  private remove(slot: number): void {
    const mask = this.tableMask;
    const table = this.table;
    let i = this.store.conn32[slot * CONN32 + O_C_HASH] & mask;
    while (table[i * 2] !== slot + 1) {
      if (table[i * 2] === 0) return;
      i = (i + 1) & mask;
    }
    let hole = i;
    for (let j = (i + 1) & mask; table[j * 2] !== 0; j = (j + 1) & mask) {
      const home = table[j * 2 + 1] & mask;
      // Move j into the hole when its home position is not cyclically within (hole, j].
      if ((j > hole && (home <= hole || home > j)) || (j < hole && home <= hole && home > j)) {
        table[hole * 2] = table[j * 2];
        table[hole * 2 + 1] = table[j * 2 + 1];
        hole = j;
      }
    }
    table[hole * 2] = 0;
    table[hole * 2 + 1] = 0;
  }

  private rehash(size: number): void {
    this.table = new Int32Array(size * 2);
    this.tableMask = size - 1;
    for (let slot = this.lruHead; slot >= 0; slot = this.store.connLinks[slot * CONN32 + O_C_LRU_NEXT]) this.insert(slot);
  }

  private lruAppend(slot: number): void {
    const st = this.store;
    st.connLinks[slot * CONN32 + O_C_LRU_PREV] = this.lruTail;
    st.connLinks[slot * CONN32 + O_C_LRU_NEXT] = -1;
    if (this.lruTail >= 0) st.connLinks[this.lruTail * CONN32 + O_C_LRU_NEXT] = slot;
    else this.lruHead = slot;
    this.lruTail = slot;
  }

  private lruUnlink(slot: number): void {
    const st = this.store;
    const prev = st.connLinks[slot * CONN32 + O_C_LRU_PREV];
    const next = st.connLinks[slot * CONN32 + O_C_LRU_NEXT];
    if (prev >= 0) st.connLinks[prev * CONN32 + O_C_LRU_NEXT] = next;
    else this.lruHead = next;
    if (next >= 0) st.connLinks[next * CONN32 + O_C_LRU_PREV] = prev;
    else this.lruTail = prev;
  }

  private touch(slot: number): void {
    if (this.lruTail === slot) return;
    this.lruUnlink(slot);
    this.lruAppend(slot);
  }

  /** Takes a connection out of the table, keeping or handing over its summary. */
  private retire(slot: number, byCap: boolean): void {
    if (byCap) {
      this.store.conn32[slot * CONN32 + O_C_FLAGS] |= C_PARTIAL;
    }
    this.expireTimeWaitAt(slot, this.latestSec, this.latestNs);
    const summary = this.summarize(slot);
    if (this.onEvict) this.onEvict(summary);
    else this.retained.push(summary);
    this.remove(slot);
    this.lruUnlink(slot);
    this.tls.delete(slot);
    this.releaseUnacked(slot * 2);
    this.releaseUnacked(slot * 2 + 1);
    this.freeSlots.push(slot);
    this.active--;
  }

  /** Idle and closed connections leave the table (only with onEvict; see TrackerOptions). */
  private sweep(): void {
    const st = this.store;
    for (let slot = this.lruHead; slot >= 0; ) {
      const next = st.connLinks[slot * CONN32 + O_C_LRU_NEXT];
      const idle = this.latestSec - st.conn64[slot * CONN64 + O_C_END_SEC];
      if (idle < this.closedTimeoutSeconds) break; // the list is in activity order
      this.expireTimeWaitAt(slot, this.latestSec, this.latestNs);
      const closed = st.state[slot * 2] === TcpState.CLOSED && st.state[slot * 2 + 1] === TcpState.CLOSED;
      if (closed || idle >= this.idleTimeoutSeconds) {
        this.stats_.evicted++;
        this.retire(slot, false);
      }
      slot = next;
    }
  }

  /** A SYN on a known tuple: the same connection (retransmission, simultaneous open) or a new one? */
  private startsNewConnection(slot: number, side: number, seq: number): boolean {
    const st = this.store;
    const fwd = slot * 2 + side;
    const client = st.state[slot * 2];
    const server = st.state[slot * 2 + 1];
    const over =
      (st.side32[(slot * 2) * SIDE32 + O_FLAGS] | st.side32[(slot * 2 + 1) * SIDE32 + O_FLAGS]) & S_RST ||
      client === TcpState.TIME_WAIT ||
      server === TcpState.TIME_WAIT ||
      (st.side32[(slot * 2) * SIDE32 + O_FLAGS] & S_FIN && st.side32[(slot * 2 + 1) * SIDE32 + O_FLAGS] & S_FIN);
    if (over) return true;
    if (st.side32[fwd * SIDE32 + O_FLAGS] & S_SYN) return st.side32[fwd * SIDE32 + O_ISN] !== seq; // same ISN: a retransmitted SYN
    // The server's own SYN while the client's is unanswered: simultaneous open.
    if (side === SERVER && st.side32[(slot * 2) * SIDE32 + O_FLAGS] & S_SYN && !(st.side32[fwd * SIDE32 + O_FLAGS] & S_SYNACK)) return false;
    return st.conn32[slot * CONN32 + O_C_FRAMES] > 0;
  }

  // ---------------------------------------------------------------- Wireshark analysis

  private noteWindowScale(fwd: number, rev: number, offered: number): void {
    const st = this.store;
    st.windowScaleOffer[fwd] = offered < 0 ? -1 : Math.min(offered, MAX_WINDOW_SHIFT);
    if (offered < 0) {
      st.windowScale[fwd] = -2;
      st.windowScale[rev] = -2;
    } else if (st.side32[rev * SIDE32 + O_FLAGS] & S_SYN && st.windowScaleOffer[rev] >= 0) {
      st.windowScale[fwd] = st.windowScaleOffer[fwd];
      st.windowScale[rev] = st.windowScaleOffer[rev];
    }
  }

  /**
   * packet-tcp.c's sequence analysis, definition for definition (tcp_analyze_sequence_number).
   * Returns the payload bytes this segment added beyond what the sender had sent before.
   */
  private analyze(frame: number, slot: number, fwd: number, rev: number, flags: number, seqBits: number, ackBits: number, seglen: number, window: number): number {
    const t = this.frameNs;
    const seq = seqBits >>> 0;
    const ackNo = ackBits >>> 0;
    // `window` is the raw field: tshark compares raw values (a SYN's window equals a later
    // unscaled copy of it) and scales only for window-full.
    const st = this.store;
    const fa = this.result;
    const syn = (flags & TCP_SYN) !== 0;
    const ack = (flags & TCP_ACK) !== 0;
    const fin = (flags & TCP_FIN) !== 0;
    const control = (flags & (TCP_SYN | TCP_FIN | TCP_RST)) !== 0;
    let sf = st.side32[fwd * SIDE32 + O_FLAGS];
    if (!(sf & S_BASE)) {
      st.side32[fwd * SIDE32 + O_BASE] = syn ? seq : (seq - 1) >>> 0;
      sf |= S_BASE;
    }
    if (!(st.side32[rev * SIDE32 + O_FLAGS] & S_BASE) && ack) {
      st.side32[rev * SIDE32 + O_BASE] = (ackNo - 1) >>> 0;
      st.side32[rev * SIDE32 + O_FLAGS] |= S_BASE;
    }
    const nextValid = (sf & S_NEXTSEQ) !== 0;
    const next = st.side32[fwd * SIDE32 + O_NEXT_SEQ];
    const lastAckValid = (sf & S_LASTACK) !== 0;
    let a = fa.analysis;
    let finished = false;
    // An ACK makes the peer's bytes in flight countable again (a gap had suspended them).
    if (ack) st.inFlightFlags[rev] &= ~BIF_INVALID;

    // Zero-window probe: exactly one byte at the next expected sequence while the peer's window is 0.
    if (seglen === 1 && nextValid && seq === next && st.side32[rev * SIDE32 + O_FLAGS] & S_WINDOW && st.side32[rev * SIDE32 + O_WINDOW] === 0) {
      a |= Analysis.ZERO_WINDOW_PROBE;
      finished = true;
    }
    if (!finished) {
      if (window === 0 && !control) a |= Analysis.ZERO_WINDOW;
      if (nextValid && seqGt(seq, next) && !(flags & TCP_RST)) {
        a |= Analysis.LOST_SEGMENT;
        st.missedBytes[fwd] += seqDiff(seq, next);
        st.inFlightFlags[fwd] |= BIF_INVALID;
      }
      // Keep-alive: 0 or 1 byte starting one before the next expected sequence.
      if (seglen <= 1 && nextValid && seq === ((next - 1) >>> 0) && !control) a |= Analysis.KEEP_ALIVE;
      const sameSeqAck = seglen === 0 && nextValid && seq === next && lastAckValid && ackNo === st.side32[fwd * SIDE32 + O_LAST_ACK] && !control;
      if (sameSeqAck && window !== 0 && sf & S_WINDOW && window !== st.side32[fwd * SIDE32 + O_WINDOW]) a |= Analysis.WINDOW_UPDATE;
      if (
        seglen > 0 &&
        st.windowScale[rev] !== -1 &&
        st.side32[rev * SIDE32 + O_FLAGS] & S_LASTACK &&
        st.side32[rev * SIDE32 + O_FLAGS] & S_WINDOW &&
        ((seq + seglen) >>> 0) === ((st.side32[rev * SIDE32 + O_LAST_ACK] + this.scaledWindow(rev)) >>> 0) &&
        !control
      ) {
        a |= Analysis.WINDOW_FULL;
      }
      if (sameSeqAck && window !== 0 && window === st.side32[fwd * SIDE32 + O_WINDOW] && st.side32[rev * SIDE32 + O_LAST_SEGMENT_FLAGS] & Analysis.KEEP_ALIVE) {
        a |= Analysis.KEEP_ALIVE_ACK;
      } else if (sameSeqAck && window === 0 && st.side32[fwd * SIDE32 + O_WINDOW] === 0 && st.side32[rev * SIDE32 + O_LAST_SEGMENT_FLAGS] & Analysis.ZERO_WINDOW_PROBE) {
        a |= Analysis.ZERO_WINDOW_PROBE_ACK;
      } else if (sameSeqAck && window !== 0 && sf & S_WINDOW && window === st.side32[fwd * SIDE32 + O_WINDOW]) {
        st.side32[fwd * SIDE32 + O_DUP_ACK_COUNT]++;
        a |= Analysis.DUPLICATE_ACK;
        fa.duplicateAckNumber = st.side32[fwd * SIDE32 + O_DUP_ACK_COUNT];
        fa.duplicateAckFrame = st.side32[fwd * SIDE32 + O_LAST_NON_DUP_ACK_FRAME];
      }
    }
    if (!lastAckValid || ackNo !== st.side32[fwd * SIDE32 + O_LAST_ACK]) {
      st.side32[fwd * SIDE32 + O_LAST_NON_DUP_ACK_FRAME] = frame;
      st.side32[fwd * SIDE32 + O_DUP_ACK_COUNT] = 0;
    }
    // ACKed unseen segment: the ACK covers bytes the other direction never showed.
    if (st.side32[rev * SIDE32 + O_FLAGS] & S_MAXSEQ && ack && seqGt(ackNo, st.side32[rev * SIDE32 + O_MAX_SEQ_TO_BE_ACKED])) {
      a |= Analysis.ACK_LOST_SEGMENT;
      st.side32[rev * SIDE32 + O_MAX_SEQ_TO_BE_ACKED] = st.side32[rev * SIDE32 + O_NEXT_SEQ];
    }
    // Retransmission family: data (or SYN/FIN) that does not advance the sequence. Wireshark
    // exempts a segment of more than one byte starting one below the next expected sequence
    // (a zero-window probe's byte sent again with new data; RFC 9293 accepts the new bytes).
    if ((seglen > 0 || syn || fin) && nextValid && seqLt(seq, next) && !(a & Analysis.KEEP_ALIVE) && !(seglen > 1 && seq === ((next - 1) >>> 0))) {
      const threshold = st.wiresharkRttNs[slot] >= 0 ? st.wiresharkRttNs[slot] : DEFAULT_OOO_THRESHOLD_NS;
      if (st.side32[rev * SIDE32 + O_DUP_ACK_COUNT] >= 2 && st.side32[rev * SIDE32 + O_LAST_ACK] === seq && t - st.side64[rev * SIDE64 + O_LAST_ACK_NS] < FAST_RETRANSMISSION_WINDOW_NS) {
        a |= Analysis.FAST_RETRANSMISSION | Analysis.RETRANSMISSION; // Wireshark marks both
      } else if (seglen > 0 && st.side32[rev * SIDE32 + O_FLAGS] & S_LASTACK && seqLe((seq + seglen) >>> 0, st.side32[rev * SIDE32 + O_LAST_ACK])) {
        // Already acknowledged: spurious, even when it came soon enough to be out of order (Wireshark checks this first).
        a |= Analysis.SPURIOUS_RETRANSMISSION | Analysis.RETRANSMISSION; // Wireshark marks both
      } else if (t - st.side64[fwd * SIDE64 + O_NEXT_SEQ_NS] < threshold && next !== ((seq + seglen + (syn || fin ? 1 : 0)) >>> 0)) {
        // A SYN or FIN occupies one sequence number: its exact copy ends at `next` and is a retransmission.
        a |= Analysis.OUT_OF_ORDER;
      } else {
        a |= Analysis.RETRANSMISSION;
      }
    }

    let newBytes = seglen;
    if (nextValid && seglen > 0) newBytes = Math.max(0, Math.min(seglen, seqDiff((seq + seglen) >>> 0, next)));
    const segmentEnd = (seq + seglen + (syn ? 1 : 0) + (fin ? 1 : 0)) >>> 0;
    if (seglen > 0 || syn || fin) this.unackedOf(fwd).push(seqBits, segmentEnd | 0, frame, t);
    if ((!nextValid || seqGt(segmentEnd, next)) && !(a & Analysis.ZERO_WINDOW_PROBE)) {
      st.side32[fwd * SIDE32 + O_NEXT_SEQ] = segmentEnd;
      st.side64[fwd * SIDE64 + O_NEXT_SEQ_NS] = t;
      sf |= S_NEXTSEQ;
    }
    if ((!(sf & S_MAXSEQ) || seq === st.side32[fwd * SIDE32 + O_MAX_SEQ_TO_BE_ACKED]) && !(a & Analysis.ZERO_WINDOW_PROBE)) {
      st.side32[fwd * SIDE32 + O_MAX_SEQ_TO_BE_ACKED] = st.side32[fwd * SIDE32 + O_NEXT_SEQ];
      sf |= S_MAXSEQ;
    }
    st.side32[fwd * SIDE32 + O_WINDOW] = window;
    sf |= S_WINDOW;
    if (ack) {
      st.side32[fwd * SIDE32 + O_LAST_ACK] = ackNo;
      st.side64[fwd * SIDE64 + O_LAST_ACK_NS] = t;
      sf |= S_LASTACK;
      const listId = st.unackedList[rev];
      if (listId !== 0) {
        const list = this.unackedLists[listId - 1];
        list.acknowledge(ackBits);
        if (list.ackedFrame !== 0) {
          fa.acksFrame = list.ackedFrame;
          fa.ackRttNs = t - list.ackedNs;
        }
        if (list.count === 0) this.releaseUnacked(rev);
      }
    }
    // Bytes in flight after a data segment: the span of the sender's unacknowledged segments.
    let inFlightRecord = false;
    const ownList = st.unackedList[fwd];
    if (seglen > 0 && ownList !== 0 && !(st.inFlightFlags[fwd] & BIF_INVALID)) {
      inFlightRecord = true;
      // Less what the peer's latest SACK blocks say arrived (a uint32 difference, as in packet-tcp.c).
      const inFlight = (this.unackedLists[ownList - 1].span(st.side32[fwd * SIDE32 + O_BASE]) - st.sackedBytes[rev]) >>> 0;
      // A SYN's or FIN's sequence number is not a byte in flight.
      if (inFlight > 0 && inFlight < 2e9) fa.bytesInFlight = inFlight - (syn || fin ? 1 : 0);
      // push_bytes_sent: bytes since the last segment with PSH, counting a PSH segment's own.
      const pushLast = (st.inFlightFlags[fwd] & BIF_PUSH_LAST) !== 0;
      const push = (flags & TCP_PSH) !== 0;
      st.pushBytes[fwd] = push === pushLast ? (push ? seglen : st.pushBytes[fwd] + seglen) : push ? st.pushBytes[fwd] + seglen : seglen;
      if (push) st.inFlightFlags[fwd] |= BIF_PUSH_LAST;
      else st.inFlightFlags[fwd] &= ~BIF_PUSH_LAST;
      fa.pushBytesSent = st.pushBytes[fwd];
    }
    // Wireshark keeps a per-frame SEQ/ACK record (where it shows the initial RTT) when the frame
    // has a flag, acknowledges a segment's end exactly, or is a data segment whose flight is counted.
    this.frameHasSeqAckRecord = a !== 0 || fa.acksFrame !== 0 || inFlightRecord;
    st.side32[fwd * SIDE32 + O_LAST_SEGMENT_FLAGS] = a;
    st.side32[fwd * SIDE32 + O_FLAGS] = sf;
    fa.analysis = a;
    return newBytes;
  }

  /** The side's unacknowledged-segment list, taken from the pool on first use. */
  private unackedOf(sideIndex: number): UnackedSegments {
    const id = this.store.unackedList[sideIndex];
    if (id !== 0) return this.unackedLists[id - 1];
    let list: UnackedSegments;
    let newId: number;
    if (this.freeUnacked.length > 0) {
      newId = this.freeUnacked.pop() as number;
      list = this.unackedLists[newId - 1];
    } else {
      list = new UnackedSegments();
      this.unackedLists.push(list);
      newId = this.unackedLists.length;
    }
    this.store.unackedList[sideIndex] = newId;
    return list;
  }

  /** Gives a side's list back to the pool (emptied), so only sides with segments in flight hold one. */
  private releaseUnacked(sideIndex: number): void {
    const id = this.store.unackedList[sideIndex];
    if (id === 0) return;
    this.unackedLists[id - 1].clear();
    this.freeUnacked.push(id);
    this.store.unackedList[sideIndex] = 0;
  }

  /** The last window a side advertised, in bytes (shifted when its scale is known). */
  private scaledWindow(sideIndex: number): number {
    const shift = this.store.windowScale[sideIndex];
    return shift > 0 ? this.store.side32[sideIndex * SIDE32 + O_WINDOW] * (1 << shift) : this.store.side32[sideIndex * SIDE32 + O_WINDOW];
  }

  private countAnalysis(slot: number, a: number): void {
    if (a === 0) return;
    const st = this.store;
    if (a & Analysis.RETRANSMISSION) st.addCount(slot, Count.RETRANSMISSIONS);
    if (a & Analysis.FAST_RETRANSMISSION) st.addCount(slot, Count.FAST_RETRANSMISSIONS);
    if (a & Analysis.DUPLICATE_ACK) st.addCount(slot, Count.DUP_ACKS);
    if (a & Analysis.OUT_OF_ORDER) st.addCount(slot, Count.OUT_OF_ORDER);
    if (a & Analysis.KEEP_ALIVE) st.addCount(slot, Count.KEEPALIVES);
    if (a & Analysis.ZERO_WINDOW) st.addCount(slot, Count.ZERO_WINDOWS);
    if (a & Analysis.WINDOW_UPDATE) st.addCount(slot, Count.WINDOW_UPDATES);
    if (a & Analysis.LOST_SEGMENT) st.addCount(slot, Count.LOST_SEGMENTS);
  }

  // ---------------------------------------------------------------- Zeek

  /** Appends a letter; the result is shared with every connection that has the same history. */
  private addHistory(slot: number, letter: string): void {
    const st = this.store;
    const id = st.conn32[slot * CONN32 + O_C_HISTORY];
    if (id !== HISTORY_UNSHARED) {
      const key = id * 128 + letter.charCodeAt(0);
      const next = this.historyNext.get(key);
      if (next !== undefined) {
        st.conn32[slot * CONN32 + O_C_HISTORY] = next;
        st.history[slot] = this.historyStrings[next];
        return;
      }
      const history = st.history[slot] + letter;
      st.history[slot] = history;
      if (this.historyStrings.length < MAX_SHARED_HISTORIES) {
        this.historyNext.set(key, this.historyStrings.length);
        st.conn32[slot * CONN32 + O_C_HISTORY] = this.historyStrings.length;
        this.historyStrings.push(history);
      } else {
        st.conn32[slot * CONN32 + O_C_HISTORY] = HISTORY_UNSHARED;
      }
      return;
    }
    st.history[slot] += letter;
  }

  private checkHistory(slot: number, sideIndex: number, bit: number, letter: string): boolean {
    const st = this.store;
    if (st.side32[sideIndex * SIDE32 + O_FLAGS] & bit) return true;
    st.side32[sideIndex * SIDE32 + O_FLAGS] |= bit;
    this.addHistory(slot, historyLetter(letter, (sideIndex & 1) === CLIENT));
    return false;
  }

  private scaledHistory(slot: number, side: number, which: number, letter: string): void {
    if (isScaledHistoryStep(this.store.addScaled(slot, side, which))) this.addHistory(slot, historyLetter(letter, side === CLIENT));
  }

  private setZeekState(sideIndex: number, state: ZeekEndpoint): void {
    const st = this.store;
    st.zeekPrevState[sideIndex] = st.zeekState[sideIndex];
    st.zeekState[sideIndex] = state;
  }

  /** Zeek's TCP analyzer for one segment: history letters, then the endpoint state machine. */
  private zeekUpdate(slot: number, side: number, flags: number, seqBits: number, ackBits: number, len: number, window: number): void {
    const seq = seqBits >>> 0;
    const ackNo = ackBits >>> 0;
    const st = this.store;
    const e = slot * 2 + side;
    const p = e ^ 1;
    const isOrig = side === CLIENT;
    const syn = (flags & TCP_SYN) !== 0;
    const ack = (flags & TCP_ACK) !== 0;
    const fin = (flags & TCP_FIN) !== 0;
    const rst = (flags & TCP_RST) !== 0;
    const Z = ZeekEndpoint;

    // update_history
    const bits = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0);
    if (bits > 1) {
      if (fin && rst) this.checkHistory(slot, e, H_FIN_RST, 'I');
      else this.checkHistory(slot, e, H_MULTI, 'Q');
    } else if (bits === 1) {
      if (syn) {
        const letter = ack ? 'H' : 'S';
        if (this.checkHistory(slot, e, H_SYN, letter) && seq !== st.side32[e * SIDE32 + O_HISTORY_LAST_SYN]) this.addHistory(slot, historyLetter(letter, isOrig));
        st.side32[e * SIDE32 + O_HISTORY_LAST_SYN] = seq;
      }
      if (fin) {
        const end = (seq + len) >>> 0;
        if (this.checkHistory(slot, e, H_FIN, 'F') && end !== st.side32[e * SIDE32 + O_HISTORY_LAST_FIN]) this.addHistory(slot, historyLetter('F', isOrig));
        st.side32[e * SIDE32 + O_HISTORY_LAST_FIN] = end;
      }
      if (rst) {
        if (this.checkHistory(slot, e, H_RST, 'R') && seq !== st.side32[e * SIDE32 + O_HISTORY_LAST_RST]) this.addHistory(slot, historyLetter('R', isOrig));
        st.side32[e * SIDE32 + O_HISTORY_LAST_RST] = seq;
      }
    } else if (len > 0) this.checkHistory(slot, e, H_DATA, 'D');
    else if (ack) this.checkHistory(slot, e, H_ACK, 'A');

    // update_window: zero windows are interesting unless they come with/after a RST or after the peer's FIN.
    if (window === 0 && !rst && st.zeekState[p] !== Z.CLOSED && st.zeekState[e] !== Z.RESET) this.scaledHistory(slot, side, Scaled.W, 'W');

    // update_last_seq: data that does not advance the sequence is a retransmission ('T').
    const zlen = len + (syn ? 1 : 0) + (fin ? 1 : 0) - (rst ? len : 0);
    const end = (seq + zlen) >>> 0;
    if (!(st.side32[e * SIDE32 + O_FLAGS] & S_ZEEK_LAST)) {
      st.side32[e * SIDE32 + O_ZEEK_LAST_SEQ] = seq; // Zeek starts last_seq at the first segment's sequence, so it is not a retransmission
      st.side32[e * SIDE32 + O_FLAGS] |= S_ZEEK_LAST;
    }
    const delta = seqDiff(end, st.side32[e * SIDE32 + O_ZEEK_LAST_SEQ]);
    if (len > 0 && st.side32[e * SIDE32 + O_FLAGS] & S_ZEEK_HOLE && seqLe(seq, st.side32[e * SIDE32 + O_ZEEK_HOLE_START]) && seqGt(end, st.side32[e * SIDE32 + O_ZEEK_HOLE_START])) st.side32[e * SIDE32 + O_FLAGS] &= ~S_ZEEK_HOLE;
    if ((syn || rst) && (delta > ZEEK_TOO_LARGE_SEQ_DELTA || delta < -ZEEK_TOO_LARGE_SEQ_DELTA)) {
      // not trusted
    } else if (st.zeekState[e] === Z.RESET) {
      // nothing after a RST is trusted
    } else if (delta > 0) {
      if (len > 0 && seqGt(seq, st.side32[e * SIDE32 + O_ZEEK_LAST_SEQ]) && !(st.side32[e * SIDE32 + O_FLAGS] & S_ZEEK_HOLE)) {
        st.side32[e * SIDE32 + O_ZEEK_HOLE_START] = st.side32[e * SIDE32 + O_ZEEK_LAST_SEQ];
        st.side32[e * SIDE32 + O_FLAGS] |= S_ZEEK_HOLE;
      }
      st.side32[e * SIDE32 + O_ZEEK_LAST_SEQ] = end;
    } else if (len > 0) this.scaledHistory(slot, side, Scaled.T, 'T');

    // UpdateStateMachine
    switch (st.zeekState[e]) {
      case Z.INACTIVE:
        if (syn) {
          if (isOrig) this.setZeekState(e, ack ? Z.SYN_ACK_SENT : Z.SYN_SENT);
          else {
            if (st.zeekState[p] === Z.SYN_SENT) this.setZeekState(p, Z.ESTABLISHED);
            this.setZeekState(e, Z.ESTABLISHED);
          }
        }
        if (fin) this.setZeekState(e, Z.CLOSED);
        if (rst) this.setZeekState(e, Z.RESET);
        if (st.zeekState[e] === Z.INACTIVE) {
          if (!isOrig && len === 0 && st.zeekState[slot * 2] === Z.SYN_SENT) {
            // an early ACK of the SYN before the SYN+ACK: not a partial connection
          } else if (ack && st.zeekState[p] === Z.ESTABLISHED) this.setZeekState(e, Z.ESTABLISHED);
          else this.setZeekState(e, Z.PARTIAL);
        }
        break;
      case Z.SYN_SENT:
      case Z.SYN_ACK_SENT:
        if (fin) this.setZeekState(e, Z.CLOSED);
        if (rst) this.setZeekState(e, Z.RESET);
        break;
      case Z.ESTABLISHED:
      case Z.PARTIAL:
        if (syn && st.zeekState[e] === Z.PARTIAL && st.zeekState[p] === Z.INACTIVE && !ack) this.setZeekState(e, Z.SYN_SENT);
        if (fin && !rst) {
          this.setZeekState(e, Z.CLOSED);
          if (st.zeekState[p] === Z.RESET && st.zeekPrevState[p] === Z.CLOSED) this.setZeekState(p, Z.CLOSED);
        }
        if (rst) this.setZeekState(e, Z.RESET);
        break;
      case Z.CLOSED:
        if (rst && st.zeekState[p] !== Z.CLOSED) this.setZeekState(e, Z.RESET);
        break;
      default:
        break;
    }

    // AckReceived: an ACK beyond what the peer was seen sending reveals a content gap ('g'/'G' for the peer).
    if (ack && !fin && !rst && st.side32[p * SIDE32 + O_FLAGS] & S_ZEEK_LAST) {
      const beyond = seqGt(ackNo, st.side32[p * SIDE32 + O_ZEEK_LAST_SEQ]);
      const overHole = st.side32[p * SIDE32 + O_FLAGS] & S_ZEEK_HOLE && seqGt(ackNo, st.side32[p * SIDE32 + O_ZEEK_HOLE_START]);
      if (beyond || overHole) {
        this.scaledHistory(slot, side ^ 1, Scaled.G, 'G');
        st.side32[p * SIDE32 + O_FLAGS] &= ~S_ZEEK_HOLE;
        if (beyond) st.side32[p * SIDE32 + O_ZEEK_LAST_SEQ] = ackNo;
      }
    }
  }

  // ---------------------------------------------------------------- handshake, teardown

  private addKeyFrame(slot: number, frame: number, side: number, info: number): void {
    const st = this.store;
    const n = st.keyFrameCount[slot];
    if (n >= KEY_FRAMES) return;
    st.keyFrame[slot * KEY_FRAMES + n] = frame;
    st.keyFrameInfo[slot * KEY_FRAMES + n] = info | (side === SERVER ? K_SERVER : 0);
    st.keyFrameCount[slot] = n + 1;
    // Key frames are always the frame being tracked.
    this.result.phase = info & K_TEARDOWN ? 'teardown' : 'handshake';
  }

  /** The server endpoint of a slot as a SYN-flood key (no string built). */
  private serverKey(slot: number): number {
    const st = this.store;
    const at = slot * CONN32 + O_C_ADDRESS + 4;
    const port = st.conn32[slot * CONN32 + O_C_PORT + 1];
    if (st.conn32[slot * CONN32 + O_C_IP_VERSION] === 4) return st.conn32[at] * 65536 + port;
    return hashKey52(st.conn32, at, port);
  }

  /** The detector's id for the connection's server endpoint, asked once per connection. */
  private floodTarget(slot: number): number {
    const st = this.store;
    const known = st.conn32[slot * CONN32 + O_C_FLOOD_TARGET];
    if (known !== 0) return known - 1;
    const id = this.synFlood.targetId(this.serverKey(slot));
    st.conn32[slot * CONN32 + O_C_FLOOD_TARGET] = id + 1;
    return id;
  }

  /** The client's address as a small integer: exact for IPv4, a 32-bit hash for IPv6. */
  private clientAddressKey(slot: number): number {
    const st = this.store;
    const at = slot * CONN32 + O_C_ADDRESS;
    return st.conn32[slot * CONN32 + O_C_IP_VERSION] === 4 ? st.conn32[at] | 0 : hashWords(st.conn32, 4, 0, at) | 0;
  }

  private handshakeAndTeardown(frame: number, slot: number, side: number, flags: number, seqBits: number, ackBits: number, seglen: number, newBytes: number): void {
    const t = this.frameNs;
    const seq = seqBits >>> 0;
    const ackNo = ackBits >>> 0;
    const st = this.store;
    const fwd = slot * 2 + side;
    const rev = fwd ^ 1;
    const syn = (flags & TCP_SYN) !== 0;
    const ack = (flags & TCP_ACK) !== 0;
    const fin = (flags & TCP_FIN) !== 0;
    const rst = (flags & TCP_RST) !== 0;
    const data = seglen > 0 ? K_DATA : 0;

    if (syn && !ack && !rst) {
      if (!(st.side32[fwd * SIDE32 + O_FLAGS] & S_SYN)) {
        st.side32[fwd * SIDE32 + O_FLAGS] |= S_SYN;
        st.side32[fwd * SIDE32 + O_ISN] = seq;
        if (side === SERVER) st.conn32[slot * CONN32 + O_C_FLAGS] |= C_SIMULTANEOUS;
        else {
          st.synFrame[slot] = frame;
          this.synFlood.attempt(this.floodTarget(slot), this.latestTime());
        }
        if (seglen > 0) st.conn32[slot * CONN32 + O_C_FLAGS] |= C_SYN_WITH_DATA;
        this.addKeyFrame(slot, frame, side, K_SYN | data);
      } else if (seq === st.side32[fwd * SIDE32 + O_ISN] && side === CLIENT) st.synRetransmissions[slot]++;
    } else if (syn && ack && !rst) {
      if (!(st.side32[fwd * SIDE32 + O_FLAGS] & S_SYNACK)) {
        st.side32[fwd * SIDE32 + O_FLAGS] |= S_SYNACK;
        if (!(st.side32[fwd * SIDE32 + O_FLAGS] & S_SYN)) {
          st.side32[fwd * SIDE32 + O_FLAGS] |= S_SYN;
          st.side32[fwd * SIDE32 + O_ISN] = seq;
        }
        if (side === SERVER) {
          st.synAckFrame[slot] = frame;
          if (st.side32[rev * SIDE32 + O_FLAGS] & S_SYN) {
            st.conn32[slot * CONN32 + O_C_FLAGS] |= C_SYNACK_ISN_CHECKED;
            const isnPlusOne = (st.side32[rev * SIDE32 + O_ISN] + 1) >>> 0;
            // TCP Fast Open (RFC 7413 §4.2): the SYN+ACK acknowledges the SYN's data too when the server accepted it.
            const acksSynData = st.conn32[slot * CONN32 + O_C_FLAGS] & C_SYN_WITH_DATA && seqGt(ackNo, isnPlusOne) && seqLe(ackNo, st.side32[rev * SIDE32 + O_NEXT_SEQ]);
            if (ackNo === isnPlusOne || acksSynData) st.conn32[slot * CONN32 + O_C_FLAGS] |= C_SYNACK_ISN_OK;
            if (st.lastSynNs[slot] >= 0) st.synToSynAckNs[slot] = t - st.lastSynNs[slot];
            if (!(st.conn32[slot * CONN32 + O_C_FLAGS] & C_SIMULTANEOUS)) {
              this.describedSlot = slot;
              const position = this.synFlood.synAckSent(this.floodTarget(slot), this.clientAddressKey(slot), st.synFrame[slot], frame, this.latestTime(), this.describer);
              st.conn32[slot * CONN32 + O_C_HALF_OPEN] = position + 1;
            }
          }
        }
        this.addKeyFrame(slot, frame, side, K_SYN | K_ACK | data);
      } else if (seq === st.side32[fwd * SIDE32 + O_ISN] && side === SERVER) st.synAckRetransmissions[slot]++;
      if (side === SERVER) st.lastSynAckNs[slot] = t;
    } else if (ack && !syn && side === CLIENT && st.side32[rev * SIDE32 + O_FLAGS] & S_SYNACK && !(st.conn32[slot * CONN32 + O_C_FLAGS] & (C_FINAL_ACK_SEEN | C_SIMULTANEOUS)) && !rst) {
      // The third segment of the handshake.
      st.conn32[slot * CONN32 + O_C_FLAGS] |= C_FINAL_ACK_SEEN;
      st.finalAckFrame[slot] = frame;
      if (ackNo === ((st.side32[rev * SIDE32 + O_ISN] + 1) >>> 0)) st.conn32[slot * CONN32 + O_C_FLAGS] |= C_FINAL_ACK_ISN_OK;
      if (seglen > 0) st.conn32[slot * CONN32 + O_C_FLAGS] |= C_DATA_ON_FINAL_ACK;
      if (st.lastSynAckNs[slot] >= 0) st.synAckToAckNs[slot] = t - st.lastSynAckNs[slot];
      if (st.lastSynNs[slot] >= 0) st.initialRttNs[slot] = t - st.lastSynNs[slot];
      if (!(fin && !(st.conn32[slot * CONN32 + O_C_FLAGS] & C_SIMULTANEOUS))) this.addKeyFrame(slot, frame, side, K_ACK | data);
      this.synFlood.resolved(this.floodTarget(slot), st.conn32[slot * CONN32 + O_C_HALF_OPEN] - 1, (st.conn32[slot * CONN32 + O_C_FLAGS] & C_FINAL_ACK_ISN_OK) !== 0, this.latestTime());
    }

    // Teardown
    if (rst) {
      if (!(st.side32[fwd * SIDE32 + O_FLAGS] & S_RST)) {
        st.side32[fwd * SIDE32 + O_FLAGS] |= S_RST;
        if (st.rstSide[slot] < 0) {
          st.rstSide[slot] = side;
          if (st.side32[(slot * 2) * SIDE32 + O_FLAGS] & S_FIN_ACKED && st.side32[(slot * 2 + 1) * SIDE32 + O_FLAGS] & S_FIN_ACKED) st.conn32[slot * CONN32 + O_C_FLAGS] |= C_FINS_ACKED_BEFORE_RST;
          // An RST answering a SYN before any SYN+ACK: the attempt was refused.
          if (side === SERVER && st.side32[rev * SIDE32 + O_FLAGS] & S_SYN && !(st.side32[fwd * SIDE32 + O_FLAGS] & S_SYNACK)) st.conn32[slot * CONN32 + O_C_FLAGS] |= C_REJECTED;
          this.addKeyFrame(slot, frame, side, K_RST | (ack ? K_ACK : 0) | K_TEARDOWN);
          this.synFlood.resolved(this.floodTarget(slot), st.conn32[slot * CONN32 + O_C_HALF_OPEN] - 1, false, this.latestTime());
        }
      }
      return;
    }
    const firstFin = st.firstFinSide[slot];
    // Half-close: bytes the other side still sends after the first FIN.
    if (firstFin >= 0 && side !== firstFin && !(st.side32[fwd * SIDE32 + O_FLAGS] & S_FIN)) st.halfCloseBytes[slot] += newBytes;
    // ACK of the peer's FIN
    const acksPeerFin = ack && st.side32[rev * SIDE32 + O_FLAGS] & S_FIN && seqGe(ackNo, st.side32[rev * SIDE32 + O_FIN_END]);
    if (acksPeerFin && !(st.side32[rev * SIDE32 + O_FLAGS] & S_FIN_ACKED)) st.side32[rev * SIDE32 + O_FLAGS] |= S_FIN_ACKED;
    if (acksPeerFin && !(st.side32[fwd * SIDE32 + O_FLAGS] & S_ACKED_PEER_FIN)) {
      st.side32[fwd * SIDE32 + O_FLAGS] |= S_ACKED_PEER_FIN;
      if (!fin) {
        st.side32[fwd * SIDE32 + O_FLAGS] |= S_ACKED_PEER_FIN_ALONE;
        this.addKeyFrame(slot, frame, side, K_ACK | data | K_TEARDOWN);
      }
    }
    if (fin && !(st.side32[fwd * SIDE32 + O_FLAGS] & S_FIN)) {
      st.side32[fwd * SIDE32 + O_FLAGS] |= S_FIN;
      st.side32[fwd * SIDE32 + O_FIN_END] = (seq + seglen + 1 + (syn ? 1 : 0)) >>> 0;
      this.addKeyFrame(slot, frame, side, K_FIN | (ack ? K_ACK : 0) | data | K_TEARDOWN);
      if (firstFin < 0) st.firstFinSide[slot] = side;
      else if (!acksPeerFin) st.teardownKind[slot] = T_SIMULTANEOUS;
      else st.teardownKind[slot] = st.side32[fwd * SIDE32 + O_FLAGS] & S_ACKED_PEER_FIN_ALONE ? T_FOUR_WAY : T_THREE_WAY;
    }
  }

  // ---------------------------------------------------------------- RFC 9293 endpoint states

  private latestTime(): number {
    return this.latestSec + this.latestNs / NANOS_PER_SECOND;
  }

  /** Appends a state to an endpoint's history; `t` is ns after the connection start, -1 frame for timers. */
  private record(slot: number, sideIndex: number, state: TcpState, frame: number, t: number): void {
    const st = this.store;
    st.state[sideIndex] = state;
    let n = st.transitionCount[sideIndex];
    if (n >= TRANSITIONS_PER_SIDE) {
      st.side32[sideIndex * SIDE32 + O_FLAGS] |= S_TRANSITIONS_OVERFLOW;
      n = TRANSITIONS_PER_SIDE - 1; // keep the latest state correct
    } else st.transitionCount[sideIndex] = n + 1;
    const i = sideIndex * TRANSITIONS_PER_SIDE + n;
    st.transitionState[i] = state;
    st.transitionFrame[i] = frame;
    st.transitionNs[i] = t;
    if (state === TcpState.TIME_WAIT) st.side64[sideIndex * SIDE64 + O_MARK_NS] = t;
    if (frame > 0) this.noteChange(sideIndex & 1, state, frame);
  }

  /** Drops an endpoint's latest transition (a state the wire later proved wrong). */
  private unrecord(sideIndex: number): void {
    const st = this.store;
    const n = st.transitionCount[sideIndex];
    if (n === 0) return;
    st.transitionCount[sideIndex] = n - 1;
    st.state[sideIndex] = n >= 2 ? st.transitionState[sideIndex * TRANSITIONS_PER_SIDE + n - 2] : TcpState.CLOSED;
  }

  private noteChange(side: number, state: TcpState, frame: number): void {
    const fa = this.result;
    // The array doubles as the pool: entries past stateChangeCount are stale and get reused.
    let change = fa.stateChanges[fa.stateChangeCount];
    if (!change) {
      change = { side: 'client', state, frame };
      fa.stateChanges.push(change);
    }
    change.side = side === CLIENT ? 'client' : 'server';
    change.state = state;
    change.frame = frame;
    fa.stateChangeCount++;
  }

  private fire(slot: number, sideIndex: number, event: TcpEvent, frame: number, t: number): boolean {
    const to = nextState(this.store.state[sideIndex] as TcpState, event);
    if (to === -1) return false;
    this.record(slot, sideIndex, to, frame, t);
    return true;
  }

  private expireTimeWait(slot: number, t: number): void {
    // Read up front, not only once a side is in TIME_WAIT: runs every frame, and a read the
    // optimizer never saw run would send the whole per-frame path back to be recompiled.
    const st = this.store;
    const side64 = st.side64;
    const msl2Ns = this.msl2Ns;
    for (let sideIndex = slot * 2; sideIndex < slot * 2 + 2; sideIndex++) {
      const expired = t - side64[sideIndex * SIDE64 + O_MARK_NS] >= msl2Ns;
      if (st.state[sideIndex] === TcpState.TIME_WAIT && expired) {
        this.fire(slot, sideIndex, TcpEvent.TIMEOUT_2MSL, 0, side64[sideIndex * SIDE64 + O_MARK_NS] + msl2Ns);
      }
    }
  }

  private expireTimeWaitAt(slot: number, sec: number, ns: number): void {
    const st = this.store;
    this.expireTimeWait(slot, (sec - st.conn64[slot * CONN64 + O_C_START_SEC]) * NANOS_PER_SECOND + (ns - st.conn32[slot * CONN32 + O_C_START_NS]));
  }

  /**
   * The segment as an event for its sender, then for its receiver (ACK field first, then
   * FIN, as RFC 9293 §3.10.7.4 orders the checks). A receiver ignores a segment whose
   * checksum is bad, and an RST that is not acceptable.
   */
  private endpointEvents(frame: number, slot: number, side: number, flags: number, seqBits: number, ackBits: number, checksumBad: boolean): void {
    const t = this.frameNs;
    const seq = seqBits >>> 0;
    const ackNo = ackBits >>> 0;
    const st = this.store;
    const snd = slot * 2 + side;
    const rcv = snd ^ 1;
    const syn = (flags & TCP_SYN) !== 0;
    const ack = (flags & TCP_ACK) !== 0;
    const fin = (flags & TCP_FIN) !== 0;
    const rst = (flags & TCP_RST) !== 0;
    const E = TcpEvent;
    // Fast path: a plain ACK/data segment cannot move a sender, nor a receiver that is not
    // waiting for the ACK of its SYN or FIN.
    if (!syn && !fin && !rst) {
      const r = st.state[rcv];
      if (r !== TcpState.SYN_RECEIVED && r !== TcpState.FIN_WAIT_1 && r !== TcpState.CLOSING && r !== TcpState.LAST_ACK && r !== TcpState.SYN_SENT) return;
    }

    // Sender
    if (rst) this.fire(slot, snd, E.SEND_RST, frame, t);
    else {
      if (syn && !ack) {
        this.fire(slot, snd, E.SEND_SYN, frame, t);
        if (st.side32[snd * SIDE32 + O_FLAGS] & S_PENDING_SYN && st.state[snd] === TcpState.SYN_SENT) {
          // The peer's SYN crossed ours: simultaneous open.
          st.side32[snd * SIDE32 + O_FLAGS] &= ~S_PENDING_SYN;
          this.fire(slot, snd, E.RECEIVE_SYN, frame, t);
        }
      } else if (syn && ack) {
        const state = st.state[snd];
        if (state === TcpState.CLOSED || state === TcpState.LISTEN) {
          // Answering a SYN with SYN+ACK shows it was listening: LISTEN, then SYN_RECEIVED on that SYN.
          const pending = (st.side32[snd * SIDE32 + O_FLAGS] & S_PENDING_SYN) !== 0;
          const synFrame = pending ? st.pendingSynFrame[snd] : frame;
          const synNs = pending ? st.side64[snd * SIDE64 + O_MARK_NS] : t;
          st.side32[snd * SIDE32 + O_FLAGS] = (st.side32[snd * SIDE32 + O_FLAGS] & ~S_PENDING_SYN) | S_PASSIVE;
          this.fire(slot, snd, E.PASSIVE_OPEN, synFrame, synNs);
          this.fire(slot, snd, E.RECEIVE_SYN, synFrame, synNs);
        } else if (state === TcpState.SYN_SENT && st.side32[snd * SIDE32 + O_FLAGS] & S_PENDING_SYN) {
          st.side32[snd * SIDE32 + O_FLAGS] &= ~S_PENDING_SYN;
          this.fire(slot, snd, E.RECEIVE_SYN, frame, t);
        }
      }
      if (fin && st.state[snd] === TcpState.CLOSE_WAIT && !(ack && seqGe(ackNo, st.side32[rcv * SIDE32 + O_FIN_END]))) {
        // This FIN does not ACK the peer's: it was sent before the peer's FIN arrived, so the
        // FINs crossed (simultaneous close). Take back CLOSE_WAIT and replay in wire order.
        this.unrecord(snd);
        this.fire(slot, snd, E.SEND_FIN, frame, t);
        this.fire(slot, snd, E.RECEIVE_FIN, frame, t);
      } else if (fin && st.state[snd] !== TcpState.FIN_WAIT_1 && st.state[snd] !== TcpState.LAST_ACK) this.fire(slot, snd, E.SEND_FIN, frame, t);
    }
    if (checksumBad) return;

    // Receiver
    const state = st.state[rcv];
    if (rst) {
      st.side32[rcv * SIDE32 + O_FLAGS] &= ~S_PENDING_SYN;
      if (this.rstAcceptable(snd, rcv, seq, ackNo, ack)) {
        if (state === TcpState.SYN_RECEIVED && !(st.side32[rcv * SIDE32 + O_FLAGS] & S_PASSIVE)) this.record(slot, rcv, TcpState.CLOSED, frame, t);
        else this.fire(slot, rcv, E.RECEIVE_RST, frame, t);
      }
      return;
    }
    if (syn && !ack) {
      if (state === TcpState.SYN_SENT || state === TcpState.LISTEN) this.fire(slot, rcv, E.RECEIVE_SYN, frame, t);
      else if (state === TcpState.CLOSED && !(st.side32[rcv * SIDE32 + O_FLAGS] & S_PENDING_SYN)) {
        // Whether the receiver listens shows only in its answer (SYN+ACK or RST).
        st.side32[rcv * SIDE32 + O_FLAGS] |= S_PENDING_SYN;
        st.pendingSynFrame[rcv] = frame;
        st.side64[rcv * SIDE64 + O_MARK_NS] = t;
      }
      return;
    }
    const acksOurSyn = ack && st.side32[rcv * SIDE32 + O_FLAGS] & S_SYN && seqGe(ackNo, (st.side32[rcv * SIDE32 + O_ISN] + 1) >>> 0) && seqLe(ackNo, st.side32[rcv * SIDE32 + O_NEXT_SEQ]);
    if (syn && ack) {
      if (acksOurSyn) this.fire(slot, rcv, E.RECEIVE_SYN_ACK, frame, t);
      return;
    }
    if (acksOurSyn && state === TcpState.SYN_RECEIVED) this.fire(slot, rcv, E.RECEIVE_ACK_OF_SYN, frame, t);
    if (ack && st.side32[rcv * SIDE32 + O_FLAGS] & S_FIN && seqGe(ackNo, st.side32[rcv * SIDE32 + O_FIN_END])) this.fire(slot, rcv, E.RECEIVE_ACK_OF_FIN, frame, t);
    if (fin) this.fire(slot, rcv, E.RECEIVE_FIN, frame, t);
  }

  /** RFC 9293 §3.10.7: in SYN_SENT an RST must ACK our SYN; elsewhere its sequence must be in the receive window. */
  private rstAcceptable(snd: number, rcv: number, seq: number, ackNo: number, ack: boolean): boolean {
    const st = this.store;
    if (st.state[rcv] === TcpState.SYN_SENT) return ack && ackNo === ((st.side32[rcv * SIDE32 + O_ISN] + 1) >>> 0);
    if (!(st.side32[rcv * SIDE32 + O_FLAGS] & S_LASTACK)) return true; // the receiver's window is unknown
    const rcvNext = st.side32[rcv * SIDE32 + O_LAST_ACK];
    const window = Math.max(this.scaledWindow(rcv), 1);
    return seqGe(seq, rcvNext) && seqLt(seq, (rcvNext + window) >>> 0);
  }

  // ---------------------------------------------------------------- TLS

  /** `dataSeqBits`: the sequence number of the first data byte, as int32 bits (see trackAt). */
  private collectTls(slot: number, side: number, fwd: number, dataSeqBits: number, s: PacketSummary, frameBytes: Uint8Array, frameStart: number, capturedLength: number): void {
    const dataSeq = dataSeqBits >>> 0;
    const st = this.store;
    const sideFlags = st.side32[fwd * SIDE32 + O_FLAGS];
    if (sideFlags & S_NOT_TLS) return;
    // Positions in frameBytes (the frame starts at frameStart there).
    const payload = frameStart + s.payloadOffset;
    const end = frameStart + Math.min(s.payloadOffset + s.payloadLength, capturedLength);
    if (end <= payload) return; // the snap length kept none of it
    let tls = this.tls.get(slot);
    let collector = tls ? tls.collectors[side] : null;
    let start: number;
    if (tls && collector) {
      start = tls.starts[side];
    } else if (sideFlags & S_SYN) {
      start = (st.side32[fwd * SIDE32 + O_ISN] + 1) >>> 0;
      // Cheap test before any allocation: a TLS stream starts with a handshake record, 0x16 0x03.
      if (dataSeq === start && end - payload >= 2 && (frameBytes[payload] !== 0x16 || frameBytes[payload + 1] !== 0x03)) {
        st.side32[fwd * SIDE32 + O_FLAGS] |= S_NOT_TLS;
        return;
      }
    } else {
      // Handshake not captured: the stream start is unknown, so a hello is recognised by its
      // content, as tshark does: a segment beginning with a handshake record (0x16 0x03) whose
      // first message is a ClientHello (1) or ServerHello (2).
      if (end - payload < 6 || frameBytes[payload] !== 0x16 || frameBytes[payload + 1] !== 0x03 || (frameBytes[payload + 5] !== 1 && frameBytes[payload + 5] !== 2)) return;
      start = dataSeq;
    }
    const streamOffset = seqDiff(dataSeq, start);
    if (!tls) {
      if (this.tlsBytes <= 0) return;
      tls = { collectors: [null, null], starts: [0, 0], client: null, server: null };
      this.tls.set(slot, tls);
    }
    if (!collector) {
      if ((side === CLIENT ? tls.client : tls.server) !== null) return;
      collector = new TlsStreamCollector(this.tlsBytes);
      tls.collectors[side] = collector;
      tls.starts[side] = start;
    }
    const pushed = collector.push(streamOffset, frameBytes, payload, end);
    if (pushed && (pushed.hello || pushed.handshakeTypes.length > 0)) {
      const hello = pushed.hello;
      this.result.tls = {
        handshakeTypes: pushed.handshakeTypes,
        serverName: hello?.serverName ?? null,
        alpn: hello?.alpn ?? [],
        supportedVersions: hello?.supportedVersions ?? [],
        cipherSuites: hello?.cipherSuites ?? [],
      };
      if (hello && side === CLIENT && hello.type === 1) tls.client = hello;
      if (hello && side === SERVER && hello.type === 2) tls.server = hello;
    }
    if (collector.finished) {
      tls.collectors[side] = null; // free the buffers
      if (!collector.hello) st.side32[fwd * SIDE32 + O_FLAGS] |= S_NOT_TLS;
      if (!tls.client && !tls.server && !tls.collectors[0] && !tls.collectors[1]) this.tls.delete(slot);
    }
  }

  // ---------------------------------------------------------------- summaries

  private timestamp(slot: number, offsetNs: number): Timestamp {
    const st = this.store;
    const total = st.conn32[slot * CONN32 + O_C_START_NS] + offsetNs;
    const carry = Math.floor(total / NANOS_PER_SECOND);
    return { sec: st.conn64[slot * CONN64 + O_C_START_SEC] + carry, ns: total - carry * NANOS_PER_SECOND };
  }

  private states(slot: number, sideIndex: number): StateRecord[] {
    const st = this.store;
    const out: StateRecord[] = [];
    for (let i = 0; i < st.transitionCount[sideIndex]; i++) {
      const at = sideIndex * TRANSITIONS_PER_SIDE + i;
      const frame = st.transitionFrame[at];
      out.push({ state: TCP_STATE_NAMES[st.transitionState[at]], frame: frame === 0 ? null : frame, time: this.timestamp(slot, st.transitionNs[at]) });
    }
    return out;
  }

  private summarize(slot: number): ConnectionSummary {
    const st = this.store;
    const c = st.conn32[slot * CONN32 + O_C_FLAGS];
    const cs = slot * 2;
    const ss = cs + 1;
    const ipVersion = st.conn32[slot * CONN32 + O_C_IP_VERSION] === 6 ? 6 : 4;

    const counts = {} as ConnectionCounts;
    const problems = st.counts(slot);
    for (let i = 0; i < COUNT_NAMES.length; i++) counts[COUNT_NAMES[i]] = problems === undefined ? 0 : problems[i];

    const handshakeFrames: number[] = [];
    const teardownFrames: number[] = [];
    const ladder: LadderStep[] = [];
    for (let i = 0; i < st.keyFrameCount[slot]; i++) {
      const frame = st.keyFrame[slot * KEY_FRAMES + i];
      const info = st.keyFrameInfo[slot * KEY_FRAMES + i];
      if (info & K_TEARDOWN) teardownFrames.push(frame);
      else handshakeFrames.push(frame);
      ladder.push({ frame, time: { sec: 0, ns: 0 }, fromClient: (info & K_SERVER) === 0, label: keyFrameLabel(info) });
    }

    const simultaneous = (c & C_SIMULTANEOUS) !== 0;
    const clientSyn = (st.side32[cs * SIDE32 + O_FLAGS] & S_SYN) !== 0 && st.synFrame[slot] > 0;
    const established = st.state[cs] !== TcpState.SYN_SENT && st.transitionCount[cs] > 0 && st.transitionCount[ss] > 0 && reachedEstablished(st, cs) && reachedEstablished(st, ss);
    const threeWayComplete = (c & C_SYNACK_ISN_OK) !== 0 && (c & C_FINAL_ACK_ISN_OK) !== 0 && clientSyn;

    let teardownKind: TeardownKind = TEARDOWN_NAMES[st.teardownKind[slot]];
    let initiator: 'client' | 'server' | null = st.firstFinSide[slot] < 0 ? null : st.firstFinSide[slot] === CLIENT ? 'client' : 'server';
    if (st.rstSide[slot] >= 0 && !(c & C_FINS_ACKED_BEFORE_RST)) {
      teardownKind = 'reset';
      initiator = st.rstSide[slot] === CLIENT ? 'client' : 'server';
    }

    const tlsState = this.tls.get(slot);
    let tls: ConnectionTls | null = null;
    if (tlsState && (tlsState.client || tlsState.server)) {
      const ch = tlsState.client;
      const sh = tlsState.server;
      const selectedVersion = sh ? (sh.supportedVersions[0] ?? sh.legacyVersion) : null;
      tls = {
        sni: ch?.serverName ?? null,
        alpn_offered: ch?.alpn ?? [],
        alpn_selected: sh?.alpn[0] ?? null,
        versions_offered: ch ? (ch.supportedVersions.length > 0 ? ch.supportedVersions : [ch.legacyVersion]).map(tlsVersionName) : [],
        version_selected: selectedVersion === null ? null : tlsVersionName(selectedVersion),
        cipher_selected: sh ? tlsCipherName(sh.cipherSuites[0]) : null,
        ciphersOffered: ch?.cipherSuites ?? [],
        cipherSelectedValue: sh?.cipherSuites[0] ?? null,
      };
    }

    let history = st.history[slot];
    if (c & C_PARTIAL) history += 'x';
    const seconds = (ns: number): number | null => (ns >= 0 ? ns / NANOS_PER_SECOND : null);
    const summary: ConnectionSummary = {
      stream: st.conn32[slot * CONN32 + O_C_STREAM],
      ipVersion,
      client: { address: formatAddress(ipVersion, st.conn32, slot * CONN32 + O_C_ADDRESS), port: st.conn32[slot * CONN32 + O_C_PORT] },
      server: { address: formatAddress(ipVersion, st.conn32, slot * CONN32 + O_C_ADDRESS + 4), port: st.conn32[slot * CONN32 + O_C_PORT + 1] },
      directionGuessed: (c & C_GUESSED) !== 0,
      partial: (c & C_PARTIAL) !== 0,
      start: { sec: st.conn64[slot * CONN64 + O_C_START_SEC], ns: st.conn32[slot * CONN32 + O_C_START_NS] },
      end: { sec: st.conn64[slot * CONN64 + O_C_END_SEC], ns: st.conn32[slot * CONN32 + O_C_END_NS] },
      frames: st.conn32[slot * CONN32 + O_C_FRAMES],
      bytes: st.conn64[slot * CONN64 + O_C_BYTES],
      connState: zeekConnState(st.zeekState[cs] as ZeekEndpoint, st.zeekState[ss] as ZeekEndpoint, st.side64[cs * SIDE64 + O_PAYLOAD_BYTES], st.side64[ss * SIDE64 + O_PAYLOAD_BYTES], history),
      history,
      completeness: st.conn32[slot * CONN32 + O_C_COMPLETENESS],
      handshake: {
        kind: simultaneous ? 'simultaneous-open' : clientSyn ? (c & C_SYN_WITH_DATA ? 'tfo' : 'three-way') : null,
        complete: simultaneous ? established : threeWayComplete,
        frames: handshakeFrames,
        synRetransmissions: st.synRetransmissions[slot],
        synAckRetransmissions: st.synAckRetransmissions[slot],
        initialRtt: seconds(st.initialRttNs[slot]),
        synToSynAck: seconds(st.synToSynAckNs[slot]),
        synAckToAck: seconds(st.synAckToAckNs[slot]),
        dataOnFinalAck: (c & C_DATA_ON_FINAL_ACK) !== 0,
        synWithData: (c & C_SYN_WITH_DATA) !== 0,
        rejected: (c & C_REJECTED) !== 0,
        synAckAcksIsn: c & C_SYNACK_ISN_CHECKED ? (c & C_SYNACK_ISN_OK) !== 0 : null,
        finalAckAcksIsn: c & C_FINAL_ACK_SEEN ? (c & C_FINAL_ACK_ISN_OK) !== 0 : null,
      },
      teardown: { kind: teardownKind, initiator, frames: teardownFrames, halfCloseBytes: st.halfCloseBytes[slot] },
      states: { client: this.states(slot, cs), server: this.states(slot, ss) },
      finalState: { client: TCP_STATE_NAMES[st.state[cs]], server: TCP_STATE_NAMES[st.state[ss]] },
      counts,
      volume: {
        origBytes: st.side64[cs * SIDE64 + O_PAYLOAD_BYTES] + st.missedBytes[cs],
        respBytes: st.side64[ss * SIDE64 + O_PAYLOAD_BYTES] + st.missedBytes[ss],
        missedBytes: st.missedBytes[cs] + st.missedBytes[ss],
        origPackets: st.conn32[slot * CONN32 + O_C_PACKETS + CLIENT],
        origIpBytes: st.ipBytes[cs],
        respPackets: st.conn32[slot * CONN32 + O_C_PACKETS + SERVER],
        respIpBytes: st.ipBytes[ss],
      },
      tls,
      ladder,
    };
    return summary;
  }
}

/** A 52-bit key for an IPv6 address and port: exact enough to tell endpoints apart, and a number. */
function hashKey52(address: Uint32Array, at: number, port: number): number {
  const high = hashWords(address, 4, port, at) >>> 0;
  const low = hashWords(address, 4, port ^ 0x5bd1e995, at) >>> 12;
  return high * 1048576 + low;
}

function reachedEstablished(st: ConnectionStore, sideIndex: number): boolean {
  for (let i = 0; i < st.transitionCount[sideIndex]; i++) {
    if (st.transitionState[sideIndex * TRANSITIONS_PER_SIDE + i] === TcpState.ESTABLISHED) return true;
  }
  return false;
}

/** Labels by key-frame info bits: a connection's summary asks for one per key frame, and there are few distinct ones. */
const keyFrameLabels: (string | undefined)[] = [];

function keyFrameLabel(info: number): string {
  let label = keyFrameLabels[info];
  if (label === undefined) {
    label = composeKeyFrameLabel(info);
    keyFrameLabels[info] = label;
  }
  return label;
}

function composeKeyFrameLabel(info: number): string {
  const parts: string[] = [];
  if (info & K_SYN) parts.push('SYN');
  if (info & K_FIN) parts.push('FIN');
  if (info & K_RST) parts.push('RST');
  if (info & K_ACK) parts.push('ACK');
  let label = parts.join('+');
  if (info & K_DATA) label += ' +data';
  return label;
}

const scratch = new Uint8Array(16);

/** Dotted IPv4 or RFC 5952 IPv6 text of the address stored at `address[at..]`. */
function formatAddress(ipVersion: number, address: Uint32Array, at: number): string {
  const words = ipVersion === 6 ? 4 : 1;
  for (let i = 0; i < words; i++) {
    const w = address[at + i];
    scratch[i * 4] = w >>> 24;
    scratch[i * 4 + 1] = (w >>> 16) & 0xff;
    scratch[i * 4 + 2] = (w >>> 8) & 0xff;
    scratch[i * 4 + 3] = w & 0xff;
  }
  return ipVersion === 6 ? formatIpv6(scratch, 0) : formatIpv4(scratch, 0);
}

/** cli.md's endpoint form: "198.18.0.1:40000" or "[2001:db8::1]:443". */
export function formatEndpoint(ipVersion: number, address: Uint32Array, at: number, port: number): string {
  const text = formatAddress(ipVersion, address, at);
  return ipVersion === 6 ? `[${text}]:${port}` : `${text}:${port}`;
}
