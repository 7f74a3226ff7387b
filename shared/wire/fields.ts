/**
 * The field registry: every header field declared once, named with its Wireshark
 * display-filter name. The decoder reads header fields through this table, the encoder
 * writes them through it, and the JSON, detail tree, editor form and display filter
 * iterate it (`LAYER_DEFS[kind].fields`, in wire order).
 */
import type { LayerKind } from '../craft/spec';
import { HEX, derived, header, option, type FieldDef, type FieldVariant, type LayerDef, type WireLayerKind } from './field-def';
import { LINK_LAYER_DEFS } from './link/fields';
import { TUNNEL_LAYER_DEFS } from './tunnel/fields';

export * from './field-def';

const ETH_FIELDS: readonly FieldDef[] = [
  header('eth', 'eth.dst', 'Destination', 0, 48, 'mac', { defaultValue: 'ff:ff:ff:ff:ff:ff' }),
  header('eth', 'eth.src', 'Source', 48, 48, 'mac', { defaultValue: '00:00:00:00:00:00' }),
  header('eth', 'eth.type', 'Type', 96, 16, 'uint', { ...HEX, auto: 'next-protocol' }),
  derived('eth', 'eth.padding', 'Padding (up to the 60-byte minimum)', 'bytes'),
  derived('eth', 'eth.trailer', 'Trailer', 'bytes'),
  derived('eth', 'eth.fcs', 'Frame check sequence (assumed: the last 4 trailer bytes of a frame of 64 bytes or more)', 'uint', HEX),
];

const VLAN_FIELDS: readonly FieldDef[] = [
  header('vlan', 'vlan.priority', 'Priority', 0, 3, 'uint', { defaultValue: 0 }),
  header('vlan', 'vlan.dei', 'Drop eligible', 3, 1, 'bool', { defaultValue: false }),
  header('vlan', 'vlan.id', 'ID', 4, 12, 'uint', { defaultValue: 1 }),
  header('vlan', 'vlan.etype', 'Type', 16, 16, 'uint', { ...HEX, auto: 'next-protocol' }),
  derived('vlan', 'vlan.trailer', 'Trailer', 'bytes'),
];

/**
 * Wireshark shows an 802.1ad service tag (TPID 0x88a8) as its own protocol: the same bits as a
 * VLAN tag, under these names. The decoder marks such a tag with protocol `ieee8021ad`.
 */
export const SERVICE_TAG_NAMES: Readonly<Record<string, string>> = {
  'vlan.priority': 'ieee8021ad.priority',
  'vlan.dei': 'ieee8021ad.dei',
  'vlan.id': 'ieee8021ad.id',
};

const SLL_FIELDS: readonly FieldDef[] = [
  header('sll', 'sll.pkttype', 'Packet type', 0, 16, 'uint', { defaultValue: 0 }),
  header('sll', 'sll.hatype', 'Link-layer address type', 16, 16, 'uint', { defaultValue: 1 }),
  header('sll', 'sll.halen', 'Link-layer address length', 32, 16, 'uint', { defaultValue: 6 }),
  header('sll', 'sll.src.eth', 'Source', 48, 48, 'mac', { defaultValue: '00:00:00:00:00:00' }),
  header('sll', 'sll.unused', 'Unused address bytes', 96, 16, 'bytes', { defaultValue: new Uint8Array(2), json: 'omit' }),
  header('sll', 'sll.etype', 'Protocol', 112, 16, 'uint', { ...HEX, auto: 'next-protocol' }),
];

const SLL2_FIELDS: readonly FieldDef[] = [
  header('sll2', 'sll.etype', 'Protocol', 0, 16, 'uint', { ...HEX, auto: 'next-protocol' }),
  header('sll2', 'sll.reserved', 'Reserved', 16, 16, 'uint', { ...HEX, defaultValue: 0, json: 'omit' }),
  header('sll2', 'sll.ifindex', 'Interface index', 32, 32, 'uint', { defaultValue: 0 }),
  header('sll2', 'sll.hatype', 'Link-layer address type', 64, 16, 'uint', { defaultValue: 1 }),
  header('sll2', 'sll.pkttype', 'Packet type', 80, 8, 'uint', { defaultValue: 0 }),
  header('sll2', 'sll.halen', 'Link-layer address length', 88, 8, 'uint', { defaultValue: 6 }),
  header('sll2', 'sll.src.eth', 'Source', 96, 48, 'mac', { defaultValue: '00:00:00:00:00:00' }),
  header('sll2', 'sll.unused', 'Unused address bytes', 144, 16, 'bytes', { defaultValue: new Uint8Array(2), json: 'omit' }),
];

