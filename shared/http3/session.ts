/**
 * HTTP/3 (RFC 9114) over one QUIC connection's streams: STREAM data in, HTTP/3 frames out.
 * Unidirectional streams start with their type (§6.2: control, push, QPACK encoder and
 * decoder); the control stream carries SETTINGS and GOAWAY; request streams (client-initiated
 * bidirectional) carry HEADERS, decoded with QPACK, and DATA. Streams are reassembled from
 * out-of-order STREAM frames with bounded buffers; a DATA payload is counted, never kept.
 */
import { readVarint } from '../quic/varint';
import { QpackDecoder, type HeaderField, type HuffmanDecoder } from './qpack';

export type Side = 'client' | 'server';

export const HTTP3_FRAME_NAMES: Record<number, string> = {
  0x00: 'DATA',
  0x01: 'HEADERS',
  0x03: 'CANCEL_PUSH',
  0x04: 'SETTINGS',
  0x05: 'PUSH_PROMISE',
  0x07: 'GOAWAY',
  0x0d: 'MAX_PUSH_ID',
};

export const HTTP3_STREAM_TYPE_NAMES: Record<number, string> = {
  0x00: 'Control Stream',
  0x01: 'Push Stream',
  0x02: 'QPACK Encoder Stream',
  0x03: 'QPACK Decoder Stream',
};

const SETTINGS_QPACK_MAX_TABLE_CAPACITY = 0x01;

/**
 * One thing seen on an HTTP/3 stream, reported in the packet whose STREAM data completed it;
 * `start` is the stream offset of its first byte (Follow HTTP/3 Stream matches header lists by it).
 */
export type Http3FrameInfo = { start?: number } & (
  | { kind: 'stream-type'; streamId: number; side: Side; streamType: number }
  | {
      kind: 'frame';
      streamId: number;
      side: Side;
      frameType: number;
      length: number;
      /** HEADERS: the decoded fields. */
      headers?: HeaderField[];
      /** SETTINGS: identifier/value pairs. */
      settings?: [number, number][];
      /** GOAWAY: the stream or push ID. */
      goawayId?: number;
      /** Why this frame (or its field section) could not be read. */
      error?: string;
    }
);

export interface Http3Request {
  streamId: number;
  method: string | null;
  authority: string | null;
  path: string | null;
  scheme: string | null;
  status: number | null;
  requestFrame: number | null;
  responseFrame: number | null;
}

/** Bytes held per stream direction while a gap is open, and a frame's largest buffered payload. */
const MAX_PENDING = 256 * 1024;
const MAX_FRAME = 256 * 1024;
/** Streams followed per connection; later ones are ignored (a hostile peer opening without end). */
const MAX_STREAMS = 4096;

type Item = Http3FrameInfo & { start: number; end: number };
/** Items remembered per stream, so a retransmission shows them again (as tshark does). */
const HISTORY = 64;

class StreamReader {
  /** Next absolute stream offset expected. */
  next = 0;
  private pending = new Map<number, Uint8Array>();
  private pendingBytes = 0;
  /** Contiguous bytes not yet consumed, from absolute offset `bufferStart`. */
  buffer: Uint8Array = new Uint8Array(0);
  bufferStart = 0;
  /** A frame whose payload is passed over (DATA, or too large): reported once its last byte is in. */
  skipping: Item | null = null;
  streamType: number | null = null;
  broken: string | null = null;
  readonly history: Item[] = [];

  /** Adds a STREAM frame's data; returns whether new contiguous bytes came. */
  push(offset: number, data: Uint8Array): boolean {
    const end = offset + data.length;
    if (end <= this.next) return false;
    if (offset > this.next) {
      if (this.pendingBytes + data.length > MAX_PENDING) {
        this.broken ??= 'too many out-of-order bytes held';
        return false;
      }
      if ((this.pending.get(offset)?.length ?? -1) < data.length) {
        this.pendingBytes += data.length - (this.pending.get(offset)?.length ?? 0);
        this.pending.set(offset, data.slice());
      }
      return false;
    }
    this.append(data.subarray(this.next - offset));
    for (let progressed = true; progressed; ) {
      progressed = false;
      for (const [at, bytes] of this.pending) {
        if (at > this.next) continue;
        this.pending.delete(at);
        this.pendingBytes -= bytes.length;
        if (at + bytes.length > this.next) this.append(bytes.subarray(this.next - at));
        progressed = true;
      }
    }
    return true;
  }

