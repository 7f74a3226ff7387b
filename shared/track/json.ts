/**
 * The tracker's results in the `handshake` command's JSON shapes (cli.md): the
 * `{"type":"connection", …}` object of `analyze --json`, and the tracking keys that
 * `decode --json` adds to each frame.
 */
import { formatEpoch, NANOS_PER_SECOND } from '../files/timestamp';
import { encodeUtf8 } from '../files/utf8';
import { communityIdOf } from '../flowid';
import type { KeyEntry, NdjsonWriter } from '../ndjson/writer';
import { ANALYSIS_FLAGS_KEY, ANALYSIS_KEYS, Analysis } from './flags';
import type { ConnectionSummary, Endpoint, FrameAnalysis, StateRecord } from './types';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** "198.18.0.1:40000" or "[2001:db8::1]:443". */
export function endpointText(endpoint: Endpoint, ipVersion: 4 | 6): string {
  return ipVersion === 6 ? `[${endpoint.address}]:${endpoint.port}` : `${endpoint.address}:${endpoint.port}`;
}

function statesJson(records: StateRecord[]): JsonValue[] {
  return records.map((r) => ({ state: r.state, frame: r.frame, time: formatEpoch(r.time.sec, r.time.ns) }));
}

/** Seconds rounded to nanoseconds, so a float's tail never leaks into the output. */
function roundSeconds(value: number | null): number | null {
  return value === null ? null : Math.round(value * 1e9) / 1e9;
}

/** The connection's Community ID v1 (seed 0), the key Zeek, Suricata and Arkime log for it. */
export function connectionCommunityId(c: ConnectionSummary): string {
  return communityIdOf(6, c.client.address, c.client.port, c.server.address, c.server.port);
}

/** cli.md's connection object, keys in the documented order. */
export function connectionToJson(c: ConnectionSummary): JsonObject {
  const json: JsonObject = {
    type: 'connection',
    'tcp.stream': c.stream,
    client: endpointText(c.client, c.ipVersion),
    server: endpointText(c.server, c.ipVersion),
    community_id: connectionCommunityId(c),
    start: formatEpoch(c.start.sec, c.start.ns),
    end: formatEpoch(c.end.sec, c.end.ns),
    frames: c.frames,
    bytes: c.bytes,
    conn_state: c.connState,
    history: c.history,
    completeness: c.completeness,
    handshake: {
      kind: c.handshake.kind,
      complete: c.handshake.complete,
      frames: c.handshake.frames,
      syn_retransmissions: c.handshake.synRetransmissions,
      synack_retransmissions: c.handshake.synAckRetransmissions,
      initial_rtt: roundSeconds(c.handshake.initialRtt),
      data_on_final_ack: c.handshake.dataOnFinalAck,
      refused: c.handshake.rejected,
    },
    teardown: {
      kind: c.teardown.kind,
      initiator: c.teardown.initiator,
      frames: c.teardown.frames,
      half_close_bytes: c.teardown.halfCloseBytes,
    },
    states: { client: statesJson(c.states.client), server: statesJson(c.states.server) },
    final_state: { client: c.finalState.client, server: c.finalState.server },
    counts: { ...c.counts },
  };
  const tls = connectionTlsJson(c);
  if (tls) json.tls = tls;
  return json;
}

/** The hellos' part of the connection object's `tls` (null without a hello). */
export function connectionTlsJson(c: ConnectionSummary): JsonObject | null {
  if (!c.tls) return null;
  return {
    sni: c.tls.sni,
    alpn_offered: c.tls.alpn_offered,
    alpn_selected: c.tls.alpn_selected,
    versions_offered: c.tls.versions_offered,
    version_selected: c.tls.version_selected,
    cipher_selected: c.tls.cipher_selected,
  };
}

