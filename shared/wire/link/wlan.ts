/**
 * 802.11 with radiotap (LINKTYPE_IEEE802_11_RADIOTAP): the radiotap header, the 802.11 MAC header
 * and, for data frames, the LLC/SNAP header that names the EtherType. Protected (encrypted) frames
 * and frames without a body end at the MAC header: their body is data, as Wireshark shows it
 * without keys. Management and control frames are shown, never followed.
 */
import { formatMac, readU16 } from '../bytes';
import { addDerived, flag, openLayer, readHeader, type Decoding } from '../decoding';
import { MALFORMED } from '../malformed';
import { NEXT_DATA, NEXT_LLC, NEXT_WLAN, resetStep, type HeaderStep } from '../step';

const RADIOTAP_FLAGS_FCS = 0x10;
const WLAN_TYPE_DATA = 2;

function readU16LE(bytes: Uint8Array, offset: number): number {
  return bytes[offset] | (bytes[offset + 1] << 8);
}

export function parseRadiotap(bytes: Uint8Array, offset: number, end: number, step: HeaderStep): void {
  resetStep(step, end);
  if (end - offset < 8) {
    step.length = end - offset;
    step.malformed = MALFORMED.radiotapTruncated;
    return;
  }
  const length = readU16LE(bytes, offset + 2);
  if (length < 8 || offset + length > end) {
    step.length = Math.min(Math.max(length, 8), end - offset);
    step.malformed = MALFORMED.radiotapTruncated;
    return;
  }
  step.length = length;
  step.next = NEXT_WLAN;
  // Present words chain through bit 31; the fields follow them, each aligned to its own size.
  let word = offset + 4;
  while (word + 4 <= offset + length && (bytes[word + 3] & 0x80) !== 0) word += 4;
  const present = bytes[offset + 4];
  let field = word + 4;
  if (present & 0x01) field = offset + (((field - offset + 7) >>> 3) << 3) + 8; // TSFT: 8 bytes, 8-aligned
  if (present & 0x02 && field < offset + length) {
    step.detail = field;
    if (bytes[field] & RADIOTAP_FLAGS_FCS && end - (offset + length) >= 4) step.end = end - 4;
  }
}

export function decodeRadiotap(decoding: Decoding, offset: number, end: number, step: HeaderStep): void {
  parseRadiotap(decoding.bytes, offset, end, step);
  const layer = openLayer(decoding, 'radiotap', offset, step.length, false);
  readHeader(decoding, layer, offset + step.length);
  if (step.detail >= 0) {
    const flags = decoding.bytes[step.detail];
    addDerived(layer, 'radiotap.flags', flags, step.detail, 1);
    addDerived(layer, 'radiotap.flags.fcs', (flags & RADIOTAP_FLAGS_FCS) !== 0, step.detail, 1);
  }
  if (step.malformed) flag(decoding, layer, step.malformed);
}

/** MAC header length of a data frame: addresses 4 with To DS and From DS, QoS control, HT control. */
function dataHeaderLength(subtype: number, flags: number): number {
  let length = 24;
  if ((flags & 0x03) === 0x03) length += 6;
  if (subtype & 0x08) {
    length += 2;
    if (flags & 0x80) length += 4;
  }
  return length;
}

function wlanHeaderLength(type: number, subtype: number, flags: number): number {
  if (type === WLAN_TYPE_DATA) return dataHeaderLength(subtype, flags);
  if (type === 1) return subtype === 12 || subtype === 13 ? 10 : 16; // control: CTS/ACK carry one address
  return 24;
}

export function parseWlan(bytes: Uint8Array, offset: number, end: number, step: HeaderStep): void {
  resetStep(step, end);
  const available = end - offset;
  if (available < 2) {
    step.length = available;
    step.malformed = MALFORMED.wlanTruncated;
    return;
  }
  const type = (bytes[offset] >>> 2) & 0x03;
  const subtype = bytes[offset] >>> 4;
  const flags = bytes[offset + 1];
  const length = wlanHeaderLength(type, subtype, flags);
  if (available < length) {
    step.length = available;
    step.malformed = MALFORMED.wlanTruncated;
    return;
  }
  step.length = length;
  if (type === WLAN_TYPE_DATA && flags & 0x40 && available >= length + 4) {
    // Protected: the security header stays with the MAC header (8 bytes with an extended IV, 4 for WEP).
    step.length = bytes[offset + length + 3] & 0x20 && available >= length + 8 ? length + 8 : length + 4;
  }
  // A body is followed only for unprotected data frames that have one (subtypes with bit 2 are Null).
  step.next = type === WLAN_TYPE_DATA && (flags & 0x40) === 0 && (subtype & 0x04) === 0 ? NEXT_LLC : NEXT_DATA;
}

const WLAN_TYPE_NAMES: Readonly<Record<number, string>> = {
  0x00: 'Association Request',
  0x01: 'Association Response',
  0x02: 'Reassociation Request',
  0x03: 'Reassociation Response',
  0x04: 'Probe Request',
  0x05: 'Probe Response',
  0x08: 'Beacon frame',
  0x09: 'ATIM',
  0x0a: 'Disassociate',
  0x0b: 'Authentication',
  0x0c: 'Deauthentication',
  0x0d: 'Action',
  0x0e: 'Action No Ack',
  0x18: '802.11 Block Ack Req',
  0x19: '802.11 Block Ack',
  0x1a: 'Power-Save poll',
  0x1b: 'Request-to-send',
  0x1c: 'Clear-to-send',
  0x1d: 'Acknowledgement',
  0x1e: 'CF-End',
  0x20: 'Data',
  0x24: 'Null function (No data)',
  0x28: 'QoS Data',
  0x2c: 'QoS Null function (No data)',
};

