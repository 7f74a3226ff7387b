/**
 * QUIC connection attempts, shown beside the TCP connections: who started one (the sender
 * of the first client Initial), to whom, in which version, with which connection IDs, what
 * its ClientHello offered (SNI, ALPN, versions, suites) and how many packets of each type
 * were seen. Packets are tied to an attempt by their connection IDs, falling back to the
 * UDP 4-tuple because clients often choose an empty Source Connection ID.
 *
 * Feed datagrams in capture order and await each `observe` before the next: a server
 * Initial can only be opened with keys learnt from the client's earlier Initial.
 */
import { formatEpoch } from '../files/timestamp';
import { formatEndpoint } from '../track/tracker';
import type { TlsHello } from '../track/tls';
import { fromHex, toHex } from '../wire/bytes';
import type { JsonObject } from '../track/json';
import type { PacketSummary } from '../wire/summary';
import type { KeyLog } from '../tls/keylog';
import { bytesToHex } from '../tls/keylog';
import { parseHandshakeMessage } from '../tls/handshake';
import type { CertificateInfo } from '../tls/x509';
import { Http3Connection, type Http3Request } from '../http3/session';
import { huffmanDecode } from '../http2/hpack/huffman';
import { analyzeQuicDatagram, analyzeQuicDatagramNow, InitialKeyCache, type OpenedProtectedPacket, type QuicAnalyzeContext, type QuicPacketInfo } from './analyze';
import type { QuicCrypto } from './crypto';
import { CryptoStreamAssembler } from './crypto-stream';
import { looksLikeQuic, type QuicPacketHeader, type QuicPacketType } from './header';
import { QuicPacketKeys, type KeyGenerationCursor, type ProtectedLevel, type QuicTlsCrypto } from './packet-keys';
import { quicVersionName } from './versions';

export interface QuicDatagramMeta {
  frame: number;
  /** frame.time_epoch form, e.g. "1700000000.123456789". */
  time: string;
  /** Endpoints in cli.md form: "198.18.0.1:40000" or "[2001:db8::1]:443". */
  source: string;
  destination: string;
  srcPort: number;
  dstPort: number;
}

export type QuicPacketCounts = Record<Exclude<QuicPacketType, 'unknown-version'> | 'other', number>;

export interface QuicAttempt {
  /** Numbered from 0 in order of first appearance. */
  id: number;
  client: string;
  server: string;
  /** True when the client side was inferred (no client Initial seen, e.g. the capture began mid-handshake). */
  directionGuessed: boolean;
  version: number;
  /** The Destination Connection ID of the client's first Initial: the Initial keys' input. */
  originalDcid: string;
  clientScid: string;
  serverScid: string | null;
  firstFrame: number;
  lastFrame: number;
  start: string;
  end: string;
  packets: QuicPacketCounts;
  clientHello: TlsHello | null;
  /** The frame whose CRYPTO data completed the ClientHello (it may span several datagrams). */
  clientHelloFrame: number | null;
  serverHello: TlsHello | null;
  /** The server asked for another version (Version Negotiation): the versions it offered. */
  versionNegotiation: number[] | null;
  retry: { token: string; integrityValid: boolean | null } | null;
  /** The first CONNECTION_CLOSE seen in an Initial. */
  close: { errorCode: number; reason: string; by: 'client' | 'server' } | null;
  /** Problems met while reading this attempt's packets (first few). */
  problems: string[];
  /** With a key log: what decrypting the Handshake and 1-RTT packets showed. */
  tls: QuicTlsSummary;
  /** HTTP/3 requests seen on decrypted streams (null when no HTTP/3 stream was seen). */
  http: Http3Request[] | null;
}

export interface QuicTlsSummary {
  /** true when every Handshake/1-RTT packet seen was decrypted; otherwise why not (the first reason); null when none was seen. */
  decrypted: true | string | null;
  decryptedPackets: number;
  undecryptedPackets: number;
  alpnSelected: string | null;
  certificates: CertificateInfo[];
  /** Key updates per side (1-RTT generations past the first). */
  keyUpdates: { client: number; server: number };
  handshakeDone: boolean;
}

export interface QuicTrackerOptions {
  /** Attempts kept; later ones are counted in `droppedAttempts` (hostile floods). Default 10000. */
  maxAttempts?: number;
  /** TLS secrets for Handshake, 0-RTT and 1-RTT packets (RFC 9001 §5.1); may grow while frames arrive. */
  keyLog?: KeyLog | null;
  /** The synchronous primitives those packets need (`electron/engine/quic-crypto.ts`). */
  tlsCrypto?: QuicTlsCrypto;
}

