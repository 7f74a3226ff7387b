/**
 * Pixel-resolution drawing lists for large series: a 100,000-segment connection has far more
 * points than a plot has pixels, and a canvas path of 200,000 shapes takes most of a second.
 * These functions reduce a series to what the pixels show, exactly:
 *   - points and bars are rasterised into a per-column cover (which device pixels any point or
 *     bar touches), returned as vertical runs; a point's own pixel is always in a run, so every
 *     point a user can click is drawn where it is;
 *   - lines and steps keep, per pixel column, the first, lowest, highest and last vertex in data
 *     order (M4), which draws the same pixels as the full polyline and keeps every extreme.
 * Clicking does not use these lists: `nearestRow` searches the full series.
 */

/** The visible data window and the plot's size in device pixels. */
export interface PixelView {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  width: number;
  height: number;
}

/** Column of a value (0 at x0, floor), as the plot maps it. */
export function pixelX(view: PixelView, x: number): number {
  return ((x - view.x0) * view.width) / (view.x1 - view.x0 || 1);
}
/** Row of a value (0 at the top, y1), as the plot maps it. */
export function pixelY(view: PixelView, y: number): number {
  return view.height - ((y - view.y0) * view.height) / (view.y1 - view.y0 || 1);
}

/** Rows a drawn mark may reach beyond the plot (a point's half size), kept so edges draw as before. */
const MARGIN = 3;

/** Reusable work space (one per view), so a redraw allocates nothing once it has grown. */
export class RasterScratch {
  cover = new Int32Array(0);
  used = new Uint8Array(0);
  runs = new Int32Array(0);
  ensure(width: number, height: number): void {
    const cells = width * (height + 2 * MARGIN + 1);
    if (this.cover.length < cells) this.cover = new Int32Array(cells);
    if (this.used.length < width) this.used = new Uint8Array(width);
  }
}

/**
 * The covered pixels of a points series (y2 absent) or a bars series (from y to y2; a bar under a
 * pixel tall still covers one pixel), as runs: [column, top row, bottom row] triples (device
 * pixels, rows may run MARGIN beyond the plot), `count` of them.
 */
export function rasterRuns(view: PixelView, x: ArrayLike<number>, y: ArrayLike<number>, y2: ArrayLike<number> | null, scratch = new RasterScratch()): { runs: Int32Array; count: number } {
  const width = Math.max(1, Math.ceil(view.width));
  const height = Math.max(1, Math.ceil(view.height));
  const rows = height + 2 * MARGIN + 1;
  scratch.ensure(width, height);
  const { cover, used } = scratch;
  used.fill(0, 0, width);
  const kx = width / (view.x1 - view.x0 || 1);
  const ky = height / (view.y1 - view.y0 || 1);
  const n = x.length;
  let columns = 0;
  for (let i = 0; i < n; i++) {
    const col = Math.floor((x[i] - view.x0) * kx);
    if (!(col >= 0 && col < width)) {
      // The right edge itself belongs to the last column.
      if (x[i] !== view.x1) continue;
    }
    const c = col >= width ? width - 1 : col;
    let top: number;
    let bottom: number;
    const a = height - (y[i] - view.y0) * ky;
    if (y2) {
      const b = height - (y2[i] - view.y0) * ky;
      top = Math.floor(Math.min(a, b, a - 1));
      bottom = Math.floor(Math.max(a, b));
    } else {
      top = Math.floor(a);
      bottom = top;
    }
    if (bottom < -MARGIN || top > height + MARGIN || Number.isNaN(top)) continue;
    if (top < -MARGIN) top = -MARGIN;
    if (bottom > height + MARGIN) bottom = height + MARGIN;
    const base = c * rows + MARGIN;
    if (used[c] === 0) {
      used[c] = 1;
      cover.fill(0, c * rows, c * rows + rows);
      columns++;
    }
    // A difference array: +1 where the cover starts, -1 after it ends; summed per column below.
    cover[base + top]++;
    cover[base + bottom + 1]--;
  }
  let count = 0;
  if (scratch.runs.length < columns * 3 * 4) scratch.runs = new Int32Array(Math.max(columns * 3 * 4, 3 * 256));
  for (let c = 0; c < width; c++) {
    if (used[c] === 0) continue;
    let depth = 0;
    let start = -1;
    const base = c * rows;
    for (let r = 0; r < rows; r++) {
      depth += cover[base + r];
      if (depth > 0 && start < 0) start = r;
      else if (depth <= 0 && start >= 0) {
        if (scratch.runs.length < (count + 1) * 3) {
          const grown = new Int32Array(scratch.runs.length * 2);
          grown.set(scratch.runs);
          scratch.runs = grown;
        }
        scratch.runs[count * 3] = c;
        scratch.runs[count * 3 + 1] = start - MARGIN;
        scratch.runs[count * 3 + 2] = r - 1 - MARGIN;
        count++;
        start = -1;
      }
    }
  }
  return { runs: scratch.runs, count };
}

