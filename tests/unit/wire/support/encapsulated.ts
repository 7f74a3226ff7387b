/**
 * Frames over the link types and tunnels the decoder follows, built byte by byte around an
 * encoded IP packet, for the fuzz test's mutations (no Scapy needed there; the tshark tests use
 * Scapy-built captures instead).
 */
import { LINKTYPE_C_HDLC, LINKTYPE_ETHERNET, LINKTYPE_IEEE802_11_RADIOTAP, LINKTYPE_IPOIB, LINKTYPE_JUNIPER_ETHER, LINKTYPE_NFLOG, LINKTYPE_PKTAP, LINKTYPE_PPP } from '../../../../shared/wire/linktypes';

function concat(...parts: ArrayLike<number>[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

const u16 = (value: number): number[] => [value >>> 8, value & 0xff];
const MACS = [2, 0, 0, 0, 0, 0xb, 2, 0, 0, 0, 0, 0xa];

function ethernet(etherType: number, payload: Uint8Array): Uint8Array {
  return concat(MACS, u16(etherType), payload);
}

function ipv4(protocol: number, payload: Uint8Array): Uint8Array {
  return concat([0x45, 0, ...u16(20 + payload.length), 0, 1, 0x40, 0, 64, protocol, 0, 0, 198, 18, 1, 1, 198, 18, 1, 2], payload);
}

function udp(port: number, payload: Uint8Array): Uint8Array {
  return concat([0xc3, 0x50, ...u16(port), ...u16(8 + payload.length), 0, 0], payload);
}

function le32(value: number): number[] {
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24];
}

/** `packet` (an IPv4 or IPv6 packet) carried in every link type and tunnel the decoder knows. */
export function encapsulations(packet: Uint8Array): Array<{ bytes: Uint8Array; linkType: number }> {
  const v6 = packet[0] >>> 4 === 6;
  const etherType = v6 ? 0x86dd : 0x0800;
  const inner = ethernet(etherType, packet);
  const pktapHeader = new Uint8Array(108);
  pktapHeader.set([...le32(108), ...le32(1), ...le32(1)]);
  return [
    { linkType: LINKTYPE_ETHERNET, bytes: ethernet(0x0800, ipv4(17, udp(4789, concat([8, 0, 0, 0, 0, 0, 100, 0], inner)))) },
    { linkType: LINKTYPE_ETHERNET, bytes: ethernet(0x0800, ipv4(17, udp(6081, concat([1, 0, 0x65, 0x58, 0, 0, 7, 0, 1, 2, 0x80, 0], inner)))) },
    { linkType: LINKTYPE_ETHERNET, bytes: ethernet(0x0800, ipv4(47, concat([0x30, 0, ...u16(etherType), 0, 0, 0xab, 0xcd, 0, 0, 0, 1], packet))) },
    { linkType: LINKTYPE_ETHERNET, bytes: ethernet(0x0800, ipv4(47, concat([0x10, 0, 0x88, 0xbe, 0, 0, 0, 1, 0x10, 10, 0, 5, 0, 0, 0, 3], inner))) },
    { linkType: LINKTYPE_ETHERNET, bytes: ethernet(0x8847, concat([0, 1, 0, 64, 0, 0x3e, 0x81, 63], packet)) },
    { linkType: LINKTYPE_ETHERNET, bytes: ethernet(0x8864, concat([0x11, 0, 0x12, 0x34, ...u16(packet.length + 2), ...u16(v6 ? 0x57 : 0x21)], packet)) },
    {
      linkType: LINKTYPE_IEEE802_11_RADIOTAP,
      bytes: concat([0, 0, 9, 0, 2, 0, 0, 0, 0x10], [0x88, 1, 0, 0, ...MACS, ...MACS.slice(0, 6), 0, 0, 5, 0], [0xaa, 0xaa, 3, 0, 0, 0, ...u16(etherType)], packet, [1, 2, 3, 4]),
    },
    { linkType: LINKTYPE_PPP, bytes: concat([0xff, 3, ...u16(v6 ? 0x57 : 0x21)], packet) },
    { linkType: LINKTYPE_C_HDLC, bytes: concat([0x0f, 0, ...u16(etherType)], packet) },
    { linkType: LINKTYPE_NFLOG, bytes: concat([v6 ? 10 : 2, 0, 0, 1, 8, 0, 1, 0, ...u16(etherType), 3, 0, ...le32(4 + packet.length).slice(0, 2), 9, 0], packet) },
    { linkType: LINKTYPE_PKTAP, bytes: concat(pktapHeader, inner) },
    { linkType: LINKTYPE_IPOIB, bytes: concat(new Uint8Array(40), u16(etherType), [0, 0], packet) },
    { linkType: LINKTYPE_JUNIPER_ETHER, bytes: concat([0x4d, 0x47, 0x43, 0x81, 0, 2, 1, 0], inner) },
  ];
}