type CryptoLevel = 'initial' | 'handshake' | '1-rtt';
type Sides<T> = { client: T; server: T };

interface AttemptState {
  attempt: QuicAttempt;
  clientEndpoint: string;
  /** DCIDs the client derived Initial keys from (first Initial, then after a Retry). */
  keyDcids: Uint8Array[];
  /** CRYPTO streams per encryption level and side (RFC 9001 §4.1.3: each level has its own). */
  crypto: Record<CryptoLevel, Sides<CryptoStreamAssembler>>;
  largest: { client: number; server: number };
  /** Largest packet numbers of the Handshake and application spaces (RFC 9000 §12.3). */
  largestProtected: Record<'handshake' | 'application', Sides<number>>;
  keys: QuicPacketKeys | null;
  http3: Http3Connection | null;
  /** Connection IDs each side's peer sends short headers to: their length gives the short-header DCID length. */
  dcidLength: Sides<number>;
}

const MAX_PROBLEMS = 8;

/** Header form 0 with the fixed bit: a short-header (1-RTT) packet, if it belongs to a known attempt. */
/**
 * Header form 0: a short-header (1-RTT) packet, if it belongs to a known attempt. The fixed bit
 * is not required: a peer that announced grease_quic_bit (RFC 9287) may clear it after the handshake.
 */
const isShortHeader = (payload: Uint8Array) => payload.length > 0 && (payload[0] & 0x80) === 0;
/** A long header whose fixed bit is clear (RFC 9287 greasing): QUIC only when its DCID names a known attempt. */
const isGreasedLongHeader = (payload: Uint8Array) => payload.length >= 7 && (payload[0] & 0xc0) === 0x80;

function emptyCounts(): QuicPacketCounts {
  return { initial: 0, '0-rtt': 0, handshake: 0, retry: 0, 'version-negotiation': 0, short: 0, other: 0 };
}

/** Where a reader going through one attempt's datagrams again is: largest packet numbers per space and side, 1-RTT key generations. */
export interface QuicReadCursor {
  initial: Sides<number>;
  protected: Record<'handshake' | 'application', Sides<number>>;
  generation: KeyGenerationCursor;
}

export function newQuicReadCursor(): QuicReadCursor {
  return { initial: { client: -1, server: -1 }, protected: { handshake: { client: -1, server: -1 }, application: { client: -1, server: -1 } }, generation: { client: 0, server: 0 } };
}

/**
 * One attempt's datagrams read again in capture order with the tracker's keys (Follow Stream):
 * STREAM data comes back, and the HTTP/3 frames it completes are read by a session of its own.
 */
export class QuicConnectionReader {
  private readonly cursor = newQuicReadCursor();
  private readonly http3 = new Http3Connection(huffmanDecode);

  constructor(
    private readonly tracker: QuicAttemptTracker,
    readonly connection: number,
  ) {}

  async datagram(frame: number, summary: PacketSummary, bytes: Uint8Array): Promise<QuicPacketInfo[]> {
    const infos = await this.tracker.reopen(this.connection, summary, bytes, this.cursor);
    for (const info of infos) {
      if (!info.openedWith) continue;
      for (const fragment of info.streams) info.http3.push(...this.http3.stream(info.openedWith, fragment.streamId, fragment.offset, fragment.data, frame));
    }
    return infos;
  }
}

export class QuicAttemptTracker {
  private readonly states: AttemptState[] = [];
  private readonly byConnectionId = new Map<string, AttemptState>();
  private readonly byTuple = new Map<string, AttemptState>();
  private readonly keyCache = new InitialKeyCache();
  private readonly maxAttempts: number;
  /** The chain `queueFrame` appends to, so queued datagrams are analyzed one by one in order. */
  private queue: Promise<unknown> = Promise.resolve();
  /** A long-header datagram was queued: only then can a queued short-header one belong to an attempt. */
  private queuedLongHeader = false;
  /** Datagrams queued and not yet analyzed. */
  private queued = 0;
  droppedAttempts = 0;

  private readonly keyLog: KeyLog | null;
  private readonly tlsCrypto: QuicTlsCrypto | null;

  constructor(
    private readonly crypto: QuicCrypto,
    options: QuicTrackerOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 10_000;
    this.keyLog = options.keyLog ?? null;
    this.tlsCrypto = options.tlsCrypto ?? null;
  }

