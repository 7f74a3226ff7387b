/**
 * One direction of a TCP connection as an in-order byte stream, from segments given with their
 * relative sequence numbers: retransmitted bytes are dropped, early segments wait (bounded) for
 * the gap to fill, and a gap that never fills is skipped with `gap` set so the reader resyncs.
 * The one TCP stream reassembly of the core: TLS records, cleartext HTTP and Follow TCP Stream
 * all read their bytes through it.
 */

/** Out-of-order bytes held per direction while a gap is open. */
const MAX_PENDING = 1 << 20;

/** Bytes held before a direction's first segment (the start of its stream) has been seen. */
const MAX_EARLY_START = 1 << 16;

type Deliver = (bytes: Uint8Array, gap: boolean, position: number) => void;

export class StreamAssembler {
  /** Next stream position expected; null before the first segment. */
  private next: number | null = null;
  private pending = new Map<number, Uint8Array>();
  private pendingBytes = 0;

  /**
   * `startsStream`: whether a payload can be the stream's first bytes (a TLS record header). A
   * first segment past tcp.seq 1 that cannot is the stream's middle arriving before its start
   * (reordered on the way or in the capture): it is held, within bounds, for the start.
   */
  constructor(private readonly startsStream: ((payload: Uint8Array) => boolean) | null = null) {}

  /**
   * Adds a segment; `deliver` gets the in-order pieces it releases (views valid during the
   * call), with `gap` true for the first piece after bytes that were never captured, and the
   * piece's stream position (in the caller's sequence numbers).
   */
  push(seq: number, payload: Uint8Array, deliver: Deliver): void {
    if (payload.length === 0) return;
    if (this.next === null) {
      // tcp.seq 1 is the byte after the SYN (or the first byte the tracker saw).
      if (this.startsStream && seq > 1 && !this.startsStream(payload) && this.pendingBytes + payload.length <= MAX_EARLY_START) {
        if (!this.pending.has(seq)) {
          this.pendingBytes += payload.length;
          this.pending.set(seq, payload.slice());
        }
        return;
      }
      this.next = seq;
    }
    let start = seq;
    let bytes = payload;
    if (start < this.next) {
      if (start + bytes.length <= this.next) return;
      bytes = bytes.subarray(this.next - start);
      start = this.next;
    }
    if (start > this.next) {
      const held = this.pending.get(start);
      if (!held || held.length < bytes.length) {
        this.pendingBytes += bytes.length - (held?.length ?? 0);
        this.pending.set(start, bytes.slice());
      }
      if (this.pendingBytes > MAX_PENDING) this.skipGap(deliver);
      return;
    }
    this.next += bytes.length;
    deliver(bytes, false, start);
    this.drain(deliver, false);
  }

  /** Drops the segments waiting for a gap (the reader gave up on this direction). */
  clear(): void {
    this.pending.clear();
    this.pendingBytes = 0;
  }

  private skipGap(deliver: Deliver): void {
    let first = Infinity;
    for (const at of this.pending.keys()) first = Math.min(first, at);
    if (first === Infinity) return;
    this.next = first;
    this.drain(deliver, true);
  }

  private drain(deliver: Deliver, gap: boolean): void {
    for (;;) {
      let advanced = false;
      for (const [at, bytes] of this.pending) {
        if (at > this.next!) continue;
        this.pending.delete(at);
        this.pendingBytes -= bytes.length;
        if (at + bytes.length > this.next!) {
          const piece = bytes.subarray(this.next! - at);
          const position = this.next!;
          this.next! += piece.length;
          deliver(piece, gap, position);
          gap = false;
          advanced = true;
          break;
        }
      }
      if (!advanced) return;
    }
  }
}