/** NULL writes the family in the capturing host's byte order; LOOP always big-endian. */
const NULL_FIELDS: readonly FieldDef[] = [
  header('null', 'null.family', 'Family', 0, 32, 'uint', { auto: 'next-protocol' }),
  derived('null', 'null.big_endian', 'Family written big-endian', 'bool', { defaultValue: false, json: 'omit' }),
];

const IP_FIELDS: readonly FieldDef[] = [
  header('ip', 'ip.version', 'Version', 0, 4, 'uint', { defaultValue: 4 }),
  header('ip', 'ip.hdr_len', 'Header length', 4, 4, 'uint', { scale: 4, auto: 'header-length' }),
  header('ip', 'ip.dsfield', 'Differentiated services field', 8, 8, 'uint', { ...HEX, defaultValue: 0 }),
  header('ip', 'ip.dsfield.dscp', 'DSCP', 8, 6, 'uint', { parent: 'ip.dsfield' }),
  header('ip', 'ip.dsfield.ecn', 'ECN', 14, 2, 'uint', { parent: 'ip.dsfield' }),
  header('ip', 'ip.len', 'Total length', 16, 16, 'uint', { auto: 'length' }),
  header('ip', 'ip.id', 'Identification', 32, 16, 'uint', { ...HEX, defaultValue: 0 }),
  header('ip', 'ip.flags', 'Flags', 48, 3, 'uint', { ...HEX, defaultValue: 0 }),
  header('ip', 'ip.flags.rb', 'Reserved bit', 48, 1, 'bool', { parent: 'ip.flags' }),
  header('ip', 'ip.flags.df', "Don't fragment", 49, 1, 'bool', { parent: 'ip.flags' }),
  header('ip', 'ip.flags.mf', 'More fragments', 50, 1, 'bool', { parent: 'ip.flags' }),
  header('ip', 'ip.frag_offset', 'Fragment offset (8-byte units)', 51, 13, 'uint', { defaultValue: 0 }),
  header('ip', 'ip.ttl', 'Time to live', 64, 8, 'uint', { defaultValue: 64 }),
  header('ip', 'ip.proto', 'Protocol', 72, 8, 'uint', { auto: 'next-protocol' }),
  header('ip', 'ip.checksum', 'Header checksum', 80, 16, 'uint', { ...HEX, auto: 'checksum' }),
  header('ip', 'ip.src', 'Source address', 96, 32, 'ipv4', { defaultValue: '0.0.0.0' }),
  header('ip', 'ip.dst', 'Destination address', 128, 32, 'ipv4', { defaultValue: '0.0.0.0' }),
  derived('ip', 'ip.checksum.status', 'Header checksum status', 'string'),
  derived('ip', 'ip.bogus_ip_length', 'Bogus IP length: the total length exceeds the frame', 'bool'),
  option('ip', 'ip.opt.type', 'Option type', 0, 8, 'uint', { json: 'array' }),
  option('ip', 'ip.opt.len', 'Option length', 8, 8, 'uint', { json: 'array' }),
  derived('ip', 'ip.options', 'Options (raw)', 'bytes', { json: 'omit' }),  derived('ip', 'ip.fragment', 'IPv4 fragment (frame)', 'uint', { json: 'array' }),
  derived('ip', 'ip.fragment.error', 'Defragmentation error (frame)', 'uint', { json: 'array' }),
  derived('ip', 'ip.fragment.count', 'Fragment count', 'uint'),
  derived('ip', 'ip.fragment.overlap', 'Fragment overlap', 'bool'),
  derived('ip', 'ip.fragment.overlap.conflict', 'Conflicting data in fragment overlap', 'bool'),
  derived('ip', 'ip.fragment.multipletails', 'Multiple tail fragments found', 'bool'),
  derived('ip', 'ip.reassembled.length', 'Reassembled IPv4 length', 'uint'),
  derived('ip', 'ip.reassembled.data', 'Reassembled IPv4 data', 'bytes', { json: 'omit' }),
];

