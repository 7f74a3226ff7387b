/**
 * Expert Information: every analysis note of a capture grouped by severity and kind, as
 * Wireshark's Expert Information dialog and `tshark -z expert` group them. The engine feeds
 * it from its index columns and `analyze --expert` from the pipeline; both use these kinds.
 */
import { ANALYSIS_NOTES } from '../api/detail-tree';
import type { Severity } from '../api/contract';
import { Analysis } from '../track/flags';
import type { SynFloodAlert } from '../track/synflood';
import type { ConnectionSummary } from '../track/types';

export interface ExpertKindInfo {
  kind: string;
  severity: Severity;
  /** Wireshark's expert group (Sequence, Checksum, Malformed). */
  group: string;
  protocol: string;
  /** Wireshark's summary text, where Wireshark has this note. */
  summary: string;
}

function analysisKind(kind: string, key: string): ExpertKindInfo {
  const note = ANALYSIS_NOTES[key];
  return { kind, severity: note.severity, group: 'Sequence', protocol: 'TCP', summary: note.message };
}

/** The kinds in the order a panel lists them within a severity. */
export const EXPERT_KINDS: readonly ExpertKindInfo[] = [
  { kind: 'malformed', severity: 'error', group: 'Malformed', protocol: 'Frame', summary: 'Malformed Packet (Exception occurred)' },
  { kind: 'bad-checksum', severity: 'error', group: 'Checksum', protocol: 'TCP', summary: 'Bad checksum' },
  { kind: 'syn-flood', severity: 'error', group: 'Security', protocol: 'TCP', summary: 'SYN flood: many half-open connections to one server endpoint' },
  { kind: 'state-anomaly', severity: 'warn', group: 'Protocol', protocol: 'TCP', summary: 'Handshake ACK does not acknowledge the peer\'s ISN' },
  { kind: 'rst', severity: 'warn', group: 'Sequence', protocol: 'TCP', summary: 'Connection reset (RST)' },
  analysisKind('lost-segment', 'lost_segment'),
  analysisKind('ack-lost-segment', 'ack_lost_segment'),
  analysisKind('out-of-order', 'out_of_order'),
  analysisKind('zero-window', 'zero_window'),
  analysisKind('window-full', 'window_full'),
  analysisKind('retransmission', 'retransmission'),
  analysisKind('fast-retransmission', 'fast_retransmission'),
  analysisKind('spurious-retransmission', 'spurious_retransmission'),
  analysisKind('dup-ack', 'duplicate_ack'),
  analysisKind('zero-window-probe', 'zero_window_probe'),
  analysisKind('keep-alive', 'keep_alive'),
  analysisKind('keep-alive-ack', 'keep_alive_ack'),
  analysisKind('reused-ports', 'reused_ports'),
  analysisKind('window-update', 'window_update'),
  { kind: 'syn', severity: 'chat', group: 'Sequence', protocol: 'TCP', summary: 'Connection establish request (SYN)' },
  { kind: 'syn-ack', severity: 'chat', group: 'Sequence', protocol: 'TCP', summary: 'Connection establish acknowledge (SYN+ACK)' },
  { kind: 'fin', severity: 'chat', group: 'Sequence', protocol: 'TCP', summary: 'Connection finish (FIN)' },
];

const KIND_POSITION = new Map(EXPERT_KINDS.map((info, i) => [info.kind, i]));

/** Analysis bit → kind. A fast or spurious retransmission is also a retransmission, as in Wireshark. */
const ANALYSIS_BIT_KINDS: ReadonlyArray<readonly [number, number]> = (
  [
    [Analysis.LOST_SEGMENT, 'lost-segment'],
    [Analysis.ACK_LOST_SEGMENT, 'ack-lost-segment'],
    [Analysis.OUT_OF_ORDER, 'out-of-order'],
    [Analysis.ZERO_WINDOW, 'zero-window'],
    [Analysis.WINDOW_FULL, 'window-full'],
    [Analysis.RETRANSMISSION, 'retransmission'],
    [Analysis.FAST_RETRANSMISSION, 'fast-retransmission'],
    [Analysis.SPURIOUS_RETRANSMISSION, 'spurious-retransmission'],
    [Analysis.DUPLICATE_ACK, 'dup-ack'],
    [Analysis.ZERO_WINDOW_PROBE, 'zero-window-probe'],
    [Analysis.KEEP_ALIVE, 'keep-alive'],
    [Analysis.KEEP_ALIVE_ACK, 'keep-alive-ack'],
    [Analysis.REUSED_PORTS, 'reused-ports'],
    [Analysis.WINDOW_UPDATE, 'window-update'],
  ] as const
).map(([bit, kind]) => [bit, KIND_POSITION.get(kind) ?? 0] as const);

const TCP_FIN = 0x01;
const TCP_SYN = 0x02;
const TCP_RST = 0x04;
const TCP_ACK = 0x10;

