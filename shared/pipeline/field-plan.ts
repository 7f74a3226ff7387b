/**
 * What `decode -e FIELD…` has to run to give its fields, decided once from their names: the
 * tracker only for the fields it makes (tcp.stream, relative numbers, tcp.analysis.*), TLS, HTTP,
 * DNS and QUIC only for their own fields. When every field is one the fast path's record
 * (`PacketSummary`) holds, a plain frame (one IPv4/IPv6 header, TCP or UDP, nothing malformed,
 * cut or tunnelled) is answered from that record without the full decode; any other frame takes
 * the full path, so the output is the same either way.
 */
import { formatEpoch } from '../files/timestamp';
import type { FrameAnalysis } from '../track/types';
import { formatIpv4, formatIpv6 } from '../wire/bytes';
import { LINKTYPE_ETHERNET, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_LOOP, LINKTYPE_NULL, LINKTYPE_RAW } from '../wire/linktypes';
import type { JsonScalar } from '../wire/json';
import type { NdjsonWriter } from '../ndjson/writer';
import type { PacketSummary } from '../wire/summary';
import type { FramePipeline, PipelineFrame } from './frame-pipeline';

export interface FieldNeeds {
  /** The TCP tracker (and with it the reassembly TLS, HTTP and DNS over TCP ride on). */
  tracking: boolean;
  tls: boolean;
  http: boolean;
  dns: boolean;
  quic: boolean;
  communityId: boolean;
  /** Every field can be read from the fast path's record on a plain frame. */
  summaryOnly: boolean;
}

/** Layers whose fields the full decoder alone gives, independent of any stream dissector. */
const HEADER_PREFIXES = ['frame.', 'eth.', 'vlan.', 'sll.', 'ip.', 'ipv6.', 'tcp.', 'udp.', 'icmp.', 'icmpv6.'];
/** tcp.* keys the tracker writes (frameAnalysisToKeys), SACK edges included since it makes them relative. */
const TRACKER_TCP = /^tcp\.(stream|seq|ack|nxtseq|window_size|time_relative|time_delta|analysis(\..*)?|options\.sack_(le|re)(_raw)?)$/;

enum Field {
  Number,
  TimeEpoch,
  Len,
  CapLen,
  TimeRelative,
  TimeDelta,
  IpSrc,
  IpDst,
  IpTtl,
  Ipv6Src,
  Ipv6Dst,
  TcpSrcPort,
  TcpDstPort,
  TcpSeqRaw,
  TcpAckRaw,
  TcpFlags,
  TcpLen,
  TcpHdrLen,
  TcpWindowValue,
  UdpSrcPort,
  UdpDstPort,
  TcpStream,
  TcpSeq,
  TcpAck,
  TcpNxtSeq,
  TcpWindowSize,
}

const SUMMARY_FIELDS: ReadonlyMap<string, Field> = new Map([
  ['frame.number', Field.Number],
  ['frame.time_epoch', Field.TimeEpoch],
  ['frame.len', Field.Len],
  ['frame.cap_len', Field.CapLen],
  ['frame.time_relative', Field.TimeRelative],
  ['frame.time_delta', Field.TimeDelta],
  // Without a display filter every frame is displayed.
  ['frame.time_delta_displayed', Field.TimeDelta],
  ['ip.src', Field.IpSrc],
  ['ip.dst', Field.IpDst],
  ['ip.ttl', Field.IpTtl],
  ['ipv6.src', Field.Ipv6Src],
  ['ipv6.dst', Field.Ipv6Dst],
  ['tcp.srcport', Field.TcpSrcPort],
  ['tcp.dstport', Field.TcpDstPort],
  ['tcp.seq_raw', Field.TcpSeqRaw],
  ['tcp.ack_raw', Field.TcpAckRaw],
  ['tcp.flags', Field.TcpFlags],
  ['tcp.len', Field.TcpLen],
  ['tcp.hdr_len', Field.TcpHdrLen],
  ['tcp.window_size_value', Field.TcpWindowValue],
  ['udp.srcport', Field.UdpSrcPort],
  ['udp.dstport', Field.UdpDstPort],
  ['tcp.stream', Field.TcpStream],
  ['tcp.seq', Field.TcpSeq],
  ['tcp.ack', Field.TcpAck],
  ['tcp.nxtseq', Field.TcpNxtSeq],
  ['tcp.window_size', Field.TcpWindowSize],
]);

