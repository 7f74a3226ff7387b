/** HTTP/2 registry names (RFC 9113 §6, §7, §11 and the IANA registries), as Wireshark prints them. */

export const FrameType = {
  DATA: 0,
  HEADERS: 1,
  PRIORITY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PUSH_PROMISE: 5,
  PING: 6,
  GOAWAY: 7,
  WINDOW_UPDATE: 8,
  CONTINUATION: 9,
  ALTSVC: 10,
  ORIGIN: 12,
  PRIORITY_UPDATE: 16,
} as const;

const FRAME_NAMES: Record<number, string> = {
  0: 'DATA',
  1: 'HEADERS',
  2: 'PRIORITY',
  3: 'RST_STREAM',
  4: 'SETTINGS',
  5: 'PUSH_PROMISE',
  6: 'PING',
  7: 'GOAWAY',
  8: 'WINDOW_UPDATE',
  9: 'CONTINUATION',
  10: 'ALTSVC',
  11: 'BLOCKED',
  12: 'ORIGIN',
  16: 'PRIORITY_UPDATE',
};

export function frameTypeName(type: number): string {
  return FRAME_NAMES[type] ?? 'Unknown';
}

const ERROR_NAMES: Record<number, string> = {
  0: 'NO_ERROR',
  1: 'PROTOCOL_ERROR',
  2: 'INTERNAL_ERROR',
  3: 'FLOW_CONTROL_ERROR',
  4: 'SETTINGS_TIMEOUT',
  5: 'STREAM_CLOSED',
  6: 'FRAME_SIZE_ERROR',
  7: 'REFUSED_STREAM',
  8: 'CANCEL',
  9: 'COMPRESSION_ERROR',
  10: 'CONNECT_ERROR',
  11: 'ENHANCE_YOUR_CALM',
  12: 'INADEQUATE_SECURITY',
  13: 'HTTP_1_1_REQUIRED',
};

export function errorCodeName(code: number): string {
  return ERROR_NAMES[code] ?? 'Unknown';
}

/** SETTINGS identifiers: the Wireshark field suffix and the label. */
export const SETTINGS: Record<number, { field: string; label: string }> = {
  1: { field: 'header_table_size', label: 'Header table size' },
  2: { field: 'enable_push', label: 'Enable PUSH' },
  3: { field: 'max_concurrent_streams', label: 'Max concurrent streams' },
  4: { field: 'initial_window_size', label: 'Initial Windows size' },
  5: { field: 'max_frame_size', label: 'Max frame size' },
  6: { field: 'max_header_list_size', label: 'Max header list size' },
  8: { field: 'extended_connect', label: 'Extended CONNECT' },
};

/** Flag bits that mean something for a frame type, with Wireshark's field suffix and label. */
export const FLAG_DEFS: Record<number, { bit: number; field: string; label: string }[]> = {
  0: [
    { bit: 0x01, field: 'end_stream', label: 'End Stream' },
    { bit: 0x08, field: 'padded', label: 'Padded' },
  ],
  1: [
    { bit: 0x01, field: 'end_stream', label: 'End Stream' },
    { bit: 0x04, field: 'eh', label: 'End Headers' },
    { bit: 0x08, field: 'padded', label: 'Padded' },
    { bit: 0x20, field: 'priority', label: 'Priority' },
  ],
  4: [{ bit: 0x01, field: 'ack.settings', label: 'ACK' }],
  5: [
    { bit: 0x04, field: 'eh', label: 'End Headers' },
    { bit: 0x08, field: 'padded', label: 'Padded' },
  ],
  6: [{ bit: 0x01, field: 'ack.ping', label: 'ACK' }],
  9: [{ bit: 0x04, field: 'eh', label: 'End Headers' }],
};
