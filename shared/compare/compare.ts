/**
 * One connection seen from two capture points, A and B: pair each TCP segment seen at A with the
 * same segment seen at B, estimate B's clock offset, then report per connection the one-way delays,
 * the segments lost between the points, segments one point saw that the other side never sent
 * (injected), and fields a middlebox rewrote on the way (TTL, window, MSS, options, addresses).
 *
 * Pairing keys are what a middlebox normally leaves alone (sequence and acknowledgment numbers,
 * length, SYN/FIN/RST); TSval and IP ID break ties between retransmissions and duplicate ACKs.
 * Connections are paired by those keys too, so NAT (other addresses or ports at B) is handled and
 * reported as a translation. Sequence-number randomising middleboxes are not handled.
 */
import { CapturePoint, type PointConnection } from './capture-point';
import { TCP_FIN, TCP_RST, TCP_SYN } from '../wire/summary';
import { KeyTable } from './key-table';

export type PointName = 'A' | 'B';
export type Direction = 'a_to_b' | 'b_to_a';

export interface CompareOptions {
  /** B's clock minus A's, when known (both points on one host: 0). Estimated otherwise. */
  clockOffset?: number;
}

export interface DelayStats {
  min: number;
  median: number;
  p99: number;
  count: number;
}

export interface LostSegment {
  direction: Direction;
  /** Frame number at the point where it was seen. */
  frame: number;
  seen_at: PointName;
  /** Relative to the sender's ISN (or its first sequence number seen), as Wireshark shows it. */
  seq: number;
  seq_raw: number;
  len: number;
  flags: string;
}

export interface InjectedSegment {
  seen_at: PointName;
  frame: number;
  direction: Direction;
  flags: string;
  seq_raw: number;
  len: number;
}

export interface Rewrite {
  field: string;
  a: number | string | boolean;
  b: number | string | boolean;
  /** Frame numbers at A (at most 100 are listed; `count` has them all). */
  frames: number[];
  count: number;
}

export interface TwoPointStep {
  direction: Direction;
  flags: string;
  seq: number;
  len: number;
  /** Frame number and time (seconds since A's first frame, on A's clock) at each point; null where not seen. */
  a: { frame: number; time: number } | null;
  b: { frame: number; time: number } | null;
  /** One-way delay after the clock offset, or null when seen at one point only. */
  delay: number | null;
}

export interface ConnectionComparison {
  type: 'comparison';
  /** As seen at A. */
  client: string;
  server: string;
  /** The endpoint on A's side of the network ("client" or "server"), and how that was decided. */
  a_side: 'client' | 'server';
  clock_offset: number | null;
  clock_offset_uncertainty: number | null;
  delay: { a_to_b: DelayStats | null; b_to_a: DelayStats | null };
  lost: LostSegment[];
  rewrites: Rewrite[];
  injected: InjectedSegment[];
  /** Present when B saw other addresses or ports (NAT on the way). */
  translation?: { a: { client: string; server: string }; b: { client: string; server: string } };
  frames: { a: number; b: number; paired: number };
}

export interface ComparisonSummary {
  type: 'summary';
  connections: { paired: number; only_at_a: number; only_at_b: number };
  frames: { a: number; b: number; paired: number };
  clock_offset: number | null;
  clock_offset_uncertainty: number | null;
  /** How the offset was obtained. */
  clock_offset_source: 'given' | 'estimated' | 'unknown';
  lost: number;
  injected: number;
  rewritten_fields: string[];
}

export interface ComparisonResult {
  /** Empty when a visitor took them one by one. */
  connections: ConnectionComparison[];
  summary: ComparisonSummary;
  /** The i-th connection's segments in order, for its two-point ladder (built on demand). */
  steps(index: number): TwoPointStep[];
}

interface PairedConnection {
  a: PointConnection;
  b: PointConnection;
  /** B's endpoint order is reversed relative to A's. */
  flipped: boolean;
  /** A's endpoint (0 client, 1 server) whose segments travel from A to B; decided after pairing. */
  aSide: 0 | 1 | -1;
}

