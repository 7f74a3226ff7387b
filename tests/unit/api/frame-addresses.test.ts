/**
 * The index keeps each frame's addresses as ids into one list of address texts. Many distinct
 * IPv6 addresses (past every growth of the id table) must each keep their own id and text.
 */
import { describe, expect, it } from 'vitest';
import { encodeFrame, tcpFrame } from '../../../shared/craft';
import { FrameFacts } from '../../../electron/engine/frame-facts';
import { FrameIndex } from '../../../electron/engine/frame-index';

function ingest(facts: FrameFacts, index: FrameIndex, bytes: Uint8Array): number {
  const i = index.append();
  index.capturedLength[i] = bytes.length;
  index.originalLength[i] = bytes.length;
  index.linkType[i] = 1;
  facts.ingest(i, bytes, 0, bytes.length, 1);
  return i;
}

describe('address ids', () => {
  it('gives 5,000 distinct IPv6 sources (differing in any word) distinct ids and their own text, and reuses them', () => {
    const index = new FrameIndex();
    const facts = new FrameFacts(index);
    const address = (n: number) => `2001:db8:${(n % 7).toString(16)}:${(n >> 4).toString(16)}::${(n & 0xf).toString(16)}:${n.toString(16)}`;
    const expected = new Map<number, string>();
    for (const round of [0, 1]) {
      for (let n = 0; n < 5000; n++) {
        const bytes = encodeFrame(tcpFrame({ src: address(n), dst: '2001:db8::ffff', srcPort: 1000 + (n % 50000), dstPort: 80, flags: 'S', seq: n }));
        const i = ingest(facts, index, bytes);
        const id = index.srcAddress[i];
        if (round === 0) expected.set(n, index.addresses[id]);
        else expect(index.addresses[id]).toBe(expected.get(n));
      }
    }
    // Text as Wireshark writes it (RFC 5952), one id per distinct address, plus the shared destination.
    expect(expected.get(0x123)).toBe('2001:db8:4:12::3:123');
    expect(new Set(expected.values()).size).toBe(5000);
    expect(index.addresses.length).toBe(1 + 5000 + 1);
    expect(index.addresses[index.dstAddress[0]]).toBe('2001:db8::ffff');
  });
});
