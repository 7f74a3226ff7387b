/**
 * The fast path: link/IP/transport headers into a reusable PacketSummary, with no allocation
 * per frame (plain byte reads on the given array; no subarrays, objects or closures).
 *
 * It follows the full decoder's rules (decode.ts) step for step, so that the fields both produce
 * agree and `out.malformed` is set exactly when decodeFrame sets `_ws.malformed`, with the same
 * reason. Fragments are not parsed past IP; the quoted datagram of ICMP errors is not parsed.
 */
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
  IPPROTO_FRAGMENT,
  IPPROTO_GRE,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_IPIP,
  IPPROTO_IPV6,
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
import { ipv6ExtensionLength, isIpv6ExtensionHeader } from './ipv6';
import { parseIpoib, parseJuniper, parseNflog, parsePktap } from './link/capture-headers';
import { parseChdlc, parsePpp, parsePppoe } from './link/ppp';
import { parseLlc, parseRadiotap, parseWlan } from './link/wlan';
import { NEXT_DATA, NEXT_ETHERNET, NEXT_IP_BY_VERSION, NEXT_LLC, NEXT_NULL, NEXT_PPP, NEXT_WLAN, createStep, etherTypeByVersion } from './step';
import { NEXT_ERSPAN_I, parseErspan, parseGre } from './tunnel/gre';
import { parseMpls } from './tunnel/mpls';
import { parseGeneve, parseVxlan } from './tunnel/udp-tunnels';
import { MALFORMED } from './malformed';
import type { PacketSummary } from './summary';

/**
 * Fills `out` from one frame. `frameLength` is the length on the wire when the capture cut the
 * frame short (snap length); a length field pointing into the missing part is then not malformed.
 */
export function summarize(bytes: Uint8Array, linkType: number, out: PacketSummary, frameLength: number = bytes.length): void {
  summarizeAt(bytes, 0, bytes.length, linkType, out, frameLength);
}

/**
 * Start of the frame being summarized within the array: positions are read absolute and stored
 * relative to it. Module state rather than a parameter, so the walk keeps its short signatures.
 */
let base = 0;

/**
 * The same for a frame that sits at `start` inside a larger array (a file reader's chunk), so
 * no subarray has to be made per frame. Offsets in `out` are relative to `start`, exactly as
 * `summarize` gives them for the frame's own bytes.
 */
export function summarizeAt(buffer: Uint8Array, start: number, capturedLength: number, linkType: number, out: PacketSummary, frameLength: number = capturedLength): void {
  reset(out, linkType);
  base = start;
  const bytes = buffer;
  const length = capturedLength;
  const end = start + capturedLength;
  const snapCut = frameLength > length ? start + frameLength : -1;
  switch (linkType) {
    case LINKTYPE_ETHERNET: {
      if (length < 14) {
        flag(out, MALFORMED.ethTruncated);
        return;
      }
      etherTypePayload(bytes, (bytes[start + 12] << 8) | bytes[start + 13], start + 14, end, out, snapCut);
      return;
    }
    case LINKTYPE_LINUX_SLL:
      if (length < 16) {
        flag(out, MALFORMED.sllTruncated);
        return;
      }
      etherTypePayload(bytes, (bytes[start + 14] << 8) | bytes[start + 15], start + 16, end, out, snapCut);
      return;
    case LINKTYPE_LINUX_SLL2:
      if (length < 20) {
        flag(out, MALFORMED.sllTruncated);
        return;
      }
      etherTypePayload(bytes, (bytes[start] << 8) | bytes[start + 1], start + 20, end, out, snapCut);
      return;
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP:
      nullHeader(bytes, start, end, linkType === LINKTYPE_LOOP, out, snapCut);
      return;
    case LINKTYPE_RAW: {
      const version = length > 0 ? bytes[start] >>> 4 : -1;
      if (version === 4) ipv4(bytes, start, end, out, snapCut);
      else if (version === 6) ipv6(bytes, start, end, out, snapCut);
      else flag(out, MALFORMED.rawVersion);
      return;
    }
    case LINKTYPE_IPV4:
      ipv4(bytes, start, end, out, snapCut);
      return;
    case LINKTYPE_IPV6:
      ipv6(bytes, start, end, out, snapCut);
      return;
    case LINKTYPE_IEEE802_11_RADIOTAP:
      parseRadiotap(bytes, start, end, step);
      followStep(bytes, start, end, out, snapCut);
      return;
    case LINKTYPE_PPP:
      follow(bytes, NEXT_PPP, start, end, out, snapCut);
      return;
    case LINKTYPE_PPP_HDLC:
      if (length > 0 && (bytes[start] === 0x0f || bytes[start] === 0x8f)) {
        parseChdlc(bytes, start, end, step);
        followStep(bytes, start, end, out, snapCut);
      } else follow(bytes, NEXT_PPP, start, end, out, snapCut);
      return;
    case LINKTYPE_C_HDLC:
      parseChdlc(bytes, start, end, step);
      followStep(bytes, start, end, out, snapCut);
      return;
    case LINKTYPE_NFLOG:
      parseNflog(bytes, start, end, step);
      followStep(bytes, start, end, out, snapCut);
      return;
    case LINKTYPE_PKTAP:
      parsePktap(bytes, start, end, step);
      followStep(bytes, start, end, out, snapCut);
      return;
    case LINKTYPE_IPOIB:
      parseIpoib(bytes, start, end, step);
      followStep(bytes, start, end, out, snapCut);
      return;
    case LINKTYPE_JUNIPER_ETHER:
      parseJuniper(bytes, start, end, step);
      followStep(bytes, start, end, out, snapCut);
      return;
    default:
      flag(out, MALFORMED.unknownLinkType);
  }
}

