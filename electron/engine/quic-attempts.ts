/**
 * QUIC connection attempts of a session, for the connections view: every UDP frame the
 * session indexes is offered to shared/quic's attempt tracker (Initial keys from the client's
 * DCID, RFC 9001 §5.2, through node:crypto). The tracker's work is asynchronous, so a query
 * first waits for the frames queued so far.
 */
import { LINKTYPE_RAW } from '../../shared/wire/linktypes';
import type { DetailNode, QuicAttemptRow } from '../../shared/api';
import { quicDetailNodes } from '../../shared/quic/detail';
import type { CaptureFrame } from '../../shared/files';
import { QuicAttemptTracker, QuicConnectionReader, quicFieldsJson, quicInfoText, quicVersionName, type QuicAttempt, type QuicPacketInfo } from '../../shared/quic';
import type { JsonObject } from '../../shared/track/json';
import { summarizeAt } from '../../shared/wire/summarize';
import { createPacketSummary } from '../../shared/wire/summary';
import type { FrameIndex } from './frame-index';
import type { KeyLog } from '../../shared/tls/keylog';
import { createNodeQuicCrypto, createNodeQuicTlsCrypto } from './quic-crypto';
import { FrameFieldStore } from '../../shared/field-store';
import type { FrameAsRead } from './frames-as-read';
import { CHECKPOINT_EVERY, CompletedItems, DerivedLru, ReadCheckpoints } from './quic-derived';
import type { QuicReadCursor } from '../../shared/quic';

const UDP = 17;
/** The contract bounds strings and lists; a hostile hello must not make the list unsendable. */
const MAX_TEXT = 255;
const MAX_ALPN = 64;

/** Info texts kept for the packet list; past this many QUIC frames a row's Info is derived again when listed. */
const MAX_INFO_TEXTS = 250_000;

/**
 * Frames whose QUIC detail tree is kept whole; later ones are derived again when opened (the
 * display filter's fields are kept for every frame). Kept trees cost about 770 bytes of heap a
 * frame (74 MiB for 100,000), a derived one a few milliseconds: only the handshake and the start are kept.
 */
const MAX_DETAILS = 10_000;

/** A frame's bytes as indexing read it: the whole datagram (raw IP) for a frame that completed a fragmented one. */
export type DatagramReader = (frames: readonly number[]) => Map<number, { bytes: Uint8Array; linkType: number; originalLength: number }>;

export interface SessionQuicOptions {
  /** QUIC frames whose detail tree is kept whole (default 10,000); tests pass other ones. */
  maxDetails?: number;
  /** QUIC frames whose Info text is kept (default 250,000). */
  maxInfoTexts?: number;
  /** Reads frames again from the capture, to derive the trees and Info texts not kept. */
  readDatagrams?: DatagramReader;
}

const clip = (text: string) => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text);

/** "198.18.0.1:443" or "[2001:db8::1]:443" (cli.md's endpoint form) → address and port. */
function splitEndpoint(endpoint: string): { address: string; port: string; v6: boolean } {
  const colon = endpoint.lastIndexOf(':');
  const host = endpoint.slice(0, colon);
  const v6 = host.startsWith('[');
  return { address: v6 ? host.slice(1, -1) : host, port: endpoint.slice(colon + 1), v6 };
}

/** Wireshark's UDP conversation filter for the two endpoints. */
export function udpConversationFilter(a: string, b: string): string {
  return [a, b]
    .map(splitEndpoint)
    .map((end) => `${end.v6 ? 'ipv6.addr' : 'ip.addr'} == ${end.address} && udp.port == ${end.port}`)
    .join(' && ');
}

export class SessionQuicAttempts {
  private tracker: QuicAttemptTracker;

  private readonly maxDetails: number;
  private readonly maxInfoTexts: number;
  private readonly readDatagrams: DatagramReader | null;

