/**
 * IPv6 extension-header facts shared by the decoder, the fast path and the encoder.
 */
import { IPPROTO_AH, IPPROTO_DSTOPTS, IPPROTO_FRAGMENT, IPPROTO_HOPOPTS, IPPROTO_ROUTING } from './linktypes';

export function isIpv6ExtensionHeader(protocol: number): boolean {
  return protocol === IPPROTO_HOPOPTS || protocol === IPPROTO_ROUTING || protocol === IPPROTO_FRAGMENT || protocol === IPPROTO_DSTOPTS || protocol === IPPROTO_AH;
}

/** Byte length of an extension header from its length byte (RFC 8200 §4; AH in 4-byte units, RFC 4302). */
export function ipv6ExtensionLength(type: number, lengthByte: number): number {
  if (type === IPPROTO_FRAGMENT) return 8;
  if (type === IPPROTO_AH) return (lengthByte + 2) * 4;
  return (lengthByte + 1) * 8;
}

const ROUTING_TYPE_SOURCE_ROUTE = 0; // RFC 2460 type 0 (deprecated, still seen in captures)
const ROUTING_TYPE_MOBILE = 2; // RFC 6275 home address
const ROUTING_TYPE_SEGMENT = 4; // RFC 8754 segment routing

/**
 * Where the address the upper-layer pseudo-header uses sits (RFC 8200 §8.1): the final
 * destination. While a routing header still has segments left, that is its last hop (the last
 * address of a type 0 or 2 header, Segment List[0] of a segment routing header), not the
 * Destination Address field. Falls back to the field when the chain cannot be read.
 */
export function pseudoHeaderDestinationOffset(bytes: Uint8Array, ipv6Offset: number, packetEnd: number): number {
  const headerDestination = ipv6Offset + 24;
  let next = bytes[ipv6Offset + 6];
  let position = ipv6Offset + 40;
  while (isIpv6ExtensionHeader(next) && position + 8 <= packetEnd) {
    const length = ipv6ExtensionLength(next, bytes[position + 1]);
    if (position + length > packetEnd) break;
    if (next === IPPROTO_ROUTING && bytes[position + 3] > 0) {
      const routingType = bytes[position + 2];
      const addresses = Math.floor((length - 8) / 16);
      if (addresses > 0 && (routingType === ROUTING_TYPE_SOURCE_ROUTE || routingType === ROUTING_TYPE_MOBILE)) return position + 8 + (addresses - 1) * 16;
      if (addresses > 0 && routingType === ROUTING_TYPE_SEGMENT) return position + 8;
    }
    next = bytes[position];
    position += length;
  }
  return headerDestination;
}