/** The link and tunnel parsers' shared record (one walk at a time; values are copied out before the next parse). */
const step = createStep();

/** Flags what the header just parsed into `step` found wrong, then follows what it says comes next. */
function followStep(bytes: Uint8Array, offset: number, end: number, out: PacketSummary, snapCut: number): void {
  if (step.malformed !== null) {
    flag(out, step.malformed);
    if (step.next === NEXT_DATA) return;
  }
  const next = step.next;
  follow(bytes, next, offset + step.length, step.end < end ? step.end : end, out, snapCut);
}

/** Same dispatch as decode.ts's decodeNext. */
function follow(bytes: Uint8Array, next: number, offset: number, end: number, out: PacketSummary, snapCut: number): void {
  switch (next) {
    case NEXT_WLAN:
      parseWlan(bytes, offset, end, step);
      followStep(bytes, offset, end, out, snapCut);
      return;
    case NEXT_LLC:
      parseLlc(bytes, offset, end, step);
      followStep(bytes, offset, end, out, snapCut);
      return;
    case NEXT_PPP:
      parsePpp(bytes, offset, end, step);
      if (step.malformed !== null) {
        flag(out, step.malformed);
        return;
      }
      follow(bytes, step.next, offset + step.length, end, out, snapCut);
      return;
    case NEXT_NULL:
      nullHeader(bytes, offset, end, false, out, snapCut);
      return;
    case NEXT_ETHERNET:
    case NEXT_ERSPAN_I:
      ethernet(bytes, offset, end, out, snapCut);
      return;
    case NEXT_IP_BY_VERSION: {
      const type = etherTypeByVersion(bytes, offset, end);
      if (type !== NEXT_DATA) etherTypePayload(bytes, type, offset, end, out, snapCut);
      return;
    }
    case NEXT_DATA:
      return;
    default:
      etherTypePayload(bytes, next, offset, end, out, snapCut);
  }
}

function ethernet(bytes: Uint8Array, offset: number, end: number, out: PacketSummary, snapCut: number): void {
  if (end - offset < 14) {
    flag(out, MALFORMED.ethTruncated);
    return;
  }
  etherTypePayload(bytes, (bytes[offset + 12] << 8) | bytes[offset + 13], offset + 14, end, out, snapCut);
}

