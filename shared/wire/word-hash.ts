/**
 * A 32-bit hash of address words and a port (murmur3-style mixing): the flow table's and the
 * address interner's, so endpoints are never turned into strings on a per-frame path.
 */
export function hashWords(words: Uint32Array, count: number, port: number, at = 0): number {
  let h = Math.imul(port ^ 0x9e3779b9, 0x85ebca6b);
  for (let i = at; i < at + count; i++) {
    h = Math.imul(h ^ words[i], 0xcc9e2d51);
    h = (h << 13) | (h >>> 19);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h;
}
