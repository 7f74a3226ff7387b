/**
 * Messages that carry Float64Array columns (a stream graph's ~2 million numbers) cross the
 * browser host's WebSocket as one binary frame instead of JSON text: printing and parsing that
 * many numbers as decimal text cost seconds; copying their bytes costs milliseconds.
 * (Electron's IPC needs none of this: structured clone keeps typed arrays as they are.)
 *
 * Frame: "HSB1", u32 LE header length, the header (JSON, ASCII only), zero padding to a multiple
 * of 8, then each column's bytes (little-endian doubles) in order. In the header each column is
 * replaced by {"$f64": [offset from the first column's start, element count]}.
 */

const MAGIC = [0x48, 0x53, 0x42, 0x31]; // "HSB1"
const COLUMN_KEY = '$f64';
/**
 * The header's ASCII bytes through TextEncoder/TextDecoder where the platform has them (Node and
 * browsers do; they are outside the ES2022 core shared/ is written against): for a table's 1.5 MB
 * header, String.fromCharCode over chunks took 50–270 ms and TextDecoder 10–20 ms.
 */
interface AsciiCodecs {
  TextEncoder?: new () => { encodeInto(text: string, into: Uint8Array): unknown };
  TextDecoder?: new (label: string) => { decode(bytes: Uint8Array): string };
}
const codecs = globalThis as AsciiCodecs;
const textEncoder = codecs.TextEncoder ? new codecs.TextEncoder() : null;
const textDecoder = codecs.TextDecoder ? new codecs.TextDecoder('utf-8') : null;
/** Columns are read as host-order doubles: every platform the workbench runs on is little-endian. */
const LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

export class BinaryMessageError extends Error {
  constructor(reason: string) {
    super(`binary message: ${reason}`);
    this.name = 'BinaryMessageError';
  }
}

/**
 * True when the value holds a Float64Array in its objects (then it travels as a binary frame).
 * Arrays are not searched: columns live in a result's objects, and a long row list stays cheap to check.
 */
export function hasColumns(value: unknown, depth = 0): boolean {
  if (value instanceof Float64Array) return true;
  if (value === null || typeof value !== 'object' || Array.isArray(value) || depth > 6) return false;
  for (const key of Object.keys(value)) if (hasColumns((value as Record<string, unknown>)[key], depth + 1)) return true;
  return false;
}

export function encodeBinaryMessage(message: unknown): Uint8Array {
  const columns: Float64Array[] = [];
  let offset = 0;
  // Columns are swapped for markers in a copy of the objects (arrays are not searched, as in
  // hasColumns), so JSON.stringify runs without a replacer: a replacer is called for every value,
  // and a conversation table's 50,000 address names made that cost hundreds of milliseconds.
  const withMarkers = (value: unknown, depth: number): unknown => {
    if (value instanceof Float64Array) {
      columns.push(value);
      const marker = { [COLUMN_KEY]: [offset, value.length] };
      offset += value.byteLength;
      return marker;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value) || depth > 16) return value;
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(value)) copy[key] = withMarkers((value as Record<string, unknown>)[key], depth + 1);
    return copy;
  };
  const json = JSON.stringify(withMarkers(message, 0));
  // The header as ASCII: a character beyond it becomes a \uXXXX escape, which JSON.parse reads back.
  const ascii = json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const headerLength = ascii.length;
  const start = Math.ceil((8 + headerLength) / 8) * 8;
  const out = new Uint8Array(start + offset);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(4, headerLength, true);
  if (textEncoder) textEncoder.encodeInto(ascii, out.subarray(8, 8 + headerLength));
  else for (let i = 0; i < headerLength; i++) out[8 + i] = ascii.charCodeAt(i);
  let at = start;
  for (const column of columns) {
    const bytes = new Uint8Array(column.buffer, column.byteOffset, column.byteLength);
    if (LITTLE_ENDIAN) out.set(bytes, at);
    else {
      const view = new DataView(out.buffer, at, column.byteLength);
      for (let i = 0; i < column.length; i++) view.setFloat64(i * 8, column[i], true);
    }
    at += column.byteLength;
  }
  return out;
}

/** The message a binary frame holds, its columns as Float64Arrays; throws BinaryMessageError on a malformed frame. */
export function decodeBinaryMessage(frame: Uint8Array): unknown {
  if (frame.length < 8 || MAGIC.some((b, i) => frame[i] !== b)) throw new BinaryMessageError('not a workbench binary frame');
  const headerLength = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(4, true);
  if (8 + headerLength > frame.length) throw new BinaryMessageError('header runs past the end');
  const start = Math.ceil((8 + headerLength) / 8) * 8;
  const dataLength = frame.length - Math.min(start, frame.length);
  const headerBytes = frame.subarray(8, 8 + headerLength);
  let header = '';
  if (textDecoder) header = textDecoder.decode(headerBytes);
  else for (let i = 0; i < headerLength; i += 8192) header += String.fromCharCode(...headerBytes.subarray(i, i + 8192));
  // A view when the columns are aligned (as a WebSocket's ArrayBuffer is), else one copy.
  const aligned = (frame.byteOffset + start) % 8 === 0 && LITTLE_ENDIAN;
  const data = aligned ? null : new DataView(frame.buffer, frame.byteOffset + Math.min(start, frame.length), dataLength);
  const column = (ref: unknown): Float64Array => {
    if (!Array.isArray(ref) || ref.length !== 2) throw new BinaryMessageError('bad column reference');
    const [at, count] = ref as unknown[];
    if (typeof at !== 'number' || typeof count !== 'number' || !Number.isSafeInteger(at) || !Number.isSafeInteger(count) || at < 0 || count < 0 || at % 8 !== 0 || at + count * 8 > dataLength) {
      throw new BinaryMessageError('column outside the frame');
    }
    if (!data) return new Float64Array(frame.buffer, frame.byteOffset + start + at, count);
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) out[i] = data.getFloat64(at + i * 8, true);
    return out;
  };
  // Markers are swapped back in the parsed objects (not in arrays, where none are put): a reviver
  // would be called for every value of a long name list.
  const restore = (value: unknown, depth: number): unknown => {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || depth > 16) return value;
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    if (keys.length === 1 && keys[0] === COLUMN_KEY) return column(record[COLUMN_KEY]);
    for (const key of keys) record[key] = restore(record[key], depth + 1);
    return record;
  };
  return restore(JSON.parse(header) as unknown, 0);
}
