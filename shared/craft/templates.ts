/**
 * Convenient FrameSpec builders for tests, the capture helper and `handshake send --template`.
 * They only choose field values; lengths, protocols and checksums stay automatic.
 */
import { isIpv6Text } from '../wire/bytes';
import { encodeUtf8 } from '../files/utf8';
import { LINKTYPE_ETHERNET, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_LOOP, LINKTYPE_NULL, LINKTYPE_RAW } from '../wire/linktypes';
import { TCP_ACK, TCP_AE, TCP_CWR, TCP_ECE, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG } from '../wire/summary';
import { EncodeError } from './encode';
import type { FrameSpec, Ipv6ExtHeaderSpec, LayerSpec, TcpOptionSpec } from './spec';

/** Scapy-style flag letters (`S`, `SA`, `FA`, `PA`, `R`…; `N` is AE) or the 12-bit value. */
export type TcpFlagsInput = string | number;

const FLAG_LETTERS: Readonly<Record<string, number>> = {
  F: TCP_FIN,
  S: TCP_SYN,
  R: TCP_RST,
  P: TCP_PSH,
  A: TCP_ACK,
  U: TCP_URG,
  E: TCP_ECE,
  C: TCP_CWR,
  N: TCP_AE,
};

export function parseTcpFlags(flags: TcpFlagsInput): number {
  if (typeof flags === 'number') {
    if (!Number.isInteger(flags) || flags < 0 || flags > 0xfff) throw new EncodeError(`TCP flags out of range 0..0xfff: ${flags}`);
    return flags;
  }
  let value = 0;
  for (const letter of flags.toUpperCase()) {
    const bit = FLAG_LETTERS[letter];
    if (bit === undefined) throw new EncodeError(`unknown TCP flag letter "${letter}" in "${flags}" (use F S R P A U E C N)`);
    value |= bit;
  }
  return value;
}

/** Where the frame goes on the link: its link type and, for Ethernet, the MAC addresses. */
export interface LinkOptions {
  linkType?: number;
  srcMac?: string;
  dstMac?: string;
}

export interface IpOptions extends LinkOptions {
  /** IPv4 dotted or IPv6 text; the form chooses the IP version. */
  src: string;
  dst: string;
  ttl?: number;
  /** IPv4 identification. */
  ipId?: number;
  /** IPv4 don't-fragment bit; Linux sets it on TCP, so it defaults to true there. */
  df?: boolean;
  /** IPv6 flow label. */
  flowLabel?: number;
}

export interface TcpFrameOptions extends IpOptions {
  srcPort: number;
  dstPort: number;
  seq?: number;
  ack?: number;
  flags?: TcpFlagsInput;
  window?: number;
  urgentPointer?: number;
  options?: TcpOptionSpec[];
  payload?: Uint8Array | string;
}

function payloadBytes(payload: Uint8Array | string | undefined): Uint8Array {
  if (payload === undefined) return new Uint8Array(0);
  return typeof payload === 'string' ? encodeUtf8(payload) : payload;
}

/** Link layers for `linkType`, ending where the IP header starts. */
export function linkLayers(options: LinkOptions, ipVersion: 4 | 6): { linkType: number; layers: LayerSpec[] } {
  const linkType = options.linkType ?? LINKTYPE_ETHERNET;
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      return {
        linkType,
        layers: [{ layer: 'eth', fields: { 'eth.src': options.srcMac ?? '02:00:00:00:00:01', 'eth.dst': options.dstMac ?? '02:00:00:00:00:02' } }],
      };
    case LINKTYPE_LINUX_SLL:
      return { linkType, layers: [{ layer: 'sll', fields: { 'sll.pkttype': 4, 'sll.src.eth': options.srcMac ?? '02:00:00:00:00:01' } }] };
    case LINKTYPE_LINUX_SLL2:
      return { linkType, layers: [{ layer: 'sll2', fields: { 'sll.pkttype': 4, 'sll.ifindex': 1, 'sll.src.eth': options.srcMac ?? '02:00:00:00:00:01' } }] };
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP:
      return { linkType, layers: [{ layer: 'null', fields: {} }] };
    case LINKTYPE_RAW:
      return { linkType, layers: [] };
    case LINKTYPE_IPV4:
    case LINKTYPE_IPV6:
      if ((linkType === LINKTYPE_IPV4) !== (ipVersion === 4)) throw new EncodeError(`link type ${linkType} cannot carry IPv${ipVersion}`);
      return { linkType, layers: [] };
    default:
      throw new EncodeError(`cannot build frames for link type ${linkType}`);
  }
}

