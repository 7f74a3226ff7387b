/**
 * What the first pass over a session's QUIC keeps so that any frame's detail tree and Info text
 * can be derived again on demand, past the frames whose trees are kept whole: per connection, a
 * read cursor (largest packet numbers per space and side, 1-RTT key generations) every
 * CHECKPOINT_EVERY frames, from which a frame's datagram and the few before it are opened again
 * with the connection's keys; and what no single datagram can tell (the HTTP/3 frames and TLS
 * messages it completed, which depend on the stream's earlier bytes), only for the frames that
 * have some, compactly.
 */
import type { Http3FrameInfo } from '../../shared/http3/session';
import type { HeaderField } from '../../shared/http3/qpack';
import type { QuicPacketInfo, QuicReadCursor } from '../../shared/quic';
import { newQuicReadCursor } from '../../shared/quic';
import type { TlsHandshakeMessage } from '../../shared/tls/handshake';
import type { JsonObject, JsonValue } from '../../shared/track/json';
import { FrameFieldStore } from '../../shared/field-store';

/** Frames of one connection between two kept cursors: at most this many datagrams are opened again to derive one. */
export const CHECKPOINT_EVERY = 64;
/** Numbers a cursor is kept as. */
const CURSOR_NUMBERS = 8;

/** Per connection, its read cursor before every CHECKPOINT_EVERY-th of its frames (8 numbers each). */
export class ReadCheckpoints {
  private readonly cursors: Float64Array[] = [];
  private readonly counts: number[] = [];

  /** Keeps `cursor` as connection `connection`'s next checkpoint (the one before its frame at position (k + 1) · CHECKPOINT_EVERY). */
  add(connection: number, cursor: QuicReadCursor): void {
    let kept = this.cursors[connection] ?? new Float64Array(CURSOR_NUMBERS * 4);
    const count = this.counts[connection] ?? 0;
    if ((count + 1) * CURSOR_NUMBERS > kept.length) {
      const grown = new Float64Array(kept.length * 2);
      grown.set(kept);
      kept = grown;
    }
    kept.set([cursor.initial.client, cursor.initial.server, cursor.protected.handshake.client, cursor.protected.handshake.server, cursor.protected.application.client, cursor.protected.application.server, cursor.generation.client, cursor.generation.server], count * CURSOR_NUMBERS);
    this.cursors[connection] = kept;
    this.counts[connection] = count + 1;
  }

  /**
   * A fresh cursor from which reading the connection's frames from position `CHECKPOINT_EVERY · block`
   * on gives what the first pass gave; null when that checkpoint was not kept.
   */
  cursor(connection: number, block: number): QuicReadCursor | null {
    if (block === 0) return newQuicReadCursor();
    if (block > (this.counts[connection] ?? 0)) return null;
    const at = (block - 1) * CURSOR_NUMBERS;
    const n = this.cursors[connection].subarray(at, at + CURSOR_NUMBERS);
    return {
      initial: { client: n[0], server: n[1] },
      protected: { handshake: { client: n[2], server: n[3] }, application: { client: n[4], server: n[5] } },
      generation: { client: n[6], server: n[7] },
    };
  }

  get bytes(): number {
    return this.counts.reduce((sum, count) => sum + count * CURSOR_NUMBERS * 8, 0);
  }
}

/** Frames whose TLS messages are kept past the whole trees (messages from CRYPTO frames are rare after the handshake). */
const MAX_LATE_HANDSHAKE_FRAMES = 4096;

/** The HTTP/3 frames and TLS messages each frame completed, per packet, for frames whose whole tree is not kept. */
export class CompletedItems {
  private readonly http3 = new FrameFieldStore();
  private readonly handshakes = new Map<number, TlsHandshakeMessage[][]>();
  /** Frames whose TLS messages were past MAX_LATE_HANDSHAKE_FRAMES (their trees lack them). */
  handshakesDropped = 0;

  remember(i: number, infos: readonly QuicPacketInfo[]): void {
    if (infos.some((info) => info.http3.length > 0)) this.http3.append(i, { p: infos.map((info) => info.http3.map(http3ToJson)) });
    if (infos.some((info) => info.handshakes.length > 0)) {
      if (this.handshakes.size < MAX_LATE_HANDSHAKE_FRAMES) this.handshakes.set(i, infos.map((info) => info.handshakes));
      else this.handshakesDropped++;
    }
  }

  /** Puts frame i's kept HTTP/3 frames and TLS messages into its packets read again (`infos`, in packet order). */
  restore(i: number, infos: QuicPacketInfo[]): void {
    const packets = this.http3.get(i)?.p;
    if (Array.isArray(packets)) packets.forEach((items, p) => infos[p] && Array.isArray(items) && (infos[p].http3 = items.map((item) => http3FromJson(item as JsonObject))));
    this.handshakes.get(i)?.forEach((messages, p) => infos[p] && (infos[p].handshakes = messages));
  }

  get bytes(): number {
    return this.http3.bytes;
  }
}

function http3ToJson(item: Http3FrameInfo): JsonObject {
  if (item.kind === 'stream-type') return { k: 0, s: item.streamId, d: item.side, t: item.streamType };
  const out: JsonObject = { k: 1, s: item.streamId, d: item.side, t: item.frameType, l: item.length };
  if (item.headers) out.h = item.headers.map(([name, value]) => [name, value]);
  if (item.settings) out.st = item.settings.map(([id, value]) => [id, value]);
  if (item.goawayId !== undefined) out.g = item.goawayId;
  if (item.error !== undefined) out.e = item.error;
  return out;
}

const num = (value: JsonValue | undefined) => (typeof value === 'number' ? value : 0);
const pairs = (value: JsonValue | undefined): JsonValue[][] => (Array.isArray(value) ? value.filter((pair): pair is JsonValue[] => Array.isArray(pair)) : []);

function http3FromJson(json: JsonObject): Http3FrameInfo {
  const side = json.d === 'server' ? 'server' : 'client';
  if (json.k === 0) return { kind: 'stream-type', streamId: num(json.s), side, streamType: num(json.t) };
  const item: Http3FrameInfo = { kind: 'frame', streamId: num(json.s), side, frameType: num(json.t), length: num(json.l) };
  if (json.h !== undefined) item.headers = pairs(json.h).map(([name, value]): HeaderField => [String(name), String(value)]);
  if (json.st !== undefined) item.settings = pairs(json.st).map(([id, value]): [number, number] => [num(id), num(value)]);
  if (typeof json.g === 'number') item.goawayId = json.g;
  if (typeof json.e === 'string') item.error = json.e;
  return item;
}

/** Derived packets of recently opened or listed frames, least recently used dropped first. */
export class DerivedLru {
  private readonly entries = new Map<number, QuicPacketInfo[]>();

  constructor(readonly capacity = 512) {}

  get(i: number): QuicPacketInfo[] | undefined {
    const infos = this.entries.get(i);
    if (infos) {
      this.entries.delete(i);
      this.entries.set(i, infos);
    }
    return infos;
  }

  set(i: number, infos: QuicPacketInfo[]): void {
    this.entries.delete(i);
    this.entries.set(i, infos);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
