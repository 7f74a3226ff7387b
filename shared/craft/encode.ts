/**
 * The encoder: a FrameSpec (field values per layer) into frame bytes.
 *
 * Header fields are written through the field registry. A field left undefined is computed
 * when the registry gives it an automatic rule (lengths, header length, data offset, next
 * protocol, checksums, option padding) and takes its registry default otherwise. A value given
 * explicitly is written as given, even when it is wrong, so lying lengths and bad checksums can
 * be crafted on purpose. Values that do not fit their field are refused with an EncodeError.
 */
import { fromHex, parseIpv4, parseIpv6, parseMac, writeBits, writeU16, writeU32 } from '../wire/bytes';
import { internetChecksum, pseudoHeaderSum } from '../wire/checksum';
import { pseudoHeaderDestinationOffset } from '../wire/ipv6';
import { LAYER_DEFS, findField, headerFields, icmpVariant, icmpv6Variant, type FieldDef } from '../wire/fields';
import {
  BSD_AF_INET,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  ETHERTYPE_QINQ,
  ETHERTYPE_VLAN,
  IPPROTO_AH,
  IPPROTO_DSTOPTS,
  IPPROTO_FRAGMENT,
  IPPROTO_HOPOPTS,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_IPIP,
  IPPROTO_IPV6,
  IPPROTO_NONE,
  IPPROTO_TCP,
  IPPROTO_UDP,
  LINKTYPE_ETHERNET,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
} from '../wire/linktypes';
import type { FieldInput, FrameSpec, Ipv6ExtHeaderSpec, LayerKind, LayerSpec, TcpOptionSpec } from './spec';

export class EncodeError extends Error {
  override name = 'EncodeError';
}

/** The link type a spec encodes for: its own, or the one its first layer implies. */
export function linkTypeOfSpec(spec: FrameSpec): number {
  if (spec.linkType !== undefined) return spec.linkType;
  switch (spec.layers[0]?.layer) {
    case 'sll':
      return LINKTYPE_LINUX_SLL;
    case 'sll2':
      return LINKTYPE_LINUX_SLL2;
    case 'null':
      return LINKTYPE_NULL;
    case 'ip':
    case 'ipv6':
      return LINKTYPE_RAW;
    default:
      return LINKTYPE_ETHERNET;
  }
}

// ---------------------------------------------------------------------------------------------
// Field values

/** Turns a caller's value (number, boolean, text, bytes) into what the field stores, or explains why not. */
export function coerceFieldValue(def: FieldDef, input: FieldInput): number | boolean | Uint8Array {
  const fail = (why: string): never => {
    throw new EncodeError(`${def.name}: ${why} (got ${input instanceof Uint8Array ? `${input.length} bytes` : JSON.stringify(input)})`);
  };
  const byteLength = def.bitWidth / 8;
  switch (def.type) {
    case 'bool':
      if (typeof input === 'boolean') return input;
      if (input === 0 || input === '0' || input === 'false' || input === 'False') return false;
      if (input === 1 || input === '1' || input === 'true' || input === 'True') return true;
      return fail('expected a boolean (true/false/1/0)');
    case 'uint': {
      let value: number;
      if (typeof input === 'number') value = input;
      else if (typeof input === 'boolean') value = input ? 1 : 0;
      else if (typeof input === 'string' && /^\s*(0x[0-9a-f]+|\d+)\s*$/i.test(input)) value = Number(input.trim());
      else return fail('expected a non-negative integer');
      if (!Number.isInteger(value)) fail('expected an integer');
      if (value < (def.min ?? 0) || value > (def.max ?? Number.MAX_SAFE_INTEGER)) fail(`out of range ${def.min ?? 0}..${def.max}`);
      if (def.scale && value % def.scale !== 0) fail(`must be a multiple of ${def.scale}`);
      return value;
    }
    case 'mac':
    case 'ipv4':
    case 'ipv6': {
      if (input instanceof Uint8Array) {
        if (input.length !== byteLength) fail(`expected ${byteLength} bytes`);
        return input;
      }
      if (typeof input !== 'string') return fail('expected an address string');
      try {
        return def.type === 'mac' ? parseMac(input) : def.type === 'ipv4' ? parseIpv4(input) : parseIpv6(input);
      } catch (error) {
        return fail(error instanceof Error ? error.message : 'not an address');
      }
    }
    default: {
      let bytes: Uint8Array;
      if (input instanceof Uint8Array) bytes = input;
      else if (typeof input === 'string') {
        try {
          bytes = fromHex(input);
        } catch (error) {
          return fail(error instanceof Error ? error.message : 'not hex');
        }
      } else return fail('expected bytes or a hex string');
      if (def.scope === 'header' && bytes.length !== byteLength) fail(`expected ${byteLength} bytes`);
      return bytes;
    }
  }
}

