/**
 * What every layer decoder shares: the decoded frame's shape, and the bookkeeping that opens a
 * layer, reads its registry fields and flags failures. The per-protocol decoders (decode.ts,
 * link/, tunnel/) build on these so a field is read one way everywhere.
 */
import type { Ipv6ExtHeaderSpec, TcpOptionSpec } from '../craft/spec';
import { formatIpv4, formatIpv6, formatMac, readBits, readU16, readU32 } from './bytes';
import type { ChecksumStatus } from './checksum';
import { LAYER_DEFS, findField, headerFields, type FieldDef, type FieldVariant, type WireLayerKind } from './fields';

export type FieldValue = number | boolean | string | Uint8Array;

export interface DecodedField {
  /** Registry (Wireshark display-filter) name. */
  name: string;
  value: FieldValue;
  /** Bytes of the frame the field occupies; derived fields point at what they summarise. */
  offset: number;
  length: number;
  /** For fields that are not whole bytes: which bits of those `length` bytes (big-endian) are the field. */
  mask?: number;
}

export interface DecodedTcpOption {
  kind: number;
  offset: number;
  length: number;
  spec: TcpOptionSpec;
}

export interface DecodedExtHeader {
  type: number;
  offset: number;
  length: number;
  spec: Ipv6ExtHeaderSpec;
}

export interface DecodedLayer {
  kind: WireLayerKind;
  /** Wireshark protocol name (`eth`, `vlan`, `sll`, `ip`, …). */
  protocol: string;
  offset: number;
  /** Header bytes of this layer including options/extension headers; the payload length for `data`. */
  length: number;
  fields: DecodedField[];
  /** Part of the datagram quoted by an ICMP error, not the frame's own header. */
  quoted: boolean;
  malformed: string | null;
  /** Which rest-of-header form an ICMP layer has. */
  variant?: FieldVariant;
  tcpOptions?: DecodedTcpOption[];
  tcpPadding?: Uint8Array;
  ipOptions?: Uint8Array;
  extHeaders?: DecodedExtHeader[];
  /** Payload bytes of a `data` layer. */
  data?: Uint8Array;
  /** Verification of this layer's checksum, when it has one. */
  checksumStatus?: ChecksumStatus;
  /** The capture's snap length cut this header: `length` covers only the captured part. */
  cutShort?: boolean;
  /** The bytes this layer was decoded from when they are not the frame's (a reassembled IP datagram): offsets point into them. */
  source?: Uint8Array;
}

export interface DecodedFrame {
  linkType: number;
  /** The frame as given (not copied). */
  bytes: Uint8Array;
  /** Bytes captured. */
  capturedLength: number;
  /** Bytes on the wire (≥ captured when the capture used a snap length). */
  frameLength: number;
  layers: DecodedLayer[];
  /** The first layer failure (`_ws.malformed`), or null. */
  malformed: string | null;
  /** Bytes after the end of the network-layer packet (Ethernet padding/trailer), or null. */
  trailer: Uint8Array | null;
  trailerOffset: number;
}

export interface DecodeOptions {
  /** Original length on the wire; defaults to the captured length. */
  frameLength?: number;
  /** Takes every field as it is read, in place of the layers' field lists (see FieldSink). */
  sink?: FieldSink;
}

/**
 * Receives each field as the decoder reads it (decode --json's line writer), so a frame costs
 * no object per field. Only the fields `field` returns true for are also kept in their layer
 * (what the caller reads back from the decoded frame); the layers themselves are built as usual.
 */
export interface FieldSink {
  /** A new frame's decode begins. */
  open(frame: DecodedFrame): void;
  field(layer: DecodedLayer, def: FieldDef, value: FieldValue): boolean;
  /**
   * A layer's fixed header fields (`defs`, read from `layer.offset`, before `limit`) at once, in
   * place of a `field` call each; returns which of them the layer keeps (by index), or null
   * when the sink would rather take them one by one.
   */
  header?(layer: DecodedLayer, defs: readonly FieldDef[], bytes: Uint8Array, limit: number): readonly boolean[] | null;
  /** The decoder is about to reorder its fields, which a sink cannot follow: the caller decodes again without it. */
  lose(): void;
}

/** The sink of the decode in progress (decoding is synchronous; withSink sets and restores it). */
let activeSink: FieldSink | null = null;

/** Makes `sink` receive the fields of the decode that follows; returns the sink to restore after it (`restoreSink`). */
export function useSink(sink: FieldSink | null): FieldSink | null {
  const outer = activeSink;
  activeSink = sink;
  return outer;
}

export function restoreSink(outer: FieldSink | null): void {
  activeSink = outer;
}

/** Says that the decoder is about to reorder or push fields directly (see FieldSink.lose). */
export function fieldsReordered(): void {
  activeSink?.lose();
}

export interface Decoding {
  bytes: Uint8Array;
  frame: DecodedFrame;
}

/** What a transport layer needs from its IP layer: pseudo-header addresses and where the packet ends. */
export interface NetworkContext {
  srcOffset: number;
  dstOffset: number;
  addressLength: 4 | 16;
  /** End of the captured bytes of this packet. */
  end: number;
  /** End as the IP length fields claim it (beyond `end` when the capture cut it short). */
  claimedEnd: number;
  quoted: boolean;
}

// ---------------------------------------------------------------------------------------------
// Layer bookkeeping and registry-driven field reading

export function fieldDef(kind: WireLayerKind, name: string): FieldDef {
  const def = findField(kind, name);
  if (!def) throw new Error(`field ${name} is not registered for ${kind}`);
  return def;
}

export function openLayer(decoding: Decoding, kind: WireLayerKind, offset: number, length: number, quoted: boolean): DecodedLayer {
  const layer: DecodedLayer = { kind, protocol: LAYER_DEFS[kind].protocol, offset, length, fields: [], quoted, malformed: null };
  decoding.frame.layers.push(layer);
  return layer;
}