const SIGNATURE_FLAGS = TCP_SYN | TCP_FIN | TCP_RST;
/** Seconds a capture is taken to have run past its last frame. */
const END_GRACE = 1;
/** Connections up to this many segments are paired on all of them; larger ones on a sample. */
const CONNECTION_SAMPLE = 64;

function sameSegment(a: CapturePoint, i: number, b: CapturePoint, j: number): boolean {
  return a.seq[i] === b.seq[j] && a.ack[i] === b.ack[j] && a.length[i] === b.length[j] && (a.flags[i] & SIGNATURE_FLAGS) === (b.flags[j] & SIGNATURE_FLAGS);
}

/**
 * Compares two capture points. With `visit`, each connection is handed to it as it is made and
 * `connections` stays empty; otherwise they are collected there.
 */
export function compareCapturePoints(
  a: CapturePoint,
  b: CapturePoint,
  options: CompareOptions = {},
  visit?: (comparison: ConnectionComparison, steps: () => TwoPointStep[]) => void,
): ComparisonResult {
  const pairs = pairConnections(a, b);
  const pairOfA = new Int32Array(a.count).fill(-1);
  const pairOfB = new Int32Array(b.count).fill(-1);
  for (const pair of pairs) pairFrames(a, b, pair, pairOfA, pairOfB);
  decideSides(a, b, pairs, pairOfA);

  let offset: number | null = null;
  let uncertainty: number | null = null;
  let source: ComparisonSummary['clock_offset_source'] = 'unknown';
  if (options.clockOffset !== undefined) {
    offset = options.clockOffset;
    uncertainty = 0;
    source = 'given';
  } else {
    const estimate = estimateClockOffset(a, b, pairs, pairOfA);
    if (estimate !== null) {
      [offset, uncertainty] = estimate;
      source = 'estimated';
    }
  }

  const base = a.count > 0 ? a.startTime : b.count > 0 ? b.startTime : 0;
  const connections: ConnectionComparison[] = [];
  const optionsAtA = sameOptionLists(a, b);
  const rewritten = new Set<string>();
  let lost = 0;
  let injected = 0;
  for (const [index, pair] of pairs.entries()) {
    const comparison = compareConnection(a, b, pair, pairOfA, pairOfB, offset, uncertainty, optionsAtA);
    for (const r of comparison.rewrites) rewritten.add(r.field);
    lost += comparison.lost.length;
    injected += comparison.injected.length;
    // A visitor takes each connection as it is made: a million-frame pair is never held whole.
    if (visit) visit(comparison, () => twoPointSteps(a, b, pair, pairOfA, pairOfB, offset ?? 0, base));
    else connections.push(comparison);
  }
  let pairedFrames = 0;
  for (let i = 0; i < a.count; i++) if (pairOfA[i] >= 0) pairedFrames++;
  return {
    connections,
    steps: (index) => twoPointSteps(a, b, pairs[index], pairOfA, pairOfB, offset ?? 0, base),
    summary: {
      type: 'summary',
      connections: { paired: pairs.length, only_at_a: a.connections.length - pairs.length, only_at_b: b.connections.length - pairs.length },
      frames: { a: a.count, b: b.count, paired: pairedFrames },
      clock_offset: offset,
      clock_offset_uncertainty: uncertainty,
      clock_offset_source: source,
      lost,
      injected,
      rewritten_fields: [...rewritten].sort(),
    },
  };
}

/**
 * Whether a segment takes part in pairing connections: every segment of a small connection, and a
 * fixed eighth of a large one's, chosen by content so both points choose the same segments.
 */
function sampled(point: CapturePoint, i: number, connectionSize: number): boolean {
  return connectionSize <= CONNECTION_SAMPLE || Math.imul(point.seq[i] ^ point.ack[i], 0x9e3779b1) >>> 29 === 0;
}

