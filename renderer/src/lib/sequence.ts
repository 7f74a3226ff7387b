/**
 * The sequence editor's script logic, apart from the store so it can be tested: where each
 * side's sequence numbers stand after the lines written so far, the packet lines a template
 * appends there, and a captured frame as a script line ("Edit as new step").
 */
import { scriptView } from '../../../shared/conversation/export';
import { decodeSegment } from '../../../shared/conversation/runner';
import { FLAG_ACK, FLAG_FIN, FLAG_SYN, formatSegment, parseScript, ScriptSyntaxError, type PacketStep, type Script } from '../../../shared/conversation/script';

export type ParsedScript = { ok: true; script: Script } | { ok: false; line: number; column: number; reason: string };

export function parseForEditor(text: string): ParsedScript {
  try {
    return { ok: true, script: parseScript(text) };
  } catch (error) {
    if (error instanceof ScriptSyntaxError) return { ok: false, line: error.line, column: error.column, reason: error.reason };
    return { ok: false, line: 1, column: 1, reason: error instanceof Error ? error.message : String(error) };
  }
}

/** Relative sequence numbers after the lines so far: our next one, and the next one expected from the peer. */
export interface Position {
  ours: number;
  peer: number;
  /** Lines written (a first line starts at time 0, later ones at +0). */
  lines: number;
}

function space(step: PacketStep): number {
  return step.length + (step.flags & FLAG_SYN ? 1 : 0) + (step.flags & FLAG_FIN ? 1 : 0);
}

export function positionAfter(steps: readonly PacketStep[]): Position {
  let ours = 0;
  let peer = 0;
  for (const step of steps) {
    const end = (step.seqStart + space(step)) >>> 0;
    if (step.direction === '<') ours = Math.max(ours, end);
    else peer = Math.max(peer, end);
  }
  return { ours, peer, lines: steps.length };
}

export type StepTemplate = 'syn' | 'expect-synack' | 'ack' | 'data' | 'expect-ack' | 'fin' | 'expect-fin' | 'rst' | 'expect-rst';

export const STEP_TEMPLATES: { id: StepTemplate; label: string; title: string }[] = [
  { id: 'syn', label: '< SYN', title: 'Inject a SYN with MSS, SACK-permitted and window scale' },
  { id: 'expect-synack', label: '> SYN+ACK', title: 'Expect the peer\'s SYN+ACK acknowledging our SYN (its options not checked)' },
  { id: 'ack', label: '< ACK', title: 'Inject an ACK of everything the peer sent' },
  { id: 'data', label: '< data', title: 'Inject an HTTP request (PSH+ACK with 18 bytes, CRLF kept)' },
  { id: 'expect-ack', label: '> ACK', title: 'Expect the peer to acknowledge everything we sent, within 200 ms' },
  { id: 'fin', label: '< FIN', title: 'Inject a FIN+ACK' },
  { id: 'expect-fin', label: '> FIN', title: 'Expect the peer\'s FIN+ACK, at any time' },
  { id: 'rst', label: '< RST', title: 'Inject an RST+ACK' },
  { id: 'expect-rst', label: '> RST', title: 'Expect an RST+ACK (a closed port answers a SYN so)' },
];

const HTTP_REQUEST = 'GET / HTTP/1.0\\r\\n\\r\\n';

/** The packet line a template adds after the lines so far, with the numbers that fit there. */
export function templateLine(template: StepTemplate, at: Position): string {
  const time = at.lines === 0 ? '0' : '+0';
  const { ours, peer } = at;
  switch (template) {
    case 'syn':
      return `${time.padEnd(8)}< S  ${ours}:${ours}(0) win 65535 <mss 1460,sackOK,nop,wscale 7>`;
    case 'expect-synack':
      return `${time.padEnd(8)}> S. ${peer}:${peer}(0) ack ${ours} <...>`;
    case 'ack':
      return `${time.padEnd(8)}< .  ${ours}:${ours}(0) ack ${peer} win 502`;
    case 'data':
      return `${time.padEnd(8)}< P. ${ours}:${ours + 18}(18) ack ${peer} win 502 "${HTTP_REQUEST}"`;
    case 'expect-ack':
      return `${'+0~+0.2'.padEnd(8)}> .  ${peer}:${peer}(0) ack ${ours} <...>`;
    case 'fin':
      return `${time.padEnd(8)}< F. ${ours}:${ours}(0) ack ${peer} win 502`;
    case 'expect-fin':
      return `${'*'.padEnd(8)}> F. ${peer}:${peer}(0) ack ${ours} <...>`;
    case 'rst':
      return `${time.padEnd(8)}< R. ${ours}:${ours}(0) ack ${peer} win 0`;
    case 'expect-rst':
      return `${time.padEnd(8)}> R. ${peer}:${peer}(0) ack ${ours} win 0`;
  }
}

/** Appends a line to a script's text, keeping one line break between. */
export function appendLine(text: string, line: string): string {
  if (text === '' ) return `${line}\n`;
  return `${text.endsWith('\n') ? text : `${text}\n`}${line}\n`;
}

/**
 * A captured segment as a packet line. `relative` gives its sequence and ack numbers relative
 * to each side's ISN (the ladder's numbers); `fromUs` makes it a `<` line, else a `>` line.
 * Null when the packet is not TCP.
 */
export function lineFromPacket(packet: Uint8Array, fromUs: boolean, relative: { seq: number; ack: number } | null, time: string): string | null {
  const segment = decodeSegment(packet);
  if (!segment) return null;
  const ownBase = relative ? (segment.seq - relative.seq) >>> 0 : 0;
  const otherBase = relative && segment.flags & FLAG_ACK ? (segment.ack - relative.ack) >>> 0 : 0;
  const view = scriptView(segment, fromUs, ownBase, otherBase);
  return `${time.padEnd(8)}${fromUs ? '<' : '>'} ${formatSegment(view, Number.POSITIVE_INFINITY)}`;
}
