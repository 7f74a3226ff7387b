/**
 * The fast path's TCP checksum verdict (used on every frame by tracking) must agree with the
 * full decoder's, whose statuses are cross-checked against Scapy and tshark elsewhere.
 * Frames: good, one bit off, offloaded (pseudo-header sum only), truncated; IPv4 and IPv6,
 * payloads short and long (the 32-bit summing path), odd lengths.
 */
import { describe, expect, it } from 'vitest';
import { encodeFrame } from '../../../shared/craft/encode';
import { tcpFrame } from '../../../shared/craft/templates';
import { foldSum, pseudoHeaderSum, summaryTcpChecksumStatus, summaryTcpChecksumStatusAt } from '../../../shared/wire/checksum';
import { decodeFrame, getField } from '../../../shared/wire/decode';
import { createPacketSummary } from '../../../shared/wire/summary';
import { summarize, summarizeAt } from '../../../shared/wire/summarize';

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 0x1_0000_0000;
  };
}

describe('summaryTcpChecksumStatus', () => {
  it('agrees with the full decoder on good, bad, offloaded and truncated segments', () => {
    const random = seeded(7);
    const summary = createPacketSummary();
    const seen = new Map<string, number>();
    for (let n = 0; n < 2000; n++) {
      const v6 = random() < 0.5;
      const payload = new Uint8Array(Math.floor(random() * 1500));
      for (let i = 0; i < payload.length; i++) payload[i] = Math.floor(random() * 256);
      const frame = encodeFrame(
        tcpFrame({
          src: v6 ? '2001:db8::1' : '198.18.0.1',
          dst: v6 ? '2001:db8::2' : '198.18.0.2',
          srcPort: 1024 + n,
          dstPort: 443,
          seq: Math.floor(random() * 0xffffffff),
          flags: 'PA',
          payload,
        }),
      );
      const tcpOffset = 14 + (v6 ? 40 : 20);
      const variant = Math.floor(random() * 4);
      let bytes = frame;
      if (variant === 1) bytes[tcpOffset + 16] ^= 1 << Math.floor(random() * 8);
      if (variant === 2) {
        // What a sending host with checksum offload captures: the folded pseudo-header sum.
        const upper = bytes.length - tcpOffset;
        const pseudo = foldSum(v6 ? pseudoHeaderSum(bytes, 22, 38, 16, 6, upper) : pseudoHeaderSum(bytes, 26, 30, 4, 6, upper));
        bytes[tcpOffset + 16] = pseudo >> 8;
        bytes[tcpOffset + 17] = pseudo & 0xff;
      }
      if (variant === 3) bytes = bytes.subarray(0, tcpOffset + 20 + Math.floor(random() * Math.max(1, payload.length)));
      summarize(bytes, 1, summary, frame.length);
      const fast = summaryTcpChecksumStatus(bytes, summary);
      const full = getField(decodeFrame(bytes, 1, { frameLength: frame.length }), 'tcp.checksum.status')?.value;
      expect(fast, `frame ${n} variant ${variant}`).toBe(full);
      // The same frame inside a file reader's chunk, with bytes after it that must not count.
      const chunk = new Uint8Array(7 + bytes.length + 40).fill(0x5a);
      chunk.set(bytes, 7);
      summarizeAt(chunk, 7, bytes.length, 1, summary, frame.length);
      expect(summaryTcpChecksumStatusAt(chunk, 7, bytes.length, summary), `frame ${n} variant ${variant} in a chunk`).toBe(full);
      seen.set(fast, (seen.get(fast) ?? 0) + 1);
    }
    expect([...seen.keys()].sort()).toEqual(['bad', 'good', 'partial', 'unverified']);
  });
});
