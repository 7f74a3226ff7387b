/**
 * The tracker's results in the `handshake` command's JSON shapes (cli.md): the
 * `{"type":"connection", …}` object of `analyze --json`, and the tracking keys that
 * `decode --json` adds to each frame.
 */
import { formatEpoch, NANOS_PER_SECOND } from '../files/timestamp';
import { communityIdOf } from '../flowid';
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
  if (c.tls) {
    json.tls = {
      sni: c.tls.sni,
      alpn_offered: c.tls.alpn_offered,
      alpn_selected: c.tls.alpn_selected,
      versions_offered: c.tls.versions_offered,
      version_selected: c.tls.version_selected,
      cipher_selected: c.tls.cipher_selected,
    };
  }
  return json;
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
 * Adds the tracking keys of `decode --json` for one frame to `out`: `tcp.stream`, relative
 * `tcp.seq`/`tcp.ack`/`tcp.nxtseq`, `tcp.window_size`, the `tcp.analysis.*` booleans (only
 * when true), `tcp.analysis.acks_frame`/`ack_rtt`/`initial_rtt`/`bytes_in_flight`/`push_bytes_sent`
 * where tshark shows them, and the TLS hello keys. Returns `out`.
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
