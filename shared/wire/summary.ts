/**
 * The fast path: one reusable record that a frame's link/IP/TCP/UDP headers are
 * parsed into without allocating. The indexer, the tracker and the benchmarks use
 * this; the detail tree and JSON use the full decoder (decode.ts).
 *
 * Values are only meaningful for the frame most recently summarized into the record.
 */
export interface PacketSummary {
  /** LINKTYPE_* of the frame. */
  linkType: number;
  /** Offset of the network-layer header in the frame, or -1. */
  networkOffset: number;
  /** 4, 6, or 0 when there is no IP layer. */
  ipVersion: 0 | 4 | 6;
  /** Source and destination addresses as big-endian 32-bit words; IPv4 uses word 0 only. */
  readonly srcWords: Uint32Array;
  readonly dstWords: Uint32Array;
  /** Upper-layer protocol number after walking IPv6 extension headers, or -1. */
  protocol: number;
  /** True when the IP packet is a fragment (offset > 0 or MF set); no transport is parsed then. */
  fragment: boolean;
  /**
   * For a fragment (`fragment` true): its identification, payload offset in bytes and
   * more-fragments bit; where the unfragmentable part ends (IPv4: the header; IPv6: before the
   * Fragment header), where the next-header byte naming the Fragment header sits (IPv6, else -1),
   * and where the fragment's payload lies. Offsets are relative to the frame, like the others.
   */
  fragmentId: number;
  fragmentOffset: number;
  fragmentMore: boolean;
  fragmentUnfragmentableEnd: number;
  fragmentNextHeaderAt: number;
  fragmentPayloadOffset: number;
  fragmentPayloadEnd: number;
  /** True when the addresses and ports are those of a packet carried in a tunnel (VXLAN, Geneve, GRE, ERSPAN, IP-in-IP, MPLS). */
  encapsulated: boolean;
  ttl: number;
  /** Offset of the transport header, or -1. */
  transportOffset: number;
  srcPort: number;
  dstPort: number;
  /** TCP only. seq/ack are unsigned 32-bit values. */
  seq: number;
  ack: number;
  /** The 12-bit TCP flags field (bit 0 FIN … bit 8 AE). */
  tcpFlags: number;
  window: number;
  tcpHeaderLength: number;
  /** -1 when the option is absent. */
  mss: number;
  windowScale: number;
  sackPermitted: boolean;
  /** -1 when absent; tsval/tsecr are unsigned 32-bit values. */
  tsval: number;
  tsecr: number;
  /** Number of SACK blocks and their edges (up to 4 blocks). */
  sackCount: number;
  readonly sackLeft: Uint32Array;
  readonly sackRight: Uint32Array;
  /**
   * Offset and length of the transport payload (TCP segment data, UDP data). The length is what
   * the headers claim (`tcp.len`), so it can exceed the captured bytes of a snap-length capture.
   */
  payloadOffset: number;
  payloadLength: number;
  /** ICMP/ICMPv6 type and code, or -1. */
  icmpType: number;
  icmpCode: number;
  /** Null when every layer decoded as its header claims; otherwise the first reason. */
  malformed: string | null;
}

export const TCP_FIN = 0x001;
export const TCP_SYN = 0x002;
export const TCP_RST = 0x004;
export const TCP_PSH = 0x008;
export const TCP_ACK = 0x010;
export const TCP_URG = 0x020;
export const TCP_ECE = 0x040;
export const TCP_CWR = 0x080;
export const TCP_AE = 0x100;

export function createPacketSummary(): PacketSummary {
  return {
    linkType: 0,
    networkOffset: -1,
    ipVersion: 0,
    srcWords: new Uint32Array(4),
    dstWords: new Uint32Array(4),
    protocol: -1,
    fragment: false,
    fragmentId: 0,
    fragmentOffset: 0,
    fragmentMore: false,
    fragmentUnfragmentableEnd: -1,
    fragmentNextHeaderAt: -1,
    fragmentPayloadOffset: -1,
    fragmentPayloadEnd: -1,
    encapsulated: false,
    ttl: 0,
    transportOffset: -1,
    srcPort: 0,
    dstPort: 0,
    seq: 0,
    ack: 0,
    tcpFlags: 0,
    window: 0,
    tcpHeaderLength: 0,
    mss: -1,
    windowScale: -1,
    sackPermitted: false,
    tsval: -1,
    tsecr: -1,
    sackCount: 0,
    sackLeft: new Uint32Array(4),
    sackRight: new Uint32Array(4),
    payloadOffset: -1,
    payloadLength: 0,
    icmpType: -1,
    icmpCode: -1,
    malformed: null,
  };
}
