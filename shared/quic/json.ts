/**
 * The QUIC packets of one datagram as `decode --json` keys, named after Wireshark's display
 * filter fields. A datagram may hold several coalesced packets, so every quic.* value is an
 * array with one entry per packet (tshark lists repeated fields the same way). The TLS keys
 * of cli.md appear when the datagram completes a hello on its own.
 */
import type { JsonObject, JsonValue } from '../track/json';
import { tlsHandshakesToFields } from '../tls/json';
import type { JsonFieldValue } from '../wire/json';
import { HTTP3_FRAME_NAMES } from '../http3/session';
import type { QuicFrameSummary, QuicPacketInfo } from './analyze';
import { frameInfoName, type QuicFrame } from './frames';
import type { QuicPacketType } from './header';

/** Keys this module may write beyond the hello's (the display filter's known names). */
export const QUIC_FIELD_NAMES: readonly string[] = [
  'quic',
  'quic.header_form',
  'quic.version',
  'quic.long.packet_type',
  'quic.dcid',
  'quic.scid',
  'quic.token_length',
  'quic.retry_token',
  'quic.packet_number',
  'quic.supported_version',
  'quic.frame_type',
  'quic.key_phase',
  'quic.decryption_failed',
  'quic.crypto.offset',
  'quic.crypto.length',
  'quic.stream.stream_id',
  'quic.stream.offset',
  'quic.stream.length',
  'quic.stream.fin',
  'quic.ack.largest_acknowledged',
  'quic.ack.ack_delay',
  'quic.ack.ack_range_count',
  'quic.ack.first_ack_range',
  'quic.nci.sequence',
  'quic.nci.retire_prior_to',
  'quic.nci.connection_id',
  'quic.nci.stateless_reset_token',
  'quic.rci.sequence',
  'quic.cc.error_code',
  'quic.cc.error_code.app',
  'quic.cc.frame_type',
  'quic.cc.reason_phrase',
  'quic.md.maximum_data',
  'quic.msd.stream_id',
  'quic.msd.maximum_stream_data',
  'quic.ms.max_streams',
  'quic.rsts.stream_id',
  'quic.rsts.application_error_code',
  'quic.ss.stream_id',
  'quic.ss.application_error_code',
  'quic.nt.token',
  'quic.path_challenge.data',
  'quic.path_response.data',
  'http3',
  'http3.stream_type',
  'http3.frame_type',
  'http3.frame_length',
  'http3.settings.id',
  'http3.settings.value',
  'http3.settings.qpack.max_table_capacity',
  'http3.settings.max_field_section_size',
  'http3.settings.qpack.blocked_streams',
  'http3.goaway_id',
  'http3.headers.method',
  'http3.headers.path',
  'http3.headers.authority',
  'http3.headers.scheme',
  'http3.headers.status',
  'http3.header.header.name',
  'http3.headers.header.value',
  'http3.headers.qpack_error',
];

