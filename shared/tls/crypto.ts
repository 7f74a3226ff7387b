/**
 * The primitives TLS record decryption needs, injected so the core stays environment-neutral
 * (the Node engine plugs in `node:crypto`: electron/engine/tls-crypto.ts). Synchronous on
 * purpose: decryption then runs inline with tracking, frame by frame, with no promise per record.
 *
 * HKDF (RFC 5869), HKDF-Expand-Label (RFC 8446 §7.1) and the TLS 1.2 PRF (RFC 5246 §5) are
 * built here once, over HMAC; QUIC's key derivation uses the same HkdfLabel.
 */

export type TlsHash = 'sha256' | 'sha384';
export type TlsAead = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';

export interface TlsCrypto {
  hmac(hash: TlsHash, key: Uint8Array, data: Uint8Array): Uint8Array;
  /** AEAD open; `ciphertext` ends with the 16-byte tag. Null when the tag does not verify. */
  aeadOpen(aead: TlsAead, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array | null;
}

export const HASH_LENGTH: Record<TlsHash, number> = { sha256: 32, sha384: 48 };
export const AEAD_KEY_LENGTH: Record<TlsAead, number> = { 'aes-128-gcm': 16, 'aes-256-gcm': 32, 'chacha20-poly1305': 32 };

const ASCII = (text: string): Uint8Array => {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i); // labels are ASCII
  return bytes;
};

function concat(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** HKDF-Extract (RFC 5869 §2.2): PRK = HMAC(salt, ikm). */
export function hkdfExtract(crypto: TlsCrypto, hash: TlsHash, salt: Uint8Array, inputKeyMaterial: Uint8Array): Uint8Array {
  return crypto.hmac(hash, salt, inputKeyMaterial);
}

/** HKDF-Expand (RFC 5869 §2.3). */
export function hkdfExpand(crypto: TlsCrypto, hash: TlsHash, pseudoRandomKey: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const hashLength = HASH_LENGTH[hash];
  if (length > 255 * hashLength) throw new RangeError(`HKDF-Expand cannot produce ${length} bytes`);
  // One block (every key, IV and secret TLS and QUIC derive): T(1) = HMAC(PRK, info || 0x01).
  if (length <= hashLength) return crypto.hmac(hash, pseudoRandomKey, concat(info, ONE)).subarray(0, length);
  const output = new Uint8Array(length);
  let previous: Uint8Array = new Uint8Array(0);
  for (let filled = 0, counter = 1; filled < length; counter++) {
    previous = crypto.hmac(hash, pseudoRandomKey, concat(previous, info, Uint8Array.of(counter)));
    output.set(previous.subarray(0, Math.min(hashLength, length - filled)), filled);
    filled += hashLength;
  }
  return output;
}

const ONE = Uint8Array.of(1);
/** Labels without context, by label and length: a connection derives the same few for every key. */
const labelCache = new Map<string, Uint8Array>();

/** The HkdfLabel structure (RFC 8446 §7.1): uint16 length, "tls13 " + label, context. */
export function hkdfLabel(label: string, length: number, context: Uint8Array = new Uint8Array(0)): Uint8Array {
  const cacheKey = context.length === 0 ? `${length} ${label}` : null;
  const cached = cacheKey === null ? undefined : labelCache.get(cacheKey);
  if (cached) return cached;
  const fullLabel = ASCII(`tls13 ${label}`);
  const built = concat(Uint8Array.of(length >>> 8, length & 0xff, fullLabel.length), fullLabel, Uint8Array.of(context.length), context);
  if (cacheKey !== null && labelCache.size < 64) labelCache.set(cacheKey, built);
  return built;
}

/** HkdfLabel || 0x01, HKDF-Expand's one-block input, for labels without context (every key and IV). */
const blockInputCache = new Map<string, Uint8Array>();

/** HKDF-Expand-Label(secret, label, context, length). */
export function hkdfExpandLabel(crypto: TlsCrypto, hash: TlsHash, secret: Uint8Array, label: string, length: number, context?: Uint8Array): Uint8Array {
  if ((context === undefined || context.length === 0) && length <= HASH_LENGTH[hash]) {
    const cacheKey = `${length} ${label}`;
    let input = blockInputCache.get(cacheKey);
    if (input === undefined) {
      input = concat(hkdfLabel(label, length), ONE);
      if (blockInputCache.size < 64) blockInputCache.set(cacheKey, input);
    }
    return crypto.hmac(hash, secret, input).subarray(0, length);
  }
  return hkdfExpand(crypto, hash, secret, hkdfLabel(label, length, context), length);
}

/** The TLS 1.2 PRF (RFC 5246 §5): P_hash(secret, label + seed). */
export function tls12Prf(crypto: TlsCrypto, hash: TlsHash, secret: Uint8Array, label: string, seed: Uint8Array, length: number): Uint8Array {
  const labelSeed = concat(ASCII(label), seed);
  const output = new Uint8Array(length);
  let a = labelSeed; // A(0)
  for (let filled = 0; filled < length; ) {
    a = crypto.hmac(hash, secret, a);
    const block = crypto.hmac(hash, secret, concat(a, labelSeed));
    output.set(block.subarray(0, Math.min(block.length, length - filled)), filled);
    filled += block.length;
  }
  return output;
}

export { concat as concatBytes };
