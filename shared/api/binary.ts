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
const HEX = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
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
  const json = JSON.stringify(message, (_key, v: unknown) => {
    if (!(v instanceof Float64Array)) return v;
    columns.push(v);
    const marker = { [COLUMN_KEY]: [offset, v.length] };
    offset += v.byteLength;
    return marker;
  });
  // The header as ASCII: a character beyond it becomes a \uXXXX escape (6 bytes), which JSON.parse reads back.
  let headerLength = json.length;
  for (let i = 0; i < json.length; i++) if (json.charCodeAt(i) > 0x7f) headerLength += 5;
  const start = Math.ceil((8 + headerLength) / 8) * 8;
  const out = new Uint8Array(start + offset);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(4, headerLength, true);
  for (let i = 0, at = 8; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c <= 0x7f) {
      out[at++] = c;
      continue;
    }
    out[at++] = 0x5c; // \
    out[at++] = 0x75; // u
    for (let shift = 12; shift >= 0; shift -= 4) out[at++] = HEX[(c >> shift) & 0xf];
  }
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
  let header = '';
  for (let i = 0; i < headerLength; i += 8192) header += String.fromCharCode(...frame.subarray(8 + i, 8 + Math.min(headerLength, i + 8192)));
  // A view when the columns are aligned (as a WebSocket's ArrayBuffer is), else one copy.
  const aligned = (frame.byteOffset + start) % 8 === 0 && LITTLE_ENDIAN;
  const data = aligned ? null : new DataView(frame.buffer, frame.byteOffset + Math.min(start, frame.length), dataLength);
  return JSON.parse(header, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const keys = Object.keys(v);
    if (keys.length !== 1 || keys[0] !== COLUMN_KEY) return v;
    const ref = (v as Record<string, unknown>)[COLUMN_KEY];
    if (!Array.isArray(ref) || ref.length !== 2) throw new BinaryMessageError('bad column reference');
    const [at, count] = ref as unknown[];
    if (typeof at !== 'number' || typeof count !== 'number' || !Number.isSafeInteger(at) || !Number.isSafeInteger(count) || at < 0 || count < 0 || at % 8 !== 0 || at + count * 8 > dataLength) {
      throw new BinaryMessageError('column outside the frame');
    }
    if (!data) return new Float64Array(frame.buffer, frame.byteOffset + start + at, count);
    const column = new Float64Array(count);
    for (let i = 0; i < count; i++) column[i] = data.getFloat64(at + i * 8, true);
    return column;
  });
}