function writeFieldValue(frame: Uint8Array, base: number, def: FieldDef, value: number | boolean | Uint8Array): void {
  if (value instanceof Uint8Array) {
    frame.set(value, base + (def.bitOffset >>> 3));
    return;
  }
  // A boolean over several bits (tcp.flags.res) sets or clears all of them.
  const wire = typeof value === 'boolean' ? (value ? 2 ** def.bitWidth - 1 : 0) : value / (def.scale ?? 1);
  writeBits(frame, base, def.bitOffset, def.bitWidth, wire);
}

/** Rejects names the layer does not have, and computed names that cannot be set. */
function checkFieldNames(layer: LayerSpec): void {
  for (const name of Object.keys(layer.fields)) {
    if (layer.fields[name] === undefined) continue;
    const def = findField(layer.layer, name);
    if (!def) throw new EncodeError(`${name} is not a field of the ${layer.layer} layer`);
    if (def.scope === 'option') {
      throw new EncodeError(`${name} belongs to an option or extension header: give it through tcpOptions/extHeaders`);
    }
    if (def.scope === 'derived' && def.defaultValue === undefined && name !== 'data.data') {
      throw new EncodeError(`${name} is computed from the frame and cannot be set`);
    }
  }
}

function given(layer: LayerSpec, name: string): FieldInput | undefined {
  return layer.fields[name];
}

// ---------------------------------------------------------------------------------------------
// Variable parts: options and extension headers

