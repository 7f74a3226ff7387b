/**
 * NDJSON straight into one reused byte buffer: the bytes JSON.stringify would give for the
 * same value, without a string per line. Keys are encoded once (`"name":`) and kept in a
 * registry, since the same few hundred field names recur on every frame. The caller hands
 * `bytes[0, length)` to its sink and calls `reset()`; `length` past `flushAt` says when.
 */
import { encodeUtf8 } from '../files/utf8';
import { formatEpoch } from '../files/timestamp';

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const NEWLINE = 0x0a;
const TRUE = new Uint8Array([0x74, 0x72, 0x75, 0x65]);
const FALSE = new Uint8Array([0x66, 0x61, 0x6c, 0x73, 0x65]);
const NULL = new Uint8Array([0x6e, 0x75, 0x6c, 0x6c]);
/** Beyond this many distinct keys the registry stops growing (hostile captures could name many). */
const MAX_KEYS = 4096;

export interface KeyEntry {
  /** `"name":` in UTF-8. */
  readonly bytes: Uint8Array;
  /** The object (by `begin` count) that last wrote this key. */
  stamp: number;
  /** Free for the caller that writes the key (a field sink keeps which layer wrote it). */
  owner: number;
}

const HEX_DIGITS = new Uint8Array([0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66]);

export class NdjsonWriter {
  bytes: Uint8Array;
  length = 0;
  private readonly keys = new Map<string, KeyEntry>();
  /** Keys of the open object that did not fit in the registry. */
  private readonly overflow = new Set<string>();
  private objects = 0;
  private first = true;
  /** Where `moveBack` holds the bytes it moves. */
  private scratch = new Uint8Array(256);

  constructor(initialBytes = 1 << 17) {
    this.bytes = new Uint8Array(initialBytes);
  }

  reset(): void {
    this.length = 0;
  }

  /** Opens an object written key by key with `field`; returns where it starts (for `rewind`). */
  begin(): number {
    const start = this.length;
    this.objects++;
    // Set.clear allocates a new table even when empty: once per frame, that is garbage.
    if (this.overflow.size > 0) this.overflow.clear();
    this.first = true;
    this.byte(0x7b);
    return start;
  }

  /** Whether the open object already has this key. */
  has(name: string): boolean {
    const entry = this.keys.get(name);
    return entry === undefined ? this.overflow.has(name) : entry.stamp === this.objects;
  }

  /** One key and value of the open object (undefined values are skipped, as JSON.stringify does). */
  field(name: string, value: unknown): void {
    if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return;
    if (!this.first) this.byte(COMMA);
    this.first = false;
    this.key(name);
    this.value(value);
  }

  /** `field`, unless the open object already has the key: then nothing is written and it returns false. */
  newField(name: string, value: unknown): boolean {
    const entry = this.keys.get(name);
    if (entry === undefined ? this.overflow.has(name) : entry.stamp === this.objects) return false;
    this.field(name, value);
    return true;
  }

  /** Closes the open object and its line. */
  end(): void {
    this.byte(0x7d);
    this.byte(NEWLINE);
  }

  /** Drops what was written since `start` (an object that has to be written another way). */
  rewind(start: number): void {
    this.length = start;
    this.objects++;
  }

  /** One JSON value and a newline, as `JSON.stringify(value) + '\n'` (a top-level undefined writes nothing). */
  line(value: unknown): void {
    const start = this.length;
    if (!this.value(value)) {
      this.length = start;
      return;
    }
    this.byte(NEWLINE);
  }

  /**
   * A flat object of only the named keys that are present, as `JSON.stringify` of
   * `{ [name]: source(name) }` built in `names` order, skipping undefined.
   */
  pickedLine(names: readonly string[], source: (name: string) => unknown): void {
    this.byte(0x7b);
    let first = true;
    for (const name of names) {
      const value = source(name);
      if (value === undefined || typeof value === 'function') continue;
      if (!first) this.byte(COMMA);
      first = false;
      this.key(name);
      this.value(value);
    }
    this.byte(0x7d);
    this.byte(NEWLINE);
  }