/** Extension headers are option-scoped: positions count from the start of each extension header. */
const IPV6_FIELDS: readonly FieldDef[] = [
  header('ipv6', 'ipv6.version', 'Version', 0, 4, 'uint', { defaultValue: 6 }),
  header('ipv6', 'ipv6.tclass', 'Traffic class', 4, 8, 'uint', { ...HEX, defaultValue: 0 }),
  header('ipv6', 'ipv6.tclass.dscp', 'DSCP', 4, 6, 'uint', { parent: 'ipv6.tclass' }),
  header('ipv6', 'ipv6.tclass.ecn', 'ECN', 10, 2, 'uint', { parent: 'ipv6.tclass' }),
  header('ipv6', 'ipv6.flow', 'Flow label', 12, 20, 'uint', { ...HEX, defaultValue: 0 }),
  header('ipv6', 'ipv6.plen', 'Payload length', 32, 16, 'uint', { auto: 'length' }),
  header('ipv6', 'ipv6.nxt', 'Next header', 48, 8, 'uint', { auto: 'next-protocol' }),
  header('ipv6', 'ipv6.hlim', 'Hop limit', 56, 8, 'uint', { defaultValue: 64 }),
  header('ipv6', 'ipv6.src', 'Source address', 64, 128, 'ipv6', { defaultValue: '::' }),
  header('ipv6', 'ipv6.dst', 'Destination address', 192, 128, 'ipv6', { defaultValue: '::' }),
  option('ipv6', 'ipv6.hopopts.nxt', 'Hop-by-hop: next header', 0, 8, 'uint', { auto: 'next-protocol' }),
  option('ipv6', 'ipv6.hopopts.len', 'Hop-by-hop: length (8-byte units after the first 8)', 8, 8, 'uint', { auto: 'length' }),
  option('ipv6', 'ipv6.routing.nxt', 'Routing: next header', 0, 8, 'uint', { auto: 'next-protocol' }),
  option('ipv6', 'ipv6.routing.len', 'Routing: length (8-byte units after the first 8)', 8, 8, 'uint', { auto: 'length' }),
  option('ipv6', 'ipv6.routing.type', 'Routing: type', 16, 8, 'uint'),
  option('ipv6', 'ipv6.routing.segleft', 'Routing: segments left', 24, 8, 'uint'),
  option('ipv6', 'ipv6.fraghdr.nxt', 'Fragment: next header', 0, 8, 'uint', { auto: 'next-protocol' }),
  option('ipv6', 'ipv6.fraghdr.reserved_octet', 'Fragment: reserved octet', 8, 8, 'uint', { ...HEX, json: 'omit' }),
  option('ipv6', 'ipv6.fraghdr.offset', 'Fragment: offset (8-byte units)', 16, 13, 'uint'),
  option('ipv6', 'ipv6.fraghdr.reserved_bits', 'Fragment: reserved bits', 29, 2, 'uint', { json: 'omit' }),
  option('ipv6', 'ipv6.fraghdr.more', 'Fragment: more fragments', 31, 1, 'bool'),
  option('ipv6', 'ipv6.fraghdr.ident', 'Fragment: identification', 32, 32, 'uint', HEX),
  option('ipv6', 'ipv6.dstopts.nxt', 'Destination options: next header', 0, 8, 'uint', { auto: 'next-protocol' }),
  option('ipv6', 'ipv6.dstopts.len', 'Destination options: length (8-byte units after the first 8)', 8, 8, 'uint', { auto: 'length' }),
  option('ipv6', 'ah.next_header', 'Authentication header: next header', 0, 8, 'uint', { auto: 'next-protocol' }),
  option('ipv6', 'ah.length', 'Authentication header: length (4-byte units minus 2)', 8, 8, 'uint', { auto: 'length' }),
  option('ipv6', 'ah.spi', 'Authentication header: SPI', 32, 32, 'uint', HEX),
  option('ipv6', 'ah.sequence', 'Authentication header: sequence', 64, 32, 'uint'),  derived('ipv6', 'ipv6.fragment', 'IPv6 fragment (frame)', 'uint', { json: 'array' }),
  derived('ipv6', 'ipv6.fragment.error', 'Defragmentation error (frame)', 'uint', { json: 'array' }),
  derived('ipv6', 'ipv6.fragment.count', 'Fragment count', 'uint'),
  derived('ipv6', 'ipv6.fragment.overlap', 'Fragment overlap', 'bool'),
  derived('ipv6', 'ipv6.fragment.overlap.conflict', 'Conflicting data in fragment overlap', 'bool'),
  derived('ipv6', 'ipv6.fragment.multipletails', 'Multiple tail fragments found', 'bool'),
  derived('ipv6', 'ipv6.reassembled.length', 'Reassembled IPv6 length', 'uint'),
  derived('ipv6', 'ipv6.reassembled.data', 'Reassembled IPv6 data', 'bytes', { json: 'omit' }),
];

