/**
 * Reasons a frame is flagged `_ws.malformed`. Shared by the full decoder and the fast path
 * so both name the same first failure with the same (preallocated) string.
 */
export const MALFORMED = {
  unknownLinkType: 'unsupported link type',
  ethTruncated: 'Ethernet header truncated',
  vlanTruncated: '802.1Q tag truncated',
  sllTruncated: 'Linux cooked capture header truncated',
  nullTruncated: 'loopback (NULL/LOOP) header truncated',
  rawVersion: 'raw IP packet with a version other than 4 or 6',
  ipTruncated: 'IPv4 header truncated',
  ipVersion: 'IPv4 version field is not 4',
  ipHeaderLengthShort: 'IPv4 header length below 20 bytes (IHL < 5)',
  ipTotalLengthShort: 'IPv4 total length below its header length',
  ipOptionLength: 'IPv4 option length invalid (below 2 or past the header)',
  ipv6Truncated: 'IPv6 header truncated',
  ipv6Version: 'IPv6 version field is not 6',
  ipv6PayloadLengthBeyond: 'IPv6 payload length beyond the frame',
  ipv6ExtensionLength: 'IPv6 extension header truncated or longer than the payload',
  tcpTruncated: 'TCP header truncated',
  tcpDataOffsetShort: 'TCP data offset below 5 (header under 20 bytes)',
  tcpDataOffsetBeyond: 'TCP data offset beyond the segment',
  tcpOptionLength: 'TCP option length invalid (below 2 or past the header)',
  udpTruncated: 'UDP header truncated',
  udpLength: 'UDP length below 8 or beyond the packet',
  icmpTruncated: 'ICMP header truncated',
  icmpv6Truncated: 'ICMPv6 header truncated',
  decoderError: 'decoder error',
} as const;

export type MalformedReason = (typeof MALFORMED)[keyof typeof MALFORMED];
