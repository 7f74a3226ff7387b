/**
 * The QUIC packets of one datagram as `decode --json` keys, named after Wireshark's display
 * filter fields. A datagram may hold several coalesced packets, so every quic.* value is an
 * array with one entry per packet (tshark lists repeated fields the same way). The TLS keys
 * of cli.md appear when the datagram completes a hello on its own.
 */
import type { JsonObject, JsonValue } from '../track/json';
import type { QuicPacketInfo } from './analyze';
import type { QuicPacketType } from './header';

/** Wireshark's quic.long.packet_type numbering (QUIC v1's type bits, also used for v2). */
const LONG_PACKET_TYPE: Partial<Record<QuicPacketType, number>> = { initial: 0, '0-rtt': 1, handshake: 2, retry: 3 };

export function quicFieldsJson(infos: QuicPacketInfo[]): JsonObject {
  const fields: JsonObject = {};
  const push = (key: string, value: JsonValue) => {
    const list = (fields[key] ??= []) as JsonValue[];
    list.push(value);
  };
  for (const info of infos) {
    if (info.type === 'short') {
      push('quic.header_form', 0);
      if (info.dcid) push('quic.dcid', info.dcid);
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
    if (info.error) push('_ws.malformed', `QUIC: ${info.error}`);
  }
  const hello = infos.find((info) => info.hello)?.hello;
  if (hello) {
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
      const parts = [PACKET_NAMES[info.type]];
      if (info.dcid) parts.push(`DCID=${info.dcid}`);
      if (info.type !== 'short' && info.scid) parts.push(`SCID=${info.scid}`);
      if (info.packetNumber !== null) parts.push(`PKN: ${info.packetNumber}`);
      const frameNames: string[] = [];
      for (const frame of info.frames) {
        const name = frame.type.toUpperCase().replace(/-/g, '_');
        // A run of PADDING bytes is one frame to Wireshark; every other frame is listed.
        if (name !== 'PADDING' || frameNames[frameNames.length - 1] !== name) frameNames.push(name);
      }
      return [...parts, ...frameNames].join(', ');
    })
    .join('; ');
}
