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

export class UnackedSegments {
  private seq = new Uint32Array(8);
  private next = new Uint32Array(8);
  private frame = new Uint32Array(8);
  private timeNs = new Float64Array(8);
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
    if (this.tail === this.seq.length) this.makeRoom();
    const seq = seqBits >>> 0;
    if (this.tail > this.head && seqGt(this.next[this.tail - 1], seq)) this.inOrder = false;
    const at = this.tail++;
    this.seq[at] = seq;
    this.next[at] = nextBits >>> 0;
    this.frame[at] = frame;
    this.timeNs[at] = timeNs;
  }

  /**
   * Applies an acknowledgment number: drops what it covers and trims a segment it falls inside.
   * Sets ackedFrame/ackedNs to the oldest segment whose end it equals (Wireshark walks its
   * newest-first list and keeps the last match), else ackedFrame = 0.
   */
  acknowledge(ackBits: number): void {
    const ack = ackBits >>> 0;
    this.ackedFrame = 0;
    if (this.inOrder) {
      let i = this.head;
      while (i < this.tail && !seqGt(this.next[i], ack)) {
        if (this.next[i] === ack && this.ackedFrame === 0) {
          this.ackedFrame = this.frame[i];
          this.ackedNs = this.timeNs[i];
        }
        i++;
      }
      this.head = i;
      if (i < this.tail && seqGt(ack, this.seq[i])) this.seq[i] = ack;
      if (this.head === this.tail) this.clear();
      return;
    }
    // Out of order (a retransmission in the list): every entry, then compact.
    let out = this.head;
    let ordered = true;
    for (let i = this.head; i < this.tail; i++) {
      const next = this.next[i];
      if (next === ack) {
        if (this.ackedFrame === 0) {
          this.ackedFrame = this.frame[i];
          this.ackedNs = this.timeNs[i];
        }
        continue;
      }
      let seq = this.seq[i];
      if (seqGt(ack, seq) && seqLe(ack, next)) seq = ack;
      else if (!seqGt(next, ack)) continue;
      if (out > this.head && seqGt(this.next[out - 1], seq)) ordered = false;
      this.seq[out] = seq;
      this.next[out] = next;
      this.frame[out] = this.frame[i];
      this.timeNs[out] = this.timeNs[i];
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
    if (this.inOrder) return (((this.next[this.tail - 1] - base) >>> 0) - ((this.seq[this.head] - base) >>> 0)) >>> 0;
    let first = (this.seq[this.head] - base) >>> 0;
    let last = (this.next[this.head] - base) >>> 0;
    for (let i = this.head + 1; i < this.tail; i++) {
      const s = (this.seq[i] - base) >>> 0;
      const e = (this.next[i] - base) >>> 0;
      if (s < first) first = s;
      if (e > last) last = e;
    }
    return (last - first) >>> 0;
  }

  private makeRoom(): void {
    const live = this.tail - this.head;
    if (this.head > 0 && live <= this.seq.length / 2) {
      this.seq.copyWithin(0, this.head, this.tail);
      this.next.copyWithin(0, this.head, this.tail);
      this.frame.copyWithin(0, this.head, this.tail);
      this.timeNs.copyWithin(0, this.head, this.tail);
    } else {
      const size = this.seq.length * 2;
      const grow = <T extends Uint32Array | Float64Array>(from: T, to: T): T => {
        to.set(from.subarray(this.head, this.tail));
        return to;
      };
      this.seq = grow(this.seq, new Uint32Array(size));
      this.next = grow(this.next, new Uint32Array(size));
      this.frame = grow(this.frame, new Uint32Array(size));
      this.timeNs = grow(this.timeNs, new Float64Array(size));
    }
    this.head = 0;
    this.tail = live;
  }
}
