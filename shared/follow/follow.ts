/**
 * Follow Stream: one TCP connection's payload, its decrypted TLS application data, one
 * HTTP/2 stream's content, one UDP conversation's datagrams, one QUIC stream's data or one
 * HTTP/3 request stream, as the ordered turns both peers took, and the text tshark's
 * `-z follow,PROTO,MODE,…` prints for it (ascii, hex or raw). Feed it what the pipeline
 * gives each frame of the connection, in capture order.
 */
import { StreamAssembler } from '../reassembly/tcp-stream';
import type { Http2Item } from '../http/dissector';
import type { Http3FrameInfo } from '../http3/session';
import { readVarint } from '../quic/varint';

export type FollowKind = 'tcp' | 'tls' | 'http2' | 'udp' | 'quic' | 'http3';
export type FollowFormat = 'ascii' | 'hex' | 'raw';

export interface FollowChunk {
  fromClient: boolean;
  /** The frame that carried (or completed) these bytes, and its time in seconds since the epoch. */
  frame: number;
  time: number;
  bytes: Uint8Array;
}

export interface FollowedStream {
  kind: FollowKind;
  /** tcp.stream; udp.stream for 'udp'; the QUIC connection number (quic.connection.number) for 'quic' and 'http3'. */
  stream: number;
  /** HTTP/2 stream id for kind 'http2'. */
  http2Stream: number | null;
  /** QUIC stream id for kinds 'quic' and 'http3'. */
  quicStream: number | null;
  /**
   * "address:port" of the client (node 0) and the server (node 1); empty before any frame. For
   * UDP, node 0 is the sender of the conversation's first datagram, as in tshark.
   */
  client: string;
  server: string;
  chunks: FollowChunk[];
  clientBytes: number;
  serverBytes: number;
  /** Set when the bytes went past the limit and later ones were left out. */
  truncated: boolean;
}

/** Bytes kept per followed stream (a live capture or a huge transfer stops growing it here). */
export const MAX_FOLLOW_BYTES = 256 * 1024 * 1024;

export class StreamFollower {
  readonly result: FollowedStream;
  private readonly assemblers: [StreamAssembler, StreamAssembler];
  /** HTTP/3: each direction's frames, read from its in-order stream bytes. */
  private readonly http3Readers: [Http3FrameReader, Http3FrameReader] = [new Http3FrameReader(), new Http3FrameReader()];

  constructor(kind: FollowKind, stream: number, http2Stream: number | null = null, quicStream: number | null = null) {
    this.result = { kind, stream, http2Stream, quicStream, client: '', server: '', chunks: [], clientBytes: 0, serverBytes: 0, truncated: false };
    // A QUIC stream starts at offset 0 (fed as position 1): data seen before its start waits for it.
    const quic = kind === 'quic' || kind === 'http3';
    this.assemblers = [new StreamAssembler(quic ? () => false : null), new StreamAssembler(quic ? () => false : null)];
  }

  /** A TCP segment's payload (kind 'tcp'), with its relative sequence number: reordered and de-duplicated. */
  tcp(fromClient: boolean, seq: number, payload: Uint8Array, frame: number, time: number): void {
    this.assemblers[fromClient ? 0 : 1].push(seq, payload, (bytes) => this.add(fromClient, bytes, frame, time));
  }

  /** Decrypted application data of the TLS records a frame completed (kind 'tls'), one chunk per record. */
  tls(fromClient: boolean, appData: readonly Uint8Array[], frame: number, time: number): void {
    for (const bytes of appData) if (bytes.length > 0) this.add(fromClient, bytes, frame, time);
  }

  /**
   * The HTTP/2 frames a frame completed (kind 'http2'): the followed stream's header lists, in
   * tshark's representation (each name and value after its 4-byte length), and its other
   * frames (DATA, RST_STREAM, WINDOW_UPDATE…) whole, header included, as tshark shows them.
   */
  http2(items: readonly Http2Item[], frame: number, time: number): void {
    for (const item of items) {
      if (item.kind !== 'frame' || item.frame.streamId !== this.result.http2Stream) continue;
      const f = item.frame;
      if (f.type === 1 || f.type === 5 || f.type === 9) {
        if (f.block && !f.block.error && f.block.fields.length > 0) this.add(f.fromClient, serializeHeaders(f.block.fields), frame, time);
      } else if (f.raw) this.add(f.fromClient, f.raw, frame, time);
    }
  }

