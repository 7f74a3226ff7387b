/**
 * The endpoint's two byte stores: what we queued to send (indexed by sequence number until it
 * is acknowledged) and the peer's out-of-order segments (held, bounded, until the gap fills).
 */
import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt } from '../track/seq';

/** Bytes queued to send, from the oldest unacknowledged one on. */
export class SendQueue {
  private chunks: Uint8Array[] = [];
  /** Offset into chunks[0] of the first byte still held. */
  private head = 0;
  length = 0;

  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.chunks.push(bytes.slice());
    this.length += bytes.length;
  }

  /** `count` bytes from `offset` (relative to the first byte held), copied. */
  read(offset: number, count: number): Uint8Array {
    const end = Math.min(this.length, offset + count);
    const out = new Uint8Array(Math.max(0, end - offset));
    let position = -this.head;
    let written = 0;
    for (const chunk of this.chunks) {
      const chunkStart = position;
      const chunkEnd = position + chunk.length;
      position = chunkEnd;
      if (chunkEnd <= offset) continue;
      if (chunkStart >= end) break;
      const from = Math.max(offset, chunkStart) - chunkStart;
      const to = Math.min(end, chunkEnd) - chunkStart;
      out.set(chunk.subarray(from, to), written);
      written += to - from;
    }
    return out;
  }

  /** Forgets the first `count` bytes (they were acknowledged). */
  drop(count: number): void {
    let remaining = Math.min(count, this.length);
    this.length -= remaining;
    while (remaining > 0 && this.chunks.length > 0) {
      const available = this.chunks[0].length - this.head;
      if (remaining >= available) {
        remaining -= available;
        this.chunks.shift();
        this.head = 0;
      } else {
        this.head += remaining;
        remaining = 0;
      }
    }
  }
}

export interface HeldSegment {
  seq: number;
  bytes: Uint8Array;
  fin: boolean;
}

/** The peer's segments that arrived ahead of a gap, merged into disjoint ranges, at most `limit` bytes. */
export class ReassemblyQueue {
  private held: HeldSegment[] = [];
  bytes = 0;
  /** The range holding the most recent arrival (first in a SACK option, RFC 2018 §4). */
  private latest: number | null = null;

  constructor(readonly limit: number) {}

  get size(): number {
    return this.held.length;
  }

  /**
   * Holds a segment that starts after `rcvNxt`. Returns false when it did not fit in the limit
   * (it is dropped whole, and the peer will send it again).
   */
  hold(seq: number, bytes: Uint8Array, fin: boolean): boolean {
    const end = seqAdd(seq, bytes.length);
    // Only the parts not held yet count against the limit.
    let fresh = bytes.length;
    for (const segment of this.held) {
      const segmentEnd = seqAdd(segment.seq, segment.bytes.length);
      const overlap = seqDiff(seqLt(end, segmentEnd) ? end : segmentEnd, seqGt(seq, segment.seq) ? seq : segment.seq);
      if (overlap > 0) fresh -= overlap;
    }
    if (this.bytes + fresh > this.limit) return false;
    this.held.push({ seq, bytes: bytes.slice(), fin });
    this.held.sort((a, b) => seqDiff(a.seq, b.seq));
    this.merge();
    this.latest = seq;
    return true;
  }

  /** Joins overlapping or touching ranges, the earlier copy's bytes winning. */
  private merge(): void {
    const merged: HeldSegment[] = [];
    for (const segment of this.held) {
      const last = merged[merged.length - 1];
      const lastEnd = last ? seqAdd(last.seq, last.bytes.length) : 0;
      if (last && seqLe(segment.seq, lastEnd) && !last.fin) {
        const end = seqAdd(segment.seq, segment.bytes.length);
        if (seqGt(end, lastEnd)) {
          const tail = segment.bytes.subarray(seqDiff(lastEnd, segment.seq));
          const joined = new Uint8Array(last.bytes.length + tail.length);
          joined.set(last.bytes);
          joined.set(tail, last.bytes.length);
          last.bytes = joined;
        }
        last.fin = last.fin || (segment.fin && seqGe(end, lastEnd));
      } else {
        merged.push({ ...segment });
      }
    }
    this.held = merged;
    this.bytes = merged.reduce((sum, segment) => sum + segment.bytes.length, 0);
  }

  /** Takes what now continues the stream at `rcvNxt`: the bytes and whether a FIN ends them. */
  take(rcvNxt: number): { bytes: Uint8Array[]; fin: boolean; next: number } {
    const out: Uint8Array[] = [];
    let next = rcvNxt;
    let fin = false;
    while (this.held.length > 0 && seqLe(this.held[0].seq, next) && !fin) {
      const segment = this.held.shift() as HeldSegment;
      const end = seqAdd(segment.seq, segment.bytes.length);
      if (seqGt(end, next)) {
        out.push(segment.bytes.subarray(seqDiff(next, segment.seq)));
        next = end;
      }
      fin = segment.fin && seqLe(end, next);
    }
    this.bytes = this.held.reduce((sum, segment) => sum + segment.bytes.length, 0);
    return { bytes: out, fin, next };
  }

  /** SACK blocks (RFC 2018): the range with the latest arrival first, then the others in order. */
  sackBlocks(max: number): Array<[number, number]> {
    const ranges = this.held.map((segment): [number, number] => [segment.seq, seqAdd(segment.seq, segment.bytes.length)]);
    const latestIndex = this.latest === null ? -1 : ranges.findIndex(([left, right]) => seqLe(left, this.latest as number) && seqLt(this.latest as number, right === left ? seqAdd(right, 1) : right));
    if (latestIndex > 0) ranges.unshift(...ranges.splice(latestIndex, 1));
    return ranges.filter(([left, right]) => left !== right).slice(0, max);
  }
}
