/**
 * The flat key → value object of `handshake decode --json` (cli.md): Wireshark display-filter
 * names as keys, only the fields present in the frame, values typed as cli.md lists them.
 * Fields of the datagram quoted inside an ICMP error are left out so they are not confused with
 * the frame's own headers.
 */
import { toHex } from './bytes';
import type { DecodedFrame, DecodedLayer, FieldValue } from './decode';
import { readFieldValue, type FieldSink } from './decoding';
import { SERVICE_TAG_NAMES, findField, type FieldDef } from './fields';
import type { KeyEntry, NdjsonWriter } from '../ndjson/writer';

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
  writeFrameMeta(writer, meta, decoded.frameLength, decoded.capturedLength);
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
  writeFrameTail(writer, decoded, ackFlag, ackRaw);
}

const META_KEYS = ['frame.number', 'frame.time_epoch', 'frame.time_relative', 'frame.time_delta', 'frame.time_delta_displayed', 'frame.len', 'frame.cap_len'];

/** The frame.* keys that open a frame's object (FrameJsonSink.begin writes the same by their entries). */
function writeFrameMeta(writer: NdjsonWriter, meta: FrameMeta, frameLength: number, capturedLength: number): void {
  writer.field('frame.number', meta.number);
  writer.field('frame.time_epoch', meta.timeEpoch);
  writer.field('frame.time_relative', meta.timeRelative);
  writer.field('frame.time_delta', meta.timeDelta);
  writer.field('frame.time_delta_displayed', meta.timeDeltaDisplayed);
  writer.field('frame.len', meta.len ?? frameLength);
  writer.field('frame.cap_len', meta.capLen ?? capturedLength);
}

/** The keys that follow the layers' own: ip.version on IPv6, Wireshark's ACK-without-flag note, _ws.malformed. */
function writeFrameTail(writer: NdjsonWriter, decoded: DecodedFrame, ackFlag: unknown, ackRaw: unknown): void {
  for (const layer of decoded.layers) {
    if (layer.quoted) continue;
    if (layer.kind === 'ipv6' && !writer.has('ip.version')) writer.field('ip.version', 6);
    if (layer.kind === 'tcp' && !writer.has('tcp.ack.nonzero') && ackFlag === false && typeof ackRaw === 'number' && ackRaw !== 0) writer.field('tcp.ack.nonzero', true);
  }
  if (decoded.malformed) writer.field('_ws.malformed', decoded.malformed);
}

interface SinkSlot {
  /** Null when decode --json leaves the field out. */
  readonly entry: KeyEntry | null;
  readonly array: boolean;
  /** Whether the decoded layer keeps the field too (the caller reads it back). */
  readonly keep: boolean;
  readonly role: FieldRole;
}

const enum FieldRole {
  None,
  AckFlag,
  AckRaw,
}

/** How the header fast path reads a field's value from the bytes. */
const enum HeaderRead {
  /** `readFieldValue`, then `scalar`. */
  Value,
  /** A big-endian integer of whole bytes (1, 2 or 4), unscaled. */
  U8,
  U16,
  U32,
  /** One bit. */
  Bit,
}

/** What `FrameJsonSink.header` does with one list of a layer's header fields. */
interface HeaderPlan {
  readonly slots: readonly SinkSlot[];
  readonly reads: readonly HeaderRead[];
  /** Byte of each field from the layer's start, and how many bytes it touches. */
  readonly firstByte: readonly number[];
  readonly byteLength: readonly number[];
  readonly keep: readonly boolean[];
  /** Array keys: taken field by field (`field`), since their values gather across layers. */
  readonly hasArray: boolean;
  /** Whether any of the fields has a key (a layer with none is never placed, as in `field`). */
  readonly hasKey: boolean;
}

