/**
 * The full decoder: a frame's bytes into layers of fields, each field carrying its value and
 * where it sits in the frame (offset, length, bit mask) for the hex view. Header fields are
 * read through the field registry; options, extension headers and derived values are added
 * by the per-protocol code below.
 *
 * Never throws: a layer that cannot be decoded as its header claims is flagged with a reason
 * (`layer.malformed`, and the first one on `frame.malformed`, i.e. `_ws.malformed`).
 *
 * Choices worth knowing:
 * - An IPv4/IPv6 fragment (offset > 0, or more-fragments set, including the first fragment) is
 *   never decoded as a transport header: its payload is `data`. Without reassembly the transport
 *   checksum cannot be checked and a later fragment's bytes are not a header at all.
 * - A frame cut short by the capture's snap length (`frameLength` > bytes) is not malformed when
 *   a length field points past the captured bytes; the checksums become `unverified`.
 * - An IPv4 total length of 0 (TSO on the capturing host) means "up to the end of the frame".
 * - The quoted datagram inside ICMP errors is decoded best-effort into layers marked `quoted`;
 *   its truncation is expected and never flags the frame.
 * - A header cut short is malformed even when the snap length explains it: it cannot be shown.
 *   Except TCP's: a headers-only capture (tcpdump -s 64) often cuts its options. The captured
 *   part is shown, `layer.cutShort` says so, and the segment keeps the length its IP header gives.
 * - A known TCP option with an unexpected size is kept raw (kind + bytes), not read as that option.
 * - A UDP/IPv4 checksum of 0 means "not present" (RFC 768). Wireshark has a status for that; cli.md
 *   does not, so it is `unverified`: nothing could be verified. Over IPv6 a zero checksum is `bad`.
 * - Bytes after a UDP datagram that is shorter than its IP packet are kept as a `data` layer.
 * - The TCP/UDP/ICMPv6 pseudo-header uses the final destination when a routing header still has
 *   segments left (RFC 8200 §8.1), as Wireshark and Scapy do.
 */
import type { LayerKind, TcpOptionSpec } from '../craft/spec';
import { readU16, readU32, readU32LE } from './bytes';
import { checksumStatus, pseudoHeaderSum, type ChecksumStatus } from './checksum';
import { LAYER_DEFS, icmpQuotesDatagram, icmpVariant, icmpv6QuotesDatagram, icmpv6Variant } from './fields';
import {
  addData,
  addDerived,
  addOptionField,
  flag,
  openLayer,
  readHeader,
  setChecksumStatus,
  restoreSink,
  useSink,
  type DecodeOptions,
  type DecodedField,
  type DecodedFrame,
  type DecodedLayer,
  type DecodedTcpOption,
  type Decoding,
  type FieldValue,
  type NetworkContext,
} from './decoding';
import {
  BSD_AF_INET,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  ETHERTYPE_QINQ,
  ETHERTYPE_ERSPAN_II,
  ETHERTYPE_ERSPAN_III,
  ETHERTYPE_MPLS,
  ETHERTYPE_MPLS_MULTICAST,
  ETHERTYPE_PPPOE_DISCOVERY,
  ETHERTYPE_PPPOE_SESSION,
  ETHERTYPE_QINQ_LEGACY,
  ETHERTYPE_TEB,
  ETHERTYPE_VLAN,
  IPPROTO_AH,
  IPPROTO_DSTOPTS,
  IPPROTO_FRAGMENT,
  IPPROTO_GRE,
  IPPROTO_HOPOPTS,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_IPIP,
  IPPROTO_IPV6,
  IPPROTO_ROUTING,
  IPPROTO_TCP,
  IPPROTO_UDP,
  LINKTYPE_C_HDLC,
  LINKTYPE_ETHERNET,
  LINKTYPE_IEEE802_11_RADIOTAP,
  LINKTYPE_IPOIB,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_JUNIPER_ETHER,
  LINKTYPE_NFLOG,
  LINKTYPE_NULL,
  LINKTYPE_PKTAP,
  LINKTYPE_PPP,
  LINKTYPE_PPP_HDLC,
  LINKTYPE_RAW,
  UDP_PORT_GENEVE,
  UDP_PORT_VXLAN,
  isBsdInet6Family,
  isKnownBsdFamily,
} from './linktypes';
import { MALFORMED } from './malformed';
import { decodeIpoib, decodeJuniper, decodeNflog, decodePktap } from './link/capture-headers';
import { decodeChdlc, decodePpp, decodePppoe } from './link/ppp';
import { decodeLlc, decodeRadiotap, decodeWlan, decodeWlanFcs } from './link/wlan';
import { NEXT_DATA, NEXT_ETHERNET, NEXT_IP_BY_VERSION, NEXT_LLC, NEXT_NULL, NEXT_PPP, NEXT_WLAN, createStep, etherTypeByVersion, type HeaderStep } from './step';
import { NEXT_ERSPAN_I, decodeErspan, decodeGre } from './tunnel/gre';
import { decodeMpls } from './tunnel/mpls';
import { decodeGeneve, decodeVxlan } from './tunnel/udp-tunnels';