function nullHeader(bytes: Uint8Array, offset: number, end: number, loop: boolean, out: PacketSummary, snapCut: number): void {
  if (end - offset < 4) {
    flag(out, MALFORMED.nullTruncated);
    return;
  }
  const bigEndian = readWord(bytes, offset);
  const littleEndian = ((bytes[offset + 3] << 24) | (bytes[offset + 2] << 16) | (bytes[offset + 1] << 8) | bytes[offset]) >>> 0;
  const family = loop || (!isKnownBsdFamily(littleEndian) && isKnownBsdFamily(bigEndian)) ? bigEndian : littleEndian;
  if (family === BSD_AF_INET) ipv4(bytes, offset + 4, end, out, snapCut);
  else if (isBsdInet6Family(family)) ipv6(bytes, offset + 4, end, out, snapCut);
}

function reset(out: PacketSummary, linkType: number): void {
  out.linkType = linkType;
  out.networkOffset = -1;
  out.ipVersion = 0;
  // Element writes, not fill(): a builtin call per frame costs more than four stores.
  const src = out.srcWords;
  const dst = out.dstWords;
  src[0] = 0;
  src[1] = 0;
  src[2] = 0;
  src[3] = 0;
  dst[0] = 0;
  dst[1] = 0;
  dst[2] = 0;
  dst[3] = 0;
  out.protocol = -1;
  out.fragment = false;
  out.encapsulated = false;
  out.ttl = 0;
  out.transportOffset = -1;
  out.srcPort = 0;
  out.dstPort = 0;
  out.seq = 0;
  out.ack = 0;
  out.tcpFlags = 0;
  out.window = 0;
  out.tcpHeaderLength = 0;
  out.mss = -1;
  out.windowScale = -1;
  out.sackPermitted = false;
  out.tsval = -1;
  out.tsecr = -1;
  out.sackCount = 0;
  out.payloadOffset = -1;
  out.payloadLength = 0;
  out.icmpType = -1;
  out.icmpCode = -1;
  out.malformed = null;
}

function flag(out: PacketSummary, reason: string): void {
  if (out.malformed === null) out.malformed = reason;
}

function readWord(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3]) >>> 0;
}

function etherTypePayload(bytes: Uint8Array, etherType: number, start: number, end: number, out: PacketSummary, snapCut: number): void {
  let type = etherType;
  let offset = start;
  while (type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ || type === ETHERTYPE_QINQ_LEGACY) {
    if (end - offset < 4) {
      flag(out, MALFORMED.vlanTruncated);
      return;
    }
    type = (bytes[offset + 2] << 8) | bytes[offset + 3];
    offset += 4;
  }
  if (type === ETHERTYPE_IPV4) ipv4(bytes, offset, end, out, snapCut);
  else if (type === ETHERTYPE_IPV6) ipv6(bytes, offset, end, out, snapCut);
  else if (type === ETHERTYPE_MPLS || type === ETHERTYPE_MPLS_MULTICAST) {
    out.encapsulated = true;
    parseMpls(bytes, offset, end, step);
    followStep(bytes, offset, end, out, snapCut);
  } else if (type === ETHERTYPE_PPPOE_SESSION || type === ETHERTYPE_PPPOE_DISCOVERY) {
    parsePppoe(bytes, offset, end, type, step);
    followStep(bytes, offset, end, out, snapCut);
  } else if (type === ETHERTYPE_TEB) ethernet(bytes, offset, end, out, snapCut);
  else if (type === ETHERTYPE_ERSPAN_II || type === ETHERTYPE_ERSPAN_III) {
    parseErspan(bytes, offset, end, type, step);
    followStep(bytes, offset, end, out, snapCut);
  }
}

/** A length pointing past the captured bytes is explained by the snap length when the wire length covers it. */
function explainedBySnap(claimedEnd: number, snapCut: number): boolean {
  return snapCut >= 0 && claimedEnd <= snapCut;
}

