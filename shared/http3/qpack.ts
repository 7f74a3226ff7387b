/**
 * QPACK field-section decoding (RFC 9204): the static table (Appendix A), the dynamic table
 * fed by the peer's encoder stream (§3.2, §4.3), and the field lines of a HEADERS frame
 * (§4.5). One `QpackDecoder` per direction: it decodes what one endpoint's encoder sent.
 * Hostile input never throws: a field section that cannot be decoded says why.
 */
import { decodeUtf8 } from '../files/utf8';

export type HuffmanDecoder = (bytes: Uint8Array) => Uint8Array | string;

/** RFC 9204 Appendix A. */
export const QPACK_STATIC_TABLE: readonly (readonly [string, string])[] = [
  [':authority', ''],
  [':path', '/'],
  ['age', '0'],
  ['content-disposition', ''],
  ['content-length', '0'],
  ['cookie', ''],
  ['date', ''],
  ['etag', ''],
  ['if-modified-since', ''],
  ['if-none-match', ''],
  ['last-modified', ''],
  ['link', ''],
  ['location', ''],
  ['referer', ''],
  ['set-cookie', ''],
  [':method', 'CONNECT'],
  [':method', 'DELETE'],
  [':method', 'GET'],
  [':method', 'HEAD'],
  [':method', 'OPTIONS'],
  [':method', 'POST'],
  [':method', 'PUT'],
  [':scheme', 'http'],
  [':scheme', 'https'],
  [':status', '103'],
  [':status', '200'],
  [':status', '304'],
  [':status', '404'],
  [':status', '503'],
  ['accept', '*/*'],
  ['accept', 'application/dns-message'],
  ['accept-encoding', 'gzip, deflate, br'],
  ['accept-ranges', 'bytes'],
  ['access-control-allow-headers', 'cache-control'],
  ['access-control-allow-headers', 'content-type'],
  ['access-control-allow-origin', '*'],
  ['cache-control', 'max-age=0'],
  ['cache-control', 'max-age=2592000'],
  ['cache-control', 'max-age=604800'],
  ['cache-control', 'no-cache'],
  ['cache-control', 'no-store'],
  ['cache-control', 'public, max-age=31536000'],
  ['content-encoding', 'br'],
  ['content-encoding', 'gzip'],
  ['content-type', 'application/dns-message'],
  ['content-type', 'application/javascript'],
  ['content-type', 'application/json'],
  ['content-type', 'application/x-www-form-urlencoded'],
  ['content-type', 'image/gif'],
  ['content-type', 'image/jpeg'],
  ['content-type', 'image/png'],
  ['content-type', 'text/css'],
  ['content-type', 'text/html; charset=utf-8'],
  ['content-type', 'text/plain'],
  ['content-type', 'text/plain;charset=utf-8'],
  ['range', 'bytes=0-'],
  ['strict-transport-security', 'max-age=31536000'],
  ['strict-transport-security', 'max-age=31536000; includesubdomains'],
  ['strict-transport-security', 'max-age=31536000; includesubdomains; preload'],
  ['vary', 'accept-encoding'],
  ['vary', 'origin'],
  ['x-content-type-options', 'nosniff'],
  ['x-xss-protection', '1; mode=block'],
  [':status', '100'],
  [':status', '204'],
  [':status', '206'],
  [':status', '302'],
  [':status', '400'],
  [':status', '403'],
  [':status', '421'],
  [':status', '425'],
  [':status', '500'],
  ['accept-language', ''],
  ['access-control-allow-credentials', 'FALSE'],
  ['access-control-allow-credentials', 'TRUE'],
  ['access-control-allow-headers', '*'],
  ['access-control-allow-methods', 'get'],
  ['access-control-allow-methods', 'get, post, options'],
  ['access-control-allow-methods', 'options'],
  ['access-control-expose-headers', 'content-length'],
  ['access-control-request-headers', 'content-type'],
  ['access-control-request-method', 'get'],
  ['access-control-request-method', 'post'],
  ['alt-svc', 'clear'],
  ['authorization', ''],
  ['content-security-policy', "script-src 'none'; object-src 'none'; base-uri 'none'"],
  ['early-data', '1'],
  ['expect-ct', ''],
  ['forwarded', ''],
  ['if-range', ''],
  ['origin', ''],
  ['purpose', 'prefetch'],
  ['server', ''],
  ['timing-allow-origin', '*'],
  ['upgrade-insecure-requests', '1'],
  ['user-agent', ''],
  ['x-forwarded-for', ''],
  ['x-frame-options', 'deny'],
  ['x-frame-options', 'sameorigin'],
];

/** Per-entry overhead in the table size (§3.2.1). */
const ENTRY_OVERHEAD = 32;
/** A string longer than this is not decoded (far beyond any real header). */
const MAX_STRING = 64 * 1024;
/** Dynamic table capacity honoured at most, whatever the peer sets. */
const MAX_CAPACITY = 1 << 20;