/** Link types whose headers the fast path and the full decoder read alike, with one IP header after them. */
const PLAIN_LINKS: ReadonlySet<number> = new Set([LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_NULL, LINKTYPE_LOOP]);

/** What must run for these fields (and a display filter's, when there is one: pass them too). */
export function fieldNeeds(names: Iterable<string>): FieldNeeds {
  const needs: FieldNeeds = { tracking: false, tls: false, http: false, dns: false, quic: false, communityId: false, summaryOnly: true };
  for (const name of names) {
    if (!SUMMARY_FIELDS.has(name)) needs.summaryOnly = false;
    if (name === 'communityid') {
      needs.communityId = true;
      continue;
    }
    if (HEADER_PREFIXES.some((prefix) => name.startsWith(prefix))) {
      if (TRACKER_TCP.test(name)) needs.tracking = true;
      continue;
    }
    // Anything else (a stream protocol's field, _ws.malformed, an alias) gets the whole pipeline.
    needs.tracking = needs.tls = needs.http = needs.dns = needs.quic = true;
  }
  return needs;
}

/**
 * `decode -e`'s fast path: the values of summary-only fields for the frame the pipeline tracked
 * last, read from its `PacketSummary` and tracking record, the same values `decode --json` gives.
 */
export class SummaryFields {
  private summary: PacketSummary;
  private buffer: Uint8Array = new Uint8Array(0);
  private start = 0;
  private frame: PipelineFrame | null = null;
  private analysis: FrameAnalysis | null = null;
  /** The field source for the frame loaded last (one function for all frames). */
  readonly source: (name: string) => JsonScalar | undefined;
  private readonly codes: Field[];
  private readonly addresses = new AddressTexts();

  constructor(
    private readonly pipeline: FramePipeline,
    /** The fields, in output order (each a summary field: see `fieldNeeds`). */
    names: readonly string[],
    /** Whether the fields include the tracker's (a TCP frame it did not track then takes the full path). */
    private readonly tracking: boolean,
  ) {
    this.summary = pipeline.lastSummary;
    this.source = (name) => this.value(SUMMARY_FIELDS.get(name));
    this.codes = names.map((name) => SUMMARY_FIELDS.get(name)!);
  }

  /**
   * The loaded frame's line as `-T fields` prints it (cells tab-separated, absent ones empty),
   * written as bytes: the same text `fieldValueText` gives each value.
   */
  writeTextLine(writer: NdjsonWriter): void {
    const codes = this.codes;
    for (let i = 0; i < codes.length; i++) {
      if (i > 0) writer.byte(0x09);
      if (codes[i] === Field.TimeEpoch) {
        writer.epochText(this.frame!.tsSeconds, this.frame!.tsNanos);
        continue;
      }
      const value = this.value(codes[i]);
      if (typeof value === 'number') writer.numberText(value);
      else if (typeof value === 'string') writer.ascii(value);
    }
    writer.byte(0x0a);
  }

  /**
   * Takes the frame `pipeline.track` has just seen; false when it is not plain enough for the
   * summary (the caller then decodes it fully).
   */
  load(frame: PipelineFrame, analysis: FrameAnalysis | null): boolean {
    const s = this.pipeline.lastSummary;
    const captured = frame.capturedLength ?? frame.data.length;
    const plain =
      s.malformed === null &&
      !s.encapsulated &&
      !s.fragment &&
      this.pipeline.lastReassembled === null &&
      captured === frame.originalLength &&
      PLAIN_LINKS.has(s.linkType) &&
      s.transportOffset >= 0 &&
      (s.ipVersion === 4 || s.ipVersion === 6) &&
      (s.protocol === 17 || (s.protocol === 6 && (analysis !== null || !this.tracking)));
    if (!plain) return false;
    this.summary = s;
    this.buffer = this.pipeline.lastSummaryBuffer;
    this.start = this.pipeline.lastSummaryStart;
    this.frame = frame;
    this.analysis = analysis;
    return true;
  }