  /** Items of the bytes [offset, end) seen before: what a retransmission carries. */
  seen(offset: number, end: number): Item[] {
    return this.history.filter((item) => item.start >= offset && item.end <= end);
  }

  remember(item: Item): void {
    if (this.history.length >= HISTORY) this.history.shift();
    this.history.push(item);
  }

  private append(bytes: Uint8Array): void {
    const start = this.next;
    this.next += bytes.length;
    let rest = bytes;
    if (this.skipping && this.skipping.end > start) {
      const skipped = Math.min(this.skipping.end - start, rest.length);
      rest = rest.subarray(skipped);
      this.bufferStart = start + skipped;
    }
    if (rest.length === 0) return;
    if (this.buffer.length === 0) {
      this.buffer = rest.slice();
      this.bufferStart = this.next - rest.length;
      return;
    }
    const joined = new Uint8Array(this.buffer.length + rest.length);
    joined.set(this.buffer, 0);
    joined.set(rest, this.buffer.length);
    this.buffer = joined;
  }

  consume(length: number): void {
    this.buffer = this.buffer.subarray(length);
    this.bufferStart += length;
  }
}

export class Http3Connection {
  private readonly streams = new Map<string, StreamReader>();
  /** QPACK decoders by the side whose encoder they follow. */
  private readonly qpack: Record<Side, QpackDecoder>;
  private readonly requests = new Map<number, Http3Request>();
  settings: Record<Side, [number, number][] | null> = { client: null, server: null };
  goaway: { side: Side; id: number } | null = null;
  problems: string[] = [];

  constructor(huffman: HuffmanDecoder) {
    this.qpack = { client: new QpackDecoder(huffman), server: new QpackDecoder(huffman) };
  }

  /** One STREAM frame from `side`, in capture order; returns what it completed; `frame` is its frame number. */
  stream(side: Side, streamId: number, offset: number, data: Uint8Array, frame: number): Http3FrameInfo[] {
    const out: Http3FrameInfo[] = [];
    const key = `${side}:${streamId}`;
    let reader = this.streams.get(key);
    if (!reader) {
      if (this.streams.size >= MAX_STREAMS) return out;
      reader = new StreamReader();
      this.streams.set(key, reader);
    }
    if (reader.broken) return out;
    if (!reader.push(offset, data)) {
      if (offset + data.length <= reader.next) out.push(...reader.seen(offset, offset + data.length));
      return out;
    }
    const unidirectional = (streamId & 0x02) !== 0;
    if (unidirectional && reader.streamType === null) {
      const type = readVarint(reader.buffer, 0, reader.buffer.length);
      if (!type) return out;
      const item: Item = { kind: 'stream-type', streamId, side, streamType: type.value, start: reader.bufferStart, end: reader.bufferStart + type.length };
      reader.consume(type.length);
      reader.streamType = type.value;
      reader.remember(item);
      out.push(item);
      if (type.value === 0x01) {
        // Push stream: a Push ID, then frames.
        const pushId = readVarint(reader.buffer, 0, reader.buffer.length);
        if (pushId) reader.consume(pushId.length);
      }
    }
    if (unidirectional) {
      switch (reader.streamType) {
        case 0x02:
          this.qpack[side].encoderStream(reader.buffer);
          reader.consume(reader.buffer.length);
          if (this.qpack[side].encoderError) this.problem(`${side} QPACK encoder stream: ${this.qpack[side].encoderError}`);
          return out;
        case 0x00:
        case 0x01:
          break;
        default:
          // Decoder stream, reserved and unknown types: nothing to show beyond the type.
          reader.consume(reader.buffer.length);
          return out;
      }
    } else if ((streamId & 0x01) !== 0) {
      return out; // server-initiated bidirectional streams: not used by HTTP/3
    }
    this.frames(reader, side, streamId, frame, out);
    return out;
  }