  /** One UDP datagram's payload (kind 'udp'): one turn each, as tshark shows them. */
  udp(fromClient: boolean, payload: Uint8Array, frame: number, time: number): void {
    this.add(fromClient, payload, frame, time);
  }

  /**
   * One STREAM frame's data of the followed QUIC stream (kind 'quic'), at its stream offset:
   * retransmitted bytes dropped, reordering undone, as for TCP.
   */
  quic(fromClient: boolean, offset: number, data: Uint8Array, frame: number, time: number): void {
    this.assemblers[fromClient ? 0 : 1].push(offset + 1, data, (bytes) => this.add(fromClient, bytes, frame, time));
  }

  /**
   * One STREAM frame's data of the followed HTTP/3 request stream (kind 'http3'), with the HTTP/3
   * frames the QUIC connection's HTTP/3 reader completed in the same packet (`items`, which carry
   * the QPACK-decoded header lists: QPACK needs the whole connection's encoder streams). A header
   * list becomes one turn in the HTTP/2 follow's representation; DATA gives its payload (the
   * body) as it arrives; other frames are shown whole.
   */
  http3(fromClient: boolean, offset: number, data: Uint8Array, items: readonly Http3FrameInfo[], frame: number, time: number): void {
    const side = fromClient ? 'client' : 'server';
    const reader = this.http3Readers[fromClient ? 0 : 1];
    for (const item of items) {
      if (item.kind === 'frame' && item.frameType === 1 && item.streamId === this.result.quicStream && item.side === side && item.start !== undefined && item.headers) reader.headerLists.set(item.start, item.headers);
    }
    this.assemblers[fromClient ? 0 : 1].push(offset + 1, data, (bytes) => reader.push(bytes, (out) => this.add(fromClient, out, frame, time)));
  }

  private add(fromClient: boolean, bytes: Uint8Array, frame: number, time: number): void {
    const r = this.result;
    if (r.clientBytes + r.serverBytes + bytes.length > MAX_FOLLOW_BYTES) {
      r.truncated = true;
      return;
    }
    r.chunks.push({ fromClient, frame, time, bytes: bytes.slice() });
    if (fromClient) r.clientBytes += bytes.length;
    else r.serverBytes += bytes.length;
  }
}

/** Frames held whole (HEADERS, unknown types) up to this size; a larger one is passed over. */
const MAX_HTTP3_FRAME = 1 << 20;

/** One direction of an HTTP/3 request stream, read frame by frame from its in-order bytes. */
class Http3FrameReader {
  /** Decoded header lists by the stream offset of their HEADERS frame (retransmissions set the same key). */
  readonly headerLists = new Map<number, readonly (readonly [string, string])[]>();
  private buffer = new Uint8Array(0);
  /** Stream offset of `buffer`'s first byte. */
  private at = 0;
  /** DATA payload bytes still to pass on, or bytes of an oversized frame still to skip. */
  private dataLeft = 0;
  private skipLeft = 0;

  push(bytes: Uint8Array, emit: (bytes: Uint8Array) => void): void {
    let rest = bytes;
    if (this.dataLeft > 0 || this.skipLeft > 0) {
      const take = Math.min(rest.length, this.dataLeft || this.skipLeft);
      if (this.dataLeft > 0) {
        emit(rest.subarray(0, take));
        this.dataLeft -= take;
      } else this.skipLeft -= take;
      this.at += take;
      rest = rest.subarray(take);
    }
    if (rest.length === 0) return;
    const joined = new Uint8Array(this.buffer.length + rest.length);
    joined.set(this.buffer);
    joined.set(rest, this.buffer.length);
    this.buffer = joined;
    for (;;) {
      const buffer = this.buffer;
      const type = readVarint(buffer, 0, buffer.length);
      const length = type ? readVarint(buffer, type.length, buffer.length) : null;
      if (!type || !length) return;
      const header = type.length + length.length;
      const start = this.at;
      if (type.value === 0x00 || length.value > MAX_HTTP3_FRAME) {
        const have = Math.min(buffer.length - header, length.value);
        if (type.value === 0x00 && have > 0) emit(buffer.subarray(header, header + have));
        if (type.value === 0x00) this.dataLeft = length.value - have;
        else this.skipLeft = length.value - have;
        this.consume(header + have);
        if (this.dataLeft > 0 || this.skipLeft > 0) return;
        continue;
      }
      if (buffer.length < header + length.value) return;
      const fields = type.value === 0x01 ? this.headerLists.get(start) : undefined;
      this.headerLists.delete(start);
      // A header list the connection could not decode (its QPACK state is lost) is shown as the frame itself.
      if (fields && fields.length > 0) emit(serializeHeaders(fields.map(([name, value]) => ({ name, value }))));
      else emit(buffer.subarray(0, header + length.value));
      this.consume(header + length.value);
    }
  }