  /** `keyLog`: the session's TLS secrets, which also open Handshake and 1-RTT packets. */
  constructor(
    private readonly keyLog: KeyLog | null = null,
    options: SessionQuicOptions = {},
  ) {
    this.tracker = new QuicAttemptTracker(createNodeQuicCrypto(), { keyLog, tlsCrypto: createNodeQuicTlsCrypto() });
    this.maxDetails = options.maxDetails ?? MAX_DETAILS;
    this.maxInfoTexts = options.maxInfoTexts ?? MAX_INFO_TEXTS;
    this.readDatagrams = options.readDatagrams ?? null;
  }
  private readonly summary = createPacketSummary();
  /** Frame index → the packet list's Info text, for frames that carry QUIC. */
  private readonly infoTexts = new Map<number, string>();
  /** One bit per frame index for QUIC frames past the kept Info texts: theirs is derived when listed. */
  private untold: Uint8Array = new Uint8Array(0);
  /** Frames queued for analysis and not analyzed yet. */
  private readonly pending = new Set<number>();
  /** Frame index → its packets (without CRYPTO/STREAM bytes), for the detail pane: the first maxDetails QUIC frames. */
  private readonly details = new Map<number, QuicPacketInfo[]>();
  /** Past them: read cursors every few frames of each connection, what each frame completed, and the trees derived lately. */
  private checkpoints = new ReadCheckpoints();
  private completed = new CompletedItems();
  private readonly derived = new DerivedLru();
  /** Frames derived again since the session opened (datagrams opened again, a frame's own included), for tests and docs. */
  derivedFrames = 0;
  reopenedDatagrams = 0;
  /** Every QUIC frame's display-filter fields, compactly (tens of bytes a frame), so filters see the whole capture. */
  private fieldStore = new FrameFieldStore();
  /** One bit per frame index: its datagram completed HTTP/3 frames (Protocol says HTTP3, as in Wireshark). */
  private http3Frames: Uint8Array = new Uint8Array(0);
  /** Bumped by reread: analyses queued by the tracker it replaced are not remembered, and readers made before are stale. */
  generation = 0;
  /** Each attempt's frame indices in capture order (Follow Stream reads only these again). */
  private connectionFrames: Int32Array[] = [];
  private connectionFrameCounts: number[] = [];

  /** Called for every indexed frame, after the index knows its protocol; only UDP is looked at. */
  ingest(i: number, frame: CaptureFrame, index: FrameIndex, reassembled: Uint8Array | null = null): void {
    if (index.protocol[i] !== UDP) return;
    // A last fragment offers the whole datagram it completed (a fragmented Initial, say).
    if (reassembled) this.offer(i, reassembled, LINKTYPE_RAW, frame.tsSeconds, frame.tsNanos, reassembled.length);
    else this.offer(i, frame.buffer.subarray(frame.bufferOffset, frame.bufferOffset + frame.capturedLength), frame.linkType, frame.tsSeconds, frame.tsNanos, frame.originalLength);
  }

  private offer(i: number, bytes: Uint8Array, linkType: number, tsSeconds: number, tsNanos: number, originalLength: number): void {
    summarizeAt(bytes, 0, bytes.length, linkType, this.summary, originalLength);
    const generation = this.generation;
    if (this.tracker.queueFrame(i + 1, tsSeconds, tsNanos, this.summary, bytes, (infos) => generation === this.generation && this.remember(i, infos))) this.pending.add(i);
  }

  /**
   * Reads every UDP frame again with a fresh tracker (a key log was attached: Handshake and
   * 1-RTT packets already seen can now be opened). `frames` gives the indexed UDP frames in order, as first read (frames-as-read.ts).
   */
  reread(frames: Iterable<FrameAsRead>, index: FrameIndex): void {
    this.tracker = new QuicAttemptTracker(createNodeQuicCrypto(), { keyLog: this.keyLog, tlsCrypto: createNodeQuicTlsCrypto() });
    this.generation++;
    this.infoTexts.clear();
    this.details.clear();
    this.checkpoints = new ReadCheckpoints();
    this.completed = new CompletedItems();
    this.derived.clear();
    this.fieldStore = new FrameFieldStore();
    this.connectionFrames = [];
    this.connectionFrameCounts = [];
    this.http3Frames = new Uint8Array(0);
    this.pending.clear();
    this.untold = new Uint8Array(0);
    for (const frame of frames) this.offer(frame.index, frame.bytes, frame.linkType, index.tsSeconds[frame.index], index.tsNanos[frame.index], frame.originalLength);
  }

