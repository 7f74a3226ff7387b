/**
 * Follow Stream: one TCP connection's payload, its decrypted TLS application data, or one
 * HTTP/2 stream's content, as the ordered turns both peers took, and the text tshark's
 * `-z follow,PROTO,MODE,…` prints for it (ascii, hex or raw). Feed it what the pipeline
 * gives each frame of the connection, in capture order.
 */
import { StreamAssembler } from '../reassembly/tcp-stream';
import type { Http2Item } from '../http/dissector';

export type FollowKind = 'tcp' | 'tls' | 'http2';
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
  stream: number;
  /** HTTP/2 stream id for kind 'http2'. */
  http2Stream: number | null;
  /** "address:port" of the client (node 0) and the server (node 1); empty before any frame. */
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
  private readonly assemblers: [StreamAssembler, StreamAssembler] = [new StreamAssembler(), new StreamAssembler()];

  constructor(kind: FollowKind, stream: number, http2Stream: number | null = null) {
    this.result = { kind, stream, http2Stream, client: '', server: '', chunks: [], clientBytes: 0, serverBytes: 0, truncated: false };
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
  const filter = followed.kind === 'http2' ? `tcp.stream eq ${followed.stream} and http2.streamid eq ${followed.http2Stream}` : `tcp.stream eq ${followed.stream}`;
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
        if (at + i < bytes.length) ascii += ' ';
      }
      if (at + i < bytes.length) {
        const c = bytes[at + i];
        hex += `${c < 16 ? '0' : ''}${c.toString(16)} `;
        ascii += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.';
      } else hex += '   ';
    }
    out += `${prefix}${(offset + at).toString(16).toUpperCase().padStart(8, '0')}  ${hex} ${ascii}`.trimEnd() + '\n';
  }
  return out;
}
