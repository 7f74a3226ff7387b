/**
 * A user-space TCP endpoint as pure logic: segments in (with the time), segments out, timers.
 * No clock, socket or wire format of its own: the caller says what time it is (ms), hands over
 * the peer's segments and sends what `poll` returns (engine: electron/engine/endpoint-session.ts).
 *
 * Its state follows the RFC 9293 table in shared/track/states.ts; arrival processing follows
 * RFC 9293 §3.10.7 (acceptability, RST, SYN, ACK, text, FIN, in that order), with RFC 5961's
 * challenge ACKs. Retransmission is off unless asked for (the peer's advertised window is then the
 * only limit, which is what a user studying the peer wants); on, the timer is RFC 6298's (rto.ts)
 * with Karn's rule, and the sender is a conforming one (congestion.ts): RFC 5681 cwnd/ssthresh,
 * fast retransmit and recovery with RFC 6582 NewReno, RFC 6928's initial window, restart after
 * idle, and RFC 6675 SACK-based recovery when SACK was negotiated. `congestion: { algorithm:
 * 'none' }` keeps RFC 6298's timer alone.
 *
 * Every automatic choice can be fixed: ISN, options (or the SYN's whole list), the window field,
 * when to ACK; in step mode nothing leaves by itself: `proposal()` shows the next segment, the
 * caller may change any field and `step()` sends it, bookkept as what it really was.
 */
import type { TcpOptionSpec } from '../craft/spec';
import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt, seqRelative } from '../track/seq';
import { nextState, TCP_STATE_NAMES, TcpEvent, TcpState } from '../track/states';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from '../wire/summary';
import { ReassemblyQueue, SendQueue } from './buffers';
import { cwndAfterAck, dsackBlock, initialWindow, SackScoreboard, setPipe, ssthreshAfterLoss, type CongestionOptions, type RecoveryPhase, type SenderState } from './congestion';
import { RtoEstimator, type RtoOptions } from './rto';

export interface EndpointSegment {
  seq: number;
  ack: number;
  /** TCP flag bits (FIN 0x01 … ACK 0x10 …). */
  flags: number;
  /** The 16-bit window field as written (scaled down). */
  window: number;
  urgent: number;
  options: TcpOptionSpec[];
  payload: Uint8Array;
}

/** Why a segment goes out; 'reply-rst' answers a segment that belongs to no connection and changes nothing here. */
export type SegmentReason = 'syn' | 'syn-ack' | 'ack' | 'challenge-ack' | 'data' | 'fin' | 'rst' | 'reply-rst' | 'keepalive' | 'retransmit' | 'window-probe' | 'user';

export interface Proposal {
  segment: EndpointSegment;
  reason: SegmentReason;
}

export type AckMode = 'immediate' | 'delayed' | 'manual';

export interface KeepaliveOptions {
  /** Idle time before the first probe. */
  idleMs: number;
  /** Between unanswered probes (default: idleMs). */
  intervalMs?: number;
  /** Unanswered probes before the connection is given up with an RST, as Linux does (default 9). */
  probes?: number;
}

export interface EndpointOptions {
  /** Our initial sequence number; random when absent. */
  isn?: number;
  random?: () => number;
  /** Our MSS: advertised in the SYN and the most we put in a segment (default 1460). */
  mss?: number;
  /** Offer SACK (default true). */
  sackPermitted?: boolean;
  /** Our window scale shift, or null to offer none (default 7). */
  windowScale?: number | null;
  /** Offer timestamps (default true). */
  timestamps?: boolean;
  /** The SYN's (or SYN+ACK's) options exactly as given, e.g. from a template; what they offer is what is negotiated. */
  synOptions?: TcpOptionSpec[];
  /** Our TS clock is floor(now) + tsOffset (random when absent). */
  tsOffset?: number;
  /** The receive window we advertise, in bytes (default 262144; at most 65535 without window scaling). */
  receiveWindow?: number;
  /** A fixed value for every segment's window field (e.g. 0 for a zero window). */
  windowField?: number;
  /** Bytes held ahead of a gap (default 1 MiB); beyond, segments are dropped unacknowledged. */
  maxOutOfOrder?: number;
  /** The peer's MSS when its SYN has none (RFC 9293 §3.7.1: 536 for IPv4, 1220 for IPv6). */
  defaultPeerMss?: number;
  /** When received data is acknowledged (default immediate; delayed: every second full segment or after ackDelayMs; manual: only by ack() or step). */
  ack?: AckMode;
  ackDelayMs?: number;
  retransmit?: boolean;
  rto?: RtoOptions;
  /** The sender's congestion control while retransmission is on (congestion.ts); ignored when it is off. */
  congestion?: CongestionOptions;
  /** Retransmissions of one segment before giving up with an RST (default 15, Linux's tcp_retries2). */
  maxRetransmits?: number;
  /** SYN retransmissions before giving up (default 6, Linux's tcp_syn_retries). */
  maxSynRetransmits?: number;
  keepalive?: KeepaliveOptions | null;
  /** How long TIME_WAIT lasts (2 MSL; default 60 s as Linux). */
  timeWaitMs?: number;
  /** Send nothing by itself: the caller takes proposal() and step()s. */
  step?: boolean;
}

export type EndpointEvent =
  | { type: 'state'; from: string; to: string; why: string; at: number }
  | { type: 'data'; bytes: Uint8Array; at: number }
  | { type: 'peer-fin'; at: number }
  | { type: 'reset'; why: string; at: number }
  | { type: 'retransmit'; seq: number; length: number; why: RetransmitWhy; rto: number; at: number }
  /** The sender entered or left loss recovery (or its timer fired): its state right after. */
  | ({ type: 'sender'; why: string; at: number } & SenderState)
  | { type: 'rtt'; sample: number; srtt: number; rttvar: number; rto: number; at: number }
  | { type: 'keepalive'; probe: number; at: number }
  | { type: 'aborted'; why: string; at: number }
  | { type: 'dropped'; why: string; at: number };

/**
 * Why a segment went again: the timer's ('timeout'), the third duplicate ACK's ('fast'), NewReno's
 * partial ACK, RFC 6675's NextSeg in SACK or post-timeout recovery ('recovery'), its rescue.
 */
export type RetransmitWhy = 'timeout' | 'fast' | 'partial-ack' | 'recovery' | 'rescue';

export interface EndpointStats {
  segmentsSent: number;
  segmentsReceived: number;
  bytesSent: number;
  bytesAcked: number;
  bytesReceived: number;
  retransmissions: number;
  /** Payload bytes sent again. */
  bytesRetransmitted: number;
  outOfOrderHeld: number;
  outOfOrderDropped: number;
  /** Segments dropped by PAWS (RFC 7323 §5.3): their TSval was older than TS.Recent. */
  pawsDropped: number;
  /** Segments other than RST dropped for carrying no TSopt once timestamps were negotiated (RFC 7323 §3.2). */
  noTimestampDropped: number;
}

export interface Negotiated {
  /** The peer's MSS (its SYN's, or the default). */
  peerMss: number;
  sack: boolean;
  timestamps: boolean;
  /** Shifts applied to the peer's window field and to ours, when both offered scaling. */
  windowScale: { ours: number; peers: number } | null;
}

export class EndpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EndpointError';
  }
}

const DEFAULT_MSS = 1460;
const DEFAULT_RECEIVE_WINDOW = 262_144;
const DEFAULT_MAX_OUT_OF_ORDER = 1 << 20;
const DEFAULT_ACK_DELAY_MS = 40;
const SYN_DATA_RTO_MS = 3000;
/** RFC 7323 §5.5: TS.Recent older than 24 days is invalid (the peer's clock may have wrapped its sign bit). */
const PAWS_IDLE_MS = 24 * 24 * 3600 * 1000;

function u32(value: number): number {
  return value >>> 0;
}

function hasOption(options: readonly TcpOptionSpec[], kind: TcpOptionSpec['kind']): boolean {
  return options.some((option) => option.kind === kind);
}

const SYNCHRONIZED = new Set<TcpState>([TcpState.ESTABLISHED, TcpState.FIN_WAIT_1, TcpState.FIN_WAIT_2, TcpState.CLOSE_WAIT, TcpState.CLOSING, TcpState.LAST_ACK, TcpState.TIME_WAIT]);
/** States in which the peer's data is still taken (RFC 9293 §3.10.7.4, seventh). */
const RECEIVING = new Set<TcpState>([TcpState.ESTABLISHED, TcpState.FIN_WAIT_1, TcpState.FIN_WAIT_2]);
/** States in which our data may still go out. */
const SENDING = new Set<TcpState>([TcpState.ESTABLISHED, TcpState.CLOSE_WAIT]);

