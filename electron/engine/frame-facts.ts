/**
 * Everything the session knows about a frame beyond its place in the file: the index
 * columns filled from the fast-path summary and the tracker at ingest, and — by
 * re-decoding the frame's bytes on demand — the row text, the detail tree and the
 * display-filter fields. Connections and ladders come from the tracker's summaries.
 */
import type { TimeReferences } from '../../shared/columns';
import {
  buildDetailTree,
  ROW_MARK,
  type AlertInfo,
  type ConnectionRow,
  type DetailNode,
  type ExpertNote,
  type Ladder,
  type StreamGraph,
  type LadderArrow,
  type LadderTls,
  type Phase,
} from '../../shared/api';
import { frameCommunityId } from '../../shared/flowid';
import { grown } from '../../shared/track/store';
import { type CompiledFilter, type FieldValue } from '../../shared/filter';
import { formatEpoch, UNNAMED_INTERFACE } from '../../shared/files';
import { Analysis, ANALYSIS_FLAGS_KEY, ANALYSIS_KEYS } from '../../shared/track/flags';
import { tlsCipherName } from '../../shared/track/tls';
import { connectionStory } from '../../shared/track/ladder';
import { finalStatesPassed } from '../../shared/track/passed';
import { KeyLog } from '../../shared/tls/keylog';
import { TlsDissector } from '../../shared/tls/dissector';
import { tlsInfoText } from '../../shared/tls/info';
import { tlsRecordsToFields } from '../../shared/tls/json';
import { tlsDetailNode } from '../../shared/tls/detail';
import type { TlsRecord } from '../../shared/tls/session';
import { createNodeTlsCrypto } from './tls-crypto';
import { HttpDissector, httpDetailNodes, httpInfoText, httpToFields, type HttpFrameResult } from '../../shared/http';
import { DnsDissector, dnsDetailNode, dnsEndpointsOf, dnsInfoText, dnsMalformed, dnsMessagesToFields, type DnsFrameMessage } from '../../shared/dns';
import { Tracker } from '../../shared/track/tracker';
import { allocateStreamFrames, buildStreamGraph, type GraphDirection, type StreamFrames } from '../../shared/graphs';
import { connectionCommunityId, relativeSackEdges } from '../../shared/track/json';
import type { ConnectionSummary, FrameTls, StateRecord } from '../../shared/track/types';
import { formatIpv4, formatIpv6 } from '../../shared/wire/bytes';
import { summaryTcpChecksumStatusAt } from '../../shared/wire/checksum';
import { decodeFrame, type DecodedFrame } from '../../shared/wire/decode';
import { IpReassembler, type ReassembledDatagram } from '../../shared/reassembly/ip-fragments';
import type { FrameAsRead } from './frames-as-read';
import { addReassembledLayers, reassembleFragment } from '../../shared/reassembly/decoded';
import { LINKTYPE_RAW } from '../../shared/wire/linktypes';
import { outerEncapsulation } from '../../shared/wire/tunnel/outer';
import { frameColumns, tcpFlagsText } from '../../shared/wire/info';
import { BYTE_FIELDS, frameBytesField, frameFieldsJson, repeatedFields, type JsonFieldValue } from '../../shared/wire/json';
import { hashWords } from '../../shared/wire/word-hash';
import { summarize, summarizeAt } from '../../shared/wire/summarize';
import { createPacketSummary, TCP_FIN, TCP_RST, TCP_SYN, type PacketSummary } from '../../shared/wire/summary';
import type { FrameIndex } from './frame-index';

export { isKnownField as isFilterField } from '../../shared/filter';

const NO_PROTOCOL = 255;
const LINKTYPE_ETHERNET = 1;
/** Reassembled datagrams kept for the detail view (a capture of many large fragmented datagrams stops keeping them here). */
const MAX_REASSEMBLED_BYTES = 256 * 1024 * 1024;
/** index.relAck value for a segment without the ACK flag. */
const NO_ACK = 0xffffffff;
/** index.direction values. */
const FROM_CLIENT = 0;
const FROM_SERVER = 1;
const UNTRACKED = 2;

const RETRANSMISSION_BITS = Analysis.RETRANSMISSION | Analysis.FAST_RETRANSMISSION | Analysis.SPURIOUS_RETRANSMISSION;
const WARNING_BITS =
  Analysis.DUPLICATE_ACK |
  Analysis.ZERO_WINDOW |
  Analysis.WINDOW_FULL |
  Analysis.OUT_OF_ORDER |
  Analysis.LOST_SEGMENT |
  Analysis.ACK_LOST_SEGMENT |
  Analysis.KEEP_ALIVE |
  Analysis.ZERO_WINDOW_PROBE |
  Analysis.REUSED_PORTS;

/** The Info-column prefixes Wireshark shows for analysis findings, most telling first. */
const INFO_PREFIXES: ReadonlyArray<readonly [number, string]> = [
  [Analysis.REUSED_PORTS, 'TCP Port numbers reused'],
  [Analysis.LOST_SEGMENT, 'TCP Previous segment not captured'],
  [Analysis.SPURIOUS_RETRANSMISSION, 'TCP Spurious Retransmission'],
  [Analysis.FAST_RETRANSMISSION, 'TCP Fast Retransmission'],
  [Analysis.RETRANSMISSION, 'TCP Retransmission'],
  [Analysis.OUT_OF_ORDER, 'TCP Out-Of-Order'],
  [Analysis.DUPLICATE_ACK, 'TCP Dup ACK'],
  [Analysis.ZERO_WINDOW_PROBE, 'TCP ZeroWindowProbe'],
  [Analysis.ZERO_WINDOW, 'TCP ZeroWindow'],
  [Analysis.WINDOW_FULL, 'TCP Window Full'],
  [Analysis.KEEP_ALIVE, 'TCP Keep-Alive'],
  [Analysis.KEEP_ALIVE_ACK, 'TCP Keep-Alive ACK'],
  [Analysis.WINDOW_UPDATE, 'TCP Window Update'],
  [Analysis.ACK_LOST_SEGMENT, 'TCP ACKed unseen segment'],
];

/** Fields answered from the index columns alone, without re-reading the frame. */
const INDEX_FIELDS = new Set([
  'frame.comment',
  'frame.number',
  'frame.len',
  'frame.cap_len',
  'frame.interface_id',
  'frame.interface_name',
  'frame.time_relative',
  'frame.time_delta',
  'frame.time_delta_displayed',
  'tcp.time_relative',
  'tcp.time_delta',
  'tcp',
  'udp',
  'ip',
  'ipv6',
  'ip.src',
  'ip.dst',
  'ipv6.src',
  'ipv6.dst',
  'tcp.stream',
  'tcp.srcport',
  'tcp.dstport',
  'udp.srcport',
  'udp.dstport',
  'tcp.flags',
  'tcp.flags.fin',
  'tcp.flags.syn',
  'tcp.flags.reset',
  'tcp.flags.push',
  'tcp.flags.ack',
  'tcp.flags.urg',
  'tcp.flags.ece',
  'tcp.flags.cwr',
  'tcp.flags.ae',
  'tcp.seq',
  'tcp.ack',
  'tcp.len',
  'tcp.analysis.acks_frame',
  'tcp.analysis.ack_rtt',
  'tcp.analysis.bytes_in_flight',
  ...ANALYSIS_KEYS.map(([, key]) => key),
  ANALYSIS_FLAGS_KEY,
]);
const FLAG_BITS: Readonly<Record<string, number>> = {
  'tcp.flags.fin': 0x001,
  'tcp.flags.syn': 0x002,
  'tcp.flags.reset': 0x004,
  'tcp.flags.push': 0x008,
  'tcp.flags.ack': 0x010,
  'tcp.flags.urg': 0x020,
  'tcp.flags.ece': 0x040,
  'tcp.flags.cwr': 0x080,
  'tcp.flags.ae': 0x100,
};
const ANALYSIS_BY_KEY = new Map(ANALYSIS_KEYS.map(([bit, key]) => [key, bit]));