  /** Attempts in order of first appearance. */
  attempts(): QuicAttempt[] {
    return this.states.map((state) => state.attempt);
  }

  /**
   * Convenience for the frame pipeline: takes the fast-path summary of a frame and looks at
   * its UDP payload. Returns [] for anything that is not QUIC.
   */
  observeFrame(frame: number, tsSeconds: number, tsNanos: number, summary: PacketSummary, bytes: Uint8Array): Promise<QuicPacketInfo[]> {
    const datagram = this.frameDatagram(frame, tsSeconds, tsNanos, summary, bytes);
    return datagram ? this.observe(datagram.meta, datagram.payload, datagram.cut) : Promise.resolve([]);
  }

  /**
   * `observeFrame` done at once, or null (with nothing done) when the datagram needs Initial
   * keys or a Retry check, which are asynchronous. Only while nothing is queued or awaited
   * before it: datagrams are still analyzed in capture order. `bytes` is read during the call only.
   */
  observeFrameNow(frame: number, tsSeconds: number, tsNanos: number, summary: PacketSummary, bytes: Uint8Array): QuicPacketInfo[] | null {
    const datagram = this.frameDatagram(frame, tsSeconds, tsNanos, summary, bytes);
    if (!datagram) return [];
    const context = this.analyzeContext(datagram.meta, datagram.payload, datagram.cut);
    return context ? analyzeQuicDatagramNow(datagram.payload, context) : [];
  }

  /** A frame's UDP payload and where it went, or null when it is not QUIC. */
  private frameDatagram(frame: number, tsSeconds: number, tsNanos: number, summary: PacketSummary, bytes: Uint8Array): { meta: QuicDatagramMeta; payload: Uint8Array; cut: boolean } | null {
    if (summary.protocol !== 17 || summary.payloadOffset < 0 || summary.ipVersion === 0 || summary.malformed) return null;
    const payload = bytes.subarray(summary.payloadOffset, summary.payloadOffset + summary.payloadLength);
    const cut = payload.length < summary.payloadLength;
    // Checked before formatting addresses: most UDP is not QUIC.
    const candidate = this.states.length > 0 && (isShortHeader(payload) || isGreasedLongHeader(payload));
    if (!candidate && !looksLikeQuic(payload, summary.srcPort, summary.dstPort, cut)) return null;
    const meta: QuicDatagramMeta = {
      frame,
      time: formatEpoch(tsSeconds, tsNanos),
      source: formatEndpoint(summary.ipVersion, summary.srcWords, 0, summary.srcPort),
      destination: formatEndpoint(summary.ipVersion, summary.dstWords, 0, summary.dstPort),
      srcPort: summary.srcPort,
      dstPort: summary.dstPort,
    };
    return { meta, payload, cut };
  }

  /**
   * For synchronous frame callbacks (a file reader's onFrame, whose bytes are only valid
   * during the call): copies the datagram if it looks like QUIC and analyzes it after the ones
   * queued before it. Await `settled()` before reading `attempts()`. Returns whether the
   * frame was queued; if it was, `onAnalyzed` later receives its QUIC packets ([] if none).
   */
  queueFrame(frame: number, tsSeconds: number, tsNanos: number, summary: PacketSummary, bytes: Uint8Array, onAnalyzed?: (infos: QuicPacketInfo[]) => void): boolean {
    if (summary.protocol !== 17 || summary.payloadOffset < 0) return false;
    const payload = bytes.subarray(summary.payloadOffset, summary.payloadOffset + summary.payloadLength);
    // A quarter of all UDP payloads start like a short header: before any long header they are not copied.
    const short = isShortHeader(payload) || isGreasedLongHeader(payload);
    if (short ? !this.queuedLongHeader : !looksLikeQuic(payload, summary.srcPort, summary.dstPort, payload.length < summary.payloadLength)) return false;
    if (!short) this.queuedLongHeader = true;
    // The summary record is reused for the next frame: copy what the deferred analysis needs.
    // A copy even of a Node Buffer, whose slice() is a view (a live capture's read buffer is reused).
    const copy = new Uint8Array(bytes);
    const snapshot = { ...summary, srcWords: summary.srcWords.slice(), dstWords: summary.dstWords.slice() };
    this.queued++;
    this.queue = this.queue
      .then(() => this.observeFrame(frame, tsSeconds, tsNanos, snapshot, copy))
      .then((infos) => onAnalyzed?.(infos))
      .finally(() => this.queued--);
    return true;
  }

