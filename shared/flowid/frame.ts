/**
 * A decoded frame's Community ID (Wireshark's `communityid` field): the innermost IP header
 * and the transport header after it (TCP, UDP, SCTP ports; ICMP type and code), or the IP
 * protocol alone for other payloads. Frames without IP have none.
 */
import type { DecodedFrame, DecodedLayer } from '../wire/decode';
import { communityId } from './community-id';

function numberField(layer: DecodedLayer, name: string): number | undefined {
  const field = layer.fields.find((f) => f.name === name);
  return typeof field?.value === 'number' ? field.value : undefined;
}

const TRANSPORT: Readonly<Record<string, [number, string, string]>> = {
  tcp: [6, 'tcp.srcport', 'tcp.dstport'],
  udp: [17, 'udp.srcport', 'udp.dstport'],
  icmp: [1, 'icmp.type', 'icmp.code'],
  icmpv6: [58, 'icmpv6.type', 'icmpv6.code'],
};

export function frameCommunityId(decoded: DecodedFrame, seed = 0): string | null {
  let ip: DecodedLayer | null = null;
  let transport: DecodedLayer | null = null;
  for (const layer of decoded.layers) {
    if (layer.quoted) break;
    if (layer.kind === 'ip' || layer.kind === 'ipv6') {
      ip = layer;
      transport = null;
    } else if (ip && TRANSPORT[layer.kind]) {
      transport = layer;
    }
  }
  if (!ip) return null;
  const v6 = ip.kind === 'ipv6';
  const size = v6 ? 16 : 4;
  const srcAt = ip.offset + (v6 ? 8 : 12);
  if (srcAt + 2 * size > decoded.capturedLength) return null;
  const source = decoded.bytes.subarray(srcAt, srcAt + size);
  const destination = decoded.bytes.subarray(srcAt + size, srcAt + 2 * size);
  if (transport) {
    const [protocol, from, to] = TRANSPORT[transport.kind];
    const sourcePort = numberField(transport, from);
    const destinationPort = numberField(transport, to);
    if (sourcePort !== undefined && destinationPort !== undefined) {
      return communityId(protocol, { address: source, port: sourcePort }, { address: destination, port: destinationPort }, seed);
    }
  }
  const fragmentNext = v6 ? numberField(ip, 'ipv6.fraghdr.nxt') : undefined;
  const fragment = v6 ? fragmentNext !== undefined && (numberField(ip, 'ipv6.fraghdr.offset') !== 0 || ip.fields.some((f) => f.name === 'ipv6.fraghdr.more' && f.value === true)) : numberField(ip, 'ip.frag_offset') !== 0 || ip.fields.some((f) => f.name === 'ip.flags.mf' && f.value === true);
  const protocol = v6 ? (fragment ? fragmentNext : numberField(ip, 'ipv6.nxt')) : numberField(ip, 'ip.proto');
  // A fragment's ports are not read (the reassembled datagram's frame has them): an IPv4 fragment is
  // hashed without them and an IPv6 fragment has none, as Wireshark does.
  if (fragment && v6) return null;
  if (fragment && protocol !== undefined) return communityId(protocol, { address: source, port: 0 }, { address: destination, port: 0 }, seed, false);
  if (protocol === undefined || protocol === 6 || protocol === 17 || protocol === 1 || protocol === 58 || protocol === 132) return null; // ports expected but not read
  return communityId(protocol, { address: source, port: 0 }, { address: destination, port: 0 }, seed);
}
