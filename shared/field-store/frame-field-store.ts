/**
 * Per-frame field maps (as display filters read them) kept as compact bytes instead of object
 * graphs, so every frame of a large capture can keep its fields. A record is its shape (the
 * field names, list lengths and value kinds, interned: frames of one kind share it) followed by
 * the values alone; booleans and nulls live in the shape. Short strings that repeat (connection
 * IDs) are interned while the table has room. Frames are appended in increasing order and looked
 * up by binary search.
 */
import type { JsonObject, JsonValue } from '../track/json';

/** Value kinds, as they appear in a shape. */
const enum Tag {
  Null = 0,
  False = 1,
  True = 2,
  Unsigned = 3,
  Negative = 4,
  Double = 5,
  Interned = 6,
  Ascii = 7,
  Utf16 = 8,
  Array = 9,
  Object = 10,
}

/** A decoded shape: what each value's bytes are. */
type Shape = { tag: Exclude<Tag, Tag.Array | Tag.Object> } | { tag: Tag.Array; items: Shape[] } | { tag: Tag.Object; fields: Array<[string, Shape]> };

const CHUNK = 1 << 20;
/** Strings interned at most (each is shared by every frame naming it). */
const MAX_INTERNED = 1 << 16;
const MAX_INTERNED_LENGTH = 64;
/** Shapes kept at most; past them a record's shape is written out in it. */
const MAX_SHAPES = 1 << 16;
/** Shape id 0: the shape follows in the record itself. */
const INLINE_SHAPE = 0;

export class FrameFieldStore {
  private readonly names: string[] = [];
  private readonly nameIds = new Map<string, number>();
  private readonly strings: string[] = [];
  private readonly stringIds = new Map<string, number>();
  /** Shape id - 1 → its parsed form; its encoded text → id. */
  private readonly shapes: Shape[] = [];
  private readonly shapeIds = new Map<string, number>();
  private readonly chunks: Uint8Array[] = [];
  private used = CHUNK;
  private frames = new Int32Array(1024);
  /** chunk index * 2^32 + position in the chunk. */
  private offsets = new Float64Array(1024);
  private count = 0;
  private stored = 0;
  /** The values of the record being encoded (grown as needed), and its shape as bytes. */
  private scratch = new Uint8Array(4096);
  private at = 0;
  private shape: number[] = [];

  constructor(private readonly maxShapes = MAX_SHAPES) {}

  /** Frames with fields. */
  get size(): number {
    return this.count;
  }

  /** Bytes held by the encoded records and the frame table. */
  get bytes(): number {
    return this.stored + this.count * 12;
  }

  /** Keeps frame `frame`'s fields; frames must come in increasing order (a repeated or earlier one is ignored). */
  append(frame: number, fields: JsonObject): void {
    if (this.count > 0 && frame <= this.frames[this.count - 1]) return;
    this.at = 0;
    this.shape = [];
    this.object(fields);
    let key = '';
    for (let i = 0; i < this.shape.length; i += 4096) key += String.fromCharCode(...this.shape.slice(i, i + 4096));
    let shapeId = this.shapeIds.get(key);
    if (shapeId === undefined && this.shapes.length < this.maxShapes) {
      this.position = 0;
      this.source = this.shape;
      this.shapes.push(this.readShape());
      shapeId = this.shapes.length;
      this.shapeIds.set(key, shapeId);
    }
    const head: number[] = [];
    pushVarint(head, shapeId ?? INLINE_SHAPE);
    if (shapeId === undefined) {
      pushVarint(head, this.shape.length);
      head.push(...this.shape);
    }
    const length = head.length + this.at;
    if (this.used + length > CHUNK) {
      this.chunks.push(new Uint8Array(Math.max(CHUNK, length)));
      this.used = 0;
    }
    const chunkIndex = this.chunks.length - 1;
    const chunk = this.chunks[chunkIndex];
    chunk.set(head, this.used);
    chunk.set(this.scratch.subarray(0, this.at), this.used + head.length);
    if (this.count === this.frames.length) {
      const frames = new Int32Array(this.count * 2);
      frames.set(this.frames);
      this.frames = frames;
      const offsets = new Float64Array(this.count * 2);
      offsets.set(this.offsets);
      this.offsets = offsets;
    }
    this.frames[this.count] = frame;
    this.offsets[this.count] = chunkIndex * 2 ** 32 + this.used;
    this.count++;
    this.used += length;
    this.stored += length;
  }

