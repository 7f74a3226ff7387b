/**
 * HTTP/2 on one connection (RFC 9113), both directions: the client preface, frames reassembled
 * from the byte stream (across TLS records and TCP segments; a frame is reported on the frame
 * that completes it, as tshark does), each frame's fields, header blocks (HEADERS/PUSH_PROMISE
 * with their CONTINUATIONs) decoded with HPACK and each direction's dynamic table in frame
 * order, and the requests and responses they carry. Hostile input never throws: a frame that
 * breaks the rules is flagged, and a direction whose framing is lost is given up.
 */
import type { HttpHeaderField, HttpMessage } from '../http/message';
import { headerValue, mediaType } from '../http/message';
import { HpackDecoder, type HpackBlock } from './hpack';
import { FrameType } from './names';

export const CLIENT_PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
const PREFACE_BYTES = Uint8Array.from(CLIENT_PREFACE, (c) => c.charCodeAt(0));
const FRAME_HEADER = 9;
/** The largest frame RFC 9113 allows (2^24 - 1 octets of payload). */
const MAX_FRAME = (1 << 24) - 1;
/** Header block fragments held per direction while CONTINUATIONs are awaited. */
const MAX_HEADER_BLOCK = 1 << 20;
/** Streams remembered for their content type and request (a long connection forgets the oldest). */
const MAX_STREAMS = 4096;

export interface Http2Frame {
  fromClient: boolean;
  length: number;
  type: number;
  flags: number;
  streamId: number;
  /** The reserved bit before the stream id. */
  reserved: boolean;
  padLength: number | null;
  priority: { exclusive: boolean; dependency: number; weight: number } | null;
  settings: { id: number; value: number }[] | null;
  windowIncrement: number | null;
  errorCode: number | null;
  lastStreamId: number | null;
  promisedStreamId: number | null;
  /** PING's opaque data, GOAWAY's debug data. */
  opaque: Uint8Array | null;
  /** DATA's payload without padding (a view, valid while the caller handles the frame). */
  data: Uint8Array | null;
  /** The whole frame, header included (a view, valid while the caller handles the frame). */
  raw: Uint8Array | null;
  /** The header block fragment's length (HEADERS, PUSH_PROMISE, CONTINUATION). */
  fragmentLength: number | null;
  /** The decoded header block, on the frame that ended it (END_HEADERS). */
  block: HpackBlock | null;
  /** The request or response these headers began (trailers and pushes' requests too). */
  message: HttpMessage | null;
  /** DATA with END_STREAM: the stream's media type (Wireshark adds it to Info). */
  contentType: string | null;
  /** What is wrong with the frame, if anything (RFC 9113 rules). */
  error: string | null;
}

export interface Http2Output {
  /** The client preface ended in these bytes. */
  magic: boolean;
  frames: Http2Frame[];
  /** The bytes left a frame unfinished (and these bytes are part of it). */
  partial: boolean;
  /** The bytes began by continuing a frame started in earlier bytes. */
  continued: boolean;
}

class Direction {
  pieces: Uint8Array[] = [];
  held = 0;
  prefaceLeft: number;
  dead: string | null = null;
  readonly hpack = new HpackDecoder();
  /** A header block waiting for CONTINUATION: its stream, fragments and the frame that began it. */
  pendingBlock: { streamId: number; pieces: Uint8Array[]; length: number; push: number | null; endStream: boolean } | null = null;
  constructor(prefaceExpected: boolean) {
    this.prefaceLeft = prefaceExpected ? PREFACE_BYTES.length : 0;
  }
}

interface StreamState {
  request: HttpMessage | null;
  response: HttpMessage | null;
  contentType: [string | null, string | null];
}

export class Http2Connection {
  private readonly client: Direction;
  private readonly server: Direction;
  private readonly streams = new Map<number, StreamState>();

  constructor(prefaceExpected = true) {
    this.client = new Direction(prefaceExpected);
    this.server = new Direction(false);
  }

