/**
 * The sender's congestion control when retransmission is on: RFC 5681 (slow start, congestion
 * avoidance, fast retransmit / fast recovery), RFC 6582 NewReno for partial ACKs, RFC 6928's
 * initial window, RFC 5681 §4.1's restart after idle, RFC 3042's limited transmit and RFC 6675's
 * SACK-based loss recovery.
 * This file holds the formulas and the SACK scoreboard; the endpoint (endpoint.ts) runs them.
 *
 * Positions here are absolute stream offsets (bytes since our ISN, not wrapped at 2^32), so the
 * scoreboard's arithmetic is plain.
 */

export type CongestionAlgorithm = 'newreno' | 'none';

export interface CongestionOptions {
  /**
   * 'newreno' (the default): RFC 5681 + RFC 6582, with RFC 6675 SACK recovery when SACK was
   * negotiated. 'none': RFC 6298's timer alone (no window, no fast retransmit).
   */
  algorithm?: CongestionAlgorithm;
  /** RFC 6675 SACK-based recovery when SACK was negotiated (default true); false uses NewReno's. */
  sackRecovery?: boolean;
  /** Initial window in segments (default RFC 6928: min(10·SMSS, max(2·SMSS, 14600)) bytes). */
  initialWindow?: number;
  /** Initial ssthresh in bytes (default: unbounded, RFC 5681 §3.1's "arbitrarily high"). */
  initialSsthresh?: number;
  /** RFC 5681 §4.1: after an idle period longer than RTO, cwnd drops to the restart window (default true). */
  restartAfterIdle?: boolean;
  /** Duplicate ACKs that signal a loss (default 3). */
  dupThresh?: number;
}

/** Where the sender's loss recovery stands. */
export type RecoveryPhase = 'none' | 'fast' | 'sack' | 'timeout';

/** The sender's state as the user sees it. */
export interface SenderState {
  /** null when congestion control is off (retransmission off, or algorithm 'none'). */
  cwnd: number | null;
  ssthresh: number | null;
  /** Bytes sent and not cumulatively acknowledged. */
  flight: number;
  /** RFC 6675's estimate of what is in the network (equals flight outside SACK recovery). */
  pipe: number;
  recovery: RecoveryPhase;
  /** The sender's maximum segment size, in payload bytes. */
  smss: number;
  /**
   * RFC 2883 D-SACK reports: the peer saying it received a range twice. Each one hints that a
   * retransmission was spurious (or the network duplicated a segment); it is never taken as loss.
   */
  dsacks: number;
  /** Bytes those D-SACK reports covered. */
  dsackBytes: number;
}

/**
 * RFC 2883 §4: the first SACK block is a D-SACK when it lies at or below the cumulative ACK, or
 * within the second block (a duplicate of data already SACKed). Sequence numbers are compared
 * modulo 2^32. Returns the D-SACK block, or null.
 */
export function dsackBlock(blocks: ReadonlyArray<readonly [number, number]>, ack: number): readonly [number, number] | null {
  const first = blocks[0];
  if (!first) return null;
  const before = (a: number, b: number) => ((a - b) | 0) <= 0; // a at or before b, modulo 2^32
  if (before(first[1], ack)) return first;
  const second = blocks[1];
  if (second && before(second[0], first[0]) && before(first[1], second[1])) return first;
  return null;
}

/** RFC 6928 §2: min(10·SMSS, max(2·SMSS, 14600)); a user's count of segments replaces it. */
export function initialWindow(smss: number, segments?: number): number {
  if (segments !== undefined) return Math.max(1, segments) * smss;
  return Math.min(10 * smss, Math.max(2 * smss, 14_600));
}

/** RFC 5681 eq. (4): ssthresh = max(FlightSize / 2, 2·SMSS). */
export function ssthreshAfterLoss(flight: number, smss: number): number {
  return Math.max(Math.floor(flight / 2), 2 * smss);
}

/** RFC 5681 §3.1: slow start (eq. 2) below ssthresh, congestion avoidance (eq. 3) at or above it. */
export function cwndAfterAck(cwnd: number, ssthresh: number, acked: number, smss: number): number {
  if (cwnd < ssthresh) return cwnd + Math.min(acked, smss);
  return cwnd + Math.max(1, Math.floor((smss * smss) / cwnd));
}

/** Ranges the scoreboard keeps: a peer SACKing every other byte cannot make it grow without bound. */
export const SCOREBOARD_LIMIT = 512;

/** The SACKed ranges above the cumulative ACK (RFC 6675 §3's scoreboard), at most SCOREBOARD_LIMIT. */
export class SackScoreboard {
  /** [start, end) absolute offsets, sorted, disjoint, all above the cumulative ACK. */
  private ranges: Array<[number, number]> = [];

  get blocks(): ReadonlyArray<readonly [number, number]> {
    return this.ranges;
  }

  /** The end of the highest SACKed byte (exclusive), or null. */
  get highestSacked(): number | null {
    return this.ranges.length > 0 ? this.ranges[this.ranges.length - 1][1] : null;
  }