  private value(code: Field | undefined): JsonScalar | undefined {
    const s = this.summary;
    const frame = this.frame!;
    const tcp = s.protocol === 6;
    const v4 = s.ipVersion === 4;
    switch (code) {
      case Field.Number:
        return frame.frameNumber;
      case Field.TimeEpoch:
        return formatEpoch(frame.tsSeconds, frame.tsNanos);
      case Field.Len:
        return frame.originalLength;
      case Field.CapLen:
        return frame.capturedLength ?? frame.data.length;
      case Field.TimeRelative:
        return this.pipeline.lastRelativeTime;
      case Field.TimeDelta:
        return this.pipeline.lastTimeDelta;
      case Field.IpSrc:
        return v4 ? this.addresses.ipv4(s.srcWords[0], this.buffer, this.start + s.networkOffset + 12) : undefined;
      case Field.IpDst:
        return v4 ? this.addresses.ipv4(s.dstWords[0], this.buffer, this.start + s.networkOffset + 16) : undefined;
      case Field.IpTtl:
        return v4 ? s.ttl : undefined;
      case Field.Ipv6Src:
        return v4 ? undefined : this.addresses.ipv6(s.srcWords, this.buffer, this.start + s.networkOffset + 8);
      case Field.Ipv6Dst:
        return v4 ? undefined : this.addresses.ipv6(s.dstWords, this.buffer, this.start + s.networkOffset + 24);
      case Field.TcpSrcPort:
        return tcp ? s.srcPort : undefined;
      case Field.TcpDstPort:
        return tcp ? s.dstPort : undefined;
      case Field.TcpSeqRaw:
        return tcp ? s.seq : undefined;
      case Field.TcpAckRaw:
        return tcp ? s.ack : undefined;
      case Field.TcpFlags:
        return tcp ? s.tcpFlags : undefined;
      case Field.TcpLen:
        return tcp ? s.payloadLength : undefined;
      case Field.TcpHdrLen:
        return tcp ? s.tcpHeaderLength : undefined;
      case Field.TcpWindowValue:
        return tcp ? s.window : undefined;
      case Field.UdpSrcPort:
        return tcp ? undefined : s.srcPort;
      case Field.UdpDstPort:
        return tcp ? undefined : s.dstPort;
      case Field.TcpStream:
        return this.analysis?.stream;
      case Field.TcpSeq:
        return this.analysis?.relativeSeq;
      case Field.TcpAck:
        return this.analysis?.relativeAck;
      case Field.TcpNxtSeq:
        return this.analysis?.nextSeq;
      case Field.TcpWindowSize:
        return this.analysis?.windowSize;
      default:
        return undefined;
    }
  }
}

const ADDRESS_SLOTS = 4096;

/**
 * Recently formatted addresses, by their words (a direct-mapped cache): a capture repeats the
 * same few thousand addresses, and formatting an IPv6 address builds several strings.
 */
class AddressTexts {
  private readonly v4Words = new Uint32Array(ADDRESS_SLOTS);
  private readonly v4Texts: (string | undefined)[] = new Array<string | undefined>(ADDRESS_SLOTS).fill(undefined);
  private readonly v6Words = new Uint32Array(ADDRESS_SLOTS * 4);
  private readonly v6Texts: (string | undefined)[] = new Array<string | undefined>(ADDRESS_SLOTS).fill(undefined);

  ipv4(word: number, bytes: Uint8Array, offset: number): string {
    const slot = Math.imul(word, 0x9e3779b1) >>> 20; // the top 12 bits: ADDRESS_SLOTS
    const cached = this.v4Texts[slot];
    if (cached !== undefined && this.v4Words[slot] === word) return cached;
    const text = formatIpv4(bytes, offset);
    this.v4Words[slot] = word;
    this.v4Texts[slot] = text;
    return text;
  }

  ipv6(words: Uint32Array, bytes: Uint8Array, offset: number): string {
    const w0 = words[0];
    const w1 = words[1];
    const w2 = words[2];
    const w3 = words[3];
    const slot = Math.imul(w0 ^ Math.imul(w1, 31) ^ Math.imul(w2, 961) ^ Math.imul(w3, 29791), 0x9e3779b1) >>> 20;
    const at = slot * 4;
    const table = this.v6Words;
    const cached = this.v6Texts[slot];
    if (cached !== undefined && table[at] === w0 && table[at + 1] === w1 && table[at + 2] === w2 && table[at + 3] === w3) return cached;
    const text = formatIpv6(bytes, offset);
    table[at] = w0;
    table[at + 1] = w1;
    table[at + 2] = w2;
    table[at + 3] = w3;
    this.v6Texts[slot] = text;
    return text;
  }
}
