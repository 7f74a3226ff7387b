/**
 * One frame through the whole core, the way every front end (decode, analyze, live capture,
 * the engine) needs it: fast summary → checksum verdict → connection tracking → full decode,
 * giving the cli.md JSON keys and the summary line. Frames must arrive in capture order.
 */
import { elapsedSeconds, formatEpoch } from '../files/timestamp';
import { UNNAMED_INTERFACE, type CaptureInterface, type CaptureSection } from '../files/types';
import { Tracker } from '../track/tracker';
import type { FrameAnalysis, TrackerOptions } from '../track/types';
import { summaryTcpChecksumStatusAt } from '../wire/checksum';
import { decodeFrame, type DecodedFrame } from '../wire/decode';
import { frameColumns, type SummaryColumns } from '../wire/info';
import { BYTE_FIELDS, FrameJsonSink, frameBytesField, frameFieldsJson, repeatedFields, writeFrameFieldsJson, type FrameMeta, type JsonFieldValue, type JsonScalar } from '../wire/json';
import { NdjsonWriter } from '../ndjson/writer';
import { decodeUtf8 } from '../files/utf8';
import type { FieldSource } from '../filter';
import { createPacketSummary, type PacketSummary } from '../wire/summary';
import { summarizeAt } from '../wire/summarize';
import { analysisInfoPrefix } from './analysis-info';
import { FrameAnalysisKeyWriter, frameAnalysisToKeys } from '../track/json';
import { frameCommunityId } from '../flowid';
import type { TlsDissector } from '../tls/dissector';
import type { TlsRecord } from '../tls/session';
import { tlsRecordsToFields } from '../tls/json';
import { tlsInfoText } from '../tls/info';
import type { HttpDissector, HttpFrameResult } from '../http/dissector';
import { httpToFields } from '../http/json';
import { httpInfoText } from '../http/info';
import { IpReassembler, type ReassembledDatagram, type ReassemblerLimits } from '../reassembly/ip-fragments';
import { addReassembledLayers, reassembleFragment } from '../reassembly/decoded';
import { LINKTYPE_RAW } from '../wire/linktypes';
import { MALFORMED } from '../wire/malformed';
import { outerEncapsulation } from '../wire/tunnel/outer';
import { DnsDissector, dnsEndpointsOf, dnsInfoText, dnsMalformed, dnsMessagesToFields, type DnsFrameMessage } from '../dns';

const NO_RECORDS: TlsRecord[] = [];
// Direct-mapped by tcp.stream: room for the benchmark capture's 4,000 concurrent connections without most of them colliding.
const COMMUNITY_SLOTS = 1 << 14;
const NO_DNS: DnsFrameMessage[] = [];

/** The hello keys the tracker writes; the TLS dissector's own keys replace them when it runs. */
const TRACKER_TLS_KEYS = ['tls.handshake.type', 'tls.handshake.extensions_server_name', 'tls.handshake.extensions_alpn_str', 'tls.handshake.extensions.supported_version', 'tls.handshake.ciphersuite'];

/**
 * The fields a --json frame's decode keeps in its layers, since the pipeline reads them back:
 * the Community ID's addresses, ports and fragment bits (flowid/frame.ts) and the tunnel
 * column's identifiers and endpoints (wire/tunnel/outer.ts). The line writer takes all the others.
 */
const READ_BACK_FIELDS: ReadonlySet<string> = new Set([
  'tcp.srcport', 'tcp.dstport', 'udp.srcport', 'udp.dstport', 'icmp.type', 'icmp.code', 'icmpv6.type', 'icmpv6.code',
  'ip.proto', 'ip.frag_offset', 'ip.flags.mf', 'ipv6.nxt', 'ipv6.fraghdr.nxt', 'ipv6.fraghdr.offset', 'ipv6.fraghdr.more',
  'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'eth.src', 'eth.dst',
  'vxlan.vni', 'geneve.vni', 'gre.key', 'erspan.spanid', 'mpls.label',
]);