  /**
   * `queueFrame` without a callback, for a caller that only reads `attempts()` at the end: a
   * datagram is analyzed at once when nothing is queued and it needs no Initial keys (no copy, no promise).
   */
  analyzeOrQueueFrame(frame: number, tsSeconds: number, tsNanos: number, summary: PacketSummary, bytes: Uint8Array): void {
    if (this.queued === 0) {
      const infos = this.observeFrameNow(frame, tsSeconds, tsNanos, summary, bytes);
      if (infos !== null) {
        // As queueFrame's filter: after a long header, short-header datagrams are worth queueing.
        if (infos.length > 0) this.queuedLongHeader = true;
        return;
      }
    }
    this.queueFrame(frame, tsSeconds, tsNanos, summary, bytes);
  }

  /** Resolves once every queued datagram has been analyzed. */
  async settled(): Promise<void> {
    await this.queue;
  }

  /** Analyzes one UDP payload and folds it into its attempt. Never throws. */
  async observe(meta: QuicDatagramMeta, payload: Uint8Array, cut = false): Promise<QuicPacketInfo[]> {
    const context = this.analyzeContext(meta, payload, cut);
    return context ? analyzeQuicDatagram(payload, this.crypto, context) : [];
  }

  /** How `payload` is read and folded into its attempt, or null when it belongs to none and cannot start one. */
  private analyzeContext(meta: QuicDatagramMeta, payload: Uint8Array, cut: boolean): QuicAnalyzeContext | null {
    const tupleKey = [meta.source, meta.destination].sort().join(' ');
    const short = isShortHeader(payload);
    // 1-RTT packets carry no version or ID length: they belong to the attempt on the same 4-tuple.
    let state = short ? this.byTuple.get(tupleKey) : undefined;
    if (short && !state) return null;
    // Find the attempt from the first long header's IDs before decrypting, so its keys can be tried.
    if (!short && isGreasedLongHeader(payload)) {
      state = this.byConnectionId.get(toHex(payload.subarray(6, 6 + payload[5])));
      if (!state) return null;
    } else if (!short && !looksLikeQuic(payload, meta.srcPort, meta.dstPort, cut)) {
      return null;
    }
    const known = state ?? this.lookup(payload, tupleKey);
    state = known;
    const sender = (): 'client' | 'server' => (state && meta.source !== state.clientEndpoint ? 'server' : 'client');
    return {
      initialDcids: known?.keyDcids,
      originalDcid: known ? fromHex(known.attempt.originalDcid) : undefined,
      largestPacketNumber: known?.largest,
      keyCache: this.keyCache,
      cut,
      shortDcidLength: known ? known.dcidLength[known.clientEndpoint === meta.source ? 'client' : 'server'] : -1,
      openProtected: (packet, bytes) => (state ? this.openProtected(state, sender(), packet, bytes) : null),
      onPacket: (info) => {
        if (info.type === 'short') {
          if (state) this.record(state, meta, info);
          return;
        }
        if (!state || this.startsNewAttempt(state, info)) state = this.create(meta, info, tupleKey) ?? state;
        if (state) this.record(state, meta, info);
      },
    };
  }

  /**
   * Reads a datagram of attempt `connection` again, with the keys this tracker derived for it and
   * `cursor`'s packet numbers and key generations (the caller's, advanced as it goes): the packets'
   * CRYPTO and STREAM data come back, and the tracker's own state is left as it was. Datagrams
   * must come in capture order for the packet numbers to come out right.
   */
  /**
   * Where attempt `connection`'s own reading is now (largest packet numbers, 1-RTT key
   * generations): a copy that `reopen` can start from to read the datagrams that follow again.
   */
  cursorOf(connection: number): QuicReadCursor | null {
    const state = this.states[connection];
    if (!state) return null;
    const { handshake, application } = state.largestProtected;
    return {
      initial: { ...state.largest },
      protected: { handshake: { ...handshake }, application: { ...application } },
      generation: state.keys ? { ...state.keys.keyUpdates } : { client: 0, server: 0 },
    };
  }

  /** A datagram that belongs to no attempt, read alone as the first pass read it (its own Initial keys only). */
  async reopenUnattached(summary: PacketSummary, bytes: Uint8Array): Promise<QuicPacketInfo[]> {
    if (summary.protocol !== 17 || summary.payloadOffset < 0 || summary.ipVersion === 0 || summary.malformed) return [];
    const payload = bytes.subarray(summary.payloadOffset, summary.payloadOffset + summary.payloadLength);
    return analyzeQuicDatagram(payload, this.crypto, { keyCache: this.keyCache, cut: payload.length < summary.payloadLength });
  }