/**
 * TCP fields the fast-path summary reads as the decoder does: a filter on them needs the
 * frame's bytes but not a full decode. Malformed frames still take the full decode.
 */
const SUMMARY_FIELDS: ReadonlyMap<string, (s: PacketSummary) => FieldValue | undefined> = new Map<string, (s: PacketSummary) => FieldValue | undefined>([
  ['tcp.seq_raw', (s) => s.seq >>> 0],
  ['tcp.ack_raw', (s) => s.ack >>> 0],
  ['tcp.window_size_value', (s) => s.window],
  ['tcp.hdr_len', (s) => s.tcpHeaderLength],
  ['tcp.options.mss_val', (s) => (s.mss >= 0 ? s.mss : undefined)],
  ['tcp.options.wscale.shift', (s) => (s.windowScale >= 0 ? s.windowScale : undefined)],
  ['tcp.options.sack_perm', (s) => (s.sackPermitted ? true : undefined)],
  ['tcp.options.timestamp.tsval', (s) => (s.tsval >= 0 ? s.tsval : undefined)],
  ['tcp.options.timestamp.tsecr', (s) => (s.tsecr >= 0 ? s.tsecr : undefined)],
]);

export interface RowText {
  source: string;
  destination: string;
  protocol: string;
  info: string;
  /** Marks learned only from the full decode (IP/UDP checksums). */
  extraMarks: number;
  /** The outer encapsulation of a tunnelled frame (`tunnel.outer`), or null. */
  encapsulation: string | null;
}

function copyTls(tls: FrameTls): FrameTls {
  return {
    handshakeTypes: [...tls.handshakeTypes],
    serverName: tls.serverName,
    alpn: [...tls.alpn],
    supportedVersions: [...tls.supportedVersions],
    cipherSuites: [...tls.cipherSuites],
  };
}

function seconds(time: { sec: number; ns: number }, origin: { sec: number; ns: number }): number {
  return time.sec - origin.sec + (time.ns - origin.ns) / 1e9;
}

/**
 * Address (one word for IPv4, four for IPv6) → id, by open addressing over typed arrays: no
 * string key and no Map lookup per frame (a Map of tens of thousands of numbers cost ~150 ns a lookup).
 */
class AddressIds {
  private keys: Uint32Array;
  /** id + 1; 0 marks an empty slot. */
  private ids = new Uint32Array(256);
  private size = 0;

  constructor(private readonly words: 1 | 2 | 4) {
    this.keys = new Uint32Array(words * 256);
  }

  get(address: Uint32Array): number {
    const mask = this.ids.length - 1;
    const n = this.words;
    for (let slot = hashWords(address, n, 0) & mask; ; slot = (slot + 1) & mask) {
      const id = this.ids[slot];
      if (id === 0) return -1;
      const k = slot * n;
      if (
        this.keys[k] === address[0] &&
        (n === 1 || (this.keys[k + 1] === address[1] && (n === 2 || (this.keys[k + 2] === address[2] && this.keys[k + 3] === address[3]))))
      ) {
        return id - 1;
      }
    }
  }

  /** Adds an address that `get` did not find. */
  set(address: Uint32Array, id: number): void {
    if ((this.size + 1) * 2 > this.ids.length) this.rehash(this.ids.length * 2);
    this.place(address, 0, id + 1);
    this.size++;
  }

  private place(address: Uint32Array, at: number, storedId: number): void {
    const mask = this.ids.length - 1;
    const n = this.words;
    let slot = hashWords(address, n, 0, at) & mask;
    while (this.ids[slot] !== 0) slot = (slot + 1) & mask;
    this.ids[slot] = storedId;
    this.keys.set(address.subarray(at, at + n), slot * n);
  }

  private rehash(capacity: number): void {
    const keys = this.keys;
    const ids = this.ids;
    this.keys = new Uint32Array(capacity * this.words);
    this.ids = new Uint32Array(capacity);
    for (let slot = 0; slot < ids.length; slot++) if (ids[slot] !== 0) this.place(keys, slot * this.words, ids[slot]);
  }
}

export class FrameFacts {
  readonly tracker = new Tracker();
  private readonly summary = createPacketSummary();
  /** TLS hello fields, on the few frames that completed a hello. */
  private readonly tls = new Map<number, FrameTls>();
  /** Secrets for TLS decryption: the file's Decryption Secrets Blocks and key logs attached. */
  readonly keyLog = new KeyLog();
  private tlsDissector = new TlsDissector(createNodeTlsCrypto(), this.keyLog);
  /**
   * TLS records by frame (decrypted application data dropped, to bound memory); an empty list
   * marks a frame that carries part of a record (tshark shows the TLS layer there too).
   */
  private tlsRecords = new Map<number, TlsRecord[]>();
  /** HTTP/1.x and HTTP/2 on every TCP connection (cleartext, or decrypted TLS). */
  private http = new HttpDissector();
  /** What each frame completed in HTTP (DATA payloads dropped, to bound memory). */
  private httpResults = new Map<number, HttpFrameResult>();
  private readonly dupAckNumbers = new Map<number, number>();
  /** Frame number each duplicate ACK duplicates (tcp.analysis.duplicate_ack_frame). */
  private readonly dupAckFrames = new Map<number, number>();
  /** Relative SACK edges (left, right, …) of the frames that carry SACK blocks. */
  readonly sackEdges = new Map<number, Uint32Array>();
  private finished = false;
  /** DNS over UDP/TCP port 53: the messages each frame completed, and where its payload starts. */
  private readonly dns = new DnsDissector();
  private readonly dnsMessages = new Map<number, { messages: DnsFrameMessage[]; payloadOffset: number }>();

  /** IPv4/IPv6 fragments waiting for the rest of their datagram (shared/reassembly, as the CLI uses it). */
  private readonly fragments = new IpReassembler();
  /** Datagrams by the index of the frame that completed them. */
  private readonly reassembled = new Map<number, ReassembledDatagram>();
  private reassembledBytes = 0;
  private reassembledDropped = 0;

  constructor(private readonly index: FrameIndex) {}