/** What the pipeline needs of a frame; a file reader's CaptureFrame satisfies it. */
export interface PipelineFrame {
  readonly frameNumber: number;
  readonly linkType: number;
  readonly tsSeconds: number;
  readonly tsNanos: number;
  readonly originalLength: number;
  readonly data: Uint8Array;
  /**
   * Where the bytes already sit, when the source has them inside a larger array (a file reader's
   * chunk): the fast path then reads them there instead of asking for `data`, a new view per frame.
   */
  readonly buffer?: Uint8Array;
  readonly bufferOffset?: number;
  readonly capturedLength?: number;
  /** The pcapng interface (within its section) the frame was captured on. */
  readonly interfaceId?: number;
}

export interface ProcessedFrame {
  /**
   * With the pipeline's `jsonLines`, its layers hold only READ_BACK_FIELDS (the line has the rest)
   * and a data layer's bytes are a view of the frame's (valid while the frame's bytes are).
   */
  decoded: DecodedFrame;
  /** The cli.md `decode --json` object, tracking keys included. */
  readonly fields: Record<string, JsonFieldValue>;
  /**
   * With the pipeline's `jsonLines`: that object as its NDJSON line (UTF-8, newline included);
   * otherwise null. The bytes are the pipeline's until its next `process`: whoever holds the
   * frame longer copies them (`keepJson`). Whoever changes `fields` afterwards sets it to null.
   */
  json: Uint8Array | null;
  /** Tracking result; a reused record, valid until the next frame. */
  analysis: FrameAnalysis | null;
  /** Empty when the pipeline's `withColumns` is off. */
  columns: SummaryColumns;
  /** Seconds since the first frame. */
  relativeTime: number;
  /** frame.number. */
  readonly frameNumber: number;
  /** The frame's timestamp. */
  tsSeconds: number;
  tsNanos: number;
  /** The tshark-style summary line. */
  line(): string;
  /** frame.interface_id and frame.interface_name when the pipeline knows the file's interfaces (see `interfaceNames`). */
  interfaceId?: number;
  interfaceName?: string;
}

/** Makes a processed frame's JSON line its own, for a frame kept past the pipeline's next `process`. */
export function keepJson(processed: ProcessedFrame): void {
  if (processed.json) processed.json = processed.json.slice();
}

/** A display filter's view of a processed frame: its `decode --json` keys, and the byte fields when asked. */
export function processedFieldSource(processed: ProcessedFrame): FieldSource {
  let repeated: Map<string, JsonScalar[]> | null = null;
  return (name) => {
    // Inner and outer occurrences (tunnels) all count, as in Wireshark.
    repeated ??= repeatedFields(processed.decoded);
    const all = repeated.get(name);
    if (all) return all;
    const value = processed.fields[name];
    if (value !== undefined) return value;
    if (BYTE_FIELDS.has(name)) return frameBytesField(processed.decoded, name);
    if (name === 'frame.interface_id') return processed.interfaceId;
    if (name === 'frame.interface_name') return processed.interfaceName;
    return processed.decoded.layers.some((layer) => layer.protocol === name && !layer.quoted) ? true : undefined;
  };
}

/**
 * `frame.time_delta_displayed` when a display filter hides frames: seconds since the last frame
 * that passed it (0 for the first), as tshark computes it with -Y. Call `set` before testing the
 * filter on a frame and `shown` when it passes.
 */
export class DisplayedDelta {
  private seconds = Number.NaN;
  private nanos = 0;

  set(processed: ProcessedFrame): void {
    processed.fields['frame.time_delta_displayed'] = Number.isNaN(this.seconds) ? 0 : elapsedSeconds(this.seconds, this.nanos, processed.tsSeconds, processed.tsNanos);
  }

  shown(processed: ProcessedFrame): void {
    this.seconds = processed.tsSeconds;
    this.nanos = processed.tsNanos;
  }
}

/**
 * Reader handlers that keep `pipeline.interfaceNames` in step with a capture file's sections and
 * interfaces (pcapng ids restart in each section, as tshark counts them).
 */