export function ipLayer(options: IpOptions, transport: 'tcp' | 'other'): LayerSpec {
  if (isIpv6Text(options.src) !== isIpv6Text(options.dst)) throw new EncodeError(`source ${options.src} and destination ${options.dst} are not the same IP version`);
  if (isIpv6Text(options.src)) {
    return { layer: 'ipv6', fields: { 'ipv6.src': options.src, 'ipv6.dst': options.dst, 'ipv6.hlim': options.ttl ?? 64, 'ipv6.flow': options.flowLabel ?? 0 } };
  }
  return {
    layer: 'ip',
    fields: {
      'ip.src': options.src,
      'ip.dst': options.dst,
      'ip.ttl': options.ttl ?? 64,
      'ip.id': options.ipId ?? 0,
      'ip.flags.df': options.df ?? transport === 'tcp',
    },
  };
}

function frameAround(options: IpOptions, transport: 'tcp' | 'other', upper: LayerSpec[]): FrameSpec {
  const ip = ipLayer(options, transport);
  const { linkType, layers } = linkLayers(options, ip.layer === 'ipv6' ? 6 : 4);
  return { linkType, layers: [...layers, ip, ...upper] };
}

export function tcpFrame(options: TcpFrameOptions): FrameSpec {
  const payload = payloadBytes(options.payload);
  const tcp: LayerSpec = {
    layer: 'tcp',
    fields: {
      'tcp.srcport': options.srcPort,
      'tcp.dstport': options.dstPort,
      'tcp.seq_raw': options.seq ?? 0,
      'tcp.ack_raw': options.ack ?? 0,
      'tcp.flags': parseTcpFlags(options.flags ?? 'S'),
      'tcp.window_size_value': options.window ?? 64240,
      'tcp.urgent_pointer': options.urgentPointer ?? 0,
    },
    tcpOptions: options.options ?? [],
  };
  const upper: LayerSpec[] = [tcp];
  if (payload.length > 0) upper.push({ layer: 'data', fields: {}, data: payload });
  return frameAround(options, 'tcp', upper);
}

export interface UdpFrameOptions extends IpOptions {
  srcPort: number;
  dstPort: number;
  payload?: Uint8Array | string;
}

export function udpFrame(options: UdpFrameOptions): FrameSpec {
  const payload = payloadBytes(options.payload);
  const upper: LayerSpec[] = [{ layer: 'udp', fields: { 'udp.srcport': options.srcPort, 'udp.dstport': options.dstPort } }];
  if (payload.length > 0) upper.push({ layer: 'data', fields: {}, data: payload });
  return frameAround(options, 'other', upper);
}

export interface IcmpEchoOptions extends IpOptions {
  reply?: boolean;
  ident?: number;
  sequence?: number;
  payload?: Uint8Array | string;
}

/** ICMP echo request/reply, or ICMPv6 when the addresses are IPv6. */
export function icmpEchoFrame(options: IcmpEchoOptions): FrameSpec {
  const v6 = isIpv6Text(options.src);
  const payload = payloadBytes(options.payload);
  const icmp: LayerSpec = v6
    ? {
        layer: 'icmpv6',
        fields: { 'icmpv6.type': options.reply ? 129 : 128, 'icmpv6.code': 0, 'icmpv6.echo.identifier': options.ident ?? 1, 'icmpv6.echo.sequence_number': options.sequence ?? 1 },
      }
    : { layer: 'icmp', fields: { 'icmp.type': options.reply ? 0 : 8, 'icmp.code': 0, 'icmp.ident': options.ident ?? 1, 'icmp.seq': options.sequence ?? 1 } };
  const upper: LayerSpec[] = [icmp];
  if (payload.length > 0) upper.push({ layer: 'data', fields: {}, data: payload });
  return frameAround(options, 'other', upper);
}

