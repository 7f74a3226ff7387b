/**
 * The flat key → value object of `handshake decode --json` (cli.md): Wireshark display-filter
 * names as keys, only the fields present in the frame, values typed as cli.md lists them.
 * Fields of the datagram quoted inside an ICMP error are left out so they are not confused with
 * the frame's own headers.
 */
import { toHex } from './bytes';
import type { DecodedFrame, FieldValue } from './decode';
import { SERVICE_TAG_NAMES, findField, type FieldDef } from './fields';
import type { NdjsonWriter } from '../ndjson/writer';

export type JsonScalar = number | boolean | string;
export type JsonFieldValue = JsonScalar | JsonScalar[];

export interface FrameMeta {
  /** 1-based frame number. */
  number: number;
  /** Seconds since the epoch with 9 decimals, as cli.md specifies. */
  timeEpoch: string;
  /** Defaults to the decoded frame's wire and captured lengths. */
  len?: number;
  capLen?: number;
  /** Seconds since the first frame and since the previous one, when the caller follows a sequence of frames. */
  timeRelative?: number;
  timeDelta?: number;
  /** Seconds since the previous frame shown (passing the display filter); the caller sets it. */
  timeDeltaDisplayed?: number;
}

/** Bytes as tshark prints them (`aa:bb:cc`); everything else as is. */
export function jsonScalar(value: FieldValue): JsonScalar {
  return value instanceof Uint8Array ? toHex(value, ':') : value;
}

export function frameFieldsJson(decoded: DecodedFrame, meta: FrameMeta): Record<string, JsonFieldValue> {
  const out: Record<string, JsonFieldValue> = {
    'frame.number': meta.number,
    'frame.time_epoch': meta.timeEpoch,
    ...(meta.timeRelative === undefined ? {} : { 'frame.time_relative': meta.timeRelative }),
    ...(meta.timeDelta === undefined ? {} : { 'frame.time_delta': meta.timeDelta }),
    ...(meta.timeDeltaDisplayed === undefined ? {} : { 'frame.time_delta_displayed': meta.timeDeltaDisplayed }),
    'frame.len': meta.len ?? decoded.frameLength,
    'frame.cap_len': meta.capLen ?? decoded.capturedLength,
  };
  for (const layer of decoded.layers) {
    if (layer.quoted) continue;
    for (const field of layer.fields) {
      const def = findField(layer.kind, field.name);
      if (!def || def.json === 'omit') continue;
      let key = def.jsonName ?? def.name;
      if (layer.protocol === 'ieee8021ad') {
        if (!SERVICE_TAG_NAMES[key]) continue; // its type field has no Wireshark name
        key = SERVICE_TAG_NAMES[key];
      }
      const value = jsonScalar(field.value);
      if (def.json === 'array') {
        const list = out[key];
        if (Array.isArray(list)) list.push(value);
        else out[key] = [value];
      } else if (!(key in out)) {
        out[key] = value; // outer header wins (outer VLAN tag, outer IP of a tunnel)
      }
    }
  }
  for (const layer of decoded.layers) {
    if (layer.quoted) continue;
    // Wireshark puts ip.version on IPv6 headers too (hidden), so `ip.version == 6` matches them.
    if (layer.kind === 'ipv6' && !('ip.version' in out)) out['ip.version'] = 6;
    // Wireshark's expert field: an acknowledgment number without the ACK flag (RFC 9293 says it is ignored).
    if (layer.kind === 'tcp' && !('tcp.ack.nonzero' in out) && out['tcp.flags.ack'] === false && typeof out['tcp.ack_raw'] === 'number' && out['tcp.ack_raw'] !== 0) {
      out['tcp.ack.nonzero'] = true;
    }
  }
  if (decoded.malformed) out['_ws.malformed'] = decoded.malformed;
  return out;
}

/** The JSON key of a decoded field, or null when decode --json leaves it out. */
function jsonKey(def: FieldDef | undefined, protocol: string): string | null {
  if (!def || def.json === 'omit') return null;
  const key = def.jsonName ?? def.name;
  return protocol === 'ieee8021ad' ? (SERVICE_TAG_NAMES[key] ?? null) : key;
}

/**
 * `frameFieldsJson` written straight into an open writer object (after `writer.begin()`): the
 * same keys in the same order with the same values, without the object. Array keys gather
 * their values from every layer at their first occurrence, as the object's arrays do.
 */
