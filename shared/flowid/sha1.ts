/**
 * SHA-1 (FIPS 180-4 §6.1), synchronous and environment-neutral. Community ID needs it for a
 * 40-byte input per connection, inside synchronous code (the analyze report, the packet list's
 * column, the display filter); WebCrypto's digest is async-only and node:crypto is not in the
 * renderer. Used as a flow-key hash the specification fixes, never for security.
 */

const W = new Uint32Array(80);
const ONE_BLOCK = new Uint8Array(64);

function rotl(x: number, n: number): number {
  return (x << n) | (x >>> (32 - n));
}

/** The 20-byte SHA-1 digest of `data`. */
export function sha1(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(20);
  sha1Into(data, data.length, out);
  return out;
}

/** The digest of `data[0..length)` into `out[0..20)`: a flow key is hashed without an array of its own. */
export function sha1Into(data: Uint8Array, length: number, out: Uint8Array): void {
  const bitLength = length * 8;
  // Message + 0x80 + zero padding + 64-bit length, to a multiple of 64 bytes (one block, reused, for a flow key).
  const size = ((length + 8) >>> 6) * 64 + 64;
  const padded = size === 64 ? ONE_BLOCK.fill(0) : new Uint8Array(size);
  if (size === 64) for (let i = 0; i < length; i++) padded[i] = data[i];
  else padded.set(data.subarray(0, length));
  padded[length] = 0x80;
  const high = Math.floor(bitLength / 0x100000000);
  const low = bitLength >>> 0;
  for (let i = 0; i < 4; i++) {
    padded[size - 8 + i] = (high >>> (24 - 8 * i)) & 0xff;
    padded[size - 4 + i] = (low >>> (24 - 8 * i)) & 0xff;
  }
  let h0 = 0x67452301;
  let h1 = 0xefcdab89;
  let h2 = 0x98badcfe;
  let h3 = 0x10325476;
  let h4 = 0xc3d2e1f0;
  for (let block = 0; block < padded.length; block += 64) {
    for (let t = 0; t < 16; t++) {
      const at = block + t * 4;
      W[t] = (padded[at] << 24) | (padded[at + 1] << 16) | (padded[at + 2] << 8) | padded[at + 3];
    }
    for (let t = 16; t < 80; t++) W[t] = rotl(W[t - 3] ^ W[t - 8] ^ W[t - 14] ^ W[t - 16], 1);
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    // The four rounds of 20 as four loops: no branch on t in the 80 steps (a connection list hashes one key per connection).
    for (let t = 0; t < 20; t++) {
      const temp = (rotl(a, 5) + ((b & c) | (~b & d)) + e + 0x5a827999 + W[t]) | 0;
      e = d;
      d = c;
      c = rotl(b, 30);
      b = a;
      a = temp;
    }
    for (let t = 20; t < 40; t++) {
      const temp = (rotl(a, 5) + (b ^ c ^ d) + e + 0x6ed9eba1 + W[t]) | 0;
      e = d;
      d = c;
      c = rotl(b, 30);
      b = a;
      a = temp;
    }
    for (let t = 40; t < 60; t++) {
      const temp = (rotl(a, 5) + ((b & c) | (b & d) | (c & d)) + e + 0x8f1bbcdc + W[t]) | 0;
      e = d;
      d = c;
      c = rotl(b, 30);
      b = a;
      a = temp;
    }
    for (let t = 60; t < 80; t++) {
      const temp = (rotl(a, 5) + (b ^ c ^ d) + e + 0xca62c1d6 + W[t]) | 0;
      e = d;
      d = c;
      c = rotl(b, 30);
      b = a;
      a = temp;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
  }
  putWord(out, 0, h0);
  putWord(out, 4, h1);
  putWord(out, 8, h2);
  putWord(out, 12, h3);
  putWord(out, 16, h4);
}

function putWord(out: Uint8Array, at: number, word: number): void {
  out[at] = word >>> 24;
  out[at + 1] = (word >>> 16) & 0xff;
  out[at + 2] = (word >>> 8) & 0xff;
  out[at + 3] = word & 0xff;
}
