/**
 * The names a display filter may use: the field registry's header fields, the frame,
 * tracking and TLS fields the engine adds, protocol names, and the either-direction aliases.
 */
import { FIELD_NAMES, LAYER_DEFS, LAYER_ORDER, SERVICE_TAG_NAMES, type FieldType } from '../wire/fields';
import { BYTE_FIELDS } from '../wire/json';
import { isAlias } from './evaluate';
import type { FilterFieldKind, ParseOptions } from './parse';
import { WIRESHARK_FIELDS } from './wireshark-fields';
import { TLS_FIELD_NAMES } from '../tls/json';
import { HTTP_FIELD_NAMES } from '../http/json';
import { QUIC_FIELD_NAMES } from '../quic/json';
import { DNS_FIELD_NAMES } from '../dns/json';

/** Fields that exist beyond the header registry: frame metadata, tracking and TLS. */
export const EXTRA_FILTER_FIELDS: readonly string[] = [
  ...BYTE_FIELDS,
  ...TLS_FIELD_NAMES,
  ...HTTP_FIELD_NAMES,
  ...QUIC_FIELD_NAMES,
  ...DNS_FIELD_NAMES,
  'frame.number',
  'frame.comment',
  'frame.len',
  'frame.cap_len',
  'frame.interface_id',
  'frame.interface_name',
  'frame.time_relative',
  'frame.time_delta',
  'frame.time_delta_displayed',
  'tcp.time_relative',
  'tcp.time_delta',
  'frame.time_epoch',
  'tcp.stream',
  'communityid',
  'tunnel.outer',
  'tcp.seq',
  'tcp.ack',
  'tcp.ack.nonzero',
  'tcp.options.sack_le_raw',
  'tcp.options.sack_re_raw',
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
  'tcp.analysis.acks_frame',
  'tcp.analysis.ack_rtt',
  'tcp.analysis.bytes_in_flight',
  'tcp.analysis.push_bytes_sent',
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

const REGISTRY_KINDS: Record<FieldType, FilterFieldKind> = {
  uint: 'number',
  bool: 'boolean',
  mac: 'address',
  ipv4: 'address',
  ipv6: 'address',
  bytes: 'bytes',
  string: 'text',
};

/** Kinds of the fields beyond the registry whose kind matters to an operator. */
const EXTRA_KINDS: Readonly<Record<string, FilterFieldKind>> = {
  'tls.handshake.extensions_server_name': 'text',
  'tls.handshake.extensions_alpn_str': 'text',
  'frame.comment': 'text',
  'ip.addr': 'address',
  'ipv6.addr': 'address',
  'eth.addr': 'address',
  'tcp.port': 'number',
  'udp.port': 'number',
};

const NUMBER_EXTRAS = new Set([
  'tcp.time_relative',
  'tcp.time_delta',
  'tcp.stream',
  'tcp.seq',
  'tcp.ack',
  'tcp.nxtseq',
  'tcp.len',
  'tcp.window_size',
  'tcp.analysis.initial_rtt',
  'tcp.analysis.acks_frame',
  'tcp.analysis.ack_rtt',
  'tcp.analysis.bytes_in_flight',
  'tcp.analysis.push_bytes_sent',
  'tls.handshake.type',
  'tls.handshake.extensions.supported_version',
  'tls.handshake.ciphersuite',
]);

let registryKinds: Map<string, FilterFieldKind> | null = null;

/** What a field holds (from the field registry's types first), or undefined when not known. */
export function filterFieldKind(name: string): FilterFieldKind | undefined {
  if (!registryKinds) {
    registryKinds = new Map();
    // Every layer's fields, link types and tunnels included (first definition wins).
    for (const layer of Object.values(LAYER_DEFS)) for (const def of layer.fields) if (!registryKinds.has(def.name)) registryKinds.set(def.name, REGISTRY_KINDS[def.type]);
  }
  if (BYTE_FIELDS.has(name)) return 'bytes';
  const known = registryKinds.get(name) ?? EXTRA_KINDS[name];
  if (known) return known;
  if (!name.includes('.') && extra.has(name)) return 'protocol';
  if (name.startsWith('tcp.analysis.') && !NUMBER_EXTRAS.has(name)) return 'none';
  if (NUMBER_EXTRAS.has(name) || name.startsWith('frame.') || name.endsWith('.checksum.status')) return 'number';
  return undefined;
}

let wiresharkNames: Set<string> | null = null;

/** True for a display-filter name Wireshark knows (for the protocols listed in wireshark-fields.ts). */
export function isWiresharkField(name: string): boolean {
  if (!wiresharkNames) {
    wiresharkNames = new Set();
    for (const [protocol, rest] of Object.entries(WIRESHARK_FIELDS)) {
      wiresharkNames.add(protocol);
      for (const suffix of rest.split(' ')) if (suffix) wiresharkNames.add(`${protocol}.${suffix}`);
    }
  }
  return wiresharkNames.has(name);
}

/** Optimal string alignment distance (edits, swaps of neighbours count once), stopping above `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, before[j - 2] + 1);
      current.push(value);
      best = Math.min(best, value);
    }
    if (best > limit) return limit + 1;
    before = previous;
    previous = current;
  }
  return previous[b.length];
}

/** The known name closest to a mistyped one, when one is close enough to be what was meant. */
export function suggestField(name: string): string | null {
  const limit = name.length <= 4 ? 1 : name.length <= 10 ? 2 : 3;
  let best: string | null = null;
  let bestDistance = limit + 1;
  for (const candidate of allFilterFields()) {
    const distance = editDistance(name.toLowerCase(), candidate, limit);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Why `name` is refused: a Wireshark field not decoded here, or a typo (with a suggestion). */
export function unknownFieldReason(name: string): { message: string; hint?: string } {
  if (isWiresharkField(name)) {
    const protocol = name.split('.')[0];
    const decoded = extra.has(protocol) || FIELD_NAMES.has(protocol) || [...FIELD_NAMES].some((n) => n.startsWith(`${protocol}.`));
    return {
      message: name === protocol ? `'${name}' is a Wireshark protocol this version does not decode` : `'${name}' is a Wireshark field this version does not decode`,
      hint: decoded ? `the ${protocol} fields it does decode are listed in the filter box's suggestions` : undefined,
    };
  }
  const suggestion = suggestField(name);
  return { message: `'${name}' is not a known field name`, hint: suggestion ? `did you mean '${suggestion}'?` : undefined };
}

/** Wireshark's 4-byte counters among the fields beyond the registry. */
const FOUR_BYTE_EXTRAS = new Set(['frame.number', 'frame.len', 'frame.cap_len', 'tcp.stream', 'tcp.len', 'tcp.seq', 'tcp.ack', 'tcp.nxtseq', 'tcp.window_size']);

/** A number field's width in bytes as Wireshark types it (FT_UINT8/16/32/64), for len(). */
export function filterFieldWidth(name: string): number | undefined {
  if (FOUR_BYTE_EXTRAS.has(name)) return 4;
  for (const layer of [...LAYER_ORDER.map((kind) => LAYER_DEFS[kind]), ...Object.values(LAYER_DEFS)]) {
    const def = layer.fields.find((f) => f.name === name);
    if (!def || def.type !== 'uint' || def.bitWidth <= 0) continue;
    const bits = def.parent ? (layer.fields.find((f) => f.name === def.parent)?.bitWidth ?? def.bitWidth) : def.bitWidth;
    return bits <= 8 ? 1 : bits <= 16 ? 2 : bits <= 32 ? 4 : 8;
  }
  return undefined;
}

/** The options every display-filter user passes (engine, CLI, filter box): one set of names and rules. */
export const FILTER_OPTIONS: ParseOptions = { isField: isKnownField, unknownField: unknownFieldReason, fieldKind: filterFieldKind, fieldWidth: filterFieldWidth };

