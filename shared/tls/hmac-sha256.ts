/**
 * HMAC-SHA-256 (RFC 2104 over FIPS 180-4 §6.2), synchronous and environment-neutral, for the
 * TLS 1.3 key schedule: each connection derives a key and an IV from each of its four traffic
 * secrets, eight HMACs over a few dozen bytes, where node:crypto's createHmac costs more in
 * making its objects than in hashing. A key's padded states are kept, so the key and the IV of
 * one secret hash the key once.
 */

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const INITIAL = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
const BLOCK = 64;
export const SHA256_LENGTH = 32;

const W = new Uint32Array(64);

/** One 64-byte block at `block[at]` into `state`. */
function compress(state: Uint32Array, block: Uint8Array, at: number): void {
  for (let t = 0; t < 16; t++, at += 4) W[t] = (block[at] << 24) | (block[at + 1] << 16) | (block[at + 2] << 8) | block[at + 3];
  for (let t = 16; t < 64; t++) {
    const w15 = W[t - 15];
    const w2 = W[t - 2];
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[t] = (W[t - 16] + s0 + W[t - 7] + s1) | 0;
  }
  let a = state[0];
  let b = state[1];
  let c = state[2];
  let d = state[3];
  let e = state[4];
  let f = state[5];
  let g = state[6];
  let h = state[7];
  for (let t = 0; t < 64; t++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + s1 + ((e & f) ^ (~e & g)) + K[t] + W[t]) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] += a;
  state[1] += b;
  state[2] += c;
  state[3] += d;
  state[4] += e;
  state[5] += f;
  state[6] += g;
  state[7] += h;
}

/** Scratch space: the hashing allocates nothing but its digests. */
const STATE = new Uint32Array(8);
const TAIL = new Uint8Array(2 * BLOCK);
const INNER_DIGEST = new Uint8Array(SHA256_LENGTH);
const KEY_BLOCK = new Uint8Array(BLOCK);

/** Into `out`: the digest of (`prefixLength` bytes already hashed into `from`) followed by `data`; `from` is left as it was. */
function finish(from: Uint32Array, prefixLength: number, data: Uint8Array, out: Uint8Array): Uint8Array {
  const state = STATE;
  state.set(from);
  let at = 0;
  for (; at + BLOCK <= data.length; at += BLOCK) compress(state, data, at);
  // The rest, 0x80, zeros, and the 64-bit bit length, in one or two blocks.
  const rest = data.length - at;
  const end = rest < 56 ? BLOCK : 2 * BLOCK;
  const tail = TAIL;
  tail.fill(0);
  for (let i = 0; i < rest; i++) tail[i] = data[at + i];
  tail[rest] = 0x80;
  const bits = (prefixLength + data.length) * 8;
  const high = Math.floor(bits / 0x100000000);
  const low = bits >>> 0;
  tail[end - 8] = high >>> 24;
  tail[end - 7] = (high >>> 16) & 0xff;
  tail[end - 6] = (high >>> 8) & 0xff;
  tail[end - 5] = high & 0xff;
  tail[end - 4] = low >>> 24;
  tail[end - 3] = (low >>> 16) & 0xff;
  tail[end - 2] = (low >>> 8) & 0xff;
  tail[end - 1] = low & 0xff;
  for (let block = 0; block < end; block += BLOCK) compress(state, tail, block);
  for (let i = 0; i < 8; i++) {
    out[4 * i] = state[i] >>> 24;
    out[4 * i + 1] = (state[i] >>> 16) & 0xff;
    out[4 * i + 2] = (state[i] >>> 8) & 0xff;
    out[4 * i + 3] = state[i] & 0xff;
  }
  return out;
}

export function sha256(data: Uint8Array): Uint8Array {
  return finish(INITIAL, 0, data, new Uint8Array(SHA256_LENGTH));
}

/** HMAC-SHA-256 under one key; `mac` may be called any number of times. */
export class HmacSha256 {
  readonly key: Uint8Array;
  private readonly inner = new Uint32Array(INITIAL);
  private readonly outer = new Uint32Array(INITIAL);

  constructor(key: Uint8Array) {
    this.key = key.slice();
    const block = KEY_BLOCK;
    block.fill(0);
    block.set(key.length > BLOCK ? sha256(key) : key);
    for (let i = 0; i < BLOCK; i++) block[i] ^= 0x36;
    compress(this.inner, block, 0);
    for (let i = 0; i < BLOCK; i++) block[i] ^= 0x36 ^ 0x5c;
    compress(this.outer, block, 0);
  }

  mac(data: Uint8Array): Uint8Array {
    return finish(this.outer, BLOCK, finish(this.inner, BLOCK, data, INNER_DIGEST), new Uint8Array(SHA256_LENGTH));
  }

  /** Whether this was made for `key` (the same bytes). */
  isFor(key: Uint8Array): boolean {
    if (key.length !== this.key.length) return false;
    for (let i = 0; i < key.length; i++) if (key[i] !== this.key[i]) return false;
    return true;
  }
}