/** A frame's own keys (packet-quic.c's names). */
function frameFields(frame: QuicFrameSummary | QuicFrame, push: (key: string, value: JsonValue) => void): void {
  switch (frame.type) {
    case 'crypto':
      push('quic.crypto.offset', frame.offset);
      push('quic.crypto.length', 'length' in frame ? frame.length : frame.data.length);
      break;
    case 'stream':
      push('quic.stream.stream_id', frame.streamId);
      if (frame.frameType & 0x04) push('quic.stream.offset', frame.offset);
      if (frame.frameType & 0x02) push('quic.stream.length', 'length' in frame ? frame.length : frame.data.length);
      push('quic.stream.fin', frame.fin);
      break;
    case 'ack':
      push('quic.ack.largest_acknowledged', frame.largestAcknowledged);
      push('quic.ack.ack_delay', frame.ackDelay);
      push('quic.ack.ack_range_count', frame.rangeCount);
      push('quic.ack.first_ack_range', frame.firstRange);
      break;
    case 'new-connection-id':
      push('quic.nci.sequence', frame.sequence);
      push('quic.nci.retire_prior_to', frame.retirePriorTo);
      push('quic.nci.connection_id', frame.connectionId);
      push('quic.nci.stateless_reset_token', frame.resetToken);
      break;
    case 'retire-connection-id':
      push('quic.rci.sequence', frame.sequence);
      break;
    case 'connection-close':
      push(frame.application ? 'quic.cc.error_code.app' : 'quic.cc.error_code', frame.errorCode);
      if (frame.closedFrameType !== null) push('quic.cc.frame_type', frame.closedFrameType);
      push('quic.cc.reason_phrase', frame.reason);
      break;
    case 'max-data':
      push('quic.md.maximum_data', frame.maximum);
      break;
    case 'max-stream-data':
      push('quic.msd.stream_id', frame.streamId);
      push('quic.msd.maximum_stream_data', frame.maximum);
      break;
    case 'max-streams':
      push('quic.ms.max_streams', frame.maximum);
      break;
    case 'reset-stream':
      push('quic.rsts.stream_id', frame.streamId);
      push('quic.rsts.application_error_code', frame.errorCode);
      break;
    case 'stop-sending':
      push('quic.ss.stream_id', frame.streamId);
      push('quic.ss.application_error_code', frame.errorCode);
      break;
    case 'new-token':
      push('quic.nt.token', frame.token);
      break;
    case 'path-challenge':
      push('quic.path_challenge.data', frame.data);
      break;
    case 'path-response':
      push('quic.path_response.data', frame.data);
      break;
  }
}

/** HTTP/3 settings with a field of their own in Wireshark. */
const SETTING_FIELDS: Record<number, string> = {
  0x01: 'http3.settings.qpack.max_table_capacity',
  0x06: 'http3.settings.max_field_section_size',
  0x07: 'http3.settings.qpack.blocked_streams',
};

const PSEUDO_HEADER_FIELDS: Record<string, string> = {
  ':method': 'http3.headers.method',
  ':path': 'http3.headers.path',
  ':authority': 'http3.headers.authority',
  ':scheme': 'http3.headers.scheme',
  ':status': 'http3.headers.status',
};

function http3Fields(infos: QuicPacketInfo[], push: (key: string, value: JsonValue) => void): boolean {
  let any = false;
  for (const info of infos) {
    for (const item of info.http3) {
      any = true;
      if (item.kind === 'stream-type') {
        push('http3.stream_type', item.streamType);
        continue;
      }
      push('http3.frame_type', item.frameType);
      push('http3.frame_length', item.length);
      for (const [id, value] of item.settings ?? []) {
        push('http3.settings.id', id);
        push('http3.settings.value', value);
        const named = SETTING_FIELDS[id];
        if (named) push(named, value);
      }
      if (item.goawayId !== undefined) push('http3.goaway_id', item.goawayId);
      for (const [name, value] of item.headers ?? []) {
        push('http3.header.header.name', name);
        push('http3.headers.header.value', value);
        const named = PSEUDO_HEADER_FIELDS[name];
        if (named) push(named, name === ':status' ? Number(value) : value);
      }
      if (item.error && item.frameType === 1) push('http3.headers.qpack_error', item.error);
    }
  }
  return any;
}

/** Wireshark's quic.long.packet_type numbering (QUIC v1's type bits, also used for v2). */
const LONG_PACKET_TYPE: Partial<Record<QuicPacketType, number>> = { initial: 0, '0-rtt': 1, handshake: 2, retry: 3 };