export function interfaceNoter(pipeline: FramePipeline): { onSection(section: CaptureSection): void; onInterface(iface: CaptureInterface): void } {
  return {
    onSection: (section) => {
      pipeline.interfaceNames = section.format === 'pcapng' ? [] : null;
    },
    onInterface: (iface) => {
      pipeline.interfaceNames?.push(iface.name ?? '');
    },
  };
}

export class FramePipeline {
  readonly tracker: Tracker;
  private readonly summary: PacketSummary = createPacketSummary();
  private firstSeconds = Number.NaN;
  private firstNanos = 0;
  /** The frame `process` saw last, for frame.time_delta. */
  private previousSeconds = Number.NaN;
  private previousNanos = 0;

  /**
   * The names of the pcapng interfaces of the section being read, by id ('' unnamed), which give
   * frames frame.interface_id and frame.interface_name as tshark shows them; null (pcap, or a
   * source that does not say) leaves both absent. A file reader fills it through `interfaceNoter`.
   */
  interfaceNames: string[] | null = null;

  /** Whether `process` computes `communityid` (a SHA-1 per frame); a caller that prints other fields only may turn it off. */
  withCommunityId = true;
  /**
   * Whether `process` writes each frame's `decode --json` line as bytes (`ProcessedFrame.json`)
   * instead of building its object; the object is then made from the line only when asked.
   */
  jsonLines = false;
  /** Whether `process` fills the columns (and so the summary line); decode's --json and -e output need neither. */
  withColumns = true;
  /**
   * Whether TCP frames go through the tracker (tcp.stream, relative numbers, analysis flags, and
   * the TLS/HTTP/DNS-over-TCP reassembly that follows streams); `decode -e` of header fields only turns it off.
   */
  withTracking = true;
  /** Whether DNS (UDP and TCP port 53) is dissected; off when nothing prints its keys. */
  withDns = true;
  /** The last frame's frame.time_relative and frame.time_delta (set by `track`). */
  lastRelativeTime = 0;
  lastTimeDelta = 0;
  private readonly jsonWriter = new NdjsonWriter(1 << 14);
  /**
   * With `jsonLines`: whether each line is written after the ones before in `jsonOutput` (whose
   * owner takes and resets them) instead of over them, so they need no copying.
   */
  appendJsonLines = false;
  /** Where the current frame's line starts in `jsonOutput`. */
  private lineStart = 0;
  /** Writes a --json frame's decoded fields into `jsonWriter` as the decoder reads them. */
  private readonly jsonSink = new FrameJsonSink(this.jsonWriter, (def) => READ_BACK_FIELDS.has(def.name));
  /** --json frames whose line came from a full decode because the sink could not follow (see FrameJsonSink). */
  jsonFallbacks = 0;
  /** IPv4/IPv6 fragments waiting for the rest of their datagram. */
  readonly fragments: IpReassembler;
  /** The datagram the last frame completed (its last fragment), or null. */
  lastReassembled: ReassembledDatagram | null = null;
  private summaryBuffer: Uint8Array = new Uint8Array(0);
  private summaryStart = 0;
  private summaryLength = 0;

  /** TLS records the last frame completed (with a TLS dissector), and whether it belonged to a TLS stream. */
  tlsRecords: TlsRecord[] = NO_RECORDS;
  tlsInStream = false;
  /** DNS over UDP and TCP port 53: always on (it needs no keys). */
  readonly dns = new DnsDissector();
  /** DNS messages the last frame completed, and whether it carried part of a DNS-over-TCP message. */
  dnsMessages: DnsFrameMessage[] = NO_DNS;
  dnsInStream = false;
  /** HTTP the last frame completed (with an HTTP dissector). */
  httpResult: HttpFrameResult | null = null;
  /** Reads HTTP/1.x and HTTP/2 on every TCP connection, cleartext or decrypted by `tls` (set it to turn HTTP on). */
  http: HttpDissector | null = null;

  constructor(
    trackerOptions: TrackerOptions = {},
    /** Reads TLS records (and decrypts them with its key log) on every TCP connection. */
    readonly tls: TlsDissector | null = null,
    fragmentLimits: ReassemblerLimits = {},
  ) {
    this.tracker = new Tracker(trackerOptions);
    this.fragments = new IpReassembler(fragmentLimits);
    this.tlsKeys = tls !== null;
  }