  clear(): void {
    this.ranges = [];
  }

  /**
   * Takes an ACK's SACK blocks; blocks at or below `highAck` (D-SACK) or beyond `highData` are
   * ignored. Returns the bytes newly SACKed.
   */
  update(blocks: ReadonlyArray<readonly [number, number]>, highAck: number, highData: number): number {
    this.advance(highAck);
    const before = this.total();
    for (const [rawStart, rawEnd] of blocks) {
      const start = Math.max(rawStart, highAck);
      const end = Math.min(rawEnd, highData);
      if (end <= start || rawEnd > highData) continue;
      this.ranges.push([start, end]);
    }
    this.ranges.sort((a, b) => a[0] - b[0]);
    const merged: Array<[number, number]> = [];
    for (const range of this.ranges) {
      const last = merged[merged.length - 1];
      if (last && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
      else merged.push([range[0], range[1]]);
    }
    // Beyond the limit the highest ranges are forgotten: their data then counts as not SACKed,
    // which only makes the sender more conservative (RFC 2018 §8 lets it drop SACK information).
    this.ranges = merged.length > SCOREBOARD_LIMIT ? merged.slice(0, SCOREBOARD_LIMIT) : merged;
    return Math.max(0, this.total() - before);
  }

  /** The cumulative ACK moved to `highAck`: what it covers leaves the scoreboard. */
  advance(highAck: number): void {
    while (this.ranges.length > 0 && this.ranges[0][1] <= highAck) this.ranges.shift();
    if (this.ranges.length > 0 && this.ranges[0][0] < highAck) this.ranges[0][0] = highAck;
  }

  private total(): number {
    return this.ranges.reduce((sum, [start, end]) => sum + end - start, 0);
  }

  isSacked(offset: number): boolean {
    return this.ranges.some(([start, end]) => start <= offset && offset < end);
  }

  /** The start of the first SACKed range beginning after `offset` (where a retransmission must stop), or null. */
  nextSackedStart(offset: number): number | null {
    for (const [start] of this.ranges) if (start > offset) return start;
    return null;
  }

  /** The first offset at or after `offset` not SACKed. */
  firstUnsacked(offset: number): number {
    let at = offset;
    for (const [start, end] of this.ranges) if (start <= at && at < end) at = end;
    return at;
  }

  /**
   * RFC 6675 IsLost(SeqNum): DupThresh discontiguous SACKed ranges above it, or more than
   * (DupThresh − 1)·SMSS bytes SACKed above it.
   */
  isLost(offset: number, dupThresh: number, smss: number): boolean {
    let bytes = 0;
    let ranges = 0;
    for (const [start, end] of this.ranges) {
      if (end <= offset + 1) continue;
      ranges++;
      bytes += end - Math.max(start, offset + 1);
    }
    return ranges >= dupThresh || bytes > (dupThresh - 1) * smss;
  }

  /** The unSACKed holes in [from, to). */
  holes(from: number, to: number): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    let at = from;
    for (const [start, end] of this.ranges) {
      if (end <= at) continue;
      if (start >= to) break;
      if (start > at) out.push([at, Math.min(start, to)]);
      at = Math.max(at, end);
    }
    if (at < to) out.push([at, to]);
    return out;
  }
}

/** How the sender judges loss for SetPipe (RFC 6675 §4's IsLost, and after a timeout everything below the recovery point). */
export interface LossRule {
  dupThresh: number;
  smss: number;
  /** Whether SACK information marks data lost (SACK recovery in use). */
  sack: boolean;
  /** Everything unSACKed below this offset is lost (after a retransmission timeout), or null. */
  lostBelow: number | null;
}

/**
 * RFC 6675 SetPipe(): for each unSACKed octet between HighACK and HighData, one if it is not
 * lost and one more if it was retransmitted (below HighRxt). IsLost is the same for every octet
 * of a hole (no SACKed byte lies inside one), so each hole is judged once, walking down from the
 * highest with running totals: linear in the scoreboard's size, whatever the amount in flight.
 */
export function setPipe(board: SackScoreboard, highAck: number, highData: number, highRxt: number, rule: LossRule): number {
  const holes = board.holes(highAck, highData);
  const ranges = board.blocks;
  let above = ranges.length - 1;
  let bytes = 0;
  let count = 0;
  let pipe = 0;
  for (let h = holes.length - 1; h >= 0; h--) {
    const [start, end] = holes[h];
    for (; above >= 0 && ranges[above][0] >= end; above--) {
      bytes += ranges[above][1] - ranges[above][0];
      count++;
    }
    const sackLost = rule.sack && (count >= rule.dupThresh || bytes > (rule.dupThresh - 1) * rule.smss);
    const lostEnd = sackLost ? end : Math.min(end, Math.max(start, rule.lostBelow ?? start));
    pipe += end - lostEnd;
    pipe += Math.max(0, Math.min(end, highRxt) - start);
  }
  return pipe;
}