  /** Why a direction stopped being read, if it did. */
  problem(fromClient: boolean): string | null {
    return (fromClient ? this.client : this.server).dead;
  }

  /** In-order bytes of one direction; returns what they completed. */
  push(fromClient: boolean, bytes: Uint8Array): Http2Output {
    const dir = fromClient ? this.client : this.server;
    const out: Http2Output = { magic: false, frames: [], partial: false, continued: dir.held > 0 };
    if (dir.dead || bytes.length === 0) return out;
    let at = 0;
    if (dir.prefaceLeft > 0) {
      const offset = PREFACE_BYTES.length - dir.prefaceLeft;
      const n = Math.min(dir.prefaceLeft, bytes.length);
      for (let i = 0; i < n; i++) {
        if (bytes[i] !== PREFACE_BYTES[offset + i]) {
          dir.dead = 'the client preface is not HTTP/2 (PRI * HTTP/2.0)';
          return out;
        }
      }
      dir.prefaceLeft -= n;
      at = n;
      if (dir.prefaceLeft > 0) {
        out.partial = true;
        return out;
      }
      out.magic = true;
    }
    if (at >= bytes.length) return out;
    // Frames wholly inside `bytes` are read in place; a frame's pieces are joined only when split.
    let data = bytes.subarray(at);
    if (dir.held > 0) {
      data = join([...dir.pieces, data], dir.held + data.length);
      dir.pieces = [];
      dir.held = 0;
    }
    let offset = 0;
    while (data.length - offset >= FRAME_HEADER) {
      const length = (data[offset] << 16) | (data[offset + 1] << 8) | data[offset + 2];
      if (data.length - offset < FRAME_HEADER + length) break;
      out.frames.push(this.frame(dir, fromClient, data.subarray(offset, offset + FRAME_HEADER + length)));
      offset += FRAME_HEADER + length;
      if (dir.dead) return out;
    }
    if (offset < data.length) {
      dir.pieces.push(data.slice(offset));
      dir.held = data.length - offset;
      out.partial = true;
      if (dir.held > MAX_FRAME + FRAME_HEADER) dir.dead = 'frame larger than HTTP/2 allows';
    }
    return out;
  }

