/**
 * Where tshark 4.0 and this tracker disagree, the RFC decides; each case is pinned here so
 * the divergence is deliberate and visible. (Segments whose header a snap length cut, which
 * tshark leaves unanalysed: snaplen.test.ts, beside the behaviour it pins.)
 */
import { describe, expect, it } from 'vitest';
import { analysisFlags, Conversation, HAS_TSHARK, tempFile, trackFile, tshark, tsharkFlags, writeCapture } from './scenario';

describe.skipIf(!HAS_TSHARK)('divergences from tshark 4.0', () => {
  it('a segment ending exactly at 2^32: the next sequence number 0 is a number like any other (RFC 9293 §3.4)', () => {
    // Client ISN 2^32 - 101: SYN takes one number, 100 bytes end exactly at 2^32 ≡ 0.
    const c = new Conversation({ address: '198.18.6.1', port: 40000, isn: 0xffffff9b }, { address: '198.18.6.2', port: 80, isn: 1000 });
    c.send('c', 'S').send('s', 'SA').send('c', 'A');
    const start = c.nextSeq('c');
    c.send('c', 'PA', { payload: new Uint8Array(100) }) // 4: ends at 0
      .send('c', 'PA', { payload: new Uint8Array(100), seq: start, dt: 1 }) // 5: the same bytes again
      .send('s', 'A');
    expect(c.nextSeq('c')).toBe(0);
    const file = writeCapture(c.frames, tempFile('wrap-zero.pcapng'));
    const t = trackFile(file);
    // Ours: frame 5 resends bytes already sent: a retransmission.
    expect(analysisFlags(t.keys[4])).toEqual(['retransmission']);
    // tshark 4.0 stores "no next sequence yet" as 0, so it forgets the stream position here.
    expect(tsharkFlags(file)[4]).not.toContain('retransmission');
  });

  it('window scaling when the SYN+ACK was not captured: unknown, not the SYN\u2019s shift (RFC 7323 §2.2)', () => {
    const all: Array<{ bytes: Uint8Array; tsSeconds: number; tsNanos: number }> = [];
    const c = new Conversation({ address: '198.18.6.3', port: 40000, isn: 10 }, { address: '198.18.6.4', port: 80, isn: 5000 }, all);
    c.send('c', 'S', { options: [{ kind: 'wscale', shift: 7 }] }).send('s', 'SA', { options: [{ kind: 'wscale', shift: 7 }] }).send('c', 'A', { window: 502 });
    const file = writeCapture([all[0], all[2]], tempFile('no-synack.pcapng'));
    const t = trackFile(file);
    // Scaling is in effect only if both SYNs carried the option; with the SYN+ACK unseen we cannot know.
    expect(t.keys[1]?.['tcp.window_size']).toBe(502);
    const theirs = tshark(file, ['tcp.window_size']);
    expect(theirs[1]['tcp.window_size']).toBe(String(502 * 128));
  });
});