export type { DecodeOptions, DecodedExtHeader, DecodedField, DecodedFrame, DecodedLayer, DecodedTcpOption, FieldValue } from './decoding';
import { ipv6ExtensionLength, isIpv6ExtensionHeader, pseudoHeaderDestinationOffset } from './ipv6';

export function decodeFrame(bytes: Uint8Array, linkType: number, options: DecodeOptions = {}): DecodedFrame {
  const frame: DecodedFrame = {
    linkType,
    bytes,
    capturedLength: bytes.length,
    frameLength: Math.max(options.frameLength ?? bytes.length, bytes.length),
    layers: [],
    malformed: null,
    trailer: null,
    trailerOffset: -1,
  };
  const decoding: Decoding = { bytes, frame };
  if (!options.sink) return decodeInto(decoding, linkType);
  options.sink.open(frame);
  const outer = useSink(options.sink);
  try {
    return decodeInto(decoding, linkType);
  } finally {
    restoreSink(outer);
  }
}

function decodeInto(decoding: Decoding, linkType: number): DecodedFrame {
  const { bytes, frame } = decoding;
  try {
    const networkEnd = decodeLink(decoding, linkType);
    if (networkEnd < bytes.length && networkEnd >= 0) {
      frame.trailer = bytes.slice(networkEnd);
      frame.trailerOffset = networkEnd;
      addEthernetTrailer(decoding, networkEnd);
    }
  } catch (error) {
    // A decoder bug must not take the caller down; the frame is flagged instead.
    frame.malformed ??= `${MALFORMED.decoderError}: ${error instanceof Error ? error.message : String(error)}`;
  }
  return frame;
}

/** A frame whose link layer cannot be followed: all of it is data, flagged with `reason`. */
function undecodable(decoding: Decoding, reason: string): number {
  const { bytes } = decoding;
  const layer = addData(decoding, 0, bytes.length, false) ?? openLayer(decoding, 'data', 0, 0, false);
  flag(decoding, layer, reason);
  return bytes.length;
}

// ---------------------------------------------------------------------------------------------
// Link layers. Each returns where the network-layer packet ends (the trailer starts there).

function decodeLink(decoding: Decoding, linkType: number): number {
  const { bytes } = decoding;
  const end = bytes.length;
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      return decodeEthernet(decoding, 0, end);
    case LINKTYPE_LINUX_SLL:
    case LINKTYPE_LINUX_SLL2:
      return decodeSll(decoding, linkType === LINKTYPE_LINUX_SLL2 ? 'sll2' : 'sll');
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP:
      return decodeNull(decoding, linkType === LINKTYPE_LOOP, 0, end);
    case LINKTYPE_RAW: {
      const version = bytes.length > 0 ? bytes[0] >>> 4 : -1;
      if (version === 4) return decodeIpv4(decoding, 0, bytes.length, false);
      if (version === 6) return decodeIpv6(decoding, 0, bytes.length, false);
      return undecodable(decoding, MALFORMED.rawVersion);
    }
    case LINKTYPE_IPV4:
      return decodeIpv4(decoding, 0, bytes.length, false);
    case LINKTYPE_IPV6:
      return decodeIpv6(decoding, 0, bytes.length, false);
    case LINKTYPE_IEEE802_11_RADIOTAP:
      return decodeStep(decoding, decodeRadiotap, 0, end);
    case LINKTYPE_PPP:
      return decodePppStep(decoding, 0, end);
    case LINKTYPE_PPP_HDLC:
      // Cisco HDLC frames (address 0x0F or 0x8F) are found in this link type too.
      return end > 0 && (bytes[0] === 0x0f || bytes[0] === 0x8f) ? decodeStep(decoding, decodeChdlc, 0, end) : decodePppStep(decoding, 0, end);
    case LINKTYPE_C_HDLC:
      return decodeStep(decoding, decodeChdlc, 0, end);
    case LINKTYPE_NFLOG:
      return decodeStep(decoding, decodeNflog, 0, end);
    case LINKTYPE_PKTAP:
      return decodeStep(decoding, decodePktap, 0, end);
    case LINKTYPE_IPOIB:
      return decodeStep(decoding, decodeIpoib, 0, end);
    case LINKTYPE_JUNIPER_ETHER:
      return decodeStep(decoding, decodeJuniper, 0, end);
    default:
      return undecodable(decoding, MALFORMED.unknownLinkType);
  }
}

type StepDecoder = (decoding: Decoding, offset: number, end: number, step: HeaderStep) => void;

/** Decodes one link or tunnel header, then what its step says follows; returns where that ends. */
function decodeStep(decoding: Decoding, decoder: StepDecoder, offset: number, end: number): number {
  const step = createStep();
  decoder(decoding, offset, end, step);
  return followStep(decoding, step, offset, end);
}