/** `"…` fragments of the connection object, encoded once. */
const piece = (text: string): Uint8Array => encodeUtf8(text);
const P_STREAM = piece('"tcp.stream":');
const P_CLIENT = piece(',"client":"');
const P_SERVER = piece('","server":"');
const P_COMMUNITY = piece('","community_id":"');
const P_START = piece('","start":"');
const P_END = piece('","end":"');
const P_FRAMES = piece('","frames":');
const P_BYTES = piece(',"bytes":');
const P_CONN_STATE = piece(',"conn_state":"');
const P_HISTORY = piece('","history":"');
const P_COMPLETENESS = piece('","completeness":');
const P_HANDSHAKE = piece(',"handshake":{"kind":');
const P_COMPLETE = piece(',"complete":');
const P_HANDSHAKE_FRAMES = piece(',"frames":[');
const P_SYN_RETRANSMISSIONS = piece('],"syn_retransmissions":');
const P_SYNACK_RETRANSMISSIONS = piece(',"synack_retransmissions":');
const P_INITIAL_RTT = piece(',"initial_rtt":');
const P_DATA_ON_FINAL_ACK = piece(',"data_on_final_ack":');
const P_REFUSED = piece(',"refused":');
const P_TEARDOWN = piece('},"teardown":{"kind":');
const P_INITIATOR = piece(',"initiator":');
const P_TEARDOWN_FRAMES = piece(',"frames":[');
const P_HALF_CLOSE = piece('],"half_close_bytes":');
const P_STATES = piece('},"states":{"client":[');
const P_STATES_SERVER = piece('],"server":[');
const P_STATE_TIME = piece(',"time":"');
const P_FINAL_STATE = piece(']},"final_state":{"client":"');
const P_FINAL_SERVER = piece('","server":"');
const P_COUNTS = piece('"},"counts":{');
const P_TRUE = piece('true');
const P_FALSE = piece('false');
const P_NULL = piece('null');
/** A count's key, and the first count's (without a comma), by name: ConnectionCounts has a fixed set of names. */
const COUNT_KEYS = new Map<string, Uint8Array>();
const FIRST_COUNT_KEYS = new Map<string, Uint8Array>();
const QUOTE = 0x22;
const COMMA = 0x2c;

function countKey(name: string, first: boolean): Uint8Array {
  const keys = first ? FIRST_COUNT_KEYS : COUNT_KEYS;
  let bytes = keys.get(name);
  if (!bytes) {
    bytes = piece(`${first ? '' : ','}${JSON.stringify(name)}:`);
    keys.set(name, bytes);
  }
  return bytes;
}

/** A text every character of which JSON leaves as it is (addresses, state names, Zeek history letters), quoted. */
function writeQuotedOrNull(writer: NdjsonWriter, text: string | null): void {
  if (text === null) writer.append(P_NULL);
  else {
    writer.byte(QUOTE);
    writer.ascii(text);
    writer.byte(QUOTE);
  }
}

function writeNumberOrNull(writer: NdjsonWriter, value: number | null): void {
  if (value === null || !Number.isFinite(value)) writer.append(P_NULL);
  else writer.numberText(value);
}

function writeNumbers(writer: NdjsonWriter, values: readonly number[]): void {
  for (let i = 0; i < values.length; i++) {
    if (i > 0) writer.byte(COMMA);
    writeNumberOrNull(writer, values[i]);
  }
}

/** `{"state":"NAME","frame":` by state name: a connection writes about ten of them, from a handful of names. */
const STATE_OPENINGS = new Map<string, Uint8Array>();

function stateOpening(state: string): Uint8Array {
  let bytes = STATE_OPENINGS.get(state);
  if (bytes === undefined) {
    bytes = piece(`{"state":"${state}","frame":`);
    if (STATE_OPENINGS.size < 64) STATE_OPENINGS.set(state, bytes);
  }
  return bytes;
}

function writeStates(writer: NdjsonWriter, records: readonly StateRecord[]): void {
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    if (i > 0) writer.byte(COMMA);
    writer.append(stateOpening(r.state));
    writeNumberOrNull(writer, r.frame);
    writer.append(P_STATE_TIME);
    writer.epochText(r.time.sec, r.time.ns);
    writer.byte(QUOTE);
    writer.byte(0x7d);
  }
}

/** Whether a text would be written by JSON as it is (printable ASCII, no quote or backslash). */
function plain(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === QUOTE || c === 0x5c) return false;
  }
  return true;
}