/** Each connection at A paired with the connection at B that shares most of its sampled segments. */
function pairConnections(a: CapturePoint, b: CapturePoint): PairedConnection[] {
  const firstAtB = new KeyTable(b.count);
  for (const connection of b.connections) {
    const size = connection.end - connection.first;
    for (let j = connection.first; j < connection.end; j++) {
      if (sampled(b, j, size)) firstAtB.slot(b.seq[j], b.ack[j], 0, j);
    }
  }
  const candidates: { a: number; b: number; votes: number; flipped: boolean }[] = [];
  // One connection's votes: B connection, same-direction and flipped counts (a handful at most).
  let voted: number[] = [];
  for (const connection of a.connections) {
    voted = [];
    const size = connection.end - connection.first;
    for (let i = connection.first; i < connection.end; i++) {
      // Look up every segment unless the connection is large here too: one that is small at A may
      // be large at B (B captured longer), where only the sampled eighth is indexed.
      if (!sampled(a, i, size) && size > CONNECTION_SAMPLE * 8) continue;
      const slot = firstAtB.find(a.seq[i], a.ack[i], 0);
      if (slot < 0) continue;
      const j = firstAtB.value(slot);
      if (!sameSegment(a, i, b, j)) continue;
      const bIndex = b.connection[j];
      let at = 0;
      while (at < voted.length && voted[at] !== bIndex) at += 3;
      if (at === voted.length) voted.push(bIndex, 0, 0);
      voted[at + (a.direction[i] === b.direction[j] ? 1 : 2)]++;
    }
    for (let at = 0; at < voted.length; at += 3) {
      candidates.push({ a: connection.index, b: voted[at], votes: voted[at + 1] + voted[at + 2], flipped: voted[at + 2] > voted[at + 1] });
    }
  }
  candidates.sort((x, y) => y.votes - x.votes || x.a - y.a);
  const takenA = new Uint8Array(a.connections.length);
  const takenB = new Uint8Array(b.connections.length);
  const pairs: PairedConnection[] = [];
  for (const c of candidates) {
    if (takenA[c.a] === 1 || takenB[c.b] === 1) continue;
    takenA[c.a] = 1;
    takenB[c.b] = 1;
    pairs.push({ a: a.connections[c.a], b: b.connections[c.b], flipped: c.flipped, aSide: -1 });
  }
  return pairs.sort((x, y) => x.a.index - y.a.index);
}

/** Connections whose segment counts multiply to at most this are paired by scanning B's segments. */
const SCAN_LIMIT = 4096;

/**
 * Pairs the segments of one connection. Candidates at B share seq, ack and direction, taken in
 * capture order. A first pass pairs only exact copies (same TSval and IP ID where both carry
 * them), so a retransmission pairs with its own copy rather than with the lost original; a
 * second pass pairs what is left in order (a middlebox that rewrites TSval or IP ID).
 *
 * Most connections are small: their candidates are found by scanning B's few segments, which
 * touches memory only near them. A large one gets a table of its B segments by (seq, ack), with
 * each key's later segments chained on from the earliest.
 */
function pairFrames(a: CapturePoint, b: CapturePoint, pair: PairedConnection, pairOfA: Int32Array, pairOfB: Int32Array): void {
  const { first: aFirst, end: aEnd } = pair.a;
  const { first: bFirst, end: bEnd } = pair.b;
  const flipped = pair.flipped ? 1 : 0;
  if ((aEnd - aFirst) * (bEnd - bFirst) <= SCAN_LIMIT) {
    for (let pass = 0; pass < 2; pass++) {
      const exactOnly = pass === 0;
      for (let i = aFirst; i < aEnd; i++) {
        if (pairOfA[i] >= 0) continue;
        const seq = a.seq[i];
        const ack = a.ack[i];
        for (let j = bFirst; j < bEnd; j++) {
          if (b.seq[j] !== seq || b.ack[j] !== ack || !segmentMatches(a, i, b, j, flipped, pairOfB, exactOnly)) continue;
          pairOfA[i] = j;
          pairOfB[j] = i;
          break;
        }
      }
    }
    return;
  }
  // Chains of B's segments, built back to front so each (seq, ack)'s head is its earliest.
  const heads = new KeyTable(bEnd - bFirst);
  const next = new Int32Array(bEnd - bFirst);
  for (let j = bEnd - 1; j >= bFirst; j--) {
    const slot = heads.slot(b.seq[j], b.ack[j], 0, -1);
    next[j - bFirst] = heads.value(slot);
    heads.setValue(slot, j);
  }
  for (let pass = 0; pass < 2; pass++) {
    const exactOnly = pass === 0;
    for (let i = aFirst; i < aEnd; i++) {
      if (pairOfA[i] >= 0) continue;
      const slot = heads.find(a.seq[i], a.ack[i], 0);
      if (slot < 0) continue;
      let head = heads.value(slot);
      // Used candidates at the front are dropped, so long runs of one key (duplicate ACKs) stay cheap.
      while (head !== -1 && pairOfB[head] >= 0) head = next[head - bFirst];
      heads.setValue(slot, head);
      for (let j = head; j !== -1; j = next[j - bFirst]) {
        if (!segmentMatches(a, i, b, j, flipped, pairOfB, exactOnly)) continue;
        pairOfA[i] = j;
        pairOfB[j] = i;
        break;
      }
    }
  }
}

