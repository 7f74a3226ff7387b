/**
 * QuicCrypto over WebCrypto (`crypto.subtle`), for the renderer and for Node ≥ 20's global
 * `crypto`. The core's lib has no DOM types, so the slice of SubtleCrypto used here is
 * declared structurally; the real object satisfies it.
 */
import type { QuicCrypto } from './crypto';

type KeyHandle = object;
/** WebCrypto accepts only views over a plain ArrayBuffer (not a SharedArrayBuffer). */
type OwnedBytes = Uint8Array<ArrayBuffer>;
type KeyUse = 'sign' | 'encrypt' | 'decrypt';

export interface SubtleCryptoLike {
  importKey(format: 'raw', keyData: OwnedBytes, algorithm: { name: string }, extractable: boolean, usages: KeyUse[]): Promise<KeyHandle>;
  sign(algorithm: string, key: KeyHandle, data: OwnedBytes): Promise<ArrayBuffer>;
  encrypt(algorithm: { name: string; iv: OwnedBytes }, key: KeyHandle, data: OwnedBytes): Promise<ArrayBuffer>;
  decrypt(algorithm: { name: string; iv: OwnedBytes; additionalData: OwnedBytes; tagLength: number }, key: KeyHandle, data: OwnedBytes): Promise<ArrayBuffer>;
}

const ZERO_IV: OwnedBytes = new Uint8Array(16);
/** A copy over a fresh ArrayBuffer; the inputs are small (keys, one block, one datagram). */
const owned = (bytes: Uint8Array): OwnedBytes => new Uint8Array(bytes);

export function createWebQuicCrypto(subtle: SubtleCryptoLike): QuicCrypto {
  return {
    async hmacSha256(key, data) {
      const algorithm: { name: string; hash: string } = { name: 'HMAC', hash: 'SHA-256' };
      const handle = await subtle.importKey('raw', owned(key), algorithm, false, ['sign']);
      return new Uint8Array(await subtle.sign('HMAC', handle, owned(data)));
    },
    async aesEcbEncryptBlock(key, block) {
      // WebCrypto has no raw ECB. CBC with a zero IV encrypts the first block exactly as ECB
      // does (C1 = E(K, P1 xor 0)); the second output block is padding and is dropped.
      const handle = await subtle.importKey('raw', owned(key), { name: 'AES-CBC' }, false, ['encrypt']);
      const output = await subtle.encrypt({ name: 'AES-CBC', iv: ZERO_IV }, handle, owned(block.subarray(0, 16)));
      return new Uint8Array(output, 0, 16);
    },
    async aes128GcmDecrypt(key, iv, aad, ciphertext) {
      const handle = await subtle.importKey('raw', owned(key), { name: 'AES-GCM' }, false, ['decrypt']);
      try {
        const algorithm = { name: 'AES-GCM', iv: owned(iv), additionalData: owned(aad), tagLength: 128 };
        return new Uint8Array(await subtle.decrypt(algorithm, handle, owned(ciphertext)));
      } catch {
        return null; // OperationError: the tag did not verify
      }
    },
  };
}