export function quicFieldsJson(infos: QuicPacketInfo[]): JsonObject {
  const fields: JsonObject = {};
  const push = (key: string, value: JsonValue) => {
    const list = (fields[key] ??= []) as JsonValue[];
    list.push(value);
  };
  fields.quic = true;
  for (const info of infos) {
    if (info.type === 'short') {
      push('quic.header_form', 0);
      if (info.dcid) push('quic.dcid', info.dcid);
      if (info.keyPhase !== null) push('quic.key_phase', info.keyPhase === 1);
      if (info.packetNumber !== null) push('quic.packet_number', info.packetNumber);
      for (const frame of info.frames) push('quic.frame_type', frame.frameType);
      for (const frame of info.frames) frameFields(frame, push);
      if (info.notDecrypted) push('quic.decryption_failed', info.notDecrypted);
      if (info.error) push('_ws.malformed', `QUIC: ${info.error}`);
      continue;
    }
    push('quic.header_form', 1);
    if (info.version >= 0) push('quic.version', info.version);
    const packetType = LONG_PACKET_TYPE[info.type];
    if (packetType !== undefined) push('quic.long.packet_type', packetType);
    push('quic.dcid', info.dcid);
    push('quic.scid', info.scid);
    if (info.type === 'initial') push('quic.token_length', info.token.length / 2);
    if (info.type === 'retry') push('quic.retry_token', info.token);
    if (info.packetNumber !== null) push('quic.packet_number', info.packetNumber);
    for (const version of info.supportedVersions) push('quic.supported_version', version);
    for (const frame of info.frames) push('quic.frame_type', frame.frameType);
    for (const frame of info.frames) frameFields(frame, push);
    if (info.notDecrypted) push('quic.decryption_failed', info.notDecrypted);
    if (info.error) push('_ws.malformed', `QUIC: ${info.error}`);
  }
  if (http3Fields(infos, push)) fields.http3 = true;
  const handshakes = infos.flatMap((info) => info.handshakes);
  const hello = infos.find((info) => info.hello)?.hello;
  if (handshakes.length > 0) {
    // Messages as the tracker reassembled them, in the packet whose CRYPTO data completed them (as tshark shows them).
    tlsHandshakesToFields(handshakes, fields as Record<string, JsonFieldValue>);
  } else if (hello) {
    fields['tls.handshake.type'] = [hello.type];
    if (hello.serverName !== null) fields['tls.handshake.extensions_server_name'] = hello.serverName;
    if (hello.alpn.length > 0) fields['tls.handshake.extensions_alpn_str'] = hello.alpn;
    if (hello.supportedVersions.length > 0) fields['tls.handshake.extensions.supported_version'] = hello.supportedVersions;
    fields['tls.handshake.ciphersuite'] = hello.cipherSuites;
  }
  return fields;
}

const PACKET_NAMES: Record<QuicPacketType, string> = {
  initial: 'Initial',
  '0-rtt': '0-RTT',
  handshake: 'Handshake',
  retry: 'Retry',
  'version-negotiation': 'Version Negotiation',
  short: 'Protected Payload',
  'unknown-version': 'Unknown version',
};

/** The Info column for a QUIC datagram, worded as Wireshark does (`Initial, DCID=…, PKN: 0, CRYPTO, PADDING`). */
export function quicInfoText(infos: QuicPacketInfo[]): string {
  return infos
    .map((info) => {
      const parts = [info.keyPhase !== null ? `${PACKET_NAMES[info.type]} (KP${info.keyPhase})` : PACKET_NAMES[info.type]];
      if (info.dcid) parts.push(`DCID=${info.dcid}`);
      if (info.type !== 'short' && info.scid) parts.push(`SCID=${info.scid}`);
      if (info.packetNumber !== null) parts.push(`PKN: ${info.packetNumber}`);
      const frameNames: string[] = [];
      for (const frame of info.frames) {
        const name = frameInfoName(frame as QuicFrame);
        // A run of PADDING bytes is one frame to Wireshark; every other frame is listed.
        if (name !== 'PADDING' || frameNames[frameNames.length - 1] !== name) frameNames.push(name);
        // HTTP/3 frames this stream completed follow their STREAM frame, as in Wireshark's Info.
        if (frame.type === 'stream') {
          for (const item of info.http3) if (item.kind === 'frame' && item.streamId === frame.streamId) frameNames.push(HTTP3_FRAME_NAMES[item.frameType] ?? `0x${item.frameType.toString(16)}`);
        }
      }
      return [...parts, ...frameNames].join(', ');
    })
    .join('; ');
}
