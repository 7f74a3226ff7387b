/**
 * Per-frame TCP analysis flags, one bit each, named after Wireshark's
 * `tcp.analysis.*` fields (packet-tcp.c's TCP_A_* definitions).
 */
export const Analysis = {
  RETRANSMISSION: 1 << 0,
  FAST_RETRANSMISSION: 1 << 1,
  SPURIOUS_RETRANSMISSION: 1 << 2,
  DUPLICATE_ACK: 1 << 3,
  KEEP_ALIVE: 1 << 4,
  KEEP_ALIVE_ACK: 1 << 5,
  ZERO_WINDOW: 1 << 6,
  ZERO_WINDOW_PROBE: 1 << 7,
  ZERO_WINDOW_PROBE_ACK: 1 << 8,
  WINDOW_UPDATE: 1 << 9,
  WINDOW_FULL: 1 << 10,
  OUT_OF_ORDER: 1 << 11,
  LOST_SEGMENT: 1 << 12,
  ACK_LOST_SEGMENT: 1 << 13,
  REUSED_PORTS: 1 << 14,
} as const;

/** Bit → the `tcp.analysis.` key it sets (cli.md's list, plus zero_window_probe_ack). */
export const ANALYSIS_KEYS: ReadonlyArray<readonly [bit: number, key: string]> = [
  [Analysis.RETRANSMISSION, 'tcp.analysis.retransmission'],
  [Analysis.FAST_RETRANSMISSION, 'tcp.analysis.fast_retransmission'],
  [Analysis.SPURIOUS_RETRANSMISSION, 'tcp.analysis.spurious_retransmission'],
  [Analysis.DUPLICATE_ACK, 'tcp.analysis.duplicate_ack'],
  [Analysis.KEEP_ALIVE, 'tcp.analysis.keep_alive'],
  [Analysis.KEEP_ALIVE_ACK, 'tcp.analysis.keep_alive_ack'],
  [Analysis.ZERO_WINDOW, 'tcp.analysis.zero_window'],
  [Analysis.ZERO_WINDOW_PROBE, 'tcp.analysis.zero_window_probe'],
  [Analysis.ZERO_WINDOW_PROBE_ACK, 'tcp.analysis.zero_window_probe_ack'],
  [Analysis.WINDOW_UPDATE, 'tcp.analysis.window_update'],
  [Analysis.WINDOW_FULL, 'tcp.analysis.window_full'],
  [Analysis.OUT_OF_ORDER, 'tcp.analysis.out_of_order'],
  [Analysis.LOST_SEGMENT, 'tcp.analysis.lost_segment'],
  [Analysis.ACK_LOST_SEGMENT, 'tcp.analysis.ack_lost_segment'],
  [Analysis.REUSED_PORTS, 'tcp.analysis.reused_ports'],
];

/** Wireshark's pseudo-field present on every frame with any of the flags above (the usual "TCP problems" filter). */
export const ANALYSIS_FLAGS_KEY = 'tcp.analysis.flags';

/** Wireshark's tcp.completeness bits. */
export const Completeness = {
  SYN: 1,
  SYN_ACK: 2,
  ACK: 4,
  DATA: 8,
  FIN: 16,
  RST: 32,
} as const;