  /** False when the value writes nothing (undefined, a function), as JSON.stringify skips it. */
  private value(value: unknown): boolean {
    switch (typeof value) {
      case 'number':
        this.number(value, true);
        return true;
      case 'string':
        this.string(value);
        return true;
      case 'boolean':
        this.raw(value ? TRUE : FALSE);
        return true;
      case 'undefined':
      case 'function':
      case 'symbol':
        return false;
      case 'bigint':
        throw new TypeError('Do not know how to serialize a BigInt');
      default:
        break;
    }
    if (value === null) {
      this.raw(NULL);
      return true;
    }
    const object = value as { toJSON?: () => unknown };
    if (typeof object.toJSON === 'function') return this.value(object.toJSON());
    if (Array.isArray(value)) {
      this.byte(0x5b);
      for (let i = 0; i < value.length; i++) {
        if (i > 0) this.byte(COMMA);
        if (!this.value(value[i])) this.raw(NULL);
      }
      this.byte(0x5d);
      return true;
    }
    this.byte(0x7b);
    let first = true;
    const record = value as Record<string, unknown>;
    for (const name in record) {
      if (!Object.prototype.hasOwnProperty.call(record, name)) continue;
      const item = record[name];
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
      if (!first) this.byte(COMMA);
      first = false;
      this.key(name);
      this.value(item);
    }
    this.byte(0x7d);
    return true;
  }

  /**
   * A key's registry entry, for a caller that writes the same keys on every object and keeps
   * the entry (registered whatever MAX_KEYS says: callers pass names from a fixed registry).
   */
  entry(name: string): KeyEntry {
    let entry = this.keys.get(name);
    if (entry === undefined) {
      entry = { bytes: encodeUtf8(`${JSON.stringify(name)}:`), stamp: 0, owner: -1 };
      this.keys.set(name, entry);
    }
    return entry;
  }

  /** Whether the open object already has the entry's key. */
  hasEntry(entry: KeyEntry): boolean {
    return entry.stamp === this.objects;
  }

  /** `,"name":` of an entry inside the open object, after its first key. */
  nextKey(entry: KeyEntry): void {
    entry.stamp = this.objects;
    const bytes = entry.bytes;
    const n = bytes.length;
    if (this.length + n + 1 > this.bytes.length) this.reserve(n + 1);
    const out = this.bytes;
    let at = this.length;
    out[at++] = COMMA;
    for (let i = 0; i < n; i++) out[at++] = bytes[i];
    this.length = at;
  }

  /** A key by its entry (after `begin`, first or not) and a decoded field's value. */
  entryField(entry: KeyEntry, value: number | boolean | string | Uint8Array): void {
    if (this.first) {
      this.first = false;
      entry.stamp = this.objects;
      this.raw(entry.bytes);
    } else this.nextKey(entry);
    this.scalar(value);
  }

  /** `entryField`, unless the open object already has the key: then nothing is written and it returns false. */
  newEntryField(entry: KeyEntry, value: number | boolean | string): boolean {
    if (entry.stamp === this.objects) return false;
    this.entryField(entry, value);
    return true;
  }

  /** A number as `JSON.stringify` writes it. */
  jsonNumber(value: number): void {
    this.number(value, true);
  }

  boolean(value: boolean): void {
    this.raw(value ? TRUE : FALSE);
  }

  /** A decoded field's value: numbers, text and booleans as `value`, bytes as tshark's `"aa:bb"` text. */
  scalar(value: number | boolean | string | Uint8Array): void {
    if (typeof value === 'number') this.number(value, true);
    else if (typeof value === 'string') this.string(value);
    else if (typeof value === 'boolean') this.raw(value ? TRUE : FALSE);
    else this.hex(value);
  }