function headerRead(def: FieldDef, role: FieldRole): HeaderRead {
  const bitInByte = def.bitOffset & 7;
  // The ACK roles keep their decoded value (writeFrameTail reads it).
  if (role !== FieldRole.None || def.littleEndian || bitInByte < 0) return HeaderRead.Value;
  if (def.type === 'bool') return def.bitWidth === 1 ? HeaderRead.Bit : HeaderRead.Value;
  if (def.type !== 'uint' || (def.scale !== undefined && def.scale !== 1) || bitInByte !== 0) return HeaderRead.Value;
  return def.bitWidth === 8 ? HeaderRead.U8 : def.bitWidth === 16 ? HeaderRead.U16 : def.bitWidth === 32 ? HeaderRead.U32 : HeaderRead.Value;
}

/**
 * `frameFieldsJson`'s line written while the frame is decoded (a FieldSink), so no field
 * becomes an object. Each layer's keys go where that layer's bytes end in the line, so a field
 * added late to an earlier layer (Ethernet padding) still lands in its place; an array key gathers
 * later values at its first occurrence. What the object's rules would order differently (a key
 * first written by a later layer, array values out of layer order, reordered decoder fields)
 * makes the sink `lost`: the caller then writes the frame from its full decode instead.
 */
export class FrameJsonSink implements FieldSink {
  lost = false;
  private frame: DecodedFrame | null = null;
  private readonly slots = new Map<FieldDef, SinkSlot>();
  /** 802.1ad service tags name their fields differently. */
  private readonly serviceTagSlots = new Map<FieldDef, SinkSlot>();
  /** By the registry's header field list (headerFields returns one array per layer kind and variant). */
  private readonly headerPlans = new Map<readonly FieldDef[], HeaderPlan>();
  private readonly metaEntries: KeyEntry[];
  /** Layers that wrote keys, in frame order: the layer, its index in the frame, where its keys end in the line. */
  private readonly layerRefs: DecodedLayer[] = [];
  private readonly layerIndex: number[] = [];
  private readonly layerEnd: number[] = [];
  private layerCount = 0;
  private layersStart = 0;
  /** Open array keys: the entry, where its `]` is, the frame index of the layer of its last value. */
  private readonly arrayEntry: KeyEntry[] = [];
  private readonly arrayClose: number[] = [];
  private readonly arrayLayer: number[] = [];
  private arrayCount = 0;
  private ackFlag: FieldValue | undefined = undefined;
  private ackRaw: FieldValue | undefined = undefined;

  constructor(
    private readonly writer: NdjsonWriter,
    /** Which fields the decoded layers keep as well (what the caller reads from them afterwards). */
    private readonly keep: (def: FieldDef) => boolean,
  ) {
    this.metaEntries = META_KEYS.map((key) => writer.entry(key));
  }

  /**
   * Opens the frame's object in the writer with its frame.* keys (writeFrameMeta's, frame.time_epoch
   * written from the timestamp's numbers, not `meta.timeEpoch`); decode next with this sink.
   */
  begin(meta: Omit<FrameMeta, 'timeEpoch'> & { len: number; capLen: number }, tsSeconds: number, tsNanos: number): void {
    const writer = this.writer;
    const keys = this.metaEntries;
    writer.begin();
    writer.entryField(keys[0], meta.number);
    writer.nextKey(keys[1]);
    writer.byte(0x22);
    writer.epochText(tsSeconds, tsNanos);
    writer.byte(0x22);
    if (meta.timeRelative !== undefined) writer.entryField(keys[2], meta.timeRelative);
    if (meta.timeDelta !== undefined) writer.entryField(keys[3], meta.timeDelta);
    if (meta.timeDeltaDisplayed !== undefined) writer.entryField(keys[4], meta.timeDeltaDisplayed);
    writer.entryField(keys[5], meta.len);
    writer.entryField(keys[6], meta.capLen);
    this.layersStart = writer.length;
  }

  open(frame: DecodedFrame): void {
    this.frame = frame;
    this.lost = false;
    this.layerCount = 0;
    this.arrayCount = 0;
    this.ackFlag = undefined;
    this.ackRaw = undefined;
    this.layersStart = this.writer.length;
  }

  lose(): void {
    this.lost = true;
  }

  /** The keys after the layers' (the object is left open for the caller's keys). */
  finish(decoded: DecodedFrame): void {
    writeFrameTail(this.writer, decoded, this.ackFlag, this.ackRaw);
  }

