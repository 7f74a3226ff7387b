/** TlsCrypto over `node:crypto`, for the engine and the `handshake` command. */
import type { CipherGCMTypes } from 'node:crypto';
import { nodeCrypto } from './node-crypto';
import type { TlsCrypto } from '../../shared/tls/crypto';

const TAG = 16;

export function createNodeTlsCrypto(): TlsCrypto {
  return {
    hmac(hash, key, data) {
      const digest = nodeCrypto().createHmac(hash, key).update(data).digest();
      return new Uint8Array(digest.buffer, digest.byteOffset, digest.length); // a view: no copy
    },
    aeadOpen(aead, key, nonce, aad, ciphertext) {
      if (ciphertext.length < TAG) return null;
      const tagStart = ciphertext.length - TAG;
      try {
        const { createDecipheriv } = nodeCrypto();
        const decipher =
          aead === 'chacha20-poly1305'
            ? createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG })
            : createDecipheriv(aead as CipherGCMTypes, key, nonce);
        decipher.setAAD(aad, { plaintextLength: tagStart });
        decipher.setAuthTag(ciphertext.subarray(tagStart));
        const head = decipher.update(ciphertext.subarray(0, tagStart));
        const tail = decipher.final();
        if (tail.length === 0) return new Uint8Array(head.buffer, head.byteOffset, head.length);
        return new Uint8Array(Buffer.concat([head, tail]));
      } catch {
        return null; // the tag did not verify
      }
    },
  };
}