function ipv4(bytes: Uint8Array, offset: number, end: number, out: PacketSummary, snapCut: number): void {
  out.networkOffset = offset - base;
  out.ipVersion = 4;
  if (end - offset < 20) {
    flag(out, MALFORMED.ipTruncated);
    return;
  }
  // Read whenever the fixed header is there, as the decoder shows it even when it is inconsistent.
  out.ttl = bytes[offset + 8];
  out.protocol = bytes[offset + 9];
  out.srcWords[0] = readWord(bytes, offset + 12);
  out.dstWords[0] = readWord(bytes, offset + 16);
  if (bytes[offset] >>> 4 !== 4) {
    flag(out, MALFORMED.ipVersion);
    return;
  }
  const headerLength = (bytes[offset] & 0x0f) << 2;
  if (headerLength < 20) {
    flag(out, MALFORMED.ipHeaderLengthShort);
    return;
  }
  if (offset + headerLength > end) {
    flag(out, MALFORMED.ipTruncated);
    return;
  }
  const totalLength = (bytes[offset + 2] << 8) | bytes[offset + 3];
  let claimedEnd = totalLength === 0 ? end : offset + totalLength;
  if (totalLength !== 0 && totalLength < headerLength) {
    flag(out, MALFORMED.ipTotalLengthShort);
    claimedEnd = end;
  } else if (claimedEnd > end && !explainedBySnap(claimedEnd, snapCut)) {
    claimedEnd = end; // bytes never captured nor sent: the packet ends with the frame (decode.ts)
  }
  const packetEnd = claimedEnd < end ? claimedEnd : end;
  if (headerLength > 20) ipv4Options(bytes, offset + 20, offset + headerLength, out);
  const flagsAndOffset = (bytes[offset + 6] << 8) | bytes[offset + 7];
  if ((flagsAndOffset & 0x3fff) !== 0) {
    out.fragment = true;
    out.fragmentId = (bytes[offset + 4] << 8) | bytes[offset + 5];
    out.fragmentOffset = (flagsAndOffset & 0x1fff) * 8;
    out.fragmentMore = (flagsAndOffset & 0x2000) !== 0;
    out.fragmentUnfragmentableEnd = offset + headerLength - base;
    out.fragmentNextHeaderAt = -1;
    out.fragmentPayloadOffset = offset + headerLength - base;
    out.fragmentPayloadEnd = packetEnd - base;
    return;
  }
  transport(bytes, out.protocol, offset + headerLength, packetEnd, claimedEnd, out, snapCut, 4);
}

function ipv4Options(bytes: Uint8Array, start: number, end: number, out: PacketSummary): void {
  let position = start;
  while (position < end) {
    const type = bytes[position];
    if (type === 0) return;
    if (type === 1) {
      position += 1;
      continue;
    }
    if (position + 1 >= end || bytes[position + 1] < 2 || position + bytes[position + 1] > end) {
      flag(out, MALFORMED.ipOptionLength);
      return;
    }
    position += bytes[position + 1];
  }
}

