/**
 * A hash table from three 32-bit words to an int32, in one typed array with linear probing:
 * pairing a million segments by (seq, ack) through a Map costs a heap number per key and most of
 * the comparison's time in hashing and garbage collection. Each slot's keys and value sit side
 * by side (16 bytes, so one cache line per probe; separate arrays cost one miss per array).
 */
const WORDS = 4;
/** A slot's fourth word holds value + VALUE_BIAS, so 0 marks it unused (values go down to -1). */
const VALUE_BIAS = 2;

export class KeyTable {
  private readonly mask: number;
  private readonly slots: Int32Array;
  private readonly capacity: number;
  private size = 0;

  /** Room for `capacity` keys (the table never grows: callers know their key count up front). */
  constructor(capacity: number) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.mask = size - 1;
    this.capacity = capacity;
    this.slots = new Int32Array(size * WORDS);
  }

  /** The key's slot, or -1 when absent. */
  find(k0: number, k1: number, k2: number): number {
    const slots = this.slots;
    const w0 = k0 | 0;
    const w1 = k1 | 0;
    const w2 = k2 | 0;
    for (let slot = this.start(k0, k1, k2); ; slot = (slot + 1) & this.mask) {
      const at = slot * WORDS;
      if (slots[at + 3] === 0) return -1;
      if (slots[at] === w0 && slots[at + 1] === w1 && slots[at + 2] === w2) return slot;
    }
  }

  /** The key's slot, made with `initial` as its value when absent. */
  slot(k0: number, k1: number, k2: number, initial: number): number {
    const slots = this.slots;
    const w0 = k0 | 0;
    const w1 = k1 | 0;
    const w2 = k2 | 0;
    for (let slot = this.start(k0, k1, k2); ; slot = (slot + 1) & this.mask) {
      const at = slot * WORDS;
      if (slots[at + 3] === 0) {
        // Past its capacity the table would fill and probing would never end.
        if (this.size === this.capacity) throw new RangeError(`KeyTable holds at most ${this.capacity} keys`);
        this.size++;
        slots[at] = w0;
        slots[at + 1] = w1;
        slots[at + 2] = w2;
        slots[at + 3] = initial + VALUE_BIAS;
        return slot;
      }
      if (slots[at] === w0 && slots[at + 1] === w1 && slots[at + 2] === w2) return slot;
    }
  }

  /** The value at a slot that `find` or `slot` returned. */
  value(slot: number): number {
    return this.slots[slot * WORDS + 3] - VALUE_BIAS;
  }

  /** Values are -1 or more. */
  setValue(slot: number, value: number): void {
    this.slots[slot * WORDS + 3] = value + VALUE_BIAS;
  }

  private start(k0: number, k1: number, k2: number): number {
    let h = Math.imul(k0 ^ 0x9e3779b9, 0x85ebca6b);
    h = Math.imul(((h << 13) | (h >>> 19)) ^ k1, 0xcc9e2d51);
    h = Math.imul(((h << 13) | (h >>> 19)) ^ k2, 0x85ebca6b);
    h ^= h >>> 16;
    return h & this.mask;
  }
}
