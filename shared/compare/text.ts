/**
 * The comparison as text: a block per connection, and a two-point ladder for connections with a
 * loss, an injected segment or a rewrite. Each arrow runs from the point that saw the segment
 * leave to the point that saw it arrive, its flight time beside it; a loss ends mid-way.
 */
import type { ComparisonSummary, ConnectionComparison, DelayStats, Rewrite, TwoPointStep } from './compare';

const ms = (seconds: number): string => `${(seconds * 1000).toFixed(3)} ms`;

function delayLine(label: string, stats: DelayStats | null): string {
  if (stats === null) return `  ${label}: no segment seen at both points`;
  return `  ${label}: min ${ms(stats.min)}, median ${ms(stats.median)}, p99 ${ms(stats.p99)} (${stats.count} segments)`;
}

function rewriteLine(rewrite: Rewrite): string {
  const more = rewrite.count > rewrite.frames.length ? ` …` : '';
  const frames = rewrite.frames.slice(0, 8).join(', ') + (rewrite.frames.length > 8 ? ', …' : more);
  let note = '';
  if ((rewrite.field === 'ip.ttl' || rewrite.field === 'ipv6.hlim') && typeof rewrite.a === 'number' && typeof rewrite.b === 'number') {
    const drop = rewrite.a - rewrite.b;
    note = drop > 0 ? ` (−${drop}: ${drop} routed hop${drop === 1 ? '' : 's'}, or a middlebox setting it)` : ' (raised on the way: a middlebox)';
  }
  return `  rewritten ${rewrite.field}: ${String(rewrite.a)} at A → ${String(rewrite.b)} at B in ${rewrite.count} segment${rewrite.count === 1 ? '' : 's'} (A frames ${frames})${note}`;
}

const LANE = 34;

function ladderLine(step: TwoPointStep): string {
  const label = ` ${step.flags} ${step.seq}${step.len > 0 ? `:${step.seq + step.len}(${step.len})` : ''} `;
  const aText = step.a === null ? ''.padStart(17) : `${String(step.a.frame).padStart(6)} ${step.a.time.toFixed(6).padStart(10)}`;
  const bText = step.b === null ? '' : `${step.b.time.toFixed(6).padStart(10)} ${String(step.b.frame).padEnd(6)}`;
  const dash = (n: number): string => '─'.repeat(Math.max(1, n));
  let arrow: string;
  if (step.a !== null && step.b !== null) {
    const body = LANE - label.length - 2;
    arrow = step.direction === 'a_to_b' ? `${dash(2)}${label}${dash(body - 1)}▶` : `◀${dash(body - 1)}${label}${dash(2)}`;
  } else if (step.a !== null) {
    // Seen only at A: leaving A and lost on the way, or arriving at A from nowhere (injected).
    const half = Math.floor(LANE / 2);
    arrow = step.direction === 'a_to_b' ? `${dash(2)}${label}✕`.padEnd(LANE) : `◀${dash(half - label.length)}${label}?`.padEnd(LANE);
  } else {
    arrow = step.direction === 'b_to_a' ? `✕${label}${dash(2)}`.padStart(LANE) : `?${label}${dash(LANE - label.length - 3)}▶`.padStart(LANE);
  }
  const flight = step.delay !== null ? `  ${ms(step.delay)}` : step.a !== null ? (step.direction === 'a_to_b' ? '  lost' : '  injected at A') : step.direction === 'b_to_a' ? '  lost' : '  injected at B';
  return `  ${aText} ${arrow} ${bText.padEnd(17)}${flight}`;
}

/** `steps` gives the connection's segments for its ladder; it is called only when a ladder is drawn. */
export function renderComparison(c: ConnectionComparison, steps: () => TwoPointStep[], options: { ladder?: boolean; maxSteps?: number } = {}): string {
  const lines = [`${c.client} → ${c.server}   (A on the ${c.a_side}'s side; ${c.frames.a} segments at A, ${c.frames.b} at B, ${c.frames.paired} paired)`];
  if (c.translation) lines.push(`  translated on the way: at B ${c.translation.b.client} → ${c.translation.b.server}`);
  lines.push(delayLine('delay A→B', c.delay.a_to_b), delayLine('delay B→A', c.delay.b_to_a));
  for (const lost of c.lost) {
    lines.push(`  lost ${lost.direction === 'a_to_b' ? 'A→B' : 'B→A'}: ${lost.flags} seq ${lost.seq} len ${lost.len} (frame ${lost.frame} at ${lost.seen_at}, never seen at ${lost.seen_at === 'A' ? 'B' : 'A'})`);
  }
  for (const injected of c.injected) {
    lines.push(`  injected: ${injected.flags} len ${injected.len} seen at ${injected.seen_at} (frame ${injected.frame}), never sent past ${injected.seen_at === 'A' ? 'B' : 'A'}`);
  }
  for (const rewrite of c.rewrites) lines.push(rewriteLine(rewrite));
  const interesting = c.lost.length > 0 || c.injected.length > 0 || c.rewrites.some((r) => r.field !== 'ip.ttl' && r.field !== 'ipv6.hlim');
  const list = (options.ladder ?? interesting) ? steps() : [];
  if (list.length > 0) {
    const max = options.maxSteps ?? 60;
    lines.push('', `  ${'A: frame, time'.padEnd(17)} ${''.padEnd(LANE)} ${'B: time, frame'.padEnd(17)}  flight`);
    for (const step of list.slice(0, max)) lines.push(ladderLine(step));
    if (list.length > max) lines.push(`  … ${list.length - max} more segments`);
  }
  return lines.join('\n');
}

export function renderSummary(s: ComparisonSummary): string {
  const offset =
    s.clock_offset === null
      ? 'clock offset B−A: unknown (segments paired in one direction only; delays assume synchronised clocks)'
      : `clock offset B−A: ${s.clock_offset >= 0 ? '+' : ''}${s.clock_offset.toFixed(6)} s ± ${(s.clock_offset_uncertainty ?? 0).toFixed(6)} s (${s.clock_offset_source})`;
  return [
    `${s.connections.paired} connection${s.connections.paired === 1 ? '' : 's'} seen at both points (${s.connections.only_at_a} only at A, ${s.connections.only_at_b} only at B); ${s.frames.paired} of ${s.frames.a} segments at A paired`,
    offset,
    `${s.lost} segment${s.lost === 1 ? '' : 's'} lost between the points, ${s.injected} injected; rewritten: ${s.rewritten_fields.length === 0 ? 'nothing' : s.rewritten_fields.join(', ')}`,
  ].join('\n');
}