  ingest(i: number, frameBuffer: Uint8Array, frameOffset: number, frameLength: number, linkType: number): void {
    const index = this.index;
    const s = this.summary;
    summarizeAt(frameBuffer, frameOffset, frameLength, linkType, s, index.originalLength[i]);
    let buffer = frameBuffer;
    let offset = frameOffset;
    let length = frameLength;
    let originalLength = index.originalLength[i];
    if (s.fragment) {
      // The last fragment of an IP datagram carries the whole datagram, as the CLI's pipeline and tshark show it.
      const datagram = reassembleFragment(this.fragments, s, i + 1, frameBuffer, frameOffset, frameLength, originalLength);
      if (datagram) {
        this.keepReassembled(i, datagram);
        buffer = datagram.packet;
        offset = 0;
        length = originalLength = buffer.length;
        summarizeAt(buffer, 0, length, LINKTYPE_RAW, s, length);
      }
    }
    index.protocol[i] = s.protocol < 0 || s.protocol > 254 ? NO_PROTOCOL : s.protocol;
    index.ipVersion[i] = s.ipVersion;
    if (s.ipVersion !== 0 && s.networkOffset >= 0) {
      index.srcAddress[i] = this.internAddress(buffer, offset, s, true);
      index.dstAddress[i] = this.internAddress(buffer, offset, s, false);
    }
    if (linkType === LINKTYPE_ETHERNET && frameLength >= 14) {
      index.dstMac[i] = this.internMac(frameBuffer, frameOffset);
      index.srcMac[i] = this.internMac(frameBuffer, frameOffset + 6);
    }
    index.stream[i] = -1;
    index.direction[i] = UNTRACKED;
    index.relAck[i] = NO_ACK;
    let marks = s.malformed ? ROW_MARK.MALFORMED : 0;
    if (s.encapsulated) {
      marks |= ROW_MARK.TUNNELLED;
      this.tunnelled = true;
    }
    if (s.transportOffset >= 0 && (s.protocol === 6 || s.protocol === 17)) {
      index.srcPort[i] = s.srcPort;
      index.dstPort[i] = s.dstPort;
    }
    const dnsPayload = s.transportOffset >= 0 && !s.fragment && s.payloadOffset >= 0 && DnsDissector.isDnsPort(s.srcPort, s.dstPort);
    if (dnsPayload && s.protocol === 17) {
      const to = offset + Math.min(s.payloadOffset + s.payloadLength, length);
      const messages = this.dns.udp(i + 1, index.tsSeconds[i], index.tsNanos[i], dnsEndpointsOf(buffer, offset, s), buffer.subarray(offset + s.payloadOffset, Math.max(offset + s.payloadOffset, to)));
      this.dnsMessages.set(i, { messages, payloadOffset: s.payloadOffset });
    }
    if (s.protocol === 6 && s.transportOffset >= 0 && !s.fragment) {
      index.tcpFlags[i] = s.tcpFlags;
      index.relSeq[i] = s.seq >>> 0;
      index.payloadLength[i] = Math.max(0, s.payloadLength);
      index.window[i] = s.window;
      if (s.tcpFlags & TCP_SYN) marks |= ROW_MARK.SYN;
      if (s.tcpFlags & TCP_FIN) marks |= ROW_MARK.FIN;
      if (s.tcpFlags & TCP_RST) marks |= ROW_MARK.RST;
      // 'partial' (offload) and 'unverified' (cut short) are not bad.
      const bad = summaryTcpChecksumStatusAt(buffer, offset, length, s) === 'bad';
      if (bad) marks |= ROW_MARK.BAD_CHECKSUM;
      const analysis = this.tracker.trackAt(i + 1, index.tsSeconds[i], index.tsNanos[i], s, buffer, offset, length, bad, originalLength);
      if (analysis) {
        index.stream[i] = analysis.stream;
        this.noteStreamFrame(analysis.stream, i);
        index.direction[i] = analysis.fromClient ? FROM_CLIENT : FROM_SERVER;
        index.relSeq[i] = analysis.relativeSeq >>> 0;
        index.relAck[i] = analysis.relativeAck < 0 ? NO_ACK : analysis.relativeAck >>> 0;
        index.window[i] = analysis.windowSize;
        index.analysis[i] = analysis.analysis;
        index.acksFrame[i] = analysis.acksFrame;
        index.bytesInFlight[i] = analysis.bytesInFlight;
        if (s.sackCount > 0 && analysis.relativeAck >= 0) {
          // SACK edges relative to the peer's ISN, as the ACK is (the stream graphs draw them).
          const base = ((s.ack >>> 0) - analysis.relativeAck) >>> 0;
          const edges = new Uint32Array(s.sackCount * 2);
          for (let k = 0; k < s.sackCount; k++) {
            edges[k * 2] = (s.sackLeft[k] - base) >>> 0;
            edges[k * 2 + 1] = (s.sackRight[k] - base) >>> 0;
          }
          this.sackEdges.set(i, edges);
        }
        if (analysis.analysis & RETRANSMISSION_BITS) marks |= ROW_MARK.RETRANSMISSION;
        if (analysis.analysis & WARNING_BITS) marks |= ROW_MARK.WARNING;
        if (analysis.phase === 'handshake') marks |= ROW_MARK.HANDSHAKE;
        else if (analysis.phase === 'teardown') marks |= ROW_MARK.TEARDOWN;
        if (analysis.tls) this.tls.set(i, copyTls(analysis.tls));
        if (s.payloadLength > 0 && s.payloadOffset >= 0) {
          const to = offset + Math.min(s.payloadOffset + s.payloadLength, length);
          this.tlsSegment(i, analysis.stream, analysis.fromClient, analysis.relativeSeq, buffer.subarray(offset + s.payloadOffset, to));
        }
        if (s.tcpFlags & TCP_FIN) this.httpFin(i, analysis.stream);
        if (analysis.duplicateAckNumber > 0) this.dupAckNumbers.set(i, analysis.duplicateAckNumber);
        if (analysis.duplicateAckFrame > 0) this.dupAckFrames.set(i, analysis.duplicateAckFrame);
        if (dnsPayload && s.payloadLength > 0) {
          const to = offset + Math.min(s.payloadOffset + s.payloadLength, length);
          const messages = this.dns.tcp(i + 1, index.tsSeconds[i], index.tsNanos[i], analysis.stream, analysis.fromClient, analysis.relativeSeq, dnsEndpointsOf(buffer, offset, s), buffer.subarray(offset + s.payloadOffset, Math.max(offset + s.payloadOffset, to)));
          if (messages.length > 0) this.dnsMessages.set(i, { messages, payloadOffset: s.payloadOffset });
        }
      }
    }
    index.marks[i] = marks;
  }

  /** DNS messages by frame, for the page-load timeline. */
  dnsFrames(): IterableIterator<[number, { messages: DnsFrameMessage[]; payloadOffset: number }]> {
    return this.dnsMessages.entries();
  }

  private readonly ipv4Ids = new AddressIds(1);
  private readonly ipv6Ids = new AddressIds(4);
  private readonly macIds = new AddressIds(2);
  private readonly macWords = new Uint32Array(2);

  /** The id of the MAC address at `at` in index.macs (formatted once per address). */
  private internMac(buffer: Uint8Array, at: number): number {
    const words = this.macWords;
    words[0] = ((buffer[at] << 24) | (buffer[at + 1] << 16) | (buffer[at + 2] << 8) | buffer[at + 3]) >>> 0;
    words[1] = (buffer[at + 4] << 8) | buffer[at + 5];
    let id = this.macIds.get(words);
    if (id < 0) {
      const parts: string[] = [];
      for (let k = 0; k < 6; k++) parts.push(buffer[at + k].toString(16).padStart(2, '0'));
      id = this.index.macs.push(parts.join(':')) - 1;
      this.macIds.set(words, id);
    }
    return id;
  }

