/**
 * A hash table from three 32-bit words to an int32, in typed arrays with linear probing: pairing a
 * million segments by (connection, seq, ack) through a Map costs a heap number per key and most of
 * the comparison's time in hashing and garbage collection.
 */
export class KeyTable {
  private readonly mask: number;
  private readonly k0: Uint32Array;
  private readonly k1: Uint32Array;
  private readonly k2: Uint32Array;
  private readonly used: Uint8Array;
  private readonly capacity: number;
  private size = 0;
  readonly values: Int32Array;

  /** Room for `capacity` keys (the table never grows: callers know their key count up front). */
  constructor(capacity: number) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.mask = size - 1;
    this.capacity = capacity;
    this.k0 = new Uint32Array(size);
    this.k1 = new Uint32Array(size);
    this.k2 = new Uint32Array(size);
    this.used = new Uint8Array(size);
    this.values = new Int32Array(size);
  }

  /** The key's slot, or -1 when absent. */
  find(k0: number, k1: number, k2: number): number {
    for (let slot = this.start(k0, k1, k2); ; slot = (slot + 1) & this.mask) {
      if (this.used[slot] === 0) return -1;
      if (this.k0[slot] === k0 >>> 0 && this.k1[slot] === k1 >>> 0 && this.k2[slot] === k2 >>> 0) return slot;
    }
  }

  /** The key's slot, made with `initial` as its value when absent. */
  slot(k0: number, k1: number, k2: number, initial: number): number {
    for (let slot = this.start(k0, k1, k2); ; slot = (slot + 1) & this.mask) {
      if (this.used[slot] === 0) {
        // Past its capacity the table would fill and probing would never end.
        if (this.size === this.capacity) throw new RangeError(`KeyTable holds at most ${this.capacity} keys`);
        this.size++;
        this.used[slot] = 1;
        this.k0[slot] = k0;
        this.k1[slot] = k1;
        this.k2[slot] = k2;
        this.values[slot] = initial;
        return slot;
      }
      if (this.k0[slot] === k0 >>> 0 && this.k1[slot] === k1 >>> 0 && this.k2[slot] === k2 >>> 0) return slot;
    }
  }

  private start(k0: number, k1: number, k2: number): number {
    let h = Math.imul(k0 ^ 0x9e3779b9, 0x85ebca6b);
    h = Math.imul(((h << 13) | (h >>> 19)) ^ k1, 0xcc9e2d51);
    h = Math.imul(((h << 13) | (h >>> 19)) ^ k2, 0x85ebca6b);
    h ^= h >>> 16;
    return h & this.mask;
  }
}