  /** Whether any of these frames still waits for its QUIC analysis. */
  waiting(frames: readonly number[]): boolean {
    return this.pending.size > 0 && frames.some((i) => this.pending.has(i));
  }

  settled(): Promise<void> {
    return this.tracker.settled();
  }

  /** Frame i's QUIC, TLS-over-QUIC and HTTP/3 fields as `decode --json` and the display filter name them (null: no QUIC kept for it). */
  fields(i: number): JsonObject | null {
    return this.fieldStore.get(i);
  }

  /** What is kept for the detail pane and the packet list, and derived lately (the memory figures in tests and docs). */
  get kept(): { details: number; infoTexts: number; derivedCached: number; checkpointBytes: number; completedBytes: number } {
    return { details: this.details.size, infoTexts: this.infoTexts.size, derivedCached: this.derived.size, checkpointBytes: this.checkpoints.bytes, completedBytes: this.completed.bytes };
  }

  /** Bytes the kept filter fields take (for the memory figure in tests and docs). */
  get fieldBytes(): number {
    return this.fieldStore.bytes;
  }

  private remember(i: number, infos: QuicPacketInfo[]): void {
    this.pending.delete(i);
    if (infos.length === 0) return;
    this.fieldStore.append(i, quicFieldsJson(infos));
    const connection = infos.find((info) => info.connection !== undefined)?.connection;
    if (connection !== undefined) {
      this.addConnectionFrame(connection, i);
      // The tracker has read this frame and not the next yet: its cursor is where a reader of the next starts.
      if (this.connectionFrameCounts[connection] % CHECKPOINT_EVERY === 0) {
        const cursor = this.tracker.cursorOf(connection);
        if (cursor) this.checkpoints.add(connection, cursor);
      }
    }
    if (this.details.size < this.maxDetails) this.details.set(i, infos.map(withoutData));
    else this.completed.remember(i, infos);
    if (infos.some((info) => info.http3.length > 0)) this.http3Frames = setBit(this.http3Frames, i);
    if (this.infoTexts.size < this.maxInfoTexts) this.infoTexts.set(i, clip(quicInfoText(infos)));
    else this.untold = setBit(this.untold, i);
  }

  private addConnectionFrame(connection: number, i: number): void {
    let frames = this.connectionFrames[connection] ?? new Int32Array(16);
    const count = this.connectionFrameCounts[connection] ?? 0;
    if (count === frames.length) {
      const grown = new Int32Array(count * 2);
      grown.set(frames);
      frames = grown;
    }
    frames[count] = i;
    this.connectionFrames[connection] = frames;
    this.connectionFrameCounts[connection] = count + 1;
  }

  /** Attempt `connection`'s frame indices analysed so far, in capture order (await settled() first for all of them). */
  framesOf(connection: number): Int32Array {
    return (this.connectionFrames[connection] ?? new Int32Array(0)).subarray(0, this.connectionFrameCounts[connection] ?? 0);
  }

  /** The attempt frame i's QUIC packets belong to (quic.connection.number), and the stream IDs of its STREAM frames; null when it carries none. */
  async connectionAt(i: number): Promise<{ connection: number; streams: number[] } | null> {
    if (this.pending.has(i)) await this.tracker.settled();
    const found = this.positionOf(i);
    if (!found) return null;
    const ids = this.fieldStore.get(i)?.['quic.stream.stream_id'];
    return { connection: found.connection, streams: Array.isArray(ids) ? ids.filter((id): id is number => typeof id === 'number') : [] };
  }

