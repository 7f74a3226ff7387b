/**
 * A stream graph as SVG, drawn from the same series description as the canvas view
 * (series.ts), over the visible ranges: axes with round ticks, each series as one path.
 * Only rows inside the ranges are written, so a zoomed export stays small.
 */
import { niceTicks, type GraphSpec } from './series';

export type { GraphKind } from './series';

export interface SvgView {
  width: number;
  height: number;
  x: [number, number];
  y: [number, number];
  y2?: [number, number];
}

const MARGIN = { left: 80, right: 80, top: 36, bottom: 48 };

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

const fmt = (v: number): string => (Math.abs(v) >= 1e6 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : String(+v.toPrecision(6)));
const px = (v: number): string => (Math.round(v * 10) / 10).toString();

export function streamGraphSvg(spec: GraphSpec, view: SvgView): string {
  const { width, height } = view;
  const left = MARGIN.left;
  const top = MARGIN.top;
  const w = width - MARGIN.left - MARGIN.right;
  const h = height - MARGIN.top - MARGIN.bottom;
  const [x0, x1] = view.x;
  const sx = (v: number) => left + ((v - x0) / (x1 - x0 || 1)) * w;
  const scaleY = (range: [number, number]) => (v: number) => top + h - ((v - range[0]) / (range[1] - range[0] || 1)) * h;
  const sy = scaleY(view.y);
  const sy2 = scaleY(view.y2 ?? view.y);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<title>${escapeXml(spec.title)}</title>`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${width / 2}" y="18" text-anchor="middle" font-size="13">${escapeXml(spec.title)}</text>`);
  // Axes and grid
  out.push(`<g stroke="#dddddd">`);
  for (const t of niceTicks(x0, x1)) out.push(`<line x1="${px(sx(t))}" y1="${top}" x2="${px(sx(t))}" y2="${top + h}"/>`);
  for (const t of niceTicks(view.y[0], view.y[1])) out.push(`<line x1="${left}" y1="${px(sy(t))}" x2="${left + w}" y2="${px(sy(t))}"/>`);
  out.push(`</g>`);
  out.push(`<rect x="${left}" y="${top}" width="${w}" height="${h}" fill="none" stroke="#333333"/>`);
  out.push(`<g fill="#333333">`);
  for (const t of niceTicks(x0, x1)) out.push(`<text x="${px(sx(t))}" y="${top + h + 16}" text-anchor="middle">${fmt(t)}</text>`);
  for (const t of niceTicks(view.y[0], view.y[1])) out.push(`<text x="${left - 6}" y="${px(sy(t) + 4)}" text-anchor="end">${fmt(t)}</text>`);
  if (spec.y2Label && view.y2) for (const t of niceTicks(view.y2[0], view.y2[1])) out.push(`<text x="${left + w + 6}" y="${px(sy2(t) + 4)}">${fmt(t)}</text>`);
  out.push(`<text x="${left + w / 2}" y="${height - 10}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${top + h / 2}) rotate(-90)" text-anchor="middle">${escapeXml(spec.yLabel)}</text>`);
  if (spec.y2Label) out.push(`<text transform="translate(${width - 12} ${top + h / 2}) rotate(90)" text-anchor="middle">${escapeXml(spec.y2Label)}</text>`);
  out.push(`</g>`);
  // Series, clipped to the plot area
  out.push(`<defs><clipPath id="plot"><rect x="${left}" y="${top}" width="${w}" height="${h}"/></clipPath></defs>`);
  out.push(`<g clip-path="url(#plot)" fill="none">`);
  for (const s of spec.series) {
    const y = s.axis === 'y2' ? sy2 : sy;
    const range = s.axis === 'y2' ? (view.y2 ?? view.y) : view.y;
    const d: string[] = [];
    let rows = 0;
    let previous: [number, number] | null = null;
    for (let i = 0; i < s.x.length; i++) {
      const xv = s.x[i];
      const inX = xv >= x0 && xv <= x1;
      if (s.style === 'points' || s.style === 'bars') {
        if (!inX) continue;
        const lo = s.style === 'bars' ? Math.min(s.y[i], s.y2?.[i] ?? s.y[i]) : s.y[i];
        const hi = s.style === 'bars' ? Math.max(s.y[i], s.y2?.[i] ?? s.y[i]) : s.y[i];
        if (hi < range[0] || lo > range[1]) continue;
        rows++;
        if (s.style === 'points') d.push(`M${px(sx(xv))} ${px(y(s.y[i]))}h0`);
        else d.push(`M${px(sx(xv))} ${px(y(lo))}V${px(y(hi))}`);
      } else {
        const point: [number, number] = [sx(xv), y(s.y[i])];
        if (inX) rows++;
        if (!previous) d.push(`M${px(point[0])} ${px(point[1])}`);
        else if (s.style === 'step') d.push(`H${px(point[0])}V${px(point[1])}`);
        else d.push(`L${px(point[0])} ${px(point[1])}`);
        previous = point;
      }
    }
    const width = s.style === 'points' ? 3 : s.style === 'bars' ? 1.5 : 1.2;
    const cap = s.style === 'points' ? ' stroke-linecap="round"' : '';
    out.push(`<path data-series="${escapeXml(s.label)}" data-rows="${rows}" stroke="${s.color}" stroke-width="${width}"${cap} d="${d.join('')}"/>`);
  }
  out.push(`</g>`);
  // Legend
  spec.series.forEach((s, k) => {
    const lx = left + 8 + k * 150;
    out.push(`<g><rect x="${lx}" y="${top + 6}" width="10" height="10" fill="${s.color}"/><text x="${lx + 14}" y="${top + 15}">${escapeXml(s.label)}</text></g>`);
  });
  out.push(`</svg>`);
  return out.join('\n');
}
