/** QuicCrypto over `node:crypto`, for the engine and the `handshake` command. */
import type { Cipher } from 'node:crypto';
import type { QuicCrypto } from '../../shared/quic/crypto';
import type { QuicTlsCrypto } from '../../shared/quic/packet-keys';
import { nodeCrypto } from './node-crypto';
import { createNodeTlsCrypto } from './tls-crypto';

export function createNodeQuicCrypto(): QuicCrypto {
  return {
    async hmacSha256(key, data) {
      return new Uint8Array(nodeCrypto().createHmac('sha256', key).update(data).digest());
    },
    async aesEcbEncryptBlock(key, block) {
      const cipher = nodeCrypto().createCipheriv('aes-128-ecb', key, null).setAutoPadding(false);
      return new Uint8Array(Buffer.concat([cipher.update(block.subarray(0, 16)), cipher.final()]));
    },
    async aes128GcmDecrypt(key, iv, aad, ciphertext) {
      if (ciphertext.length < 16) return null;
      const tagStart = ciphertext.length - 16;
      const decipher = nodeCrypto().createDecipheriv('aes-128-gcm', key, iv);
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

/** The synchronous primitives of Handshake and 1-RTT packet protection: TLS's, plus the header-protection mask. */
export function createNodeQuicTlsCrypto(): QuicTlsCrypto {
  // AES-ECB without padding keeps no state between whole blocks: one cipher per header-protection key serves every packet.
  const ecbByKey = new WeakMap<Uint8Array, Cipher>();
  return {
    ...createNodeTlsCrypto(),
    headerMask(cipher, key, sample) {
      if (cipher === 'chacha20') {
        // RFC 9001 §5.4.4: counter = sample[0..4] (little-endian), nonce = sample[4..16]: OpenSSL's 16-byte IV is exactly that.
        const stream = nodeCrypto().createCipheriv('chacha20', key, sample.subarray(0, 16));
        return new Uint8Array(stream.update(new Uint8Array(5)));
      }
      // A short sample would leave a partial block buffered in a shared cipher.
      if (sample.length < 16) return new Uint8Array(nodeCrypto().createCipheriv(cipher, key, null).setAutoPadding(false).update(sample));
      let aes = ecbByKey.get(key);
      if (!aes) {
        aes = nodeCrypto().createCipheriv(cipher, key, null).setAutoPadding(false);
        ecbByKey.set(key, aes);
      }
      return aes.update(sample.subarray(0, 16));
    },
  };
}
