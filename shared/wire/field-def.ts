/**
 * What a registry field is, and the builders the per-protocol tables declare their fields with
 * (fields.ts for the craftable layers, link/ and tunnel/ for the decode-only ones).
 */
import type { FieldInput, LayerKind } from '../craft/spec';

/**
 * Layers the decoder shows but the encoder does not build: link types and tunnels read from
 * captures (802.11, PPP, NFLOG, VXLAN, GRE, MPLS, …).
 */
export type DecodeOnlyLayerKind =
  | 'radiotap'
  | 'wlan'
  | 'llc'
  | 'ppp'
  | 'pppoe'
  | 'nflog'
  | 'pktap'
  | 'chdlc'
  | 'ipoib'
  | 'juniper'
  | 'vxlan'
  | 'geneve'
  | 'gre'
  | 'erspan'
  | 'mpls';

/** Every layer a decoded frame can hold. */
export type WireLayerKind = LayerKind | DecodeOnlyLayerKind;

export type FieldType = 'uint' | 'bool' | 'mac' | 'ipv4' | 'ipv6' | 'bytes' | 'string';
export type FieldDisplay = 'dec' | 'hex' | 'bin' | 'text';

/**
 * What the encoder computes when the caller leaves the field undefined:
 * - `length`: a length covering this header and everything after it in the packet;
 * - `header-length`: this header's own length (IPv4 IHL);
 * - `data-offset`: TCP data offset (header plus options);
 * - `checksum`: the layer's Internet checksum;
 * - `padding`: option padding up to the next 4-byte boundary;
 * - `next-protocol`: the EtherType / protocol number / family of the next layer.
 */
export type AutoRule = 'length' | 'header-length' | 'data-offset' | 'checksum' | 'padding' | 'next-protocol';

/**
 * Where a field sits:
 * - `header`: at a fixed bit position from the start of its layer's header;
 * - `option`: at a fixed bit position from the start of its option or extension header;
 * - `derived`: computed from the frame (lengths, checksum status, option lists); not written by the encoder.
 */
export type FieldScope = 'header' | 'option' | 'derived';

/** How the flat JSON (cli.md) carries the field: as one value, as an array of all occurrences, or not at all. */
export type JsonForm = 'value' | 'array' | 'omit';

/** Which form of a layer's variable part the field belongs to (ICMP rest-of-header). */
/** ICMP rest-of-header forms; ERSPAN type II and III headers. */
export type FieldVariant = 'echo' | 'rest' | 'erspan2' | 'erspan3';

export interface FieldDef {
  readonly name: string;
  readonly label: string;
  readonly layer: WireLayerKind;
  readonly scope: FieldScope;
  /** Bit position within the header (or option) and width; -1 / 0 for derived fields. */
  readonly bitOffset: number;
  readonly bitWidth: number;
  readonly type: FieldType;
  readonly display: FieldDisplay;
  /** Valid range of the value as shown (after `scale`). */
  readonly min?: number;
  readonly max?: number;
  /** Shown value = wire value × scale (IHL and data offset are in 32-bit words, shown in bytes). */
  readonly scale?: number;
  readonly auto?: AutoRule;
  /** Value the encoder writes when the field is neither given nor automatic. */
  readonly defaultValue?: FieldInput;
  /** A bit-field that is part of a wider field (`tcp.flags.syn` of `tcp.flags`). */
  readonly parent?: string;
  readonly variant?: FieldVariant;
  readonly json: JsonForm;
  /** Key in the flat JSON when it differs from `name`. */
  readonly jsonName?: string;
  /** Stored least significant byte first (radiotap, PKTAP, 802.11 duration): read so by the decoder. */
  readonly littleEndian?: boolean;
}

export interface LayerDef {
  readonly kind: WireLayerKind;
  /** Wireshark protocol name, shown in the Protocol column and the detail tree. */
  readonly protocol: string;
  readonly label: string;
  /** Length of the fixed part of the header in bytes. */
  readonly headerLength: number;
  readonly fields: readonly FieldDef[];
}

export type FieldOptions = Partial<Pick<FieldDef, 'min' | 'max' | 'scale' | 'auto' | 'defaultValue' | 'parent' | 'variant' | 'json' | 'jsonName' | 'littleEndian'>> & {
  display?: FieldDisplay;
};

export function uintMax(bits: number, scale = 1): number {
  return (2 ** bits - 1) * scale;
}

/** A field at a fixed bit position. Ranges follow from the width unless narrowed. */
export function header(layer: WireLayerKind, name: string, label: string, bitOffset: number, bitWidth: number, type: FieldType, options: FieldOptions = {}): FieldDef {
  return field(layer, 'header', name, label, bitOffset, bitWidth, type, options);
}

export function option(layer: WireLayerKind, name: string, label: string, bitOffset: number, bitWidth: number, type: FieldType, options: FieldOptions = {}): FieldDef {
  return field(layer, 'option', name, label, bitOffset, bitWidth, type, options);
}

export function derived(layer: WireLayerKind, name: string, label: string, type: FieldType, options: FieldOptions = {}): FieldDef {
  return field(layer, 'derived', name, label, -1, 0, type, options);
}

function field(layer: WireLayerKind, scope: FieldScope, name: string, label: string, bitOffset: number, bitWidth: number, type: FieldType, options: FieldOptions): FieldDef {
  const numeric = type === 'uint';
  return {
    name,
    label,
    layer,
    scope,
    bitOffset,
    bitWidth,
    type,
    display: options.display ?? (numeric ? 'dec' : 'text'),
    min: options.min ?? (numeric ? 0 : undefined),
    max: options.max ?? (numeric && bitWidth > 0 ? uintMax(bitWidth, options.scale ?? 1) : undefined),
    scale: options.scale,
    auto: options.auto,
    defaultValue: options.defaultValue,
    parent: options.parent,
    variant: options.variant,
    json: options.json ?? 'value',
    jsonName: options.jsonName,
    ...(options.littleEndian ? { littleEndian: true } : {}),
  };
}

export const HEX: FieldOptions = { display: 'hex' };
