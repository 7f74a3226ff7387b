/**
 * A set of tcp.stream numbers as one bit each. The tracker numbers streams densely from 0, so
 * per-stream verdicts that most connections get ("not TLS", "not HTTP") cost an eighth of a byte
 * each and a test without hashing, instead of a Set entry or an object per connection.
 */
export class StreamSet {
  private bits = new Uint32Array(1024);

  has(stream: number): boolean {
    const word = stream >>> 5;
    return word < this.bits.length && (this.bits[word] & (1 << (stream & 31))) !== 0;
  }

  add(stream: number): void {
    const word = stream >>> 5;
    if (word >= this.bits.length) {
      let size = this.bits.length * 2;
      while (size <= word) size *= 2;
      const larger = new Uint32Array(size);
      larger.set(this.bits);
      this.bits = larger;
    }
    this.bits[word] |= 1 << (stream & 31);
  }
}