  /** Whether TLS keys replace the tracker's hello keys (a TLS dissector runs, here or in the thread that tracks). */
  tlsKeys: boolean;

  /** The writer of the --json lines (see `appendJsonLines`). */
  get jsonOutput(): NdjsonWriter {
    return this.jsonWriter;
  }

  /** The fast-path record of the frame processed last (valid until the next frame). */
  get lastSummary(): PacketSummary {
    return this.summary;
  }

  /** The array and offset `lastSummary`'s offsets count from (no view made, unlike `lastSummaryBytes`). */
  get lastSummaryBuffer(): Uint8Array {
    return this.summaryBuffer;
  }

  get lastSummaryStart(): number {
    return this.summaryStart;
  }

  /**
   * The bytes `lastSummary`'s offsets count from: the frame's own (its data, or the buffer it
   * sits in), or, on a frame that completed an IP datagram, the reassembled packet.
   */
  get lastSummaryBytes(): Uint8Array {
    const { summaryBuffer: buffer, summaryStart: start, summaryLength: length } = this;
    return start === 0 && length === buffer.length ? buffer : buffer.subarray(start, start + length);
  }

  /** The fast path (analyze, live statistics): summary, checksum verdict and tracking only. */
  track(frame: PipelineFrame): FrameAnalysis | null {
    if (Number.isNaN(this.firstSeconds)) {
      this.firstSeconds = frame.tsSeconds;
      this.firstNanos = frame.tsNanos;
    }
    this.lastRelativeTime = elapsedSeconds(this.firstSeconds, this.firstNanos, frame.tsSeconds, frame.tsNanos);
    this.lastTimeDelta = Number.isNaN(this.previousSeconds) ? 0 : elapsedSeconds(this.previousSeconds, this.previousNanos, frame.tsSeconds, frame.tsNanos);
    this.previousSeconds = frame.tsSeconds;
    this.previousNanos = frame.tsNanos;
    let buffer = frame.buffer;
    let start = frame.bufferOffset ?? 0;
    let length = frame.capturedLength ?? 0;
    if (buffer === undefined) {
      buffer = frame.data;
      start = 0;
      length = buffer.length;
    }
    const summary = this.summary;
    summarizeAt(buffer, start, length, frame.linkType, summary, frame.originalLength);
    this.lastReassembled = null;
    let originalLength = frame.originalLength;
    if (summary.fragment) {
      const datagram = reassembleFragment(this.fragments, summary, frame.frameNumber, buffer, start, length, frame.originalLength);
      if (datagram) {
        // The last fragment carries the datagram: it is summarized and tracked as that packet.
        this.lastReassembled = datagram;
        buffer = datagram.packet;
        start = 0;
        length = buffer.length;
        originalLength = length;
        summarizeAt(buffer, 0, length, LINKTYPE_RAW, summary, length);
      }
    }
    this.summaryBuffer = buffer;
    this.summaryStart = start;
    this.summaryLength = length;
    this.dnsMessages = NO_DNS;
    this.dnsInStream = false;
    const dnsPayload = this.withDns && summary.transportOffset >= 0 && !summary.fragment && summary.payloadOffset >= 0 && DnsDissector.isDnsPort(summary.srcPort, summary.dstPort);
    if (dnsPayload && summary.protocol === 17) {
      const from = start + summary.payloadOffset;
      const to = start + Math.min(summary.payloadOffset + summary.payloadLength, length);
      this.dnsMessages = this.dns.udp(frame.frameNumber, frame.tsSeconds, frame.tsNanos, dnsEndpointsOf(buffer, start, summary), buffer.subarray(from, Math.max(from, to)));
    }
    if (summary.protocol !== 6 || summary.transportOffset < 0 || !this.withTracking) return null;
    const checksumBad = summaryTcpChecksumStatusAt(buffer, start, length, summary) === 'bad';
    const analysis = this.tracker.trackAt(frame.frameNumber, frame.tsSeconds, frame.tsNanos, summary, buffer, start, length, checksumBad, originalLength);
    this.tlsRecords = NO_RECORDS;
    this.tlsInStream = false;
    // Streams a dissector already turned down cost a bit test here, not a view of the payload.
    if (this.tls && analysis && summary.payloadLength > 0 && summary.payloadOffset >= 0 && !this.tls.skips(analysis.stream)) {
      const from = start + summary.payloadOffset;
      const to = start + Math.min(summary.payloadOffset + summary.payloadLength, length);
      if (to > from) {
        this.tlsRecords = this.tls.segment(analysis.stream, analysis.fromClient, analysis.relativeSeq, buffer.subarray(from, to));
        this.tlsInStream = this.tls.lastInStream;
      }
    }
    this.httpResult = null;
    if (this.http && analysis && !this.http.skips(analysis.stream)) this.trackHttp(frame.frameNumber, analysis, buffer, start, length);
    if (dnsPayload && analysis && summary.payloadLength > 0) {
      const from = start + summary.payloadOffset;
      const to = start + Math.min(summary.payloadOffset + summary.payloadLength, length);
      if (to > from) {
        this.dnsMessages = this.dns.tcp(frame.frameNumber, frame.tsSeconds, frame.tsNanos, analysis.stream, analysis.fromClient, analysis.relativeSeq, dnsEndpointsOf(buffer, start, summary), buffer.subarray(from, to));
        this.dnsInStream = this.dns.lastInStream;
      }
    }
    return analysis;
  }