const TCP_FLAG_BIT = 100;
const flag = (name: string, label: string, bit: number): FieldDef =>
  header('tcp', name, label, TCP_FLAG_BIT + bit, 1, 'bool', { parent: 'tcp.flags' });

const TCP_FIELDS: readonly FieldDef[] = [
  header('tcp', 'tcp.srcport', 'Source port', 0, 16, 'uint', { defaultValue: 20 }),
  header('tcp', 'tcp.dstport', 'Destination port', 16, 16, 'uint', { defaultValue: 80 }),
  header('tcp', 'tcp.seq_raw', 'Sequence number (raw)', 32, 32, 'uint', { defaultValue: 0 }),
  header('tcp', 'tcp.ack_raw', 'Acknowledgment number (raw)', 64, 32, 'uint', { defaultValue: 0 }),
  header('tcp', 'tcp.hdr_len', 'Header length (data offset)', 96, 4, 'uint', { scale: 4, auto: 'data-offset' }),
  header('tcp', 'tcp.flags', 'Flags', TCP_FLAG_BIT, 12, 'uint', { ...HEX, defaultValue: 0x002 }),
  /** True when any of the three reserved bits is set (as Wireshark shows it); setting it sets all three. */
  header('tcp', 'tcp.flags.res', 'Reserved', TCP_FLAG_BIT, 3, 'bool', { parent: 'tcp.flags' }),
  flag('tcp.flags.ae', 'Accurate ECN (AE)', 3),
  flag('tcp.flags.cwr', 'Congestion window reduced (CWR)', 4),
  flag('tcp.flags.ece', 'ECN-Echo (ECE)', 5),
  flag('tcp.flags.urg', 'Urgent (URG)', 6),
  flag('tcp.flags.ack', 'Acknowledgment (ACK)', 7),
  flag('tcp.flags.push', 'Push (PSH)', 8),
  flag('tcp.flags.reset', 'Reset (RST)', 9),
  flag('tcp.flags.syn', 'Syn (SYN)', 10),
  flag('tcp.flags.fin', 'Fin (FIN)', 11),
  header('tcp', 'tcp.window_size_value', 'Window (unscaled)', 112, 16, 'uint', { defaultValue: 8192 }),
  header('tcp', 'tcp.checksum', 'Checksum', 128, 16, 'uint', { ...HEX, auto: 'checksum' }),
  header('tcp', 'tcp.urgent_pointer', 'Urgent pointer', 144, 16, 'uint', { defaultValue: 0 }),
  derived('tcp', 'tcp.checksum.status', 'Checksum status', 'string'),
  derived('tcp', 'tcp.len', 'Segment data length', 'uint'),
  /** cli.md names the list of kinds `tcp.options.kinds`. */
  option('tcp', 'tcp.option_kind', 'Option kind', 0, 8, 'uint', { json: 'array', jsonName: 'tcp.options.kinds' }),
  option('tcp', 'tcp.option_len', 'Option length', 8, 8, 'uint', { json: 'omit' }),
  option('tcp', 'tcp.options.mss_val', 'Maximum segment size', 16, 16, 'uint'),
  option('tcp', 'tcp.options.wscale.shift', 'Window scale shift count', 16, 8, 'uint'),
  derived('tcp', 'tcp.options.wscale.multiplier', 'Window scale multiplier', 'uint'),
  derived('tcp', 'tcp.options.sack_perm', 'SACK permitted', 'bool'),
  /** SACK edges repeat every 64 bits after the option's first 16. */
  option('tcp', 'tcp.options.sack_le', 'SACK left edge', 16, 32, 'uint', { json: 'array' }),
  option('tcp', 'tcp.options.sack_re', 'SACK right edge', 48, 32, 'uint', { json: 'array' }),
  option('tcp', 'tcp.options.timestamp.tsval', 'Timestamp value', 16, 32, 'uint'),
  option('tcp', 'tcp.options.timestamp.tsecr', 'Timestamp echo reply', 48, 32, 'uint'),
  option('tcp', 'tcp.options.experimental.exid', 'Experiment identifier', 16, 16, 'uint', HEX),
  derived('tcp', 'tcp.options.tfo.request', 'Fast Open cookie request', 'bool'),
  derived('tcp', 'tcp.options.tfo.cookie', 'Fast Open cookie', 'bytes'),
  derived('tcp', 'tcp.options.unknown.payload', 'Unknown option data', 'bytes', { json: 'array' }),
  derived('tcp', 'tcp.options.padding', 'Padding after the options', 'bytes', { json: 'omit' }),
];

