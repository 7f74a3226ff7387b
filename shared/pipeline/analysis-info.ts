/** The bracketed analysis prefix Wireshark puts in front of a TCP frame's Info column. */
import { Analysis } from '../track/flags';
import type { FrameAnalysis } from '../track/types';

/** Wireshark's wording, most significant first (as its Info column shows them). */
const INFO_LABELS: ReadonlyArray<readonly [bit: number, label: (analysis: FrameAnalysis) => string]> = [
  [Analysis.REUSED_PORTS, () => 'TCP Port numbers reused'],
  [Analysis.LOST_SEGMENT, () => 'TCP Previous segment not captured'],
  [Analysis.ACK_LOST_SEGMENT, () => 'TCP ACKed unseen segment'],
  [Analysis.SPURIOUS_RETRANSMISSION, () => 'TCP Spurious Retransmission'],
  [Analysis.FAST_RETRANSMISSION, () => 'TCP Fast Retransmission'],
  [Analysis.RETRANSMISSION, () => 'TCP Retransmission'],
  [Analysis.OUT_OF_ORDER, () => 'TCP Out-Of-Order'],
  [Analysis.KEEP_ALIVE, () => 'TCP Keep-Alive'],
  [Analysis.KEEP_ALIVE_ACK, () => 'TCP Keep-Alive ACK'],
  [Analysis.DUPLICATE_ACK, (analysis) => `TCP Dup ACK ${analysis.duplicateAckFrame}#${analysis.duplicateAckNumber}`],
  [Analysis.ZERO_WINDOW_PROBE, () => 'TCP ZeroWindowProbe'],
  [Analysis.ZERO_WINDOW_PROBE_ACK, () => 'TCP ZeroWindowProbeAck'],
  [Analysis.ZERO_WINDOW, () => 'TCP ZeroWindow'],
  [Analysis.WINDOW_FULL, () => 'TCP Window Full'],
  [Analysis.WINDOW_UPDATE, () => 'TCP Window Update'],
];

export function analysisInfoPrefix(analysis: FrameAnalysis): string {
  let prefix = '';
  for (const [bit, label] of INFO_LABELS) {
    // Wireshark shows a fast retransmission once, not also as a plain retransmission.
    if (bit === Analysis.RETRANSMISSION && (analysis.analysis & (Analysis.FAST_RETRANSMISSION | Analysis.SPURIOUS_RETRANSMISSION)) !== 0) continue;
    if ((analysis.analysis & bit) !== 0) prefix += `[${label(analysis)}] `;
  }
  return prefix.trimEnd();
}