  async reopen(connection: number, summary: PacketSummary, bytes: Uint8Array, cursor: QuicReadCursor): Promise<QuicPacketInfo[]> {
    const state = this.states[connection];
    if (!state || summary.protocol !== 17 || summary.payloadOffset < 0 || summary.ipVersion === 0 || summary.malformed) return [];
    const payload = bytes.subarray(summary.payloadOffset, summary.payloadOffset + summary.payloadLength);
    const source = formatEndpoint(summary.ipVersion, summary.srcWords, 0, summary.srcPort);
    const sender: 'client' | 'server' = source === state.clientEndpoint ? 'client' : 'server';
    const infos = await analyzeQuicDatagram(payload, this.crypto, {
      initialDcids: state.keyDcids,
      originalDcid: fromHex(state.attempt.originalDcid),
      largestPacketNumber: cursor.initial,
      keyCache: this.keyCache,
      cut: payload.length < summary.payloadLength,
      shortDcidLength: state.dcidLength[sender],
      openProtected: (packet, packetBytes) => {
        if (!this.tlsCrypto) return null;
        // As the first pass: without keys yet, the packet still says which secret it lacks.
        state.keys ??= new QuicPacketKeys(this.tlsCrypto, this.keyLog);
        const level: ProtectedLevel = packet.type === 'handshake' ? 'handshake' : packet.type === '0-rtt' ? '0-rtt' : '1-rtt';
        const space = cursor.protected[level === 'handshake' ? 'handshake' : 'application'];
        const opened = state.keys.open(level, sender, packetBytes, packet, space[sender], cursor.generation);
        if (typeof opened === 'string') return opened;
        space[sender] = Math.max(space[sender], opened.packetNumber);
        return { side: sender, packetNumber: opened.packetNumber, payload: opened.payload, reservedBits: opened.reservedBits, keyPhase: opened.keyPhase };
      },
      onPacket: (info) => {
        info.connection = connection;
        if (info.type === 'initial' && info.openedWith && info.packetNumber !== null) cursor.initial[info.openedWith] = Math.max(cursor.initial[info.openedWith], info.packetNumber);
      },
    });
    return infos;
  }

  /** Handshake, 0-RTT and 1-RTT packets, with the key log's secrets. */
  private openProtected(state: AttemptState, side: 'client' | 'server', packet: QuicPacketHeader, bytes: Uint8Array): OpenedProtectedPacket | string | null {
    if (!this.tlsCrypto) return null;
    state.keys ??= new QuicPacketKeys(this.tlsCrypto, this.keyLog);
    const level: ProtectedLevel = packet.type === 'handshake' ? 'handshake' : packet.type === '0-rtt' ? '0-rtt' : '1-rtt';
    const space = level === 'handshake' ? 'handshake' : 'application';
    const opened = state.keys.open(level, side, bytes, packet, state.largestProtected[space][side]);
    const tls = state.attempt.tls;
    if (typeof opened === 'string') {
      tls.undecryptedPackets++;
      if (tls.decrypted === null || tls.decrypted === true) tls.decrypted = opened;
      return opened;
    }
    tls.decryptedPackets++;
    if (tls.decrypted === null) tls.decrypted = true;
    state.largestProtected[space][side] = Math.max(state.largestProtected[space][side], opened.packetNumber);
    tls.keyUpdates = { ...state.keys.keyUpdates };
    return { side, packetNumber: opened.packetNumber, payload: opened.payload, reservedBits: opened.reservedBits, keyPhase: opened.keyPhase };
  }

  private lookup(payload: Uint8Array, tupleKey: string): AttemptState | undefined {
    // DCID starts at byte 6 with its length in byte 5; the invariant header is already checked.
    const dcid = toHex(payload.subarray(6, 6 + payload[5]));
    return (dcid && this.byConnectionId.get(dcid)) || this.byTuple.get(tupleKey);
  }

  /** A client Initial opened with its own DCID's keys, under a DCID the attempt does not know, starts a new attempt. */
  private startsNewAttempt(state: AttemptState, info: QuicPacketInfo): boolean {
    if (info.type !== 'initial' || info.openedWith !== 'client' || !info.dcid) return false;
    return !state.keyDcids.some((dcid) => toHex(dcid) === info.dcid) && this.byConnectionId.get(info.dcid) !== state;
  }