const UDP_FIELDS: readonly FieldDef[] = [
  header('udp', 'udp.srcport', 'Source port', 0, 16, 'uint', { defaultValue: 53 }),
  header('udp', 'udp.dstport', 'Destination port', 16, 16, 'uint', { defaultValue: 53 }),
  header('udp', 'udp.length', 'Length', 32, 16, 'uint', { auto: 'length' }),
  header('udp', 'udp.checksum', 'Checksum', 48, 16, 'uint', { ...HEX, auto: 'checksum' }),
  derived('udp', 'udp.checksum.status', 'Checksum status', 'string'),
];

const ICMP_FIELDS: readonly FieldDef[] = [
  header('icmp', 'icmp.type', 'Type', 0, 8, 'uint', { defaultValue: 8 }),
  header('icmp', 'icmp.code', 'Code', 8, 8, 'uint', { defaultValue: 0 }),
  header('icmp', 'icmp.checksum', 'Checksum', 16, 16, 'uint', { ...HEX, auto: 'checksum' }),
  header('icmp', 'icmp.ident', 'Identifier', 32, 16, 'uint', { defaultValue: 0, variant: 'echo' }),
  header('icmp', 'icmp.seq', 'Sequence number', 48, 16, 'uint', { defaultValue: 0, variant: 'echo' }),
  header('icmp', 'icmp.unused', 'Rest of header', 32, 32, 'bytes', { defaultValue: new Uint8Array(4), variant: 'rest' }),
  derived('icmp', 'icmp.checksum.status', 'Checksum status', 'string'),
];

const ICMPV6_FIELDS: readonly FieldDef[] = [
  header('icmpv6', 'icmpv6.type', 'Type', 0, 8, 'uint', { defaultValue: 128 }),
  header('icmpv6', 'icmpv6.code', 'Code', 8, 8, 'uint', { defaultValue: 0 }),
  header('icmpv6', 'icmpv6.checksum', 'Checksum', 16, 16, 'uint', { ...HEX, auto: 'checksum' }),
  header('icmpv6', 'icmpv6.echo.identifier', 'Identifier', 32, 16, 'uint', { ...HEX, defaultValue: 0, variant: 'echo' }),
  header('icmpv6', 'icmpv6.echo.sequence_number', 'Sequence number', 48, 16, 'uint', { defaultValue: 0, variant: 'echo' }),
  header('icmpv6', 'icmpv6.reserved', 'Rest of header', 32, 32, 'bytes', { defaultValue: new Uint8Array(4), variant: 'rest' }),
  derived('icmpv6', 'icmpv6.checksum.status', 'Checksum status', 'string'),
];

const DATA_FIELDS: readonly FieldDef[] = [
  derived('data', 'data.data', 'Data', 'bytes', { json: 'omit' }),
  derived('data', 'data.len', 'Data length', 'uint'),
];