export type HeaderField = readonly [name: string, value: string];

export interface FieldSection {
  fields: HeaderField[];
  /** Why decoding stopped (the fields read so far are kept), or null. */
  error: string | null;
  /** The Required Insert Count was above the inserts seen (§2.1.2): the encoder stream was not (yet) seen. */
  blocked: boolean;
}

class Reader {
  pos: number;
  error: string | null = null;
  constructor(
    readonly bytes: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  /** A prefixed integer (RFC 7541 §5.1) whose prefix is the low `bits` of the current byte. */
  integer(bits: number): number {
    if (this.pos >= this.end) return this.fail('truncated integer');
    const max = (1 << bits) - 1;
    let value = this.bytes[this.pos++] & max;
    if (value < max) return value;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.end) return this.fail('truncated integer');
      const byte = this.bytes[this.pos++];
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if (value > Number.MAX_SAFE_INTEGER || shift > 56) return this.fail('integer too large');
      if ((byte & 0x80) === 0) return value;
    }
  }

  /** A string literal whose Huffman flag is bit `bits` of the current byte and length the low `bits`. */
  string(bits: number, huffman: HuffmanDecoder): string {
    if (this.pos >= this.end) {
      this.fail('truncated string');
      return '';
    }
    const isHuffman = (this.bytes[this.pos] & (1 << bits)) !== 0;
    const length = this.integer(bits);
    if (this.error) return '';
    if (length > this.end - this.pos) {
      this.fail(`truncated string: ${length} bytes run past the end`);
      return '';
    }
    if (length > MAX_STRING) {
      this.fail(`string of ${length} bytes is too long`);
      return '';
    }
    const raw = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    if (!isHuffman) return decodeUtf8(raw, 0, raw.length);
    const decoded = huffman(raw);
    if (typeof decoded === 'string') {
      this.fail(`Huffman: ${decoded}`);
      return '';
    }
    return decodeUtf8(decoded, 0, decoded.length);
  }

  fail(reason: string): number {
    this.error ??= reason;
    this.pos = this.end;
    return 0;
  }
}

/** The dynamic table of one encoder's stream, and the decoding of that encoder's field sections. */
export class QpackDecoder {
  /** Entries oldest first; `dropped` entries were evicted before entries[0]. */
  private entries: HeaderField[] = [];
  private dropped = 0;
  private size = 0;
  private capacity = 0;
  /** Unparsed tail of the encoder stream (an instruction split across STREAM frames). */
  private pending: Uint8Array = new Uint8Array(0);
  /** Why the encoder stream could not be followed, or null. */
  encoderError: string | null = null;

  constructor(
    private readonly huffman: HuffmanDecoder,
    /** SETTINGS_QPACK_MAX_TABLE_CAPACITY the decoding side announced (needed for the Required Insert Count). */
    public maxTableCapacity = 0,
  ) {}

  /** Inserts so far: the absolute index of the next entry. */
  get insertCount(): number {
    return this.dropped + this.entries.length;
  }

  /** Follows encoder stream bytes (after its stream type), in order. */
  encoderStream(data: Uint8Array): void {
    if (this.encoderError) return;
    const bytes = this.pending.length > 0 ? concat(this.pending, data) : data;
    let at = 0;
    while (at < bytes.length) {
      const reader = new Reader(bytes, at, bytes.length);
      const done = this.instruction(reader);
      if (reader.error) {
        if (reader.error.startsWith('truncated')) break; // wait for the rest
        this.encoderError = reader.error;
        return;
      }
      if (!done) return;
      at = reader.pos;
    }
    this.pending = bytes.slice(at);
    if (this.pending.length > MAX_STRING + 16) this.encoderError = 'encoder instruction too long';
  }

  private instruction(reader: Reader): boolean {
    const first = reader.bytes[reader.pos];
    if (first & 0x80) {
      // Insert with Name Reference
      const isStatic = (first & 0x40) !== 0;
      const index = reader.integer(6);
      const value = reader.string(7, this.huffman);
      if (reader.error) return false;
      const name = isStatic ? QPACK_STATIC_TABLE[index]?.[0] : this.byAbsolute(this.insertCount - 1 - index)?.[0];
      if (name === undefined) return !reader.fail(`encoder stream refers to ${isStatic ? 'static' : 'dynamic'} entry ${index}, which does not exist`);
      this.insert([name, value]);
    } else if (first & 0x40) {
      // Insert with Literal Name
      const name = reader.string(5, this.huffman);
      const value = reader.string(7, this.huffman);
      if (reader.error) return false;
      this.insert([name, value]);
    } else if (first & 0x20) {
      const capacity = reader.integer(5);
      if (reader.error) return false;
      this.capacity = Math.min(capacity, MAX_CAPACITY);
      this.evict();
    } else {
      // Duplicate
      const index = reader.integer(5);
      if (reader.error) return false;
      const entry = this.byAbsolute(this.insertCount - 1 - index);
      if (!entry) return !reader.fail(`encoder stream duplicates entry ${index}, which does not exist`);
      this.insert(entry);
    }
    return true;
  }