  field(layer: DecodedLayer, def: FieldDef, value: FieldValue): boolean {
    const slot = (layer.protocol === 'ieee8021ad' ? this.serviceTagSlots : this.slots).get(def) ?? this.slotOf(layer, def);
    const entry = slot.entry;
    if (layer.quoted || entry === null || this.lost) return slot.keep;
    let at = this.layerCount - 1;
    if (at < 0 || this.layerRefs[at] !== layer) at = this.place(layer);
    if (at < 0) return slot.keep;
    const index = this.layerIndex[at];
    const writer = this.writer;
    if (slot.array) {
      for (let a = 0; a < this.arrayCount; a++) {
        if (this.arrayEntry[a] === entry) {
          this.addToArray(a, index, value);
          return slot.keep;
        }
      }
    }
    if (writer.hasEntry(entry)) {
      // The outer (earlier) layer's value stands; a later layer's written first cannot be undone in place.
      if (entry.owner > index || slot.array) this.lost = true;
      return slot.keep;
    }
    entry.owner = index;
    const from = writer.length;
    writer.nextKey(entry);
    if (slot.array) {
      writer.byte(0x5b);
      writer.scalar(value);
      const close = writer.length - from;
      writer.byte(0x5d);
      const start = this.commit(at, from);
      const a = this.arrayCount++;
      this.arrayEntry[a] = entry;
      this.arrayClose[a] = start + close;
      this.arrayLayer[a] = index;
      return slot.keep;
    }
    writer.scalar(value);
    this.commit(at, from);
    if (slot.role === FieldRole.AckFlag) this.ackFlag = value;
    else if (slot.role === FieldRole.AckRaw) this.ackRaw = value;
    return slot.keep;
  }

  /**
   * `field` for each of a layer's header fields, in one pass over a plan made once per field
   * list: most values are written from the bytes without becoming a value first. Layers that
   * need the general rules (quoted, service tags, array keys, keys moved into an earlier layer)
   * return null, and readHeader calls `field` instead.
   */
  header(layer: DecodedLayer, defs: readonly FieldDef[], bytes: Uint8Array, limit: number): readonly boolean[] | null {
    if (this.lost || layer.quoted || layer.protocol === 'ieee8021ad') return null;
    const plan = this.headerPlans.get(defs) ?? this.planOf(layer, defs);
    if (plan.hasArray) return null;
    if (!plan.hasKey) return plan.keep;
    let at = this.layerCount - 1;
    if (at < 0 || this.layerRefs[at] !== layer) at = this.place(layer);
    if (at < 0 || at !== this.layerCount - 1) return null;
    const index = this.layerIndex[at];
    const writer = this.writer;
    const base = layer.offset;
    const { slots, reads, firstByte, byteLength } = plan;
    for (let i = 0; i < defs.length; i++) {
      const slot = slots[i];
      const entry = slot.entry;
      if (entry === null) continue;
      const first = base + firstByte[i];
      if (first + byteLength[i] > limit) continue;
      if (writer.hasEntry(entry)) {
        // As in `field`: the outer layer's value stands, unless a later layer wrote it first.
        if (entry.owner > index) this.lost = true;
        continue;
      }
      entry.owner = index;
      writer.nextKey(entry);
      switch (reads[i]) {
        case HeaderRead.U8:
          writer.jsonNumber(bytes[first]);
          break;
        case HeaderRead.U16:
          writer.jsonNumber((bytes[first] << 8) | bytes[first + 1]);
          break;
        case HeaderRead.U32:
          writer.jsonNumber(((bytes[first] << 24) | (bytes[first + 1] << 16) | (bytes[first + 2] << 8) | bytes[first + 3]) >>> 0);
          break;
        case HeaderRead.Bit:
          writer.boolean(((bytes[first] >>> (7 - (defs[i].bitOffset & 7))) & 1) !== 0);
          break;
        default: {
          const value = readFieldValue(bytes, defs[i], base, limit)!;
          writer.scalar(value);
          if (slot.role === FieldRole.AckFlag) this.ackFlag = value;
          else if (slot.role === FieldRole.AckRaw) this.ackRaw = value;
        }
      }
    }
    this.layerEnd[at] = writer.length;
    return plan.keep;
  }