  private trackHttp(frameNumber: number, analysis: FrameAnalysis, buffer: Uint8Array, start: number, length: number): void {
    const http = this.http!;
    const summary = this.summary;
    if (summary.payloadLength > 0 && summary.payloadOffset >= 0) {
      if (this.tls?.isTlsStream(analysis.stream)) {
        const appData: Uint8Array[] = [];
        for (const record of this.tlsRecords) if (record.contentType === 23 && record.appData) appData.push(record.appData);
        if (appData.length > 0) this.httpResult = http.records(analysis.stream, analysis.fromClient, appData, frameNumber);
      } else {
        const from = start + summary.payloadOffset;
        const to = start + Math.min(summary.payloadOffset + summary.payloadLength, length);
        if (to > from) this.httpResult = http.segment(analysis.stream, analysis.fromClient, analysis.relativeSeq, buffer.subarray(from, to), frameNumber);
      }
    }
    // A body read to the connection's end completes with the FIN.
    if (summary.tcpFlags & 0x01) {
      const closed = http.fin(analysis.stream, frameNumber);
      if (closed) this.httpResult = this.httpResult ? { ...this.httpResult, http1: [...this.httpResult.http1, ...closed.http1] } : closed;
    }
  }

  /** The tracking, community ID, tunnel, TLS, HTTP and DNS keys of this frame, added to `fields` (decode --json's order). */
  private frameKeys(fields: Record<string, JsonFieldValue>, decoded: DecodedFrame, analysis: FrameAnalysis | null, outer: string | null): Record<string, JsonFieldValue> {
    if (analysis) frameAnalysisToKeys(analysis, fields);
    if (this.withCommunityId) {
      const community = this.communityId(decoded, analysis);
      if (community !== null) fields.communityid = community;
    }
    if (outer !== null) fields['tunnel.outer'] = outer;
    if (this.presetAppKeys === null) this.appKeys(fields, analysis);
    else {
      if (this.tlsKeys && analysis) for (const key of TRACKER_TLS_KEYS) delete fields[key];
      Object.assign(fields, this.presetAppKeys);
    }
    return fields;
  }

  /** Whether the last frame has TLS, HTTP or DNS keys (`appKeys` adds nothing otherwise). */
  get hasAppKeys(): boolean {
    return this.tlsRecords.length > 0 || this.tlsInStream || this.httpResult !== null || this.dnsMessages.length > 0;
  }