/**
 * The line `JSON.stringify({...connectionToJson(c), tls, http}) + '\n'` gives, written straight
 * into `writer` (`analyze --json`: no object per connection). `tls` and `http` are added as
 * they are when not undefined.
 */
export function writeConnectionJson(writer: NdjsonWriter, c: ConnectionSummary, tls?: JsonValue, http?: JsonValue): void {
  const client = endpointText(c.client, c.ipVersion);
  const server = endpointText(c.server, c.ipVersion);
  if (!plain(client) || !plain(server) || !plain(c.history)) {
    // Not the texts the tracker makes: the general path escapes them.
    const json = connectionToJson(c);
    if (tls !== undefined) json.tls = tls;
    if (http !== undefined) json.http = http;
    writer.line(json);
    return;
  }
  writer.begin();
  writer.field('type', 'connection');
  writer.byte(COMMA);
  writer.append(P_STREAM);
  writer.numberText(c.stream);
  writer.append(P_CLIENT);
  writer.ascii(client);
  writer.append(P_SERVER);
  writer.ascii(server);
  writer.append(P_COMMUNITY);
  writer.ascii(connectionCommunityId(c));
  writer.append(P_START);
  writer.epochText(c.start.sec, c.start.ns);
  writer.append(P_END);
  writer.epochText(c.end.sec, c.end.ns);
  writer.append(P_FRAMES);
  writer.numberText(c.frames);
  writer.append(P_BYTES);
  writeNumberOrNull(writer, c.bytes);
  writer.append(P_CONN_STATE);
  writer.ascii(c.connState);
  writer.append(P_HISTORY);
  writer.ascii(c.history);
  writer.append(P_COMPLETENESS);
  writer.numberText(c.completeness);
  const h = c.handshake;
  writer.append(P_HANDSHAKE);
  writeQuotedOrNull(writer, h.kind);
  writer.append(P_COMPLETE);
  writer.append(h.complete ? P_TRUE : P_FALSE);
  writer.append(P_HANDSHAKE_FRAMES);
  writeNumbers(writer, h.frames);
  writer.append(P_SYN_RETRANSMISSIONS);
  writer.numberText(h.synRetransmissions);
  writer.append(P_SYNACK_RETRANSMISSIONS);
  writer.numberText(h.synAckRetransmissions);
  writer.append(P_INITIAL_RTT);
  writeNumberOrNull(writer, roundSeconds(h.initialRtt));
  writer.append(P_DATA_ON_FINAL_ACK);
  writer.append(h.dataOnFinalAck ? P_TRUE : P_FALSE);
  writer.append(P_REFUSED);
  writer.append(h.rejected ? P_TRUE : P_FALSE);
  const t = c.teardown;
  writer.append(P_TEARDOWN);
  writeQuotedOrNull(writer, t.kind);
  writer.append(P_INITIATOR);
  writeQuotedOrNull(writer, t.initiator);
  writer.append(P_TEARDOWN_FRAMES);
  writeNumbers(writer, t.frames);
  writer.append(P_HALF_CLOSE);
  writeNumberOrNull(writer, t.halfCloseBytes);
  writer.append(P_STATES);
  writeStates(writer, c.states.client);
  writer.append(P_STATES_SERVER);
  writeStates(writer, c.states.server);
  writer.append(P_FINAL_STATE);
  writer.ascii(c.finalState.client);
  writer.append(P_FINAL_SERVER);
  writer.ascii(c.finalState.server);
  writer.append(P_COUNTS);
  let first = true;
  for (const name in c.counts) {
    writer.append(countKey(name, first));
    writeNumberOrNull(writer, c.counts[name as keyof typeof c.counts]);
    first = false;
  }
  writer.byte(0x7d);
  const tlsJson = connectionTlsJson(c);
  const tlsValue = tls !== undefined ? tls : tlsJson;
  if (tlsValue !== null && tlsValue !== undefined) writer.field('tls', tlsValue);
  if (http !== undefined) writer.field('http', http);
  writer.end();
}

/**
 * SACK edges acknowledge the peer's sequence numbers, so Wireshark shows them relative to the
 * peer's ISN, as `tcp.ack` is (the peer's base is ack_raw − relative ack). The raw edges stay
 * beside them as `tcp.options.sack_le_raw`/`_re_raw` (named like `tcp.ack_raw`; tshark 4.0 has no raw field).
 */