function ipv6(bytes: Uint8Array, offset: number, end: number, out: PacketSummary, snapCut: number): void {
  out.networkOffset = offset - base;
  out.ipVersion = 6;
  if (end - offset < 40) {
    flag(out, MALFORMED.ipv6Truncated);
    return;
  }
  out.ttl = bytes[offset + 7];
  out.protocol = bytes[offset + 6];
  for (let word = 0; word < 4; word++) {
    out.srcWords[word] = readWord(bytes, offset + 8 + word * 4);
    out.dstWords[word] = readWord(bytes, offset + 24 + word * 4);
  }
  if (bytes[offset] >>> 4 !== 6) {
    flag(out, MALFORMED.ipv6Version);
    return;
  }
  const payloadLength = (bytes[offset + 4] << 8) | bytes[offset + 5];
  const claimedEnd = payloadLength === 0 ? end : offset + 40 + payloadLength;
  if (claimedEnd > end && !explainedBySnap(claimedEnd, snapCut)) flag(out, MALFORMED.ipv6PayloadLengthBeyond);
  const packetEnd = claimedEnd < end ? claimedEnd : end;
  let next = bytes[offset + 6];
  let nextAt = offset + 6;
  let position = offset + 40;
  while (isIpv6ExtensionHeader(next)) {
    const minimum = next === IPPROTO_FRAGMENT ? 8 : 2;
    if (position + minimum > packetEnd) {
      out.protocol = next;
      flag(out, MALFORMED.ipv6ExtensionLength);
      return;
    }
    const length = ipv6ExtensionLength(next, bytes[position + 1]);
    if (position + length > packetEnd) {
      out.protocol = next;
      flag(out, MALFORMED.ipv6ExtensionLength);
      return;
    }
    if (next === IPPROTO_FRAGMENT && (((bytes[position + 2] << 8) | bytes[position + 3]) & 0xfff9) !== 0) {
      // What follows the Fragment header is the fragment's payload, not more headers.
      const offsetAndFlags = (bytes[position + 2] << 8) | bytes[position + 3];
      out.fragment = true;
      out.fragmentId = readWord(bytes, position + 4);
      out.fragmentOffset = offsetAndFlags & 0xfff8;
      out.fragmentMore = (offsetAndFlags & 1) !== 0;
      out.fragmentUnfragmentableEnd = position - base;
      out.fragmentNextHeaderAt = nextAt - base;
      out.fragmentPayloadOffset = position + length - base;
      out.fragmentPayloadEnd = packetEnd - base;
      out.protocol = bytes[position];
      return;
    }
    next = bytes[position];
    nextAt = position;
    position += length;
  }
  out.protocol = next;
  if (out.fragment) return;
  transport(bytes, next, position, packetEnd, claimedEnd, out, snapCut, 6);
}

function transport(bytes: Uint8Array, protocol: number, offset: number, end: number, claimedEnd: number, out: PacketSummary, snapCut: number, ipVersion: 4 | 6): void {
  switch (protocol) {
    case IPPROTO_TCP:
      tcp(bytes, offset, end, claimedEnd, out, snapCut);
      return;
    case IPPROTO_UDP: {
      out.transportOffset = offset - base;
      if (end - offset < 8) {
        flag(out, MALFORMED.udpTruncated);
        return;
      }
      out.srcPort = (bytes[offset] << 8) | bytes[offset + 1];
      out.dstPort = (bytes[offset + 2] << 8) | bytes[offset + 3];
      const length = (bytes[offset + 4] << 8) | bytes[offset + 5];
      out.payloadOffset = offset + 8 - base;
      let datagramEnd = offset + length;
      if (length < 8 || datagramEnd > claimedEnd) {
        flag(out, MALFORMED.udpLength);
        out.payloadLength = claimedEnd - offset - 8;
        datagramEnd = claimedEnd;
      } else {
        out.payloadLength = length - 8;
      }
      const srcPort = out.srcPort;
      const dstPort = out.dstPort;
      if (dstPort === UDP_PORT_VXLAN || srcPort === UDP_PORT_VXLAN) {
        out.encapsulated = true;
        parseVxlan(bytes, offset + 8, datagramEnd < end ? datagramEnd : end, step);
        followStep(bytes, offset + 8, datagramEnd < end ? datagramEnd : end, out, snapCut);
      } else if (dstPort === UDP_PORT_GENEVE || srcPort === UDP_PORT_GENEVE) {
        out.encapsulated = true;
        parseGeneve(bytes, offset + 8, datagramEnd < end ? datagramEnd : end, step);
        followStep(bytes, offset + 8, datagramEnd < end ? datagramEnd : end, out, snapCut);
      }
      return;
    }
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6:
      if ((protocol === IPPROTO_ICMP) !== (ipVersion === 4)) return;
      out.transportOffset = offset - base;
      if (end - offset < 8) {
        flag(out, protocol === IPPROTO_ICMP ? MALFORMED.icmpTruncated : MALFORMED.icmpv6Truncated);
        if (end > offset) out.icmpType = bytes[offset];
        if (end > offset + 1) out.icmpCode = bytes[offset + 1];
        return;
      }
      out.icmpType = bytes[offset];
      out.icmpCode = bytes[offset + 1];
      out.payloadOffset = offset + 8 - base;
      out.payloadLength = claimedEnd - offset - 8;
      return;
    case IPPROTO_IPIP:
      out.encapsulated = true;
      ipv4(bytes, offset, end, out, snapCut);
      return;
    case IPPROTO_IPV6:
      out.encapsulated = true;
      ipv6(bytes, offset, end, out, snapCut);
      return;
    case IPPROTO_GRE:
      out.encapsulated = true;
      parseGre(bytes, offset, end, step);
      followStep(bytes, offset, end, out, snapCut);
      return;
    default:
  }
}