  /** The TLS, HTTP and DNS keys of the frame `track` saw last, added to `fields` (they follow its other keys). */
  appKeys(fields: Record<string, JsonFieldValue>, analysis: FrameAnalysis | null): void {
    if (this.tlsKeys && analysis) {
      for (const key of TRACKER_TLS_KEYS) delete fields[key];
      tlsRecordsToFields(this.tlsRecords, fields, this.tlsInStream);
    }
    httpToFields(this.httpResult, fields);
    if (this.dnsMessages.length > 0) dnsMessagesToFields(this.dnsMessages, fields);
  }

  /**
   * `appKeys` computed elsewhere (by the thread that tracked the frame, for a pipeline that only
   * writes lines); null: computed here.
   */
  presetAppKeys: Record<string, JsonFieldValue> | null = null;

  /**
   * The frame's `decode --json` line, written from the decoded layers without building their
   * object. The frame's other keys come after them unless they would replace or reorder a
   * decoded key (SACK edges made relative, a key both set): then the object is built as usual.
   */
  private jsonLine(decoded: DecodedFrame, meta: FrameMeta, analysis: FrameAnalysis | null, outer: string | null): Uint8Array {
    const writer = this.jsonWriter;
    writer.rewind(this.lineStart);
    writer.begin();
    writeFrameFieldsJson(writer, decoded, meta);
    return this.endJsonLine(decoded, analysis, outer) ?? this.objectJsonLine(decoded, meta, analysis, outer);
  }

  /** Adds the frame's other keys to the open line and closes it; null when they would replace or reorder a decoded key. */
  private endJsonLine(decoded: DecodedFrame, analysis: FrameAnalysis | null, outer: string | null): Uint8Array | null {
    const writer = this.jsonWriter;
    if (analysis && (writer.has('tcp.options.sack_le') || writer.has('tcp.options.sack_re'))) return null;
    if (this.tlsKeys && analysis) for (const key of TRACKER_TLS_KEYS) if (writer.has(key)) return null;
    const mark = writer.length;
    // Without TLS hello or app keys (most frames), the keys go straight into the line; otherwise through their object.
    if ((analysis === null || analysis.tls === null) && this.presetAppKeys === null && !this.hasAppKeys) {
      if (this.writeFrameKeys(decoded, analysis, outer)) {
        writer.end();
        return writer.bytes.subarray(this.lineStart, writer.length);
      }
      writer.rewind(mark);
      return null;
    }
    const keys = this.frameKeys({}, decoded, analysis, outer);
    for (const key in keys) {
      if (writer.newField(key, keys[key])) continue;
      writer.rewind(mark);
      return null;
    }
    writer.end();
    return writer.bytes.subarray(this.lineStart, writer.length);
  }

  /** `frameKeys` of a frame without TLS hello or app keys, written into the open line; false when the line has one of them already. */
  private writeFrameKeys(decoded: DecodedFrame, analysis: FrameAnalysis | null, outer: string | null): boolean {
    const writer = this.jsonWriter;
    if (analysis && !this.analysisKeys.write(analysis)) return false;
    if (this.withCommunityId) {
      const community = this.communityId(decoded, analysis);
      if (community !== null && !writer.newEntryField(this.communityEntry, community)) return false;
    }
    return outer === null || writer.newEntryField(this.outerEntry, outer);
  }

  private readonly analysisKeys = new FrameAnalysisKeyWriter(this.jsonWriter);
  private readonly communityEntry = this.jsonWriter.entry('communityid');
  private readonly outerEntry = this.jsonWriter.entry('tunnel.outer');

  /** The line as JSON of the frame's object (built from a full decode). */
  private objectJsonLine(decoded: DecodedFrame, meta: FrameMeta, analysis: FrameAnalysis | null, outer: string | null): Uint8Array {
    const writer = this.jsonWriter;
    writer.rewind(this.lineStart);
    writer.line(this.frameKeys(frameFieldsJson(decoded, meta), decoded, analysis, outer));
    return writer.bytes.subarray(this.lineStart, writer.length);
  }

