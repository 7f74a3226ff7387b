/**
 * Hostile bytes: truncations, bit flips and random datagrams dressed as QUIC must come back
 * as flagged records, never as an exception, a hang or a hello read from garbage.
 */
import { describe, expect, it } from 'vitest';
import { createNodeQuicCrypto } from '../../../electron/engine/quic-crypto';
import { analyzeQuicDatagram } from '../../../shared/quic/analyze';
import { CryptoStreamAssembler } from '../../../shared/quic/crypto-stream';
import { parseHandshakeFrames } from '../../../shared/quic/frames';
import { QuicAttemptTracker } from '../../../shared/quic/tracker';
import { fromHex } from '../../../shared/wire/bytes';
import { RFC9001 } from './rfc9001-vectors';

const crypto = createNodeQuicCrypto();
const clientInitial = fromHex(RFC9001.clientProtectedPacket);

/** A small deterministic PRNG so a failure can be replayed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('hostile QUIC datagrams', () => {
  it('flags every truncation of the RFC client Initial without throwing', async () => {
    for (let length = 0; length < clientInitial.length; length += 7) {
      const infos = await analyzeQuicDatagram(clientInitial.subarray(0, length), crypto);
      for (const info of infos) {
        expect(info.hello).toBeNull();
        expect(info.error, `length ${length}`).not.toBeNull();
      }
    }
  });

  it('never reads a hello from a packet with a flipped bit outside the header fields', async () => {
    const random = prng(9001);
    for (let round = 0; round < 300; round++) {
      const mutated = clientInitial.slice();
      const index = 18 + Math.floor(random() * (mutated.length - 18)); // protected packet number and payload
      mutated[index] ^= 1 << Math.floor(random() * 8);
      const [info] = await analyzeQuicDatagram(mutated, crypto);
      expect(info.openedWith, `byte ${index}`).toBeNull();
      expect(info.error).toMatch(/^Initial not decrypted/);
    }
  });

  it('survives random long-header datagrams through the tracker', async () => {
    const random = prng(443);
    const tracker = new QuicAttemptTracker(crypto, { maxAttempts: 50 });
    for (let round = 0; round < 2000; round++) {
      const length = 1 + Math.floor(random() * 1300);
      const bytes = new Uint8Array(length);
      for (let i = 0; i < length; i++) bytes[i] = Math.floor(random() * 256);
      bytes[0] |= 0xc0;
      if (round % 2 === 0 && length > 5) bytes.set([0, 0, 0, 1], 1); // claim QUIC v1
      if (round % 5 === 0 && length > 6) bytes[5] = Math.min(bytes[5], 20);
      const meta = { frame: round + 1, time: `${round}.000000000`, source: '198.18.0.1:50000', destination: '198.18.0.2:443', srcPort: 50000, dstPort: 443 };
      await expect(tracker.observe(meta, bytes)).resolves.toBeInstanceOf(Array);
    }
    expect(tracker.attempts().length).toBeLessThanOrEqual(50);
    for (const attempt of tracker.attempts()) expect(attempt.clientHello).toBeNull();
  });

  it('rejects frames whose lengths point past the payload', () => {
    expect(parseHandshakeFrames(fromHex('06 00 4400 01')).error).toMatch(/CRYPTO data of 1024 bytes runs past/);
    expect(parseHandshakeFrames(fromHex('02 00 00 7fff 00')).error).toMatch(/ACK Range Count 16383 cannot fit/);
    expect(parseHandshakeFrames(fromHex('1c 00 00 10 41')).error).toMatch(/reason runs past/);
    expect(parseHandshakeFrames(fromHex('08 00 00')).error).toMatch(/frame type 0x8 is not allowed/); // STREAM
  });

  it('bounds CRYPTO reassembly: data far past the budget is ignored, not allocated', () => {
    const assembler = new CryptoStreamAssembler(4096);
    expect(assembler.push(2 ** 40, new Uint8Array(10))).toBeNull();
    expect(assembler.problem).toMatch(/beyond 4096 bytes/);
    // A hello that claims 16 MB never completes and is reported.
    assembler.push(0, fromHex('01 ffffff 0303'));
    expect(assembler.hello).toBeNull();
    expect(assembler.contiguousLength).toBe(6);
  });
});

describe('variable-length integers (RFC 9000 Appendix A.1 examples)', () => {
  it('decodes the sample encodings', async () => {
    const { readVarint } = await import('../../../shared/quic/varint');
    const read = (hex: string) => readVarint(fromHex(hex), 0, hex.length / 2);
    expect(read('9d7f3e7d')).toEqual({ value: 494878333, length: 4 });
    expect(read('7bbd')).toEqual({ value: 15293, length: 2 });
    expect(read('25')).toEqual({ value: 37, length: 1 });
    expect(read('4025')).toEqual({ value: 37, length: 2 });
    const large = read('c2197c5eff14e88c');
    expect(large?.length).toBe(8);
    expect(Math.abs(large!.value - 151288809941952652) / 151288809941952652).toBeLessThan(1e-15); // above 2^53: approximate
    expect(read('9d7f3e')).toBeNull(); // truncated
  });
});

describe('what follows the last long-header packet of a datagram', () => {
  it('ignores zero padding, counts a short-header packet, and flags anything else', async () => {
    const withTail = (tail: number[]) => {
      const datagram = new Uint8Array(clientInitial.length + tail.length);
      datagram.set(clientInitial);
      datagram.set(tail, clientInitial.length);
      return analyzeQuicDatagram(datagram, crypto);
    };
    const padded = await withTail(new Array(40).fill(0));
    expect(padded.map((info) => [info.type, info.error])).toEqual([['initial', null]]);
    const coalesced = await withTail([0x41, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    expect(coalesced.map((info) => info.type)).toEqual(['initial', 'short']);
    const junk = await withTail([0x01, 0x02, 0x03]);
    expect(junk).toHaveLength(1);
    expect(junk[0].error).toBe('3 bytes after the last packet are not a QUIC packet');
    expect(junk[0].hello?.serverName).toBe('example.com'); // the packet before the junk is still read
  });
});
