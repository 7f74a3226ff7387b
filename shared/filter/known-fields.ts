/**
 * The names a display filter may use: the field registry's header fields, the frame,
 * tracking and TLS fields the engine adds, protocol names, and the either-direction aliases.
 */
import { FIELD_NAMES, LAYER_DEFS, SERVICE_TAG_NAMES } from '../wire/fields';
import { BYTE_FIELDS } from '../wire/json';
import { isAlias } from './evaluate';

/** Fields that exist beyond the header registry: frame metadata, tracking and TLS. */
export const EXTRA_FILTER_FIELDS: readonly string[] = [
  ...BYTE_FIELDS,
  'frame.number',
  'frame.len',
  'frame.cap_len',
  'frame.time_relative',
  'frame.time_delta',
  'tcp.time_relative',
  'tcp.time_delta',
  'frame.time_epoch',
  'tcp.stream',
  'tcp.seq',
  'tcp.ack',
  'tcp.nxtseq',
  'tcp.len',
  'tcp.window_size',
  'tcp.analysis.flags',
  'tcp.analysis.retransmission',
  'tcp.analysis.fast_retransmission',
  'tcp.analysis.spurious_retransmission',
  'tcp.analysis.duplicate_ack',
  'tcp.analysis.keep_alive',
  'tcp.analysis.keep_alive_ack',
  'tcp.analysis.zero_window',
  'tcp.analysis.zero_window_probe',
  'tcp.analysis.window_update',
  'tcp.analysis.window_full',
  'tcp.analysis.out_of_order',
  'tcp.analysis.lost_segment',
  'tcp.analysis.ack_lost_segment',
  'tcp.analysis.reused_ports',
  'tcp.analysis.initial_rtt',
  'tcp.checksum.status',
  'ip.checksum.status',
  'udp.checksum.status',
  'tls.handshake.type',
  'tls.handshake.extensions_server_name',
  'tls.handshake.extensions_alpn_str',
  'tls.handshake.extensions.supported_version',
  'tls.handshake.ciphersuite',
  '_ws.malformed',
  'eth',
  'ip',
  'ipv6',
  'tcp',
  'udp',
  'icmp',
  'icmpv6',
  'tls',
];

/** Protocol names (`vxlan`, `gre`, `mpls`, `pppoes`, …) match frames that carry the protocol. */
const PROTOCOL_NAMES: readonly string[] = [...Object.values(LAYER_DEFS).map((layer) => layer.protocol), 'pppoed', 'ieee8021ad'];

const extra = new Set([...EXTRA_FILTER_FIELDS, ...PROTOCOL_NAMES, ...Object.values(SERVICE_TAG_NAMES)]);

export function isKnownField(name: string): boolean {
  return FIELD_NAMES.has(name) || extra.has(name) || isAlias(name);
}

/** Every name the filter box can suggest, sorted. */
export function allFilterFields(): string[] {
  return [...new Set([...FIELD_NAMES, ...extra, 'ip.addr', 'ipv6.addr', 'eth.addr', 'tcp.port', 'udp.port'])].sort();
}