/** Records a failure; quoted layers are best-effort by nature and never flag the frame. */
export function flag(decoding: Decoding, layer: DecodedLayer, reason: string): void {
  if (layer.quoted) return;
  layer.malformed ??= reason;
  decoding.frame.malformed ??= reason;
}

/** Reads the field `def` at `base` (header or option start), if all of its bits lie before `limit`. */
export function readField(bytes: Uint8Array, def: FieldDef, base: number, limit: number, bitOffset = def.bitOffset): DecodedField | null {
  const value = readFieldValue(bytes, def, base, limit, bitOffset);
  if (value === undefined) return null;
  const firstByte = base + (bitOffset >>> 3);
  const bitInByte = bitOffset & 7;
  const length = (bitInByte + def.bitWidth + 7) >>> 3;
  const decoded: DecodedField = { name: def.name, value, offset: firstByte, length };
  if (bitInByte !== 0 || def.bitWidth % 8 !== 0) {
    decoded.mask = (2 ** def.bitWidth - 1) * 2 ** (length * 8 - bitInByte - def.bitWidth);
  }
  return decoded;
}

/** The value `readField` reads, without its field object; undefined when it lies beyond `limit`. */
export function readFieldValue(bytes: Uint8Array, def: FieldDef, base: number, limit: number, bitOffset = def.bitOffset): FieldValue | undefined {
  const firstByte = base + (bitOffset >>> 3);
  const bitInByte = bitOffset & 7;
  const length = (bitInByte + def.bitWidth + 7) >>> 3;
  if (firstByte + length > limit) return undefined;
  let value: FieldValue;
  switch (def.type) {
    case 'mac':
      value = formatMac(bytes, firstByte);
      break;
    case 'ipv4':
      value = formatIpv4(bytes, firstByte);
      break;
    case 'ipv6':
      value = formatIpv6(bytes, firstByte);
      break;
    case 'bytes':
      value = bytes.slice(firstByte, firstByte + length);
      break;
    case 'bool':
      value = readBits(bytes, firstByte, bitInByte, def.bitWidth) !== 0;
      break;
    default: {
      // Whole bytes are read directly; the bit reader handles the rest.
      let raw: number;
      if (def.littleEndian && bitInByte === 0) raw = readLittleEndian(bytes, firstByte, length);
      else if (bitInByte === 0 && def.bitWidth === 16) raw = readU16(bytes, firstByte);
      else if (bitInByte === 0 && def.bitWidth === 8) raw = bytes[firstByte];
      else if (bitInByte === 0 && def.bitWidth === 32) raw = readU32(bytes, firstByte);
      else raw = readBits(bytes, firstByte, bitInByte, def.bitWidth);
      value = raw * (def.scale ?? 1);
    }
  }
  return value;
}

function readLittleEndian(bytes: Uint8Array, offset: number, length: number): number {
  let value = 0;
  for (let i = length - 1; i >= 0; i--) value = value * 256 + bytes[offset + i];
  return value;
}

/** The layer's fixed header fields that lie inside [offset, limit). */
export function readHeader(decoding: Decoding, layer: DecodedLayer, limit: number, variant?: FieldVariant): void {
  const defs = headerFields(layer.kind, variant);
  const sink = activeSink;
  const kept = sink?.header?.(layer, defs, decoding.bytes, limit);
  if (kept) {
    for (let i = 0; i < defs.length; i++) {
      if (!kept[i]) continue;
      const decoded = readField(decoding.bytes, defs[i], layer.offset, limit);
      if (decoded) layer.fields.push(decoded);
    }
    return;
  }
  for (let i = 0; i < defs.length; i++) {
    const def = defs[i];
    if (sink !== null) {
      const value = readFieldValue(decoding.bytes, def, layer.offset, limit);
      if (value === undefined || !sink.field(layer, def, value)) continue;
    }
    const decoded = readField(decoding.bytes, def, layer.offset, limit);
    if (decoded) layer.fields.push(decoded);
  }
}

export function addOptionField(decoding: Decoding, layer: DecodedLayer, name: string, optionOffset: number, limit: number, bitOffset?: number): void {
  const def = fieldDef(layer.kind, name);
  if (activeSink !== null) {
    const value = readFieldValue(decoding.bytes, def, optionOffset, limit, bitOffset);
    if (value === undefined || !activeSink.field(layer, def, value)) return;
  }
  const decoded = readField(decoding.bytes, def, optionOffset, limit, bitOffset);
  if (decoded) layer.fields.push(decoded);
}

export function addDerived(layer: DecodedLayer, name: string, value: FieldValue, offset: number, length: number): void {
  const def = fieldDef(layer.kind, name); // derived names must be registered too
  if (activeSink !== null && !activeSink.field(layer, def, value)) return;
  layer.fields.push({ name, value, offset, length });
}

export function setChecksumStatus(layer: DecodedLayer, name: string, status: ChecksumStatus, fieldOffset: number): void {
  layer.checksumStatus = status;
  addDerived(layer, name, status, fieldOffset, 2);
}

export function addData(decoding: Decoding, offset: number, end: number, quoted: boolean): DecodedLayer | null {
  if (end <= offset) return null;
  const layer = openLayer(decoding, 'data', offset, end - offset, quoted);
  // A sink's decode (decode --json) reads the payload in place: a copy per frame only made garbage.
  layer.data = activeSink !== null ? decoding.bytes.subarray(offset, end) : decoding.bytes.slice(offset, end);
  addDerived(layer, 'data.data', layer.data, offset, end - offset);
  addDerived(layer, 'data.len', end - offset, offset, end - offset);
  return layer;
}

