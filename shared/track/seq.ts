/**
 * TCP sequence-number arithmetic, modulo 2^32 (RFC 9293 §3.4): a comparison is the
 * sign of the 32-bit difference, so a connection whose ISN sits just below 2^32 wraps
 * through zero without any special case.
 */

/** (a - b) as a signed 32-bit integer. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

export function seqLe(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}

export function seqGt(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

export function seqGe(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}

/** a + n, wrapped to an unsigned 32-bit value. */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** Distance from base to a, as an unsigned 32-bit value (Wireshark's relative numbers). */
export function seqRelative(a: number, base: number): number {
  return (a - base) >>> 0;
}
