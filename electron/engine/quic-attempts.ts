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
import { QuicAttemptTracker, quicFieldsJson, quicInfoText, quicVersionName, type QuicAttempt, type QuicPacketInfo } from '../../shared/quic';
import type { JsonObject } from '../../shared/track/json';
import { summarizeAt } from '../../shared/wire/summarize';
import { createPacketSummary } from '../../shared/wire/summary';
import type { FrameIndex } from './frame-index';
import type { KeyLog } from '../../shared/tls/keylog';
import { createNodeQuicCrypto, createNodeQuicTlsCrypto } from './quic-crypto';
import { FrameFieldStore } from '../../shared/field-store';

const UDP = 17;
/** The contract bounds strings and lists; a hostile hello must not make the list unsendable. */
const MAX_TEXT = 255;
const MAX_ALPN = 64;

/** Info texts kept for the packet list; past this many QUIC frames a row says QUIC without details. */
const MAX_INFO_TEXTS = 250_000;

/** Frames whose QUIC detail tree is kept for the detail pane (the display filter's fields are kept for every frame). */
const MAX_DETAILS = 100_000;

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

  /** `keyLog`: the session's TLS secrets, which also open Handshake and 1-RTT packets. */
  constructor(private readonly keyLog: KeyLog | null = null) {
    this.tracker = new QuicAttemptTracker(createNodeQuicCrypto(), { keyLog, tlsCrypto: createNodeQuicTlsCrypto() });
  }
  private readonly summary = createPacketSummary();
  /** Frame index → the packet list's Info text, for frames that carry QUIC. */
  private readonly infoTexts = new Map<number, string>();
  /** One bit per frame index for QUIC frames past MAX_INFO_TEXTS: named QUIC, without details. */
  private untold: Uint8Array = new Uint8Array(0);
  /** Frames queued for analysis and not analyzed yet. */
  private readonly pending = new Set<number>();
  /** Frame index → its packets (without CRYPTO/STREAM bytes), for the detail pane; bounded like the Info texts. */
  private readonly details = new Map<number, QuicPacketInfo[]>();
  /** Every QUIC frame's display-filter fields, compactly (tens of bytes a frame), so filters see the whole capture. */
  private fieldStore = new FrameFieldStore();
  /** One bit per frame index: its datagram completed HTTP/3 frames (Protocol says HTTP3, as in Wireshark). */
  private http3Frames: Uint8Array = new Uint8Array(0);
  /** Bumped by reread: analyses queued by the tracker it replaced are not remembered. */
  private generation = 0;

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
   * 1-RTT packets already seen can now be opened). `frames` gives the indexed UDP frames' bytes in order.
   */
  reread(frames: Iterable<[number, Uint8Array]>, index: FrameIndex): void {
    this.tracker = new QuicAttemptTracker(createNodeQuicCrypto(), { keyLog: this.keyLog, tlsCrypto: createNodeQuicTlsCrypto() });
    this.generation++;
    this.infoTexts.clear();
    this.details.clear();
    this.fieldStore = new FrameFieldStore();
    this.http3Frames = new Uint8Array(0);
    this.pending.clear();
    this.untold = new Uint8Array(0);
    for (const [i, bytes] of frames) this.offer(i, bytes, index.linkType[i], index.tsSeconds[i], index.tsNanos[i], index.originalLength[i]);
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

  /** Bytes the kept filter fields take (for the memory figure in tests and docs). */
  get fieldBytes(): number {
    return this.fieldStore.bytes;
  }

  private remember(i: number, infos: QuicPacketInfo[]): void {
    this.pending.delete(i);
    if (infos.length === 0) return;
    this.fieldStore.append(i, quicFieldsJson(infos));
    if (this.details.size < MAX_DETAILS) this.details.set(i, infos.map((info) => ({ ...info, crypto: [], streams: [] })));
    if (infos.some((info) => info.http3.length > 0)) this.http3Frames = setBit(this.http3Frames, i);
    if (this.infoTexts.size < MAX_INFO_TEXTS) this.infoTexts.set(i, clip(quicInfoText(infos)));
    else this.untold = setBit(this.untold, i);
  }

  /** The detail pane's QUIC, TLS and HTTP/3 nodes for frame i ([] when it carries no QUIC, or its detail was not kept). */
  async detail(i: number): Promise<DetailNode[]> {
    if (this.pending.has(i)) await this.tracker.settled();
    const infos = this.details.get(i);
    return infos ? quicDetailNodes(infos) : [];
  }

  /**
   * The packet list's Protocol and Info for frame i when it carries QUIC, else null. Waits
   * for frames among `waitFor` whose analysis is still queued (decryption is asynchronous).
   */
  async columns(waitFor: readonly number[]): Promise<(i: number) => { protocol: string; info: string } | null> {
    if (waitFor.some((i) => this.pending.has(i))) await this.tracker.settled();
    return (i) => {
      const info = this.infoTexts.get(i);
      if (info !== undefined) return { protocol: hasBit(this.http3Frames, i) ? 'HTTP3' : 'QUIC', info };
      return hasBit(this.untold, i) ? { protocol: hasBit(this.http3Frames, i) ? 'HTTP3' : 'QUIC', info: `QUIC (details are kept for the first ${MAX_INFO_TEXTS.toLocaleString('en-US')} QUIC frames)` } : null;
    };
  }

  /** The attempts seen in the frames indexed so far, in order of first appearance. */
  async rows(index: FrameIndex): Promise<QuicAttemptRow[]> {
    await this.tracker.settled();
    return this.tracker.attempts().map((attempt) => toRow(attempt, index));
  }
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