export function writeFrameFieldsJson(writer: NdjsonWriter, decoded: DecodedFrame, meta: FrameMeta): void {
  writer.field('frame.number', meta.number);
  writer.field('frame.time_epoch', meta.timeEpoch);
  writer.field('frame.time_relative', meta.timeRelative);
  writer.field('frame.time_delta', meta.timeDelta);
  writer.field('frame.time_delta_displayed', meta.timeDeltaDisplayed);
  writer.field('frame.len', meta.len ?? decoded.frameLength);
  writer.field('frame.cap_len', meta.capLen ?? decoded.capturedLength);
  const layers = decoded.layers;
  let ackFlag: JsonScalar | undefined;
  let ackRaw: JsonScalar | undefined;
  for (let l = 0; l < layers.length; l++) {
    const layer = layers[l];
    if (layer.quoted) continue;
    const fields = layer.fields;
    for (let f = 0; f < fields.length; f++) {
      const field = fields[f];
      const def = findField(layer.kind, field.name);
      const key = jsonKey(def, layer.protocol);
      if (key === null || writer.has(key)) continue; // outer header wins; an array was written whole
      if (def!.json === 'array') {
        writer.field(key, arrayValues(decoded, l, f, key));
        continue;
      }
      const value = jsonScalar(field.value);
      if (key === 'tcp.flags.ack') ackFlag = value;
      else if (key === 'tcp.ack_raw') ackRaw = value;
      writer.field(key, value);
    }
  }
  for (const layer of layers) {
    if (layer.quoted) continue;
    if (layer.kind === 'ipv6' && !writer.has('ip.version')) writer.field('ip.version', 6);
    if (layer.kind === 'tcp' && !writer.has('tcp.ack.nonzero') && ackFlag === false && typeof ackRaw === 'number' && ackRaw !== 0) writer.field('tcp.ack.nonzero', true);
  }
  if (decoded.malformed) writer.field('_ws.malformed', decoded.malformed);
}

/** Every value of an array key, from its first occurrence (layer `l`, field `f`) on. */
function arrayValues(decoded: DecodedFrame, l: number, f: number, key: string): JsonScalar[] {
  const values: JsonScalar[] = [];
  const layers = decoded.layers;
  for (; l < layers.length; l++, f = 0) {
    const layer = layers[l];
    if (layer.quoted) continue;
    for (; f < layer.fields.length; f++) {
      const field = layer.fields[f];
      const def = findField(layer.kind, field.name);
      if (def?.json === 'array' && jsonKey(def, layer.protocol) === key) values.push(jsonScalar(field.value));
    }
  }
  return values;
}

/** Fields whose values are bytes, given as tshark prints them (`47:45:54`); frameBytesField builds them. */
export const BYTE_FIELDS: ReadonlySet<string> = new Set(['frame', 'tcp.payload', 'udp.payload', 'data.data']);

/**
 * A byte field's value (BYTE_FIELDS): the whole captured frame, a TCP or UDP payload,
 * undissected data. Built only when a filter asks, since the hex of every frame would be costly.
 */
export function frameBytesField(decoded: DecodedFrame, name: string): string | undefined {
  if (name === 'frame') return toHex(decoded.bytes, ':', 0, decoded.capturedLength);
  let data: DecodedFrame['layers'][number] | undefined;
  if (name === 'tcp.payload' || name === 'udp.payload') {
    const transport = decoded.layers.findIndex((layer) => layer.kind === (name === 'tcp.payload' ? 'tcp' : 'udp') && !layer.quoted);
    data = transport >= 0 ? decoded.layers[transport + 1] : undefined;
  } else if (name === 'data.data') {
    data = decoded.layers.find((layer) => layer.kind === 'data' && !layer.quoted);
  }
  return data?.kind === 'data' && !data.quoted && data.data && data.data.length > 0 ? toHex(data.data, ':') : undefined;
}

/**
 * Fields that occur in more than one of the frame's own layers (a tunnel's outer and inner IP
 * header, an MPLS stack), with every value, outermost first. The flat JSON keeps the outer value
 * (cli.md); a display filter sees them all, as Wireshark's does (`ip.addr` matches either layer).
 */
export function repeatedFields(decoded: DecodedFrame): Map<string, JsonScalar[]> {
  const repeated = new Map<string, JsonScalar[]>();
  const kinds = new Set<string>();
  let again = false;
  for (const layer of decoded.layers) {
    if (layer.quoted) continue;
    if (kinds.has(layer.kind)) again = true;
    kinds.add(layer.kind);
  }
  if (!again) return repeated;
  const all = new Map<string, JsonScalar[]>();
  for (const layer of decoded.layers) {
    if (layer.quoted) continue;
    for (const field of layer.fields) {
      const def = findField(layer.kind, field.name);
      if (!def || def.json !== 'value') continue;
      let name = field.name;
      if (layer.protocol === 'ieee8021ad') {
        if (!SERVICE_TAG_NAMES[name]) continue;
        name = SERVICE_TAG_NAMES[name];
      }
      const values = all.get(name);
      if (values) values.push(jsonScalar(field.value));
      else all.set(name, [jsonScalar(field.value)]);
    }
  }
  for (const [name, values] of all) if (values.length > 1) repeated.set(name, values);
  return repeated;
}