function followStep(decoding: Decoding, step: HeaderStep, offset: number, end: number): number {
  if (step.malformed && step.next === NEXT_DATA) return end;
  const payloadEnd = step.end;
  if (payloadEnd < end && decoding.frame.layers.some((layer) => layer.kind === 'radiotap')) decodeWlanFcs(decoding, payloadEnd);
  decodeNext(decoding, step.next, offset + step.length, payloadEnd);
  return payloadEnd;
}

function decodePppStep(decoding: Decoding, offset: number, end: number): number {
  const step = createStep();
  decodePpp(decoding, offset, end, step);
  if (step.malformed) return end;
  decodeNext(decoding, step.next, offset + step.length, step.end);
  return step.end;
}

/**
 * Continues with what a header says follows: an EtherType or a NEXT_* code. Returns where the
 * network-layer packet ends (an Ethernet trailer starts there).
 */
function decodeNext(decoding: Decoding, next: number, offset: number, end: number): number {
  switch (next) {
    case NEXT_WLAN:
      return decodeStep(decoding, decodeWlan, offset, end);
    case NEXT_LLC:
      return decodeStep(decoding, decodeLlc, offset, end);
    case NEXT_PPP:
      return decodePppStep(decoding, offset, end);
    case NEXT_NULL:
      return decodeNull(decoding, false, offset, end);
    case NEXT_ETHERNET:
      return decodeEthernet(decoding, offset, end);
    case NEXT_ERSPAN_I:
      return decodeEthernet(decoding, offset, end);
    case NEXT_IP_BY_VERSION: {
      const type = etherTypeByVersion(decoding.bytes, offset, end);
      if (type === NEXT_DATA) break;
      return decodeEtherTypePayload(decoding, type, offset, end);
    }
    case NEXT_DATA:
      break;
    default:
      return decodeEtherTypePayload(decoding, next, offset, end);
  }
  addData(decoding, offset, end, false);
  return end;
}

function decodeEthernet(decoding: Decoding, offset: number, end: number): number {
  const { bytes } = decoding;
  const layer = openLayer(decoding, 'eth', offset, 14, false);
  readHeader(decoding, layer, end);
  if (end - offset < 14) {
    flag(decoding, layer, MALFORMED.ethTruncated);
    return end;
  }
  return decodeEtherTypePayload(decoding, readU16(bytes, offset + 12), offset + 14, end);
}

function decodeEtherTypePayload(decoding: Decoding, etherType: number, offset: number, end: number = decoding.bytes.length): number {
  const { bytes } = decoding;
  switch (etherType) {
    case ETHERTYPE_VLAN:
    case ETHERTYPE_QINQ:
    case ETHERTYPE_QINQ_LEGACY: {
      const layer = openLayer(decoding, 'vlan', offset, 4, false);
      if (etherType === ETHERTYPE_QINQ) layer.protocol = 'ieee8021ad';
      readHeader(decoding, layer, end);
      if (end - offset < 4) {
        flag(decoding, layer, MALFORMED.vlanTruncated);
        return end;
      }
      return decodeEtherTypePayload(decoding, readU16(bytes, offset + 2), offset + 4, end);
    }
    case ETHERTYPE_IPV4:
      return decodeIpv4(decoding, offset, end, false);
    case ETHERTYPE_IPV6:
      return decodeIpv6(decoding, offset, end, false);
    case ETHERTYPE_MPLS:
    case ETHERTYPE_MPLS_MULTICAST:
      return decodeStep(decoding, decodeMpls, offset, end);
    case ETHERTYPE_PPPOE_DISCOVERY:
    case ETHERTYPE_PPPOE_SESSION: {
      const step = createStep();
      decodePppoe(decoding, offset, end, etherType, step);
      followStep(decoding, step, offset, end);
      return step.end; // bytes after the PPPoE payload are the Ethernet trailer
    }
    case ETHERTYPE_TEB:
      return decodeEthernet(decoding, offset, end);
    case ETHERTYPE_ERSPAN_II:
    case ETHERTYPE_ERSPAN_III: {
      const step = createStep();
      decodeErspan(decoding, offset, end, etherType, step);
      return followStep(decoding, step, offset, end);
    }
    default:
      addData(decoding, offset, end, false);
      return end;
  }
}

function decodeSll(decoding: Decoding, kind: 'sll' | 'sll2'): number {
  const { bytes } = decoding;
  const headerLength = LAYER_DEFS[kind].headerLength;
  const layer = openLayer(decoding, kind, 0, headerLength, false);
  readHeader(decoding, layer, bytes.length);
  if (bytes.length < headerLength) {
    flag(decoding, layer, MALFORMED.sllTruncated);
    return bytes.length;
  }
  return decodeEtherTypePayload(decoding, readU16(bytes, kind === 'sll' ? 14 : 0), headerLength);
}

