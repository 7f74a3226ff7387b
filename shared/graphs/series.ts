/**
 * What each stream graph draws, from the engine's columns: the series, their style and axes.
 * The canvas view and the SVG export both draw from this one description, so an exported
 * SVG shows exactly the points on screen.
 */
import type { StreamGraph } from '../api/contract';

export type GraphKind = 'stevens' | 'tcptrace' | 'throughput' | 'rtt' | 'window';

export const GRAPH_KINDS: ReadonlyArray<{ kind: GraphKind; label: string }> = [
  { kind: 'stevens', label: 'Time / Sequence (Stevens)' },
  { kind: 'tcptrace', label: 'Time / Sequence (tcptrace)' },
  { kind: 'throughput', label: 'Throughput' },
  { kind: 'rtt', label: 'Round Trip Time' },
  { kind: 'window', label: 'Window Scaling' },
];

/** points: a dot per row; line: joined in order; step: held until the next row; bars: vertical from y to y2. */
export type SeriesStyle = 'points' | 'line' | 'step' | 'bars';

export interface GraphSeries {
  label: string;
  color: string;
  style: SeriesStyle;
  /** 'y' (left) or 'y2' (right axis). */
  axis: 'y' | 'y2';
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** bars: the other end. */
  y2?: ArrayLike<number>;
  /** The frame number of each row (a click selects it). */
  frame: ArrayLike<number>;
  /** The StreamGraph table the rows come from (a filtered series' rows are found by frame number). */
  table: GraphTable;
}

export type GraphTable = 'segments' | 'acks' | 'rtt' | 'sack';

export interface GraphSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  y2Label: string | null;
  series: GraphSeries[];
}

export interface SeriesOptions {
  /** The RTT graph's x axis: the acknowledged segment's sequence number (Wireshark's) or time. */
  rttAxis?: 'seq' | 'time';
}

/** Rows of a table where `keep` holds, as new columns. */
function where(keep: ArrayLike<number>, ...columns: ArrayLike<number>[]): Float64Array[] {
  let n = 0;
  for (let i = 0; i < keep.length; i++) if (keep[i] !== 0) n++;
  return columns.map((column) => {
    const out = new Float64Array(n);
    let k = 0;
    for (let i = 0; i < keep.length; i++) if (keep[i] !== 0) out[k++] = column[i];
    return out;
  });
}

export function graphSpec(g: StreamGraph, kind: GraphKind, options: SeriesOptions = {}): GraphSpec {
  const title = `${GRAPH_KINDS.find((k) => k.kind === kind)?.label ?? kind} for ${g.sender} → ${g.receiver} (tcp.stream ${g.stream})`;
  const s = g.segments;
  switch (kind) {
    case 'stevens':
      return { title, xLabel: 'Time (s)', yLabel: 'Sequence number (B)', y2Label: null, series: [{ table: 'segments', label: 'Segments', color: '#1f77b4', style: 'points', axis: 'y', x: s.time, y: s.seq, frame: s.frame }] };
    case 'tcptrace':
      return {
        title,
        xLabel: 'Time (s)',
        yLabel: 'Sequence number (B)',
        y2Label: null,
        series: [
          { table: 'acks', label: 'Receive window', color: '#2ca02c', style: 'step', axis: 'y', x: g.acks.time, y: g.acks.windowEdge, frame: g.acks.frame },
          { table: 'acks', label: 'ACK', color: '#8c6d31', style: 'step', axis: 'y', x: g.acks.time, y: g.acks.ack, frame: g.acks.frame },
          { table: 'sack', label: 'SACK', color: '#d62728', style: 'bars', axis: 'y', x: g.sack.time, y: g.sack.left, y2: g.sack.right, frame: g.sack.frame },
          { table: 'segments', label: 'Segments', color: '#1f77b4', style: 'bars', axis: 'y', x: s.time, y: s.seq, y2: s.end, frame: s.frame },
        ],
      };
    case 'throughput': {
      const [time, len, frame] = where(s.len, s.time, s.len, s.frame);
      const [mt, mv, mf] = where(s.len, s.time, s.throughput, s.frame);
      return {
        title,
        xLabel: 'Time (s)',
        yLabel: 'Segment length (B)',
        y2Label: `Throughput, ${formatWindow(g.maWindow)} average (bit/s)`,
        series: [
          { table: 'segments', label: 'Segment length', color: '#1f77b4', style: 'points', axis: 'y', x: time, y: len, frame },
          { table: 'segments', label: 'Average throughput', color: '#d62728', style: 'line', axis: 'y2', x: mt, y: mv, frame: mf },
        ],
      };
    }
    case 'rtt': {
      const ms = Float64Array.from(g.rtt.rtt, (v) => v * 1000);
      const bySeq = (options.rttAxis ?? 'seq') === 'seq';
      return {
        title,
        xLabel: bySeq ? 'Sequence number (B)' : 'Time (s)',
        yLabel: 'RTT (ms)',
        y2Label: null,
        series: [{ table: 'rtt', label: 'RTT (tcp.analysis.ack_rtt)', color: '#9467bd', style: 'points', axis: 'y', x: bySeq ? g.rtt.seq : g.rtt.time, y: ms, frame: g.rtt.frame }],
      };
    }
    case 'window': {
      const [bt, bv, bf] = where(s.bytesInFlight, s.time, s.bytesInFlight, s.frame);
      return {
        title,
        xLabel: 'Time (s)',
        yLabel: 'Bytes',
        y2Label: null,
        series: [
          { table: 'acks', label: 'Receive window', color: '#2ca02c', style: 'step', axis: 'y', x: g.acks.time, y: g.acks.window, frame: g.acks.frame },
          { table: 'segments', label: 'Bytes in flight', color: '#1f77b4', style: 'points', axis: 'y', x: bt, y: bv, frame: bf },
        ],
      };
    }
  }
}

function formatWindow(seconds: number): string {
  return seconds >= 1 ? `${seconds} s` : `${+(seconds * 1000).toFixed(3)} ms`;
}

/** The smallest and largest value of the series on one axis (x, or y/y2 including bars' other end), padded. */
export function seriesRange(series: readonly GraphSeries[], which: 'x' | 'y' | 'y2'): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (const s of series) {
    if (which !== 'x' && s.axis !== which) continue;
    const columns = which === 'x' ? [s.x] : s.y2 ? [s.y, s.y2] : [s.y];
    for (const column of columns) {
      for (let i = 0; i < column.length; i++) {
        const v = column[i];
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
  }
  if (!Number.isFinite(min)) return [0, 1];
  if (min === max) return [min - 1, max + 1];
  const pad = (max - min) * 0.03;
  return [which !== 'x' && min >= 0 ? Math.max(0, min - pad) : min - pad, max + pad];
}

/** Round tick values across [min, max], about `count` of them. */
export function niceTicks(min: number, max: number, count = 6): number[] {
  const span = max - min;
  if (!(span > 0)) return [min];
  const raw = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(+v.toPrecision(12));
  return ticks;
}
