/**
 * QuicCrypto over WebCrypto (`crypto.subtle`), for the renderer and for Node ≥ 20's global
 * `crypto`. The core's lib has no DOM types, so the slice of SubtleCrypto used here is
 * declared structurally; the real object satisfies it.
 */
import type { QuicCrypto } from './crypto';

type KeyHandle = object;

export interface SubtleCryptoLike {
  importKey(format: 'raw', keyData: Uint8Array, algorithm: { name: string; hash?: string }, extractable: boolean, usages: string[]): Promise<KeyHandle>;
  sign(algorithm: string, key: KeyHandle, data: Uint8Array): Promise<ArrayBuffer>;
  encrypt(algorithm: { name: string; iv: Uint8Array }, key: KeyHandle, data: Uint8Array): Promise<ArrayBuffer>;
  decrypt(algorithm: { name: string; iv: Uint8Array; additionalData: Uint8Array; tagLength: number }, key: KeyHandle, data: Uint8Array): Promise<ArrayBuffer>;
}

const ZERO_IV = new Uint8Array(16);

export function createWebQuicCrypto(subtle: SubtleCryptoLike): QuicCrypto {
  return {
    async hmacSha256(key, data) {
      const handle = await subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
      return new Uint8Array(await subtle.sign('HMAC', handle, data));
    },
    async aesEcbEncryptBlock(key, block) {
      // WebCrypto has no raw ECB. CBC with a zero IV encrypts the first block exactly as ECB
      // does (C1 = E(K, P1 xor 0)); the second output block is padding and is dropped.
      const handle = await subtle.importKey('raw', key, { name: 'AES-CBC' }, false, ['encrypt']);
      const output = await subtle.encrypt({ name: 'AES-CBC', iv: ZERO_IV }, handle, block.subarray(0, 16));
      return new Uint8Array(output, 0, 16);
    },
    async aes128GcmDecrypt(key, iv, aad, ciphertext) {
      const handle = await subtle.importKey('raw', key, { name: 'AES-GCM' }, false, ['decrypt']);
      try {
        return new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv, additionalData: aad, tagLength: 128 }, handle, ciphertext));
      } catch {
        return null; // OperationError: the tag did not verify
      }
    },
  };
}