  private insert(entry: HeaderField): void {
    this.entries.push(entry);
    this.size += entry[0].length + entry[1].length + ENTRY_OVERHEAD;
    this.evict();
  }

  private evict(): void {
    while (this.size > this.capacity && this.entries.length > 0) {
      const [name, value] = this.entries.shift()!;
      this.size -= name.length + value.length + ENTRY_OVERHEAD;
      this.dropped++;
    }
  }

  private byAbsolute(index: number): HeaderField | undefined {
    return index >= this.dropped ? this.entries[index - this.dropped] : undefined;
  }

  /** Decodes one HEADERS frame's payload (an encoded field section, §4.5). */
  decode(bytes: Uint8Array): FieldSection {
    const reader = new Reader(bytes, 0, bytes.length);
    const fields: HeaderField[] = [];
    const encodedInsertCount = reader.integer(8);
    const sign = reader.pos < reader.end && (bytes[reader.pos] & 0x80) !== 0;
    const deltaBase = reader.integer(7);
    if (reader.error) return { fields, error: reader.error, blocked: false };
    const required = this.requiredInsertCount(encodedInsertCount);
    if (typeof required === 'string') return { fields, error: required, blocked: false };
    if (required > this.insertCount) {
      return { fields, error: `needs ${required} dynamic table inserts, ${this.insertCount} seen on the encoder stream`, blocked: true };
    }
    const base = sign ? required - deltaBase - 1 : required + deltaBase;
    const dynamic = (absolute: number, what: string): HeaderField | undefined => {
      const entry = absolute < required ? this.byAbsolute(absolute) : undefined;
      if (!entry) reader.fail(`${what} refers to dynamic entry ${absolute}, which is not in the table`);
      return entry;
    };
    while (reader.pos < reader.end && !reader.error) {
      const first = bytes[reader.pos];
      if (first & 0x80) {
        // Indexed Field Line
        const isStatic = (first & 0x40) !== 0;
        const index = reader.integer(6);
        const entry = isStatic ? QPACK_STATIC_TABLE[index] : dynamic(base - 1 - index, 'indexed field line');
        if (!entry) {
          if (isStatic) reader.fail(`static table has no entry ${index}`);
          break;
        }
        fields.push(entry);
      } else if (first & 0x40) {
        // Literal Field Line with Name Reference
        const isStatic = (first & 0x10) !== 0;
        const index = reader.integer(4);
        const entry = isStatic ? QPACK_STATIC_TABLE[index] : dynamic(base - 1 - index, 'literal field line');
        if (!entry) {
          if (isStatic) reader.fail(`static table has no entry ${index}`);
          break;
        }
        const value = reader.string(7, this.huffman);
        if (reader.error) break;
        fields.push([entry[0], value]);
      } else if (first & 0x20) {
        // Literal Field Line with Literal Name
        const name = reader.string(3, this.huffman);
        const value = reader.string(7, this.huffman);
        if (reader.error) break;
        fields.push([name, value]);
      } else if (first & 0x10) {
        // Indexed Field Line with Post-Base Index
        const entry = dynamic(base + reader.integer(4), 'post-base indexed field line');
        if (!entry) break;
        fields.push(entry);
      } else {
        // Literal Field Line with Post-Base Name Reference
        const entry = dynamic(base + reader.integer(3), 'post-base literal field line');
        if (!entry) break;
        const value = reader.string(7, this.huffman);
        if (reader.error) break;
        fields.push([entry[0], value]);
      }
    }
    return { fields, error: reader.error, blocked: false };
  }

  /** §4.5.1.1. */
  private requiredInsertCount(encoded: number): number | string {
    if (encoded === 0) return 0;
    const maxEntries = Math.floor(this.maxTableCapacity / ENTRY_OVERHEAD);
    const fullRange = 2 * maxEntries;
    if (fullRange === 0 || encoded > fullRange) return `Required Insert Count ${encoded} is impossible with a table capacity of ${this.maxTableCapacity}`;
    const maxValue = this.insertCount + maxEntries;
    const maxWrapped = Math.floor(maxValue / fullRange) * fullRange;
    let required = maxWrapped + encoded - 1;
    if (required > maxValue) {
      if (required <= fullRange) return `Required Insert Count ${encoded} does not decode`;
      required -= fullRange;
    }
    if (required === 0) return `Required Insert Count ${encoded} does not decode`;
    return required;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