/** The family is in the capturing host's byte order for NULL (so try both), big-endian for LOOP. */
function nullFamily(bytes: Uint8Array, offset: number, loop: boolean): { family: number; bigEndian: boolean } {
  const bigEndianValue = readU32(bytes, offset);
  if (loop) return { family: bigEndianValue, bigEndian: true };
  const littleEndianValue = readU32LE(bytes, offset);
  if (!isKnownBsdFamily(littleEndianValue) && isKnownBsdFamily(bigEndianValue)) return { family: bigEndianValue, bigEndian: true };
  return { family: littleEndianValue, bigEndian: false };
}

function decodeNull(decoding: Decoding, loop: boolean, offset: number, end: number): number {
  const { bytes } = decoding;
  const layer = openLayer(decoding, 'null', offset, 4, false);
  if (end - offset < 4) {
    flag(decoding, layer, MALFORMED.nullTruncated);
    return end;
  }
  const { family, bigEndian } = nullFamily(bytes, offset, loop);
  addDerived(layer, 'null.family', family, offset, 4);
  addDerived(layer, 'null.big_endian', bigEndian, offset, 4);
  if (family === BSD_AF_INET) return decodeIpv4(decoding, offset + 4, end, false);
  if (isBsdInet6Family(family)) return decodeIpv6(decoding, offset + 4, end, false);
  addData(decoding, offset + 4, end, false);
  return end;
}

/**
 * Splits what follows the packet on Ethernet the way Wireshark does:
 * - padding: the zero bytes that bring a frame of at least 60 bytes up to 60 (not counting the trailer);
 * - an assumed FCS: the last 4 bytes, when the frame is untagged, has 64 bytes or more and at
 *   least 4 are left (behind a VLAN tag Wireshark assumes no FCS);
 * - the trailer: whatever remains, shown under the last VLAN tag when the frame is tagged.
 */
function addEthernetTrailer(decoding: Decoding, networkEnd: number): void {
  const eth = decoding.frame.layers[0];
  if (!eth || eth.kind !== 'eth' || eth.malformed) return;
  const { bytes, frame } = decoding;
  let paddingEnd = networkEnd;
  if (frame.frameLength >= 60 && networkEnd < 60) {
    paddingEnd = Math.min(60, bytes.length);
    for (let i = networkEnd; i < paddingEnd; i++) {
      if (bytes[i] !== 0) {
        paddingEnd = networkEnd; // only zeros count as padding
        break;
      }
    }
  }
  if (paddingEnd > networkEnd) addDerived(eth, 'eth.padding', bytes.slice(networkEnd, paddingEnd), networkEnd, paddingEnd - networkEnd);
  const tags = frame.layers.filter((layer) => layer.kind === 'vlan');
  let trailerEnd = bytes.length;
  if (tags.length === 0 && frame.frameLength >= 64 && bytes.length - paddingEnd >= 4) {
    trailerEnd = bytes.length - 4;
    addDerived(eth, 'eth.fcs', readU32(bytes, trailerEnd), trailerEnd, 4);
  }
  if (trailerEnd > paddingEnd) {
    const owner = tags.length > 0 ? tags[tags.length - 1] : eth;
    addDerived(owner, owner === eth ? 'eth.trailer' : 'vlan.trailer', bytes.slice(paddingEnd, trailerEnd), paddingEnd, trailerEnd - paddingEnd);
  }
}

// ---------------------------------------------------------------------------------------------
// Network layers. `end` is the end of the bytes available to this packet.

/** True when the capture's snap length, not the packet, explains a length pointing past the captured bytes. */
function cutBySnapLength(decoding: Decoding, claimedEnd: number): boolean {
  const { frame } = decoding;
  return frame.frameLength > frame.capturedLength && claimedEnd <= frame.frameLength;
}

function decodeIpv4(decoding: Decoding, offset: number, end: number, quoted: boolean): number {
  const { bytes } = decoding;
  const layer = openLayer(decoding, 'ip', offset, 20, quoted);
  readHeader(decoding, layer, end);
  if (end - offset < 20) {
    flag(decoding, layer, MALFORMED.ipTruncated);
    return end;
  }
  if (bytes[offset] >>> 4 !== 4) {
    flag(decoding, layer, MALFORMED.ipVersion);
    return end;
  }
  const headerLength = (bytes[offset] & 0x0f) * 4;
  layer.length = headerLength;
  if (headerLength < 20) {
    flag(decoding, layer, MALFORMED.ipHeaderLengthShort);
    return end;
  }
  if (offset + headerLength > end) {
    flag(decoding, layer, MALFORMED.ipTruncated);
    return end;
  }
  const totalLength = readU16(bytes, offset + 2);
  let claimedEnd = totalLength === 0 ? end : offset + totalLength; // 0: TSO on the capturing host
  if (totalLength !== 0 && totalLength < headerLength) {
    flag(decoding, layer, MALFORMED.ipTotalLengthShort);
    claimedEnd = end;
  } else if (claimedEnd > end && !quoted && !cutBySnapLength(decoding, claimedEnd)) {
    // The frame was not cut, so the bytes past it never existed: as tshark does, the packet ends
    // with the frame (its checksums are verified over what is there) and ip.bogus_ip_length says so.
    addDerived(layer, 'ip.bogus_ip_length', true, offset + 2, 2);
    claimedEnd = end;
  }
  const packetEnd = Math.min(claimedEnd, end);

  if (headerLength > 20) {
    layer.ipOptions = bytes.slice(offset + 20, offset + headerLength);
    addDerived(layer, 'ip.options', layer.ipOptions, offset + 20, headerLength - 20);
    decodeIpv4Options(decoding, layer, offset + 20, offset + headerLength);
  }
  const status = checksumStatus(bytes, offset, offset + headerLength, end, offset + 10);
  setChecksumStatus(layer, 'ip.checksum.status', status, offset + 10);

  const flagsAndOffset = readU16(bytes, offset + 6);
  const fragment = (flagsAndOffset & 0x2000) !== 0 || (flagsAndOffset & 0x1fff) !== 0;
  const payloadOffset = offset + headerLength;
  if (fragment) {
    addData(decoding, payloadOffset, packetEnd, quoted);
    return packetEnd;
  }
  const context: NetworkContext = { srcOffset: offset + 12, dstOffset: offset + 16, addressLength: 4, end: packetEnd, claimedEnd, quoted };
  decodeIpPayload(decoding, bytes[offset + 9], payloadOffset, context);
  return packetEnd;
}

