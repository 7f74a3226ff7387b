/**
 * specFromDecoded: a decoded frame back into a FrameSpec that gives every header field
 * explicitly, so that encoding it reproduces the frame byte for byte (for well-formed frames).
 */
import type { DecodedFrame, DecodedLayer } from '../wire/decode';
import { LAYER_DEFS, LAYER_ORDER, headerFields, type WireLayerKind } from '../wire/fields';
import { EncodeError } from './encode';
import type { FieldInput, FrameSpec, LayerKind, LayerSpec } from './spec';

export function specFromDecoded(decoded: DecodedFrame): FrameSpec {
  const layers: LayerSpec[] = [];
  for (let index = 0; index < decoded.layers.length; index++) {
    const layer = decoded.layers[index];
    if (layer.quoted) continue;
    layers.push(layerSpec(layer));
    const next = decoded.layers[index + 1];
    if ((layer.kind === 'icmp' || layer.kind === 'icmpv6') && next?.quoted) {
      // The quoted datagram is carried verbatim: it is someone else's (often truncated) packet.
      const quotedEnd = decoded.trailerOffset >= 0 ? decoded.trailerOffset : decoded.bytes.length;
      layers.push({ layer: 'data', fields: {}, data: decoded.bytes.slice(layer.offset + layer.length, quotedEnd) });
    }
  }
  const spec: FrameSpec = { linkType: decoded.linkType, layers };
  if (decoded.trailer) spec.trailer = decoded.trailer;
  return spec;
}

function layerSpec(layer: DecodedLayer): LayerSpec {
  if (!isCraftableLayer(layer.kind)) {
    throw new EncodeError(`frames carried in ${LAYER_DEFS[layer.kind].label} cannot be edited yet; the editor builds Ethernet, SLL, loopback and raw IP frames`);
  }
  if (layer.kind === 'data') return { layer: 'data', fields: {}, data: layer.data ?? new Uint8Array(0) };
  const fields: Record<string, FieldInput | undefined> = {};
  // Bits inside a wider field (flags, DSCP/ECN) are carried by the wider field.
  const wanted = new Set(headerFields(layer.kind, layer.variant).filter((def) => !def.parent).map((def) => def.name));
  if (layer.kind === 'null') wanted.add('null.family').add('null.big_endian');
  for (const decoded of layer.fields) {
    if (wanted.has(decoded.name) && !(decoded.name in fields)) fields[decoded.name] = decoded.value;
  }
  const spec: LayerSpec = { layer: layer.kind, fields };
  if (layer.kind === 'ip' && layer.ipOptions) spec.ipOptions = layer.ipOptions;
  if (layer.kind === 'ipv6' && layer.extHeaders?.length) spec.extHeaders = layer.extHeaders.map((ext) => ext.spec);
  if (layer.kind === 'tcp') {
    spec.tcpOptions = (layer.tcpOptions ?? []).map((option) => option.spec);
    spec.tcpPadding = layer.tcpPadding ?? new Uint8Array(0);
  }
  return spec;
}

function isCraftableLayer(kind: WireLayerKind): kind is LayerKind {
  return (LAYER_ORDER as readonly WireLayerKind[]).includes(kind);
}