  private planOf(layer: DecodedLayer, defs: readonly FieldDef[]): HeaderPlan {
    const slots = defs.map((def) => this.slots.get(def) ?? this.slotOf(layer, def));
    const plan: HeaderPlan = {
      slots,
      reads: defs.map((def, i) => headerRead(def, slots[i].role)),
      firstByte: defs.map((def) => def.bitOffset >>> 3),
      byteLength: defs.map((def) => ((def.bitOffset & 7) + def.bitWidth + 7) >>> 3),
      keep: slots.map((slot) => slot.keep),
      hasArray: slots.some((slot) => slot.array),
      hasKey: slots.some((slot) => slot.entry !== null),
    };
    this.headerPlans.set(defs, plan);
    return plan;
  }

  private slotOf(layer: DecodedLayer, def: FieldDef): SinkSlot {
    const serviceTag = layer.protocol === 'ieee8021ad';
    const key = jsonKey(def, layer.protocol);
    const slot: SinkSlot = {
      entry: key === null ? null : this.writer.entry(key),
      array: def.json === 'array',
      keep: this.keep(def),
      role: key === 'tcp.flags.ack' ? FieldRole.AckFlag : key === 'tcp.ack_raw' ? FieldRole.AckRaw : FieldRole.None,
    };
    (serviceTag ? this.serviceTagSlots : this.slots).set(def, slot);
    return slot;
  }

  /** The position of a layer not yet seen among those that wrote keys (kept in frame order). */
  private place(layer: DecodedLayer): number {
    const count = this.layerCount;
    for (let k = 0; k < count; k++) if (this.layerRefs[k] === layer) return k;
    const index = this.frame === null ? -1 : this.frame.layers.lastIndexOf(layer);
    if (index < 0) {
      this.lost = true;
      return -1;
    }
    let at = count;
    while (at > 0 && this.layerIndex[at - 1] > index) at--;
    for (let k = count; k > at; k--) {
      this.layerRefs[k] = this.layerRefs[k - 1];
      this.layerIndex[k] = this.layerIndex[k - 1];
      this.layerEnd[k] = this.layerEnd[k - 1];
    }
    this.layerRefs[at] = layer;
    this.layerIndex[at] = index;
    this.layerEnd[at] = at > 0 ? this.layerEnd[at - 1] : this.layersStart;
    this.layerCount = count + 1;
    return at;
  }

  /** Puts the bytes written from `from` at the end of layer `at`'s keys; returns where they start. */
  private commit(at: number, from: number): number {
    const writer = this.writer;
    if (at === this.layerCount - 1) {
      this.layerEnd[at] = writer.length;
      return from;
    }
    const position = this.layerEnd[at];
    const moved = writer.length - from;
    writer.moveBack(position, from);
    for (let k = at; k < this.layerCount; k++) this.layerEnd[k] += moved;
    for (let a = 0; a < this.arrayCount; a++) if (this.arrayClose[a] >= position) this.arrayClose[a] += moved;
    return position;
  }

  /** One more value of an array key, at its end (values come in layer order, as the object's arrays gather them). */
  private addToArray(a: number, index: number, value: FieldValue): void {
    if (index < this.arrayLayer[a]) {
      this.lost = true;
      return;
    }
    this.arrayLayer[a] = index;
    const writer = this.writer;
    const from = writer.length;
    writer.byte(0x2c);
    writer.scalar(value);
    const position = this.arrayClose[a];
    const moved = writer.length - from;
    writer.moveBack(position, from);
    for (let k = 0; k < this.layerCount; k++) if (this.layerEnd[k] > position) this.layerEnd[k] += moved;
    for (let b = 0; b < this.arrayCount; b++) if (this.arrayClose[b] >= position) this.arrayClose[b] += moved;
  }
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
