/**
 * Registry fields of the tunnel headers (decode-only), under Wireshark's names; positions count
 * from the start of each header. Optional parts (GRE's checksum, key and sequence number, Geneve
 * options) are placed by the decoder.
 */
import { HEX, derived, header, option, type DecodeOnlyLayerKind, type FieldDef, type LayerDef } from '../field-def';

const VXLAN_FIELDS: readonly FieldDef[] = [
  header('vxlan', 'vxlan.flags', 'Flags', 0, 16, 'uint', HEX),
  header('vxlan', 'vxlan.flag_i', 'VXLAN Network ID (VNI)', 4, 1, 'bool', { parent: 'vxlan.flags' }),
  header('vxlan', 'vxlan.vni', 'VXLAN Network Identifier (VNI)', 32, 24, 'uint'),
  header('vxlan', 'vxlan.reserved8', 'Reserved', 56, 8, 'uint'),
];

const GENEVE_FIELDS: readonly FieldDef[] = [
  header('geneve', 'geneve.version', 'Version', 0, 2, 'uint'),
  /** The header's option length, in bytes (the wire counts 4-byte words); options repeat the name with their own length. */
  header('geneve', 'geneve.option.length', 'Options length', 2, 6, 'uint', { scale: 4, json: 'array' }),
  header('geneve', 'geneve.flags', 'Flags', 8, 8, 'uint', HEX),
  header('geneve', 'geneve.flags.oam', 'Operations, Administration and Management Frame', 8, 1, 'bool', { parent: 'geneve.flags' }),
  header('geneve', 'geneve.flags.critical', 'Critical Options Present', 9, 1, 'bool', { parent: 'geneve.flags' }),
  header('geneve', 'geneve.proto_type', 'Protocol Type', 16, 16, 'uint', HEX),
  header('geneve', 'geneve.vni', 'Virtual Network Identifier (VNI)', 32, 24, 'uint', HEX),
  header('geneve', 'geneve.reserved', 'Reserved', 56, 8, 'uint', HEX),
  option('geneve', 'geneve.option.class', 'Option class', 0, 16, 'uint', { ...HEX, json: 'array' }),
  option('geneve', 'geneve.option.type', 'Option type', 16, 8, 'uint', { ...HEX, json: 'array' }),
  option('geneve', 'geneve.option.type.critical', 'Critical option', 16, 1, 'bool', { json: 'array' }),
  derived('geneve', 'geneve.option.unknown.data', 'Option data', 'bytes', { json: 'array' }),
];

const GRE_FIELDS: readonly FieldDef[] = [
  header('gre', 'gre.flags_and_version', 'Flags and Version', 0, 16, 'uint', HEX),
  header('gre', 'gre.flags.checksum', 'Checksum Bit', 0, 1, 'bool', { parent: 'gre.flags_and_version' }),
  header('gre', 'gre.flags.routing', 'Routing Bit', 1, 1, 'bool', { parent: 'gre.flags_and_version' }),
  header('gre', 'gre.flags.key', 'Key Bit', 2, 1, 'bool', { parent: 'gre.flags_and_version' }),
  header('gre', 'gre.flags.sequence_number', 'Sequence Number Bit', 3, 1, 'bool', { parent: 'gre.flags_and_version' }),
  header('gre', 'gre.flags.version', 'Version', 13, 3, 'uint', { parent: 'gre.flags_and_version' }),
  header('gre', 'gre.proto', 'Protocol Type', 16, 16, 'uint', HEX),
  option('gre', 'gre.checksum', 'Checksum', 0, 16, 'uint', HEX),
  derived('gre', 'gre.checksum.status', 'Checksum status', 'string'),
  option('gre', 'gre.key', 'Key', 0, 32, 'uint', HEX),
  option('gre', 'gre.sequence_number', 'Sequence Number', 0, 32, 'uint'),
];

const ERSPAN_FIELDS: readonly FieldDef[] = [
  header('erspan', 'erspan.version', 'Version', 0, 4, 'uint'),
  header('erspan', 'erspan.vlan', 'Vlan', 4, 12, 'uint'),
  header('erspan', 'erspan.cos', 'COS', 16, 3, 'uint'),
  header('erspan', 'erspan.encap', 'Encap', 19, 2, 'uint', { variant: 'erspan2' }),
  header('erspan', 'erspan.bso', 'Bad/Short/Oversized', 19, 2, 'uint', { variant: 'erspan3' }),
  header('erspan', 'erspan.truncated', 'Truncated', 21, 1, 'uint'),
  header('erspan', 'erspan.spanid', 'SpanID', 22, 10, 'uint'),
  header('erspan', 'erspan.index', 'Index', 44, 20, 'uint', { variant: 'erspan2' }),
  header('erspan', 'erspan.timestamp', 'Timestamp', 32, 32, 'uint', { variant: 'erspan3' }),
  header('erspan', 'erspan.sgt', 'Security Group Tag', 64, 16, 'uint', { variant: 'erspan3' }),
  header('erspan', 'erspan.p', 'Has Ethernet PDU', 80, 1, 'uint', { variant: 'erspan3' }),
  header('erspan', 'erspan.ft', 'Frame Type', 81, 5, 'uint', { variant: 'erspan3' }),
  header('erspan', 'erspan.hw', 'Hardware ID', 86, 6, 'uint', { variant: 'erspan3' }),
  header('erspan', 'erspan.direction', 'Direction', 92, 1, 'bool', { variant: 'erspan3' }),
  header('erspan', 'erspan.gra', 'Timestamp granularity', 93, 2, 'uint', { variant: 'erspan3' }),
  header('erspan', 'erspan.o', 'Optional Sub headers', 95, 1, 'uint', { variant: 'erspan3' }),
];

/** One label stack entry per layer: a stack shows as several MPLS layers, as in Wireshark. */
const MPLS_FIELDS: readonly FieldDef[] = [
  header('mpls', 'mpls.label', 'MPLS Label', 0, 20, 'uint', { json: 'array' }),
  header('mpls', 'mpls.exp', 'MPLS Experimental Bits', 20, 3, 'uint', { json: 'array' }),
  header('mpls', 'mpls.bottom', 'MPLS Bottom Of Label Stack', 23, 1, 'uint', { json: 'array' }),
  header('mpls', 'mpls.ttl', 'MPLS TTL', 24, 8, 'uint', { json: 'array' }),
];

export const TUNNEL_LAYER_DEFS: Readonly<Record<Extract<DecodeOnlyLayerKind, 'vxlan' | 'geneve' | 'gre' | 'erspan' | 'mpls'>, LayerDef>> = {
  vxlan: { kind: 'vxlan', protocol: 'vxlan', label: 'Virtual eXtensible Local Area Network', headerLength: 8, fields: VXLAN_FIELDS },
  geneve: { kind: 'geneve', protocol: 'geneve', label: 'Generic Network Virtualization Encapsulation', headerLength: 8, fields: GENEVE_FIELDS },
  gre: { kind: 'gre', protocol: 'gre', label: 'Generic Routing Encapsulation', headerLength: 4, fields: GRE_FIELDS },
  erspan: { kind: 'erspan', protocol: 'erspan', label: 'Encapsulated Remote Switch Packet ANalysis', headerLength: 8, fields: ERSPAN_FIELDS },
  mpls: { kind: 'mpls', protocol: 'mpls', label: 'MultiProtocol Label Switching Header', headerLength: 4, fields: MPLS_FIELDS },
};