/** A segment sent or received, with the endpoint's state right after it (the ladder's lane for our side). */
/** `passed`: every state entered while this segment was processed, in order (two for a FIN+ACK that ends FIN_WAIT_1 in TIME_WAIT). */
export type SegmentObserver = (direction: 'in' | 'out', segment: EndpointSegment, state: TcpState, passed: readonly TcpState[]) => void;

export class TcpEndpoint {
  state: TcpState = TcpState.CLOSED;
  /** Told of every segment committed (out) or taken (in), after its bookkeeping. */
  observer: SegmentObserver | null = null;
  /** States entered since the segment being processed began (for the observer). */
  private passedStates: TcpState[] = [];
  readonly iss: number;
  irs: number | null = null;
  sndUna: number;
  sndNxt: number;
  /** The peer's window, in bytes (scaled). */
  sndWnd = 0;
  private sndWl1 = 0;
  private sndWl2 = 0;
  private maxSndWnd = 0;
  rcvNxt = 0;
  readonly stats: EndpointStats = { segmentsSent: 0, segmentsReceived: 0, bytesSent: 0, bytesAcked: 0, bytesReceived: 0, retransmissions: 0, bytesRetransmitted: 0, outOfOrderHeld: 0, outOfOrderDropped: 0, pawsDropped: 0, noTimestampDropped: 0 };
  readonly rtt: RtoEstimator;
  /** Why the connection ended, once it has. */
  closedReason: string | null = null;

  private readonly options: EndpointOptions;
  private readonly ourMss: number;
  private readonly tsOffset: number;
  private readonly ackMode: AckMode;
  private readonly sendQueue = new SendQueue();
  /** Sequence number of the first byte in sendQueue. */
  private queueSeq: number;
  private readonly reassembly: ReassemblyQueue;
  private readonly events: EndpointEvent[] = [];

  // What the SYNs offered, and so what holds.
  private ourSynOptions: TcpOptionSpec[] | null = null;
  private peerSynOptions: TcpOptionSpec[] | null = null;
  private peerMss: number;
  private sendShift = 0;
  private recvShift = 0;
  private tsOn = false;
  private sackOn = false;
  private tsRecent = 0;
  /** When TS.Recent was last set: after 24 days idle it is no longer held against a segment (RFC 7323 §5.5). */
  private tsRecentAt = 0;
  private lastAckSent = 0;
  private passive = false;

  // Pending work.
  private synWanted = false;
  private synAckWanted = false;
  private finWanted = false;
  private finSent = false;
  private finSeq = 0;
  private rstWanted = false;
  private ackWanted: 'ack' | 'challenge-ack' | null = null;
  private fullSegmentsUnacked = 0;
  private delayedAckAt: number | null = null;
  private retransmitWanted: RetransmitWhy | null = null;
  private rtoAt: number | null = null;
  private retransmits = 0;
  private synTimedOut = false;
  private timing: { end: number; at: number } | null = null;
  private dupAcks = 0;

  // The congestion controller (congestion.ts); positions are absolute offsets from our ISN.
  private readonly congestionOn: boolean;
  private readonly dupThresh: number;
  /** cwnd in bytes; 0 until the connection is established. */
  private cwnd = 0;
  private ssthresh = Infinity;
  private recovery: RecoveryPhase = 'none';
  /** RFC 6582's `recover` / RFC 6675's RecoveryPoint, exclusive (the SND.NXT of the moment). */
  private recoverAt = 0;
  /** RFC 6675 HighRxt, exclusive: the end of the highest byte retransmitted in this recovery. */
  private highRxt = 0;
  private rescueRxt: number | null = null;
  /** The start of the rescue segment proposed, so its commit leaves HighRxt alone. */
  private rescueProposed: number | null = null;
  private readonly scoreboard = new SackScoreboard();
  /** RFC 3042 limited transmit: new segments the latest duplicate ACK still lets out beyond cwnd (0 or 1). */
  private limitedTransmitAllowance = 0;
  /** Bytes sent by limited transmit since SND.UNA last moved: RFC 5681 §3.2 (2) leaves them out of FlightSize for ssthresh. */
  private limitedTransmitBytes = 0;
  /** RFC 2883 D-SACK reports received, and the bytes they covered. */
  private dsacks = 0;
  private dsackBytes = 0;
  /** SND.UNA as an absolute offset. */
  private sndUnaAbs = 0;
  private lastDataSentAt: number | null = null;
  private keepaliveAt: number | null = null;
  private keepaliveWanted = false;
  private probesUnanswered = 0;
  private persistAt: number | null = null;
  private persistWanted = false;
  private timeWaitAt: number | null = null;
  private lastHeardAt = 0;

  constructor(options: EndpointOptions = {}) {
    this.options = options;
    const random = options.random ?? Math.random;
    this.iss = options.isn !== undefined ? u32(options.isn) : u32(Math.floor(random() * 0x100000000));
    this.sndUna = this.iss;
    this.sndNxt = this.iss;
    this.queueSeq = seqAdd(this.iss, 1);
    this.ourMss = options.mss ?? DEFAULT_MSS;
    this.tsOffset = options.tsOffset !== undefined ? u32(options.tsOffset) : u32(Math.floor(random() * 0x100000000));
    this.ackMode = options.ack ?? 'immediate';
    this.reassembly = new ReassemblyQueue(options.maxOutOfOrder ?? DEFAULT_MAX_OUT_OF_ORDER);
    this.rtt = new RtoEstimator(options.rto);
    this.peerMss = options.defaultPeerMss ?? 536;
    const congestion = options.congestion ?? {};
    this.congestionOn = (options.retransmit ?? false) && (congestion.algorithm ?? 'newreno') !== 'none';
    this.dupThresh = congestion.dupThresh ?? 3;
    if (!Number.isInteger(this.dupThresh) || this.dupThresh < 1) throw new EndpointError(`dupThresh must be a positive integer, not ${congestion.dupThresh}`);
    if (congestion.initialWindow !== undefined && !(Number.isInteger(congestion.initialWindow) && congestion.initialWindow >= 1)) throw new EndpointError(`the initial window must be a positive number of segments, not ${congestion.initialWindow}`);
    if (congestion.initialSsthresh !== undefined && !(congestion.initialSsthresh > 0)) throw new EndpointError(`the initial ssthresh must be positive, not ${congestion.initialSsthresh}`);
    this.ssthresh = congestion.initialSsthresh ?? Infinity;
    if (options.windowScale !== undefined && options.windowScale !== null && (!Number.isInteger(options.windowScale) || options.windowScale < 0 || options.windowScale > 14)) {
      throw new EndpointError(`window scale must be 0..14 (RFC 7323 §2.3), not ${options.windowScale}`);
    }
  }

  get stateName(): string {
    return TCP_STATE_NAMES[this.state];
  }

  get synchronized(): boolean {
    return SYNCHRONIZED.has(this.state);
  }

  /** Bytes queued and not yet acknowledged (sent or not). */
  get unacknowledged(): number {
    return this.sendQueue.length;
  }

  /** Bytes queued that have not been sent yet. */
  get unsent(): number {
    return Math.max(0, this.sendQueue.length - this.inFlightData());
  }

  get negotiated(): Negotiated {
    const both = this.ourSynOptions !== null && this.peerSynOptions !== null;
    return {
      peerMss: this.peerMss,
      sack: this.sackOn,
      timestamps: this.tsOn,
      windowScale: both && hasOption(this.ourSynOptions ?? [], 'wscale') && hasOption(this.peerSynOptions ?? [], 'wscale') ? { ours: this.recvShift, peers: this.sendShift } : null,
    };
  }

  /** The sender's congestion state (cwnd and ssthresh null when congestion control is off). */
  get sender(): SenderState {
    const flight = this.flightSize();
    return {
      cwnd: this.congestionOn ? this.cwnd : null,
      ssthresh: this.congestionOn && Number.isFinite(this.ssthresh) ? this.ssthresh : null,
      flight,
      pipe: this.congestionOn ? this.pipe() : flight,
      recovery: this.recovery,
      smss: this.segmentRoom(),
      dsacks: this.dsacks,
      dsackBytes: this.dsackBytes,
    };
  }

  /** Sequence number relative to our ISN / to the peer's (Wireshark's relative numbers). */
  relativeSent(seq: number): number {
    return seqRelative(seq, this.iss);
  }

  relativeReceived(seq: number): number {
    return this.irs === null ? seq : seqRelative(seq, this.irs);
  }

  /** The events since the last call. */
  takeEvents(): EndpointEvent[] {
    return this.events.splice(0);
  }

  // ------------------------------------------------------------------------- user calls