  private hex(bytes: Uint8Array): void {
    const n = bytes.length;
    this.reserve(n * 3 + 2);
    const out = this.bytes;
    let at = this.length;
    out[at++] = QUOTE;
    for (let i = 0; i < n; i++) {
      if (i > 0) out[at++] = COLON;
      out[at++] = HEX_DIGITS[bytes[i] >>> 4];
      out[at++] = HEX_DIGITS[bytes[i] & 15];
    }
    out[at++] = QUOTE;
    this.length = at;
  }

  /** Moves what was written from `from` on to `at` (< from), ahead of the bytes that were there. */
  moveBack(at: number, from: number): void {
    const n = this.length - from;
    if (n > this.scratch.length) this.scratch = new Uint8Array(Math.max(n, this.scratch.length * 2));
    const bytes = this.bytes;
    const scratch = this.scratch;
    // Byte loops: these runs are a few bytes, where a view per copy would cost more.
    for (let i = 0; i < n; i++) scratch[i] = bytes[from + i];
    bytes.copyWithin(at + n, at, from);
    for (let i = 0; i < n; i++) bytes[at + i] = scratch[i];
  }

  private key(name: string): void {
    let entry = this.keys.get(name);
    if (entry === undefined) {
      entry = { bytes: encodeUtf8(`${JSON.stringify(name)}:`), stamp: 0, owner: -1 };
      if (this.keys.size < MAX_KEYS) this.keys.set(name, entry);
      else this.overflow.add(name);
    }
    entry.stamp = this.objects;
    this.raw(entry.bytes);
  }

  private number(value: number, json: boolean): void {
    // Integers are most values: their digits directly, without a string.
    if ((value | 0) === value && value >= 0) {
      this.smallDigits(value);
      return;
    }
    // Sequence numbers and timestamps above 2³¹ too (below 2⁴⁰, where dividing by 10 stays exact).
    if (value > 0 && value < 0x10000000000 && Math.floor(value) === value) {
      this.largeDigits(value);
      return;
    }
    if (json && !Number.isFinite(value)) {
      this.raw(NULL);
      return;
    }
    // Times are whole nanoseconds over 1e9: such a value's shortest text is the nanoseconds' digits
    // (fewer than 16 significant digits name one double), which String() takes far longer to find.
    if (value >= 1e-6 && value < 1e6) {
      const nanos = Math.round(value * 1e9);
      if (nanos / 1e9 === value) {
        this.nanoDecimal(nanos);
        return;
      }
    }
    // A frame's time_delta and time_delta_displayed are usually the same float: format it once.
    if (value !== this.lastFloat) {
      this.lastFloat = value;
      this.lastFloatText = String(value);
    }
    this.ascii(this.lastFloatText);
  }

  private lastFloat = Number.NaN;
  private lastFloatText = '';

  /** `nanos / 1e9` as decimal digits without trailing zeros (0 < nanos < 1e15, not a whole second count). */
  private nanoDecimal(nanos: number): void {
    const whole = Math.floor(nanos / 1e9);
    let fraction = nanos - whole * 1e9;
    this.smallDigits(whole);
    let width = 9;
    while (fraction % 10 === 0) {
      fraction /= 10;
      width--;
    }
    if (this.length + width + 1 > this.bytes.length) this.reserve(width + 1);
    const bytes = this.bytes;
    bytes[this.length] = 0x2e;
    let v = fraction;
    for (let at = this.length + width; at > this.length; at--) {
      const next = (v / 10) | 0;
      bytes[at] = 0x30 + v - next * 10;
      v = next;
    }
    this.length += width + 1;
  }

