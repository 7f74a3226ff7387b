/**
 * Wireshark's TCP analysis flags on crafted captures, each frame cross-checked against
 * tshark on the same file, plus the counts and Zeek history letters they feed.
 */
import { describe, expect, it } from 'vitest';
import { isScaledHistoryStep } from '../../../shared/track/zeek';
import { analysisFlags, compareWithTshark, Conversation, HAS_TSHARK, tempFile, trackFile, tshark, writeCapture, type TrackedCapture } from './scenario';

const CLIENT = { address: '198.18.1.1', port: 45000, isn: 3_000_000 };
const SERVER = { address: '198.18.1.2', port: 8080, isn: 9_000_000 };
const WS = [{ kind: 'mss' as const, value: 1460 }, { kind: 'wscale' as const, shift: 7 }];

function open(c: Conversation): Conversation {
  return c.send('c', 'S', { options: WS }).send('s', 'SA', { options: WS }).send('c', 'A', { window: 502 });
}

function run(c: Conversation, name: string): { file: string; t: TrackedCapture } {
  const file = writeCapture(c.frames, tempFile(`${name}.pcapng`));
  return { file, t: trackFile(file) };
}

function expectTsharkAgrees(file: string, t: TrackedCapture): void {
  if (!HAS_TSHARK) return;
  const { ours, theirs } = compareWithTshark(file, t);
  expect(ours).toEqual(theirs);
}

const data = (n: number, fill = 0x61): Uint8Array => new Uint8Array(n).fill(fill);

describe('loss and reordering', () => {
  it('lost segment, duplicate ACKs with ordinals, fast retransmission, RTO retransmission, spurious retransmission, out-of-order', () => {
    const c = open(new Conversation(CLIENT, SERVER));
    const s1 = c.nextSeq('c');
    c.send('c', 'PA', { payload: data(100), window: 502 }); // 4
    c.send('c', 'PA', { payload: data(100), seq: s1 + 200, window: 502 }); // 5: s1+100 never captured
    c.send('s', 'A', { ack: s1 + 100, window: 509 }); // 6
    c.send('s', 'A', { ack: s1 + 100, window: 509, dt: 0.002 }); // 7 dup #1
    c.send('s', 'A', { ack: s1 + 100, window: 509, dt: 0.002 }); // 8 dup #2
    c.send('s', 'A', { ack: s1 + 100, window: 509, dt: 0.002 }); // 9 dup #3
    c.send('c', 'PA', { payload: data(100), seq: s1 + 100, window: 502, dt: 0.005 }); // 10 fast retransmission
    c.send('s', 'A', { ack: s1 + 300, window: 509 }); // 11
    c.send('c', 'PA', { payload: data(100), seq: s1 + 300, window: 502 }); // 12
    c.send('c', 'PA', { payload: data(100), seq: s1 + 300, window: 502, dt: 1 }); // 13 RTO retransmission
    c.send('s', 'A', { ack: s1 + 400, window: 509 }); // 14
    c.send('c', 'PA', { payload: data(100), seq: s1 + 300, window: 502, dt: 1 }); // 15 already ACKed: spurious
    c.send('c', 'PA', { payload: data(100), seq: s1 + 500, window: 502, dt: 0.5 }); // 16 ahead of s1+400
    c.send('c', 'PA', { payload: data(100), seq: s1 + 400, window: 502, dt: 0.001 }); // 17 late by 1 ms < iRTT: out-of-order
    c.send('s', 'A', { ack: s1 + 600, window: 509 }); // 18
    const { file, t } = run(c, 'loss');
    const flags = t.keys.map(analysisFlags);
    expect(flags[4]).toEqual(['lost_segment']);
    expect(flags[5]).toEqual([]); // acknowledges only what was captured
    expect(flags.slice(6, 9)).toEqual([['duplicate_ack'], ['duplicate_ack'], ['duplicate_ack']]);
    expect([7, 8, 9].map((n) => t.keys[n - 1]?.['tcp.analysis.duplicate_ack_num'])).toEqual([1, 2, 3]);
    expect(t.keys[6]?.['tcp.analysis.duplicate_ack_frame']).toBe(6);
    // Wireshark sets tcp.analysis.retransmission on fast and spurious retransmissions too.
    expect(flags[9]).toEqual(['fast_retransmission', 'retransmission']);
    expect(flags[12]).toEqual(['retransmission']);
    expect(flags[14]).toEqual(['retransmission', 'spurious_retransmission']);
    expect(flags[15]).toEqual(['lost_segment']);
    expect(flags[16]).toEqual(['out_of_order']);
    expect(t.json[0].counts).toEqual({
      retransmissions: 3,
      fast_retransmissions: 1,
      dup_acks: 3,
      out_of_order: 1,
      keepalives: 0,
      zero_windows: 0,
      window_updates: 0,
      lost_segments: 2,
      bad_checksums: 0,
    });
    // Zeek: data that does not advance the last sequence is 'T' (frames 10, 13, 15, 17: the 1st
    // records a T; a 10th would record another). Each hole is filled before an ACK passes over
    // it, so the reassembler sees no content gap: no 'G'.
    expect(t.json[0].history).toBe('ShADaT');
    if (HAS_TSHARK) {
      const { ours, theirs } = compareWithTshark(file, t);
      expect(ours).toEqual(theirs);
      const dup = tshark(file, ['tcp.analysis.duplicate_ack_num', 'tcp.analysis.duplicate_ack_frame']);
      for (const n of [7, 8, 9]) {
        expect(t.keys[n - 1]?.['tcp.analysis.duplicate_ack_num']).toBe(Number(dup[n - 1]['tcp.analysis.duplicate_ack_num']));
        expect(t.keys[n - 1]?.['tcp.analysis.duplicate_ack_frame']).toBe(Number(dup[n - 1]['tcp.analysis.duplicate_ack_frame']));
      }
    }
  });
});