/**
 * Whether B's segment j can pair with A's i: not yet paired, the same segment, the same direction,
 * and in the exact pass the same TSval and IP ID where both carry them.
 */
function segmentMatches(a: CapturePoint, i: number, b: CapturePoint, j: number, flipped: number, pairOfB: Int32Array, exactOnly: boolean): boolean {
  if (pairOfB[j] >= 0 || !sameSegment(a, i, b, j) || (b.direction[j] ^ flipped) !== a.direction[i]) return false;
  return !exactOnly || ((a.tsval[i] < 0 || b.tsval[j] < 0 || a.tsval[i] === b.tsval[j]) && (a.ipId[i] < 0 || b.ipId[j] < 0 || a.ipId[i] === b.ipId[j]));
}

function median(sorted: Float64Array): number {
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/**
 * Which endpoint sits on A's side. Segments from that side reach B after leaving A, so their
 * tB − tA is larger than that of segments travelling the other way, whatever the clock offset.
 * With pairs in one direction only, the TTL decides (it drops on the way); otherwise the majority
 * of the other connections, and finally the client.
 */
function decideSides(a: CapturePoint, b: CapturePoint, pairs: PairedConnection[], pairOfA: Int32Array): void {
  let clientAtA = 0;
  let serverAtA = 0;
  // Scratch for each direction's tB − tA, reused across connections (no arrays per connection).
  let scratch = [new Float64Array(1024), new Float64Array(1024)];
  for (const pair of pairs) {
    const size = pair.a.end - pair.a.first;
    if (size > scratch[0].length) scratch = [new Float64Array(size), new Float64Array(size)];
    const counts = [0, 0];
    const ttlDrop = [0, 0];
    for (let i = pair.a.first; i < pair.a.end; i++) {
      const j = pairOfA[i];
      if (j < 0) continue;
      const d = a.direction[i];
      scratch[d][counts[d]++] = b.time[j] - a.time[i];
      ttlDrop[d] += a.ttl[i] - b.ttl[j];
    }
    if (counts[0] > 0 && counts[1] > 0) {
      const m0 = median(scratch[0].subarray(0, counts[0]).sort());
      const m1 = median(scratch[1].subarray(0, counts[1]).sort());
      pair.aSide = m0 >= m1 ? 0 : 1;
    } else {
      const d = counts[0] > 0 ? 0 : counts[1] > 0 ? 1 : -1;
      if (d >= 0 && ttlDrop[d] !== 0) pair.aSide = (ttlDrop[d] > 0 ? d : 1 - d) as 0 | 1;
    }
    if (pair.aSide === 0) clientAtA++;
    else if (pair.aSide === 1) serverAtA++;
  }
  for (const pair of pairs) if (pair.aSide === -1) pair.aSide = serverAtA > clientAtA ? 1 : 0;
}

/**
 * B's clock minus A's. A segment from A to B gives tB − tA = offset + delay ≥ offset, one from B
 * to A gives tB − tA = offset − delay ≤ offset: the offset lies between the largest B→A difference
 * and the smallest A→B difference. The estimate is the middle of that interval (exact when the
 * fastest trips each way took equally long) and the uncertainty its half width.
 */
function estimateClockOffset(a: CapturePoint, b: CapturePoint, pairs: PairedConnection[], pairOfA: Int32Array): [number, number] | null {
  let upper = Infinity;
  let lower = -Infinity;
  for (const pair of pairs) {
    for (let i = pair.a.first; i < pair.a.end; i++) {
      const j = pairOfA[i];
      if (j < 0) continue;
      const delta = b.time[j] - a.time[i];
      if (a.direction[i] === pair.aSide) upper = Math.min(upper, delta);
      else lower = Math.max(lower, delta);
    }
  }
  if (!Number.isFinite(upper) || !Number.isFinite(lower)) return null;
  return [(upper + lower) / 2, Math.abs(upper - lower) / 2];
}

export function flagText(flags: number): string {
  let text = '';
  if (flags & TCP_SYN) text += 'S';
  if (flags & TCP_FIN) text += 'F';
  if (flags & TCP_RST) text += 'R';
  if (flags & 0x008) text += 'P';
  if (flags & 0x010) text += '.';
  return text === '' ? '-' : text;
}

function delayStats(values: number[]): DelayStats | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const round = (s: number): number => Math.round(s * 1e9) / 1e9;
  return {
    min: round(sorted[0]),
    median: round(median(sorted)),
    p99: round(sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)]),
    count: sorted.length,
  };
}