  private create(meta: QuicDatagramMeta, info: QuicPacketInfo, tupleKey: string): AttemptState | null {
    if (this.states.length >= this.maxAttempts) {
      this.droppedAttempts++;
      return null;
    }
    // Only a client sends Initials that open under their own DCID, and 0-RTT packets; Retry and
    // Version Negotiation come only from servers. Otherwise guess, as for TCP: the higher port is the client.
    const clientOpened = info.type === 'initial' && info.openedWith === 'client';
    const serverOnly = info.type === 'retry' || info.type === 'version-negotiation';
    const certain = clientOpened || serverOnly || info.type === '0-rtt';
    const sentByClient = clientOpened || info.type === '0-rtt' || (!serverOnly && meta.srcPort > meta.dstPort);
    const client = sentByClient ? meta.source : meta.destination;
    const server = sentByClient ? meta.destination : meta.source;
    const attempt: QuicAttempt = {
      id: this.states.length,
      client,
      server,
      directionGuessed: !certain,
      version: info.version,
      originalDcid: sentByClient ? info.dcid : info.scid,
      clientScid: sentByClient ? info.scid : info.dcid,
      serverScid: null,
      firstFrame: meta.frame,
      lastFrame: meta.frame,
      start: meta.time,
      end: meta.time,
      packets: emptyCounts(),
      clientHello: null,
      clientHelloFrame: null,
      serverHello: null,
      versionNegotiation: null,
      retry: null,
      close: null,
      problems: [],
      tls: { decrypted: null, decryptedPackets: 0, undecryptedPackets: 0, alpnSelected: null, certificates: [], keyUpdates: { client: 0, server: 0 }, handshakeDone: false },
      http: null,
    };
    const assemblers = (): Sides<CryptoStreamAssembler> => ({ client: new CryptoStreamAssembler(), server: new CryptoStreamAssembler() });
    const state: AttemptState = {
      attempt,
      clientEndpoint: client,
      keyDcids: attempt.originalDcid ? [fromHex(attempt.originalDcid)] : [],
      crypto: { initial: assemblers(), handshake: assemblers(), '1-rtt': assemblers() },
      largest: { client: -1, server: -1 },
      largestProtected: { handshake: { client: -1, server: -1 }, application: { client: -1, server: -1 } },
      keys: null,
      http3: null,
      // Towards the server, short headers carry the server's chosen ID; towards the client, the client's.
      dcidLength: { client: -1, server: attempt.clientScid.length / 2 },
    };
    this.states.push(state);
    this.byTuple.set(tupleKey, state);
    if (attempt.originalDcid) this.byConnectionId.set(attempt.originalDcid, state);
    if (attempt.clientScid) this.byConnectionId.set(attempt.clientScid, state);
    return state;
  }

  private count(state: AttemptState, meta: QuicDatagramMeta, type: keyof QuicPacketCounts): void {
    state.attempt.packets[type]++;
    state.attempt.lastFrame = meta.frame;
    state.attempt.end = meta.time;
  }

  /** Only servers send Retry and Version Negotiation: settles (or corrects) a guessed direction. */
  private confirmServer(state: AttemptState, server: string): void {
    const attempt = state.attempt;
    if (!attempt.directionGuessed) return;
    if (attempt.client === server) {
      attempt.client = attempt.server;
      attempt.server = server;
      state.clientEndpoint = attempt.client;
    }
    attempt.directionGuessed = false;
  }