describe('keep-alive', () => {
  it('probes with seq = next - 1 (0 and 1 byte) and their ACKs', () => {
    const c = open(new Conversation(CLIENT, SERVER))
      .send('c', 'PA', { payload: 'req', window: 502 })
      .send('s', 'PA', { payload: 'resp', window: 509 })
      .send('c', 'A', { window: 502 });
    const next = c.nextSeq('c');
    for (let i = 0; i < 3; i++) {
      c.send('c', 'A', { seq: next - 1, window: 502, dt: 75 }).send('s', 'A', { window: 509 });
    }
    c.send('c', 'A', { seq: next - 1, payload: data(1, 0), window: 502, dt: 75 }).send('s', 'A', { window: 509 });
    const { file, t } = run(c, 'keepalive');
    const flags = t.keys.map(analysisFlags);
    for (const n of [7, 9, 11, 13]) expect(flags[n - 1]).toEqual(['keep_alive']);
    for (const n of [8, 10, 12, 14]) expect(flags[n - 1]).toEqual(['keep_alive_ack']);
    expect(t.json[0].counts).toMatchObject({ keepalives: 4, retransmissions: 0 });
    expectTsharkAgrees(file, t);
  });
});

describe('windows', () => {
  it('zero window, zero-window probe, probe ACK, window update, window full', () => {
    const c = open(new Conversation(CLIENT, SERVER));
    const s1 = c.nextSeq('c');
    c.send('c', 'PA', { payload: data(1000), window: 502 }); // 4
    c.send('s', 'A', { window: 0 }); // 5 zero window
    c.send('c', 'A', { seq: s1 + 1000, payload: data(1, 0x7a), window: 502, dt: 0.2 }); // 6 zero-window probe
    c.send('s', 'A', { ack: s1 + 1000, window: 0 }); // 7 probe ACK, still zero
    c.send('s', 'A', { ack: s1 + 1000, window: 8, dt: 0.3 }); // 8 window update: 8 << 7 = 1024 bytes
    c.send('c', 'PA', { seq: s1 + 1000, payload: data(1024), window: 502 }); // 9 fills the window exactly
    c.send('s', 'A', { window: 509 }); // 10
    const { file, t } = run(c, 'windows');
    const flags = t.keys.map(analysisFlags);
    expect(flags[4]).toEqual(['zero_window']);
    expect(flags[5]).toEqual(['zero_window_probe']);
    expect(flags[6]).toEqual(['zero_window', 'zero_window_probe_ack']);
    expect(flags[7]).toEqual(['window_update']);
    expect(flags[8]).toEqual(['window_full']);
    expect(t.keys[7]?.['tcp.window_size']).toBe(1024);
    expect(t.json[0].counts).toMatchObject({ zero_windows: 2, window_updates: 1 });
    // Zeek: the responder's zero windows are 'w' (first of a logarithmic series); the probe's
    // byte does not advance the sender's last sequence beyond... it does: a 'D' is already there.
    expect(String(t.json[0].history)).toContain('w');
    expectTsharkAgrees(file, t);
  });

  it('scales the window only when both SYNs carried the option (RFC 7323 §2.2)', () => {
    const c = new Conversation(CLIENT, SERVER)
      .send('c', 'S', { options: WS })
      .send('s', 'SA', { options: [{ kind: 'mss', value: 1460 }] })
      .send('c', 'A', { window: 502 })
      .send('s', 'A', { window: 509 });
    const { file, t } = run(c, 'no-scaling');
    expect(t.keys[2]?.['tcp.window_size']).toBe(502);
    expect(t.keys[3]?.['tcp.window_size']).toBe(509);
    expectTsharkAgrees(file, t);
  });
});

