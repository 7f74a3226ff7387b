/** QUIC variable-length integers (RFC 9000 §16). */

export interface Varint {
  value: number;
  /** Bytes the encoding used: 1, 2, 4 or 8. */
  length: number;
}

/**
 * Reads one varint at `offset`, or null when it does not fit before `end`.
 * 8-byte values above 2^53 lose precision; callers treat them as "too large".
 */
export function readVarint(bytes: Uint8Array, offset: number, end: number): Varint | null {
  if (offset >= end) return null;
  const length = 1 << (bytes[offset] >>> 6);
  if (offset + length > end) return null;
  let value = bytes[offset] & 0x3f;
  for (let i = 1; i < length; i++) value = value * 256 + bytes[offset + i];
  return { value, length };
}

/** The shortest encoding of `value` (0 ≤ value < 2^53). */
export function encodeVarint(value: number): Uint8Array {
  const length = value < 0x40 ? 1 : value < 0x4000 ? 2 : value < 0x40000000 ? 4 : 8;
  const bytes = new Uint8Array(length);
  let rest = value;
  for (let i = length - 1; i >= 0; i--) {
    bytes[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  bytes[0] |= (Math.log2(length) << 6);
  return bytes;
}