class RewriteCollector {
  private readonly byKey = new Map<string, Rewrite>();

  note(field: string, a: number | string | boolean, b: number | string | boolean, frame: number): void {
    if (a === b) return;
    const key = `${field}\u0000${String(a)}\u0000${String(b)}`;
    let rewrite = this.byKey.get(key);
    if (rewrite === undefined) {
      rewrite = { field, a, b, frames: [], count: 0 };
      this.byKey.set(key, rewrite);
    }
    rewrite.count++;
    if (rewrite.frames.length < 100) rewrite.frames.push(frame);
  }

  list(): Rewrite[] {
    return [...this.byKey.values()].sort((x, y) => x.field.localeCompare(y.field) || y.count - x.count);
  }
}

/** For each of B's option lists, the id of the same list at A (-1 if A never saw it). */
function sameOptionLists(a: CapturePoint, b: CapturePoint): Int32Array {
  const atA = new Map(a.optionLists.map((text, id) => [text, id]));
  return Int32Array.from(b.optionLists, (text) => atA.get(text) ?? -1);
}

function noteRewrites(a: CapturePoint, i: number, b: CapturePoint, j: number, out: RewriteCollector, optionsAtA: Int32Array): void {
  // Nearly every pair is unchanged: one pass over the raw columns, and the notes below only when something differs.
  if (
    a.ttl[i] === b.ttl[j] &&
    a.ipId[i] === b.ipId[j] &&
    a.dsfield[i] === b.dsfield[j] &&
    a.window[i] === b.window[j] &&
    a.mss[i] === b.mss[j] &&
    a.windowScale[i] === b.windowScale[j] &&
    a.sackPermitted[i] === b.sackPermitted[j] &&
    a.tsval[i] === b.tsval[j] &&
    a.checksum[i] === b.checksum[j] &&
    optionsAtA[b.options[j]] === a.options[i]
  ) {
    return;
  }
  const frame = a.frameNumber[i];
  const ipv4 = a.ipId[i] >= 0;
  out.note(ipv4 ? 'ip.ttl' : 'ipv6.hlim', a.ttl[i], b.ttl[j], frame);
  if (ipv4 && b.ipId[j] >= 0) out.note('ip.id', a.ipId[i], b.ipId[j], frame);
  out.note(ipv4 ? 'ip.dsfield' : 'ipv6.tclass', a.dsfield[i], b.dsfield[j], frame);
  out.note('tcp.window_size_value', a.window[i], b.window[j], frame);
  if (a.mss[i] >= 0 || b.mss[j] >= 0) out.note('tcp.options.mss_val', a.mss[i] >= 0 ? a.mss[i] : 'absent', b.mss[j] >= 0 ? b.mss[j] : 'absent', frame);
  if (a.windowScale[i] >= 0 || b.windowScale[j] >= 0)
    out.note('tcp.options.wscale.shift', a.windowScale[i] >= 0 ? a.windowScale[i] : 'absent', b.windowScale[j] >= 0 ? b.windowScale[j] : 'absent', frame);
  out.note('tcp.options.sack_perm', a.sackPermitted[i] === 1, b.sackPermitted[j] === 1, frame);
  if (a.tsval[i] >= 0 && b.tsval[j] >= 0) out.note('tcp.options.timestamp.tsval', a.tsval[i], b.tsval[j], frame);
  out.note('tcp.options.kinds', a.optionLists[a.options[i]], b.optionLists[b.options[j]], frame);
  out.note('tcp.checksum.status', a.checksumStatus(i), b.checksumStatus(j), frame);
}

