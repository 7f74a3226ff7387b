/**
 * TLS ClientHello / ServerHello parsing (RFC 8446 §4.1.2–4.1.3, RFC 6066 SNI, RFC 7301 ALPN)
 * and a bounded collector that rebuilds the start of one direction of a byte stream so a
 * hello split across segments or records can be read. Transport-neutral on purpose: QUIC
 * CRYPTO frames carry the same handshake messages.
 *
 * Hostile input never throws: every read is bounds-checked, and a structure that does not
 * fit gives up on that stream instead of guessing.
 */

import { decodeUtf8 } from '../files/utf8';

export const TlsHandshakeType = { CLIENT_HELLO: 1, SERVER_HELLO: 2 } as const;

const RECORD_CHANGE_CIPHER_SPEC = 20;
const RECORD_HANDSHAKE = 22;
const RECORD_HEADER = 5;
const HANDSHAKE_HEADER = 4;
const EXT_SERVER_NAME = 0;
const EXT_ALPN = 16;
const EXT_SUPPORTED_VERSIONS = 43;
const NO_BYTES = new Uint8Array(0);

export interface TlsHello {
  /** 1 = ClientHello, 2 = ServerHello. */
  type: number;
  legacyVersion: number;
  /** SNI host_name (ClientHello), else null. */
  serverName: string | null;
  /** ALPN protocols: offered (ClientHello) or the one selected (ServerHello). */
  alpn: string[];
  /** supported_versions: offered (ClientHello) or the one selected (ServerHello). */
  supportedVersions: number[];
  /** Cipher suites: offered (ClientHello) or the one selected (ServerHello). */
  cipherSuites: number[];
}

