/**
 * One UDP datagram in, one record per QUIC packet out: header fields, and for Initial
 * packets the decrypted frames and any TLS hello completed by this datagram's CRYPTO data.
 * Hostile bytes never throw out of `analyzeQuicDatagram`: every problem becomes `error`.
 */
import { toHex } from '../wire/bytes';
import type { TlsHello } from '../track/tls';
import type { QuicCrypto } from './crypto';
import { CryptoStreamAssembler } from './crypto-stream';
import type { TlsHandshakeMessage } from '../tls/handshake';
import type { Http3FrameInfo } from '../http3/session';
import { parseFrames, type FrameLevel, type QuicFrame } from './frames';
import { parseDatagram, type ParsedDatagram, type QuicPacketHeader, type QuicPacketType } from './header';
import { deriveInitialKeys, type InitialKeys } from './keys';
import { openPacket, verifyRetryIntegrity } from './protection';
import { quicVersionName } from './versions';

/** A frame as reported: CRYPTO and STREAM data are summarised by their range. */
export type QuicFrameSummary =
  | Exclude<QuicFrame, { type: 'crypto' } | { type: 'stream' }>
  | { type: 'crypto'; frameType: number; offset: number; length: number }
  | { type: 'stream'; frameType: number; streamId: number; offset: number; length: number; fin: boolean };

export interface QuicCryptoFragment {
  offset: number;
  data: Uint8Array;
}

export interface QuicStreamFragment {
  streamId: number;
  offset: number;
  data: Uint8Array;
  fin: boolean;
}

/** What `openProtected` gives back for a Handshake, 0-RTT or 1-RTT packet. */
export interface OpenedProtectedPacket {
  side: 'client' | 'server';
  packetNumber: number;
  payload: Uint8Array;
  reservedBits: number;
  keyPhase: number | null;
}

export interface QuicPacketInfo {
  type: QuicPacketType;
  /** Position of this packet in the datagram. */
  offset: number;
  length: number;
  version: number;
  versionName: string;
  /** Connection IDs in lowercase hex ("" when empty or unknown). */
  dcid: string;
  scid: string;
  /** Initial: the token; Retry: the Retry Token (hex). */
  token: string;
  packetNumber: number | null;
  /** Version Negotiation only. */
  supportedVersions: number[];
  /** Retry only: whether the integrity tag verified against the original DCID, or null when it was not known. */
  retryIntegrityValid: boolean | null;
  /** Whose keys opened the packet, or null when it stayed protected. */
  openedWith: 'client' | 'server' | null;
  /** 1-RTT: the Key Phase bit once header protection is off. */
  keyPhase: number | null;
  frames: QuicFrameSummary[];
  /** CRYPTO frame data in packet order, for reassembly across datagrams. */
  crypto: QuicCryptoFragment[];
  /** STREAM frame data in packet order. */
  streams: QuicStreamFragment[];
  /** TLS handshake messages whose last CRYPTO bytes came in this packet (filled by the tracker). */
  handshakes: TlsHandshakeMessage[];
  /** HTTP/3 frames completed by this packet's STREAM data (filled by the tracker). */
  http3: Http3FrameInfo[];
  /** A ClientHello or ServerHello completed by the CRYPTO data of this datagram alone. */
  hello: TlsHello | null;
  /** Why the packet could not be fully read, or null. */
  error: string | null;
  /** Why a Handshake, 0-RTT or 1-RTT packet stayed protected (the key log lacks its secret…), or null. */
  notDecrypted: string | null;
  /** The attempt the tracker tied the packet to (its id, tshark's quic.connection.number); absent when none. */
  connection?: number;
}

export interface QuicAnalyzeContext {
  /**
   * Destination Connection IDs the client derived Initial keys from, as learnt from earlier
   * packets of the same attempt (its first Initial's DCID; the Retry's SCID). Needed to open
   * server Initials and the client's later Initials. The packet's own DCID is always tried.
   */
  initialDcids?: Uint8Array[];
  /** The DCID of the client's first Initial, to check a Retry's integrity tag. */
  originalDcid?: Uint8Array;
  /** Largest Initial packet number already seen per side, for packet-number recovery. */
  largestPacketNumber?: { client: number; server: number };
  /** Shared across calls so keys are derived once per connection ID. */
  keyCache?: InitialKeyCache;
  /** The capture's snap length cut this datagram (fewer bytes captured than the UDP length gives). */
  cut?: boolean;
  /** The DCID length of a short-header packet of this connection; absent when the datagram is not known to belong to one. */
  shortDcidLength?: number;
  /**
   * Opens a Handshake, 0-RTT or 1-RTT packet with the key log's keys (the tracker's): the opened
   * packet, a string saying why not, or null when no attempt is known for it.
   */
  openProtected?: (packet: QuicPacketHeader, bytes: Uint8Array) => OpenedProtectedPacket | string | null;
  /** Each packet's record as soon as it is read, before the next packet of the datagram is opened (a ServerHello selects the next one's keys). */
  onPacket?: (info: QuicPacketInfo) => void;
}