export function relativeSackEdges(fields: { [key: string]: unknown }, relativeAck: number): void {
  const ackRaw = fields['tcp.ack_raw'];
  if (fields['tcp.flags.ack'] !== true || typeof ackRaw !== 'number') return;
  const base = (ackRaw - relativeAck) >>> 0;
  for (const edge of ['tcp.options.sack_le', 'tcp.options.sack_re']) {
    const raw = fields[edge];
    if (!Array.isArray(raw)) continue;
    fields[`${edge}_raw`] = raw;
    fields[edge] = raw.map((value) => (typeof value === 'number' ? (value - base) >>> 0 : value));
  }
}

/**
 * `frameAnalysisToKeys` of a frame without TLS hello keys (`fa.tls` null), written into an open
 * writer object: the same keys in the same order with the same values, without the object.
 * Keep the two in step.
 */
export class FrameAnalysisKeyWriter {
  private readonly stream: KeyEntry;
  private readonly seq: KeyEntry;
  private readonly ack: KeyEntry;
  private readonly nextSeq: KeyEntry;
  private readonly windowSize: KeyEntry;
  private readonly flags: KeyEntry;
  private readonly flagBits: readonly number[];
  private readonly flagEntries: readonly KeyEntry[];
  private readonly duplicateAckNumber: KeyEntry;
  private readonly duplicateAckFrame: KeyEntry;
  private readonly acksFrame: KeyEntry;
  private readonly ackRtt: KeyEntry;
  private readonly initialRtt: KeyEntry;
  private readonly bytesInFlight: KeyEntry;
  private readonly pushBytesSent: KeyEntry;
  private readonly timeRelative: KeyEntry;
  private readonly timeDelta: KeyEntry;

  constructor(private readonly writer: NdjsonWriter) {
    this.stream = writer.entry('tcp.stream');
    this.seq = writer.entry('tcp.seq');
    this.ack = writer.entry('tcp.ack');
    this.nextSeq = writer.entry('tcp.nxtseq');
    this.windowSize = writer.entry('tcp.window_size');
    this.flags = writer.entry(ANALYSIS_FLAGS_KEY);
    this.flagBits = ANALYSIS_KEYS.map(([bit]) => bit);
    this.flagEntries = ANALYSIS_KEYS.map(([, key]) => writer.entry(key));
    this.duplicateAckNumber = writer.entry('tcp.analysis.duplicate_ack_num');
    this.duplicateAckFrame = writer.entry('tcp.analysis.duplicate_ack_frame');
    this.acksFrame = writer.entry('tcp.analysis.acks_frame');
    this.ackRtt = writer.entry('tcp.analysis.ack_rtt');
    this.initialRtt = writer.entry('tcp.analysis.initial_rtt');
    this.bytesInFlight = writer.entry('tcp.analysis.bytes_in_flight');
    this.pushBytesSent = writer.entry('tcp.analysis.push_bytes_sent');
    this.timeRelative = writer.entry('tcp.time_relative');
    this.timeDelta = writer.entry('tcp.time_delta');
  }

