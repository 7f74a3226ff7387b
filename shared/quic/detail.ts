/**
 * The detail pane's QUIC, TLS-in-CRYPTO and HTTP/3 subtrees for one datagram, with Wireshark's
 * labels and field names. Decrypted bytes have no place in the frame's hex view: offset -1.
 */
import type { DetailNode } from '../api/contract';
import { HTTP3_FRAME_NAMES, HTTP3_STREAM_TYPE_NAMES } from '../http3/session';
import { handshakeNode } from '../tls/detail';
import type { QuicPacketInfo } from './analyze';
import { frameInfoName, type QuicFrame } from './frames';
import { quicInfoText } from './json';

/** The API bounds a label at 4096 characters; a hostile header value must not make the tree unsendable. */
const node = (label: string, field: string | null, children: DetailNode[] = [], severity: DetailNode['severity'] = null): DetailNode => ({
  label: label.length > 4000 ? `${label.slice(0, 3999)}…` : label,
  field,
  offset: -1,
  length: 0,
  severity,
  children,
});

const PACKET_TITLES: Record<QuicPacketInfo['type'], string> = {
  initial: 'Initial',
  '0-rtt': '0-RTT',
  handshake: 'Handshake',
  retry: 'Retry',
  'version-negotiation': 'Version Negotiation',
  short: 'Protected Payload',
  'unknown-version': 'Unknown version',
};

function frameNode(frame: QuicPacketInfo['frames'][number]): DetailNode {
  const children: DetailNode[] = [node(`Frame Type: ${frameInfoName(frame as QuicFrame)} (0x${frame.frameType.toString(16).padStart(16, '0')})`, 'quic.frame_type')];
  switch (frame.type) {
    case 'crypto':
      children.push(node(`Offset: ${frame.offset}`, 'quic.crypto.offset'), node(`Length: ${frame.length}`, 'quic.crypto.length'));
      break;
    case 'stream':
      children.push(node(`Stream ID: ${frame.streamId}`, 'quic.stream.stream_id'), node(`Offset: ${frame.offset}`, 'quic.stream.offset'), node(`Length: ${frame.length}`, 'quic.stream.length'), node(`Fin: ${frame.fin ? 'True' : 'False'}`, 'quic.stream.fin'));
      break;
    case 'ack':
      children.push(node(`Largest Acknowledged: ${frame.largestAcknowledged}`, 'quic.ack.largest_acknowledged'), node(`ACK Delay: ${frame.ackDelay}`, 'quic.ack.ack_delay'), node(`ACK Range Count: ${frame.rangeCount}`, 'quic.ack.ack_range_count'), node(`First ACK Range: ${frame.firstRange}`, 'quic.ack.first_ack_range'));
      break;
    case 'new-connection-id':
      children.push(node(`Sequence: ${frame.sequence}`, 'quic.nci.sequence'), node(`Retire Prior To: ${frame.retirePriorTo}`, 'quic.nci.retire_prior_to'), node(`Connection ID: ${frame.connectionId}`, 'quic.nci.connection_id'));
      break;
    case 'connection-close':
      children.push(node(`Error code: ${frame.errorCode}`, frame.application ? 'quic.cc.error_code.app' : 'quic.cc.error_code'), node(`Reason phrase: ${frame.reason}`, 'quic.cc.reason_phrase'));
      break;
    case 'padding':
      children.push(node(`Padding Length: ${frame.length}`, 'quic.padding_length'));
      break;
  }
  return node(frameInfoName(frame as QuicFrame), 'quic.frame', children);
}

/** "QUIC IETF" (one node per packet), then the TLS handshake messages and HTTP/3 frames the datagram completed. */
export function quicDetailNodes(infos: readonly QuicPacketInfo[]): DetailNode[] {
  const packets = infos.map((info) => {
    const children: DetailNode[] = [];
    if (info.type !== 'short' && info.version >= 0) children.push(node(`Version: ${info.versionName} (0x${info.version.toString(16).padStart(8, '0')})`, 'quic.version'));
    if (info.dcid) children.push(node(`Destination Connection ID: ${info.dcid}`, 'quic.dcid'));
    if (info.scid) children.push(node(`Source Connection ID: ${info.scid}`, 'quic.scid'));
    if (info.keyPhase !== null) children.push(node(`Key Phase Bit: ${info.keyPhase === 1 ? 'True' : 'False'}`, 'quic.key_phase'));
    if (info.packetNumber !== null) children.push(node(`Packet Number: ${info.packetNumber}`, 'quic.packet_number'));
    if (info.notDecrypted) children.push(node(`[Not decrypted: ${info.notDecrypted}]`, 'quic.decryption_failed', [], 'warn'));
    if (info.error) children.push(node(`[Malformed: ${info.error}]`, '_ws.malformed', [], 'error'));
    for (const frame of info.frames) children.push(frameNode(frame));
    return node(`QUIC IETF: ${quicInfoText([info])}`, 'quic', children);
  });
  const out = [...packets];
  const handshakes = infos.flatMap((info) => info.handshakes);
  if (handshakes.length > 0) out.push(node('TLSv1.3 (in QUIC CRYPTO frames)', 'tls', handshakes.map(handshakeNode)));
  const http3 = infos.flatMap((info) => info.http3);
  if (http3.length > 0) {
    out.push(
      node(
        'Hypertext Transfer Protocol Version 3',
        'http3',
        http3.map((item) => {
          if (item.kind === 'stream-type') return node(`Stream ${item.streamId}: ${HTTP3_STREAM_TYPE_NAMES[item.streamType] ?? `Stream Type 0x${item.streamType.toString(16)}`}`, 'http3.stream_type');
          const children: DetailNode[] = [node(`Type: ${HTTP3_FRAME_NAMES[item.frameType] ?? 'Unknown'} (0x${item.frameType.toString(16)})`, 'http3.frame_type'), node(`Length: ${item.length}`, 'http3.frame_length')];
          for (const [id, value] of item.settings ?? []) children.push(node(`Setting 0x${id.toString(16)}: ${value}`, 'http3.settings.id'));
          for (const [name, value] of item.headers ?? []) children.push(node(`Header: ${name}: ${value}`, 'http3.header.header.name'));
          if (item.goawayId !== undefined) children.push(node(`GOAWAY ID: ${item.goawayId}`, 'http3.goaway_id'));
          if (item.error) children.push(node(`[${item.error}]`, null, [], 'warn'));
          return node(`Stream ${item.streamId} (${item.side}): ${HTTP3_FRAME_NAMES[item.frameType] ?? `frame 0x${item.frameType.toString(16)}`}`, 'http3.frame_type', children);
        }),
      ),
    );
  }
  return out;
}