/** Walks the options so that a lying length is caught; each option's type and length are shown. */
function decodeIpv4Options(decoding: Decoding, layer: DecodedLayer, start: number, end: number): void {
  const { bytes } = decoding;
  for (let position = start; position < end; ) {
    const type = bytes[position];
    addOptionField(decoding, layer, 'ip.opt.type', position, end);
    if (type === 0) return; // end of option list: the rest is padding
    if (type === 1) {
      position += 1;
      continue;
    }
    if (position + 1 >= end || bytes[position + 1] < 2 || position + bytes[position + 1] > end) {
      flag(decoding, layer, MALFORMED.ipOptionLength);
      return;
    }
    addOptionField(decoding, layer, 'ip.opt.len', position, end);
    position += bytes[position + 1];
  }
}

const EXT_FIELD_PREFIX: Readonly<Record<number, string>> = {
  [IPPROTO_HOPOPTS]: 'ipv6.hopopts',
  [IPPROTO_ROUTING]: 'ipv6.routing',
  [IPPROTO_FRAGMENT]: 'ipv6.fraghdr',
  [IPPROTO_DSTOPTS]: 'ipv6.dstopts',
  [IPPROTO_AH]: 'ah',
};

function decodeIpv6(decoding: Decoding, offset: number, end: number, quoted: boolean): number {
  const { bytes } = decoding;
  const layer = openLayer(decoding, 'ipv6', offset, 40, quoted);
  readHeader(decoding, layer, end);
  if (end - offset < 40) {
    flag(decoding, layer, MALFORMED.ipv6Truncated);
    return end;
  }
  if (bytes[offset] >>> 4 !== 6) {
    flag(decoding, layer, MALFORMED.ipv6Version);
    return end;
  }
  const payloadLength = readU16(bytes, offset + 4);
  // 0 means a jumbogram or TSO on the capturing host: the payload runs to the end of the frame.
  const claimedEnd = payloadLength === 0 ? end : offset + 40 + payloadLength;
  if (claimedEnd > end && !quoted && !cutBySnapLength(decoding, claimedEnd)) {
    flag(decoding, layer, MALFORMED.ipv6PayloadLengthBeyond);
  }
  const packetEnd = Math.min(claimedEnd, end);

  let next = bytes[offset + 6];
  let position = offset + 40;
  let fragment = false;
  layer.extHeaders = [];
  while (isIpv6ExtensionHeader(next)) {
    const minimum = next === IPPROTO_FRAGMENT ? 8 : 2;
    const length = position + minimum <= packetEnd ? ipv6ExtensionLength(next, bytes[position + 1]) : Infinity;
    if (position + length > packetEnd) {
      flag(decoding, layer, MALFORMED.ipv6ExtensionLength);
      addData(decoding, position, packetEnd, quoted);
      return packetEnd;
    }
    const prefix = EXT_FIELD_PREFIX[next];
    const extEnd = position + length;
    const fieldNames =
      next === IPPROTO_FRAGMENT
        ? ['nxt', 'reserved_octet', 'offset', 'reserved_bits', 'more', 'ident']
        : next === IPPROTO_ROUTING
          ? ['nxt', 'len', 'type', 'segleft']
          : next === IPPROTO_AH
            ? ['next_header', 'length', 'spi', 'sequence']
            : ['nxt', 'len'];
    for (const suffix of fieldNames) addOptionField(decoding, layer, `${prefix}.${suffix}`, position, extEnd);
    if (next === IPPROTO_FRAGMENT) {
      const offsetAndFlags = readU16(bytes, position + 2);
      if ((offsetAndFlags & 0xfff8) !== 0 || (offsetAndFlags & 1) !== 0) fragment = true;
    }
    layer.extHeaders.push({
      type: next,
      offset: position,
      length,
      spec: { type: next, nxt: bytes[position], len: bytes[position + 1], body: bytes.slice(position + 2, extEnd) },
    });
    next = bytes[position];
    position = extEnd;
    if (fragment) break; // what follows the Fragment header is the fragment's payload, not headers
  }
  layer.length = position - offset;
  if (fragment) {
    addData(decoding, position, packetEnd, quoted);
    return packetEnd;
  }
  const dstOffset = pseudoHeaderDestinationOffset(bytes, offset, packetEnd);
  const context: NetworkContext = { srcOffset: offset + 8, dstOffset, addressLength: 16, end: packetEnd, claimedEnd, quoted };
  decodeIpPayload(decoding, next, position, context);
  return packetEnd;
}