  /** Active open: a SYN goes out next. */
  open(): void {
    if (this.state !== TcpState.CLOSED && this.state !== TcpState.LISTEN) throw new EndpointError(`cannot open in ${this.stateName}`);
    this.synWanted = true;
  }

  /** Passive open: the next SYN is answered. */
  listen(now: number): void {
    if (this.state !== TcpState.CLOSED) throw new EndpointError(`cannot listen in ${this.stateName}`);
    this.passive = true;
    this.apply(TcpEvent.PASSIVE_OPEN, 'listen', now);
  }

  /** Queues bytes to send; they go out as the peer's window allows. */
  write(bytes: Uint8Array): void {
    if (this.finWanted || this.finSent) throw new EndpointError('the connection is closing: no more data after FIN');
    if (this.state === TcpState.CLOSED && !this.synWanted) throw new EndpointError('the connection is closed');
    this.sendQueue.push(bytes);
  }

  /** FIN once queued data is sent (a half-close: we keep receiving), or RST at once. */
  close(how: 'fin' | 'rst', now: number): void {
    if (this.state === TcpState.LISTEN || this.state === TcpState.SYN_SENT || (this.state === TcpState.CLOSED && this.synWanted)) {
      // Nothing synchronized to tell the peer (RFC 9293 §3.10.4: delete the TCB).
      this.synWanted = false;
      this.setState(TcpState.CLOSED, 'closed by the user before the handshake', now);
      this.closedReason ??= 'closed by the user before the handshake';
      return;
    }
    if (this.state === TcpState.CLOSED) return;
    if (how === 'rst') this.rstWanted = true;
    else this.finWanted = true;
  }

  /** In manual ACK mode: acknowledge what has arrived so far (step mode can change the number). */
  acknowledge(): void {
    if (this.irs !== null) this.ackWanted ??= 'ack';
  }

  // ------------------------------------------------------------------------- time

  /** The earliest time (ms) at which poll() has timer work, or null. */
  nextDeadline(): number | null {
    let earliest: number | null = null;
    for (const at of [this.rtoAt, this.delayedAckAt, this.keepaliveAt, this.persistAt, this.timeWaitAt]) {
      if (at !== null && (earliest === null || at < earliest)) earliest = at;
    }
    return earliest;
  }

  /** Runs expired timers, then (outside step mode) returns every segment due now. */
  poll(now: number): EndpointSegment[] {
    this.runTimers(now);
    if (this.options.step) return [];
    const out: EndpointSegment[] = [];
    // Each proposal is committed before the next is chosen; the bound guards against a loop.
    for (let i = 0; i < 100_000; i++) {
      const proposal = this.proposal(now);
      if (!proposal) break;
      this.commit(proposal.segment, proposal.reason, now);
      out.push(proposal.segment);
    }
    return out;
  }

  private runTimers(now: number): void {
    if (this.timeWaitAt !== null && now >= this.timeWaitAt) {
      this.timeWaitAt = null;
      this.apply(TcpEvent.TIMEOUT_2MSL, '2MSL timeout', now);
      this.closedReason ??= 'TIME_WAIT over';
    }
    if (this.delayedAckAt !== null && now >= this.delayedAckAt) {
      this.delayedAckAt = null;
      this.ackWanted ??= 'ack';
    }
    if (this.rtoAt !== null && now >= this.rtoAt) {
      this.rtoAt = null;
      this.onRetransmitTimeout(now);
    }
    if (this.persistAt !== null && now >= this.persistAt) {
      this.persistAt = null;
      if (this.sndWnd === 0 && this.unsent > 0) this.persistWanted = true;
    }
    if (this.keepaliveAt !== null && now >= this.keepaliveAt) {
      this.keepaliveAt = null;
      const keepalive = this.options.keepalive;
      if (keepalive && this.synchronized && this.state !== TcpState.TIME_WAIT) {
        if (this.probesUnanswered >= (keepalive.probes ?? 9)) {
          this.abort(`the peer answered none of ${this.probesUnanswered} keepalive probes`, now);
        } else {
          this.keepaliveWanted = true;
        }
      }
    }
  }

  private onRetransmitTimeout(now: number): void {
    const synPhase = this.state === TcpState.SYN_SENT || this.state === TcpState.SYN_RECEIVED;
    const limit = synPhase ? (this.options.maxSynRetransmits ?? 6) : (this.options.maxRetransmits ?? 15);
    if (this.retransmits >= limit) {
      this.abort(`no acknowledgment after ${this.retransmits} retransmissions`, now);
      return;
    }
    if (synPhase) this.synTimedOut = true;
    this.rtt.backoff(); // §5.5
    this.retransmitWanted = 'timeout';
    this.recoverWhy = 'timeout';
    this.dupAcks = 0;
    if (this.congestionOn && this.cwnd > 0) {
      const smss = this.segmentRoom();
      // RFC 5681 §3.1: ssthresh is halved on the first timeout of a segment, held on later ones; cwnd = LW = 1 SMSS.
      if (this.retransmits === 0) this.ssthresh = ssthreshAfterLoss(this.flightSize(), smss);
      this.cwnd = smss;
      // RFC 6675 §5.1 / RFC 6582 §4: what was outstanding is recovered in slow start; no new recovery before it is acknowledged.
      this.recovery = 'timeout';
      this.recoverAt = this.abs(this.sndNxt);
      this.highRxt = this.sndUnaAbs;
      this.rescueRxt = null;
      this.senderEvent('retransmission timeout', now);
    }
    this.retransmits++;
  }

  private abort(why: string, now: number): void {
    this.closedReason = why;
    this.events.push({ type: 'aborted', why, at: now });
    this.rstWanted = true;
  }

  // ------------------------------------------------------------------------- choosing the next segment

  /** The segment this endpoint would send now, or null. Not sent until commit()/step(). */
  proposal(now: number): Proposal | null {
    if (this.rstReply) return { segment: this.rstReply, reason: 'reply-rst' };
    if (this.rstWanted) {
      return { segment: this.build(this.sndNxt, TCP_RST | (this.irs !== null ? TCP_ACK : 0), new Uint8Array(0), now, []), reason: 'rst' };
    }
    if (this.synWanted) return { segment: this.build(this.iss, TCP_SYN, new Uint8Array(0), now, this.synOptionsToSend()), reason: 'syn' };
    if (this.synAckWanted) return { segment: this.build(this.iss, TCP_SYN | TCP_ACK, new Uint8Array(0), now, this.synOptionsToSend()), reason: 'syn-ack' };
    if (this.state === TcpState.CLOSED || this.state === TcpState.LISTEN) return null;
    if (this.retransmitWanted) {
      const segment = this.retransmission(now);
      if (segment) return { segment, reason: 'retransmit' };
      this.retransmitWanted = null;
    }
    const recovery = this.recoverySegment(now);
    if (recovery) return { segment: recovery, reason: 'retransmit' };
    const data = this.nextData(now);
    if (data) return { segment: data, reason: 'data' };
    if (this.finWanted && !this.finSent && this.unsent === 0 && SENDING.has(this.state)) {
      return { segment: this.build(this.sndNxt, TCP_FIN | TCP_ACK, new Uint8Array(0), now), reason: 'fin' };
    }
    if (this.persistWanted) {
      // RFC 9293 §3.8.6.1: probe a zero window with one byte of new data.
      return { segment: this.build(this.sndNxt, TCP_ACK | TCP_PSH, this.sendQueue.read(seqDiff(this.sndNxt, this.queueSeq), 1), now), reason: 'window-probe' };
    }
    if (this.keepaliveWanted) {
      // The peer has seen SND.NXT−1 already, so it answers with an ACK (RFC 9293 §3.8.4).
      return { segment: this.build(seqAdd(this.sndNxt, -1), TCP_ACK, new Uint8Array(0), now), reason: 'keepalive' };
    }
    if (this.ackWanted) return { segment: this.build(this.sndNxt, TCP_ACK, new Uint8Array(0), now), reason: this.ackWanted };
    return null;
  }

  /** Step mode: sends the proposal, or `edited` in its place; returns what to put on the wire. */
  step(now: number, edited?: EndpointSegment): EndpointSegment | null {
    this.runTimers(now);
    const proposal = this.proposal(now);
    if (!proposal && !edited) return null;
    const segment = edited ?? (proposal as Proposal).segment;
    this.commit(segment, proposal?.reason ?? 'user', now);
    return segment;
  }

  /** Sends a segment of the caller's own making (any mode); the endpoint bookkeeps it as sent. */
  inject(segment: EndpointSegment, now: number): EndpointSegment {
    this.commit(segment, 'user', now);
    return segment;
  }