function compareConnection(
  a: CapturePoint,
  b: CapturePoint,
  pair: PairedConnection,
  pairOfA: Int32Array,
  pairOfB: Int32Array,
  offset: number | null,
  uncertainty: number | null,
  optionsAtA: Int32Array,
): ConnectionComparison {
  const aSide = pair.aSide === -1 ? 0 : pair.aSide;
  const directionOf = (aDirection: number): Direction => (aDirection === aSide ? 'a_to_b' : 'b_to_a');
  const bToA = (bDirection: number): number => (pair.flipped ? 1 - bDirection : bDirection);
  const knownOffset = offset ?? 0;
  const delays: Record<Direction, number[]> = { a_to_b: [], b_to_a: [] };
  const rewrites = new RewriteCollector();
  const seqBase = sequenceBases(a, pair);
  const relative = (raw: number, sender: number): number => relativeSeq(raw, seqBase[sender]);
  let pairedCount = 0;
  for (let i = pair.a.first; i < pair.a.end; i++) {
    const j = pairOfA[i];
    if (j < 0) continue;
    pairedCount++;
    const direction = directionOf(a.direction[i]);
    delays[direction].push(direction === 'a_to_b' ? b.time[j] - a.time[i] - knownOffset : a.time[i] - (b.time[j] - knownOffset));
    noteRewrites(a, i, b, j, rewrites, optionsAtA);
  }

  const p99 = (values: number[]): number => {
    const stats = delayStats(values);
    return stats === null ? 0 : Math.max(0, stats.p99);
  };
  const reach: Record<Direction, number> = { a_to_b: p99(delays.a_to_b), b_to_a: p99(delays.b_to_a) };
  // Only segments that the other point could have seen count as lost or injected: it was
  // capturing when the segment would have passed it. A capture starts at its first frame; it is
  // taken to run END_GRACE past its last one, since the last segments of an exchange (a final
  // RST, a lost FIN) are the ones the other point may never see, and captures are stopped after.
  const aStart = a.startTime;
  const aEnd = a.endTime + END_GRACE;
  const bStart = b.startTime - knownOffset;
  const bEnd = b.endTime - knownOffset + END_GRACE;
  const lost: LostSegment[] = [];
  const injected: InjectedSegment[] = [];
  for (let i = pair.a.first; i < pair.a.end; i++) {
    if (pairOfA[i] >= 0) continue;
    const direction = directionOf(a.direction[i]);
    const t = a.time[i];
    const segment = { frame: a.frameNumber[i], seq_raw: a.seq[i], len: a.length[i], flags: flagText(a.flags[i]) };
    if (direction === 'a_to_b') {
      if (t >= bStart && t + reach.a_to_b <= bEnd) lost.push({ direction, seen_at: 'A', seq: relative(a.seq[i], a.direction[i]), ...segment });
    } else if (t - reach.b_to_a >= bStart && t <= bEnd) {
      injected.push({ seen_at: 'A', direction, ...segment });
    }
  }
  for (let j = pair.b.first; j < pair.b.end; j++) {
    if (pairOfB[j] >= 0) continue;
    const aDirection = bToA(b.direction[j]);
    const direction = directionOf(aDirection);
    const t = b.time[j] - knownOffset;
    const segment = { frame: b.frameNumber[j], seq_raw: b.seq[j], len: b.length[j], flags: flagText(b.flags[j]) };
    if (direction === 'b_to_a') {
      if (t >= aStart && t + reach.b_to_a <= aEnd) lost.push({ direction, seen_at: 'B', seq: relative(b.seq[j], aDirection), ...segment });
    } else if (t - reach.a_to_b >= aStart && t <= aEnd) {
      injected.push({ seen_at: 'B', direction, ...segment });
    }
  }

  const bClient = pair.b.endpoints[pair.flipped ? 1 : 0];
  const bServer = pair.b.endpoints[pair.flipped ? 0 : 1];
  const result: ConnectionComparison = {
    type: 'comparison',
    client: pair.a.endpoints[0],
    server: pair.a.endpoints[1],
    a_side: aSide === 0 ? 'client' : 'server',
    clock_offset: offset,
    clock_offset_uncertainty: uncertainty,
    delay: { a_to_b: delayStats(delays.a_to_b), b_to_a: delayStats(delays.b_to_a) },
    lost,
    rewrites: rewrites.list(),
    injected,
    frames: { a: pair.a.end - pair.a.first, b: pair.b.end - pair.b.first, paired: pairedCount },
  };
  if (bClient !== result.client || bServer !== result.server) {
    result.translation = { a: { client: result.client, server: result.server }, b: { client: bClient, server: bServer } };
  }
  return result;
}