function decodeIpPayload(decoding: Decoding, protocol: number, offset: number, context: NetworkContext): void {
  switch (protocol) {
    case IPPROTO_TCP:
      decodeTcp(decoding, offset, context);
      return;
    case IPPROTO_UDP:
      decodeUdp(decoding, offset, context);
      return;
    case IPPROTO_ICMP:
      if (context.addressLength === 4) decodeIcmp(decoding, 'icmp', offset, context);
      else addData(decoding, offset, context.end, context.quoted);
      return;
    case IPPROTO_ICMPV6:
      if (context.addressLength === 16) decodeIcmp(decoding, 'icmpv6', offset, context);
      else addData(decoding, offset, context.end, context.quoted);
      return;
    case IPPROTO_IPIP:
      decodeIpv4(decoding, offset, context.end, context.quoted);
      return;
    case IPPROTO_IPV6:
      decodeIpv6(decoding, offset, context.end, context.quoted);
      return;
    case IPPROTO_GRE:
      // A quoted datagram is someone else's packet, cut short: its tunnel is not followed.
      if (context.quoted) addData(decoding, offset, context.end, true);
      else decodeStep(decoding, decodeGre, offset, context.end);
      return;
    default:
      addData(decoding, offset, context.end, context.quoted);
  }
}

function transportPseudoSum(bytes: Uint8Array, context: NetworkContext, protocol: number, upperLength: number): number {
  return pseudoHeaderSum(bytes, context.srcOffset, context.dstOffset, context.addressLength, protocol, upperLength);
}

// ---------------------------------------------------------------------------------------------
// Transport layers

const TCP_OPTION_EOL = 0;
const TCP_OPTION_NOP = 1;
const TCP_OPTION_MSS = 2;
const TCP_OPTION_WSCALE = 3;
const TCP_OPTION_SACK_PERM = 4;
const TCP_OPTION_SACK = 5;
const TCP_OPTION_TIMESTAMP = 8;
const TCP_OPTION_TFO = 34;
const TCP_OPTION_EXPERIMENTAL = 254;
const TFO_EXPERIMENT_ID = 0xf989;

function decodeTcp(decoding: Decoding, offset: number, context: NetworkContext): void {
  const { bytes } = decoding;
  const { end } = context;
  const layer = openLayer(decoding, 'tcp', offset, 20, context.quoted);
  readHeader(decoding, layer, end);
  if (end - offset < 20) {
    flag(decoding, layer, MALFORMED.tcpTruncated);
    return;
  }
  const headerLength = (bytes[offset + 12] >>> 4) * 4;
  layer.length = headerLength;
  if (headerLength < 20) {
    flag(decoding, layer, MALFORMED.tcpDataOffsetShort);
    return;
  }
  const headerEnd = offset + headerLength;
  // Cut by the snap length (a headers-only capture): what was captured is shown, the length comes
  // from the IP header, and the layer says where the capture stopped (tshark's "Packet size limited").
  const cut = headerEnd > end && headerEnd <= context.claimedEnd && !context.quoted && cutBySnapLength(decoding, context.claimedEnd);
  if (headerEnd > end && !cut) {
    flag(decoding, layer, MALFORMED.tcpDataOffsetBeyond);
    return;
  }
  if (cut) {
    layer.length = end - offset;
    layer.cutShort = true;
  }
  decodeTcpOptions(decoding, layer, offset + 20, cut ? end : headerEnd, cut);
  const segmentLength = context.claimedEnd - offset;
  addDerived(layer, 'tcp.len', Math.max(segmentLength - headerLength, 0), Math.min(headerEnd, end), Math.max(0, end - headerEnd));
  if (!context.quoted) {
    const pseudo = transportPseudoSum(bytes, context, IPPROTO_TCP, segmentLength);
    setChecksumStatus(layer, 'tcp.checksum.status', checksumStatus(bytes, offset, context.claimedEnd, end, offset + 16, pseudo), offset + 16);
  }
  addData(decoding, offset + headerLength, end, context.quoted);
}