  /** The id of a frame's source or destination address in index.addresses (formatted once per address). */
  private internAddress(buffer: Uint8Array, frameStart: number, s: PacketSummary, source: boolean): number {
    const words = source ? s.srcWords : s.dstWords;
    const v4 = s.ipVersion === 4;
    const ids = v4 ? this.ipv4Ids : this.ipv6Ids;
    let id = ids.get(words);
    if (id < 0) {
      const at = frameStart + s.networkOffset + (v4 ? (source ? 12 : 16) : source ? 8 : 24);
      id = this.index.addresses.push(v4 ? formatIpv4(buffer, at) : formatIpv6(buffer, at)) - 1;
      ids.set(words, id);
    }
    return id;
  }

  private tlsSegment(i: number, stream: number, fromClient: boolean, relativeSeq: number, payload: Uint8Array): void {
    if (payload.length === 0) return;
    const records = this.tlsDissector.segment(stream, fromClient, relativeSeq, payload);
    this.httpSegment(i, stream, fromClient, relativeSeq, payload, records);
    if (records.length === 0 && !this.tlsDissector.lastInStream) return;
    for (const record of records) record.appData = null;
    this.tlsRecords.set(i, records);
  }

  private httpSegment(i: number, stream: number, fromClient: boolean, relativeSeq: number, payload: Uint8Array, records: readonly TlsRecord[]): void {
    let result: HttpFrameResult | null;
    if (this.tlsDissector.isTlsStream(stream)) {
      const appData: Uint8Array[] = [];
      for (const record of records) if (record.contentType === 23 && record.appData) appData.push(record.appData);
      result = appData.length > 0 ? this.http.records(stream, fromClient, appData, i + 1) : null;
    } else {
      result = this.http.segment(stream, fromClient, relativeSeq, payload, i + 1);
    }
    if (!result) return;
    for (const item of result.http2) if (item.kind === 'frame') item.frame.data = item.frame.raw = null; // views of bytes that are reused
    this.httpResults.set(i, result);
  }

  private httpFin(i: number, stream: number): void {
    const closed = this.http.fin(stream, i + 1);
    if (!closed) return;
    const earlier = this.httpResults.get(i);
    this.httpResults.set(i, earlier ? { ...earlier, http1: [...earlier.http1, ...closed.http1] } : closed);
  }

  /** A connection's HTTP: its version and requests with their frames (null when it carried none). */
  httpSummary(stream: number) {
    return this.http.summary(stream);
  }

  /**
   * Reads every connection's TLS again with the secrets known now (after a key log was
   * attached): `frames` gives each TCP frame with payload, in capture order, as first read (frames-as-read.ts).
   */
  redissectTls(frames: Iterable<FrameAsRead>): void {
    this.tlsDissector = new TlsDissector(createNodeTlsCrypto(), this.keyLog);
    this.tlsRecords = new Map();
    this.http = new HttpDissector();
    this.httpResults = new Map();
    const s = this.summary;
    const index = this.index;
    for (const { index: i, bytes, linkType, originalLength } of frames) {
      if (index.stream[i] < 0) continue;
      summarizeAt(bytes, 0, bytes.length, linkType, s, originalLength);
      if (s.payloadOffset < 0 || s.payloadLength <= 0) continue;
      this.tlsSegment(i, index.stream[i], index.direction[i] === FROM_CLIENT, index.relSeq[i] | 0, bytes.subarray(s.payloadOffset, Math.min(s.payloadOffset + s.payloadLength, bytes.length)));
    }
  }

  /** Frames that may carry TLS: TCP with payload on a tracked connection, and TCP outside any (IP fragments among them). */
  tlsCandidateFrames(): number[] {
    const out: number[] = [];
    const index = this.index;
    for (let i = 0; i < index.count; i++) if (index.protocol[i] === 6 && (index.stream[i] < 0 || index.payloadLength[i] > 0)) out.push(i);
    return out;
  }

  /** Each TLS connection's decryption status, ALPN and leaf certificate. */
  tlsConnections(): { stream: number; decrypted: true | string | null; alpn: string | null; certificate: string | null }[] {
    const out: { stream: number; decrypted: true | string | null; alpn: string | null; certificate: string | null }[] = [];
    for (const stream of this.tlsDissector.streams()) {
      const summary = this.tlsDissector.summary(stream);
      if (!summary) continue;
      out.push({ stream, decrypted: summary.decrypted, alpn: summary.alpnSelected, certificate: summary.certificates[0]?.subject ?? null });
    }
    return out.sort((a, b) => a.stream - b.stream);
  }

