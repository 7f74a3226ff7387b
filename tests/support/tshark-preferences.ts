/**
 * tshark preferences our oracles need to describe what the workbench does.
 *
 * Our stream reassembly (HTTP, TLS records, HTTP/2 frames) places a segment that arrives out
 * of order into its gap and carries on, as Wireshark does with "Reassemble out-of-order
 * segments" on. Wireshark's default is off: a live capture that happens to catch a reordered
 * or late segment then shows "Continuation" where we show the reassembled message.
 */
export const TSHARK_REASSEMBLY = ['-o', 'tcp.reassemble_out_of_order:TRUE'] as const;
