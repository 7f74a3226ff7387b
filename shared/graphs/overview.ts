/**
 * A stream graph's overview: the rows needed to draw one graph kind over its whole range at a
 * given pixel size, so the first paint needs kilobytes instead of the ~10 MB a 100,000-segment
 * connection's full columns take (the full rows follow for zooming, panning and exact clicks).
 * Kept per series:
 *   - points: one row per device pixel any row falls in;
 *   - bars: per pixel column and top pixel, the bar reaching lowest (its cover holds every other
 *     bar starting on that pixel, so the union of the kept bars covers the same pixels);
 *   - lines and steps: per pixel column the first, lowest, highest and last row (lineRows);
 *   - and every series' extremes on each axis, so the overview's ranges equal the full graph's.
 */
import type { StreamGraph } from '../api/contract';
import { isNonDecreasing, lineRows, type PixelView } from './decimate';
import { graphSpec, seriesRange, type GraphKind, type GraphSeries, type GraphTable } from './series';

export interface OverviewRequest {
  kind: GraphKind;
  rttAxis: 'seq' | 'time';
  /** The plot's size in device pixels (a larger size keeps more rows). */
  width: number;
  height: number;
}

const MAX_GRID = 2048;
const TABLES: readonly GraphTable[] = ['segments', 'acks', 'rtt', 'sack'];

/** `g` reduced to the rows `request`'s graph needs at its full range; `overview.points` counts the full graph's points. */
export function streamGraphOverview(g: StreamGraph, request: OverviewRequest): StreamGraph {
  const spec = graphSpec(g, request.kind, { rttAxis: request.rttAxis });
  const x = seriesRange(spec.series, 'x');
  const ranges = { y: seriesRange(spec.series, 'y'), y2: seriesRange(spec.series, 'y2') };
  // The pixel grid is at most 2048 × 2048 (8 bytes a cell): exact for any plot up to that size.
  const width = Math.min(MAX_GRID, Math.max(1, Math.round(request.width)));
  const height = Math.min(MAX_GRID, Math.max(1, Math.round(request.height)));
  const keep: Record<GraphTable, Uint8Array> = {
    segments: new Uint8Array(g.segments.frame.length),
    acks: new Uint8Array(g.acks.frame.length),
    rtt: new Uint8Array(g.rtt.frame.length),
    sack: new Uint8Array(g.sack.frame.length),
  };
  let points = 0;
  for (const s of spec.series) {
    points += s.x.length;
    const [y0, y1] = ranges[s.axis];
    const view: PixelView = { x0: x[0], x1: x[1], y0, y1, width, height };
    const mark = marker(g, s, keep[s.table]);
    for (const row of extremes(s)) mark(row);
    if (s.style === 'line' || s.style === 'step') {
      if (isNonDecreasing(s.x)) for (const row of lineRows(view, s.x, s.y)) mark(row);
      else for (let row = 0; row < s.x.length; row++) mark(row);
    } else pixelRows(view, s, mark);
  }
  const out: StreamGraph = { ...g, overview: { points } };
  for (const table of TABLES) out[table] = gather(g[table], keep[table]) as never;
  return out;
}

/** Marks series rows in their table: directly when the series is the table's own rows, else by frame number. */
function marker(g: StreamGraph, s: GraphSeries, keep: Uint8Array): (row: number) => void {
  const frames = g[s.table].frame;
  if (s.frame === frames) return (row) => void (keep[row] = 1);
  return (row) => {
    const frame = s.frame[row];
    // Frame numbers ascend in every table; SACK rows share their frame's number, so all of them.
    let at = lowerBound(frames, frame);
    while (at < frames.length && frames[at] === frame) keep[at++] = 1;
  };
}

/** The rows holding each axis' smallest and largest value. */
function extremes(s: GraphSeries): number[] {
  const rows: number[] = [];
  for (const column of s.y2 ? [s.x, s.y, s.y2] : [s.x, s.y]) {
    let low = -1;
    let high = -1;
    for (let i = 0; i < column.length; i++) {
      if (low < 0 || column[i] < column[low]) low = i;
      if (high < 0 || column[i] > column[high]) high = i;
    }
    if (low >= 0) rows.push(low, high);
  }
  return rows;
}

/**
 * Points: a row per occupied pixel; bars: per column and top pixel, the bar reaching lowest.
 * Rows are visited column by column (a stable counting sort on their column), so the work space
 * is one column's cells instead of a width × height grid: allocating and scanning that grid
 * (2 million cells at 1800 × 1100) took most of the overview's time.
 */
function pixelRows(view: PixelView, s: GraphSeries, mark: (row: number) => void): void {
  const n = s.x.length;
  const kx = view.width / (view.x1 - view.x0 || 1);
  const ky = view.height / (view.y1 - view.y0 || 1);
  const rows = view.height + 4;
  const columnOf = new Int32Array(n);
  const starts = new Int32Array(view.width + 1);
  for (let i = 0; i < n; i++) {
    const col = Math.min(view.width - 1, Math.max(0, Math.floor((s.x[i] - view.x0) * kx)));
    // A NaN x is on no column.
    columnOf[i] = Number.isNaN(col) ? -1 : col;
    if (columnOf[i] >= 0) starts[col + 1]++;
  }
  for (let c = 0; c < view.width; c++) starts[c + 1] += starts[c];
  const order = new Int32Array(starts[view.width]);
  const fill = starts.slice(0, view.width);
  for (let i = 0; i < n; i++) if (columnOf[i] >= 0) order[fill[columnOf[i]]++] = i;
  // Per cell of the current column: the kept row + 1 (0: none), and a bar's bottom pixel.
  const best = new Int32Array(rows);
  const bottoms = s.y2 ? new Float64Array(rows) : null;
  const touched = new Int32Array(rows);
  for (let c = 0; c < view.width; c++) {
    let used = 0;
    for (let k = starts[c]; k < starts[c + 1]; k++) {
      const i = order[k];
      const a = view.height - (s.y[i] - view.y0) * ky;
      // The pixels the canvas fills (StreamGraphView via rasterRuns): a bar at least one tall.
      let top = Math.floor(a);
      let bottom = top;
      if (s.y2) {
        const b = view.height - (s.y2[i] - view.y0) * ky;
        top = Math.floor(Math.min(a, b, a - 1));
        bottom = Math.floor(Math.max(a, b));
      }
      if (Number.isNaN(top)) continue;
      const cell = Math.min(rows - 1, Math.max(0, top + 2));
      if (best[cell] === 0) {
        best[cell] = i + 1;
        touched[used++] = cell;
        if (bottoms) bottoms[cell] = bottom;
      } else if (bottoms && bottom > bottoms[cell]) {
        best[cell] = i + 1;
        bottoms[cell] = bottom;
      }
    }
    for (let k = 0; k < used; k++) {
      mark(best[touched[k]] - 1);
      best[touched[k]] = 0;
    }
  }
}

function lowerBound(values: ArrayLike<number>, value: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The kept rows of every column of a table. */
function gather<T extends Record<string, Float64Array>>(table: T, keep: Uint8Array): T {
  let n = 0;
  for (let i = 0; i < keep.length; i++) n += keep[i];
  const rows = new Int32Array(n);
  for (let i = 0, k = 0; i < keep.length; i++) if (keep[i]) rows[k++] = i;
  const out: Record<string, Float64Array> = {};
  for (const key of Object.keys(table)) {
    const column = table[key];
    const kept = new Float64Array(n);
    for (let k = 0; k < n; k++) kept[k] = column[rows[k]];
    out[key] = kept;
  }
  return out as T;
}
