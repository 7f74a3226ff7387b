/**
 * Link types that are a capturing system's own header in front of a packet: Linux NFLOG
 * (LINKTYPE_NFLOG: a 4-byte header and TLVs, one of which is the packet), Apple PKTAP
 * (LINKTYPE_PKTAP: a little-endian header naming the inner DLT and the process), IP over
 * InfiniBand (LINKTYPE_IPOIB) and Juniper's capture header (LINKTYPE_JUNIPER_ETHER).
 */
import { readU16 } from '../bytes';
import { addDerived, fieldsReordered, flag, openLayer, readHeader, readField, type Decoding } from '../decoding';
import { findField } from '../fields';
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from '../linktypes';
import { MALFORMED } from '../malformed';
import { NEXT_DATA, NEXT_ETHERNET, NEXT_IP_BY_VERSION, NEXT_NULL, resetStep, type HeaderStep } from '../step';

function readU16LE(bytes: Uint8Array, offset: number): number {
  return bytes[offset] | (bytes[offset + 1] << 8);
}

function readU32LE(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] | (bytes[offset + 1] << 8) | (bytes[offset + 2] << 16) | (bytes[offset + 3] << 24)) >>> 0;
}

// ----------------------------------------------------------------------------------------- NFLOG

const NFLOG_HEADER_LENGTH = 4;
const NFULA_PACKET_HDR = 1;
const NFULA_PAYLOAD = 9;
const NFULA_PREFIX = 10;
const NFULA_UID = 11;
const NFULA_GID = 14;
const NFPROTO_IPV4 = 2;
const NFPROTO_IPV6 = 10;

/**
 * TLV lengths are in the capturing host's byte order: little-endian unless that reading makes
 * no sense and big-endian does (Wireshark guesses the same way). `detail` is 1 for big-endian.
 */
function tlvLength(bytes: Uint8Array, at: number, bigEndian: boolean): number {
  return bigEndian ? readU16(bytes, at) : readU16LE(bytes, at);
}

function nflogBigEndian(bytes: Uint8Array, offset: number, end: number): boolean {
  const first = offset + NFLOG_HEADER_LENGTH;
  if (first + 4 > end) return false;
  const little = readU16LE(bytes, first);
  const big = readU16(bytes, first);
  return !(little >= 4 && first + little <= end) && big >= 4 && first + big <= end;
}

/** Walks the TLVs up to the payload; `visit` (full decoder only) sees each one. */
export function parseNflog(bytes: Uint8Array, offset: number, end: number, step: HeaderStep, visit?: (type: number, at: number, length: number, bigEndian: boolean) => void): void {
  resetStep(step, end);
  if (end - offset < NFLOG_HEADER_LENGTH) {
    step.length = end - offset;
    step.malformed = MALFORMED.nflogTruncated;
    return;
  }
  const family = bytes[offset];
  const bigEndian = nflogBigEndian(bytes, offset, end);
  step.detail = bigEndian ? 1 : 0;
  let at = offset + NFLOG_HEADER_LENGTH;
  while (at + 4 <= end) {
    const length = tlvLength(bytes, at, bigEndian);
    const type = (bigEndian ? readU16(bytes, at + 2) : readU16LE(bytes, at + 2)) & 0x7fff; // top bit: nested flag
    if (length < 4 || at + length > end) {
      step.length = at - offset;
      step.malformed = MALFORMED.nflogTlv;
      return;
    }
    visit?.(type, at, length, bigEndian);
    if (type === NFULA_PAYLOAD) {
      step.length = at + 4 - offset;
      step.end = at + length;
      step.next = family === NFPROTO_IPV4 ? ETHERTYPE_IPV4 : family === NFPROTO_IPV6 ? ETHERTYPE_IPV6 : NEXT_IP_BY_VERSION;
      return;
    }
    at += (length + 3) & ~3;
  }
  step.length = Math.min(at, end) - offset;
}

export function decodeNflog(decoding: Decoding, offset: number, end: number, step: HeaderStep): void {
  const { bytes } = decoding;
  const layer = openLayer(decoding, 'nflog', offset, NFLOG_HEADER_LENGTH, false);
  readHeader(decoding, layer, Math.min(end, offset + NFLOG_HEADER_LENGTH));
  parseNflog(bytes, offset, end, step, (type, at, length, bigEndian) => {
    addDerived(layer, 'nflog.tlv_length', length, at, 2);
    addDerived(layer, 'nflog.tlv_type', type, at + 2, 2);
    const valueLength = length - 4;
    const value = at + 4;
    if (type === NFULA_PACKET_HDR && valueLength >= 3) {
      // Inside the value: hardware protocol (network order) and hook; registry positions count from the TLV.
      for (const name of ['nflog.protocol', 'nflog.hook']) {
        const def = findField('nflog', name);
        fieldsReordered(); // pushed straight into the layer, past the sink
        const field = def ? readField(bytes, def, at, at + length) : null;
        if (field) layer.fields.push(field);
      }
    } else if (type === NFULA_PREFIX && valueLength > 0) {
      let text = '';
      for (let i = value; i < value + valueLength && bytes[i] !== 0; i++) text += String.fromCharCode(bytes[i]);
      addDerived(layer, 'nflog.prefix', text, value, valueLength);
    } else if ((type === NFULA_UID || type === NFULA_GID) && valueLength >= 4) {
      const id = ((bytes[value] << 24) | (bytes[value + 1] << 16) | (bytes[value + 2] << 8) | bytes[value + 3]) >>> 0; // netlink attribute values are big-endian
      addDerived(layer, type === NFULA_UID ? 'nflog.uid' : 'nflog.gid', id, value, 4);
    }
  });
  layer.length = step.length;
  if (step.malformed) flag(decoding, layer, step.malformed);
}