  private frame(dir: Direction, fromClient: boolean, bytes: Uint8Array): Http2Frame {
    const length = bytes.length - FRAME_HEADER;
    const type = bytes[3];
    const flags = bytes[4];
    const word = ((bytes[5] << 24) | (bytes[6] << 16) | (bytes[7] << 8) | bytes[8]) >>> 0;
    const frame: Http2Frame = {
      fromClient,
      length,
      type,
      flags,
      streamId: word & 0x7fffffff,
      reserved: (word & 0x80000000) !== 0,
      padLength: null,
      priority: null,
      settings: null,
      windowIncrement: null,
      errorCode: null,
      lastStreamId: null,
      promisedStreamId: null,
      opaque: null,
      data: null,
      raw: bytes,
      fragmentLength: null,
      block: null,
      message: null,
      contentType: null,
      error: null,
    };
    const payload = bytes.subarray(FRAME_HEADER);
    const u32 = (at: number) => ((payload[at] << 24) | (payload[at + 1] << 16) | (payload[at + 2] << 8) | payload[at + 3]) >>> 0;
    // A CONTINUATION must follow its HEADERS directly (RFC 9113 §6.10).
    if (dir.pendingBlock && type !== FrameType.CONTINUATION) {
      frame.error = `expected CONTINUATION for stream ${dir.pendingBlock.streamId}, got type ${type}`;
      dir.pendingBlock = null;
      dir.hpack.broken ??= 'a header block was cut short';
    }
    switch (type) {
      case FrameType.DATA: {
        const body = this.unpad(frame, payload);
        if (body) {
          frame.data = body;
          if (flags & 0x01) frame.contentType = this.stream(frame.streamId).contentType[fromClient ? 0 : 1];
        }
        if (frame.streamId === 0) frame.error = 'DATA on stream 0';
        if (flags & 0x01) this.endStream(frame.streamId, fromClient);
        break;
      }
      case FrameType.HEADERS: {
        let body = this.unpad(frame, payload);
        if (!body) break;
        if (flags & 0x20) {
          if (body.length < 5) {
            frame.error = 'HEADERS priority fields run past the frame';
            break;
          }
          const dep = ((body[0] << 24) | (body[1] << 16) | (body[2] << 8) | body[3]) >>> 0;
          frame.priority = { exclusive: (dep & 0x80000000) !== 0, dependency: dep & 0x7fffffff, weight: body[4] };
          body = body.subarray(5);
        }
        if (frame.streamId === 0) frame.error = 'HEADERS on stream 0';
        this.headerFragment(dir, frame, body, null, (flags & 0x01) !== 0);
        break;
      }
      case FrameType.PRIORITY:
        if (length !== 5) frame.error = `PRIORITY of ${length} octets (must be 5)`;
        else frame.priority = { exclusive: (payload[0] & 0x80) !== 0, dependency: u32(0) & 0x7fffffff, weight: payload[4] };
        break;
      case FrameType.RST_STREAM:
        if (length !== 4) frame.error = `RST_STREAM of ${length} octets (must be 4)`;
        else frame.errorCode = u32(0);
        this.streams.delete(frame.streamId);
        break;
      case FrameType.SETTINGS:
        if (length % 6 !== 0) frame.error = `SETTINGS of ${length} octets (not a multiple of 6)`;
        else if (flags & 0x01 && length > 0) frame.error = 'SETTINGS ACK with a payload';
        else {
          frame.settings = [];
          for (let at = 0; at + 6 <= length; at += 6) frame.settings.push({ id: (payload[at] << 8) | payload[at + 1], value: u32(at + 2) });
        }
        if (frame.streamId !== 0) frame.error = 'SETTINGS on a stream other than 0';
        break;
      case FrameType.PUSH_PROMISE: {
        const body = this.unpad(frame, payload);
        if (!body) break;
        if (body.length < 4) {
          frame.error = 'PUSH_PROMISE shorter than its promised stream id';
          break;
        }
        frame.promisedStreamId = (((body[0] << 24) | (body[1] << 16) | (body[2] << 8) | body[3]) >>> 0) & 0x7fffffff;
        this.headerFragment(dir, frame, body.subarray(4), frame.promisedStreamId, false);
        break;
      }
      case FrameType.PING:
        if (length !== 8) frame.error = `PING of ${length} octets (must be 8)`;
        frame.opaque = payload.slice(0, 8);
        break;
      case FrameType.GOAWAY:
        if (length < 8) {
          frame.error = `GOAWAY of ${length} octets (at least 8)`;
          break;
        }
        frame.lastStreamId = u32(0) & 0x7fffffff;
        frame.errorCode = u32(4);
        frame.opaque = payload.slice(8, Math.min(length, 8 + 1024));
        break;
      case FrameType.WINDOW_UPDATE:
        if (length !== 4) frame.error = `WINDOW_UPDATE of ${length} octets (must be 4)`;
        else {
          frame.windowIncrement = u32(0) & 0x7fffffff;
          if (frame.windowIncrement === 0) frame.error = 'WINDOW_UPDATE with an increment of 0';
        }
        break;
      case FrameType.CONTINUATION: {
        const pending = dir.pendingBlock;
        if (!pending || pending.streamId !== frame.streamId) {
          frame.error = 'CONTINUATION without a header block to continue';
          frame.fragmentLength = length;
          break;
        }
        frame.fragmentLength = length;
        pending.pieces.push(payload.slice());
        pending.length += length;
        if (pending.length > MAX_HEADER_BLOCK) {
          frame.error = 'header block too large';
          dir.pendingBlock = null;
          dir.hpack.broken ??= 'a header block was too large to follow';
          break;
        }
        if (flags & 0x04) {
          dir.pendingBlock = null;
          this.decodeBlock(dir, frame, join(pending.pieces, pending.length), pending.push, pending.endStream, pending.streamId);
        }
        break;
      }
      default:
        break;
    }
    return frame;
  }