describe('bad checksums', () => {
  it('are counted and marked (Zeek c/C), and a receiver ignores the segment that carries one', () => {
    const c = open(new Conversation(CLIENT, SERVER))
      .send('c', 'PA', { payload: 'data', window: 502, checksum: 0xbeef }) // 4: corrupted
      .send('c', 'PA', { payload: 'data', seq: CLIENT.isn + 1, window: 502, dt: 0.3 }) // 5: retransmitted intact
      .send('s', 'A', { window: 509 })
      .send('c', 'FA', { window: 502, checksum: 0xbeef }) // 7: corrupted FIN
      .send('c', 'FA', { seq: CLIENT.isn + 5, window: 502, dt: 0.3 }) // 8: intact FIN
      .send('s', 'FA', { window: 509 })
      .send('c', 'A', { window: 502 });
    const { file, t } = run(c, 'checksums');
    expect(t.json[0].counts).toMatchObject({ bad_checksums: 2 });
    // Zeek drops a bad-checksum segment after noting 'C'; the intact copies then read as first-time data and FIN.
    expect(t.json[0].history).toBe('ShACDaFf');
    // The server leaves ESTABLISHED on the intact FIN (frame 8), not on the corrupted one.
    expect(t.changes[6]).toEqual(['client:FIN_WAIT_1']);
    expect(t.changes[7]).toEqual(['server:CLOSE_WAIT']);
    expect(t.json[0].conn_state).toBe('SF');
    // tshark does not verify checksums by default, so the sequence analysis is the same as ours.
    expectTsharkAgrees(file, t);
  });

  it('Zeek records c, g, t and w logarithmically: at the 1st, 10th, 100th … occurrence', () => {
    const steps = Array.from({ length: 1000 }, (_, i) => i + 1).filter(isScaledHistoryStep);
    expect(steps).toEqual([1, 10, 100, 1000]);
    const c = open(new Conversation(CLIENT, SERVER));
    for (let i = 0; i < 10; i++) c.send('c', 'PA', { payload: 'x', window: 502, checksum: 0x1234 });
    const { t } = run(c, 'checksums-10');
    expect(t.json[0].history).toBe('ShACC');
  });
});
