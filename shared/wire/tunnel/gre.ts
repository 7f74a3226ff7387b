/**
 * GRE (RFC 2784/2890: optional checksum, key and sequence number; version 1 is PPTP's enhanced
 * GRE with a mandatory key and an optional acknowledgment) and ERSPAN carried in it: type I
 * (0x88be without a sequence number: no header), type II (0x88be, 8 bytes) and type III (0x22eb,
 * 12 bytes plus an 8-byte platform sub-header when its O bit is set). ERSPAN carries Ethernet.
 */
import { readU16, readU32 } from '../bytes';
import { checksumStatus } from '../checksum';
import { addOptionField, flag, openLayer, readHeader, setChecksumStatus, type Decoding } from '../decoding';
import { ETHERTYPE_ERSPAN_II, ETHERTYPE_ERSPAN_III, ETHERTYPE_PPP } from '../linktypes';
import { MALFORMED } from '../malformed';
import { NEXT_ETHERNET, NEXT_PPP, resetStep, type HeaderStep } from '../step';

const GRE_CHECKSUM = 0x8000;
const GRE_ROUTING = 0x4000;
const GRE_KEY = 0x2000;
const GRE_SEQUENCE = 0x1000;
const GRE_ACK = 0x0080;
/** ERSPAN type I: GRE 0x88be without a sequence number, and no ERSPAN header. */
export const NEXT_ERSPAN_I = -100;

export function parseGre(bytes: Uint8Array, offset: number, end: number, step: HeaderStep): void {
  resetStep(step, end);
  if (end - offset < 4) {
    step.length = end - offset;
    step.malformed = MALFORMED.greTruncated;
    return;
  }
  const flags = readU16(bytes, offset);
  const version = flags & 0x07;
  let length = 4;
  if (flags & (GRE_CHECKSUM | GRE_ROUTING)) length += 4;
  if (flags & GRE_KEY) length += 4;
  if (flags & GRE_SEQUENCE) length += 4;
  if (version === 1 && flags & GRE_ACK) length += 4;
  if (offset + length > end) {
    step.length = end - offset;
    step.malformed = MALFORMED.greTruncated;
    return;
  }
  step.length = length;
  const protocol = readU16(bytes, offset + 2);
  // Source routing entries follow the header: rare enough that the payload is shown as data.
  if (flags & GRE_ROUTING || version > 1) return;
  if (protocol === ETHERTYPE_ERSPAN_II) step.next = flags & GRE_SEQUENCE ? ETHERTYPE_ERSPAN_II : NEXT_ERSPAN_I;
  else if (protocol === ETHERTYPE_PPP) step.next = NEXT_PPP;
  else step.next = protocol;
}

export function decodeGre(decoding: Decoding, offset: number, end: number, step: HeaderStep): void {
  const { bytes } = decoding;
  parseGre(bytes, offset, end, step);
  const layer = openLayer(decoding, 'gre', offset, step.length, false);
  readHeader(decoding, layer, offset + Math.min(step.length, 4));
  if (step.malformed) {
    flag(decoding, layer, step.malformed);
    return;
  }
  const flags = readU16(bytes, offset);
  let at = offset + 4;
  if (flags & (GRE_CHECKSUM | GRE_ROUTING)) {
    if (flags & GRE_CHECKSUM) {
      addOptionField(decoding, layer, 'gre.checksum', at, at + 2);
      // The checksum covers the GRE header and its payload (RFC 2784 §2.5).
      setChecksumStatus(layer, 'gre.checksum.status', checksumStatus(bytes, offset, end, end, at, -1), at);
    }
    at += 4;
  }
  if (flags & GRE_KEY) {
    addOptionField(decoding, layer, 'gre.key', at, at + 4);
    at += 4;
  }
  if (flags & GRE_SEQUENCE) addOptionField(decoding, layer, 'gre.sequence_number', at, at + 4);
}

export function parseErspan(bytes: Uint8Array, offset: number, end: number, etherType: number, step: HeaderStep): void {
  resetStep(step, end);
  const base = etherType === ETHERTYPE_ERSPAN_III ? 12 : 8;
  if (end - offset < base) {
    step.length = end - offset;
    step.malformed = MALFORMED.erspanTruncated;
    return;
  }
  const length = base === 12 && bytes[offset + 11] & 0x01 ? 20 : base;
  if (end - offset < length) {
    step.length = end - offset;
    step.malformed = MALFORMED.erspanTruncated;
    return;
  }
  step.length = length;
  step.next = NEXT_ETHERNET;
}

export function decodeErspan(decoding: Decoding, offset: number, end: number, etherType: number, step: HeaderStep): void {
  parseErspan(decoding.bytes, offset, end, etherType, step);
  const layer = openLayer(decoding, 'erspan', offset, step.length, false);
  layer.variant = etherType === ETHERTYPE_ERSPAN_III ? 'erspan3' : 'erspan2';
  readHeader(decoding, layer, offset + step.length, layer.variant);
  if (step.malformed) flag(decoding, layer, step.malformed);
}

/** The key, when the GRE header carries one (for the outer-encapsulation summary). */
export function greKey(bytes: Uint8Array, offset: number): number | null {
  const flags = readU16(bytes, offset);
  if (!(flags & GRE_KEY)) return null;
  return readU32(bytes, offset + 4 + (flags & (GRE_CHECKSUM | GRE_ROUTING) ? 4 : 0));
}
