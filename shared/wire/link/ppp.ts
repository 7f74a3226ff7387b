/**
 * PPP (LINKTYPE_PPP, LINKTYPE_PPP_HDLC), PPPoE over Ethernet (RFC 2516: discovery 0x8863,
 * session 0x8864) and Cisco HDLC (LINKTYPE_C_HDLC). PPP's protocol field names what follows;
 * IPv4, IPv6 and MPLS are followed, control protocols (LCP, IPCP, …) are shown as data.
 */
import { readU16 } from '../bytes';
import { addDerived, addOptionField, flag, openLayer, readHeader, type Decoding } from '../decoding';
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_MPLS, ETHERTYPE_PPPOE_SESSION } from '../linktypes';
import { MALFORMED } from '../malformed';
import { NEXT_DATA, NEXT_PPP, resetStep, type HeaderStep } from '../step';

const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;
const PPP_MPLS = 0x0281;

function pppNext(protocol: number): number {
  return protocol === PPP_IPV4 ? ETHERTYPE_IPV4 : protocol === PPP_IPV6 ? ETHERTYPE_IPV6 : protocol === PPP_MPLS ? ETHERTYPE_MPLS : NEXT_DATA;
}

/** `detail` is 1 when address and control (0xFF 0x03) are present. A protocol with its low bit set is one byte (RFC 1661 §6.5). */
export function parsePpp(bytes: Uint8Array, offset: number, end: number, step: HeaderStep): void {
  resetStep(step, end);
  let position = offset;
  if (end - offset >= 2 && bytes[offset] === 0xff && bytes[offset + 1] === 0x03) {
    step.detail = 1;
    position += 2;
  }
  if (position >= end) {
    step.length = end - offset;
    step.malformed = MALFORMED.pppTruncated;
    return;
  }
  let protocol: number;
  if (bytes[position] & 1) {
    protocol = bytes[position];
    position += 1;
  } else {
    if (position + 2 > end) {
      step.length = end - offset;
      step.malformed = MALFORMED.pppTruncated;
      return;
    }
    protocol = readU16(bytes, position);
    position += 2;
  }
  step.length = position - offset;
  step.next = pppNext(protocol);
}

export function decodePpp(decoding: Decoding, offset: number, end: number, step: HeaderStep): number {
  const { bytes } = decoding;
  parsePpp(bytes, offset, end, step);
  const layer = openLayer(decoding, 'ppp', offset, step.length, false);
  if (step.malformed) {
    flag(decoding, layer, step.malformed);
    return -1;
  }
  let position = offset;
  if (step.detail === 1) {
    addDerived(layer, 'ppp.address', bytes[offset], offset, 1);
    addDerived(layer, 'ppp.control', bytes[offset + 1], offset + 1, 1);
    position += 2;
  }
  const width = offset + step.length - position;
  const protocol = width === 1 ? bytes[position] : readU16(bytes, position);
  addDerived(layer, 'ppp.protocol', protocol, position, width);
  return protocol;
}

export const PPPOE_HEADER_LENGTH = 6;

/** The session stage carries PPP for `payload length` bytes; discovery carries tags (shown, not followed). */
export function parsePppoe(bytes: Uint8Array, offset: number, end: number, etherType: number, step: HeaderStep): void {
  resetStep(step, end);
  if (end - offset < PPPOE_HEADER_LENGTH) {
    step.length = end - offset;
    step.malformed = MALFORMED.pppoeTruncated;
    return;
  }
  step.length = PPPOE_HEADER_LENGTH;
  const payloadEnd = offset + PPPOE_HEADER_LENGTH + readU16(bytes, offset + 4);
  // A length past the frame is Wireshark's "possible bad payload length" note, not a malformed frame.
  if (payloadEnd < end) step.end = payloadEnd;
  step.next = etherType === ETHERTYPE_PPPOE_SESSION ? NEXT_PPP : NEXT_DATA;
}

export const PPPOE_CODE_NAMES: Readonly<Record<number, string>> = {
  0x09: 'Active Discovery Initiation (PADI)',
  0x07: 'Active Discovery Offer (PADO)',
  0x19: 'Active Discovery Request (PADR)',
  0x65: 'Active Discovery Session-confirmation (PADS)',
  0xa7: 'Active Discovery Terminate (PADT)',
};

export function decodePppoe(decoding: Decoding, offset: number, end: number, etherType: number, step: HeaderStep): void {
  const { bytes } = decoding;
  parsePppoe(bytes, offset, end, etherType, step);
  const layer = openLayer(decoding, 'pppoe', offset, step.length, false);
  layer.protocol = etherType === ETHERTYPE_PPPOE_SESSION ? 'pppoes' : 'pppoed';
  readHeader(decoding, layer, offset + step.length);
  if (step.malformed) {
    flag(decoding, layer, step.malformed);
    return;
  }
  if (etherType === ETHERTYPE_PPPOE_SESSION) return;
  // Discovery tags: type and length each, as far as they fit.
  const tagsEnd = step.end;
  let tag = offset + PPPOE_HEADER_LENGTH;
  while (tag + 4 <= tagsEnd) {
    addOptionField(decoding, layer, 'pppoed.tag', tag, tagsEnd);
    addOptionField(decoding, layer, 'pppoed.tag_length', tag, tagsEnd);
    tag += 4 + readU16(bytes, tag + 2);
  }
  layer.length = Math.min(tag, tagsEnd) - offset;
  step.length = layer.length;
}

export const CHDLC_HEADER_LENGTH = 4;

export function parseChdlc(bytes: Uint8Array, offset: number, end: number, step: HeaderStep): void {
  resetStep(step, end);
  if (end - offset < CHDLC_HEADER_LENGTH) {
    step.length = end - offset;
    step.malformed = MALFORMED.chdlcTruncated;
    return;
  }
  step.length = CHDLC_HEADER_LENGTH;
  step.next = readU16(bytes, offset + 2);
}

export function decodeChdlc(decoding: Decoding, offset: number, end: number, step: HeaderStep): void {
  parseChdlc(decoding.bytes, offset, end, step);
  const layer = openLayer(decoding, 'chdlc', offset, step.length, false);
  readHeader(decoding, layer, offset + step.length);
  if (step.malformed) flag(decoding, layer, step.malformed);
}