  private consume(length: number): void {
    this.buffer = this.buffer.slice(length);
    this.at += length;
  }
}

function utf8(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return out;
}

/** A header list as Wireshark's HTTP/2 follow shows it: per field, u32 name length, name, u32 value length, value. */
export function serializeHeaders(fields: readonly { name: string; value: string }[]): Uint8Array {
  const out: number[] = [];
  const u32 = (n: number) => out.push((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
  for (const field of fields) {
    const name = utf8(field.name);
    const value = utf8(field.value);
    u32(name.length);
    out.push(...name);
    u32(value.length);
    out.push(...value);
  }
  return Uint8Array.from(out);
}

const RULE = '='.repeat(67);

/** The text `tshark -q -z follow,PROTO,FORMAT,…` prints for the stream. */
export function formatFollow(followed: FollowedStream, format: FollowFormat): string {
  const filter = followFilterText(followed);
  const lines: string[] = ['', RULE, `Follow: ${followed.kind},${format}`, `Filter: ${filter}`, `Node 0: ${followed.client}`, `Node 1: ${followed.server}`];
  const offsets = [0, 0];
  let text = `${lines.join('\n')}\n`;
  for (const chunk of followed.chunks) {
    const tab = chunk.fromClient ? '' : '\t';
    if (format === 'ascii') {
      text += `${tab}${chunk.bytes.length}\n${asciiText(chunk.bytes)}\n`;
    } else if (format === 'raw') {
      text += `${tab}${hexString(chunk.bytes)}\n`;
    } else {
      const side = chunk.fromClient ? 0 : 1;
      text += hexDump(chunk.bytes, offsets[side], tab);
      offsets[side] += chunk.bytes.length;
    }
  }
  return `${text}${RULE}\n`;
}

/** The Filter line tshark prints for the stream (its filter syntax, with `eq`). */
export function followFilterText(followed: Pick<FollowedStream, 'kind' | 'stream' | 'http2Stream' | 'quicStream'>): string {
  switch (followed.kind) {
    case 'http2':
      return `tcp.stream eq ${followed.stream} and http2.streamid eq ${followed.http2Stream}`;
    case 'udp':
      return `udp.stream eq ${followed.stream}`;
    case 'quic':
    case 'http3':
      return `quic.connection.number eq ${followed.stream} and quic.stream.stream_id eq ${followed.quicStream}`;
    default:
      return `tcp.stream eq ${followed.stream}`;
  }
}

/** Printable ASCII, CR and LF as they are, anything else (tab too) as '.', as tshark's follow prints bytes. */
export function asciiText(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    out += (c >= 0x20 && c < 0x7f) || c === 0x0a || c === 0x0d ? String.fromCharCode(c) : '.';
  }
  return out;
}

function hexString(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
  return out;
}

/** Hex dump lines: offset (per direction, continuing), 16 bytes in two groups of 8, their ASCII. */
export function hexDump(bytes: Uint8Array, offset: number, prefix = ''): string {
  let out = '';
  for (let at = 0; at < bytes.length; at += 16) {
    let hex = '';
    let ascii = '';
    for (let i = 0; i < 16; i++) {
      if (i === 8) {
        hex += ' ';
        // tshark adds the group gap after the 8th byte even when it is the last one.
        if (at + i <= bytes.length) ascii += ' ';
      }
      if (at + i < bytes.length) {
        const c = bytes[at + i];
        hex += `${c < 16 ? '0' : ''}${c.toString(16)} `;
        ascii += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.';
      } else hex += '   ';
    }
    // …and then drops one trailing space (a byte's or the gap), no more.
    if (ascii.endsWith(' ')) ascii = ascii.slice(0, -1);
    out += `${prefix}${(offset + at).toString(16).toUpperCase().padStart(8, '0')}  ${hex} ${ascii}\n`;
  }
  return out;
}