/** Wireshark's name of a type/subtype (type × 16 + subtype). */
export function wlanTypeName(typeSubtype: number): string {
  return WLAN_TYPE_NAMES[typeSubtype] ?? `802.11 frame type ${typeSubtype >>> 4} subtype ${typeSubtype & 0x0f}`;
}

/** The flags byte as Wireshark's Info spells it, most significant bit first (`.p.....T`). */
export function wlanFlagsText(flags: number): string {
  const letters = 'opmPRMFT';
  let text = '';
  for (let bit = 0; bit < 8; bit++) text += flags & (0x80 >>> bit) ? letters[bit] : '.';
  return text;
}

export function decodeWlan(decoding: Decoding, offset: number, end: number, step: HeaderStep): void {
  const { bytes } = decoding;
  parseWlan(bytes, offset, end, step);
  const layer = openLayer(decoding, 'wlan', offset, step.length, false);
  readHeader(decoding, layer, offset + Math.min(step.length, 4));
  if (step.malformed) {
    flag(decoding, layer, step.malformed);
    return;
  }
  const type = (bytes[offset] >>> 2) & 0x03;
  const subtype = bytes[offset] >>> 4;
  const flags = bytes[offset + 1];
  addDerived(layer, 'wlan.fc.type_subtype', type * 16 + subtype, offset, 1);
  const address = (name: string, at: number) => addDerived(layer, name, formatMac(bytes, at), at, 6);
  const toDs = (flags & 0x01) !== 0;
  const fromDs = (flags & 0x02) !== 0;
  address('wlan.ra', offset + 4);
  if (type === 1 && step.length < 16) return;
  // Receiver/transmitter are always addresses 1 and 2; destination, source and BSSID move with the DS bits.
  address('wlan.ta', offset + 10);
  if (type === 1) return;
  address('wlan.da', toDs ? offset + 16 : offset + 4);
  address('wlan.sa', fromDs ? (toDs ? offset + 24 : offset + 16) : offset + 10);
  if (!(toDs && fromDs)) address('wlan.bssid', toDs ? offset + 4 : fromDs ? offset + 10 : offset + 16);
  const sequenceControl = readU16LE(bytes, offset + 22);
  addDerived(layer, 'wlan.frag', sequenceControl & 0x0f, offset + 22, 2);
  addDerived(layer, 'wlan.seq', sequenceControl >>> 4, offset + 22, 2);
  if (type === WLAN_TYPE_DATA && subtype & 0x08) {
    const qos = offset + (toDs && fromDs ? 30 : 24);
    addDerived(layer, 'wlan.qos.tid', bytes[qos] & 0x0f, qos, 1);
  }
  if (type === 0 && subtype === 8 && end - (offset + 24) >= 12) beaconFields(decoding, layer, offset + 24, end);
}

/** A beacon's interval and SSID, which Wireshark's Info shows. */
function beaconFields(decoding: Decoding, layer: ReturnType<typeof openLayer>, body: number, end: number): void {
  const { bytes } = decoding;
  addDerived(layer, 'wlan.fixed.beacon', readU16LE(bytes, body + 8), body + 8, 2);
  for (let tag = body + 12; tag + 2 <= end; tag += 2 + bytes[tag + 1]) {
    if (bytes[tag] !== 0) continue;
    const length = Math.min(bytes[tag + 1], end - tag - 2);
    addDerived(layer, 'wlan.ssid', bytes.slice(tag + 2, tag + 2 + length), tag + 2, length);
    return;
  }
}

/** The FCS that radiotap's flags say ends the frame. */
export function decodeWlanFcs(decoding: Decoding, fcsOffset: number): void {
  const wlan = decoding.frame.layers.find((layer) => layer.kind === 'wlan');
  const { bytes } = decoding;
  if (wlan) addDerived(wlan, 'wlan.fcs', (bytes[fcsOffset] | (bytes[fcsOffset + 1] << 8) | (bytes[fcsOffset + 2] << 16) | (bytes[fcsOffset + 3] << 24)) >>> 0, fcsOffset, 4);
}

const SNAP_HEADER_LENGTH = 8;

/** LLC: DSAP, SSAP, control; with AA-AA-03 a SNAP header whose OUI 00-00-00 carries an EtherType. */
export function parseLlc(bytes: Uint8Array, offset: number, end: number, step: HeaderStep): void {
  resetStep(step, end);
  if (end - offset < 3) {
    step.length = end - offset;
    step.malformed = MALFORMED.llcTruncated;
    return;
  }
  const snap = bytes[offset] === 0xaa && bytes[offset + 1] === 0xaa && bytes[offset + 2] === 0x03;
  if (!snap) {
    step.length = 3;
    return;
  }
  if (end - offset < SNAP_HEADER_LENGTH) {
    step.length = end - offset;
    step.malformed = MALFORMED.llcTruncated;
    return;
  }
  step.length = SNAP_HEADER_LENGTH;
  const oui = (bytes[offset + 3] << 16) | (bytes[offset + 4] << 8) | bytes[offset + 5];
  // 00-00-00 is RFC 1042 encapsulation, 00-00-F8 the bridge-tunnel one: both carry an EtherType.
  if (oui === 0 || oui === 0xf8) step.next = readU16(bytes, offset + 6);
}

export function decodeLlc(decoding: Decoding, offset: number, end: number, step: HeaderStep): void {
  parseLlc(decoding.bytes, offset, end, step);
  const layer = openLayer(decoding, 'llc', offset, step.length, false);
  readHeader(decoding, layer, offset + step.length);
  if (step.malformed) flag(decoding, layer, step.malformed);
}
