/**
 * A stream graph's overview (shared/graphs/overview.ts) against the full graph it was cut from:
 * drawn at the size it was made for, every graph kind covers exactly the pixels the full rows
 * cover (points and bars through the canvas' own rasteriser, lines and steps through the same
 * per-column vertices), the axes' ranges are the same (extremes kept), and every full row's
 * point still has a clickable point on its pixel.
 */
import { describe, expect, it } from 'vitest';
import type { StreamGraph } from '../../../shared/api';
import { GRAPH_KINDS, graphSpec, lineRows, nearestRow, rasterRuns, seriesRange, streamGraphOverview, type GraphKind, type PixelView } from '../../../shared/graphs';

/** A bulk transfer with retransmissions (far below the ramp), SACK blocks, and an ACK per two segments. */
function bulkGraph(segments: number, seed = 11): StreamGraph {
  let state = seed;
  const random = () => (state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const f = (n: number) => new Float64Array(n);
  const seg = { frame: f(segments), time: f(segments), seq: f(segments), end: f(segments), len: f(segments), bytesInFlight: f(segments), throughput: f(segments), retransmission: f(segments) };
  const ackCount = Math.floor(segments / 2);
  const acks = { frame: f(ackCount), time: f(ackCount), ack: f(ackCount), window: f(ackCount), windowEdge: f(ackCount) };
  const rtt = { frame: f(ackCount), time: f(ackCount), rtt: f(ackCount), seq: f(ackCount), acksFrame: f(ackCount) };
  const sackRows: number[][] = [];
  let frame = 1;
  let t = 0;
  let a = 0;
  for (let i = 0; i < segments; i++) {
    t += random() * 0.0002;
    const retransmitted = random() < 0.01;
    const seq = retransmitted ? Math.floor(random() * i) * 1448 : i * 1448;
    seg.frame[i] = frame++;
    seg.time[i] = t;
    seg.seq[i] = seq;
    seg.len[i] = random() < 0.05 ? 0 : 1448;
    seg.end[i] = seq + seg.len[i];
    seg.bytesInFlight[i] = seg.len[i] ? Math.floor(random() * 64) * 1448 : 0;
    seg.throughput[i] = random() * 1e8;
    seg.retransmission[i] = retransmitted ? 1 : 0;
    if (i % 2 === 1 && a < ackCount) {
      t += random() * 0.0001;
      acks.frame[a] = frame;
      acks.time[a] = t;
      acks.ack[a] = seq + 1448;
      acks.window[a] = 65535 + Math.floor(random() * 1000) * 64;
      acks.windowEdge[a] = acks.ack[a] + acks.window[a];
      rtt.frame[a] = frame;
      rtt.time[a] = t;
      rtt.rtt[a] = random() * 0.05;
      rtt.seq[a] = seq;
      rtt.acksFrame[a] = seg.frame[i];
      if (random() < 0.05) for (let k = 0, blocks = 1 + Math.floor(random() * 3); k < blocks; k++) sackRows.push([frame, t, seq + 1448 * (2 + k * 3), seq + 1448 * (3 + k * 3)]);
      frame++;
      a++;
    }
  }
  const column = (k: number) => Float64Array.from(sackRows, (r) => r[k]);
  return { stream: 0, sender: '198.18.0.1:40000', receiver: '198.18.0.2:443', direction: 'client', maWindow: 0.05, segments: seg, acks, rtt, sack: { frame: column(0), time: column(1), left: column(2), right: column(3) } };
}

const runs = (view: PixelView, x: ArrayLike<number>, y: ArrayLike<number>, y2: ArrayLike<number> | null) => {
  const { runs: r, count } = rasterRuns(view, x, y, y2);
  return Array.from(r.subarray(0, count * 3)).join(',');
};
const vertices = (view: PixelView, x: ArrayLike<number>, y: ArrayLike<number>) => Array.from(lineRows(view, x, y), (row) => `${x[row]}:${y[row]}`).join(' ');

describe('stream graph overview', () => {
  const full = bulkGraph(30_000);
  const size = { width: 900, height: 500 };

  for (const { kind } of GRAPH_KINDS) {
    for (const rttAxis of kind === 'rtt' ? (['seq', 'time'] as const) : (['seq'] as const)) {
      it(`${kind}${kind === 'rtt' ? ` by ${rttAxis}` : ''}: the same pixels and ranges as the full rows, from far fewer rows`, () => {
        const overview = streamGraphOverview(full, { kind: kind as GraphKind, rttAxis, ...size });
        const a = graphSpec(full, kind, { rttAxis });
        const b = graphSpec(overview, kind, { rttAxis });
        expect(overview.overview?.points).toBe(a.series.reduce((n, s) => n + s.x.length, 0));
        for (const axis of ['x', 'y', 'y2'] as const) expect(seriesRange(b.series, axis)).toEqual(seriesRange(a.series, axis));
        const x = seriesRange(a.series, 'x');
        let kept = 0;
        a.series.forEach((s, k) => {
          const o = b.series[k];
          kept += o.x.length;
          const [y0, y1] = seriesRange(a.series, s.axis);
          const view: PixelView = { x0: x[0], x1: x[1], y0, y1, ...size };
          if (s.style === 'line' || s.style === 'step') expect(vertices(view, o.x, o.y), s.label).toBe(vertices(view, s.x, s.y));
          else {
            const y2 = s.style === 'bars' ? (s.y2 ?? null) : null;
            expect(runs(view, o.x, o.y, s.style === 'bars' ? (o.y2 ?? null) : null), s.label).toBe(runs(view, s.x, s.y, y2));
            // Every full row's point: a kept point within a pixel of it, whose frame a click selects.
            for (let i = 0; i < s.x.length; i += 97) {
              const px = ((s.x[i] - view.x0) * view.width) / (view.x1 - view.x0);
              const py = view.height - ((s.y[i] - view.y0) * view.height) / (view.y1 - view.y0);
              const hit = nearestRow(view, o.x, o.y, s.style === 'bars' ? (o.y2 ?? null) : null, px, py, 1.5);
              expect(hit.row, `${s.label} row ${i}`).toBeGreaterThanOrEqual(0);
            }
          }
        });
        const total = a.series.reduce((n, s) => n + s.x.length, 0);
        // A sequence ramp collapses to a few rows per pixel column; random scatter (this test's RTT and
        // bytes in flight) fills most pixels, so there only "no more than all".
        expect(kept).toBeLessThan(['stevens', 'tcptrace', 'throughput'].includes(kind) ? total / 3 : total + 1);
      });
    }
  }

  it('keeps whole rows: every kept value is the full table row with the same frame number', () => {
    const overview = streamGraphOverview(full, { kind: 'tcptrace', rttAxis: 'seq', ...size });
    const rowOf = new Map(Array.from(full.segments.frame, (frame, i) => [frame, i]));
    for (let k = 0; k < overview.segments.frame.length; k++) {
      const i = rowOf.get(overview.segments.frame[k]) ?? -1;
      expect(i).toBeGreaterThanOrEqual(0);
      for (const key of Object.keys(full.segments) as (keyof StreamGraph['segments'])[]) expect(overview.segments[key][k]).toBe(full.segments[key][i]);
    }
    expect(overview.segments.frame.length).toBeGreaterThan(0);
    expect(overview.sack.frame.length).toBeGreaterThan(0);
  });
});
