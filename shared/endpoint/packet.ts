/**
 * Between the endpoint's segments and IP packets (no link layer): the craft encoder builds
 * ours (lengths and checksums automatic), the wire decoder reads the peer's.
 */
import { encodeFrame } from '../craft/encode';
import { tcpFrame } from '../craft/templates';
import { decodeFrame } from '../wire/decode';
import { LINKTYPE_RAW } from '../wire/linktypes';
import type { EndpointSegment } from './endpoint';

export interface SegmentAddress {
  address: string;
  port: number;
}

export interface ReceivedSegment {
  source: SegmentAddress;
  destination: SegmentAddress;
  segment: EndpointSegment;
  /** A checksum that does not add up (a segment the endpoint must drop, RFC 9293 §3.10.7.4). */
  badChecksum: boolean;
}

/** Our segment as an IP packet from `local` to `remote`. */
export function packetOf(segment: EndpointSegment, local: SegmentAddress, remote: SegmentAddress): Uint8Array {
  return encodeFrame(
    tcpFrame({
      src: local.address,
      dst: remote.address,
      srcPort: local.port,
      dstPort: remote.port,
      seq: segment.seq,
      ack: segment.ack,
      flags: segment.flags,
      window: segment.window,
      urgentPointer: segment.urgent,
      options: segment.options,
      payload: segment.payload,
      linkType: LINKTYPE_RAW,
    }),
  );
}

/** The TCP segment in an IP packet, or null when it holds none (or a quoted one, inside ICMP). */
export function segmentOf(packet: Uint8Array): ReceivedSegment | null {
  const decoded = decodeFrame(packet, LINKTYPE_RAW);
  let ip = null;
  let tcp = null;
  let data = null;
  for (const layer of decoded.layers) {
    if (layer.quoted) continue;
    if (layer.kind === 'ip' || layer.kind === 'ipv6') ip = layer;
    else if (layer.kind === 'tcp') tcp = layer;
    else if (layer.kind === 'data' && tcp) data = layer;
  }
  if (!ip || !tcp || tcp.malformed) return null;
  const value = (layer: NonNullable<typeof tcp>, name: string) => layer.fields.find((field) => field.name === name)?.value;
  const v4 = ip.kind === 'ip';
  return {
    source: { address: String(value(ip, v4 ? 'ip.src' : 'ipv6.src')), port: Number(value(tcp, 'tcp.srcport')) },
    destination: { address: String(value(ip, v4 ? 'ip.dst' : 'ipv6.dst')), port: Number(value(tcp, 'tcp.dstport')) },
    segment: {
      seq: Number(value(tcp, 'tcp.seq_raw')) >>> 0,
      ack: Number(value(tcp, 'tcp.ack_raw')) >>> 0,
      flags: Number(value(tcp, 'tcp.flags')) & 0xfff,
      window: Number(value(tcp, 'tcp.window_size_value')),
      urgent: Number(value(tcp, 'tcp.urgent_pointer') ?? 0),
      options: (tcp.tcpOptions ?? []).map((option) => option.spec),
      payload: data?.data ? data.data.slice() : new Uint8Array(0),
    },
    badChecksum: value(tcp, 'tcp.checksum.status') === 'bad',
  };
}