  /**
   * The --json line written while the frame decodes (no object per field): the decoded frame,
   * its line in `sinkJson`; null when the sink could not follow the decoder, `sinkJson` null when
   * the frame's other keys need the object (the caller then decodes in full).
   */
  private sinkJsonLine(bytes: Uint8Array, frame: PipelineFrame, meta: FrameMeta & { len: number; capLen: number }, analysis: FrameAnalysis | null): DecodedFrame | null {
    this.jsonWriter.rewind(this.lineStart);
    this.jsonSink.begin(meta, frame.tsSeconds, frame.tsNanos);
    const decoded = decodeFrame(bytes, frame.linkType, { frameLength: frame.originalLength, sink: this.jsonSink });
    // A decoder error (caught by the decoder) may have come from the sink itself: the full decode decides.
    if (this.jsonSink.lost || decoded.malformed?.startsWith(MALFORMED.decoderError)) return null;
    this.jsonSink.finish(decoded);
    this.sinkOuter = outerEncapsulation(decoded);
    this.sinkJson = this.endJsonLine(decoded, analysis, this.sinkOuter);
    return decoded;
  }

  /** The rest of what the last `sinkJsonLine` found (fields, not an object per frame): its tunnel column and its line. */
  private sinkOuter: string | null = null;
  private sinkJson: Uint8Array | null = null;

  private communityId(decoded: DecodedFrame, analysis: FrameAnalysis | null): string | null {
    return analysis && decoded.malformed === null ? this.streamCommunityId(analysis.stream, decoded) : frameCommunityId(decoded);
  }

  /**
   * A tracked frame's Community ID: its connection's, which every frame of a tcp.stream shares
   * (the ID orders the endpoints), so it is hashed once per stream (a direct-mapped cache).
   */
  private streamCommunityId(stream: number, decoded: DecodedFrame): string | null {
    const slot = stream & (COMMUNITY_SLOTS - 1);
    if (this.communityStreams[slot] === stream) return this.communityIds[slot];
    const id = frameCommunityId(decoded);
    this.communityStreams[slot] = stream;
    this.communityIds[slot] = id;
    return id;
  }

  private readonly communityStreams = new Int32Array(COMMUNITY_SLOTS).fill(-1);
  private readonly communityIds: (string | null)[] = new Array<string | null>(COMMUNITY_SLOTS).fill(null);

  /** The packet list's Source, Destination, Protocol and Info of this frame. */
  private frameColumnsOf(decoded: DecodedFrame, analysis: FrameAnalysis | null): SummaryColumns {
    const columns = frameColumns(
      decoded,
      analysis ? { relativeSeq: analysis.relativeSeq, relativeAck: analysis.relativeAck >= 0 ? analysis.relativeAck : undefined, window: analysis.windowSize } : {},
    );
    if (this.tls && analysis && this.tlsRecords.length > 0) {
      const text = tlsInfoText(this.tlsRecords, this.tls.versionOf(analysis.stream));
      columns.protocol = text.protocol;
      columns.info = text.info;
    }
    if (this.dnsMessages.length > 0) {
      const text = dnsInfoText(this.dnsMessages);
      columns.protocol = text.protocol;
      const malformed = decoded.malformed ?? dnsMalformed(this.dnsMessages);
      columns.info = malformed ? `${text.info} [Malformed Packet: ${malformed}]` : text.info;
    } else if (this.dnsInStream) {
      columns.info = `${columns.info} [TCP segment of a reassembled PDU]`;
    }
    const httpText = httpInfoText(this.httpResult);
    if (httpText) {
      columns.protocol = httpText.protocol;
      columns.info = httpText.info;
    }
    if (analysis) {
      const prefix = analysisInfoPrefix(analysis);
      if (prefix) columns.info = `${prefix} ${columns.info}`;
    }
    return columns;
  }

  process(frame: PipelineFrame): ProcessedFrame {
    return this.processTracked(frame, this.track(frame));
  }

