/** QuicCrypto over `node:crypto`, for the engine and the `handshake` command. */
import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import type { QuicCrypto } from '../../shared/quic/crypto';

export function createNodeQuicCrypto(): QuicCrypto {
  return {
    async hmacSha256(key, data) {
      return new Uint8Array(createHmac('sha256', key).update(data).digest());
    },
    async aesEcbEncryptBlock(key, block) {
      const cipher = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false);
      return new Uint8Array(Buffer.concat([cipher.update(block.subarray(0, 16)), cipher.final()]));
    },
    async aes128GcmDecrypt(key, iv, aad, ciphertext) {
      if (ciphertext.length < 16) return null;
      const tagStart = ciphertext.length - 16;
      const decipher = createDecipheriv('aes-128-gcm', key, iv);
      decipher.setAAD(aad);
      decipher.setAuthTag(ciphertext.subarray(tagStart));
      try {
        return new Uint8Array(Buffer.concat([decipher.update(ciphertext.subarray(0, tagStart)), decipher.final()]));
      } catch {
        return null; // "Unsupported state or unable to authenticate data"
      }
    },
  };
}
