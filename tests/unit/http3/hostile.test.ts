/** Hostile decrypted payloads: random bytes through the frame parser, QPACK and the HTTP/3 streams never throw or grow without bound. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { huffmanDecode } from '../../../shared/http2/hpack/huffman';
import { QpackDecoder } from '../../../shared/http3/qpack';
import { Http3Connection } from '../../../shared/http3/session';
import { parseFrames } from '../../../shared/quic/frames';

describe('hostile QUIC and HTTP/3 payloads', () => {
  it('random frames, field sections and stream data give reasons, never exceptions', () => {
    const h3 = new Http3Connection(huffmanDecode);
    const qpack = new QpackDecoder(huffmanDecode, 4096);
    for (let round = 0; round < 3000; round++) {
      const bytes = new Uint8Array(randomBytes(1 + (round % 300)));
      const parsed = parseFrames(bytes, round % 2 ? 'application' : 'handshake');
      expect(parsed.frames.length + (parsed.error ? 1 : 0)).toBeGreaterThan(0);
      qpack.encoderStream(bytes);
      const section = qpack.decode(bytes);
      expect(Array.isArray(section.fields)).toBe(true);
      const side = round % 2 ? 'client' : 'server';
      h3.stream(side, (round % 16) * 4 + (round % 4), (round * 37) % 5000, bytes, round);
    }
    expect(h3.problems.length).toBeLessThanOrEqual(8);
  });

  it('a DATA frame claiming 2^62 bytes is passed over, not buffered', () => {
    const h3 = new Http3Connection(huffmanDecode);
    const out = h3.stream('server', 0, 0, Uint8Array.from([0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3]), 1);
    expect(out).toEqual([]);
    expect(h3.stream('server', 0, 12, new Uint8Array(100_000), 2)).toEqual([]);
  });
});