  /** 2³¹ ≤ value < 2⁴⁰, an integer: the digits above the last eight, then those eight (small-integer arithmetic only). */
  private largeDigits(value: number): void {
    const high = Math.floor(value / 1e8);
    const low = value - high * 1e8;
    this.smallDigits(high);
    if (this.length + 8 > this.bytes.length) this.reserve(8);
    const bytes = this.bytes;
    let v = low;
    for (let at = this.length + 7; at >= this.length; at--) {
      const next = (v / 10) | 0;
      bytes[at] = 0x30 + v - next * 10;
      v = next;
    }
    this.length += 8;
  }

  /** 0 ≤ value < 2³¹. */
  private smallDigits(value: number): void {
    if (this.length + 10 > this.bytes.length) this.reserve(10);
    const bytes = this.bytes;
    if (value < 10) {
      bytes[this.length++] = 0x30 + value;
      return;
    }
    if (value < 100) {
      const tens = (value / 10) | 0;
      bytes[this.length] = 0x30 + tens;
      bytes[this.length + 1] = 0x30 + value - tens * 10;
      this.length += 2;
      return;
    }
    const count = value < 1000 ? 3 : value < 10000 ? 4 : value < 100000 ? 5 : value < 1000000 ? 6 : value < 10000000 ? 7 : value < 100000000 ? 8 : value < 1000000000 ? 9 : 10;
    let at = this.length + count;
    this.length = at;
    let v = value;
    do {
      const next = (v / 10) | 0;
      bytes[--at] = 0x30 + v - next * 10;
      v = next;
    } while (v > 0);
  }

  private string(text: string): void {
    const n = text.length;
    this.reserve(n + 2);
    const bytes = this.bytes;
    const start = this.length;
    let at = start;
    bytes[at++] = QUOTE;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x20 || c === QUOTE || c === 0x5c || c > 0x7e) {
        // Escapes or non-ASCII: JSON.stringify's text, then UTF-8, in place of what was copied.
        this.length = start;
        this.raw(encodeUtf8(JSON.stringify(text)));
        return;
      }
      bytes[at++] = c;
    }
    bytes[at++] = QUOTE;
    this.length = at;
  }

  /** A non-negative integer's digits, or any other number as `String(value)` gives it (a -T fields cell). */
  numberText(value: number): void {
    this.number(value, false);
  }

  /** `formatEpoch(seconds, nanos)` (cli.md's frame.time_epoch, a -T fields cell) as digits, without the string. */
  epochText(seconds: number, nanos: number): void {
    if (!(seconds >= 0 && seconds < 2 ** 31 && (seconds | 0) === seconds && nanos >= 0 && nanos < 1e9 && (nanos | 0) === nanos)) {
      this.ascii(formatEpoch(seconds, nanos));
      return;
    }
    this.smallDigits(seconds);
    if (this.length + 10 > this.bytes.length) this.reserve(10);
    const bytes = this.bytes;
    bytes[this.length] = 0x2e;
    let v = nanos;
    for (let at = this.length + 9; at > this.length; at--) {
      const next = (v / 10) | 0;
      bytes[at] = 0x30 + v - next * 10;
      v = next;
    }
    this.length += 10;
  }

  /** Text that needs no escaping (a number's digits, a -T fields cell); UTF-8 when not ASCII. */
  ascii(text: string): void {
    const n = text.length;
    this.reserve(n);
    const bytes = this.bytes;
    let at = this.length;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c > 0x7f) {
        this.length = at;
        this.raw(encodeUtf8(text.slice(i)));
        return;
      }
      bytes[at++] = c;
    }
    this.length = at;
  }

  /** Bytes already serialized (a line another writer made). */
  append(chunk: Uint8Array): void {
    this.raw(chunk);
  }

  private raw(chunk: Uint8Array): void {
    this.reserve(chunk.length);
    this.bytes.set(chunk, this.length);
    this.length += chunk.length;
  }

  byte(value: number): void {
    if (this.length === this.bytes.length) this.reserve(1);
    this.bytes[this.length++] = value;
  }

  private reserve(count: number): void {
    const needed = this.length + count;
    if (needed <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < needed) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }
}