  private synOptionsToSend(): TcpOptionSpec[] {
    if (this.options.synOptions) {
      // A SYN+ACK offers only what the peer's SYN offered (RFC 7323 §1.3, RFC 2018 §2).
      if (!this.synAckWanted || !this.peerSynOptions) return this.options.synOptions;
      return this.options.synOptions.filter((option) => this.answerable(option));
    }
    const ipv4Order: TcpOptionSpec[] = [];
    ipv4Order.push({ kind: 'mss', value: this.ourMss });
    const sack = (this.options.sackPermitted ?? true) && (!this.synAckWanted || hasOption(this.peerSynOptions ?? [], 'sack_perm'));
    const ts = (this.options.timestamps ?? true) && (!this.synAckWanted || hasOption(this.peerSynOptions ?? [], 'timestamp'));
    const shift = this.options.windowScale === undefined ? 7 : this.options.windowScale;
    const ws = shift !== null && (!this.synAckWanted || hasOption(this.peerSynOptions ?? [], 'wscale'));
    // Linux's layout: MSS, SACK-permitted, TS (or two NOPs before SACK-permitted), NOP, WS.
    if (sack && ts) ipv4Order.push({ kind: 'sack_perm' });
    if (ts) ipv4Order.push({ kind: 'timestamp', tsval: 0, tsecr: 0 });
    if (sack && !ts) ipv4Order.push({ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack_perm' });
    if (ws) ipv4Order.push({ kind: 'nop' }, { kind: 'wscale', shift: shift as number });
    return ipv4Order;
  }

  private answerable(option: TcpOptionSpec): boolean {
    const peer = this.peerSynOptions ?? [];
    if (option.kind === 'sack_perm' || option.kind === 'timestamp' || option.kind === 'wscale') return hasOption(peer, option.kind);
    return true;
  }

  private receiveWindowBytes(): number {
    const wanted = this.options.receiveWindow ?? DEFAULT_RECEIVE_WINDOW;
    return Math.min(wanted, 65535 * 2 ** this.recvShift);
  }

  private windowField(syn: boolean): number {
    if (this.options.windowField !== undefined) return this.options.windowField;
    const bytes = this.receiveWindowBytes();
    return syn ? Math.min(65535, bytes) : Math.min(65535, Math.floor(bytes / 2 ** this.recvShift));
  }

  /** RCV.WND as the peer sees it from our last window field. */
  private rcvWnd(): number {
    return this.windowField(false) * 2 ** this.recvShift;
  }

  /** A segment with ACK (when we have something to acknowledge), window and options filled in. */
  private build(seq: number, flags: number, payload: Uint8Array, now: number, synOptions?: TcpOptionSpec[]): EndpointSegment {
    const syn = (flags & TCP_SYN) !== 0;
    let options: TcpOptionSpec[];
    if (syn) {
      options = (synOptions ?? []).map((option) => (option.kind === 'timestamp' ? { kind: 'timestamp', tsval: this.tsNow(now), tsecr: flags & TCP_ACK ? this.tsRecent : 0 } : option));
    } else if (flags & TCP_RST) {
      options = [];
    } else {
      options = [];
      if (this.tsOn) options.push({ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', tsval: this.tsNow(now), tsecr: this.tsRecent });
      if (this.sackOn && this.reassembly.size > 0) {
        const blocks = this.reassembly.sackBlocks(this.tsOn ? 3 : 4);
        if (blocks.length > 0) options.push({ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks });
      }
    }
    const withAck = this.irs !== null && (flags & TCP_ACK) !== 0;
    return { seq: u32(seq), ack: withAck ? this.rcvNxt : 0, flags: withAck || !(flags & TCP_ACK) ? flags : flags & ~TCP_ACK, window: flags & TCP_RST ? 0 : this.windowField(syn), urgent: 0, options, payload };
  }

  private tsNow(now: number): number {
    return u32(Math.floor(now) + this.tsOffset);
  }

  /** Room for payload in one segment: the smaller MSS, less the options every data segment carries (RFC 9293 §3.7.1). */
  private segmentRoom(): number {
    const perSegmentOptions = this.tsOn ? 12 : 0;
    return Math.max(1, Math.min(this.peerMss, this.ourMss) - perSegmentOptions);
  }

  private inFlightData(): number {
    const end = this.finSent ? this.finSeq : this.sndNxt;
    return Math.max(0, seqDiff(end, this.queueSeq));
  }

  private nextData(now: number): EndpointSegment | null {
    if (!SENDING.has(this.state) || this.finSent) return null;
    const offset = seqDiff(this.sndNxt, this.queueSeq);
    const pending = this.sendQueue.length - offset;
    if (pending <= 0) return null;
    const usable = seqDiff(seqAdd(this.sndUna, this.sndWnd), this.sndNxt);
    const room = this.segmentRoom();
    const length = Math.min(pending, room, Math.max(0, usable));
    if (length <= 0) return null;
    // Sender-side silly window avoidance (RFC 9293 §3.8.6.2.1): a full segment, all that is left, or half the largest window seen.
    if (length < room && length < pending && length < this.maxSndWnd / 2) return null;
    // cwnd gates whole segments only (a fraction of a segment waits for the next ACK).
    if (this.congestionOn) {
      this.restartIfIdle(now);
      if (this.congestionRoom() < length && !this.limitedTransmitAllows(length)) return null;
    }
    const last = length === pending;
    return this.build(this.sndNxt, TCP_ACK | (last ? TCP_PSH : 0), this.sendQueue.read(offset, length), now);
  }

  /** The oldest unacknowledged segment again. */
  private retransmission(now: number): EndpointSegment | null {
    if (this.state === TcpState.SYN_SENT) return this.build(this.iss, TCP_SYN, new Uint8Array(0), now, this.ourSynOptions ?? this.synOptionsToSend());
    if (this.state === TcpState.SYN_RECEIVED) return this.build(this.iss, TCP_SYN | TCP_ACK, new Uint8Array(0), now, this.ourSynOptions ?? this.synOptionsToSend());
    if (!seqLt(this.sndUna, this.sndNxt)) return null;
    return this.segmentAt(this.sndUnaAbs, now);
  }

  /** One segment from absolute offset `start`, up to SMSS, stopping where SACKed data begins; the FIN when `start` is its place. */
  private segmentAt(start: number, now: number): EndpointSegment | null {
    const seq = this.seqOf(start);
    const dataEnd = this.finSent ? this.finSeq : this.sndNxt;
    const sacked = this.scoreboard.nextSackedStart(start);
    const limit = Math.min(this.segmentRoom(), seqDiff(dataEnd, seq), sacked === null ? Infinity : sacked - start);
    const length = Math.max(0, limit);
    if (length > 0) return this.build(seq, TCP_ACK | TCP_PSH, this.sendQueue.read(Math.max(0, seqDiff(seq, this.queueSeq)), length), now);
    if (this.finSent && seq === this.finSeq) return this.build(this.finSeq, TCP_FIN | TCP_ACK, new Uint8Array(0), now);
    return null;
  }

  // ------------------------------------------------------------------------- congestion control (congestion.ts)

  private abs(seq: number): number {
    return this.sndUnaAbs + seqDiff(seq, this.sndUna);
  }

  private seqOf(offset: number): number {
    return seqAdd(this.sndUna, offset - this.sndUnaAbs);
  }

  /** RFC 5681 FlightSize: sent and not cumulatively acknowledged. */
  private flightSize(): number {
    return Math.max(0, seqDiff(this.sndNxt, this.sndUna));
  }

  private get sackRecovery(): boolean {
    return this.sackOn && (this.options.congestion?.sackRecovery ?? true);
  }

  /** IsLost for the recovery at hand: RFC 6675's rule, and after a timeout everything unSACKed below the recovery point. */
  private lost(offset: number): boolean {
    if (this.recovery === 'timeout' && offset < this.recoverAt) return true;
    return this.sackRecovery && this.scoreboard.isLost(offset, this.dupThresh, this.segmentRoom());
  }

  /** RFC 6675 pipe in SACK or post-timeout recovery; FlightSize otherwise (NewReno inflates cwnd instead). */
  private pipe(): number {
    if (this.recovery !== 'sack' && this.recovery !== 'timeout') return this.flightSize();
    return setPipe(this.scoreboard, this.sndUnaAbs, this.abs(this.sndNxt), this.highRxt, { dupThresh: this.dupThresh, smss: this.segmentRoom(), sack: this.sackRecovery, lostBelow: this.recovery === 'timeout' ? this.recoverAt : null });
  }

  /** What cwnd still lets out now. */
  private congestionRoom(): number {
    if (!this.congestionOn) return Infinity;
    return this.cwnd - this.pipe();
  }

  /**
   * RFC 3042 (RFC 6675 §5 step 3 with SACK): on the first and second duplicate ACK, one new
   * segment each, if the peer's window allows (nextData checked it) and the data outstanding stays
   * within cwnd + 2·SMSS; cwnd itself is not changed.
   */
  private limitedTransmitAllows(length: number): boolean {
    return this.limitedTransmitAllowance > 0 && this.recovery === 'none' && this.flightSize() + length <= this.cwnd + 2 * this.segmentRoom();
  }

  /** RFC 5681 §4.1: after more than one RTO without sending, cwnd is at most the restart window min(IW, cwnd). */
  private restartIfIdle(now: number): void {
    if (!(this.options.congestion?.restartAfterIdle ?? true) || this.lastDataSentAt === null) return;
    if (this.sndUna !== this.sndNxt || now - this.lastDataSentAt <= this.rtt.rto) return;
    const restart = Math.min(initialWindow(this.segmentRoom(), this.options.congestion?.initialWindow), this.cwnd);
    if (this.cwnd > restart) {
      this.cwnd = restart;
      this.senderEvent('restart after idle (RFC 5681 §4.1)', now);
    }
  }

  /**
   * RFC 6675 NextSeg() rules 1, 3 and 4 while in SACK or post-timeout recovery and cwnd − pipe ≥
   * 1 SMSS; rule 2 (new data) is nextData's, and goes before rules 3 and 4.
   */
  private recoverySegment(now: number): EndpointSegment | null {
    this.rescueProposed = null;
    if (!this.congestionOn || (this.recovery !== 'sack' && this.recovery !== 'timeout')) return null;
    const smss = this.segmentRoom();
    if (this.cwnd - this.pipe() < smss) return null;
    const highData = this.abs(this.sndNxt);
    const highestSacked = this.scoreboard.highestSacked ?? this.sndUnaAbs;
    const bound = Math.min(highData, this.recovery === 'timeout' ? Math.max(highestSacked, this.recoverAt) : highestSacked);
    // The smallest unSACKed offset past HighRxt; IsLost only falls as offsets rise, so it is the one to test.
    const candidate = this.scoreboard.firstUnsacked(Math.max(this.highRxt, this.sndUnaAbs));
    if (candidate < bound && this.lost(candidate)) {
      this.recoverWhy = 'recovery';
      return this.segmentAt(candidate, now); // rule 1
    }
    if (this.nextData(now)) return null; // rule 2
    if (candidate < bound) {
      this.recoverWhy = 'recovery';
      return this.segmentAt(candidate, now); // rule 3
    }
    // Rule 4: one rescue retransmission per recovery, of the highest unSACKed data.
    if (this.recovery === 'sack' && (this.rescueRxt === null || this.sndUnaAbs > this.rescueRxt)) {
      const holes = this.scoreboard.holes(this.sndUnaAbs, this.abs(this.finSent ? this.finSeq : this.sndNxt));
      const last = holes[holes.length - 1];
      if (last) {
        const start = Math.max(last[0], last[1] - smss);
        this.rescueProposed = start;
        this.recoverWhy = 'rescue';
        return this.segmentAt(start, now);
      }
    }
    return null;
  }

  private enterRecovery(now: number): void {
    const smss = this.segmentRoom();
    this.limitedTransmitAllowance = 0;
    // RFC 5681 §3.2 (2): data sent by limited transmit is not part of this FlightSize.
    this.ssthresh = ssthreshAfterLoss(Math.max(0, this.flightSize() - this.limitedTransmitBytes), smss);
    this.recoverAt = this.abs(this.sndNxt);
    if (this.sackRecovery) {
      // RFC 6675 §5 (4): cwnd = ssthresh; the first hole goes now, the rest as pipe allows.
      this.recovery = 'sack';
      this.cwnd = this.ssthresh;
      this.highRxt = this.sndUnaAbs;
      this.rescueRxt = null;
    } else {
      // RFC 5681 §3.2 (2)–(3): cwnd = ssthresh + 3·SMSS, inflated by each further duplicate.
      this.recovery = 'fast';
      this.cwnd = this.ssthresh + 3 * smss;
    }
    this.retransmitWanted = 'fast';
    this.recoverWhy = 'fast';
    this.senderEvent(`${this.dupAcks >= this.dupThresh ? `${this.dupAcks} duplicate ACKs` : 'SACKed data shows a loss'}: fast retransmit`, now);
  }

  /** A duplicate ACK (RFC 5681 §2's, or one with new SACK information, RFC 6675 §2). */
  private onDuplicateAck(now: number): void {
    if (!this.congestionOn || this.cwnd === 0) return;
    if (this.recovery === 'fast') {
      this.cwnd += this.segmentRoom(); // RFC 5681 §3.2 (4)
      return;
    }
    if (this.recovery !== 'none') return; // SACK recovery: pipe tells what may go
    const signalled = this.dupAcks >= this.dupThresh || (this.sackRecovery && this.lost(this.sndUnaAbs));
    // RFC 6582 §3.2 (2) / RFC 6675 §5.1: not again for losses of data sent before the last recovery began.
    const fresh = this.sackRecovery ? this.sndUnaAbs >= this.recoverAt : this.sndUnaAbs > this.recoverAt;
    if (signalled && fresh) this.enterRecovery(now);
    else if (this.dupAcks < this.dupThresh) this.limitedTransmitAllowance = 1; // RFC 3042: duplicates 1 and 2
  }

  /** A cumulative ACK of `acked` new bytes (SND.UNA already moved). */
  private onNewAck(acked: number, now: number): void {
    if (!this.congestionOn || this.cwnd === 0) return;
    const smss = this.segmentRoom();
    const done = this.sndUnaAbs >= this.recoverAt;
    switch (this.recovery) {
      case 'fast':
        if (done) {
          // RFC 6582 §3.2 (3), full ACK: cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS).
          this.cwnd = Math.min(this.ssthresh, Math.max(this.flightSize(), smss) + smss);
          this.recovery = 'none';
          this.senderEvent('full ACK: recovery over', now);
        } else {
          // Partial ACK: the next hole goes now; cwnd deflated by what was acknowledged, plus SMSS back when that was at least SMSS.
          this.retransmitWanted = 'partial-ack';
          this.recoverWhy = 'partial-ack';
          this.cwnd = Math.max(smss, this.cwnd - acked + (acked >= smss ? smss : 0));
        }
        return;
      case 'sack':
        if (done) {
          this.cwnd = this.ssthresh;
          this.recovery = 'none';
          this.senderEvent('recovery point acknowledged: recovery over', now);
        }
        return;
      case 'timeout':
        this.cwnd = cwndAfterAck(this.cwnd, this.ssthresh, acked, smss);
        if (done) {
          this.recovery = 'none';
          this.senderEvent('data outstanding at the timeout acknowledged', now);
        }
        return;
      case 'none':
        this.cwnd = cwndAfterAck(this.cwnd, this.ssthresh, acked, smss);
    }
  }

  /**
   * The peer's SACK blocks into the scoreboard; returns the bytes newly SACKed and whether a
   * D-SACK came (RFC 2883): that block is counted as a hint of a spurious retransmission and
   * kept out of the scoreboard, so it never reads as loss information.
   */
  private takeSack(segment: EndpointSegment): { newlySacked: number; dsack: boolean } {
    const option = segment.options.find((candidate) => candidate.kind === 'sack');
    if (option?.kind !== 'sack') return { newlySacked: 0, dsack: false };
    const duplicate = dsackBlock(option.blocks, segment.ack);
    if (duplicate) {
      this.dsacks++;
      this.dsackBytes += Math.max(0, seqDiff(duplicate[1], duplicate[0]));
    }
    const highAck = seqGt(segment.ack, this.sndUna) && seqLe(segment.ack, this.sndNxt) ? this.abs(segment.ack) : this.sndUnaAbs;
    const blocks = option.blocks.filter((block) => block !== duplicate).filter(([left, right]) => seqLt(left, right) && seqGt(right, this.sndUna) && seqLe(right, this.sndNxt)).map(([left, right]): [number, number] => [this.abs(left), this.abs(right)]);
    return { newlySacked: this.scoreboard.update(blocks, highAck, this.abs(this.sndNxt)), dsack: duplicate !== null };
  }

  private senderEvent(why: string, now: number): void {
    this.events.push({ type: 'sender', why, at: now, ...this.sender });
  }

  // ------------------------------------------------------------------------- bookkeeping what went out

  /** Records a segment as sent: state, sequence space, timers, pending work. */
  commit(segment: EndpointSegment, reason: SegmentReason, now: number): void {
    this.passedStates = [];
    this.bookkeepSent(segment, reason, now);
    this.observer?.('out', segment, this.state, this.passedStates);
  }

  private bookkeepSent(segment: EndpointSegment, reason: SegmentReason, now: number): void {
    const { flags } = segment;
    const length = segment.payload.length;
    this.stats.segmentsSent++;
    if (reason === 'reply-rst') {
      this.rstReply = null;
      return;
    }
    if (flags & TCP_ACK) {
      this.lastAckSent = segment.ack;
      if (this.irs !== null && seqGe(segment.ack, this.rcvNxt)) {
        this.ackWanted = null;
        this.delayedAckAt = null;
        this.fullSegmentsUnacked = 0;
      }
    }
    if (flags & TCP_RST) {
      this.rstWanted = false;
      this.clearTimers();
      this.closedReason ??= 'we reset the connection';
      if (this.state !== TcpState.CLOSED && this.state !== TcpState.LISTEN) {
        // Simultaneous-open SYN_RECEIVED has no row for sending RST back to LISTEN: it closes.
        if (nextState(this.state, TcpEvent.SEND_RST) === -1) this.setState(TcpState.CLOSED, 'sent RST', now);
        else this.apply(TcpEvent.SEND_RST, 'sent RST', now);
      }
      return;
    }
    const before = this.sndNxt;
    if (flags & TCP_SYN) {
      if (this.ourSynOptions === null || reason !== 'retransmit') this.ourSynOptions = segment.options;
      if (!(flags & TCP_ACK)) {
        this.synWanted = false;
        if (this.state === TcpState.CLOSED || this.state === TcpState.LISTEN) this.apply(TcpEvent.SEND_SYN, 'sent SYN', now);
      } else {
        this.synAckWanted = false;
        this.apply(TcpEvent.SEND_SYN_ACK, 'sent SYN+ACK', now);
        this.negotiate();
      }
    }
    if (flags & TCP_FIN && !this.finSent) {
      this.finSent = true;
      this.finWanted = false;
      this.finSeq = seqAdd(segment.seq, length);
      this.apply(TcpEvent.SEND_FIN, 'sent FIN', now);
    }
    const consumed = length + (flags & TCP_SYN ? 1 : 0) + (flags & TCP_FIN ? 1 : 0);
    const end = seqAdd(segment.seq, consumed);
    if (seqGt(end, this.sndNxt) && reason !== 'keepalive') this.sndNxt = end;
    if (reason === 'keepalive') {
      this.keepaliveWanted = false;
      this.probesUnanswered++;
      this.keepaliveAt = now + (this.options.keepalive?.intervalMs ?? this.options.keepalive?.idleMs ?? 0);
      this.events.push({ type: 'keepalive', probe: this.probesUnanswered, at: now });
    }
    // A window probe's byte is then the retransmission timer's to repeat.
    if (reason === 'window-probe') this.persistWanted = false;
    if (consumed > 0 && reason !== 'keepalive') {
      this.stats.bytesSent += length;
      const isRetransmission = reason === 'retransmit' || seqLe(end, before);
      if (length > 0) this.lastDataSentAt = now;
      if (!isRetransmission && length > 0 && this.congestionOn && this.limitedTransmitAllowance > 0 && this.recovery === 'none' && seqDiff(before, this.sndUna) + length > this.cwnd) {
        this.limitedTransmitAllowance--;
        this.limitedTransmitBytes += length;
      }
      if (isRetransmission) {
        this.stats.retransmissions++;
        this.stats.bytesRetransmitted += length;
        if (this.recovery === 'sack' || this.recovery === 'timeout') {
          const start = this.abs(segment.seq);
          const endAbs = start + consumed;
          // RFC 6675: HighRxt follows retransmissions, except the rescue's; the first one also sets RescueRxt.
          if (this.rescueProposed === start && this.recoverWhy === 'rescue') this.rescueRxt = this.recoverAt;
          else {
            if (this.recoverWhy === 'fast' && this.recovery === 'sack') this.rescueRxt = endAbs;
            this.highRxt = Math.max(this.highRxt, endAbs);
          }
          this.rescueProposed = null;
        }
        this.retransmitWanted = null;
        this.timing = null; // Karn: no sample from a segment sent twice
        this.events.push({ type: 'retransmit', seq: this.relativeSent(segment.seq), length, why: this.recoverWhy ?? 'timeout', rto: this.rtt.rto, at: now });
        this.recoverWhy = null;
        if (this.options.retransmit) this.rtoAt = now + this.rtt.rto; // §5.6
      } else {
        this.timing ??= { end, at: now };
        if (this.options.retransmit && this.rtoAt === null) this.rtoAt = now + this.rtt.rto; // §5.1
      }
    }
    this.armKeepalive(now);
  }

  private recoverWhy: RetransmitWhy | null = null;

  /** Stops every timer and pending send; `keepAck` keeps an owed ACK (entering TIME_WAIT on the peer's FIN). */
  private clearTimers(keepAck = false): void {
    this.rtoAt = null;
    this.delayedAckAt = null;
    this.keepaliveAt = null;
    this.persistAt = null;
    this.timeWaitAt = null;
    this.synWanted = false;
    this.synAckWanted = false;
    this.finWanted = false;
    if (!keepAck) this.ackWanted = null;
    this.retransmitWanted = null;
    this.keepaliveWanted = false;
    this.persistWanted = false;
  }

  private armKeepalive(now: number): void {
    const keepalive = this.options.keepalive;
    if (!keepalive || !this.synchronized || this.state === TcpState.TIME_WAIT) return;
    // Linux probes only an idle connection: nothing in flight, nothing waiting.
    if (this.probesUnanswered === 0 && this.sndUna === this.sndNxt && this.unsent === 0) this.keepaliveAt = this.lastHeardAt + keepalive.idleMs;
    else if (this.probesUnanswered === 0) this.keepaliveAt = null;
  }

  private setState(to: TcpState, why: string, now: number): void {
    if (to === this.state) return;
    const from = this.state;
    this.state = to;
    this.passedStates.push(to);
    this.events.push({ type: 'state', from: TCP_STATE_NAMES[from], to: TCP_STATE_NAMES[to], why, at: now });
    if (to === TcpState.TIME_WAIT) {
      this.clearTimers(true);
      this.timeWaitAt = now + (this.options.timeWaitMs ?? 60_000);
    }
    if (to === TcpState.CLOSED) {
      this.clearTimers();
      this.closedReason ??= why;
    }
    if (to === TcpState.ESTABLISHED && this.synTimedOut && this.rtt.srtt === null) this.rtt.reinitialize(SYN_DATA_RTO_MS); // RFC 6298 §5.7
    if (to === TcpState.ESTABLISHED && this.congestionOn && this.cwnd === 0) {
      // RFC 6928 §2: one segment when the SYN or SYN+ACK had to be sent again.
      this.cwnd = this.synTimedOut ? this.segmentRoom() : initialWindow(this.segmentRoom(), this.options.congestion?.initialWindow);
      this.recoverAt = 0; // RFC 6582 §3.2: recover starts at the ISN
    }
  }

  private apply(event: TcpEvent, why: string, now: number): void {
    const to = nextState(this.state, event);
    if (to !== -1) this.setState(to, why, now);
  }

  /** What both SYNs offered decides the options for the rest of the connection. */
  private negotiate(): void {
    const ours = this.ourSynOptions ?? [];
    const peers = this.peerSynOptions ?? [];
    this.tsOn = hasOption(ours, 'timestamp') && hasOption(peers, 'timestamp');
    this.sackOn = hasOption(ours, 'sack_perm') && hasOption(peers, 'sack_perm');
    const ourWs = ours.find((option) => option.kind === 'wscale');
    const peerWs = peers.find((option) => option.kind === 'wscale');
    if (ourWs?.kind === 'wscale' && peerWs?.kind === 'wscale') {
      // RFC 7323 §2.3: a shift above 14 is used as 14.
      this.recvShift = Math.min(14, ourWs.shift);
      this.sendShift = Math.min(14, peerWs.shift);
    } else {
      this.recvShift = 0;
      this.sendShift = 0;
    }
    const mss = peers.find((option) => option.kind === 'mss');
    if (mss?.kind === 'mss' && mss.value > 0) this.peerMss = mss.value;
  }

  // ------------------------------------------------------------------------- arrival (RFC 9293 §3.10.7)

  /** A segment from the peer. Replies are collected by the next poll(). */
  receive(segment: EndpointSegment, now: number): void {
    this.stats.segmentsReceived++;
    this.clock = now;
    this.passedStates = [];
    this.dispatch(segment, now);
    this.armKeepalive(now);
    this.observer?.('in', segment, this.state, this.passedStates);
  }

  private dispatch(segment: EndpointSegment, now: number): void {
    switch (this.state) {
      case TcpState.CLOSED:
        this.drop('the endpoint is CLOSED', now);
        return;
      case TcpState.LISTEN:
        this.receiveInListen(segment, now);
        return;
      case TcpState.SYN_SENT:
        this.receiveInSynSent(segment, now);
        return;
      default:
        this.receiveSynchronized(segment, now);
    }
  }

  private drop(why: string, now: number): void {
    this.events.push({ type: 'dropped', why, at: now });
  }

  private receiveInListen(segment: EndpointSegment, now: number): void {
    const { flags } = segment;
    if (flags & TCP_RST) return this.drop('RST in LISTEN', now);
    if (flags & TCP_ACK) {
      // §3.10.7.2: <SEQ=SEG.ACK><CTL=RST>
      this.events.push({ type: 'dropped', why: 'ACK in LISTEN: answered with RST', at: now });
      this.rstReply = { seq: segment.ack, ack: 0, flags: TCP_RST, window: 0, urgent: 0, options: [], payload: new Uint8Array(0) };
      return;
    }
    if (!(flags & TCP_SYN)) return this.drop('no SYN in LISTEN', now);
    this.irs = segment.seq;
    this.rcvNxt = seqAdd(segment.seq, 1);
    this.peerSynOptions = segment.options;
    this.takeTimestamp(segment, true);
    this.lastHeardAt = now;
    this.sndWnd = segment.window; // a SYN's window is never scaled
    this.sndWl1 = segment.seq;
    this.sndWl2 = segment.ack;
    this.maxSndWnd = this.sndWnd;
    this.apply(TcpEvent.RECEIVE_SYN, 'received SYN', now);
    this.synAckWanted = true;
  }

  /** An RST owed to a segment that belongs to no connection (§3.10.7.2, .3), sent ahead of everything. */
  private rstReply: EndpointSegment | null = null;

  private receiveInSynSent(segment: EndpointSegment, now: number): void {
    const { flags } = segment;
    let ackAcceptable = false;
    if (flags & TCP_ACK) {
      if (seqLe(segment.ack, this.iss) || seqGt(segment.ack, this.sndNxt)) {
        if (!(flags & TCP_RST)) this.rstReply = { seq: segment.ack, ack: 0, flags: TCP_RST, window: 0, urgent: 0, options: [], payload: new Uint8Array(0) };
        return this.drop('SYN_SENT: the ACK does not acknowledge our SYN', now);
      }
      ackAcceptable = true;
    }
    if (flags & TCP_RST) {
      if (!ackAcceptable) return this.drop('SYN_SENT: RST without an acceptable ACK', now);
      this.events.push({ type: 'reset', why: 'connection refused', at: now });
      this.closedReason = 'connection refused (RST)';
      this.apply(TcpEvent.RECEIVE_RST, 'received RST', now);
      return;
    }
    if (!(flags & TCP_SYN)) return this.drop('SYN_SENT: neither SYN nor RST', now);
    this.irs = segment.seq;
    this.rcvNxt = seqAdd(segment.seq, 1);
    this.peerSynOptions = segment.options;
    this.lastHeardAt = now;
    this.negotiate();
    this.takeTimestamp(segment, true);
    if (ackAcceptable) {
      this.ackAdvance(segment.ack, now);
      this.sndWnd = segment.window; // unscaled in a SYN
      this.sndWl1 = segment.seq;
      this.sndWl2 = segment.ack;
      this.maxSndWnd = this.sndWnd;
      this.apply(TcpEvent.RECEIVE_SYN_ACK, 'received SYN+ACK', now);
      this.ackWanted = 'ack';
      this.armKeepalive(now);
    } else {
      // Simultaneous open (§3.10.7.3): SYN_RECEIVED, answer SYN+ACK with our ISN.
      this.sndWnd = segment.window;
      this.sndWl1 = segment.seq;
      this.maxSndWnd = this.sndWnd;
      this.apply(TcpEvent.RECEIVE_SYN, 'received SYN (simultaneous open)', now);
      this.synAckWanted = true;
    }
  }

  private takeTimestamp(segment: EndpointSegment, syn: boolean): void {
    const ts = segment.options.find((option) => option.kind === 'timestamp');
    // RFC 7323 §4.3: TS.Recent from a segment that covers Last.ACK.sent.
    if (ts?.kind === 'timestamp' && (syn || seqLe(segment.seq, this.lastAckSent))) {
      this.tsRecent = ts.tsval;
      this.tsRecentAt = this.clock;
    }
  }

  /** The time of the arrival being processed (for TS.Recent's age). */
  private clock = 0;

  private receiveSynchronized(segment: EndpointSegment, now: number): void {
    const { flags } = segment;
    const length = segment.payload.length + (flags & TCP_SYN ? 1 : 0) + (flags & TCP_FIN ? 1 : 0);
    // RFC 7323 §5.3 R1 (PAWS), before the sequence check: a TSval older than TS.Recent marks an old
    // duplicate (from a wrapped sequence space or an earlier incarnation): ACKed and dropped. An RST is not checked.
    const ts = this.tsOn && !(flags & TCP_RST) ? segment.options.find((option) => option.kind === 'timestamp') : undefined;
    if (this.tsOn && !(flags & TCP_RST) && !ts) {
      // RFC 7323 §3.2: once negotiated, every segment but an RST carries TSopt; one without is dropped silently (no ACK).
      this.stats.noTimestampDropped++;
      return this.drop('PAWS: no TSopt on a connection that negotiated timestamps (RFC 7323 §3.2): dropped silently', now);
    }
    if (ts?.kind === 'timestamp' && seqLt(ts.tsval, this.tsRecent) && now - this.tsRecentAt <= PAWS_IDLE_MS) {
      this.ackWanted ??= 'ack';
      this.stats.pawsDropped++;
      return this.drop(`PAWS: TSval ${ts.tsval} is older than TS.Recent ${this.tsRecent} (RFC 7323 §5.3): answered with an ACK`, now);
    }
    const rcvWnd = this.rcvWnd();
    // First: is the segment acceptable (§3.10.7.4's table)?
    const inWindow = (seq: number) => seqLe(this.rcvNxt, seq) && seqLt(seq, seqAdd(this.rcvNxt, rcvWnd));
    if (this.state === TcpState.SYN_RECEIVED && flags & TCP_SYN && !(flags & TCP_ACK) && segment.seq === this.irs) {
      // The peer sent its SYN again: our SYN+ACK was lost, so it goes again (as Linux does).
      this.synAckWanted = true;
      return;
    }
    let acceptable: boolean;
    if (length === 0) acceptable = rcvWnd === 0 ? segment.seq === this.rcvNxt : inWindow(segment.seq);
    else acceptable = rcvWnd !== 0 && (inWindow(segment.seq) || inWindow(seqAdd(segment.seq, length - 1)));
    if (!acceptable) {
      // Answered with an ACK and dropped; this is also how a keepalive probe (SEQ = RCV.NXT − 1) is answered.
      if (!(flags & TCP_RST)) this.ackWanted ??= 'ack';
      this.lastHeardAt = now;
      this.probesUnanswered = 0;
      return this.drop(flags & TCP_RST ? 'RST outside the receive window' : 'outside the receive window: answered with an ACK', now);
    }
    this.lastHeardAt = now;
    this.probesUnanswered = 0;
    // Second: RST (RFC 5961 §3.2: only an exact match resets; in window gets a challenge ACK).
    if (flags & TCP_RST) {
      if (segment.seq !== this.rcvNxt) {
        this.ackWanted = 'challenge-ack';
        return this.drop('RST in window but not at RCV.NXT: challenge ACK (RFC 5961)', now);
      }
      this.events.push({ type: 'reset', why: 'the peer reset the connection', at: now });
      this.closedReason = 'reset by the peer';
      if (this.state === TcpState.SYN_RECEIVED && !this.passive) this.setState(TcpState.CLOSED, 'received RST', now);
      else this.apply(TcpEvent.RECEIVE_RST, 'received RST', now);
      this.clearTimers();
      return;
    }
    // Fourth: SYN in a synchronized state gets a challenge ACK (RFC 5961 §4).
    if (flags & TCP_SYN && this.state !== TcpState.SYN_RECEIVED) {
      this.ackWanted = 'challenge-ack';
      return this.drop('SYN on a synchronized connection: challenge ACK (RFC 5961)', now);
    }
    this.takeTimestamp(segment, false);
    // Fifth: ACK.
    if (!(flags & TCP_ACK)) return this.drop('no ACK', now);
    if (this.state === TcpState.SYN_RECEIVED) {
      if (seqLt(this.sndUna, segment.ack) && seqLe(segment.ack, this.sndNxt)) {
        this.ackAdvance(segment.ack, now);
        this.sndWnd = segment.window * 2 ** this.sendShift;
        this.sndWl1 = segment.seq;
        this.sndWl2 = segment.ack;
        this.maxSndWnd = Math.max(this.maxSndWnd, this.sndWnd);
        this.apply(flags & TCP_SYN ? TcpEvent.RECEIVE_SYN_ACK : TcpEvent.RECEIVE_ACK_OF_SYN, flags & TCP_SYN ? 'received SYN+ACK' : 'received ACK of SYN', now);
        this.armKeepalive(now);
      } else {
        this.rstReply = { seq: segment.ack, ack: 0, flags: TCP_RST, window: 0, urgent: 0, options: [], payload: new Uint8Array(0) };
        return this.drop('SYN_RECEIVED: unacceptable ACK, answered with RST', now);
      }
      if (flags & TCP_SYN) return;
    } else if (!this.processAck(segment, now)) {
      return;
    }
    let fin = (flags & TCP_FIN) !== 0;
    if (segment.payload.length === 0 && !fin) return;
    if (!RECEIVING.has(this.state)) {
      // CLOSE_WAIT and later: the peer's FIN is in already; data or a FIN again is only acknowledged.
      this.ackWanted ??= 'ack';
      // In TIME_WAIT a retransmitted FIN also restarts the 2MSL timer (§3.10.7.4, eighth).
      if (this.state === TcpState.TIME_WAIT && fin) this.timeWaitAt = now + (this.options.timeWaitMs ?? 60_000);
      return;
    }
    // Seventh: the text.
    fin = this.takeText(segment, now);
    // Eighth: FIN.
    if (fin) {
      this.rcvNxt = seqAdd(this.rcvNxt, 1);
      this.events.push({ type: 'peer-fin', at: now });
      this.apply(TcpEvent.RECEIVE_FIN, 'received FIN', now);
      this.ackWanted = 'ack';
    }
  }

  /** Returns false when the segment must go no further. */
  private processAck(segment: EndpointSegment, now: number): boolean {
    const ack = segment.ack;
    if (seqGt(ack, this.sndNxt)) {
      // Acknowledges something not yet sent (§3.10.7.4, RFC 5961 §5): send an ACK, drop.
      this.ackWanted ??= 'ack';
      this.drop('acknowledges data not sent yet', now);
      return false;
    }
    const window = segment.window * 2 ** this.sendShift;
    const { newlySacked, dsack } = this.congestionOn && this.sackOn ? this.takeSack(segment) : { newlySacked: 0, dsack: false };
    if (seqGt(ack, this.sndUna)) {
      this.ackAdvance(ack, now);
    } else if (ack === this.sndUna && seqLt(this.sndUna, this.sndNxt) && ((segment.payload.length === 0 && !(segment.flags & (TCP_SYN | TCP_FIN)) && window === this.sndWnd && !dsack) || newlySacked > 0)) {
      // An ACK whose news is only a D-SACK reports a duplicate the peer received, not a loss (RFC 2883 §5).
      // A duplicate ACK (RFC 5681 §2, or RFC 6675 §2's: one that SACKs new data).
      this.dupAcks++;
      this.onDuplicateAck(now);
    }
    // Window update (§3.10.7.4: SND.WL1/WL2 keep old segments from shrinking it).
    if (seqLt(this.sndWl1, segment.seq) || (this.sndWl1 === segment.seq && seqLe(this.sndWl2, ack))) {
      this.sndWnd = window;
      this.sndWl1 = segment.seq;
      this.sndWl2 = ack;
      this.maxSndWnd = Math.max(this.maxSndWnd, window);
      if (window > 0) {
        this.persistAt = null;
        this.persistWanted = false;
      } else if (this.options.retransmit && this.unsent > 0 && this.sndUna === this.sndNxt && this.persistAt === null) {
        this.persistAt = now + this.rtt.rto;
      }
    }
    // Our FIN acknowledged.
    if (this.finSent && seqGe(ack, seqAdd(this.finSeq, 1))) {
      if (this.state === TcpState.FIN_WAIT_1 || this.state === TcpState.CLOSING || this.state === TcpState.LAST_ACK) {
        this.apply(TcpEvent.RECEIVE_ACK_OF_FIN, 'our FIN acknowledged', now);
        if ((this.state as TcpState) === TcpState.CLOSED) this.closedReason ??= 'closed (both FINs acknowledged)';
      }
    }
    return this.state !== TcpState.CLOSED;
  }

  /** SND.UNA moves forward: forget what is acknowledged, take an RTT sample, tend the timer. */
  private ackAdvance(ack: number, now: number): void {
    const acked = seqDiff(ack, this.sndUna);
    this.sndUna = ack;
    this.sndUnaAbs += acked;
    this.scoreboard.advance(this.sndUnaAbs);
    this.dupAcks = 0;
    this.limitedTransmitAllowance = 0;
    if (acked > 0) this.limitedTransmitBytes = 0;
    const dataAcked = Math.min(this.sendQueue.length, Math.max(0, seqDiff(ack, this.queueSeq)));
    if (dataAcked > 0) {
      this.sendQueue.drop(dataAcked);
      this.queueSeq = seqAdd(this.queueSeq, dataAcked);
      this.stats.bytesAcked += dataAcked;
    }
    if (acked > 0) this.retransmits = 0;
    if (this.timing && seqGe(ack, this.timing.end)) {
      const sample = now - this.timing.at;
      this.timing = null;
      this.rtt.sample(sample);
      this.events.push({ type: 'rtt', sample, srtt: this.rtt.srtt ?? sample, rttvar: this.rtt.rttvar ?? 0, rto: this.rtt.rto, at: now });
    }
    if (this.options.retransmit) {
      if (this.sndUna === this.sndNxt) this.rtoAt = null; // §5.2
      else this.rtoAt = now + this.rtt.rto; // §5.3
    }
    if (acked > 0) this.onNewAck(acked, now);
  }

  /** In-order bytes go to the user, later ones are held; returns whether a FIN follows what is now in order. */
  private takeText(segment: EndpointSegment, now: number): boolean {
    let seq = segment.seq;
    let bytes = segment.payload;
    const fin = (segment.flags & TCP_FIN) !== 0;
    // Trim what we already have.
    const old = seqDiff(this.rcvNxt, seq);
    if (old > 0) {
      bytes = bytes.subarray(Math.min(old, bytes.length));
      seq = seqAdd(seq, Math.min(old, segment.payload.length));
    }
    // And what lies beyond the window.
    const room = seqDiff(seqAdd(this.rcvNxt, this.rcvWnd()), seq);
    let finFits = fin;
    if (bytes.length > room) {
      bytes = bytes.subarray(0, Math.max(0, room));
      finFits = false;
    }
    if (seq !== this.rcvNxt) {
      // Out of order: hold it and acknowledge at once (RFC 5681 §4.2), with SACK blocks.
      if (this.reassembly.hold(seq, bytes, finFits)) this.stats.outOfOrderHeld++;
      else this.stats.outOfOrderDropped++;
      this.ackWanted = 'ack';
      return false;
    }
    if (bytes.length > 0) this.deliver(bytes, now);
    const held = this.reassembly.take(this.rcvNxt);
    for (const chunk of held.bytes) this.deliver(chunk, now);
    const filledGap = held.bytes.length > 0;
    if (bytes.length > 0 || filledGap) this.scheduleAck(segment.payload.length, filledGap, now);
    return finFits || held.fin;
  }

  private deliver(bytes: Uint8Array, now: number): void {
    this.rcvNxt = seqAdd(this.rcvNxt, bytes.length);
    this.stats.bytesReceived += bytes.length;
    this.events.push({ type: 'data', bytes: bytes.slice(), at: now });
  }

  private scheduleAck(length: number, filledGap: boolean, now: number): void {
    if (this.ackMode === 'manual') return;
    if (this.ackMode === 'immediate' || filledGap || this.reassembly.size > 0) {
      this.ackWanted = 'ack';
      return;
    }
    // Delayed ACK (RFC 9293 §3.8.6.3, RFC 5681 §4.2): every second full-sized segment, or after the delay.
    if (length >= this.segmentRoom()) this.fullSegmentsUnacked++;
    if (this.fullSegmentsUnacked >= 2) this.ackWanted = 'ack';
    else this.delayedAckAt ??= now + (this.options.ackDelayMs ?? DEFAULT_ACK_DELAY_MS);
  }
}
