/**
 * The JavaScript HMAC-SHA-256 of the TLS key schedule against RFC 4231's test cases and against
 * node:crypto (OpenSSL) on keys and messages of every length around the block boundaries.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HmacSha256, sha256 } from '../../../shared/tls/hmac-sha256';
import { bytesToHex, hexToBytes } from '../../../shared/tls';

const text = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe('HMAC-SHA-256', () => {
  it('gives RFC 4231 §4 test cases 1, 2, 3, 4, 6 and 7', () => {
    const cases: Array<[Uint8Array, Uint8Array, string]> = [
      [new Uint8Array(20).fill(0x0b), text('Hi There'), 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7'],
      [text('Jefe'), text('what do ya want for nothing?'), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'],
      [new Uint8Array(20).fill(0xaa), new Uint8Array(50).fill(0xdd), '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe'],
      [hexToBytes('0102030405060708090a0b0c0d0e0f10111213141516171819'), new Uint8Array(50).fill(0xcd), '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b'],
      [new Uint8Array(131).fill(0xaa), text('Test Using Larger Than Block-Size Key - Hash Key First'), '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54'],
      [
        new Uint8Array(131).fill(0xaa),
        text('This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.'),
        '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
      ],
    ];
    for (const [key, data, mac] of cases) expect(bytesToHex(new HmacSha256(key).mac(data))).toBe(mac);
  });

  it('agrees with node:crypto on every key and message length from 0 to 200 bytes, one key reused for many messages', () => {
    for (let keyLength = 0; keyLength <= 200; keyLength += 3) {
      const key = randomBytes(keyLength);
      const hmac = new HmacSha256(key);
      for (let length = 0; length <= 200; length++) {
        const data = randomBytes(length);
        expect(bytesToHex(hmac.mac(data))).toBe(createHmac('sha256', key).update(data).digest('hex'));
      }
      expect(hmac.isFor(key)).toBe(true);
      expect(hmac.isFor(Uint8Array.from(key, (b, i) => (i === 0 ? b ^ 1 : b)))).toBe(keyLength === 0);
    }
  });

  it('hashes as SHA-256 does, across the 55/56/64-byte padding edges and a long message', () => {
    for (const length of [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 100_000]) {
      const data = randomBytes(length);
      expect(bytesToHex(sha256(data))).toBe(createHash('sha256').update(data).digest('hex'));
    }
  });
});