/** What one frame contributes: its TCP flags (-1: not TCP), analysis bits and frame-level problems. */
export interface ExpertFrameFacts {
  tcpFlags: number;
  analysis: number;
  malformed: boolean;
  badChecksum: boolean;
}

export interface ExpertGroupResult extends ExpertKindInfo {
  count: number;
  /** Frame indexes (0-based capture positions), the first `frameLimit` of them. */
  frames: number[];
}

/** Collects notes frame by frame (in capture order), then connection- and alert-level ones. */
export class ExpertCollector {
  private readonly counts = new Float64Array(EXPERT_KINDS.length);
  private readonly frames: number[][] = EXPERT_KINDS.map(() => []);

  constructor(private readonly frameLimit = 10_000) {}

  private note(position: number, frame: number): void {
    this.counts[position]++;
    const list = this.frames[position];
    if (list.length < this.frameLimit) list.push(frame);
  }

  addKind(kind: string, frame: number): void {
    const position = KIND_POSITION.get(kind);
    if (position === undefined) throw new RangeError(`unknown expert kind ${kind}`);
    this.note(position, frame);
  }

  addFrame(frame: number, facts: ExpertFrameFacts): void {
    if (facts.malformed) this.note(0, frame);
    if (facts.badChecksum) this.note(1, frame);
    if (facts.tcpFlags < 0) return;
    const flags = facts.tcpFlags;
    if (flags & TCP_RST) this.note(4, frame);
    const analysis = facts.analysis;
    if (analysis !== 0) {
      for (const [bit, position] of ANALYSIS_BIT_KINDS) {
        if (analysis & bit) this.note(position, frame);
      }
      // Wireshark notes a fast or spurious retransmission as a retransmission as well.
      if (analysis & (Analysis.FAST_RETRANSMISSION | Analysis.SPURIOUS_RETRANSMISSION) && !(analysis & Analysis.RETRANSMISSION)) {
        this.note(KIND_POSITION.get('retransmission') ?? 0, frame);
      }
    }
    if (flags & TCP_SYN) this.note(KIND_POSITION.get(flags & TCP_ACK ? 'syn-ack' : 'syn') ?? 0, frame);
    if (flags & TCP_FIN) this.note(KIND_POSITION.get('fin') ?? 0, frame);
  }

  /** Connection-level notes: handshake ACKs that do not acknowledge the ISN. `frameIndex` maps frame numbers to indexes. */
  addConnection(connection: ConnectionSummary, frameIndex: (frameNumber: number) => number = (n) => n - 1): void {
    const handshake = connection.handshake;
    if (handshake.synAckAcksIsn === false && handshake.frames.length > 1) this.addKind('state-anomaly', frameIndex(handshake.frames[1]));
    if (handshake.finalAckAcksIsn === false && handshake.frames.length > 2) this.addKind('state-anomaly', frameIndex(handshake.frames[2]));
  }

  addAlert(alert: SynFloodAlert, frameIndex: (frameNumber: number) => number = (n) => n - 1): void {
    this.addKind('syn-flood', frameIndex(alert.first_frame));
  }

  /** Groups with at least one note, by severity (error first), then in EXPERT_KINDS order. */
  groups(): ExpertGroupResult[] {
    const order: Record<Severity, number> = { error: 0, warn: 1, note: 2, chat: 3 };
    return EXPERT_KINDS.map((info, i) => ({ ...info, count: this.counts[i], frames: this.frames[i] }))
      .filter((group) => group.count > 0)
      .sort((a, b) => order[a.severity] - order[b.severity] || (KIND_POSITION.get(a.kind) ?? 0) - (KIND_POSITION.get(b.kind) ?? 0));
  }
}

/** `analyze --expert` text: one section per severity, as `tshark -z expert` lays them out. */
export function expertText(groups: readonly ExpertGroupResult[]): string {
  const titles: Record<Severity, string> = { error: 'Errors', warn: 'Warns', note: 'Notes', chat: 'Chats' };
  const lines: string[] = [];
  for (const severity of ['error', 'warn', 'note', 'chat'] as const) {
    const mine = groups.filter((g) => g.severity === severity);
    if (mine.length === 0) continue;
    const total = mine.reduce((sum, g) => sum + g.count, 0);
    if (lines.length) lines.push('');
    lines.push(`${titles[severity]} (${total})`, '=============', '   Frequency      Group           Protocol  Summary');
    for (const g of mine) {
      const sample = g.frames.slice(0, 8).map((f) => f + 1).join(', ');
      lines.push(`${String(g.count).padStart(12)}   ${g.group.padStart(8)}  ${g.protocol.padStart(17)}  ${g.summary} [${g.kind}; frames ${sample}${g.count > 8 ? ', …' : ''}]`);
    }
  }
  return lines.join('\n');
}

export function expertToJson(group: ExpertGroupResult): Record<string, string | number | number[]> {
  return {
    type: 'expert',
    severity: group.severity,
    kind: group.kind,
    group: group.group,
    protocol: group.protocol,
    summary: group.summary,
    count: group.count,
    frames: group.frames.map((f) => f + 1),
  };
}
