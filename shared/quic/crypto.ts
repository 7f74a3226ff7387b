/**
 * The few cryptographic primitives QUIC Initial protection needs (RFC 9001 §5), behind a
 * small async interface so the core stays environment-neutral: the renderer plugs in
 * WebCrypto (`webcrypto.ts`), the Node engine plugs in `node:crypto`
 * (`electron/engine/quic-crypto.ts`). HKDF is built here, once, on top of HMAC.
 */

export interface QuicCrypto {
  /** HMAC-SHA256(key, data), 32 bytes. */
  hmacSha256(key: Uint8Array, data: Uint8Array): Promise<Uint8Array>;
  /** AES-128 in ECB mode over exactly one 16-byte block (the header-protection mask, §5.4.3). */
  aesEcbEncryptBlock(key: Uint8Array, block: Uint8Array): Promise<Uint8Array>;
  /**
   * AEAD_AES_128_GCM open (§5.3). `ciphertext` ends with the 16-byte tag.
   * Resolves to the plaintext, or null when the tag does not verify.
   */
  aes128GcmDecrypt(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array | null>;
}

import { hkdfLabel as tlsHkdfLabel } from '../tls/crypto';

const SHA256_LENGTH = 32;

/** HKDF-Extract (RFC 5869 §2.2) with SHA-256: PRK = HMAC(salt, ikm). */
export function hkdfExtract(crypto: QuicCrypto, salt: Uint8Array, inputKeyMaterial: Uint8Array): Promise<Uint8Array> {
  return crypto.hmacSha256(salt, inputKeyMaterial);
}

/** HKDF-Expand (RFC 5869 §2.3) with SHA-256. */
export async function hkdfExpand(crypto: QuicCrypto, pseudoRandomKey: Uint8Array, info: Uint8Array, length: number): Promise<Uint8Array> {
  if (length > 255 * SHA256_LENGTH) throw new RangeError(`HKDF-Expand cannot produce ${length} bytes`);
  const output = new Uint8Array(length);
  let previous: Uint8Array = new Uint8Array(0);
  for (let filled = 0, counter = 1; filled < length; counter++) {
    const input = new Uint8Array(previous.length + info.length + 1);
    input.set(previous, 0);
    input.set(info, previous.length);
    input[input.length - 1] = counter;
    previous = await crypto.hmacSha256(pseudoRandomKey, input);
    output.set(previous.subarray(0, Math.min(SHA256_LENGTH, length - filled)), filled);
    filled += SHA256_LENGTH;
  }
  return output;
}

/** The HkdfLabel structure of TLS 1.3 (RFC 8446 §7.1) with an empty context (QUIC never uses one). */
export function hkdfLabel(label: string, length: number): Uint8Array {
  return tlsHkdfLabel(label, length);
}

/** HKDF-Expand-Label(secret, label, "", length). */
export function hkdfExpandLabel(crypto: QuicCrypto, secret: Uint8Array, label: string, length: number): Promise<Uint8Array> {
  return hkdfExpand(crypto, secret, hkdfLabel(label, length), length);
}