  /** A padded frame's content without its padding; null (and the frame flagged) when the padding does not fit. */
  private unpad(frame: Http2Frame, payload: Uint8Array): Uint8Array | null {
    if (!(frame.flags & 0x08)) return payload;
    if (payload.length < 1) {
      frame.error = 'padded frame without a Pad Length';
      return null;
    }
    const pad = payload[0];
    frame.padLength = pad;
    if (pad >= payload.length) {
      frame.error = `Pad Length ${pad} is not less than the payload (${payload.length})`;
      return null;
    }
    return payload.subarray(1, payload.length - pad);
  }

  private headerFragment(dir: Direction, frame: Http2Frame, fragment: Uint8Array, push: number | null, endStream: boolean): void {
    frame.fragmentLength = fragment.length;
    if (frame.flags & 0x04) {
      this.decodeBlock(dir, frame, fragment, push, endStream, frame.streamId);
    } else {
      dir.pendingBlock = { streamId: frame.streamId, pieces: [fragment.slice()], length: fragment.length, push, endStream };
    }
  }

  private decodeBlock(dir: Direction, frame: Http2Frame, block: Uint8Array, push: number | null, endStream: boolean, streamId: number): void {
    const decoded = dir.hpack.decode(block);
    frame.block = decoded;
    if (decoded.error) return;
    const headers: HttpHeaderField[] = decoded.fields.map((f) => ({ name: f.name, value: f.value }));
    const pseudo = (name: string) => headerValue(headers, name);
    const status = pseudo(':status');
    const method = pseudo(':method');
    // A second header block on a stream without pseudo-headers is its trailers: no new message.
    if (status === null && method === null) {
      if (endStream) this.endStream(streamId, frame.fromClient);
      return;
    }
    const request = push !== null || frame.fromClient;
    const message: HttpMessage = {
      kind: request ? 'request' : 'response',
      version: 'HTTP/2',
      streamId: push ?? streamId,
      method,
      path: pseudo(':path'),
      authority: pseudo(':authority'),
      scheme: pseudo(':scheme'),
      status: status !== null && /^\d{3}$/.test(status) ? Number(status) : null,
      reason: null,
      headers,
    };
    frame.message = message;
    const state = this.stream(message.streamId!);
    const type = mediaType(headerValue(headers, 'content-type'));
    if (request) {
      state.request = message;
      state.contentType[push !== null ? 1 : 0] = push !== null ? state.contentType[1] : type;
    } else {
      // Interim (1xx) responses do not carry the body's type.
      if (message.status === null || message.status >= 200) {
        state.response = message;
        state.contentType[1] = type;
      }
    }
    if (endStream) this.endStream(streamId, frame.fromClient);
  }

  private stream(id: number): StreamState {
    let state = this.streams.get(id);
    if (!state) {
      if (this.streams.size >= MAX_STREAMS) {
        const oldest = this.streams.keys().next().value;
        if (oldest !== undefined) this.streams.delete(oldest);
      }
      state = { request: null, response: null, contentType: [null, null] };
      this.streams.set(id, state);
    }
    return state;
  }

  /** Both sides ended the stream: forget it (its type is no longer needed). */
  private readonly ended = new Map<number, number>();
  private endStream(id: number, fromClient: boolean): void {
    const seen = (this.ended.get(id) ?? 0) | (fromClient ? 1 : 2);
    if (seen === 3) {
      this.ended.delete(id);
      this.streams.delete(id);
    } else {
      this.ended.set(id, seen);
      if (this.ended.size > MAX_STREAMS) {
        const oldest = this.ended.keys().next().value;
        if (oldest !== undefined) this.ended.delete(oldest);
      }
    }
  }
}

function join(pieces: Uint8Array[], length: number): Uint8Array {
  if (pieces.length === 1) return pieces[0];
  const out = new Uint8Array(length);
  let at = 0;
  for (const piece of pieces) {
    out.set(piece, at);
    at += piece.length;
  }
  return out;
}