  /** Frame i's attempt and its position among that attempt's frames, or null. */
  private positionOf(i: number): { connection: number; position: number } | null {
    for (let connection = 0; connection < this.connectionFrames.length; connection++) {
      const frames = this.framesOf(connection);
      if (frames.length === 0 || i < frames[0] || i > frames[frames.length - 1]) continue;
      const position = sortedIndexOf(frames, i);
      if (position >= 0) return { connection, position };
    }
    return null;
  }

  /**
   * The packets of QUIC frames whose tree is not kept, derived again: each frame's datagram is
   * opened with its connection's keys from the nearest kept read cursor (at most CHECKPOINT_EVERY
   * datagrams before it), and given the HTTP/3 frames and TLS messages the first pass saw it
   * complete. Frames that cannot be read again are left out.
   */
  private async derive(frames: readonly number[]): Promise<Map<number, QuicPacketInfo[]>> {
    const out = new Map<number, QuicPacketInfo[]>();
    const byConnection = new Map<number, number[]>();
    const unattached: number[] = [];
    for (const i of frames) {
      const cached = this.derived.get(i);
      if (cached) out.set(i, cached);
      else if (this.fieldStore.get(i) !== null) {
        const found = this.positionOf(i);
        if (!found) unattached.push(i);
        else byConnection.set(found.connection, [...(byConnection.get(found.connection) ?? []), found.position]);
      }
    }
    const read = this.readDatagrams;
    if (!read) return out;
    const summary = createPacketSummary();
    const open = (datagram: { bytes: Uint8Array; linkType: number; originalLength: number }) => {
      summarizeAt(datagram.bytes, 0, datagram.bytes.length, datagram.linkType, summary, datagram.originalLength);
      this.reopenedDatagrams++;
      return summary;
    };
    const generation = this.generation;
    const keep = (i: number, infos: QuicPacketInfo[]) => {
      const packets = infos.map(withoutData);
      this.completed.restore(i, packets);
      // A key log attached meanwhile (reread) makes what was read with the old pass stale.
      if (generation !== this.generation) return;
      this.derived.set(i, packets);
      this.derivedFrames++;
      out.set(i, packets);
    };
    for (const [connection, positions] of byConnection) {
      positions.sort((a, b) => a - b);
      const connectionFrames = this.framesOf(connection);
      let cursor: QuicReadCursor | null = null;
      let at = 0;
      for (const position of positions) {
        // Continue from where the last one ended when that is nearer than the checkpoint.
        if (cursor === null || position < at || position - at > CHECKPOINT_EVERY) {
          const block = Math.floor(position / CHECKPOINT_EVERY);
          cursor = this.checkpoints.cursor(connection, block);
          at = block * CHECKPOINT_EVERY;
          if (!cursor) continue;
        }
        const span = Array.from(connectionFrames.subarray(at, position + 1));
        const datagrams = read(span);
        for (const i of span) {
          const datagram = datagrams.get(i);
          const infos = datagram ? await this.tracker.reopen(connection, open(datagram), datagram.bytes, cursor) : [];
          if (i === connectionFrames[position] && infos.length > 0) keep(i, infos);
        }
        at = position + 1;
      }
    }
    if (unattached.length > 0) {
      const datagrams = read(unattached);
      for (const i of unattached) {
        const datagram = datagrams.get(i);
        const infos = datagram ? await this.tracker.reopenUnattached(open(datagram), datagram.bytes) : [];
        if (infos.length > 0) keep(i, infos);
      }
    }
    return out;
  }

  /** A reader of attempt `connection`'s datagrams again, with the keys this session's pass derived (Follow Stream). */
  reader(connection: number): QuicConnectionReader {
    return new QuicConnectionReader(this.tracker, connection);
  }

  /** Attempt `connection` as analysed so far (await settled() first), or null. */
  attempt(connection: number): QuicAttempt | null {
    return this.tracker.attempts()[connection] ?? null;
  }

  /** The detail pane's QUIC, TLS and HTTP/3 nodes for frame i ([] when it carries no QUIC); past the kept trees, derived again. */
  async detail(i: number): Promise<DetailNode[]> {
    if (this.pending.has(i)) await this.tracker.settled();
    const infos = this.details.get(i) ?? (await this.derive([i])).get(i);
    return infos ? quicDetailNodes(infos) : [];
  }