// ----------------------------------------------------------------------------------------- PKTAP

const PKTAP_MINIMUM_LENGTH = 108;
const PTH_TYPE_PACKET = 1;
const DLT_NULL = 0;
const DLT_EN10MB = 1;
/** DLT_RAW is 12 on most systems and 14 on OpenBSD. */
const DLT_RAW = 12;
const DLT_RAW_OPENBSD = 14;

export function parsePktap(bytes: Uint8Array, offset: number, end: number, step: HeaderStep): void {
  resetStep(step, end);
  const length = end - offset >= 4 ? readU32LE(bytes, offset) : 0;
  if (length < PKTAP_MINIMUM_LENGTH || offset + length > end) {
    step.length = Math.min(end - offset, PKTAP_MINIMUM_LENGTH);
    step.malformed = MALFORMED.pktapTruncated;
    return;
  }
  step.length = length;
  if (readU32LE(bytes, offset + 4) !== PTH_TYPE_PACKET) return;
  const dlt = readU32LE(bytes, offset + 8);
  step.next = dlt === DLT_EN10MB ? NEXT_ETHERNET : dlt === DLT_NULL ? NEXT_NULL : dlt === DLT_RAW || dlt === DLT_RAW_OPENBSD ? NEXT_IP_BY_VERSION : NEXT_DATA;
}

function cString(bytes: Uint8Array, at: number, size: number): string {
  let text = '';
  for (let i = at; i < at + size && bytes[i] !== 0; i++) text += String.fromCharCode(bytes[i]);
  return text;
}

export function decodePktap(decoding: Decoding, offset: number, end: number, step: HeaderStep): void {
  const { bytes } = decoding;
  parsePktap(bytes, offset, end, step);
  const layer = openLayer(decoding, 'pktap', offset, step.length, false);
  if (step.malformed) {
    readHeader(decoding, layer, offset + Math.min(step.length, 4));
    flag(decoding, layer, step.malformed);
    return;
  }
  readHeader(decoding, layer, offset + step.length);
  addDerived(layer, 'pktap.ifname', cString(bytes, offset + 12, 24), offset + 12, 24);
  addDerived(layer, 'pktap.cmdname', cString(bytes, offset + 56, 17), offset + 56, 17);
  addDerived(layer, 'pktap.ecmdname', cString(bytes, offset + 88, 17), offset + 88, 17);
  fieldsReordered();
  layer.fields.sort((a, b) => a.offset - b.offset);
}

// ----------------------------------------------------------------------------------------- IPoIB

const IPOIB_HEADER_LENGTH = 44;

export function parseIpoib(bytes: Uint8Array, offset: number, end: number, step: HeaderStep): void {
  resetStep(step, end);
  if (end - offset < IPOIB_HEADER_LENGTH) {
    step.length = end - offset;
    step.malformed = MALFORMED.ipoibTruncated;
    return;
  }
  step.length = IPOIB_HEADER_LENGTH;
  step.next = readU16(bytes, offset + 40);
}

export function decodeIpoib(decoding: Decoding, offset: number, end: number, step: HeaderStep): void {
  parseIpoib(decoding.bytes, offset, end, step);
  const layer = openLayer(decoding, 'ipoib', offset, step.length, false);
  readHeader(decoding, layer, offset + step.length);
  if (step.malformed) flag(decoding, layer, step.malformed);
}

// --------------------------------------------------------------------------------------- Juniper

const JUNIPER_MAGIC = 0x4d4743; // "MGC"
const JUNIPER_FLAG_NO_L2 = 0x02;
const JUNIPER_FLAG_EXT = 0x80;

export function parseJuniper(bytes: Uint8Array, offset: number, end: number, step: HeaderStep): void {
  resetStep(step, end);
  if (end - offset < 4 || ((bytes[offset] << 16) | (bytes[offset + 1] << 8) | bytes[offset + 2]) !== JUNIPER_MAGIC) {
    step.length = Math.min(end - offset, 4);
    step.malformed = MALFORMED.juniperTruncated;
    return;
  }
  const flags = bytes[offset + 3];
  let length = 4;
  if (flags & JUNIPER_FLAG_EXT) {
    if (end - offset < 6) {
      step.length = end - offset;
      step.malformed = MALFORMED.juniperTruncated;
      return;
    }
    length = 6 + readU16(bytes, offset + 4);
  }
  // Without a layer-2 header, a 4-byte protocol word precedes the IP packet.
  if (flags & JUNIPER_FLAG_NO_L2) length += 4;
  if (offset + length > end) {
    step.length = end - offset;
    step.malformed = MALFORMED.juniperTruncated;
    return;
  }
  step.length = length;
  step.next = flags & JUNIPER_FLAG_NO_L2 ? NEXT_IP_BY_VERSION : NEXT_ETHERNET;
}

export function decodeJuniper(decoding: Decoding, offset: number, end: number, step: HeaderStep): void {
  const { bytes } = decoding;
  parseJuniper(bytes, offset, end, step);
  const layer = openLayer(decoding, 'juniper', offset, step.length, false);
  readHeader(decoding, layer, offset + Math.min(step.length, 3));
  if (step.malformed) {
    flag(decoding, layer, step.malformed);
    return;
  }
  const flags = bytes[offset + 3];
  addDerived(layer, 'juniper.direction', flags & 0x01, offset + 3, 1);
  addDerived(layer, 'juniper.l2hdr', flags & JUNIPER_FLAG_NO_L2, offset + 3, 1);
  if (flags & JUNIPER_FLAG_EXT) addDerived(layer, 'juniper.ext_total_len', readU16(bytes, offset + 4), offset + 4, 2);
}
