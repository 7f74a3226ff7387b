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
  /** TCP Fast Open: kind 34, or the experimental kind 254 with ExID 0xF989 when `experimental` (RFC 7413 §4.1.1). An empty cookie is a cookie request. */
  | { kind: 'tfo'; cookie: Uint8Array; experimental?: boolean }
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
  /** Raw IPv4 options bytes, as carried (ip layer); padded with zeros (EOL) to a 4-byte boundary. */
  ipOptions?: Uint8Array;
  /**
   * Bytes written after the TCP options in place of the automatic zero padding (tcp layer only);
   * the decoder fills it so that re-encoding reproduces the header exactly.
   */
  tcpPadding?: Uint8Array;
  /** IPv6 extension headers in chain order (ipv6 layer only). */
  extHeaders?: Ipv6ExtHeaderSpec[];
  /** The payload bytes of a `data` layer. */
  data?: Uint8Array;
}

/**
 * One IPv6 extension header. `type` is its own protocol number (0 hop-by-hop, 43 routing,
 * 44 fragment, 51 AH, 60 destination options). `body` is everything after the first two bytes
 * (next header, length). Left undefined, `nxt` becomes the next header's type and `len` the
 * header's length in the type's units; hop-by-hop and destination options bodies are padded
 * with Pad1/PadN, others with zeros, to the type's alignment.
 */
export interface Ipv6ExtHeaderSpec {
  type: number;
  body: Uint8Array;
  nxt?: number;
  len?: number;
}

export interface FrameSpec {
  /** LINKTYPE_* of the frame; defaults to what the first layer implies (eth → 1, sll → 113, sll2 → 276, null → 0, ip/ipv6 → 101). */
  linkType?: number;
  layers: LayerSpec[];
  /** Bytes after the end of the network-layer packet (Ethernet padding or trailer). */
  trailer?: Uint8Array;
}