  private record(state: AttemptState, meta: QuicDatagramMeta, info: QuicPacketInfo): void {
    const attempt = state.attempt;
    const fromClient = meta.source === state.clientEndpoint;
    info.connection = attempt.id;
    this.count(state, meta, info.type === 'unknown-version' ? 'other' : info.type);
    if (info.error && attempt.problems.length < MAX_PROBLEMS) attempt.problems.push(`frame ${meta.frame}: ${info.error}`);
    // First ID only: a peer that keeps inventing IDs must not grow the index.
    if (!fromClient && info.scid && attempt.serverScid === null && (info.type === 'initial' || info.type === 'handshake')) {
      attempt.serverScid = info.scid;
      state.dcidLength.client = info.scid.length / 2;
      this.byConnectionId.set(info.scid, state);
    }
    if (info.type === 'version-negotiation' || info.type === 'retry') this.confirmServer(state, meta.source);
    if (info.type === 'version-negotiation') attempt.versionNegotiation = info.supportedVersions;
    if (info.type === 'retry' && !attempt.retry) {
      // A client accepts one Retry per connection (RFC 9000 §17.2.5.2); later ones are only counted.
      attempt.retry = { token: info.token, integrityValid: info.retryIntegrityValid };
      // The client's next Initial is keyed by the Retry's Source Connection ID (RFC 9001 §5.2).
      if (info.scid) {
        state.keyDcids.push(fromHex(info.scid));
        this.byConnectionId.set(info.scid, state);
      }
    }
    if (!info.openedWith) return;
    const side = info.openedWith;
    if (info.type === 'initial' && info.packetNumber !== null) state.largest[side] = Math.max(state.largest[side], info.packetNumber);
    const level: CryptoLevel = info.type === 'initial' ? 'initial' : info.type === 'handshake' ? 'handshake' : '1-rtt';
    const assembler = state.crypto[level][side];
    for (const fragment of info.crypto) {
      const hello = assembler.push(fragment.offset, fragment.data);
      if (hello && side === 'client' && !attempt.clientHello) {
        attempt.clientHello = hello;
        attempt.clientHelloFrame = meta.frame;
      }
      if (hello && side === 'server') attempt.serverHello ??= hello;
      for (const message of assembler.takeMessages()) this.handshakeMessage(state, side, message.type, message.body, info);
    }
    const problem = assembler.problem;
    if (problem && attempt.problems.length < MAX_PROBLEMS && !attempt.problems.some((p) => p.endsWith(problem))) attempt.problems.push(`${side} CRYPTO: ${problem}`);
    for (const frame of info.frames) {
      if (frame.type === 'connection-close' && !attempt.close) attempt.close = { errorCode: frame.errorCode, reason: frame.reason, by: side };
      if (frame.type === 'handshake-done') attempt.tls.handshakeDone = true;
      if (frame.type === 'new-connection-id' && side === 'server' && state.dcidLength.client < 0) state.dcidLength.client = frame.connectionId.length / 2;
    }
    if (info.streams.length > 0) {
      if (!state.http3) {
        state.http3 = new Http3Connection(huffmanDecode);
        attempt.http = [];
      }
      for (const fragment of info.streams) info.http3.push(...state.http3.stream(side, fragment.streamId, fragment.offset, fragment.data, meta.frame));
      attempt.http = state.http3.allRequests();
      for (const problem of state.http3.problems) if (attempt.problems.length < MAX_PROBLEMS && !attempt.problems.includes(`HTTP/3: ${problem}`)) attempt.problems.push(`HTTP/3: ${problem}`);
    }
  }

  /** A whole TLS handshake message from a CRYPTO stream: shown in its packet, and what it selects. */
  private handshakeMessage(state: AttemptState, side: 'client' | 'server', type: number, body: Uint8Array, info: QuicPacketInfo): void {
    const message = parseHandshakeMessage(type, body, true);
    info.handshakes.push(message);
    const tls = state.attempt.tls;
    if (type === 1 && body.length >= 34 && this.tlsCrypto) {
      state.keys ??= new QuicPacketKeys(this.tlsCrypto, this.keyLog);
      state.keys.setClientRandom(bytesToHex(body.subarray(2, 34)));
    }
    if (type === 2 && message.hello && this.tlsCrypto) {
      state.keys ??= new QuicPacketKeys(this.tlsCrypto, this.keyLog);
      const suite = message.hello.cipherSuites[0];
      if (suite !== undefined) state.keys.setCipherSuite(suite);
    }
    if (type === 8 && message.alpn && message.alpn.length > 0) tls.alpnSelected ??= message.alpn[0];
    if (type === 11 && side === 'server') for (const certificate of message.certificates ?? []) tls.certificates.push(certificate.info);
  }
}