  /** The rest of `process` for a frame `track` has just seen (and returned `analysis` for). */
  processTracked(frame: PipelineFrame, analysis: FrameAnalysis | null): ProcessedFrame {
    const bytes = frame.data;
    const relativeTime = this.lastRelativeTime;
    const sincePrevious = this.lastTimeDelta;
    const meta = {
      number: frame.frameNumber,
      // Set where the text is needed: a line written by the sink writes the digits itself.
      timeEpoch: '',
      len: frame.originalLength,
      capLen: bytes.length,
      timeRelative: relativeTime,
      timeDelta: sincePrevious,
      // Every frame counts as shown until a display filter's caller says otherwise (setTimeDeltaDisplayed).
      timeDeltaDisplayed: sincePrevious,
    };
    let fields: Record<string, JsonFieldValue> | null = null;
    let json: Uint8Array | null = null;
    this.lineStart = this.appendJsonLines ? this.jsonWriter.length : 0;
    // A reassembled datagram's layers are added after the decode: those frames take the full decode.
    const direct = this.jsonLines && this.lastReassembled === null ? this.sinkJsonLine(bytes, frame, meta, analysis) : null;
    let decoded: DecodedFrame;
    let outer: string | null;
    if (direct !== null && this.sinkJson !== null) {
      decoded = direct;
      outer = this.sinkOuter;
      json = this.sinkJson;
    } else {
      meta.timeEpoch = formatEpoch(frame.tsSeconds, frame.tsNanos);
      decoded = decodeFrame(bytes, frame.linkType, { frameLength: frame.originalLength });
      if (this.lastReassembled) addReassembledLayers(decoded, this.lastReassembled);
      outer = outerEncapsulation(decoded);
      if (direct) {
        // The sink followed the decoder, but the frame's other keys need the object (SACK edges, say).
        this.jsonFallbacks++;
        json = this.objectJsonLine(decoded, meta, analysis, outer);
      } else if (this.jsonLines) {
        if (this.lastReassembled === null) this.jsonFallbacks++;
        json = this.jsonLine(decoded, meta, analysis, outer);
      } else fields = this.frameKeys(frameFieldsJson(decoded, meta), decoded, analysis, outer);
    }
    const columns = this.withColumns ? this.frameColumnsOf(decoded, analysis) : { source: '', destination: '', protocol: '', info: '' };
    const processed = new Processed(decoded, fields, json, analysis, columns, relativeTime, frame, outer);
    const names = this.interfaceNames;
    if (names !== null && frame.interfaceId !== undefined && frame.interfaceId < names.length) {
      processed.interfaceId = frame.interfaceId;
      processed.interfaceName = names[frame.interfaceId] || UNNAMED_INTERFACE;
    }
    return processed;
  }
}

/** One shape for every processed frame (a literal with its own getter per frame would give each its own hidden class). */
class Processed implements ProcessedFrame {
  readonly tsSeconds: number;
  readonly tsNanos: number;
  readonly frameNumber: number;
  private readonly length: number;
  interfaceId: number | undefined = undefined;
  interfaceName: string | undefined = undefined;

  constructor(
    readonly decoded: DecodedFrame,
    private object: Record<string, JsonFieldValue> | null,
    public json: Uint8Array | null,
    readonly analysis: FrameAnalysis | null,
    readonly columns: SummaryColumns,
    readonly relativeTime: number,
    frame: PipelineFrame,
    private readonly outer: string | null,
  ) {
    this.tsSeconds = frame.tsSeconds;
    this.tsNanos = frame.tsNanos;
    this.frameNumber = frame.frameNumber;
    this.length = frame.originalLength;
  }

  /** With jsonLines, the object only when asked: read back from the line (JSON keeps its key order). */
  get fields(): Record<string, JsonFieldValue> {
    return (this.object ??= JSON.parse(decodeUtf8(this.json!, 0, this.json!.length - 1)) as Record<string, JsonFieldValue>);
  }

  line(): string {
    const { columns, outer } = this;
    return `${String(this.frameNumber).padStart(6)} ${this.relativeTime.toFixed(6).padStart(11)} ${columns.source} → ${columns.destination} ${columns.protocol} ${this.length} ${columns.info}${outer === null ? '' : ` [via ${outer}]`}`;
  }
}
