/**
 * The human `analyze` output: one block per connection with a small text ladder of its
 * handshake and teardown, each endpoint's state after every step.
 */
import { formatEpoch } from '../files/timestamp';
import { endpointText } from './json';
import type { ConnectionSummary, LadderStep, StateRecord } from './types';

const COLUMN = 14;
const ARROW = 26;

/** The state an endpoint was in after frame `frame` (its last change at or before it). */
function stateAfter(records: StateRecord[], frame: number, fallback: string): string {
  let state = fallback;
  for (const r of records) {
    if (r.frame !== null && r.frame <= frame) state = r.state;
  }
  return state;
}

function arrow(label: string, rightward: boolean): string {
  const body = ` ${label} `;
  const dashes = Math.max(2, ARROW - body.length - 1);
  const left = Math.floor(dashes / 2);
  const right = dashes - left;
  return rightward ? '-'.repeat(left) + body + '-'.repeat(right) + '>' : '<' + '-'.repeat(left) + body + '-'.repeat(right);
}

/** How the connection opened and who closed or reset it (with a half-close's bytes), as `analyze` words it. */
export function openCloseText(c: ConnectionSummary): string {
  // An RST answering the SYN is a refusal, not a teardown of an open connection.
  if (c.handshake.rejected) return `refused: the ${c.teardown.initiator ?? 'server'} answered the SYN with RST`;
  const open = c.handshake.kind === null ? 'no handshake seen' : `${c.handshake.kind} handshake ${c.handshake.complete ? 'complete' : 'incomplete'}`;
  const close = c.teardown.kind === null ? (c.teardown.initiator ? `half-closed by ${c.teardown.initiator}` : 'not closed') : `${c.teardown.kind} close by ${c.teardown.initiator ?? '?'}`;
  return `${open}; ${close}${c.teardown.halfCloseBytes > 0 ? `, ${c.teardown.halfCloseBytes} bytes after the first FIN` : ''}`;
}

/** The analysis counts that are not zero (retransmissions, dup ACKs, zero windows …), or null. */
export function countsText(c: ConnectionSummary): string | null {
  const problems = Object.entries(c.counts).filter(([, n]) => n > 0);
  return problems.length > 0 ? problems.map(([k, n]) => `${k}=${n}`).join(' ') : null;
}

/** The connection's story in one line: how it opened and closed, then its problems. */
export function connectionStory(c: ConnectionSummary): string {
  const counts = countsText(c);
  return counts ? `${openCloseText(c)}; ${counts}` : openCloseText(c);
}

/**
 * `extra` adds arrows of the application protocol (an HTTP request, its response) between the
 * key frames, in frame order.
 */
export function renderConnection(c: ConnectionSummary, extra: readonly Pick<LadderStep, 'frame' | 'fromClient' | 'label'>[] = []): string {
  const client = endpointText(c.client, c.ipVersion);
  const server = endpointText(c.server, c.ipVersion);
  const lines: string[] = [];
  lines.push(`tcp.stream ${c.stream}: ${client} -> ${server}${c.directionGuessed ? '  (direction guessed)' : ''}`);
  const rtt = c.handshake.initialRtt === null ? '' : `, initial RTT ${(c.handshake.initialRtt * 1000).toFixed(3)} ms`;
  lines.push(`  ${formatEpoch(c.start.sec, c.start.ns)} .. ${formatEpoch(c.end.sec, c.end.ns)}, ${c.frames} frames, ${c.bytes} bytes${rtt}`);
  lines.push(`  conn_state ${c.connState}  history ${c.history}  completeness ${c.completeness}`);
  lines.push(`  ${openCloseText(c)}`);
  if (c.tls) {
    const alpn = c.tls.alpn_selected ?? (c.tls.alpn_offered.length > 0 ? `offered ${c.tls.alpn_offered.join(',')}` : '-');
    lines.push(`  TLS: SNI ${c.tls.sni ?? '-'}, ALPN ${alpn}, ${c.tls.version_selected ?? '?'}, ${c.tls.cipher_selected ?? '?'}`);
  }
  lines.push(`  ${'client'.padEnd(COLUMN)}${' '.repeat(ARROW + 7)}server`);
  const steps = extra.length === 0 ? c.ladder : [...c.ladder, ...extra].sort((a, b) => a.frame - b.frame);
  for (const step of steps) {
    const clientState = stateAfter(c.states.client, step.frame, '');
    const serverState = stateAfter(c.states.server, step.frame, '');
    lines.push(`  ${clientState.padEnd(COLUMN)} ${arrow(step.label, step.fromClient)} ${String(step.frame).padStart(5)}  ${serverState}`);
  }
  const problems = countsText(c);
  if (problems) lines.push(`  ${problems}`);
  lines.push(`  final: client ${c.finalState.client}, server ${c.finalState.server}`);
  return lines.join('\n');
}
