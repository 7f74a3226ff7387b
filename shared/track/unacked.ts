/**
 * One direction's segments sent and not yet acknowledged, as packet-tcp.c keeps them for
 * `tcp.analysis.acks_frame`, `ack_rtt` and `bytes_in_flight`: every segment that takes
 * sequence space (data, SYN, FIN) is kept until an ACK covers its end; an ACK inside a segment
 * trims its start. Entries sit in arrival order in typed arrays. While each starts at or after
 * the previous one's end (no retransmission in the list, the common case) an ACK only looks at
 * the oldest entries, so a bulk transfer costs O(1) per segment instead of a scan of the window.
 */
import { seqGt, seqLe } from './seq';

/** packet-tcp.c's TCP_MAX_UNACKED_SEGMENTS: segments beyond it are not kept (ACKs are not being seen). */
export const MAX_UNACKED_SEGMENTS = 10000;

/** Doubles per entry in UnackedSegments' one array: start, end, frame, time (all exact as doubles). */
const ENTRY = 4;
const E_SEQ = 0;
const E_NEXT = 1;
const E_FRAME = 2;
const E_NS = 3;

export class UnackedSegments {
  /**
   * The entries interleaved in one array: an ACK reads the oldest entry's four values from one
   * cache line, where four parallel arrays cost a line (and an array header) each.
   */
  private entries = new Float64Array(8 * ENTRY);
  /** Entry indexes (not array offsets). */
  private head = 0;
  private tail = 0;
  /** Every entry starts at or after the end of the one before it. */
  private inOrder = true;
  /** Set by acknowledge(): the segment whose end the ACK equals (0: none) and when it was sent. */
  ackedFrame = 0;
  ackedNs = 0;

  get count(): number {
    return this.tail - this.head;
  }

  clear(): void {
    this.head = 0;
    this.tail = 0;
    this.inOrder = true;
  }

  /** Keeps a segment `[seq, next)` sent in `frame` at `timeNs`; ignored past MAX_UNACKED_SEGMENTS. */
  push(seqBits: number, nextBits: number, frame: number, timeNs: number): void {
    if (this.tail - this.head >= MAX_UNACKED_SEGMENTS) return;
    if (this.tail * ENTRY === this.entries.length) this.makeRoom();
    const e = this.entries;
    const seq = seqBits >>> 0;
    if (this.tail > this.head && seqGt(e[(this.tail - 1) * ENTRY + E_NEXT], seq)) this.inOrder = false;
    const at = this.tail++ * ENTRY;
    e[at + E_SEQ] = seq;
    e[at + E_NEXT] = nextBits >>> 0;
    e[at + E_FRAME] = frame;
    e[at + E_NS] = timeNs;
  }

  /**
   * Applies an acknowledgment number: drops what it covers and trims a segment it falls inside.
   * Sets ackedFrame/ackedNs to the oldest segment whose end it equals (Wireshark walks its
   * newest-first list and keeps the last match), else ackedFrame = 0.
   */
  acknowledge(ackBits: number): void {
    const ack = ackBits >>> 0;
    const e = this.entries;
    this.ackedFrame = 0;
    if (this.inOrder) {
      let i = this.head;
      while (i < this.tail && !seqGt(e[i * ENTRY + E_NEXT], ack)) {
        if (e[i * ENTRY + E_NEXT] === ack && this.ackedFrame === 0) {
          this.ackedFrame = e[i * ENTRY + E_FRAME];
          this.ackedNs = e[i * ENTRY + E_NS];
        }
        i++;
      }
      this.head = i;
      if (i < this.tail && seqGt(ack, e[i * ENTRY + E_SEQ])) e[i * ENTRY + E_SEQ] = ack;
      if (this.head === this.tail) this.clear();
      return;
    }
    // Out of order (a retransmission in the list): every entry, then compact.
    let out = this.head;
    let ordered = true;
    for (let i = this.head; i < this.tail; i++) {
      const next = e[i * ENTRY + E_NEXT];
      if (next === ack) {
        if (this.ackedFrame === 0) {
          this.ackedFrame = e[i * ENTRY + E_FRAME];
          this.ackedNs = e[i * ENTRY + E_NS];
        }
        continue;
      }
      let seq = e[i * ENTRY + E_SEQ];
      if (seqGt(ack, seq) && seqLe(ack, next)) seq = ack;
      else if (!seqGt(next, ack)) continue;
      if (out > this.head && seqGt(e[(out - 1) * ENTRY + E_NEXT], seq)) ordered = false;
      e[out * ENTRY + E_SEQ] = seq;
      e[out * ENTRY + E_NEXT] = next;
      e[out * ENTRY + E_FRAME] = e[i * ENTRY + E_FRAME];
      e[out * ENTRY + E_NS] = e[i * ENTRY + E_NS];
      out++;
    }
    this.tail = out;
    this.inOrder = ordered;
    if (this.head === this.tail) this.clear();
  }

  /**
   * Wireshark's bytes in flight: from the lowest start to the highest end of the kept segments,
   * both taken relative to `base` (the sender's ISN) as unsigned numbers.
   */
  span(baseBits: number): number {
    if (this.tail === this.head) return 0;
    const base = baseBits >>> 0;
    const e = this.entries;
    if (this.inOrder) return (((e[(this.tail - 1) * ENTRY + E_NEXT] - base) >>> 0) - ((e[this.head * ENTRY + E_SEQ] - base) >>> 0)) >>> 0;
    let first = (e[this.head * ENTRY + E_SEQ] - base) >>> 0;
    let last = (e[this.head * ENTRY + E_NEXT] - base) >>> 0;
    for (let i = this.head + 1; i < this.tail; i++) {
      const s = (e[i * ENTRY + E_SEQ] - base) >>> 0;
      const end = (e[i * ENTRY + E_NEXT] - base) >>> 0;
      if (s < first) first = s;
      if (end > last) last = end;
    }
    return (last - first) >>> 0;
  }

  private makeRoom(): void {
    const live = this.tail - this.head;
    const capacity = this.entries.length / ENTRY;
    if (this.head > 0 && live <= capacity / 2) this.entries.copyWithin(0, this.head * ENTRY, this.tail * ENTRY);
    else {
      const larger = new Float64Array(capacity * 2 * ENTRY);
      larger.set(this.entries.subarray(this.head * ENTRY, this.tail * ENTRY));
      this.entries = larger;
    }
    this.head = 0;
    this.tail = live;
  }
}