/** True when x never decreases (lines and steps are decimated only then). */
export function isNonDecreasing(x: ArrayLike<number>): boolean {
  for (let i = 1; i < x.length; i++) if (x[i] < x[i - 1]) return false;
  return true;
}

/** First index with x[i] >= value in a non-decreasing column. */
function lowerBound(x: ArrayLike<number>, value: number): number {
  let lo = 0;
  let hi = x.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index with x[i] > value in a non-decreasing column. */
function upperBound(x: ArrayLike<number>, value: number): number {
  let lo = 0;
  let hi = x.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x[mid] <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The rows of a line or step series (x non-decreasing) to draw in this view: the row before the
 * view and the row after it (so the line enters and leaves as before), and inside it, per pixel
 * column, the first, lowest, highest and last row in data order. Ascending row indexes.
 */
export function lineRows(view: PixelView, x: ArrayLike<number>, y: ArrayLike<number>): Uint32Array {
  const n = x.length;
  if (n === 0) return new Uint32Array(0);
  const from = Math.max(0, lowerBound(x, view.x0) - 1);
  const to = Math.min(n, upperBound(x, view.x1) + 1);
  const kx = view.width / (view.x1 - view.x0 || 1);
  const out: number[] = [];
  let column = Number.NaN;
  let first = -1;
  let low = -1;
  let high = -1;
  let last = -1;
  const flush = () => {
    if (first < 0) return;
    // The four in data order, each once.
    const picks = [first, low, high, last].sort((a, b) => a - b);
    for (let k = 0; k < 4; k++) if (k === 0 || picks[k] !== picks[k - 1]) out.push(picks[k]);
  };
  for (let i = from; i < to; i++) {
    const c = Math.floor((x[i] - view.x0) * kx);
    if (c !== column) {
      flush();
      column = c;
      first = low = high = last = i;
      continue;
    }
    if (y[i] < y[low]) low = i;
    if (y[i] > y[high]) high = i;
    last = i;
  }
  flush();
  return Uint32Array.from(out);
}

/**
 * The row nearest to (px, py) (CSS pixels in a plot of width × height showing `view`'s ranges)
 * within `radius` pixels, searched over every row (bars: the distance to the bar), or -1.
 */
export function nearestRow(view: PixelView, x: ArrayLike<number>, y: ArrayLike<number>, y2: ArrayLike<number> | null, px: number, py: number, radius: number): { row: number; distance2: number } {
  const kx = view.width / (view.x1 - view.x0 || 1);
  const ky = view.height / (view.y1 - view.y0 || 1);
  let best = radius * radius;
  let row = -1;
  for (let i = 0; i < x.length; i++) {
    const dx = (x[i] - view.x0) * kx - px;
    if (dx * dx > best) continue;
    const a = view.height - (y[i] - view.y0) * ky;
    let dy: number;
    if (y2) {
      const b = view.height - (y2[i] - view.y0) * ky;
      dy = py > Math.max(a, b) ? py - Math.max(a, b) : py < Math.min(a, b) ? Math.min(a, b) - py : 0;
    } else dy = a - py;
    const d = dx * dx + dy * dy;
    if (d < best) {
      best = d;
      row = i;
    }
  }
  return { row, distance2: best };
}