const KEY_CACHE_LIMIT = 512;

/** Derived Initial keys by (version, DCID); bounded so a flood of random IDs cannot grow it forever. */
export class InitialKeyCache {
  private readonly entries = new Map<string, Promise<InitialKeys | null>>();

  get(crypto: QuicCrypto, version: number, dcid: Uint8Array): Promise<InitialKeys | null> {
    const id = `${version}:${toHex(dcid)}`;
    let keys = this.entries.get(id);
    if (!keys) {
      if (this.entries.size >= KEY_CACHE_LIMIT) this.entries.clear();
      keys = deriveInitialKeys(crypto, version, dcid);
      this.entries.set(id, keys);
    }
    return keys;
  }
}

/** The record of a packet as far as its header tells, before any decryption. */
export function describePacket(packet: QuicPacketHeader): QuicPacketInfo {
  return {
    type: packet.type,
    offset: packet.start,
    length: packet.end - packet.start,
    version: packet.version,
    versionName: packet.version < 0 ? '' : quicVersionName(packet.version),
    dcid: toHex(packet.dcid),
    scid: toHex(packet.scid),
    token: toHex(packet.token),
    packetNumber: null,
    supportedVersions: packet.supportedVersions,
    retryIntegrityValid: null,
    openedWith: null,
    keyPhase: null,
    frames: [],
    crypto: [],
    streams: [],
    handshakes: [],
    http3: [],
    hello: null,
    error: null,
    notDecrypted: null,
  };
}

/** Reads a decrypted payload's frames into `info`. */
function readFrames(info: QuicPacketInfo, payload: Uint8Array, level: FrameLevel): void {
  const parsed = parseFrames(payload, level);
  for (const frame of parsed.frames) {
    if (frame.type === 'crypto') {
      info.frames.push({ type: 'crypto', frameType: frame.frameType, offset: frame.offset, length: frame.data.length });
      info.crypto.push({ offset: frame.offset, data: frame.data });
    } else if (frame.type === 'stream') {
      info.frames.push({ type: 'stream', frameType: frame.frameType, streamId: frame.streamId, offset: frame.offset, length: frame.data.length, fin: frame.fin });
      info.streams.push({ streamId: frame.streamId, offset: frame.offset, data: frame.data, fin: frame.fin });
    } else {
      info.frames.push(frame);
    }
  }
  if (parsed.error) info.error = parsed.error;
}

function openWithKeyLog(payload: Uint8Array, packet: QuicPacketHeader, info: QuicPacketInfo, context: QuicAnalyzeContext): void {
  const opened = context.openProtected?.(packet, payload) ?? null;
  if (opened === null) return;
  if (typeof opened === 'string') {
    info.notDecrypted = opened;
    return;
  }
  info.openedWith = opened.side;
  info.packetNumber = opened.packetNumber;
  info.keyPhase = opened.keyPhase;
  readFrames(info, opened.payload, packet.type === 'handshake' ? 'handshake' : 'application');
  if (opened.reservedBits !== 0) info.error ??= 'reserved header bits are not zero';
}

async function openInitial(
  crypto: QuicCrypto,
  bytes: Uint8Array,
  packet: QuicPacketHeader,
  info: QuicPacketInfo,
  context: QuicAnalyzeContext,
  cache: InitialKeyCache,
): Promise<void> {
  // A client's first Initials are keyed by their own DCID; everything else by a DCID learnt earlier.
  const candidates: Array<{ dcid: Uint8Array; side: 'client' | 'server' }> = [{ dcid: packet.dcid, side: 'client' }];
  for (const dcid of context.initialDcids ?? []) candidates.push({ dcid, side: 'client' }, { dcid, side: 'server' });
  let lastReason = 'no Initial keys for this version';
  for (const candidate of candidates) {
    const keys = await cache.get(crypto, packet.version, candidate.dcid);
    if (!keys) break;
    const largest = context.largestPacketNumber?.[candidate.side] ?? -1;
    const opened = await openPacket(crypto, bytes, packet, keys[candidate.side], largest);
    if (typeof opened === 'string') {
      lastReason = opened;
      if (opened !== 'AEAD authentication failed') break; // the packet itself is too short: no key will help
      continue;
    }
    info.openedWith = candidate.side;
    info.packetNumber = opened.packetNumber;
    if (opened.reservedBits !== 0) info.error = 'reserved header bits are not zero';
    readFrames(info, opened.payload, 'handshake');
    return;
  }
  info.error = `Initial not decrypted: ${lastReason}`;
}