  /** End of input: closes the tracker's timers (TIME_WAIT expiry, the last SYN-flood window). */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.tracker.finish();
  }

  // ------------------------------------------------------------ per-frame decode

  decode(i: number, bytes: Uint8Array): DecodedFrame {
    const decoded = decodeFrame(bytes, this.index.linkType[i], { frameLength: this.index.originalLength[i] });
    const datagram = this.reassembled.get(i);
    if (datagram) addReassembledLayers(decoded, datagram);
    return decoded;
  }

  /** The datagram frame `i` completed, kept for its decode while the kept bytes stay within bounds. */
  private keepReassembled(i: number, datagram: ReassembledDatagram): void {
    const size = datagram.packet.length;
    if (this.reassembledBytes + size > MAX_REASSEMBLED_BYTES) {
      this.reassembledDropped++;
      return;
    }
    this.reassembledBytes += size;
    this.reassembled.set(i, datagram);
  }

  /** The IP packet frame `i` completed by reassembly (its last fragment), or null. */
  reassembledPacket(i: number): Uint8Array | null {
    return this.reassembled.get(i)?.packet ?? null;
  }

  /** The last fragments whose datagram was not kept (beyond MAX_REASSEMBLED_BYTES): their detail shows the fragment alone. */
  get reassembledNotKept(): number {
    return this.reassembledDropped;
  }

  private tracked(i: number): boolean {
    return this.index.direction[i] !== UNTRACKED;
  }

  describe(i: number, bytes: Uint8Array): RowText {
    const decoded = this.decode(i, bytes);
    const index = this.index;
    const context = this.tracked(i)
      ? {
          relativeSeq: index.relSeq[i],
          relativeAck: index.relAck[i] === NO_ACK ? undefined : index.relAck[i],
          window: index.window[i],
        }
      : {};
    const columns = frameColumns(decoded, context);
    const analysis = index.analysis[i];
    const prefixes = INFO_PREFIXES.filter(([bit]) => analysis & bit).map(([bit, text]) =>
      bit === Analysis.DUPLICATE_ACK && this.dupAckNumbers.has(i) ? `${text} #${this.dupAckNumbers.get(i)}` : text,
    );
    let extraMarks = 0;
    for (const layer of decoded.layers) if (layer.checksumStatus === 'bad' && !layer.quoted) extraMarks |= ROW_MARK.BAD_CHECKSUM;
    const tls = this.tls.get(i);
    let protocol = columns.protocol;
    let info = columns.info;
    const records = this.tlsRecords.get(i);
    const dns = this.dnsMessages.get(i);
    if (dns && dns.messages.length > 0) {
      const text = dnsInfoText(dns.messages);
      const malformed = decoded.malformed ?? dnsMalformed(dns.messages);
      protocol = text.protocol;
      info = malformed ? `${text.info} [Malformed Packet: ${malformed}]` : text.info;
      if (malformed) extraMarks |= ROW_MARK.MALFORMED;
    } else if (records && records.length > 0) {
      const text = tlsInfoText(records, this.tlsDissector.versionOf(this.index.stream[i]));
      protocol = text.protocol;
      info = text.info;
    }
    const httpText = httpInfoText(this.httpResults.get(i) ?? null);
    if (httpText) {
      protocol = httpText.protocol;
      info = httpText.info;
    } else if (!(records && records.length > 0) && tls) {
      protocol = 'TLS';
      const names = tls.handshakeTypes.map((type) => (type === 1 ? 'Client Hello' : type === 2 ? 'Server Hello' : `Handshake ${type}`));
      info = `${names.join(', ')}${tls.serverName ? ` (SNI=${tls.serverName})` : ''}`;
    }
    return {
      source: columns.source,
      destination: columns.destination,
      protocol,
      info: prefixes.length ? `[${prefixes.join('] [')}] ${info}` : info,
      extraMarks,
      encapsulation: outerEncapsulation(decoded),
    };
  }

  detail(i: number, bytes: Uint8Array): { tree: DetailNode[]; expert: ExpertNote[] } {
    const index = this.index;
    const analysis = index.analysis[i];
    const tcp = this.tracked(i)
      ? {
          stream: index.stream[i],
          relativeSeq: index.relSeq[i],
          relativeAck: index.relAck[i] === NO_ACK ? null : index.relAck[i],
          nextSeq: (index.relSeq[i] + index.payloadLength[i] + (index.tcpFlags[i] & TCP_SYN ? 1 : 0) + (index.tcpFlags[i] & TCP_FIN ? 1 : 0)) >>> 0,
          analysis: ANALYSIS_KEYS.filter(([bit]) => analysis & bit).map(([, key]) => key.slice('tcp.analysis.'.length)),
          windowSize: index.window[i],
          timeRelative: this.tcpTimeRelative(i),
          timeDelta: this.tcpTimeDelta(i),
          acksFrame: index.acksFrame[i],
          ackRtt: this.ackRtt(i),
          bytesInFlight: index.bytesInFlight[i],
        }
      : null;
    const detail = buildDetailTree(this.decode(i, bytes), {
      number: i + 1,
      timeEpoch: formatEpoch(index.tsSeconds[i], index.tsNanos[i]),
      time: this.timeRelative(i),
      ...(this.timeReferences?.has(i) ? { timeReference: true } : {}),
      tcp,
      aboveSnaplen: (index.marks[i] & ROW_MARK.ABOVE_SNAPLEN) !== 0,
      comments: index.comments.get(i),
      capturePoint: index.points.length > 0 ? { id: index.point[i], name: index.points[index.point[i]] || UNNAMED_INTERFACE } : undefined,
    });
    const records = this.tlsRecords.get(i);
    if (records) detail.tree.push(tlsDetailNode(records, this.tlsDissector.versionOf(index.stream[i])));
    detail.tree.push(...httpDetailNodes(this.httpResults.get(i) ?? null));
    const dns = this.dnsMessages.get(i);
    if (dns) for (const entry of dns.messages) detail.tree.push(dnsDetailNode(entry, entry.offset < 0 ? -1 : dns.payloadOffset + entry.offset));
    return detail;
  }

  /** tcp.analysis.ack_rtt in seconds: the time since the segment this ACK acknowledges (null: none, or 0 as tshark omits it). */
  ackRtt(i: number): number | null {
    const acked = this.index.acksFrame[i];
    if (acked === 0) return null;
    const rtt = this.index.secondsBetween(acked - 1, i);
    return rtt > 0 ? rtt : null;
  }

  // ------------------------------------------------------------ display filter

  /** Set once a tunnelled frame is indexed: its outer headers are only in its bytes. */
  private tunnelled = false;

  /** A frame's QUIC, TLS-over-QUIC and HTTP/3 fields (the session's QUIC attempts), so filters match them as `decode -Y` does. */
  quicFields: ((i: number) => Readonly<Record<string, JsonFieldValue>> | null) | null = null;

  /**
   * For frame.time_delta_displayed: the frame shown before the one asked about (-1: none), set by
   * whoever knows the display filter's matches; -2 (no filter): every frame is shown, so the previous one.
   */
  previousShown = -2;

  needsBytes(filter: CompiledFilter): boolean {
    if (this.tunnelled) return true;
    for (const name of filter.fields) if (!INDEX_FIELDS.has(name)) return true;
    return false;
  }

  private indexField(i: number, name: string): FieldValue | readonly FieldValue[] | undefined {
    const index = this.index;
    const tcp = index.protocol[i] === 6;
    const udp = index.protocol[i] === 17;
    switch (name) {
      case 'frame.number':
        return i + 1;
      case 'frame.comment':
        return index.comments.get(i);
      case 'frame.len':
        return index.originalLength[i];
      case 'frame.cap_len':
        return index.capturedLength[i];
      // Counted across a file's sections (tshark restarts at 0 in each; files with several SHBs are rare).
      case 'frame.interface_id':
        return index.points.length > 0 ? index.point[i] : undefined;
      case 'frame.interface_name':
        return index.points.length > 0 ? index.points[index.point[i]] || UNNAMED_INTERFACE : undefined;
      case 'frame.time_relative':
        return this.timeRelative(i);
      case 'frame.time_delta':
        return i > 0 ? index.secondsBetween(i - 1, i) : 0;
      case 'frame.time_delta_displayed': {
        const previous = this.previousShown === -2 ? i - 1 : this.previousShown;
        return previous >= 0 ? index.secondsBetween(previous, i) : 0;
      }
      case 'tcp.time_relative':
        return this.tracked(i) ? this.tcpTimeRelative(i) : undefined;
      case 'tcp.time_delta':
        return this.tracked(i) ? this.tcpTimeDelta(i) : undefined;
      case 'frame.time_epoch':
        return formatEpoch(index.tsSeconds[i], index.tsNanos[i]);
      case 'tcp':
        return tcp ? true : undefined;
      case 'ip':
        return index.ipVersion[i] === 4 ? true : undefined;
      case 'ipv6':
        return index.ipVersion[i] === 6 ? true : undefined;
      case 'ip.src':
        return index.ipVersion[i] === 4 ? index.addresses[index.srcAddress[i]] : undefined;
      case 'ip.dst':
        return index.ipVersion[i] === 4 ? index.addresses[index.dstAddress[i]] : undefined;
      case 'ipv6.src':
        return index.ipVersion[i] === 6 ? index.addresses[index.srcAddress[i]] : undefined;
      case 'ipv6.dst':
        return index.ipVersion[i] === 6 ? index.addresses[index.dstAddress[i]] : undefined;
      case 'udp':
        return udp ? true : undefined;
      case 'tcp.stream':
        return index.stream[i] >= 0 ? index.stream[i] : undefined;
      case 'tcp.srcport':
        return tcp ? index.srcPort[i] : undefined;
      case 'tcp.dstport':
        return tcp ? index.dstPort[i] : undefined;
      case 'udp.srcport':
        return udp ? index.srcPort[i] : undefined;
      case 'udp.dstport':
        return udp ? index.dstPort[i] : undefined;
      case 'tcp.flags':
        return tcp ? index.tcpFlags[i] : undefined;
      case 'tcp.seq':
        return this.tracked(i) ? index.relSeq[i] : undefined;
      case 'tcp.ack':
        return this.tracked(i) && index.relAck[i] !== NO_ACK ? index.relAck[i] : undefined;
      case 'tcp.len':
        return tcp ? index.payloadLength[i] : undefined;
      case 'tcp.analysis.acks_frame':
        return index.acksFrame[i] !== 0 ? index.acksFrame[i] : undefined;
      case 'tcp.analysis.ack_rtt':
        return this.ackRtt(i) ?? undefined;
      case 'tcp.analysis.bytes_in_flight':
        return index.bytesInFlight[i] !== 0 ? index.bytesInFlight[i] : undefined;
      default:
        break;
    }
    const flag = FLAG_BITS[name];
    if (flag !== undefined) return tcp ? (index.tcpFlags[i] & flag) !== 0 : undefined;
    if (name === ANALYSIS_FLAGS_KEY) return index.analysis[i] !== 0 ? true : undefined;
    const bit = ANALYSIS_BY_KEY.get(name);
    if (bit !== undefined) return index.analysis[i] & bit ? true : undefined;
    return undefined;
  }

  /** Every field of the frame by name: the decoder's (as `decode --json` prints them), the tracker's and TLS. */
  private allFields(i: number, bytes: Uint8Array): Map<string, JsonFieldValue> {
    const decoded = this.decode(i, bytes);
    const json = frameFieldsJson(decoded, { number: i + 1, timeEpoch: formatEpoch(this.index.tsSeconds[i], this.index.tsNanos[i]), timeRelative: this.timeRelative(i) });
    if (this.tracked(i) && this.index.relAck[i] !== NO_ACK) relativeSackEdges(json, this.index.relAck[i]);
    const fields = new Map<string, JsonFieldValue>(Object.entries(json));
    for (const layer of decoded.layers) if (!layer.quoted) fields.set(layer.protocol, true);
    // A tunnelled frame's inner and outer occurrences all count, as in Wireshark (`ip.addr` matches either layer).
    for (const [name, values] of repeatedFields(decoded)) fields.set(name, values);
    if (this.tracked(i)) fields.set('tcp.window_size', this.index.window[i]);
    const comments = this.index.comments.get(i);
    if (comments) fields.set('frame.comment', comments.slice());
    const community = frameCommunityId(decoded);
    if (community !== null) fields.set('communityid', community);
    const outer = outerEncapsulation(decoded);
    if (outer !== null) fields.set('tunnel.outer', outer);
    const tls = this.tls.get(i);
    const records = this.tlsRecords.get(i);
    if (records) {
      const out: Record<string, JsonFieldValue> = {};
      tlsRecordsToFields(records, out, true);
      for (const [key, value] of Object.entries(out)) fields.set(key, value);
    } else if (tls) {
      fields.set('tls', true);
      fields.set('tls.handshake.type', tls.handshakeTypes);
      if (tls.serverName !== null) fields.set('tls.handshake.extensions_server_name', tls.serverName);
      if (tls.alpn.length) fields.set('tls.handshake.extensions_alpn_str', tls.alpn);
      if (tls.supportedVersions.length) fields.set('tls.handshake.extensions.supported_version', tls.supportedVersions);
      if (tls.cipherSuites.length) fields.set('tls.handshake.ciphersuite', tls.cipherSuites);
    }
    const http = this.httpResults.get(i);
    if (http) {
      const out: Record<string, JsonFieldValue> = {};
      httpToFields(http, out);
      for (const [key, value] of Object.entries(out)) fields.set(key, value);
    }
    const dns = this.dnsMessages.get(i);
    if (dns && dns.messages.length > 0) {
      const out: Record<string, JsonFieldValue> = {};
      dnsMessagesToFields(dns.messages, out);
      for (const [key, value] of Object.entries(out)) if (key !== '_ws.malformed' || !fields.has(key)) fields.set(key, value);
    }
    const quic = this.quicFields?.(i);
    if (quic) for (const [key, value] of Object.entries(quic)) if (key !== '_ws.malformed' || !fields.has(key)) fields.set(key, value);
    return fields;
  }

  /** One field's value in frame `i`, as a display filter sees it (undefined: absent). */
  fieldValue(i: number, bytes: Uint8Array, name: string): JsonFieldValue | undefined {
    if (name === 'frame.time_delta_displayed') return this.indexField(i, name) as number;
    if (BYTE_FIELDS.has(name)) return frameBytesField(this.decode(i, bytes), name) as JsonFieldValue | undefined;
    return this.allFields(i, bytes).get(name);
  }

  private readonly filterSummary = createPacketSummary();

  test(filter: CompiledFilter, i: number, bytes: Uint8Array | null): boolean {
    let decoded: Map<string, JsonFieldValue> | null = null;
    let summarized = false;
    return filter.test((name) => {
      // The index holds a tunnelled frame's inner packet; its outer headers count too (filters see every occurrence).
      if (INDEX_FIELDS.has(name) && (!(this.index.marks[i] & ROW_MARK.TUNNELLED) || !bytes || name.startsWith('frame.') || name.startsWith('tcp'))) return this.indexField(i, name);
      if (!bytes) return undefined;
      const fromSummary = SUMMARY_FIELDS.get(name);
      if (fromSummary) {
        const s = this.filterSummary;
        if (!summarized) {
          summarize(bytes, this.index.linkType[i], s, this.index.originalLength[i]);
          summarized = true;
        }
        if (s.malformed === null && !s.fragment) return s.protocol === 6 && s.transportOffset >= 0 ? fromSummary(s) : undefined;
      }
      if (BYTE_FIELDS.has(name)) return frameBytesField(this.decode(i, bytes), name);
      decoded ??= this.allFields(i, bytes);
      return decoded.get(name);
    });
  }

  // ------------------------------------------------------------ connections and ladders

  private origin(): { sec: number; ns: number } {
    return this.index.count > 0 ? { sec: this.index.tsSeconds[0], ns: this.index.tsNanos[0] } : { sec: 0, ns: 0 };
  }

  private connectionsCache: { frames: number; result: { connections: ConnectionRow[]; alerts: AlertInfo[] } } | null = null;

  /** Connection rows; computed once per state of the index (a finished file: once). */
  connections(): { connections: ConnectionRow[]; alerts: AlertInfo[] } {
    const frames = this.index.count;
    if (this.connectionsCache && this.connectionsCache.frames === frames && this.finished) return this.connectionsCache.result;
    const result = this.buildConnections();
    this.connectionsCache = { frames, result };
    return result;
  }

  /**
   * Builds the connection list in slices of at most `sliceMs`, yielding to the event loop
   * between them, and caches it: after a large file (tens of thousands of connections) this
   * takes a second or more, which must not stall the packet list. Only for a finished input,
   * which no longer changes under the walk.
   */
  async warmConnections(sliceMs: number, stillWanted: () => boolean): Promise<void> {
    if (!this.finished || this.connectionsCache) return;
    const frames = this.index.count;
    const origin = this.origin();
    const connections: ConnectionRow[] = [];
    let sliceStart = performance.now();
    for (const summary of this.tracker.eachConnection()) {
      connections.push(this.connectionRow(summary, origin));
      if (performance.now() - sliceStart > sliceMs) {
        await new Promise((resolve) => setImmediate(resolve));
        if (!stillWanted() || this.connectionsCache) return;
        sliceStart = performance.now();
      }
    }
    this.connectionsCache = { frames, result: { connections, alerts: this.alertRows() } };
  }

  private buildConnections(): { connections: ConnectionRow[]; alerts: AlertInfo[] } {
    const origin = this.origin();
    const connections = this.tracker.connections().map((c) => this.connectionRow(c, origin));
    return { connections, alerts: this.alertRows() };
  }

  private connectionRow(c: ConnectionSummary, origin: { sec: number; ns: number }): ConnectionRow {
    const endpoint = (e: { address: string; port: number }, v: number) => (v === 6 ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`);
    const handshakeLast = c.handshake.complete ? c.handshake.frames[c.handshake.frames.length - 1] : undefined;
    const teardownFirst = c.teardown.frames[0];
    return {
      stream: c.stream,
      client: endpoint(c.client, c.ipVersion),
      server: endpoint(c.server, c.ipVersion),
      communityId: connectionCommunityId(c),
      clientState: c.finalState.client,
      serverState: c.finalState.server,
      ...passedFields(c),
      connState: c.connState,
      history: c.history.length > 256 ? `${c.history.slice(0, 255)}…` : c.history,
      initialRtt: c.handshake.initialRtt,
      // A hostile hello may carry a 64 KiB name; the list must still cross the boundary.
      sni: c.tls?.sni ? (c.tls.sni.length > 255 ? `${c.tls.sni.slice(0, 254)}…` : c.tls.sni) : null,
      frames: c.frames,
      bytes: c.bytes,
      start: seconds(c.start, origin),
      end: seconds(c.end, origin),
      handshakeEnd: handshakeLast !== undefined && handshakeLast <= this.index.count ? this.index.relativeTime(handshakeLast - 1) : null,
      teardownStart: teardownFirst !== undefined && teardownFirst <= this.index.count ? this.index.relativeTime(teardownFirst - 1) : null,
      handshakeKind: c.handshake.kind,
      teardownKind: c.teardown.kind,
      firstFrame: Math.max(0, (c.handshake.frames[0] ?? this.firstFrameOf(c.stream) + 1) - 1),
      story: connectionStory(c),
    };
  }

  private alertRows(): AlertInfo[] {
    return this.tracker.alerts().map(
      (a): AlertInfo => ({
        kind: a.kind,
        target: a.target,
        halfOpen: a.half_open,
        sources: a.sources,
        firstFrame: a.first_frame,
        lastFrame: a.last_frame,
        message: `${a.half_open} half-open connections to ${a.target} from ${a.sources} sources within ${a.window_seconds} s; ${a.completed} of ${a.attempts} handshakes completed (${Math.round(a.completion_ratio * 100)}%)`,
      }),
    );
  }

  /** Per tcp.stream (numbered from 0 up), the index + 1 of its first and of its latest frame (0: none yet). */
  private streamFirstFrame = new Uint32Array(1024);
  private streamLastFrame = new Uint32Array(1024);
  /** The stream with the most frames so far, and that count (its graph is worth computing ahead). */
  private streamFrameCount = new Uint32Array(1024);
  private busiestStreamNumber = -1;
  private busiestFrames = 0;

  private noteStreamFrame(stream: number, i: number): void {
    if (stream >= this.streamFirstFrame.length) {
      const size = Math.max(stream + 1, this.streamFirstFrame.length * 2);
      this.streamFirstFrame = grown(this.streamFirstFrame, new Uint32Array(size));
      this.streamLastFrame = grown(this.streamLastFrame, new Uint32Array(size));
      this.streamFrameCount = grown(this.streamFrameCount, new Uint32Array(size));
    }
    if (this.streamFirstFrame[stream] === 0) this.streamFirstFrame[stream] = i + 1;
    const frames = ++this.streamFrameCount[stream];
    if (frames > this.busiestFrames) {
      this.busiestFrames = frames;
      this.busiestStreamNumber = stream;
    }
    this.index.streamPrevious[i] = this.streamLastFrame[stream];
    this.streamLastFrame[stream] = i + 1;
  }

  /** The TCP stream with the most frames, and how many (stream -1: none). */
  busiestStream(): { stream: number; frames: number } {
    return { stream: this.busiestStreamNumber, frames: this.busiestFrames };
  }

  /** The session's time references (Ctrl+T), which frame.time_relative counts from. */
  timeReferences: TimeReferences | null = null;

  /** frame.time_relative as Wireshark has it: seconds since the latest time reference at or before the frame, else since the first frame. */
  timeRelative(i: number): number {
    const reference = this.timeReferences && this.timeReferences.size > 0 ? this.timeReferences.referenceOf(i) : -1;
    return reference < 0 ? this.index.relativeTime(i) : this.index.secondsBetween(reference, i);
  }

  /** tcp.time_relative of a tracked frame: seconds since its stream's first frame. */
  private tcpTimeRelative(i: number): number {
    return this.index.secondsBetween(this.firstFrameOf(this.index.stream[i]), i);
  }

  /** tcp.time_delta of a tracked frame: seconds since its stream's previous frame (0 on the first). */
  private tcpTimeDelta(i: number): number {
    const previous = this.index.streamPrevious[i];
    return previous > 0 ? this.index.secondsBetween(previous - 1, i) : 0;
  }

  private firstFrameOf(stream: number): number {
    const first = stream >= 0 && stream < this.streamFirstFrame.length ? this.streamFirstFrame[stream] : 0;
    return first > 0 ? first - 1 : 0;
  }

  /** The connection's frames as graph input (null: no such stream), found through the per-stream frame links. */
  streamFrames(stream: number): StreamFrames | null {
    if (stream < 0 || stream >= this.streamLastFrame.length || this.streamLastFrame[stream] === 0) return null;
    const index = this.index;
    let count = 0;
    let sacks = 0;
    for (let f = this.streamLastFrame[stream]; f !== 0; f = index.streamPrevious[f - 1]) {
      count++;
      const edges = this.sackEdges.get(f - 1);
      if (edges) sacks += edges.length / 2;
    }
    const out = allocateStreamFrames(count, sacks);
    let row = count;
    let sack = sacks;
    for (let f = this.streamLastFrame[stream]; f !== 0; f = index.streamPrevious[f - 1]) {
      const i = f - 1;
      row--;
      out.frame[row] = f;
      out.time[row] = index.relativeTime(i);
      out.fromClient[row] = index.direction[i] === FROM_CLIENT ? 1 : 0;
      out.seq[row] = index.relSeq[i];
      out.ack[row] = index.relAck[i] === NO_ACK ? 0 : index.relAck[i];
      out.len[row] = index.payloadLength[i];
      out.window[row] = index.window[i];
      out.tcpFlags[row] = index.tcpFlags[i];
      out.acksFrame[row] = index.acksFrame[i];
      out.bytesInFlight[row] = index.bytesInFlight[i];
      out.analysis[row] = index.analysis[i];
      const edges = this.sackEdges.get(i);
      if (edges) {
        // Filled backwards too, so blocks stay in frame order.
        for (let k = edges.length / 2 - 1; k >= 0; k--) {
          sack--;
          out.sackRow[sack] = row;
          out.sackLeft[sack] = edges[k * 2];
          out.sackRight[sack] = edges[k * 2 + 1];
        }
      }
    }
    return out;
  }

  streamGraph(stream: number, direction: GraphDirection, maWindow?: number): StreamGraph | null {
    const frames = this.streamFrames(stream);
    const connection = frames ? this.tracker.connection(stream) : null;
    if (!frames || !connection) return null;
    const g = buildStreamGraph(frames, direction, maWindow);
    const endpoint = (e: { address: string; port: number }) => (connection.ipVersion === 6 ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`);
    return {
      stream,
      sender: endpoint(direction === 'client' ? connection.client : connection.server),
      receiver: endpoint(direction === 'client' ? connection.server : connection.client),
      direction,
      maWindow: g.maWindow,
      segments: g.segments,
      acks: g.acks,
      rtt: g.rtt,
      sack: g.sack,
    };
  }

  ladder(stream: number, limit: number): Ladder | null {
    const connection: ConnectionSummary | null = this.tracker.connection(stream);
    if (!connection) return null;
    const index = this.index;
    const endpoint = (e: { address: string; port: number }) => (connection.ipVersion === 6 ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`);
    // State changes by frame number, in order; the 2×MSL expiry (frame null) comes after the last arrow.
    const pending = (records: StateRecord[]) => records.map((r) => ({ state: r.state, frame: r.frame ?? Number.MAX_SAFE_INTEGER }));
    const client = pending(connection.states.client);
    const server = pending(connection.states.server);
    const firstFrame = this.firstFrameOf(stream) + 1;
    // Changes attributed to frames before the first arrow (an inferred LISTEN) set the starting state.
    let clientState = 'CLOSED';
    let serverState = 'CLOSED';
    if (server[0] && server[0].state === 'LISTEN' && server[0].frame <= firstFrame) {
      serverState = 'LISTEN';
      server.shift();
    }
    const initialClientState = clientState;
    const initialServerState = serverState;
    const handshake = new Set(connection.handshake.frames);
    const refused = connection.handshake.rejected;
    const teardown = new Set(connection.teardown.frames);
    const arrows: LadderArrow[] = [];
    let truncated = false;
    let seenTeardown = false;
    for (let i = firstFrame - 1; i < index.count; i++) {
      if (index.stream[i] !== stream) continue;
      if (arrows.length >= limit) {
        truncated = true;
        break;
      }
      const number = i + 1;
      // A segment that moved a side through several states (FIN_WAIT_1's FIN+ACK: FIN_WAIT_2, TIME_WAIT) carries them all.
      let clientPassed: string[] | null = null;
      let serverPassed: string[] | null = null;
      for (; client.length && client[0].frame <= number; client.shift()) {
        clientState = client[0].state;
        if (client[0].frame === number) (clientPassed ??= []).push(clientState);
      }
      for (; server.length && server[0].frame <= number; server.shift()) {
        serverState = server[0].state;
        if (server[0].frame === number) (serverPassed ??= []).push(serverState);
      }
      // A refused SYN's RST ends the attempt: it belongs with the handshake it refused, not to a teardown.
      const refusal = refused && teardown.has(number) && (index.tcpFlags[i] & TCP_RST) !== 0;
      if (teardown.has(number) && !refusal) seenTeardown = true;
      const phase: Phase = handshake.has(number) || refusal ? 'handshake' : teardown.has(number) ? 'teardown' : seenTeardown ? 'other' : 'data';
      const dupAck = this.dupAckNumbers.get(i);
      const dupAckOf = this.dupAckFrames.get(i);
      const analysis = index.analysis[i];
      arrows.push({
        frameIndex: i,
        number,
        time: index.relativeTime(i),
        from: index.direction[i] === FROM_CLIENT ? 'client' : 'server',
        flags: tcpFlagsText(index.tcpFlags[i]),
        seq: index.relSeq[i],
        ack: index.relAck[i] === NO_ACK ? 0 : index.relAck[i],
        len: index.payloadLength[i],
        window: index.window[i],
        clientState,
        serverState,
        ...(clientPassed && clientPassed.length > 1 ? { clientPassed } : {}),
        ...(serverPassed && serverPassed.length > 1 ? { serverPassed } : {}),
        phase,
        analysis: ANALYSIS_KEYS.filter(([bit]) => analysis & bit).map(([, key]) => key.slice('tcp.analysis.'.length)),
        ...helloOn(this.tls.get(i), index.direction[i] === FROM_CLIENT, connection, () => this.tlsDissector.summary(stream)?.alpnSelected ?? null),
        ...(dupAck !== undefined ? { duplicateAckNumber: dupAck } : {}),
        ...(dupAckOf !== undefined ? { duplicateAckOf: dupAckOf } : {}),
      });
    }
    // Timer-driven changes (TIME_WAIT → CLOSED after 2×MSL) belong after the last arrow.
    const finalClient = client.length ? client[client.length - 1].state : clientState;
    const finalServer = server.length ? server[server.length - 1].state : serverState;
    return {
      stream,
      client: endpoint(connection.client),
      server: endpoint(connection.server),
      initialClientState,
      initialServerState,
      finalClientState: truncated ? clientState : finalClient,
      finalServerState: truncated ? serverState : finalServer,
      mslSeconds: this.tracker.mslSeconds,
      arrows,
      truncated,
      story: connectionStory(connection),
      ...(refused ? { refused: true } : {}),
    };
  }
}

/** Each side's path into its final state when one segment took it through several (Connections shows them all). */
function passedFields(c: ConnectionSummary): Pick<ConnectionRow, 'clientPassed' | 'serverPassed'> {
  const clientPassed = c.finalState.client === c.states.client[c.states.client.length - 1]?.state ? finalStatesPassed(c.states.client) : null;
  const serverPassed = c.finalState.server === c.states.server[c.states.server.length - 1]?.state ? finalStatesPassed(c.states.server) : null;
  return { ...(clientPassed ? { clientPassed } : {}), ...(serverPassed ? { serverPassed } : {}) };
}

/** Longest text a ladder hello carries across the API (a hostile hello may hold 64 KiB names). */
const HELLO_TEXT = 256;
const clip = (text: string) => (text.length > HELLO_TEXT ? `${text.slice(0, HELLO_TEXT - 1)}…` : text);

/**
 * The hello a segment completed, in the connection summary's terms (the names `analyze`
 * prints), so the ladder and the command agree. Only the segment that completed the
 * client's ClientHello or the server's ServerHello carries one.
 */
/** `decryptedAlpn`: the ALPN the server chose, read from its (decrypted) EncryptedExtensions when a key log gave it. */
function helloOn(frame: FrameTls | undefined, fromClient: boolean, connection: ConnectionSummary, decryptedAlpn: () => string | null): { tls?: LadderTls } {
  const tls = connection.tls;
  if (!frame || !tls) return {};
  if (fromClient && frame.handshakeTypes.includes(1) && tls.versions_offered.length > 0) {
    return {
      tls: {
        hello: 'client',
        sni: tls.sni === null ? null : clip(tls.sni),
        alpn: tls.alpn_offered.slice(0, 64).map(clip),
        versions: tls.versions_offered.slice(0, 64),
        // The API bounds the list; real ClientHellos offer well under a hundred.
        ciphers: tls.ciphersOffered.slice(0, 1024).map(tlsCipherName),
      },
    };
  }
  if (!fromClient && frame.handshakeTypes.includes(2) && tls.version_selected !== null) {
    const alpn = tls.alpn_selected ?? decryptedAlpn();
    return {
      tls: {
        hello: 'server',
        sni: null,
        alpn: alpn === null ? [] : [clip(alpn)],
        versions: [tls.version_selected],
        ciphers: tls.cipher_selected === null ? [] : [tls.cipher_selected],
      },
    };
  }
  return {};
}