export const LAYER_DEFS: Readonly<Record<WireLayerKind, LayerDef>> = {
  ...LINK_LAYER_DEFS,
  ...TUNNEL_LAYER_DEFS,
  eth: { kind: 'eth', protocol: 'eth', label: 'Ethernet II', headerLength: 14, fields: ETH_FIELDS },
  vlan: { kind: 'vlan', protocol: 'vlan', label: '802.1Q Virtual LAN', headerLength: 4, fields: VLAN_FIELDS },
  sll: { kind: 'sll', protocol: 'sll', label: 'Linux cooked capture v1', headerLength: 16, fields: SLL_FIELDS },
  sll2: { kind: 'sll2', protocol: 'sll', label: 'Linux cooked capture v2', headerLength: 20, fields: SLL2_FIELDS },
  null: { kind: 'null', protocol: 'null', label: 'Null/Loopback', headerLength: 4, fields: NULL_FIELDS },
  ip: { kind: 'ip', protocol: 'ip', label: 'Internet Protocol Version 4', headerLength: 20, fields: IP_FIELDS },
  ipv6: { kind: 'ipv6', protocol: 'ipv6', label: 'Internet Protocol Version 6', headerLength: 40, fields: IPV6_FIELDS },
  tcp: { kind: 'tcp', protocol: 'tcp', label: 'Transmission Control Protocol', headerLength: 20, fields: TCP_FIELDS },
  udp: { kind: 'udp', protocol: 'udp', label: 'User Datagram Protocol', headerLength: 8, fields: UDP_FIELDS },
  icmp: { kind: 'icmp', protocol: 'icmp', label: 'Internet Control Message Protocol', headerLength: 8, fields: ICMP_FIELDS },
  icmpv6: { kind: 'icmpv6', protocol: 'icmpv6', label: 'Internet Control Message Protocol v6', headerLength: 8, fields: ICMPV6_FIELDS },
  data: { kind: 'data', protocol: 'data', label: 'Data', headerLength: 0, fields: DATA_FIELDS },
};

/** Layers in a sensible order for menus (link, network, transport, payload). */
export const LAYER_ORDER: readonly LayerKind[] = ['eth', 'vlan', 'sll', 'sll2', 'null', 'ip', 'ipv6', 'tcp', 'udp', 'icmp', 'icmpv6', 'data'];

/** Every layer kind, the craftable ones first. */
const ALL_LAYERS = [...LAYER_ORDER, ...(Object.keys(LINK_LAYER_DEFS) as WireLayerKind[]), ...(Object.keys(TUNNEL_LAYER_DEFS) as WireLayerKind[])];

const FIELDS_BY_LAYER: ReadonlyMap<WireLayerKind, ReadonlyMap<string, FieldDef>> = new Map(
  ALL_LAYERS.map((kind) => [kind, new Map(LAYER_DEFS[kind].fields.map((def) => [def.name, def]))]),
);

/** The field of `layer` called `name` (SLL v1 and v2 share names at different positions, so the layer is part of the key). */
export function findField(layer: WireLayerKind, name: string): FieldDef | undefined {
  return FIELDS_BY_LAYER.get(layer)?.get(name);
}

/** Every distinct field name, for the display filter's completion and validation. */
export const FIELD_NAMES: ReadonlySet<string> = new Set(ALL_LAYERS.flatMap((kind) => LAYER_DEFS[kind].fields.map((def) => def.name)));

const HEADER_FIELDS = new Map<string, readonly FieldDef[]>();

/** Fields at fixed header positions that apply to this variant, in wire order; parents precede their bits. */
export function headerFields(layer: WireLayerKind, variant?: FieldVariant): readonly FieldDef[] {
  const key = variant ? `${layer}/${variant}` : layer;
  let fields = HEADER_FIELDS.get(key);
  if (!fields) {
    fields = LAYER_DEFS[layer].fields.filter((def) => def.scope === 'header' && (def.variant === undefined || def.variant === variant));
    HEADER_FIELDS.set(key, fields);
  }
  return fields;
}

/** ICMP echo request/reply (and ICMPv4 timestamp/info messages) carry identifier and sequence; others a rest-of-header word. */
export function icmpVariant(type: number): FieldVariant {
  return type === 0 || type === 8 || type === 13 || type === 14 || type === 15 || type === 16 ? 'echo' : 'rest';
}

export function icmpv6Variant(type: number): FieldVariant {
  return type === 128 || type === 129 ? 'echo' : 'rest';
}

/** ICMP messages that quote the offending datagram (RFC 792 and RFC 4443). */
export function icmpQuotesDatagram(type: number): boolean {
  return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
}

export function icmpv6QuotesDatagram(type: number): boolean {
  return type >= 1 && type <= 4;
}