/** Parses and, where the keys are derivable, decrypts every QUIC packet in one UDP payload. */
export async function analyzeQuicDatagram(payload: Uint8Array, crypto: QuicCrypto, context: QuicAnalyzeContext = {}): Promise<QuicPacketInfo[]> {
  const infos: QuicPacketInfo[] = [];
  try {
    const parsed = parseDatagram(payload, context.cut === true, context.shortDcidLength ?? -1);
    const cache = context.keyCache ?? new InitialKeyCache();
    for (const packet of parsed.packets) {
      const info = describePacket(packet);
      infos.push(info);
      if (packet.truncated) {
        info.error = truncatedError(packet);
      } else if (packet.type === 'initial') {
        await openInitial(crypto, payload, packet, info, context, cache);
      } else if (packet.type === 'retry' && context.originalDcid) {
        info.retryIntegrityValid = await verifyRetryIntegrity(crypto, payload, packet, context.originalDcid);
        if (!info.retryIntegrityValid) info.error = 'Retry integrity tag does not verify';
      } else {
        openWithoutInitialKeys(payload, packet, info, context);
      }
      context.onPacket?.(info);
    }
    finishDatagram(payload, parsed, infos);
  } catch (error) {
    // A QuicCrypto implementation that throws (e.g. a missing WebCrypto algorithm) must not take the caller down.
    infos.push(unreadable(payload, `QUIC analysis failed: ${error instanceof Error ? error.message : String(error)}`));
  }
  return infos;
}

/**
 * `analyzeQuicDatagram` done at once, or null (with nothing done) when a packet needs what is
 * only asynchronous: Initial keys or a Retry's integrity check. Handshake, 0-RTT and 1-RTT
 * packets open with the key log's synchronous primitives, so most of a connection's datagrams
 * need neither a promise nor a copy of their bytes.
 */
export function analyzeQuicDatagramNow(payload: Uint8Array, context: QuicAnalyzeContext = {}): QuicPacketInfo[] | null {
  const infos: QuicPacketInfo[] = [];
  try {
    const parsed = parseDatagram(payload, context.cut === true, context.shortDcidLength ?? -1);
    for (const packet of parsed.packets) {
      if (!packet.truncated && (packet.type === 'initial' || (packet.type === 'retry' && context.originalDcid))) return null;
    }
    for (const packet of parsed.packets) {
      const info = describePacket(packet);
      infos.push(info);
      if (packet.truncated) info.error = truncatedError(packet);
      else openWithoutInitialKeys(payload, packet, info, context);
      context.onPacket?.(info);
    }
    finishDatagram(payload, parsed, infos);
  } catch (error) {
    infos.push(unreadable(payload, `QUIC analysis failed: ${error instanceof Error ? error.message : String(error)}`));
  }
  return infos;
}

function truncatedError(packet: QuicPacketHeader): string {
  return `${packet.type === 'initial' ? 'Initial' : 'packet'} cut by the snap length: header only, not decrypted`;
}

/** A packet that is neither an Initial nor a Retry to verify: the key log's packets are opened. */
function openWithoutInitialKeys(payload: Uint8Array, packet: QuicPacketHeader, info: QuicPacketInfo, context: QuicAnalyzeContext): void {
  if (packet.type === 'handshake' || packet.type === '0-rtt' || packet.type === 'short') openWithKeyLog(payload, packet, info, context);
}

/** The datagram's parse error, and the hellos whose CRYPTO data all arrived in this one datagram. */
function finishDatagram(payload: Uint8Array, parsed: ParsedDatagram, infos: QuicPacketInfo[]): void {
  if (parsed.error) {
    if (infos.length > 0) infos[infos.length - 1].error ??= parsed.error;
    else infos.push(unreadable(payload, parsed.error));
  }
  for (const side of ['client', 'server'] as const) {
    const fragments = infos.filter((info) => info.openedWith === side && info.type === 'initial').flatMap((info) => info.crypto);
    if (fragments.length === 0) continue;
    const assembler = new CryptoStreamAssembler();
    let hello: TlsHello | null = null;
    for (const fragment of fragments) hello = assembler.push(fragment.offset, fragment.data) ?? hello;
    const carrier = infos.find((info) => info.openedWith === side && info.type === 'initial' && info.crypto.length > 0);
    if (hello && carrier) carrier.hello = hello;
  }
}

function unreadable(payload: Uint8Array, reason: string): QuicPacketInfo {
  return {
    type: 'unknown-version',
    offset: 0,
    length: payload.length,
    version: -1,
    versionName: '',
    dcid: '',
    scid: '',
    token: '',
    packetNumber: null,
    supportedVersions: [],
    retryIntegrityValid: null,
    openedWith: null,
    keyPhase: null,
    frames: [],
    crypto: [],
    streams: [],
    handshakes: [],
    http3: [],
    hello: null,
    error: reason,
    notDecrypted: null,
  };
}
