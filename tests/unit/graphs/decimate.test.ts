/**
 * Pixel-resolution drawing lists (shared/graphs/decimate.ts) against a naive per-point
 * rasteriser: the same pixels covered, every point's pixel drawn and clickable, every
 * column's extremes kept by the line decimation.
 */
import { describe, expect, it } from 'vitest';
import { lineRows, nearestRow, RasterScratch, rasterRuns, type PixelView } from '../../../shared/graphs';

/** Deterministic data: a sequence-number ramp with noise, retransmissions far below, and duplicates. */
function series(n: number, seed = 7): { x: Float64Array; y: Float64Array; y2: Float64Array } {
  let state = seed;
  const random = () => ((state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  const y2 = new Float64Array(n);
  let t = 0;
  for (let i = 0; i < n; i++) {
    t += random() * 0.001;
    x[i] = t;
    y[i] = random() < 0.01 ? Math.floor(random() * i) * 1448 : i * 1448;
    y2[i] = y[i] + (random() < 0.05 ? 1448 * 40 : 1448);
    if (i > 0 && random() < 0.02) {
      x[i] = x[i - 1];
      y[i] = y[i - 1];
    }
  }
  return { x, y, y2 };
}

/** What a per-point rasteriser covers: the same mapping, one pixel per point, every row of a bar. */
function naiveCover(view: PixelView, x: Float64Array, y: Float64Array, y2: Float64Array | null): Set<string> {
  const cells = new Set<string>();
  const kx = view.width / (view.x1 - view.x0);
  const ky = view.height / (view.y1 - view.y0);
  for (let i = 0; i < x.length; i++) {
    let col = Math.floor((x[i] - view.x0) * kx);
    if (x[i] === view.x1) col = view.width - 1;
    if (col < 0 || col >= view.width) continue;
    const a = view.height - (y[i] - view.y0) * ky;
    const b = y2 ? view.height - (y2[i] - view.y0) * ky : a;
    const top = Math.max(-3, Math.floor(y2 ? Math.min(a, b, a - 1) : a));
    const bottom = Math.min(view.height + 3, Math.floor(Math.max(a, b)));
    for (let r = top; r <= bottom; r++) cells.add(`${col},${r}`);
  }
  return cells;
}

function runCells(runs: Int32Array, count: number): Set<string> {
  const cells = new Set<string>();
  for (let k = 0; k < count; k++) for (let r = runs[k * 3 + 1]; r <= runs[k * 3 + 2]; r++) cells.add(`${runs[k * 3]},${r}`);
  return cells;
}

describe('stream graph decimation', () => {
  const { x, y, y2 } = series(50_000);
  const views: Array<[string, PixelView]> = [
    ['whole connection', { x0: x[0], x1: x[x.length - 1], y0: 0, y1: 50_000 * 1448 * 1.05, width: 1200, height: 600 }],
    ['zoomed in', { x0: x[20_000], x1: x[20_400], y0: 20_000 * 1448, y1: 20_500 * 1448, width: 800, height: 500 }],
    ['panned past the end', { x0: x[40_000], x1: x[x.length - 1] * 1.2, y0: 0, y1: 60_000 * 1448, width: 640, height: 300 }],
  ];

  for (const [name, view] of views) {
    it(`points and bars cover exactly the naive rasteriser's pixels (${name})`, () => {
      const scratch = new RasterScratch();
      const points = rasterRuns(view, x, y, null, scratch);
      expect(runCells(points.runs, points.count)).toEqual(naiveCover(view, x, y, null));
      const bars = rasterRuns(view, x, y, y2, scratch);
      expect(runCells(bars.runs, bars.count)).toEqual(naiveCover(view, x, y, y2));
      // Far fewer shapes than rows when zoomed out.
      if (name === 'whole connection') expect(points.count).toBeLessThan(x.length / 5);
    });

    it(`every visible point stays clickable where it is drawn (${name})`, () => {
      const kx = view.width / (view.x1 - view.x0);
      const ky = view.height / (view.y1 - view.y0);
      const cells = runCells(...Object.values(rasterRuns(view, x, y, null)) as [Int32Array, number]);
      for (let i = 0; i < x.length; i += 7) {
        const px = (x[i] - view.x0) * kx;
        const py = view.height - (y[i] - view.y0) * ky;
        if (px < 0 || px >= view.width || py < 0 || py > view.height) continue;
        expect(cells.has(`${Math.floor(px)},${Math.floor(py)}`)).toBe(true);
        // A click on the point finds it, or another row drawn on the very same spot.
        const hit = nearestRow(view, x, y, null, px, py, 12);
        expect(hit.distance2).toBe(0);
        expect(x[hit.row]).toBe(x[i]);
        expect(y[hit.row]).toBe(y[i]);
      }
    });

    it(`line decimation keeps each pixel column's first, last, lowest and highest rows (${name})`, () => {
      const rows = lineRows(view, x, y);
      const kept = new Set(rows);
      const kx = view.width / (view.x1 - view.x0);
      const byColumn = new Map<number, number[]>();
      for (let i = 0; i < x.length; i++) {
        if (x[i] < view.x0 || x[i] > view.x1) continue;
        const col = Math.floor((x[i] - view.x0) * kx);
        byColumn.set(col, [...(byColumn.get(col) ?? []), i]);
      }
      for (const members of byColumn.values()) {
        expect(kept.has(members[0])).toBe(true);
        expect(kept.has(members[members.length - 1])).toBe(true);
        const values = members.map((i) => y[i]);
        const keptValues = members.filter((i) => kept.has(i)).map((i) => y[i]);
        expect(Math.min(...keptValues)).toBe(Math.min(...values));
        expect(Math.max(...keptValues)).toBe(Math.max(...values));
      }
      // In data order, with the rows just outside the view so the line enters and leaves as before.
      for (let k = 1; k < rows.length; k++) expect(rows[k]).toBeGreaterThan(rows[k - 1]);
      const firstInside = x.findIndex((v) => v >= view.x0);
      if (firstInside > 0) expect(kept.has(firstInside - 1)).toBe(true);
      const afterView = x.findIndex((v) => v > view.x1);
      if (afterView > 0) expect(kept.has(afterView)).toBe(true);
      if (name === 'whole connection') expect(rows.length).toBeLessThanOrEqual(4 * view.width + 2);
    });
  }
});