export interface IcmpErrorOptions extends IpOptions {
  /** ICMP type and code, e.g. 3/3 (port unreachable) or, for IPv6, 1/4. */
  type: number;
  code: number;
  /** The offending IP packet (its header and at least the first 8 bytes of its payload). */
  quoted: Uint8Array;
}

/** An ICMP/ICMPv6 error quoting `quoted`, e.g. a port-unreachable answer to a crafted segment. */
export function icmpErrorFrame(options: IcmpErrorOptions): FrameSpec {
  const v6 = isIpv6Text(options.src);
  const icmp: LayerSpec = v6
    ? { layer: 'icmpv6', fields: { 'icmpv6.type': options.type, 'icmpv6.code': options.code } }
    : { layer: 'icmp', fields: { 'icmp.type': options.type, 'icmp.code': options.code } };
  return frameAround(options, 'other', [icmp, { layer: 'data', fields: {}, data: options.quoted }]);
}

/** An IPv6 fragment extension header (RFC 8200 §4.5); `offset` in 8-byte units. */
export function ipv6FragmentHeader(fragment: { offset: number; more: boolean; ident: number }): Ipv6ExtHeaderSpec {
  const body = new Uint8Array(6);
  const offsetAndFlags = ((fragment.offset & 0x1fff) << 3) | (fragment.more ? 1 : 0);
  body[0] = offsetAndFlags >>> 8;
  body[1] = offsetAndFlags & 0xff;
  body[2] = (fragment.ident >>> 24) & 0xff;
  body[3] = (fragment.ident >>> 16) & 0xff;
  body[4] = (fragment.ident >>> 8) & 0xff;
  body[5] = fragment.ident & 0xff;
  return { type: 44, body };
}

/** The options Linux puts on a SYN, in its order: MSS, SACK-permitted, timestamps, NOP, window scale. */
export function linuxSynOptions(settings: { mss?: number; tsval?: number; tsecr?: number; windowShift?: number } = {}): TcpOptionSpec[] {
  return [
    { kind: 'mss', value: settings.mss ?? 1460 },
    { kind: 'sack_perm' },
    { kind: 'timestamp', tsval: settings.tsval ?? 1, tsecr: settings.tsecr ?? 0 },
    { kind: 'nop' },
    { kind: 'wscale', shift: settings.windowShift ?? 7 },
  ];
}

/** The names `handshake send --template` accepts. */
export const TEMPLATE_NAMES = ['syn', 'synack', 'ack', 'rst', 'fin', 'data', 'keepalive'] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

export function isTemplateName(name: string): name is TemplateName {
  return (TEMPLATE_NAMES as readonly string[]).includes(name);
}

/** Addresses and ports inside the test range (198.18.0.0/15) so a template never targets a real host by default. */
export const TEMPLATE_DEFAULTS: Readonly<TcpFrameOptions> = {
  src: '198.18.0.1',
  dst: '198.18.0.2',
  srcPort: 40000,
  dstPort: 80,
};

/**
 * A segment of the connection lifecycle with Linux-like defaults; anything in `overrides` wins.
 * keepalive: no data, ACK only; give `seq` as the next expected sequence number − 1.
 */
export function templateFrame(name: TemplateName, overrides: Partial<TcpFrameOptions> = {}): FrameSpec {
  const base: Partial<TcpFrameOptions> = (() => {
    switch (name) {
      case 'syn':
        return { flags: 'S', seq: 1000, ack: 0, window: 64240, options: linuxSynOptions() };
      case 'synack':
        return { flags: 'SA', seq: 5000, ack: 1001, window: 65160, options: linuxSynOptions({ tsval: 2, tsecr: 1 }) };
      case 'ack':
        return { flags: 'A', seq: 1001, ack: 5001, window: 502 };
      case 'rst':
        return { flags: 'R', seq: 1001, ack: 0, window: 0 };
      case 'fin':
        return { flags: 'FA', seq: 1001, ack: 5001, window: 502 };
      case 'data':
        return { flags: 'PA', seq: 1001, ack: 5001, window: 502, payload: 'hello\r\n' }; // text protocols (HTTP, SMTP) end lines with CRLF
      case 'keepalive':
        return { flags: 'A', seq: 1000, ack: 5001, window: 502 };
    }
  })();
  return tcpFrame({ ...TEMPLATE_DEFAULTS, ...base, ...overrides });
}