/** The `{"type":"quic", …}` object for `analyze --json`, printed beside the TCP connection objects. */
export function quicAttemptToJson(attempt: QuicAttempt): JsonObject {
  const hello = attempt.clientHello;
  return {
    type: 'quic',
    'quic.attempt': attempt.id,
    client: attempt.client,
    server: attempt.server,
    direction_guessed: attempt.directionGuessed,
    version: quicVersionName(attempt.version),
    dcid: attempt.originalDcid,
    scid: attempt.clientScid,
    server_scid: attempt.serverScid,
    start: attempt.start,
    end: attempt.end,
    first_frame: attempt.firstFrame,
    last_frame: attempt.lastFrame,
    packets: attempt.packets,
    tls: hello
      ? {
          client_hello_frame: attempt.clientHelloFrame,
          sni: hello.serverName,
          alpn_offered: hello.alpn,
          versions_offered: hello.supportedVersions,
          ciphers_offered: hello.cipherSuites,
          version_selected: attempt.serverHello?.supportedVersions[0] ?? null,
          cipher_selected: attempt.serverHello?.cipherSuites[0] ?? null,
          // As a TCP connection's: the key log's verdict, the server's choice and its chain.
          decrypted: attempt.tls.decrypted,
          alpn_selected: attempt.tls.alpnSelected,
          certificates: attempt.tls.certificates.map((c) => ({ subject: c.subject, issuer: c.issuer, san: c.san, not_before: c.notBefore, not_after: c.notAfter, key_type: c.keyDetail ? `${c.keyType} ${c.keyDetail}` : c.keyType, signature_algorithm: c.signatureAlgorithm })),
          handshake_done: attempt.tls.handshakeDone,
          key_updates: attempt.tls.keyUpdates,
        }
      : null,
    http: attempt.http
      ? {
          version: 'HTTP/3',
          requests: attempt.http.map((r) => ({ stream: r.streamId, method: r.method, authority: r.authority, path: r.path, status: r.status, request_frame: r.requestFrame, response_frame: r.responseFrame })),
        }
      : null,
    version_negotiation: attempt.versionNegotiation,
    retry: attempt.retry,
    close: attempt.close,
    problems: attempt.problems,
  };
}

/**
 * One human-readable block for `analyze` without --json: a head line such as
 * "QUIC 0  198.18.0.1:50000 → 198.18.0.2:443  QUIC v1  dcid 8394c8f03e515708", then details.
 */
export function quicAttemptText(attempt: QuicAttempt): string {
  const arrow = attempt.directionGuessed ? '↔' : '→';
  const lines = [`QUIC ${attempt.id}  ${attempt.client} ${arrow} ${attempt.server}  ${quicVersionName(attempt.version)}  dcid ${attempt.originalDcid || '(empty)'}`];
  const counts = Object.entries(attempt.packets)
    .filter(([, count]) => count > 0)
    .map(([type, count]) => `${count} ${type}`)
    .join(', ');
  lines.push(`  frames ${attempt.firstFrame}–${attempt.lastFrame}: ${counts}`);
  const hello = attempt.clientHello;
  if (hello) {
    lines.push(`  ClientHello (frame ${attempt.clientHelloFrame}): SNI ${hello.serverName ?? '(none)'}, ALPN ${hello.alpn.join(',') || '(none)'}`);
  }
  if (attempt.serverHello) lines.push(`  ServerHello: cipher 0x${(attempt.serverHello.cipherSuites[0] ?? 0).toString(16).padStart(4, '0')}`);
  const tls = attempt.tls;
  if (tls.decrypted !== null) {
    const parts = [tls.decrypted === true ? `decrypted (${tls.decryptedPackets} Handshake/1-RTT packets)` : `not decrypted: ${tls.decrypted}`];
    if (tls.alpnSelected) parts.push(`ALPN ${tls.alpnSelected}`);
    const leaf = tls.certificates[0];
    if (leaf) parts.push(`certificate ${leaf.subject}${leaf.san.length ? ` (SAN ${leaf.san.join(', ')})` : ''}, issuer ${leaf.issuer}`);
    if (tls.keyUpdates.client + tls.keyUpdates.server > 0) parts.push(`key updates: client ${tls.keyUpdates.client}, server ${tls.keyUpdates.server}`);
    lines.push(`  TLS ${parts.join('; ')}`);
  }
  for (const request of attempt.http ?? []) {
    lines.push(`  HTTP/3 stream ${request.streamId}: ${request.method ?? '?'} ${request.scheme ?? 'https'}://${request.authority ?? '?'}${request.path ?? ''} → ${request.status ?? 'no response'} (frames ${request.requestFrame ?? '?'}, ${request.responseFrame ?? '?'})`);
  }
  if (attempt.retry) lines.push(`  Retry: token ${attempt.retry.token.length / 2} bytes, integrity ${attempt.retry.integrityValid === null ? 'unchecked' : attempt.retry.integrityValid ? 'valid' : 'INVALID'}`);
  if (attempt.versionNegotiation) lines.push(`  Version Negotiation: server offers ${attempt.versionNegotiation.map(quicVersionName).join(', ')}`);
  if (attempt.close) lines.push(`  CONNECTION_CLOSE by ${attempt.close.by}: error 0x${attempt.close.errorCode.toString(16)} ${attempt.close.reason}`.trimEnd());
  for (const problem of attempt.problems) lines.push(`  ! ${problem}`);
  return lines.join('\n');
}