export function encodeTcpOptions(options: readonly TcpOptionSpec[]): Uint8Array {
  const out: number[] = [];
  const u16 = (value: number): void => {
    out.push((value >>> 8) & 0xff, value & 0xff);
  };
  const u32 = (value: number): void => {
    out.push((value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
  };
  const check = (what: string, value: number, max: number): void => {
    if (!Number.isInteger(value) || value < 0 || value > max) throw new EncodeError(`TCP option ${what} out of range 0..${max}: ${value}`);
  };
  for (const option of options) {
    switch (option.kind) {
      case 'eol':
        out.push(0);
        break;
      case 'nop':
        out.push(1);
        break;
      case 'mss':
        check('mss', option.value, 0xffff);
        out.push(2, 4);
        u16(option.value);
        break;
      case 'wscale':
        check('window scale shift', option.shift, 0xff);
        out.push(3, 3, option.shift);
        break;
      case 'sack_perm':
        out.push(4, 2);
        break;
      case 'sack':
        out.push(5, 2 + option.blocks.length * 8);
        for (const [left, right] of option.blocks) {
          check('SACK edge', left, 0xffffffff);
          check('SACK edge', right, 0xffffffff);
          u32(left);
          u32(right);
        }
        break;
      case 'timestamp':
        check('tsval', option.tsval, 0xffffffff);
        check('tsecr', option.tsecr, 0xffffffff);
        out.push(8, 10);
        u32(option.tsval);
        u32(option.tsecr);
        break;
      case 'tfo':
        if (option.experimental) {
          out.push(254, 4 + option.cookie.length, 0xf9, 0x89);
        } else {
          out.push(34, 2 + option.cookie.length);
        }
        out.push(...option.cookie);
        break;
      case 'raw':
        check('kind', option.type, 0xff);
        check('length', option.length ?? 2 + option.data.length, 0xff);
        out.push(option.type, option.length ?? 2 + option.data.length, ...option.data);
        break;
    }
  }
  return Uint8Array.from(out);
}

function padTo(bytes: Uint8Array, multiple: number): Uint8Array {
  const padded = new Uint8Array(Math.ceil(bytes.length / multiple) * multiple);
  padded.set(bytes);
  return padded;
}

/** Hop-by-hop and destination options are padded with Pad1/PadN options (RFC 8200 §4.2); the rest with zeros. */
function encodeExtHeader(ext: Ipv6ExtHeaderSpec, nextHeader: number): Uint8Array {
  const alignment = ext.type === IPPROTO_FRAGMENT ? 8 : ext.type === IPPROTO_AH ? 4 : 8;
  if (ext.type === IPPROTO_FRAGMENT && ext.body.length > 6) throw new EncodeError('IPv6 fragment header body is 6 bytes');
  const natural = ext.type === IPPROTO_FRAGMENT ? 8 : Math.max(Math.ceil((2 + ext.body.length) / alignment) * alignment, 8);
  const bytes = new Uint8Array(natural);
  bytes.set(ext.body, 2);
  const padding = natural - 2 - ext.body.length;
  if ((ext.type === IPPROTO_HOPOPTS || ext.type === IPPROTO_DSTOPTS) && padding > 0) {
    const at = 2 + ext.body.length;
    if (padding === 1) bytes[at] = 0; // Pad1
    else {
      bytes[at] = 1; // PadN
      bytes[at + 1] = padding - 2;
    }
  }
  bytes[0] = ext.nxt ?? nextHeader;
  const autoLength = ext.type === IPPROTO_FRAGMENT ? 0 : ext.type === IPPROTO_AH ? natural / 4 - 2 : natural / 8 - 1;
  bytes[1] = ext.len ?? autoLength;
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// Layer sizes and automatic values

interface PreparedLayer {
  spec: LayerSpec;
  /** Bytes of this layer in the frame: header and its variable part, or the payload of `data`. */
  size: number;
  /** Options / extension headers / payload, already encoded. */
  variable: Uint8Array;
  offset: number;
}

function dataBytes(layer: LayerSpec): Uint8Array {
  const field = layer.fields['data.data'];
  if (layer.data) return layer.data;
  if (field === undefined) return new Uint8Array(0);
  return coerceFieldValue(findField('data', 'data.data') as FieldDef, field) as Uint8Array;
}

function protocolNumber(next: LayerSpec | undefined): number {
  switch (next?.layer) {
    case 'tcp':
      return IPPROTO_TCP;
    case 'udp':
      return IPPROTO_UDP;
    case 'icmp':
      return IPPROTO_ICMP;
    case 'icmpv6':
      return IPPROTO_ICMPV6;
    case 'ip':
      return IPPROTO_IPIP;
    case 'ipv6':
      return IPPROTO_IPV6;
    default:
      return IPPROTO_NONE;
  }
}

function etherType(layers: readonly LayerSpec[], index: number): number {
  switch (layers[index + 1]?.layer) {
    case 'vlan':
      // A link header followed by two tags: the outer is a service tag (802.1ad), the inner a customer tag.
      return layers[index].layer !== 'vlan' && layers[index + 2]?.layer === 'vlan' ? ETHERTYPE_QINQ : ETHERTYPE_VLAN;
    case 'ip':
      return ETHERTYPE_IPV4;
    case 'ipv6':
      return ETHERTYPE_IPV6;
    default:
      return 0;
  }
}

function prepareLayer(layers: readonly LayerSpec[], index: number): PreparedLayer {
  const spec = layers[index];
  if (!LAYER_DEFS[spec.layer]) throw new EncodeError(`unknown layer "${String(spec.layer)}"`);
  checkFieldNames(spec);
  let variable: Uint8Array = new Uint8Array(0);
  switch (spec.layer) {
    case 'ip':
      if (spec.ipOptions) variable = padTo(spec.ipOptions, 4);
      break;
    case 'ipv6': {
      if (spec.ipOptions) throw new EncodeError('ipOptions applies to IPv4; give IPv6 extension headers as extHeaders');
      const exts = spec.extHeaders ?? [];
      const parts = exts.map((ext, i) => encodeExtHeader(ext, i + 1 < exts.length ? exts[i + 1].type : protocolNumber(layers[index + 1])));
      variable = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
      let at = 0;
      for (const part of parts) {
        variable.set(part, at);
        at += part.length;
      }
      break;
    }
    case 'tcp': {
      const options = encodeTcpOptions(spec.tcpOptions ?? []);
      if (spec.tcpPadding) {
        variable = new Uint8Array(options.length + spec.tcpPadding.length);
        variable.set(options);
        variable.set(spec.tcpPadding, options.length);
      } else {
        variable = padTo(options, 4);
      }
      break;
    }
    case 'data':
      variable = dataBytes(spec);
      break;
    default:
      break;
  }
  return { spec, size: LAYER_DEFS[spec.layer].headerLength + variable.length, variable, offset: 0 };
}

function icmpLayerVariant(spec: LayerSpec, kind: 'icmp' | 'icmpv6'): ReturnType<typeof icmpVariant> {
  const typeDef = findField(kind, `${kind}.type`) as FieldDef;
  const typeInput = given(spec, `${kind}.type`) ?? typeDef.defaultValue ?? 0;
  const type = coerceFieldValue(typeDef, typeInput) as number;
  return kind === 'icmp' ? icmpVariant(type) : icmpv6Variant(type);
}

/** The value an automatic field takes; checksums are written as zero here and filled in afterwards. */
function automaticValue(def: FieldDef, layers: readonly LayerSpec[], prepared: readonly PreparedLayer[], index: number, packetEnd: number, linkType: number): number {
  const self = prepared[index];
  switch (def.auto) {
    case 'header-length':
    case 'data-offset':
      return self.size;
    case 'length':
      return def.name === 'ipv6.plen' ? packetEnd - self.offset - 40 : packetEnd - self.offset;
    case 'next-protocol':
      if (def.name === 'ip.proto') return protocolNumber(layers[index + 1]);
      if (def.name === 'ipv6.nxt') return self.spec.extHeaders?.length ? self.spec.extHeaders[0].type : protocolNumber(layers[index + 1]);
      if (def.name === 'null.family') {
        if (layers[index + 1]?.layer === 'ipv6') return linkType === LINKTYPE_LOOP ? 24 : 30;
        return BSD_AF_INET;
      }
      return etherType(layers, index);
    default:
      return 0;
  }
}

// ---------------------------------------------------------------------------------------------
// The encoder

export function encodeFrame(spec: FrameSpec): Uint8Array {
  const { layers } = spec;
  if (layers.length === 0) throw new EncodeError('a frame needs at least one layer');
  const linkType = linkTypeOfSpec(spec);
  const prepared = layers.map((_, index) => prepareLayer(layers, index));
  let offset = 0;
  for (const layer of prepared) {
    layer.offset = offset;
    offset += layer.size;
  }
  const packetEnd = offset;
  const trailer = spec.trailer ?? new Uint8Array(0);
  const frame = new Uint8Array(packetEnd + trailer.length);
  frame.set(trailer, packetEnd);

  for (let index = 0; index < prepared.length; index++) writeLayer(frame, layers, prepared, index, packetEnd, linkType);
  // Inner checksums first: an ICMP error's checksum covers the quoted headers after them.
  for (let index = prepared.length - 1; index >= 0; index--) fillChecksum(frame, prepared, index, packetEnd);
  return frame;
}

function writeLayer(frame: Uint8Array, layers: readonly LayerSpec[], prepared: readonly PreparedLayer[], index: number, packetEnd: number, linkType: number): void {
  const layer = prepared[index];
  const { spec } = layer;
  const headerLength = LAYER_DEFS[spec.layer].headerLength;
  frame.set(layer.variable, layer.offset + headerLength);
  if (spec.layer === 'data') return;
  if (spec.layer === 'null') {
    writeNullHeader(frame, layer, linkType, automaticValue(findField('null', 'null.family') as FieldDef, layers, prepared, index, packetEnd, linkType));
    return;
  }
  const variant = spec.layer === 'icmp' || spec.layer === 'icmpv6' ? icmpLayerVariant(spec, spec.layer) : undefined;
  const fields = headerFields(spec.layer, variant);
  // Wider fields first, then any bit the caller set explicitly inside them.
  for (const def of fields) {
    if (def.parent) continue;
    const explicit = given(spec, def.name);
    let value: number | boolean | Uint8Array;
    if (explicit !== undefined) value = coerceFieldValue(def, explicit);
    else if (def.auto) {
      value = automaticValue(def, layers, prepared, index, packetEnd, linkType);
      if (value > (def.max ?? Number.MAX_SAFE_INTEGER)) {
        throw new EncodeError(`${def.name}: the computed value ${value} does not fit (at most ${def.max}); shorten the options or payload, or give the field explicitly`);
      }
    }
    else if (fields.some((child) => child.parent === def.name && given(spec, child.name) !== undefined)) value = 0;
    else value = coerceFieldValue(def, def.defaultValue ?? 0);
    writeFieldValue(frame, layer.offset, def, value);
  }
  for (const def of fields) {
    const explicit = def.parent ? given(spec, def.name) : undefined;
    if (explicit !== undefined) writeFieldValue(frame, layer.offset, def, coerceFieldValue(def, explicit));
  }
}

function writeNullHeader(frame: Uint8Array, layer: PreparedLayer, linkType: number, automaticFamily: number): void {
  const familyDef = findField('null', 'null.family') as FieldDef;
  const bigEndianDef = findField('null', 'null.big_endian') as FieldDef;
  const familyInput = given(layer.spec, 'null.family');
  const family = familyInput === undefined ? automaticFamily : (coerceFieldValue(familyDef, familyInput) as number);
  const bigEndianInput = given(layer.spec, 'null.big_endian');
  const bigEndian = linkType === LINKTYPE_LOOP || (bigEndianInput !== undefined && coerceFieldValue(bigEndianDef, bigEndianInput) === true);
  if (bigEndian) writeU32(frame, layer.offset, family);
  else {
    frame[layer.offset] = family & 0xff;
    frame[layer.offset + 1] = (family >>> 8) & 0xff;
    frame[layer.offset + 2] = (family >>> 16) & 0xff;
    frame[layer.offset + 3] = (family >>> 24) & 0xff;
  }
}

/** The nearest IP layer before `index`: the one whose pseudo-header a transport checksum uses. */
function enclosingIp(prepared: readonly PreparedLayer[], index: number): PreparedLayer | undefined {
  for (let i = index - 1; i >= 0; i--) {
    const kind: LayerKind = prepared[i].spec.layer;
    if (kind === 'ip' || kind === 'ipv6') return prepared[i];
  }
  return undefined;
}

function fillChecksum(frame: Uint8Array, prepared: readonly PreparedLayer[], index: number, packetEnd: number): void {
  const layer = prepared[index];
  const kind = layer.spec.layer;
  const fieldName = kind === 'ip' || kind === 'tcp' || kind === 'udp' || kind === 'icmp' || kind === 'icmpv6' ? `${kind}.checksum` : null;
  if (!fieldName || given(layer.spec, fieldName) !== undefined) return;
  const def = findField(kind, fieldName) as FieldDef;
  const at = layer.offset + (def.bitOffset >>> 3);
  if (kind === 'ip') {
    writeU16(frame, at, internetChecksum(frame, layer.offset, layer.offset + layer.size));
    return;
  }
  let pseudo = 0;
  if (kind !== 'icmp') {
    const ip = enclosingIp(prepared, index);
    const protocol = kind === 'tcp' ? IPPROTO_TCP : kind === 'udp' ? IPPROTO_UDP : IPPROTO_ICMPV6;
    if (ip?.spec.layer === 'ip') pseudo = pseudoHeaderSum(frame, ip.offset + 12, ip.offset + 16, 4, protocol, packetEnd - layer.offset);
    if (ip?.spec.layer === 'ipv6') {
      const destination = pseudoHeaderDestinationOffset(frame, ip.offset, packetEnd);
      pseudo = pseudoHeaderSum(frame, ip.offset + 8, destination, 16, protocol, packetEnd - layer.offset);
    }
  }
  let checksum = internetChecksum(frame, layer.offset, packetEnd, pseudo);
  if (kind === 'udp' && checksum === 0) checksum = 0xffff; // 0 would mean "no checksum" (RFC 768)
  writeU16(frame, at, checksum);
}
