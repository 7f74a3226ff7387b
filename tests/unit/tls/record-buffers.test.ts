/**
 * Records that span segments are held in buffers one dissector passes between its connections
 * (shared/tls/session.ts RecordBuffers). Connections whose large protected records arrive
 * interleaved, segment by segment, must each decrypt to exactly what was encrypted (by
 * node:crypto here): a buffer handed to two unfinished records at once would fail the tag.
 */
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createNodeTlsCrypto } from '../../../electron/engine/tls-crypto';
import { KeyLog, TlsDissector } from '../../../shared/tls';

/** HKDF-Expand-Label for one SHA-256 block (RFC 8446 §7.1), written here with node:crypto as the oracle. */
function expandLabel(secret: Buffer, label: string, length: number): Buffer {
  const full = Buffer.from(`tls13 ${label}`, 'ascii');
  const info = Buffer.concat([Buffer.from([length >> 8, length & 0xff, full.length]), full, Buffer.from([0, 1])]);
  return createHmac('sha256', secret).update(info).digest().subarray(0, length);
}

function protect(secret: Buffer, seq: number, content: Buffer): Buffer {
  const key = expandLabel(secret, 'key', 16);
  const nonce = Buffer.from(expandLabel(secret, 'iv', 12));
  nonce.writeUInt32BE((nonce.readUInt32BE(8) ^ seq) >>> 0, 8);
  const inner = Buffer.concat([content, Buffer.from([23])]);
  const header = Buffer.from([23, 3, 3, (inner.length + 16) >> 8, (inner.length + 16) & 0xff]);
  const cipher = createCipheriv('aes-128-gcm', key, nonce);
  cipher.setAAD(header);
  return Buffer.concat([header, cipher.update(inner), cipher.final(), cipher.getAuthTag()]);
}

const handshakeRecord = (type: number, body: number[]) => Buffer.from([22, 3, 1, 0, body.length + 4, type, 0, body.length >> 8, body.length & 0xff, ...body]);

describe('record buffers shared by a dissector’s connections', () => {
  it('decrypts large records of interleaved connections, each cut into segments, to exactly what was sent', () => {
    const connections = Array.from({ length: 6 }, (_, stream) => {
      const random = randomBytes(32);
      const secret = randomBytes(32);
      // Sizes around the pooled threshold and up to the largest TLS 1.3 record.
      const payloads = [5000, 16384, 4095, 9000, 100, 16384].map((size) => randomBytes(size - stream));
      const bytes = Buffer.concat(payloads.map((payload, seq) => protect(secret, seq, payload)));
      return { stream, random, secret, payloads, bytes, at: 0, received: [] as Buffer[] };
    });
    const keys = KeyLog.parse(connections.map((c) => `SERVER_TRAFFIC_SECRET_0 ${c.random.toString('hex')} ${c.secret.toString('hex')}\n`).join(''));
    const tls = new TlsDissector(createNodeTlsCrypto(), keys);
    for (const c of connections) {
      const clientHello = handshakeRecord(1, [3, 3, ...c.random, 0, 0, 2, 0x13, 0x01, 1, 0, 0, 7, 0, 43, 0, 3, 2, 3, 4]);
      const serverHello = handshakeRecord(2, [3, 3, ...new Array<number>(32).fill(7), 0, 0x13, 0x01, 0, 0, 6, 0, 43, 0, 2, 3, 4]);
      tls.segment(c.stream, true, 1, clientHello);
      tls.segment(c.stream, false, 1, serverHello);
      c.at = serverHello.length;
    }
    const start = new Map(connections.map((c) => [c.stream, c.at]));
    // Round robin, one segment of each connection at a time, in a reused buffer as a capture reader's.
    const scratch = new Uint8Array(1448);
    let left = connections.length;
    for (let turn = 0; left > 0; turn++) {
      left = 0;
      for (const c of connections) {
        const offset = c.at - start.get(c.stream)!;
        if (offset >= c.bytes.length) continue;
        const size = Math.min(1448 - ((turn + c.stream) % 7) * 100, c.bytes.length - offset);
        scratch.set(c.bytes.subarray(offset, offset + size));
        for (const record of tls.segment(c.stream, false, 1 + c.at, scratch.subarray(0, size))) {
          expect(record.decrypted, record.undecryptedReason ?? '').toBe(true);
          c.received.push(Buffer.from(record.appData!));
        }
        scratch.fill(0xee);
        c.at += size;
        left++;
      }
    }
    for (const c of connections) expect(c.received.map((b) => b.toString('hex'))).toEqual(c.payloads.map((p) => p.toString('hex')));
  });
});