  /** Frame `frame`'s fields, or null when none were kept for it. */
  get(frame: number): JsonObject | null {
    let low = 0;
    let high = this.count - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const found = this.frames[middle];
      if (found === frame) return this.decode(this.offsets[middle]);
      if (found < frame) low = middle + 1;
      else high = middle - 1;
    }
    return null;
  }

  private nameId(name: string): number {
    let id = this.nameIds.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.nameIds.set(name, id);
    }
    return id;
  }

  private ensure(extra: number): void {
    if (this.at + extra <= this.scratch.length) return;
    const grown = new Uint8Array(Math.max(this.scratch.length * 2, this.at + extra));
    grown.set(this.scratch.subarray(0, this.at));
    this.scratch = grown;
  }

  /** LEB128 of a non-negative integer up to 2^53, into the values. */
  private varint(value: number): void {
    this.ensure(8);
    while (value >= 0x80) {
      this.scratch[this.at++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.scratch[this.at++] = value;
  }

  private object(fields: JsonObject): void {
    const keys = Object.keys(fields);
    pushVarint(this.shape, keys.length);
    for (const key of keys) {
      pushVarint(this.shape, this.nameId(key));
      this.value(fields[key]);
    }
  }

  private value(value: JsonValue | undefined): void {
    if (value === null || value === undefined) return void this.shape.push(Tag.Null);
    if (value === true) return void this.shape.push(Tag.True);
    if (value === false) return void this.shape.push(Tag.False);
    if (typeof value === 'number') {
      if (Number.isSafeInteger(value) && !Object.is(value, -0)) {
        this.shape.push(value >= 0 ? Tag.Unsigned : Tag.Negative);
        return this.varint(Math.abs(value));
      }
      this.shape.push(Tag.Double);
      this.ensure(8);
      new DataView(this.scratch.buffer, this.scratch.byteOffset + this.at, 8).setFloat64(0, value);
      this.at += 8;
      return;
    }
    if (typeof value === 'string') return this.string(value);
    if (Array.isArray(value)) {
      this.shape.push(Tag.Array);
      pushVarint(this.shape, value.length);
      for (const item of value) this.value(item);
      return;
    }
    this.shape.push(Tag.Object);
    this.object(value);
  }

  private string(text: string): void {
    if (text.length <= MAX_INTERNED_LENGTH) {
      let id = this.stringIds.get(text);
      if (id === undefined && this.strings.length < MAX_INTERNED) {
        id = this.strings.length;
        this.strings.push(text);
        this.stringIds.set(text, id);
      }
      if (id !== undefined) {
        this.shape.push(Tag.Interned);
        return this.varint(id);
      }
    }
    let ascii = true;
    for (let i = 0; i < text.length && ascii; i++) ascii = text.charCodeAt(i) < 0x80;
    this.shape.push(ascii ? Tag.Ascii : Tag.Utf16);
    this.varint(text.length);
    this.ensure(text.length * (ascii ? 1 : 2));
    for (let i = 0; i < text.length; i++) {
      const unit = text.charCodeAt(i);
      if (ascii) this.scratch[this.at++] = unit;
      else {
        this.scratch[this.at++] = unit >>> 8;
        this.scratch[this.at++] = unit & 0xff;
      }
    }
  }

  // ------------------------------------------------------------------ decoding

  /** What is being read: a record's bytes, or a shape's (an array of byte values). */
  private source: ArrayLike<number> = [];
  private position = 0;

  private readVarint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = this.source[this.position++];
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
    }
  }

  /** An object's shape, from `source` at `position`. */
  private readShape(): Shape & { tag: Tag.Object } {
    const fields: Array<[string, Shape]> = [];
    const count = this.readVarint();
    for (let k = 0; k < count; k++) {
      const name = this.names[this.readVarint()];
      fields.push([name, this.readValueShape()]);
    }
    return { tag: Tag.Object, fields };
  }

  private readValueShape(): Shape {
    const tag = this.source[this.position++] as Tag;
    if (tag === Tag.Object) return this.readShape();
    if (tag !== Tag.Array) return { tag };
    const items: Shape[] = [];
    const length = this.readVarint();
    for (let i = 0; i < length; i++) items.push(this.readValueShape());
    return { tag, items };
  }

  private decode(offset: number): JsonObject {
    const bytes = this.chunks[Math.floor(offset / 2 ** 32)];
    this.source = bytes;
    this.position = offset % 2 ** 32;
    const shapeId = this.readVarint();
    let shape: Shape;
    if (shapeId === INLINE_SHAPE) {
      const length = this.readVarint();
      const valuesAt = this.position + length;
      shape = this.readShape();
      this.position = valuesAt;
    } else {
      shape = this.shapes[shapeId - 1];
    }
    return this.readValue(bytes, shape) as JsonObject;
  }

  private readValue(bytes: Uint8Array, shape: Shape): JsonValue {
    switch (shape.tag) {
      case Tag.Null:
        return null;
      case Tag.False:
        return false;
      case Tag.True:
        return true;
      case Tag.Unsigned:
        return this.readVarint();
      case Tag.Negative:
        return -this.readVarint();
      case Tag.Double: {
        const value = new DataView(bytes.buffer, bytes.byteOffset + this.position, 8).getFloat64(0);
        this.position += 8;
        return value;
      }
      case Tag.Interned:
        return this.strings[this.readVarint()];
      case Tag.Ascii:
      case Tag.Utf16: {
        const length = this.readVarint();
        let text = '';
        for (let i = 0; i < length; i++) {
          const unit = shape.tag === Tag.Ascii ? bytes[this.position++] : (bytes[this.position++] << 8) | bytes[this.position++];
          text += String.fromCharCode(unit);
        }
        return text;
      }
      case Tag.Array:
        return shape.items.map((item) => this.readValue(bytes, item));
      case Tag.Object: {
        const out: JsonObject = {};
        for (const [name, field] of shape.fields) out[name] = this.readValue(bytes, field);
        return out;
      }
    }
  }
}

function pushVarint(out: number[], value: number): void {
  while (value >= 0x80) {
    out.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  out.push(value);
}