/** Bounds-checked big-endian reads over one message; `ok` turns false on the first overrun. */
class Cursor {
  ok = true;
  constructor(
    private readonly bytes: Uint8Array,
    public pos: number,
    public readonly end: number,
  ) {}
  has(n: number): boolean {
    if (this.pos + n > this.end) this.ok = false;
    return this.ok;
  }
  u8(): number {
    return this.has(1) ? this.bytes[this.pos++] : 0;
  }
  u16(): number {
    if (!this.has(2)) return 0;
    const v = (this.bytes[this.pos] << 8) | this.bytes[this.pos + 1];
    this.pos += 2;
    return v;
  }
  skip(n: number): void {
    if (this.has(n)) this.pos += n;
  }
  /** A sub-cursor over the next n bytes, and skip them here. */
  take(n: number): Cursor {
    const sub = new Cursor(this.bytes, this.pos, this.has(n) ? this.pos + n : this.pos);
    if (!this.ok) sub.ok = false;
    else this.pos += n;
    return sub;
  }
  text(n: number): string {
    if (!this.has(n)) return '';
    const s = decodeUtf8(this.bytes, this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
}

/**
 * Parses the body of a ClientHello (type 1) or ServerHello (type 2) handshake message.
 * Returns null when the body does not hold a well-formed hello.
 */
export function parseHello(type: number, body: Uint8Array, offset: number, length: number): TlsHello | null {
  if (type !== TlsHandshakeType.CLIENT_HELLO && type !== TlsHandshakeType.SERVER_HELLO) return null;
  const isClient = type === TlsHandshakeType.CLIENT_HELLO;
  const c = new Cursor(body, offset, Math.min(offset + length, body.length));
  const hello: TlsHello = { type, legacyVersion: c.u16(), serverName: null, alpn: [], supportedVersions: [], cipherSuites: [] };
  c.skip(32); // random
  c.skip(c.u8()); // legacy_session_id
  if (isClient) {
    const suites = c.take(c.u16());
    while (suites.ok && suites.pos + 2 <= suites.end) hello.cipherSuites.push(suites.u16());
    if (!suites.ok) return null;
    c.skip(c.u8()); // legacy_compression_methods
  } else {
    hello.cipherSuites.push(c.u16());
    c.skip(1); // legacy_compression_method
  }
  if (!c.ok) return null;
  if (c.pos + 2 > c.end) return hello; // no extensions (allowed before TLS 1.3)
  const extensions = c.take(c.u16());
  while (extensions.ok && extensions.pos + 4 <= extensions.end) {
    const extType = extensions.u16();
    const ext = extensions.take(extensions.u16());
    if (!ext.ok) return null;
    if (extType === EXT_SERVER_NAME && isClient) {
      const list = ext.take(ext.u16());
      while (list.ok && list.pos + 3 <= list.end) {
        const nameType = list.u8();
        const name = list.text(list.u16());
        if (nameType === 0 && hello.serverName === null && list.ok) hello.serverName = name;
      }
    } else if (extType === EXT_ALPN) {
      const list = ext.take(ext.u16());
      while (list.ok && list.pos + 1 <= list.end) {
        const protocol = list.text(list.u8());
        if (list.ok) hello.alpn.push(protocol);
      }
    } else if (extType === EXT_SUPPORTED_VERSIONS) {
      if (isClient) {
        const list = ext.take(ext.u8());
        while (list.ok && list.pos + 2 <= list.end) hello.supportedVersions.push(list.u16());
      } else {
        const selected = ext.u16();
        if (ext.ok) hello.supportedVersions.push(selected);
      }
    }
  }
  return extensions.ok ? hello : null;
}

/** What one `push` completed: the handshake message types finished by these bytes, and a hello if one was. */
export interface TlsPushResult {
  handshakeTypes: number[];
  hello: TlsHello | null;
}

/**
 * Adds [start, end) to a sorted list of disjoint byte ranges (flat: start, end, start, end …),
 * merging what overlaps or touches; returns the new list. Stream reassembly, TCP's and QUIC's.
 */
export function mergeRange(ranges: readonly number[], start: number, end: number): number[] {
  const merged: number[] = [];
  let s = start;
  let e = end;
  let placed = false;
  for (let i = 0; i < ranges.length; i += 2) {
    const rangeStart = ranges[i];
    const rangeEnd = ranges[i + 1];
    if (rangeEnd < s) merged.push(rangeStart, rangeEnd);
    else if (rangeStart > e) {
      if (!placed) merged.push(s, e);
      placed = true;
      merged.push(rangeStart, rangeEnd);
    } else {
      s = Math.min(s, rangeStart);
      e = Math.max(e, rangeEnd);
    }
  }
  if (!placed) merged.push(s, e);
  return merged;
}
/**
 * Rebuilds the first `limit` bytes of one direction of a TCP stream (in sequence order,
 * tolerant of retransmissions and out-of-order segments), then walks TLS records and the
 * handshake messages inside them, across record boundaries, until the hello is found.
 */
export class TlsStreamCollector {
  private buffer: Uint8Array;
  /** Received byte ranges [start, end) in stream offsets, sorted and merged. */
  private ranges: number[] = [];
  private contiguous = 0;
  private recordPos = 0;
  private handshake: Uint8Array;
  private handshakeLength = 0;
  private handshakePos = 0;
  /** True once the hello is found or the stream is not TLS; later pushes are ignored. */
  finished = false;
  hello: TlsHello | null = null;

  constructor(private readonly limit: number) {
    // Allocated only when a hello does not come whole in the stream's first segment (see `direct`).
    this.buffer = NO_BYTES;
    this.handshake = NO_BYTES;
  }

  /** A copy of `array` with room for `needed` bytes (doubling from 2 KiB, where most hellos fit; capped at the limit). */
  private roomFor(array: Uint8Array, needed: number): Uint8Array {
    if (needed <= array.length) return array;
    let size = Math.max(array.length, 2048);
    while (size < needed) size *= 2;
    const bigger = new Uint8Array(Math.min(size, this.limit));
    bigger.set(array);
    return bigger;
  }

  /**
   * The usual case, read in place: the stream's first segment starts with a whole handshake
   * record whose first message is a whole hello. Gives what `parse` would give from a copy
   * (the types of the record's whole messages, and the hello), or null to take the general path.
   */
  private direct(bytes: Uint8Array, from: number, to: number): TlsPushResult | null {
    if (to - from < RECORD_HEADER + HANDSHAKE_HEADER || bytes[from] !== RECORD_HANDSHAKE || bytes[from + 1] !== 3) return null;
    const recordEnd = from + RECORD_HEADER + ((bytes[from + 3] << 8) | bytes[from + 4]);
    if (recordEnd > to || recordEnd - from > this.limit) return null;
    const first = from + RECORD_HEADER;
    const type = bytes[first];
    const length = (bytes[first + 1] << 16) | (bytes[first + 2] << 8) | bytes[first + 3];
    if (first + HANDSHAKE_HEADER + length > recordEnd) return null;
    const hello = parseHello(type, bytes, first + HANDSHAKE_HEADER, length);
    if (hello === null) return null;
    const handshakeTypes: number[] = [];
    for (let at = first; at + HANDSHAKE_HEADER <= recordEnd; ) {
      const messageEnd = at + HANDSHAKE_HEADER + ((bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]);
      if (messageEnd > recordEnd) break;
      handshakeTypes.push(bytes[at]);
      at = messageEnd;
    }
    this.hello = hello;
    this.finished = true;
    return { handshakeTypes, hello };
  }

  /** Adds `bytes[from, to)` found at stream offset `streamOffset` (0 = first payload byte). */
  push(streamOffset: number, bytes: Uint8Array, from: number, to: number): TlsPushResult | null {
    if (this.finished || to <= from) return null;
    if (streamOffset === 0 && this.ranges.length === 0) {
      const result = this.direct(bytes, from, to);
      if (result !== null) return result;
    }
    const start = Math.max(streamOffset, 0);
    const end = Math.min(streamOffset + (to - from), this.limit);
    if (end <= start) {
      if (streamOffset >= this.limit) this.finished = true;
      return null;
    }
    this.buffer = this.roomFor(this.buffer, end);
    this.buffer.set(bytes.subarray(from + (start - streamOffset), from + (end - streamOffset)), start);
    this.addRange(start, end);
    const result = this.parse();
    if (!this.finished && this.contiguous >= this.limit) this.finished = true; // hello larger than the budget
    return result;
  }

  private addRange(start: number, end: number): void {
    const merged = mergeRange(this.ranges, start, end);
    this.ranges = merged;
    this.contiguous = merged[0] === 0 ? merged[1] : 0;
  }

  private parse(): TlsPushResult | null {
    let result: TlsPushResult | null = null;
    // Records: type(1) version(2) length(2) fragment.
    while (!this.finished && this.recordPos + RECORD_HEADER <= this.contiguous) {
      const type = this.buffer[this.recordPos];
      const major = this.buffer[this.recordPos + 1];
      const length = (this.buffer[this.recordPos + 3] << 8) | this.buffer[this.recordPos + 4];
      if (major !== 3 || (type !== RECORD_HANDSHAKE && type !== RECORD_CHANGE_CIPHER_SPEC)) {
        this.finished = true; // not TLS, or the handshake ended without a hello we can read
        break;
      }
      if (this.recordPos + RECORD_HEADER + length > this.contiguous) break;
      if (type === RECORD_HANDSHAKE) {
        const from = this.recordPos + RECORD_HEADER;
        this.handshake = this.roomFor(this.handshake, this.handshakeLength + length);
        this.handshake.set(this.buffer.subarray(from, from + length), this.handshakeLength);
        this.handshakeLength += length;
      }
      this.recordPos += RECORD_HEADER + length;
      // Handshake messages: type(1) length(3) body, possibly spanning records.
      while (this.handshakePos + HANDSHAKE_HEADER <= this.handshakeLength) {
        const hsType = this.handshake[this.handshakePos];
        const hsLength =
          (this.handshake[this.handshakePos + 1] << 16) | (this.handshake[this.handshakePos + 2] << 8) | this.handshake[this.handshakePos + 3];
        if (this.handshakePos + HANDSHAKE_HEADER + hsLength > this.handshakeLength) break;
        result ??= { handshakeTypes: [], hello: null };
        result.handshakeTypes.push(hsType);
        if (hsType === TlsHandshakeType.CLIENT_HELLO || hsType === TlsHandshakeType.SERVER_HELLO) {
          const hello = parseHello(hsType, this.handshake, this.handshakePos + HANDSHAKE_HEADER, hsLength);
          if (hello && !this.hello) {
            this.hello = hello;
            result.hello = hello;
          }
        }
        this.handshakePos += HANDSHAKE_HEADER + hsLength;
      }
      if (this.hello) this.finished = true; // later messages (TLS 1.3: encrypted) are out of scope
    }
    return result;
  }
}

const VERSION_NAMES: Record<number, string> = {
  0x0300: 'SSL 3.0',
  0x0301: 'TLS 1.0',
  0x0302: 'TLS 1.1',
  0x0303: 'TLS 1.2',
  0x0304: 'TLS 1.3',
};

/** "TLS 1.3" for known versions, "0x7a7a" (e.g. GREASE) otherwise. */
export function tlsVersionName(version: number): string {
  return VERSION_NAMES[version] ?? `0x${version.toString(16).padStart(4, '0')}`;
}

const CIPHER_NAMES: Record<number, string> = {
  0x1301: 'TLS_AES_128_GCM_SHA256',
  0x1302: 'TLS_AES_256_GCM_SHA384',
  0x1303: 'TLS_CHACHA20_POLY1305_SHA256',
  0x1304: 'TLS_AES_128_CCM_SHA256',
  0x1305: 'TLS_AES_128_CCM_8_SHA256',
  0xc02b: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  0xc02c: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  0xc02f: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  0xc030: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  0xcca8: 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
  0xcca9: 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
  0x009c: 'TLS_RSA_WITH_AES_128_GCM_SHA256',
  0x009d: 'TLS_RSA_WITH_AES_256_GCM_SHA384',
  0x002f: 'TLS_RSA_WITH_AES_128_CBC_SHA',
  0x0035: 'TLS_RSA_WITH_AES_256_CBC_SHA',
};

/** IANA name for common suites, "0x1301"-style hex otherwise. */
export function tlsCipherName(suite: number): string {
  return CIPHER_NAMES[suite] ?? `0x${suite.toString(16).padStart(4, '0')}`;
}