  /**
   * The packet list's Protocol and Info for frame i when it carries QUIC, else null. Waits
   * for frames among `waitFor` whose analysis is still queued (decryption is asynchronous).
   */
  async columns(waitFor: readonly number[]): Promise<(i: number) => { protocol: string; info: string } | null> {
    if (waitFor.some((i) => this.pending.has(i))) await this.tracker.settled();
    const untold = waitFor.filter((i) => hasBit(this.untold, i));
    const derived = untold.length > 0 ? await this.derive(untold) : new Map<number, QuicPacketInfo[]>();
    return (i) => {
      const protocol = hasBit(this.http3Frames, i) ? 'HTTP3' : 'QUIC';
      const info = this.infoTexts.get(i);
      if (info !== undefined) return { protocol, info };
      const infos = derived.get(i) ?? (hasBit(this.untold, i) ? this.derived.get(i) : undefined);
      if (infos) return { protocol, info: clip(quicInfoText(infos)) };
      return hasBit(this.untold, i) ? { protocol, info: 'QUIC (its datagram could not be read again)' } : null;
    };
  }

  /** The attempts as analysed so far (the frames queued for analysis first). */
  async attemptsSoFar(): Promise<QuicAttempt[]> {
    await this.tracker.settled();
    return this.tracker.attempts();
  }

  /** The attempts seen in the frames indexed so far, in order of first appearance. */
  async rows(index: FrameIndex): Promise<QuicAttemptRow[]> {
    await this.tracker.settled();
    return this.tracker.attempts().map((attempt) => toRow(attempt, index));
  }
}

/** The detail pane needs no CRYPTO/STREAM bytes: only their ranges, which the frames keep. */
const withoutData = (info: QuicPacketInfo): QuicPacketInfo => ({ ...info, crypto: [], streams: [] });

function sortedIndexOf(sorted: Int32Array, value: number): number {
  let low = 0;
  let high = sorted.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle] === value) return middle;
    if (sorted[middle] < value) low = middle + 1;
    else high = middle - 1;
  }
  return -1;
}

/** Sets bit i, growing the set (returned) as needed. */
function setBit(bits: Uint8Array, i: number): Uint8Array {
  if (i >> 3 >= bits.length) {
    const grown = new Uint8Array(Math.max(1024, bits.length * 2, (i >> 3) + 1));
    grown.set(bits);
    bits = grown;
  }
  bits[i >> 3] |= 1 << (i & 7);
  return bits;
}

const hasBit = (bits: Uint8Array, i: number) => ((bits[i >> 3] ?? 0) & (1 << (i & 7))) !== 0;

function toRow(attempt: QuicAttempt, index: FrameIndex): QuicAttemptRow {
  const hello = attempt.clientHello;
  const packets = Object.values(attempt.packets).reduce((sum, n) => sum + n, 0);
  const time = (frameNumber: number) => (frameNumber - 1 < index.count ? index.relativeTime(frameNumber - 1) : 0);
  return {
    id: attempt.id,
    client: attempt.client,
    server: attempt.server,
    directionGuessed: attempt.directionGuessed,
    version: quicVersionName(attempt.version),
    dcid: attempt.originalDcid,
    sni: hello && hello.serverName !== null ? clip(hello.serverName) : null,
    alpn: (hello?.alpn ?? []).slice(0, MAX_ALPN).map(clip),
    packets,
    initials: attempt.packets.initial,
    // Retry and Version Negotiation come only from servers; a server SCID only from its Initial or Handshake.
    serverAnswered: attempt.serverScid !== null || attempt.retry !== null || attempt.versionNegotiation !== null || attempt.serverHello !== null,
    start: time(attempt.firstFrame),
    end: time(attempt.lastFrame),
    firstFrame: attempt.firstFrame - 1,
    lastFrame: attempt.lastFrame - 1,
    filter: udpConversationFilter(attempt.client, attempt.server),
  };
}
