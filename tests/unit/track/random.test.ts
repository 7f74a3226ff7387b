/**
 * Property test against tshark: many interleaved connections with seeded random loss,
 * retransmission, reordering, duplicate ACKs, keep-alives and zero windows, IPv4 and IPv6,
 * with and without window scaling. Every frame's stream, relative numbers, scaled window and
 * analysis flags must equal tshark's.
 */
import { describe, expect, it } from 'vitest';
import { compareWithTshark, Conversation, HAS_TSHARK, seededRandom, tempFile, trackFile, writeCapture } from './scenario';

type Frame = { bytes: Uint8Array; tsSeconds: number; tsNanos: number };

function randomCapture(seed: number): Frame[] {
  const random = seededRandom(seed);
  const kept: Frame[] = [];
  for (let i = 0; i < 24; i++) {
    const v6 = random(2) === 0;
    const client = { address: v6 ? `2001:db8::${i + 1}` : `198.18.7.${i + 1}`, port: 30000 + random(30000), isn: random(0xffffffff) };
    const server = { address: v6 ? '2001:db8::ffff' : '198.18.7.250', port: 443, isn: random(0xffffffff) };
    // Frames go to a scratch list first; `drop` leaves one out of the capture (lost before the tap).
    const scratch: Frame[] = [];
    const c = new Conversation(client, server, scratch, i * 3e7);
    const ws = random(3) !== 0;
    const options = ws ? [{ kind: 'mss' as const, value: 1460 }, { kind: 'wscale' as const, shift: random(9) }] : [{ kind: 'mss' as const, value: 1460 }];
    c.send('c', 'S', { options, dt: 0.001 }).send('s', 'SA', { options, dt: 0.001 + random(20) / 1000 }).send('c', 'A', { dt: 0.001 + random(20) / 1000 });
    const drop = new Set<number>();
    for (let step = 0; step < 20; step++) {
      const from = random(3) === 0 ? 's' : 'c';
      const to = from === 'c' ? 's' : 'c';
      const dt = 0.0005 + random(40) / 1000;
      const event = random(12);
      const start = c.nextSeq(from);
      if (event === 0) {
        // lost before the capture point, then retransmitted after a timeout
        c.send(from, 'PA', { payload: new Uint8Array(1 + random(300)), dt });
        drop.add(scratch.length - 1);
        c.send(from, 'PA', { payload: new Uint8Array(1 + random(300)), dt: 0.001 });
        c.send(to, 'A', { ack: start, dt: 0.001 });
        c.send(to, 'A', { ack: start, dt: 0.001 });
        c.send(to, 'A', { ack: start, dt: 0.001 });
        c.send(from, 'PA', { payload: new Uint8Array(c.nextSeq(from) - start), seq: start, dt: 0.002 + random(2) * 0.3 });
        c.send(to, 'A', { dt: 0.001 });
      } else if (event === 1) {
        // reordered: the second segment overtakes the first
        c.send(from, 'PA', { payload: new Uint8Array(100), seq: start + 100, dt });
        c.send(from, 'PA', { payload: new Uint8Array(100), seq: start, dt: 0.0001 + random(2) * 0.2 });
        c.send(to, 'A', { dt: 0.001 });
      } else if (event === 2) {
        // keep-alive and its ACK
        c.send(from, 'A', { seq: start - 1, dt: 1 + random(60) }).send(to, 'A', { dt: 0.001 });
      } else if (event === 3) {
        // the receiver's window closes, a probe, then it opens again
        c.send(from, 'PA', { payload: new Uint8Array(50), dt });
        c.send(to, 'A', { window: 0, dt: 0.001 });
        c.send(from, 'A', { payload: new Uint8Array(1), dt: 0.2 });
        c.send(to, 'A', { window: 0, ack: start + 50, dt: 0.001 });
        c.send(to, 'A', { window: 4000, ack: start + 50, dt: 0.1 });
        c.send(from, 'PA', { payload: new Uint8Array(1), seq: start + 50, dt: 0.001 });
        c.send(to, 'A', { dt: 0.001 });
      } else {
        c.send(from, 'PA', { payload: new Uint8Array(1 + random(1400)), dt });
        if (random(2) === 0) c.send(to, 'A', { dt: 0.001 });
      }
    }
    const end = random(3);
    if (end === 0) c.send('c', 'RA', { dt: 0.01 });
    else {
      const closer = end === 1 ? 'c' : 's';
      const other = closer === 'c' ? 's' : 'c';
      c.send(closer, 'FA', { dt: 0.01 }).send(other, 'FA', { dt: 0.001 }).send(closer, 'A', { dt: 0.001 });
    }
    scratch.forEach((f, index) => {
      if (!drop.has(index)) kept.push(f);
    });
  }
  return kept;
}

describe.skipIf(!HAS_TSHARK)('random conversations against tshark', () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`seed ${seed}: every frame agrees`, () => {
      const file = writeCapture(randomCapture(seed), tempFile(`random-${seed}.pcapng`));
      const t = trackFile(file);
      const { ours, theirs } = compareWithTshark(file, t);
      const disagreements = ours.map((o, i) => (o === theirs[i] ? null : `frame ${i + 1}: ours ${o} | tshark ${theirs[i]}`)).filter((d) => d !== null);
      expect(disagreements).toEqual([]);
      expect(t.connections).toHaveLength(24);
    });
  }
});

describe('per-frame phase', () => {
  // The packet list colours handshake and teardown rows from the phase reported while each
  // frame is tracked; it must name exactly the frames the connection summaries list.
  for (const seed of [7, 8, 9]) {
    it(`seed ${seed}: phase marks are exactly the summaries' handshake and teardown frames`, () => {
      const file = writeCapture(randomCapture(seed), tempFile(`phase-${seed}.pcapng`));
      const t = trackFile(file);
      const framesIn = (phase: string) => t.phases.flatMap((p, i) => (p === phase ? [i + 1] : []));
      const listed = (pick: (c: (typeof t.connections)[number]) => number[]) => t.connections.flatMap(pick).sort((a, b) => a - b);
      expect(framesIn('handshake')).toEqual(listed((c) => c.handshake.frames));
      expect(framesIn('teardown')).toEqual(listed((c) => c.teardown.frames));
      expect(framesIn('handshake').length).toBeGreaterThanOrEqual(3 * 24);
      expect(framesIn('teardown').length).toBeGreaterThan(0);
    });
  }
});