/** Parses options in [start, end) into fields and `layer.tcpOptions`; bytes after an EOL are padding. */
function decodeTcpOptions(decoding: Decoding, layer: DecodedLayer, start: number, end: number, cut = false): void {
  const { bytes } = decoding;
  const options: DecodedTcpOption[] = [];
  layer.tcpOptions = options;
  let position = start;
  while (position < end) {
    const kind = bytes[position];
    addOptionField(decoding, layer, 'tcp.option_kind', position, end);
    if (kind === TCP_OPTION_EOL || kind === TCP_OPTION_NOP) {
      options.push({ kind, offset: position, length: 1, spec: { kind: kind === TCP_OPTION_EOL ? 'eol' : 'nop' } });
      position += 1;
      if (kind === TCP_OPTION_EOL) {
        // The rest is padding; Wireshark lists each zero byte of it as one more EOL kind.
        for (let pad = position; pad < end && bytes[pad] === TCP_OPTION_EOL; pad++) addOptionField(decoding, layer, 'tcp.option_kind', pad, end);
        break;
      }
      continue;
    }
    // Where the capture cut the header, an option running past the captured bytes was whole on the wire.
    if (cut && position + 1 >= end) {
      position = end;
      break;
    }
    const length = position + 1 < end ? bytes[position + 1] : 0;
    if (length < 2 || position + length > end) {
      if (!cut || length < 2) flag(decoding, layer, MALFORMED.tcpOptionLength);
      position = end;
      break;
    }
    addOptionField(decoding, layer, 'tcp.option_len', position, end);
    options.push({ kind, offset: position, length, spec: tcpOptionSpec(decoding, layer, position, length) });
    position += length;
  }
  if (position < end) {
    layer.tcpPadding = bytes.slice(position, end);
    addDerived(layer, 'tcp.options.padding', layer.tcpPadding, position, end - position);
  }
}

/** An option kept as its bytes (unknown kinds, odd sizes); a function, not a closure per option, as most options never need it. */
function rawTcpOption(layer: DecodedLayer, bytes: Uint8Array, position: number, length: number): TcpOptionSpec {
  const end = position + length;
  if (length > 2) addDerived(layer, 'tcp.options.unknown.payload', bytes.slice(position + 2, end), position + 2, length - 2);
  return { kind: 'raw', type: bytes[position], data: bytes.slice(position + 2, end) };
}

/** One option with a valid length byte: its fields, and its spec for re-encoding. Odd sizes stay raw. */
function tcpOptionSpec(decoding: Decoding, layer: DecodedLayer, position: number, length: number): TcpOptionSpec {
  const { bytes } = decoding;
  const kind = bytes[position];
  const end = position + length;
  switch (kind) {
    case TCP_OPTION_MSS:
      if (length !== 4) return rawTcpOption(layer, bytes, position, length);
      addOptionField(decoding, layer, 'tcp.options.mss_val', position, end);
      return { kind: 'mss', value: readU16(bytes, position + 2) };
    case TCP_OPTION_WSCALE: {
      if (length !== 3) return rawTcpOption(layer, bytes, position, length);
      const shift = bytes[position + 2];
      addOptionField(decoding, layer, 'tcp.options.wscale.shift', position, end);
      addDerived(layer, 'tcp.options.wscale.multiplier', 2 ** Math.min(shift, 14), position + 2, 1);
      return { kind: 'wscale', shift };
    }
    case TCP_OPTION_SACK_PERM:
      if (length !== 2) return rawTcpOption(layer, bytes, position, length);
      addDerived(layer, 'tcp.options.sack_perm', true, position, 2);
      return { kind: 'sack_perm' };
    case TCP_OPTION_SACK: {
      if ((length - 2) % 8 !== 0) return rawTcpOption(layer, bytes, position, length);
      const blocks: Array<[number, number]> = [];
      for (let edge = position + 2; edge < end; edge += 8) {
        addOptionField(decoding, layer, 'tcp.options.sack_le', position, end, (edge - position) * 8);
        addOptionField(decoding, layer, 'tcp.options.sack_re', position, end, (edge - position) * 8 + 32);
        blocks.push([readU32(bytes, edge), readU32(bytes, edge + 4)]);
      }
      return { kind: 'sack', blocks };
    }
    case TCP_OPTION_TIMESTAMP:
      if (length !== 10) return rawTcpOption(layer, bytes, position, length);
      addOptionField(decoding, layer, 'tcp.options.timestamp.tsval', position, end);
      addOptionField(decoding, layer, 'tcp.options.timestamp.tsecr', position, end);
      return { kind: 'timestamp', tsval: readU32(bytes, position + 2), tsecr: readU32(bytes, position + 6) };
    case TCP_OPTION_TFO:
      return fastOpen(layer, bytes, position + 2, end, false);
    case TCP_OPTION_EXPERIMENTAL:
      if (length < 4 || readU16(bytes, position + 2) !== TFO_EXPERIMENT_ID) return rawTcpOption(layer, bytes, position, length);
      addOptionField(decoding, layer, 'tcp.options.experimental.exid', position, end);
      return fastOpen(layer, bytes, position + 4, end, true);
    default:
      return rawTcpOption(layer, bytes, position, length);
  }
}