function stepTime(step: TwoPointStep): number {
  if (step.a !== null && step.b !== null) return Math.min(step.a.time, step.b.time);
  return step.a?.time ?? step.b?.time ?? 0;
}

/** One connection's segments in time order, each with where it was seen and its flight time. */
function twoPointSteps(a: CapturePoint, b: CapturePoint, pair: PairedConnection, pairOfA: Int32Array, pairOfB: Int32Array, offset: number, base: number): TwoPointStep[] {
  const aSide = pair.aSide === -1 ? 0 : pair.aSide;
  const directionOf = (aDirection: number): Direction => (aDirection === aSide ? 'a_to_b' : 'b_to_a');
  const seqBase = sequenceBases(a, pair);
  const steps: TwoPointStep[] = [];
  for (let i = pair.a.first; i < pair.a.end; i++) {
    const j = pairOfA[i];
    const direction = directionOf(a.direction[i]);
    const step: TwoPointStep = {
      direction,
      flags: flagText(a.flags[i]),
      seq: relativeSeq(a.seq[i], seqBase[a.direction[i]]),
      len: a.length[i],
      a: { frame: a.frameNumber[i], time: a.time[i] - base },
      b: null,
      delay: null,
    };
    if (j >= 0) {
      const delay = direction === 'a_to_b' ? b.time[j] - a.time[i] - offset : a.time[i] - (b.time[j] - offset);
      step.b = { frame: b.frameNumber[j], time: b.time[j] - offset - base };
      step.delay = Math.round(delay * 1e9) / 1e9;
    }
    steps.push(step);
  }
  for (let j = pair.b.first; j < pair.b.end; j++) {
    if (pairOfB[j] >= 0) continue;
    const aDirection = pair.flipped ? 1 - b.direction[j] : b.direction[j];
    steps.push({
      direction: directionOf(aDirection),
      flags: flagText(b.flags[j]),
      seq: relativeSeq(b.seq[j], seqBase[aDirection]),
      len: b.length[j],
      a: null,
      b: { frame: b.frameNumber[j], time: b.time[j] - offset - base },
      delay: null,
    });
  }
  return steps.sort((x, y) => stepTime(x) - stepTime(y));
}

/** Each sender's sequence base at A: its ISN, else one below its first sequence number seen. */
function sequenceBases(a: CapturePoint, pair: PairedConnection): [number, number] {
  const bases: [number, number] = [pair.a.isn[0], pair.a.isn[1]];
  for (let i = pair.a.first; i < pair.a.end; i++) if (bases[a.direction[i]] === -1) bases[a.direction[i]] = (a.seq[i] - 1 + 4294967296) % 4294967296;
  return bases;
}

/** Relative to the sender's base, as Wireshark shows sequence numbers. */
function relativeSeq(raw: number, base: number): number {
  return base === -1 ? raw : (raw - base + 4294967296) % 4294967296;
}
