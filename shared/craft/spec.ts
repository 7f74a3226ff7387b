/**
 * What the encoder takes: a frame as a stack of layers, each a set of field values
 * keyed by Wireshark display-filter name (the field registry's names).
 *
 * A field left undefined is computed when it is automatic (lengths, header lengths,
 * data offset, padding, checksums) or takes its registry default otherwise.
 * A field given explicitly is written as given, even when it is wrong: that is how a
 * bad checksum or a lying data offset is crafted on purpose.
 */
export type FieldInput = number | boolean | string | Uint8Array;

export type TcpOptionSpec =
  | { kind: 'eol' }
  | { kind: 'nop' }
  | { kind: 'mss'; value: number }
  | { kind: 'wscale'; shift: number }
  | { kind: 'sack_perm' }
  | { kind: 'sack'; blocks: Array<[number, number]> }
  | { kind: 'timestamp'; tsval: number; tsecr: number }
  | { kind: 'tfo'; cookie: Uint8Array }
  /** Any kind, raw: `length` overrides the computed length byte (to craft a lying option). */
  | { kind: 'raw'; type: number; data: Uint8Array; length?: number };

export type LayerKind =
  | 'eth'
  | 'vlan'
  | 'sll'
  | 'sll2'
  | 'null'
  | 'ip'
  | 'ipv6'
  | 'tcp'
  | 'udp'
  | 'icmp'
  | 'icmpv6'
  | 'data';

export interface LayerSpec {
  layer: LayerKind;
  fields: Record<string, FieldInput | undefined>;
  /** TCP options in wire order (tcp layer only); padding to a 4-byte boundary is automatic. */
  tcpOptions?: TcpOptionSpec[];
  /** Raw IPv4 options bytes or IPv6 extension headers, as carried (ip/ipv6 layers). */
  ipOptions?: Uint8Array;
  /** The payload bytes of a `data` layer. */
  data?: Uint8Array;
}

export interface FrameSpec {
  /** LINKTYPE_* of the frame; defaults to Ethernet (1). */
  linkType?: number;
  layers: LayerSpec[];
}