function fastOpen(layer: DecodedLayer, bytes: Uint8Array, cookieStart: number, end: number, experimental: boolean): TcpOptionSpec {
  const cookie = bytes.slice(cookieStart, end);
  if (cookie.length === 0) addDerived(layer, 'tcp.options.tfo.request', true, cookieStart - 2, 2);
  else addDerived(layer, 'tcp.options.tfo.cookie', cookie, cookieStart, cookie.length);
  return experimental ? { kind: 'tfo', cookie, experimental: true } : { kind: 'tfo', cookie };
}

function decodeUdp(decoding: Decoding, offset: number, context: NetworkContext): void {
  const { bytes } = decoding;
  const { end } = context;
  const layer = openLayer(decoding, 'udp', offset, 8, context.quoted);
  readHeader(decoding, layer, end);
  if (end - offset < 8) {
    flag(decoding, layer, MALFORMED.udpTruncated);
    return;
  }
  const length = readU16(bytes, offset + 4);
  let datagramEnd = offset + length;
  if (length < 8 || datagramEnd > context.claimedEnd) {
    flag(decoding, layer, MALFORMED.udpLength);
    datagramEnd = context.claimedEnd;
  }
  if (!context.quoted) {
    let status: ChecksumStatus;
    if (context.addressLength === 4 && readU16(bytes, offset + 6) === 0) {
      status = 'unverified'; // checksum not present (RFC 768): nothing to verify
    } else {
      const pseudo = transportPseudoSum(bytes, context, IPPROTO_UDP, datagramEnd - offset);
      status = checksumStatus(bytes, offset, datagramEnd, end, offset + 6, pseudo);
    }
    setChecksumStatus(layer, 'udp.checksum.status', status, offset + 6);
  }
  const payloadEnd = Math.min(datagramEnd, end);
  const srcPort = readU16(bytes, offset);
  const dstPort = readU16(bytes, offset + 2);
  if (!context.quoted && (dstPort === UDP_PORT_VXLAN || srcPort === UDP_PORT_VXLAN)) decodeStep(decoding, decodeVxlan, offset + 8, payloadEnd);
  else if (!context.quoted && (dstPort === UDP_PORT_GENEVE || srcPort === UDP_PORT_GENEVE)) decodeStep(decoding, decodeGeneve, offset + 8, payloadEnd);
  else addData(decoding, offset + 8, payloadEnd, context.quoted);
  // Bytes after a datagram shorter than its IP packet are shown, not dropped.
  if (datagramEnd < end) addData(decoding, datagramEnd, end, context.quoted);
}

function decodeIcmp(decoding: Decoding, kind: 'icmp' | 'icmpv6', offset: number, context: NetworkContext): void {
  const { bytes } = decoding;
  const { end } = context;
  const type = end > offset ? bytes[offset] : -1;
  const variant = kind === 'icmp' ? icmpVariant(type) : icmpv6Variant(type);
  const layer = openLayer(decoding, kind, offset, 8, context.quoted);
  layer.variant = variant;
  readHeader(decoding, layer, end, variant);
  if (end - offset < 8) {
    flag(decoding, layer, kind === 'icmp' ? MALFORMED.icmpTruncated : MALFORMED.icmpv6Truncated);
    return;
  }
  if (!context.quoted) {
    const pseudo = kind === 'icmpv6' ? transportPseudoSum(bytes, context, IPPROTO_ICMPV6, context.claimedEnd - offset) : -1;
    setChecksumStatus(layer, `${kind}.checksum.status`, checksumStatus(bytes, offset, context.claimedEnd, end, offset + 2, pseudo), offset + 2);
  }
  const quotes = kind === 'icmp' ? icmpQuotesDatagram(type) : icmpv6QuotesDatagram(type);
  if (quotes && !context.quoted && end - offset > 8) {
    const innerVersion = bytes[offset + 8] >>> 4;
    if (kind === 'icmp' && innerVersion === 4) {
      decodeIpv4(decoding, offset + 8, end, true);
      return;
    }
    if (kind === 'icmpv6' && innerVersion === 6) {
      decodeIpv6(decoding, offset + 8, end, true);
      return;
    }
  }
  addData(decoding, offset + 8, end, context.quoted);
}

// ---------------------------------------------------------------------------------------------
// Lookups over a decoded frame

/** The first non-quoted field called `name`, or undefined. */
export function getField(frame: DecodedFrame, name: string): DecodedField | undefined {
  for (const layer of frame.layers) {
    if (layer.quoted) continue;
    for (const decoded of layer.fields) if (decoded.name === name) return decoded;
  }
  return undefined;
}

export function getFieldValue(frame: DecodedFrame, name: string): FieldValue | undefined {
  return getField(frame, name)?.value;
}

/** The first non-quoted layer of a kind. */
export function getLayer(frame: DecodedFrame, kind: LayerKind): DecodedLayer | undefined {
  return frame.layers.find((layer) => layer.kind === kind && !layer.quoted);
}