  private frames(reader: StreamReader, side: Side, streamId: number, frame: number, out: Http3FrameInfo[]): void {
    const finish = (item: Item) => {
      reader.remember(item);
      out.push(item);
    };
    if (reader.skipping) {
      if (reader.next < reader.skipping.end) return;
      finish(reader.skipping);
      reader.skipping = null;
    }
    for (;;) {
      const buffer = reader.buffer;
      const type = readVarint(buffer, 0, buffer.length);
      const length = type ? readVarint(buffer, type.length, buffer.length) : null;
      if (!type || !length) return;
      const headerLength = type.length + length.length;
      const start = reader.bufferStart;
      const end = start + headerLength + length.value;
      if (type.value === 0x00 || length.value > MAX_FRAME) {
        // DATA (and a frame too large to hold): its payload is passed over, and the frame reported once whole, as tshark does.
        const item: Item = { kind: 'frame', streamId, side, frameType: type.value, length: length.value, start, end };
        if (type.value !== 0x00) item.error = `frame of ${length.value} bytes is not read`;
        reader.consume(Math.min(buffer.length, headerLength + length.value));
        if (reader.next < end) {
          reader.skipping = item;
          return;
        }
        finish(item);
        continue;
      }
      if (buffer.length < headerLength + length.value) return;
      const payload = buffer.subarray(headerLength, headerLength + length.value);
      finish({ ...this.frame(side, streamId, type.value, payload, frame), start, end });
      reader.consume(headerLength + length.value);
    }
  }

  private frame(side: Side, streamId: number, frameType: number, payload: Uint8Array, frame: number): Http3FrameInfo {
    const info: Extract<Http3FrameInfo, { kind: 'frame' }> = { kind: 'frame', streamId, side, frameType, length: payload.length };
    switch (frameType) {
      case 0x01: {
        const section = this.qpack[side].decode(payload);
        info.headers = section.fields;
        if (section.error) info.error = `QPACK: ${section.error}`;
        this.noteHeaders(side, streamId, section.fields, frame);
        break;
      }
      case 0x04: {
        const settings: [number, number][] = [];
        for (let at = 0; at < payload.length; ) {
          const id = readVarint(payload, at, payload.length);
          const value = id ? readVarint(payload, at + id.length, payload.length) : null;
          if (!id || !value) {
            info.error = 'truncated SETTINGS';
            break;
          }
          settings.push([id.value, value.value]);
          at += id.length + value.length;
        }
        info.settings = settings;
        this.settings[side] ??= settings;
        // The peer's encoder sizes its Required Insert Count by this side's announced capacity.
        const capacity = settings.find(([id]) => id === SETTINGS_QPACK_MAX_TABLE_CAPACITY);
        if (capacity) this.qpack[side === 'client' ? 'server' : 'client'].maxTableCapacity = capacity[1];
        break;
      }
      case 0x07: {
        const id = readVarint(payload, 0, payload.length);
        if (id) {
          info.goawayId = id.value;
          this.goaway ??= { side, id: id.value };
        } else {
          info.error = 'truncated GOAWAY';
        }
        break;
      }
    }
    if (info.error) this.problem(`stream ${streamId} (${side}): ${HTTP3_FRAME_NAMES[frameType] ?? `frame 0x${frameType.toString(16)}`}: ${info.error}`);
    return info;
  }

  private noteHeaders(side: Side, streamId: number, fields: HeaderField[], frame: number): void {
    if ((streamId & 0x03) !== 0) return; // requests travel on client-initiated bidirectional streams
    let request = this.requests.get(streamId);
    if (!request) {
      if (this.requests.size >= MAX_STREAMS) return;
      request = { streamId, method: null, authority: null, path: null, scheme: null, status: null, requestFrame: null, responseFrame: null };
      this.requests.set(streamId, request);
    }
    const get = (name: string) => fields.find(([n]) => n === name)?.[1] ?? null;
    if (side === 'client' && request.requestFrame === null) {
      request.method = get(':method');
      request.authority = get(':authority');
      request.path = get(':path');
      request.scheme = get(':scheme');
      request.requestFrame = frame;
    } else if (side === 'server') {
      const status = get(':status');
      // A 1xx response is interim: the final one follows on the same stream.
      if (status !== null && (request.status === null || request.status < 200)) {
        request.status = Number(status);
        request.responseFrame = frame;
      }
    }
  }

  private problem(text: string): void {
    if (this.problems.length < 8 && !this.problems.includes(text)) this.problems.push(text);
  }

  /** Requests by stream ID order. */
  allRequests(): Http3Request[] {
    return [...this.requests.values()].sort((a, b) => a.streamId - b.streamId);
  }
}