  /** False when the open object already has one of the keys (some of them may be written by then). */
  write(fa: FrameAnalysis): boolean {
    const writer = this.writer;
    if (!writer.newEntryField(this.stream, fa.stream)) return false;
    if (!writer.newEntryField(this.seq, fa.relativeSeq)) return false;
    if (!writer.newEntryField(this.ack, fa.relativeAck)) return false;
    if (!writer.newEntryField(this.nextSeq, fa.nextSeq)) return false;
    if (!writer.newEntryField(this.windowSize, fa.windowSize)) return false;
    if (fa.analysis !== 0) {
      if (!writer.newEntryField(this.flags, true)) return false;
      for (let i = 0; i < this.flagBits.length; i++) if (fa.analysis & this.flagBits[i] && !writer.newEntryField(this.flagEntries[i], true)) return false;
      if (fa.analysis & Analysis.DUPLICATE_ACK) {
        if (!writer.newEntryField(this.duplicateAckNumber, fa.duplicateAckNumber)) return false;
        if (!writer.newEntryField(this.duplicateAckFrame, fa.duplicateAckFrame)) return false;
      }
    }
    if (fa.acksFrame !== 0) {
      if (!writer.newEntryField(this.acksFrame, fa.acksFrame)) return false;
      if (fa.ackRttNs > 0 && !writer.newEntryField(this.ackRtt, roundSeconds(fa.ackRttNs / NANOS_PER_SECOND)!)) return false;
    }
    if (fa.initialRtt >= 0 && !writer.newEntryField(this.initialRtt, roundSeconds(fa.initialRtt)!)) return false;
    if (fa.bytesInFlight > 0) {
      if (!writer.newEntryField(this.bytesInFlight, fa.bytesInFlight)) return false;
      if (!writer.newEntryField(this.pushBytesSent, fa.pushBytesSent)) return false;
    }
    if (!writer.newEntryField(this.timeRelative, fa.timeRelativeNs / NANOS_PER_SECOND)) return false;
    return writer.newEntryField(this.timeDelta, fa.timeDeltaNs / NANOS_PER_SECOND);
  }
}

/**
 * Adds the tracking keys of `decode --json` for one frame to `out`: `tcp.stream`, relative
 * `tcp.seq`/`tcp.ack`/`tcp.nxtseq`, `tcp.window_size`, the `tcp.analysis.*` booleans (only
 * when true), `tcp.analysis.acks_frame`/`ack_rtt`/`initial_rtt`/`bytes_in_flight`/`push_bytes_sent`
 * where tshark shows them, and the TLS hello keys. Returns `out`. FrameAnalysisKeyWriter writes the same keys.
 */
export function frameAnalysisToKeys(fa: FrameAnalysis, out: JsonObject = {}): JsonObject {
  out['tcp.stream'] = fa.stream;
  out['tcp.seq'] = fa.relativeSeq;
  out['tcp.ack'] = fa.relativeAck;
  out['tcp.nxtseq'] = fa.nextSeq;
  out['tcp.window_size'] = fa.windowSize;
  if (fa.analysis !== 0) {
    out[ANALYSIS_FLAGS_KEY] = true;
    for (const [bit, key] of ANALYSIS_KEYS) if (fa.analysis & bit) out[key] = true;
    if (fa.analysis & Analysis.DUPLICATE_ACK) {
      out['tcp.analysis.duplicate_ack_num'] = fa.duplicateAckNumber;
      out['tcp.analysis.duplicate_ack_frame'] = fa.duplicateAckFrame;
    }
  }
  relativeSackEdges(out, fa.relativeAck);
  if (fa.acksFrame !== 0) {
    out['tcp.analysis.acks_frame'] = fa.acksFrame;
    if (fa.ackRttNs > 0) out['tcp.analysis.ack_rtt'] = roundSeconds(fa.ackRttNs / NANOS_PER_SECOND);
  }
  if (fa.initialRtt >= 0) out['tcp.analysis.initial_rtt'] = roundSeconds(fa.initialRtt);
  if (fa.bytesInFlight > 0) {
    out['tcp.analysis.bytes_in_flight'] = fa.bytesInFlight;
    out['tcp.analysis.push_bytes_sent'] = fa.pushBytesSent;
  }
  out['tcp.time_relative'] = fa.timeRelativeNs / NANOS_PER_SECOND;
  out['tcp.time_delta'] = fa.timeDeltaNs / NANOS_PER_SECOND;
  if (fa.tls) {
    out['tls.handshake.type'] = fa.tls.handshakeTypes.slice();
    if (fa.tls.serverName !== null) out['tls.handshake.extensions_server_name'] = fa.tls.serverName;
    if (fa.tls.alpn.length > 0) out['tls.handshake.extensions_alpn_str'] = fa.tls.alpn.slice();
    if (fa.tls.supportedVersions.length > 0) out['tls.handshake.extensions.supported_version'] = fa.tls.supportedVersions.slice();
    if (fa.tls.cipherSuites.length > 0) out['tls.handshake.ciphersuite'] = fa.tls.cipherSuites.slice();
  }
  return out;
}
