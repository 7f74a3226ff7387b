/**
 * SYN-flood detection: half-open connections (SYN answered by SYN+ACK, no final ACK) from
 * scattered sources raise one alert with its evidence; a busy healthy server never does.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_SYN_FLOOD_OPTIONS, SynFloodDetector } from '../../../shared/track/synflood';
import { Conversation, seededRandom, tempFile, trackFile, writeCapture } from './scenario';

type Frame = { bytes: Uint8Array; tsSeconds: number; tsNanos: number };

const TARGET = { address: '198.18.2.20', port: 80, isn: 0 };

describe('SYN flood', () => {
  it('many half-open connections from random spoofed sources raise one syn-flood alert with evidence', () => {
    const random = seededRandom(7);
    const frames: Frame[] = [];
    // A few real clients first, completing their handshakes.
    for (let i = 0; i < 5; i++) {
      new Conversation({ address: `198.18.9.${i + 1}`, port: 41000 + i, isn: 100 + i }, { ...TARGET, isn: 5000 + i }, frames, i * 1e8).send('c', 'S').send('s', 'SA').send('c', 'A');
    }
    // 300 spoofed SYNs over 3 s; the server answers each with a SYN+ACK that nobody acknowledges.
    for (let i = 0; i < 300; i++) {
      const source = `198.${18 + random(2)}.${random(256)}.${1 + random(254)}`;
      new Conversation({ address: source, port: 1024 + random(60000), isn: random(1 << 30) }, { ...TARGET, isn: random(1 << 30) }, frames, 1e9 + i * 1e7)
        .send('c', 'S', { dt: 0 })
        .send('s', 'SA', { dt: 0.0001 });
    }
    const file = writeCapture(frames, tempFile('flood.pcapng'));
    const t = trackFile(file);
    expect(t.alerts).toHaveLength(1);
    const alert = t.alerts[0];
    expect(alert).toMatchObject({ type: 'alert', kind: 'syn-flood', target: '198.18.2.20:80' });
    expect(alert.half_open).toBeGreaterThanOrEqual(DEFAULT_SYN_FLOOD_OPTIONS.minHalfOpen);
    expect(alert.half_open).toBeLessThanOrEqual(300);
    expect(alert.sources).toBeGreaterThanOrEqual(DEFAULT_SYN_FLOOD_OPTIONS.minSources);
    expect(alert.completion_ratio).toBeLessThanOrEqual(DEFAULT_SYN_FLOOD_OPTIONS.maxCompletionRatio);
    // The first evidence frame is the first spoofed SYN (frame 16, after the 5×3 real frames).
    expect(alert.first_frame).toBe(16);
    expect(alert.last_frame).toBeGreaterThan(alert.first_frame);
    expect(alert.sample_sources.length).toBe(10);
    // Zeek: the responder's SYN+ACK sets both endpoints ESTABLISHED (UpdateInactiveState), so a
    // SYN answered by SYN+ACK and nothing else is S1 with history Sh, not S0.
    const spoofed = t.json.slice(5);
    expect(new Set(spoofed.map((c) => `${c.conn_state} ${c.history}`))).toEqual(new Set(['S1 Sh']));
    // Each server endpoint is left in SYN_RECEIVED: the half-open entry the flood fills.
    expect(new Set(spoofed.map((c) => (c.final_state as { server: string }).server))).toEqual(new Set(['SYN_RECEIVED']));
  });

  it('a busy normal server (thousands of complete handshakes, some SYN retransmissions) never alerts', () => {
    const random = seededRandom(11);
    const frames: Frame[] = [];
    for (let i = 0; i < 2000; i++) {
      const c = new Conversation({ address: `198.18.${4 + random(4)}.${1 + random(254)}`, port: 1024 + random(60000), isn: random(1 << 30) }, { ...TARGET, isn: random(1 << 30) }, frames, i * 2e6);
      c.send('c', 'S', { dt: 0 });
      if (i % 50 === 0) c.send('c', 'S', { seq: c.nextSeq('c') - 1, dt: 1 }); // the first SYN was lost upstream
      c.send('s', 'SA', { dt: 0.0005 }).send('c', 'A', { dt: 0.0005 }).send('c', 'PA', { payload: 'GET /' }).send('s', 'RA', { dt: 0.001 });
    }
    const file = writeCapture(frames, tempFile('busy.pcapng'));
    const t = trackFile(file);
    expect(t.connections).toHaveLength(2000);
    expect(t.alerts).toEqual([]);
  });

  it('thresholds are configurable: the same small burst alerts under a stricter setting', () => {
    const random = seededRandom(3);
    const frames: Frame[] = [];
    for (let i = 0; i < 20; i++) {
      new Conversation({ address: `198.18.${random(256)}.${1 + random(254)}`, port: 2000 + i, isn: i }, { ...TARGET, isn: 1000 + i }, frames, i * 1e7).send('c', 'S').send('s', 'SA');
    }
    const file = writeCapture(frames, tempFile('burst.pcapng'));
    expect(trackFile(file).alerts).toEqual([]);
    const strict = trackFile(file, { synFlood: { minHalfOpen: 10, minSources: 5 } });
    expect(strict.alerts).toHaveLength(1);
    expect(strict.alerts[0].half_open).toBe(20);
  });

  it('keeps exact half-open and source counts through a long random life (queue slides, growth, expiry, pruning)', () => {
    const random = seededRandom(23);
    const windowSeconds = 10;
    const detector = new SynFloodDetector({ windowSeconds });
    const target = detector.targetId(1);
    const describe = { target: () => 't', source: () => 's' };
    // The model: every half-open entry ever made, with its time, source and whether it is still open.
    const model: Array<{ time: number; source: number; open: boolean; position: number }> = [];
    let time = 0;
    for (let step = 0; step < 30_000; step++) {
      time += random(1000) === 0 ? 15 : random(3) * 0.001; // now and then a gap longer than the window
      const roll = random(10);
      if (roll < 5) {
        // Sources repeat (a few busy clients) and spread (many one-off ones), past the pruning size.
        const source = random(2) === 0 ? random(50) : 1000 + random(20_000);
        model.push({ time, source, open: true, position: detector.synAckSent(target, source, step, step, time, describe) });
      } else if (roll < 9 && model.length > 0) {
        // Resolve a recent entry, open or not (a second resolution must change nothing).
        const entry = model[model.length - 1 - random(Math.min(model.length, 400))];
        detector.resolved(target, entry.position, random(2) === 0, time);
        entry.open = false;
      } else {
        detector.attempt(target, time);
      }
      const open = model.filter((entry) => entry.open && entry.time >= time - windowSeconds);
      const counts = detector.windowCounts(target);
      if (counts.halfOpen !== open.length || counts.sources !== new Set(open.map((entry) => entry.source)).size) {
        throw new Error(`step ${step}: detector ${JSON.stringify(counts)}, model ${open.length} half-open from ${new Set(open.map((entry) => entry.source)).size} sources`);
      }
      // Entries outside the window are gone for good, as in the detector.
      for (const entry of model) if (entry.time < time - windowSeconds) entry.open = false;
    }
  });
});