function tcp(bytes: Uint8Array, offset: number, end: number, claimedEnd: number, out: PacketSummary, snapCut: number): void {
  out.transportOffset = offset - base;
  if (end - offset < 20) {
    flag(out, MALFORMED.tcpTruncated);
    return;
  }
  out.srcPort = (bytes[offset] << 8) | bytes[offset + 1];
  out.dstPort = (bytes[offset + 2] << 8) | bytes[offset + 3];
  out.seq = readWord(bytes, offset + 4);
  out.ack = readWord(bytes, offset + 8);
  out.tcpFlags = ((bytes[offset + 12] & 0x0f) << 8) | bytes[offset + 13];
  out.window = (bytes[offset + 14] << 8) | bytes[offset + 15];
  const headerLength = (bytes[offset + 12] >>> 4) << 2;
  out.tcpHeaderLength = headerLength;
  if (headerLength < 20) {
    flag(out, MALFORMED.tcpDataOffsetShort);
    return;
  }
  const headerEnd = offset + headerLength;
  // A header past the captured bytes but inside the segment the IP header declares was cut by
  // the snap length (a headers-only capture, tcpdump -s 64): not malformed. The segment's length
  // still comes from the IP header, so tracking sees its real Len; options are read as far as
  // they were captured.
  const cut = headerEnd > end && headerEnd <= claimedEnd && explainedBySnap(claimedEnd, snapCut);
  if (headerEnd > end && !cut) {
    flag(out, MALFORMED.tcpDataOffsetBeyond);
    return;
  }
  out.payloadOffset = headerEnd - base;
  const payloadLength = claimedEnd - headerEnd;
  out.payloadLength = payloadLength > 0 ? payloadLength : 0;
  tcpOptions(bytes, offset + 20, cut ? end : headerEnd, out, cut);
}

/**
 * Same walk as decode.ts: known kinds with an unexpected size are kept raw, not read; when a kind
 * repeats, the first one counts (as the decoder's first field does).
 */
function tcpOptions(bytes: Uint8Array, start: number, end: number, out: PacketSummary, cut: boolean): void {
  let position = start;
  while (position < end) {
    const kind = bytes[position];
    if (kind === 0) return;
    if (kind === 1) {
      position += 1;
      continue;
    }
    // Where the capture cut the header, an option running past the captured bytes was whole on the wire.
    if (cut && position + 1 >= end) return;
    const length = position + 1 < end ? bytes[position + 1] : 0;
    if (length < 2 || position + length > end) {
      if (!cut || length < 2) flag(out, MALFORMED.tcpOptionLength);
      return;
    }
    switch (kind) {
      case 2:
        if (length === 4 && out.mss < 0) out.mss = (bytes[position + 2] << 8) | bytes[position + 3];
        break;
      case 3:
        if (length === 3 && out.windowScale < 0) out.windowScale = bytes[position + 2];
        break;
      case 4:
        if (length === 2) out.sackPermitted = true;
        break;
      case 5:
        if ((length - 2) % 8 === 0) {
          for (let edge = position + 2; edge < position + length && out.sackCount < 4; edge += 8) {
            out.sackLeft[out.sackCount] = readWord(bytes, edge);
            out.sackRight[out.sackCount] = readWord(bytes, edge + 4);
            out.sackCount++;
          }
        }
        break;
      case 8:
        if (length === 10 && out.tsval < 0) {
          out.tsval = readWord(bytes, position + 2);
          out.tsecr = readWord(bytes, position + 6);
        }
        break;
      default:
    }
    position += length;
  }
}
