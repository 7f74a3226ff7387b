/**
 * The one contract between the renderer and the backend (engine + helpers).
 * Every request, response and event is declared here as a type and as a runtime
 * validator; both transports (Electron IPC and the browser host's WebSocket) check
 * every message against these validators when it crosses a process boundary.
 */
import type { FlowFormat, FlowNodeMode, FlowRow } from '../flowgraph';
import type { ConversationColumns, ConversationKind, ConversationStats, EndpointColumns, EndpointStats } from '../conversations';
import { PAGE_LOAD_STEPS, type PageLoadRow, type PageLoadStep } from '../pageload/rows';
import type { ComparisonSummary, ConnectionComparison, TwoPointStep } from '../compare';
import type { FollowKind } from '../follow/follow';
import type { OverviewRequest } from '../graphs/overview';
export type { FollowKind };
import {
  arr,
  bool,
  float64s,
  int,
  literal,
  nullable,
  num,
  obj,
  opt,
  record,
  str,
  strings,
  tagged,
  unit,
  ValidationError,
  type Validator,
} from './validate';

// ---------------------------------------------------------------- shared pieces

export type { PageLoadRow, PageLoadStep } from '../pageload/rows';

/** Row colour marks (a bitmask): the renderer picks the colour, the engine says why. */
export const ROW_MARK = {
  SYN: 1 << 0,
  FIN: 1 << 1,
  RST: 1 << 2,
  HANDSHAKE: 1 << 3,
  TEARDOWN: 1 << 4,
  RETRANSMISSION: 1 << 5,
  BAD_CHECKSUM: 1 << 6,
  MALFORMED: 1 << 7,
  /** Any other expert warning (dup ACK, zero window, lost segment …). */
  WARNING: 1 << 8,
  /** Sent from this workbench (crafted). */
  CRAFTED: 1 << 9,
  /** Captured length above the file's snaplen (read anyway, as libpcap does). */
  ABOVE_SNAPLEN: 1 << 10,
  /** Marked by the user (Edit › Mark Packet). */
  MARKED: 1 << 11,
  /** Carried in a tunnel (VXLAN, Geneve, GRE, ERSPAN, IP-in-IP, MPLS): the columns show the inner packet. */
  TUNNELLED: 1 << 12,
  /** Has a packet comment (pcapng opt_comment, or added in the UI). */
  COMMENTED: 1 << 13,
  /** A time reference (Ctrl+T): the Time column counts from here and shows *REF*. */
  TIME_REF: 1 << 14,
} as const;

const sessionId = str({ min: 1, max: 64, pattern: /^[A-Za-z0-9_-]+$/ });
const hex = str({ pattern: /^(?:[0-9a-f]{2})*$/ });
const filePath = str({ min: 1, max: 4096 });
const count = int(0, Number.MAX_SAFE_INTEGER);
const name = str({ max: 1024 });

export interface SessionInfo {
  sessionId: string;
  kind: 'file' | 'capture';
  /** File name (no directory) or interface name. */
  name: string;
  frames: number;
  /** False while the file is still being indexed or the capture is running. */
  complete: boolean;
  /** LINKTYPE_* of the first interface, or -1 when not yet known. */
  linkType: number;
  /** Why reading stopped early (a damaged file: byte offset and frame), once indexing is over; else null. */
  damage?: string | null;
  /**
   * A live capture's points and the exact BPF filter applied at each ('' for none): a remote
   * point's is the user's filter with the capture's own SSH connection left out.
   */
  capturePoints?: CapturePointFilter[];
}

export interface CapturePointFilter {
  /** The point's interface name in the capture (host:iface with several points). */
  name: string;
  remote: boolean;
  filter: string;
}
const sessionInfo: Validator<SessionInfo> = obj({
  sessionId,
  kind: literal('file', 'capture'),
  name,
  frames: count,
  complete: bool,
  linkType: int(-1, 0xffff),
  damage: opt(nullable(str({ max: 4096 }))),
  capturePoints: opt(arr(obj({ name: str({ max: 1024 }), remote: bool, filter: str({ max: 16_384 }) }), 16)),
});

export interface PacketRow {
  /** 0-based position in the capture. */
  index: number;
  /** frame.number (1-based). */
  number: number;
  /** Seconds since the first frame. */
  time: number;
  source: string;
  destination: string;
  protocol: string;
  length: number;
  info: string;
  /** ROW_MARK bits. */
  marks: number;
  /** tcp.stream, or -1. */
  stream: number;
  /** The frame's packet comments joined by commas (the Comment column), when it has any. */
  comment?: string;
  /** Values of the requested custom columns (RowsParams.columns), in their order. */
  columns?: string[];
  /** The capture point (interface) it was seen at: an index into RowsResult.points. */
  point?: number;
  /** A tunnelled frame's outer encapsulation (`tunnel.outer`: `VXLAN 42 / 198.18.0.1→198.18.0.2`). */
  encapsulation?: string;
}
const packetRow: Validator<PacketRow> = obj({
  index: count,
  number: count,
  time: num(),
  source: name,
  destination: name,
  protocol: str({ max: 32 }),
  length: count,
  info: str({ max: 4096 }),
  marks: int(0, 0xffff),
  stream: int(-1),
  comment: opt(str({ max: 4096 })),
  columns: opt(arr(str({ max: 1000 }), 32)),
  point: opt(int(0, 0xffff)),
  encapsulation: opt(str({ max: 256 })),
});

export type Severity = 'chat' | 'note' | 'warn' | 'error';
const severity = literal('chat', 'note', 'warn', 'error');

export interface ExpertNote {
  severity: Severity;
  message: string;
  /** The field the note is about, when there is one. */
  field: string | null;
}
const expertNote: Validator<ExpertNote> = obj({ severity, message: str({ max: 4096 }), field: nullable(name) });

/** One line of the detail tree. offset/length locate its bytes in the frame (-1: none). */
export interface DetailNode {
  label: string;
  /** Wireshark display-filter name, or null for a layer heading or a note. */
  field: string | null;
  offset: number;
  length: number;
  severity: Severity | null;
  children: DetailNode[];
}
const detailNode: Validator<DetailNode> = (value, path) =>
  obj({
    label: str({ max: 4096 }),
    field: nullable(name),
    offset: int(-1),
    length: int(0),
    severity: nullable(severity),
    children: arr(detailNode, 10_000),
  })(value, path);

export interface FrameDetail {
  index: number;
  number: number;
  timeEpoch: string;
  /** Seconds since the first frame. */
  time: number;
  linkType: number;
  bytesHex: string;
  /** Original length on the wire (may exceed the captured bytes). */
  length: number;
  stream: number;
  tree: DetailNode[];
  expert: ExpertNote[];
  /** The frame's packet comments, whole (the tree's lines are bounded). */
  comments?: string[];
}
const frameDetail: Validator<FrameDetail> = obj({
  index: count,
  number: count,
  timeEpoch: str({ max: 32 }),
  time: num(),
  linkType: int(0, 0xffff),
  bytesHex: hex,
  length: count,
  stream: int(-1),
  tree: arr(detailNode, 1000),
  expert: arr(expertNote, 1000),
  comments: opt(arr(str({ max: 65_535 }), 64)),
});

export interface ConnectionRow {
  stream: number;
  client: string;
  server: string;
  /** Community ID v1 ("1:…"), the key Zeek, Suricata and Arkime log for the same connection. */
  communityId: string;
  /** RFC 9293 state names (SYN_SENT …) at the end of what was seen. */
  clientState: string;
  serverState: string;
  /** The path into a side's state when the segment that last changed it passed several (FIN_WAIT_2, TIME_WAIT), as the ladder's arrows carry it. */
  clientPassed?: string[];
  serverPassed?: string[];
  connState: string;
  history: string;
  /** tcp.analysis.initial_rtt in seconds. */
  initialRtt: number | null;
  sni: string | null;
  frames: number;
  bytes: number;
  /** Seconds since the capture's first frame. */
  start: number;
  end: number;
  /** When the handshake completed and the teardown began (relative seconds), if they did. */
  handshakeEnd: number | null;
  teardownStart: number | null;
  handshakeKind: string | null;
  teardownKind: string | null;
  firstFrame: number;
  /** How it opened, who closed or reset it, a half-close's bytes and the analysis counts (analyze's words). */
  story: string;
  /** The workbench's own TCP endpoint is this side: its state is the endpoint's own, the other side's as tracked from the wire. */
  endpointSide?: Side;
}
const connectionRow: Validator<ConnectionRow> = obj({
  stream: count,
  client: name,
  server: name,
  communityId: str({ max: 32, pattern: /^1:[A-Za-z0-9+/]{27}=$/ }),
  clientState: str({ max: 32 }),
  serverState: str({ max: 32 }),
  clientPassed: opt(arr(str({ max: 32 }), 12)),
  serverPassed: opt(arr(str({ max: 32 }), 12)),
  connState: str({ max: 16 }),
  history: str({ max: 256 }),
  initialRtt: nullable(num({ min: 0 })),
  sni: nullable(name),
  frames: count,
  bytes: count,
  start: num(),
  end: num(),
  handshakeEnd: nullable(num()),
  teardownStart: nullable(num()),
  handshakeKind: nullable(str({ max: 32 })),
  teardownKind: nullable(str({ max: 32 })),
  firstFrame: count,
  story: str({ max: 1024 }),
  endpointSide: opt(literal('client', 'server')),
});

/** A QUIC connection attempt (long-header packets on UDP, RFC 9000 §17.2), listed beside the TCP connections. */
export interface QuicAttemptRow {
  /** Numbered from 0 in order of first appearance. */
  id: number;
  client: string;
  server: string;
  /** True when no client Initial was seen, so which side is the client is a guess. */
  directionGuessed: boolean;
  /** "QUIC v1", "QUIC v2", "GREASE 0x…" … */
  version: string;
  /** DCID of the client's first Initial (hex): the input of the Initial keys (RFC 9001 §5.2); up to 255 bytes for unknown versions. */
  dcid: string;
  /** From the ClientHello decrypted out of the client's Initials. */
  sni: string | null;
  alpn: string[];
  /** QUIC packets of every type, and Initial packets alone. */
  packets: number;
  initials: number;
  /** The server sent anything: an Initial or Handshake packet, a Retry or a Version Negotiation. */
  serverAnswered: boolean;
  /** Seconds since the capture's first frame. */
  start: number;
  end: number;
  /** Capture indexes (0-based) of the attempt's first and last frames. */
  firstFrame: number;
  lastFrame: number;
  /** A display filter selecting the attempt's datagrams (its UDP conversation). */
  filter: string;
}
const quicAttemptRow: Validator<QuicAttemptRow> = obj({
  id: count,
  client: name,
  server: name,
  directionGuessed: bool,
  version: str({ max: 64 }),
  // 20 bytes in QUIC v1/v2, but up to 255 in a long header of another version (RFC 8999 §5.1):
  // the field's whole range, so no packet on the wire can make the answer invalid.
  dcid: str({ max: 510, pattern: /^(?:[0-9a-f]{2})*$/ }),
  sni: nullable(name),
  alpn: arr(str({ max: 255 }), 64),
  packets: count,
  initials: count,
  serverAnswered: bool,
  start: num(),
  end: num(),
  firstFrame: count,
  lastFrame: count,
  filter: str({ max: 4096 }),
});

export interface AlertInfo {
  kind: string;
  target: string;
  halfOpen: number;
  sources: number;
  firstFrame: number;
  lastFrame: number;
  message: string;
}
const alertInfo: Validator<AlertInfo> = obj({
  kind: str({ max: 64 }),
  target: name,
  halfOpen: count,
  sources: count,
  firstFrame: count,
  lastFrame: count,
  message: str({ max: 4096 }),
});

export type Side = 'client' | 'server';
export type Phase = 'handshake' | 'data' | 'teardown' | 'other';

export interface LadderArrow {
  frameIndex: number;
  number: number;
  time: number;
  from: Side;
  /** Flag names as Wireshark prints them: "SYN, ACK". */
  flags: string;
  /** Relative sequence/ack numbers of the sender, as in Wireshark. */
  seq: number;
  ack: number;
  len: number;
  window: number;
  /** Each side's state after this segment (RFC 9293 names). */
  clientState: string;
  serverState: string;
  /** Every state a side entered on this segment, when more than one (our endpoint's lane: a FIN+ACK acknowledging our FIN in FIN_WAIT_1 gives FIN_WAIT_2, TIME_WAIT). */
  clientPassed?: string[];
  serverPassed?: string[];
  phase: Phase;
  /** tcp.analysis.* names set on this frame, without the prefix ("retransmission"). */
  analysis: string[];
  /** The TLS hello this segment completed, if any. */
  tls?: LadderTls;
  /** A duplicate ACK: its ordinal and the frame number it duplicates (tcp.analysis.duplicate_ack_num/_frame). */
  duplicateAckNumber?: number;
  duplicateAckOf?: number;
}

/**
 * A TLS hello on the ladder, in the tracker's connection summary terms (the same names
 * `analyze` prints): what the client offered, or what the server selected.
 */
export interface LadderTls {
  hello: Side;
  /** SNI host name (ClientHello only). */
  sni: string | null;
  /** ALPN protocols offered, or the one selected (TLS 1.3 servers send it encrypted, so often none). */
  alpn: string[];
  /** supported_versions offered, or the version selected ("TLS 1.3", unknown codes in hex). */
  versions: string[];
  /** Cipher suites offered, or the one selected (IANA names, unknown codes in hex). */
  ciphers: string[];
}
const ladderTls: Validator<LadderTls> = obj({
  hello: literal('client', 'server'),
  sni: nullable(str({ max: 256 })),
  alpn: arr(str({ max: 256 }), 64),
  versions: arr(str({ max: 32 }), 64),
  ciphers: arr(str({ max: 64 }), 1024),
});
const ladderArrow: Validator<LadderArrow> = obj({
  frameIndex: count,
  number: count,
  time: num(),
  from: literal('client', 'server'),
  flags: str({ max: 64 }),
  seq: count,
  ack: count,
  len: count,
  window: count,
  clientState: str({ max: 32 }),
  serverState: str({ max: 32 }),
  clientPassed: opt(arr(str({ max: 32 }), 12)),
  serverPassed: opt(arr(str({ max: 32 }), 12)),
  phase: literal('handshake', 'data', 'teardown', 'other'),
  analysis: arr(str({ max: 64 }), 64),
  tls: opt(ladderTls),
  duplicateAckNumber: opt(count),
  duplicateAckOf: opt(count),
});

export interface Ladder {
  stream: number;
  client: string;
  server: string;
  /** State of each side before the first arrow. */
  initialClientState: string;
  initialServerState: string;
  /** State of each side at the end of the capture (after timers such as 2×MSL). */
  finalClientState: string;
  finalServerState: string;
  /** The MSL the tracker used: TIME_WAIT lasts twice this (older hosts leave it out). */
  mslSeconds?: number;
  arrows: LadderArrow[];
  /** True when the arrow list was cut at the limit. */
  truncated: boolean;
  /** The connection's story (ConnectionRow.story). */
  story: string;
  /** The SYN was answered by RST: that RST belongs to the (refused) handshake, not a teardown. */
  refused?: boolean;
  /** The workbench's own TCP endpoint is this side: that lane's states are the endpoint's own, the other's as tracked from the wire. */
  endpointSide?: Side;
}
const ladder: Validator<Ladder> = obj({
  stream: count,
  client: name,
  server: name,
  initialClientState: str({ max: 32 }),
  initialServerState: str({ max: 32 }),
  finalClientState: str({ max: 32 }),
  finalServerState: str({ max: 32 }),
  mslSeconds: opt(num({ min: 0 })),
  arrows: arr(ladderArrow, 100_000),
  truncated: bool,
  story: str({ max: 1024 }),
  refused: opt(bool),
  endpointSide: opt(literal('client', 'server')),
});

/** One Expert Information group: every note of one kind (shared/expert's EXPERT_KINDS). */
export interface ExpertGroup {
  severity: Severity;
  kind: string;
  group: string;
  protocol: string;
  summary: string;
  count: number;
  /** Capture indexes (0-based) of its frames, the first 10,000. */
  frames: number[];
}
const expertGroup: Validator<ExpertGroup> = obj({
  severity,
  kind: str({ max: 64 }),
  group: str({ max: 64 }),
  protocol: str({ max: 64 }),
  summary: str({ max: 1024 }),
  count,
  frames: arr(count, 10_000),
});

/** The rows are shared/conversations' own records, as tshark -z conv / -z endpoints count them. */
export type { ConversationKind };
export type { FlowFormat, FlowRow };
export type ConversationRow = ConversationStats;
const conversationKind = literal('eth', 'ipv4', 'ipv6', 'tcp', 'udp');

export type EndpointRow = EndpointStats;
export type { ConversationColumns, EndpointColumns };

/**
 * Checks a column table: every column as long as the first and every value within its bounds
 * (whole numbers where `integer`; address columns index `names`).
 */
function columnTable<T extends { names: string[] }>(columns: Record<Exclude<keyof T, 'names'>, { min: number; max?: number; integer: boolean; names?: true }>): Validator<T> {
  const shape: Record<string, Validator<unknown>> = { names: strings(5_000_000, 1024) };
  for (const key of Object.keys(columns)) shape[key] = float64s(5_000_000);
  const base = obj(shape);
  return (value, path = '') => {
    const table = base(value, path) as Record<string, Float64Array> & { names: string[] };
    let length = -1;
    for (const [key, rule] of Object.entries(columns) as [string, { min: number; max?: number; integer: boolean; names?: true }][]) {
      const column = table[key];
      if (length < 0) length = column.length;
      if (column.length !== length) throw new ValidationError(`${path}.${key}`, `has ${column.length} rows, not ${length}`);
      const max = rule.names ? table.names.length - 1 : (rule.max ?? Number.MAX_SAFE_INTEGER);
      for (let i = 0; i < column.length; i++) {
        const v = column[i];
        if (v < rule.min || v > max || (rule.integer && !Number.isInteger(v))) throw new ValidationError(`${path}.${key}[${i}]`, `out of range: ${v}`);
      }
    }
    return table as unknown as T;
  };
}
const counted = { min: 0, integer: true };
const port = { min: -1, max: 0xffff, integer: true };
const addressIndex = { min: 0, integer: true, names: true as const };
const conversationColumnsValidator = columnTable<ConversationColumns>({
  addressA: addressIndex,
  portA: port,
  addressB: addressIndex,
  portB: port,
  framesAB: counted,
  bytesAB: counted,
  framesBA: counted,
  bytesBA: counted,
  start: { min: -Number.MAX_VALUE, integer: false },
  duration: { min: 0, integer: false },
});
const endpointColumnsValidator = columnTable<EndpointColumns>({
  address: addressIndex,
  port,
  txFrames: counted,
  txBytes: counted,
  rxFrames: counted,
  rxBytes: counted,
});

/** Which frames Export Specified Packets writes. */
export type ExportRange = 'all' | 'displayed' | 'selected' | 'marked';

export interface ExportPacketsParams {
  sessionId: string;
  path: string;
  format: CaptureFormat;
  range: ExportRange;
  /** The display filter for 'displayed'. */
  filter: string;
  /** Capture indexes for 'selected'. */
  indices: number[];
  /** Without it an existing target is refused with the error code 'exists' (ask the user, then retry). */
  overwrite?: boolean;
}

export interface InterfaceInfo {
  name: string;
  description: string;
  addresses: string[];
  mac: string | null;
  loopback: boolean;
  linkType: number;
  linkTypeName: string;
}
const interfaceInfo: Validator<InterfaceInfo> = obj({
  name,
  description: str({ max: 1024 }),
  addresses: arr(str({ max: 64 }), 256),
  mac: nullable(str({ max: 64 })),
  loopback: bool,
  linkType: int(0, 0xffff),
  linkTypeName: str({ max: 64 }),
});

/**
 * A remote host to capture on over SSH (the system's ssh client, the user's own ssh setup):
 * [USER@]HOST[:PORT], with the capture tool run through `sudo -n` or not.
 */
export interface RemoteHostParams {
  host: string;
  sudo: boolean;
  tool: 'tcpdump' | 'dumpcap';
}
const remoteHost: Validator<RemoteHostParams> = obj({ host: str({ min: 1, max: 300 }), sudo: bool, tool: literal('tcpdump', 'dumpcap') });

/** One capture point: a local interface, or one on a remote host. */
export interface CapturePointParams {
  interface: string;
  remote?: RemoteHostParams;
}
const capturePoint: Validator<CapturePointParams> = obj({ interface: str({ min: 1, max: 256 }), remote: opt(remoteHost) });

export interface StartCaptureParams extends CapturePointParams {
  bpf: string;
  /** More capture points recorded into the same session, one pcapng interface each. */
  alsoFrom?: CapturePointParams[];
  /**
   * An NSS key log (SSLKEYLOGFILE) on the engine's machine, followed while capturing (it may not
   * exist yet): new secrets decrypt TLS and QUIC as they arrive and go into the spool as
   * Decryption Secrets Blocks, which Save keeps.
   */
  tlsKeylog?: string;
}

/** Two capture points (interfaces) of one session compared: shared/compare's records, as `compare FILE --json` prints them. */
export interface ComparePointsParams {
  sessionId: string;
  /** Interface ids (RowsResult.points indexes). */
  a: number;
  b: number;
  /** B's clock minus A's in seconds; null to estimate it. */
  clockOffset: number | null;
}
export interface TwoPointConnection {
  comparison: ConnectionComparison;
  /** Its segments in order for the two-point ladder (the first MAX of them). */
  steps: TwoPointStep[];
  stepsTruncated: boolean;
}
export interface ComparePointsResult {
  points: [string, string];
  summary: ComparisonSummary;
  connections: TwoPointConnection[];
}
const direction = literal('a_to_b', 'b_to_a');
const pointName = literal('A', 'B');
const fieldValue: Validator<number | string | boolean> = (value, path = '') => {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return num()(value, path);
  return str({ max: 1024 })(value, path);
};
const delayStats = nullable(obj({ min: num(), median: num(), p99: num(), count }));
const pointTime = nullable(obj({ frame: count, time: num() }));
const twoPointStep: Validator<TwoPointStep> = obj({ direction, flags: str({ max: 64 }), seq: num(), len: count, a: pointTime, b: pointTime, delay: nullable(num()) });
const endpointPair = obj({ client: name, server: name });
const connectionComparison: Validator<ConnectionComparison> = obj({
  type: literal('comparison'),
  client: name,
  server: name,
  a_side: literal('client', 'server'),
  clock_offset: nullable(num()),
  clock_offset_uncertainty: nullable(num()),
  delay: obj({ a_to_b: delayStats, b_to_a: delayStats }),
  lost: arr(obj({ direction, frame: count, seen_at: pointName, seq: num(), seq_raw: num(), len: count, flags: str({ max: 64 }) }), 1_000_000),
  rewrites: arr(obj({ field: str({ max: 256 }), a: fieldValue, b: fieldValue, frames: arr(count, 1000), count }), 1000),
  injected: arr(obj({ seen_at: pointName, frame: count, direction, flags: str({ max: 64 }), seq_raw: num(), len: count }), 1_000_000),
  translation: opt(obj({ a: endpointPair, b: endpointPair })),
  frames: obj({ a: count, b: count, paired: count }),
});
const comparisonSummary: Validator<ComparisonSummary> = obj({
  type: literal('summary'),
  connections: obj({ paired: count, only_at_a: count, only_at_b: count }),
  frames: obj({ a: count, b: count, paired: count }),
  clock_offset: nullable(num()),
  clock_offset_uncertainty: nullable(num()),
  clock_offset_source: literal('given', 'estimated', 'unknown'),
  lost: count,
  injected: count,
  rewritten_fields: arr(str({ max: 256 }), 1000),
});

export type CaptureFormat = 'pcap' | 'pcapng';
const captureFormat = literal('pcap', 'pcapng');

export interface HostInfo {
  host: 'electron' | 'browser';
  version: string;
  /** True when chooseOpenPath/chooseSavePath show native dialogs. */
  nativeDialogs: boolean;
  sessions: SessionInfo[];
}

// ---------------------------------------------------------------- methods

export interface RowsParams {
  sessionId: string;
  /** Position among the rows that pass the filter. */
  start: number;
  count: number;
  /** Display filter expression; empty for all frames. */
  filter: string;
  /** Custom columns: display-filter field names whose values each row carries (shared/columns). */
  columns?: string[];
  /** Sort the displayed rows by a column (a built-in column id or a field name); absent: capture order. */
  sort?: RowSort;
}
export interface RowSort {
  column: string;
  descending: boolean;
}
const rowSort: Validator<RowSort> = obj({ column: str({ min: 1, max: 128 }), descending: bool });
const columnFields = arr(str({ min: 1, max: 128 }), 32);
export interface RowsResult {
  /** Rows passing the filter among the frames scanned so far. */
  total: number;
  /** Frames in the session. */
  frames: number;
  /** True when every frame has been indexed and filtered. */
  complete: boolean;
  start: number;
  rows: PacketRow[];
  /**
   * The capture points (interfaces, by IDB name; empty when unnamed) known so far, in file order; a capture with
   * more than one shows where each frame was seen (Wireshark's frame.interface_name).
   */
  points?: string[];
}

export interface SendParams {
  interface: string;
  linkType: number;
  framesHex: string[];
  count: number;
  intervalMs: number;
  /**
   * Replace the frame's link layer with the interface's source MAC and the destination's MAC
   * (neighbour table, frames seen, ARP or neighbour solicitation), as `handshake send` does.
   * Default true; false sends the frames exactly as given.
   */
  fillLink?: boolean;
  /** How long to wait for the reply (default 2000 ms). */
  waitMs?: number;
  /** Drop this host's outgoing RSTs for the SYN's 4-tuple while the exchange lasts. */
  suppressKernelRst?: boolean;
}
/** A frame of a send exchange, as decode shows it. */
export interface ExchangeFrameInfo {
  line: string;
  bytesHex: string;
  linkType: number;
}
export interface SendResult {
  sent: number;
  /** The capture session the sent frames were recorded into, when one is running. */
  sessionId: string | null;
  /** Where the destination MAC came from when the link layer was filled in. */
  resolvedBy: string | null;
  /** The first frame as it went on the wire. */
  frame: ExchangeFrameInfo | null;
  /** Replies matched to it the way Scapy's sr1 matches (reversed tuple with the right ack, or an ICMP error quoting it). */
  replies: Array<ExchangeFrameInfo & { kind: 'reply' | 'icmp-error' }>;
  waitMs: number;
  /** This host's own kernel reset the peer's SYN+ACK (Scapy #3215), with why. */
  kernelRst: { frame: ExchangeFrameInfo; explanation: string } | null;
  /** The firewall rule that suppressed the kernel's RSTs while waiting, when asked. */
  suppressionRule: string | null;
}

export interface ExportParams {
  path: string;
  format: CaptureFormat;
  linkType: number;
  framesHex: string[];
  /** See SaveParams.overwrite. */
  overwrite?: boolean;
}

/**
 * Save As of a session. Without `overwrite: true` an existing target is refused with the
 * error code 'exists' (the UI sends `overwrite: true` only after the user confirmed
 * replacing that file). A symbolic link as the target is refused either way.
 */
export interface SaveParams {
  sessionId: string;
  path: string;
  format: CaptureFormat;
  overwrite?: boolean;
}

export interface PathChoice {
  path: string | null;
}

/** Versions for the About box. Null: not running there (electron outside Electron); "unknown": could not be told. */
export interface SystemInfo {
  app: string;
  electron: string | null;
  node: string;
  /** Null in the browser host; the renderer then reads its own user agent. */
  chrome: string | null;
  cap: string;
  libpcap: string;
  /** The OS the capture helper runs on (process.platform names). */
  platform: string;
  /** How capture timestamps are taken and how precise they are. */
  timestampSource: string;
}
const version = str({ max: 256 });
const systemInfo: Validator<SystemInfo> = obj({
  app: version,
  electron: nullable(version),
  node: version,
  chrome: nullable(version),
  cap: version,
  libpcap: version,
  platform: str({ max: 32 }),
  timestampSource: str({ max: 1024 }),
});

/** The outcome of actually trying to open a capture, with the remedy when it failed. */
export interface CapturePermission {
  ok: boolean;
  platform: string;
  /** What happened, in one sentence (libpcap's words on failure). */
  message: string;
  /** What capture needs on this OS; empty when ok. */
  advice: string;
  /** Concrete steps for this OS; empty when ok or when the failure is not about permission. */
  steps: string[];
}
const capturePermission: Validator<CapturePermission> = obj({
  ok: bool,
  platform: str({ max: 32 }),
  message: str({ max: 4096 }),
  advice: str({ max: 4096 }),
  steps: arr(str({ max: 4096 }), 32),
});

/** What attaching a key log to a capture did: its secrets, and each TLS connection's status after. */
export interface AttachKeyLogResult {
  secrets: number;
  clients: number;
  badLines: number;
  connections: {
    stream: number;
    client: string;
    server: string;
    sni: string | null;
    decrypted: boolean;
    /** Why not: the secret still missing, or a key log that does not fit. */
    reason: string | null;
    alpn: string | null;
    certificate: string | null;
  }[];
}
const attachKeyLogResult: Validator<AttachKeyLogResult> = obj({
  secrets: count,
  clients: count,
  badLines: count,
  connections: arr(
    obj({
      stream: count,
      client: str({ max: 512 }),
      server: str({ max: 512 }),
      sni: nullable(str({ max: 4096 })),
      decrypted: bool,
      reason: nullable(str({ max: 4096 })),
      alpn: nullable(str({ max: 4096 })),
      certificate: nullable(str({ max: 65_536 })),
    }),
    1_000_000,
  ),
});

/**
 * A conversation script run from the UI (shared/conversation, the runner behind `handshake run`).
 * Per-step results arrive as `script-step` events, the outcome as `script-end`.
 */
export interface RunScriptParams {
  /** The script's text (packetdrill packet lines; see shared/conversation/script.ts). */
  script: string;
  interface: string;
  /** Our endpoint's address; when this host owns it, its kernel's RSTs for the 4-tuple are dropped while the run lasts. */
  local: string;
  /** Our port; null picks one (40000–59999). */
  localPort: number | null;
  remote: string;
  remotePort: number;
  /** Timing tolerance for `>` lines (packetdrill's default is 4 ms). */
  toleranceMs: number;
  /** Hold before each line until `scriptStep`. */
  step: boolean;
  /** How long a `*` line waits for the peer (default 5 s). */
  waitSeconds?: number;
}
export interface RunScriptResult {
  runId: string;
  /** The live session the run's frames are spooled into (Connections, ladder, Save). */
  sessionId: string;
  local: { address: string; port: number };
  steps: number;
  /** Lines this endpoint cannot run, reported instead of dropped. */
  skipped: { line: number; reason: string; text: string }[];
  /** This host owns the local address and its RSTs are dropped (the rule), or it does not and the endpoint answers ARP. */
  kernel: 'rst-suppressed' | 'not-owner';
  suppressionRule: string | null;
}
const runScriptResult: Validator<RunScriptResult> = obj({
  runId: sessionId,
  sessionId,
  local: obj({ address: str({ max: 64 }), port: int(1, 0xffff) }),
  steps: count,
  skipped: arr(obj({ line: count, reason: str({ max: 64 }), text: str({ max: 65_536 }) }), 100_000),
  kernel: literal('rst-suppressed', 'not-owner'),
  suppressionRule: nullable(str({ max: 4096 })),
});
/** IPv4 or IPv6 text; the backend checks it is really one. */
const ipText = str({ min: 2, max: 64, pattern: /^[0-9A-Fa-f:.]+$/ });

/**
 * The user-space TCP endpoint driven from the UI (shared/endpoint, the engine behind
 * `handshake connect` / `listen`). Its frames go to a live session of their own; its states,
 * data and end arrive as `endpoint-*` events.
 */
export interface OpenEndpointParams {
  interface: string;
  /** Our address; for connect, when this host owns it, its kernel's RSTs for the 4-tuple are dropped while the endpoint lives. */
  local: string;
  /** Our port; null picks one (40000–59999). Required to listen. */
  localPort: number | null;
  /** The peer to connect to; null (with remotePort null) to listen on local:localPort for one connection. */
  remote: string | null;
  remotePort: number | null;
  /** RFC 6298 retransmission (off: the user studies the peer). */
  retransmit: boolean;
  /** With retransmission: 'newreno' (default; RFC 5681/6582, RFC 6675 SACK recovery) or 'none' (the timer alone). */
  congestion?: 'newreno' | 'none';
  /** With retransmission: the initial window in segments (default RFC 6928's). */
  initialWindow?: number | null;
  /** With retransmission: the initial ssthresh in bytes (default unbounded). */
  ssthresh?: number | null;
  /** With retransmission and SACK: RFC 6675 SACK-based recovery (default true); false uses NewReno's. */
  sackRecovery?: boolean;
  /** With retransmission: RFC 5681 §4.1's restart after idle (default true). */
  idleRestart?: boolean;
  keepaliveSeconds: number | null;
  /** Send nothing by itself: endpointProposal shows the next segment, endpointStep sends it (edited). */
  step: boolean;
  isn: number | null;
  mss: number | null;
  /** Our window scale shift; null offers none. */
  windowScale: number | null;
  sack: boolean;
  timestamps: boolean;
  /** Listening: how many peers to serve (default 1); each accepted one is a conversation of its own (`endpoint-accepted`). */
  connections?: number;
}
export interface OpenEndpointResult {
  endpointId: string;
  /** The live session the endpoint's frames are spooled into (Connections, ladder, Save). */
  sessionId: string;
  local: { address: string; port: number };
  kernel: 'rst-suppressed' | 'not-owner';
  suppressionRule: string | null;
}
/** A segment of the endpoint in `run`'s script syntax, numbers relative to each side's ISN. */
export interface EndpointSegmentView {
  reason: string;
  text: string;
  seq: number;
  ack: number | null;
  flags: number;
  window: number;
  length: number;
}
/** What may be changed in a proposed segment before it is sent (relative numbers). */
export interface EndpointSegmentEdit {
  seq?: number;
  ack?: number;
  flags?: number;
  window?: number;
}
const endpointSegmentView: Validator<EndpointSegmentView> = obj({
  reason: str({ max: 32 }),
  text: str({ max: 65_536 }),
  seq: int(0, 0xffffffff),
  ack: nullable(int(0, 0xffffffff)),
  flags: int(0, 0xfff),
  window: int(0, 0xffff),
  length: count,
});
const endpointId = sessionId;

/** Every request the renderer can make: method name → params and result. */
/**
 * TCP stream graph data for one direction of a connection (shared/graphs' columns as
 * Float64Arrays: structured clone in Electron, one binary frame over the browser host's WebSocket):
 * every table's columns have one value per row, and `frame` names each row's frame.
 */
export interface StreamGraph {
  stream: number;
  /** The data sender's and receiver's endpoints ("198.18.0.1:40000"). */
  sender: string;
  receiver: string;
  direction: 'client' | 'server';
  maWindow: number;
  segments: { frame: Float64Array; time: Float64Array; seq: Float64Array; end: Float64Array; len: Float64Array; bytesInFlight: Float64Array; throughput: Float64Array; retransmission: Float64Array };
  acks: { frame: Float64Array; time: Float64Array; ack: Float64Array; window: Float64Array; windowEdge: Float64Array };
  rtt: { frame: Float64Array; time: Float64Array; rtt: Float64Array; seq: Float64Array; acksFrame: Float64Array };
  sack: { frame: Float64Array; time: Float64Array; left: Float64Array; right: Float64Array };
  /**
   * Present when the tables hold only the rows one graph needs at its full range (shared/graphs/overview.ts):
   * the full graph's point count, and the engine's milliseconds for the answer.
   */
  overview?: { points: number; engineMs?: number };
}
const column = float64s(4_000_000);
const streamGraph: Validator<StreamGraph> = obj({
  stream: count,
  sender: name,
  receiver: name,
  direction: literal('client', 'server'),
  maWindow: num({ min: 0 }),
  segments: obj({ frame: column, time: column, seq: column, end: column, len: column, bytesInFlight: column, throughput: column, retransmission: column }),
  acks: obj({ frame: column, time: column, ack: column, window: column, windowEdge: column }),
  rtt: obj({ frame: column, time: column, rtt: column, seq: column, acksFrame: column }),
  sack: obj({ frame: column, time: column, left: column, right: column }),
  overview: opt(obj({ points: count, engineMs: opt(num({ min: 0 })) })),
});

/** Follow Stream (shared/follow): a TCP connection's payload, its decrypted TLS data, one HTTP/2 stream, a UDP conversation, one QUIC or HTTP/3 stream. */
export interface FollowTarget {
  sessionId: string;
  kind: FollowKind;
  /** tcp.stream; udp.stream for 'udp'; the QUIC connection number for 'quic' and 'http3'. */
  stream: number;
  /** The HTTP/2 stream id, for kind 'http2' (else null). */
  http2Stream: number | null;
  /** The QUIC stream id, for kinds 'quic' and 'http3' (null: the first one `atFrame` carries, or 0). */
  quicStream?: number | null;
  /**
   * UDP, QUIC, HTTP/3: follow the stream of this frame (its index) instead of `stream`; the page
   * says which it was. The numbering needs the frames before it, which the workbench does not index.
   */
  atFrame?: number | null;
}
export interface FollowParams extends FollowTarget {
  /** The first chunk wanted (chunks already held are not sent again). */
  from: number;
  /** At most this many payload bytes in the answer (at least one chunk is always sent). */
  maxBytes: number;
}
export interface FollowChunkView {
  fromClient: boolean;
  /** frame.number that carried (or completed) the bytes, and its time in seconds since the epoch. */
  frame: number;
  time: number;
  hex: string;
}
export interface FollowPage {
  /** Changes when the engine followed the stream again from its start (a key log added secrets): drop the chunks held. */
  generation: number;
  client: string;
  server: string;
  start: number;
  chunks: FollowChunkView[];
  /** Chunks known so far, and both directions' byte counts. */
  totalChunks: number;
  clientBytes: number;
  serverBytes: number;
  /** Bytes past the engine's per-stream limit were left out. */
  truncated: boolean;
  /** The session is still growing (a live capture): more may come. */
  live: boolean;
  /** Why a TLS or HTTP/2 stream shows nothing (not decrypted: the missing secret), or null. */
  note: string | null;
  /** The stream followed (resolved from `atFrame`), its QUIC stream id, and the display filter that shows its frames. */
  stream?: number;
  quicStream?: number | null;
  filter?: string;
}
const followKind = literal('tcp', 'tls', 'http2', 'udp', 'quic', 'http3');
const followPage: Validator<FollowPage> = obj({
  generation: count,
  client: name,
  server: name,
  start: count,
  // One HTTP/2 DATA frame may hold 16 MiB.
  chunks: arr(obj({ fromClient: bool, frame: count, time: num(), hex: str({ max: 2 * 16 * 1024 * 1024 + 64, pattern: /^(?:[0-9a-f]{2})*$/ }) }), 10_000_000),
  totalChunks: count,
  clientBytes: count,
  serverBytes: count,
  truncated: bool,
  live: bool,
  note: nullable(str({ max: 4096 })),
  stream: opt(count),
  quicStream: opt(nullable(count)),
  filter: opt(str({ max: 4096 })),
});
/**
 * Record page load (the code `handshake browse` runs): a browser with a fresh profile and a key
 * log, a capture through the helper on the interface the route to the URL's host leaves by (or
 * the one given). Progress arrives as `pageload-progress` events, the outcome as `pageload-end`
 * with the recorded file opened as a session.
 */
export interface RecordPageLoadParams {
  url: string;
  /** A browser's executable; null finds an installed Chromium-family browser or Firefox. */
  browser: string | null;
  /** null: the interface the route to the URL's host uses. */
  interface: string | null;
  headless: boolean;
  /** More command-line arguments for the browser. */
  browserArgs: string[];
  /** Quiet after the load event before stopping (default 2 s), and the longest wait (default 60 s). */
  quietSeconds?: number;
  timeoutSeconds?: number;
}
export interface RecordPageLoadResult {
  recordingId: string;
  browser: string;
  interface: string;
  /** The pcapng being written (the secrets are embedded when it ends). */
  path: string;
}

/** Save as… of a followed stream: tshark's `-z follow` text (ascii, hex), or the bytes themselves (raw). */
export interface SaveFollowParams extends FollowTarget {
  path: string;
  format: 'ascii' | 'hex' | 'raw';
  direction: 'both' | 'client' | 'server';
  overwrite?: boolean;
}
/** Flow graph columns: per address, or per address:port (shared/flowgraph). */
export type FlowNodes = FlowNodeMode;
/** A window of the flow graph across connections: its column names, its row count, and the rows asked for. */
export interface FlowGraphPage {
  /** Column names (empty unless asked for). */
  nodes: string[];
  total: number;
  connections: number;
  start: number;
  rows: FlowRow[];
  /** The row of the frame asked about (`frameIndex`), or -1. */
  position: number;
}
export interface SaveFlowGraphParams {
  sessionId: string;
  filter: string;
  nodes: FlowNodes;
  format: FlowFormat;
  path: string;
  overwrite?: boolean;
}
const flowNodes = literal('addresses', 'endpoints');
const stateName = str({ max: 32 });
const flowRow: Validator<FlowRow> = obj({
  row: count,
  frame: count,
  time: num(),
  from: count,
  to: count,
  srcPort: int(0, 0xffff),
  dstPort: int(0, 0xffff),
  label: str({ max: 256 }),
  comment: str({ max: 256 }),
  stream: int(-1),
  fromClient: bool,
  senderBefore: stateName,
  senderAfter: stateName,
  receiverBefore: stateName,
  receiverAfter: stateName,
});

export interface ApiContract {
  hello: { params: null; result: HostInfo };
  openFile: { params: { path: string }; result: SessionInfo };
  cancelOpen: { params: { sessionId: string }; result: null };
  closeSession: { params: { sessionId: string }; result: null };
  getRows: { params: RowsParams; result: RowsResult };
  /** Position of a frame among the rows passing `filter`, or -1. */
  findRow: { params: { sessionId: string; filter: string; index: number; sort?: RowSort }; result: { position: number } };
  getFrame: { params: { sessionId: string; index: number }; result: FrameDetail };
  getConnections: { params: { sessionId: string }; result: { connections: ConnectionRow[]; alerts: AlertInfo[] } };
  getLadder: { params: { sessionId: string; stream: number; limit: number }; result: Ladder };
  /** With `overview`: only the rows that graph kind needs at its full range at that size in device pixels. */
  getStreamGraph: { params: { sessionId: string; stream: number; direction: 'client' | 'server'; maWindow?: number; overview?: OverviewRequest }; result: StreamGraph };
  getQuicAttempts: { params: { sessionId: string }; result: { attempts: QuicAttemptRow[] } };
  /** The page-load timeline of the capture (shared/pageload): one row per TCP connection. */
  getPageLoad: { params: { sessionId: string }; result: { rows: PageLoadRow[] } };
  /** One connection seen from two capture points of the session (shared/compare). */
  comparePoints: { params: ComparePointsParams; result: ComparePointsResult };
  listInterfaces: { params: null; result: { interfaces: InterfaceInfo[] } };
  validateBpf: { params: { filter: string; linkType: number }; result: { ok: boolean; message: string | null } };
  /** The interfaces of a remote host, as its tcpdump lists them (over SSH). */
  listRemoteInterfaces: { params: RemoteHostParams; result: { interfaces: InterfaceInfo[] } };
  startCapture: { params: StartCaptureParams; result: SessionInfo };
  stopCapture: { params: { sessionId: string }; result: null };
  send: { params: SendParams; result: SendResult };
  saveAs: { params: SaveParams; result: { path: string; frames: number } };
  exportFrames: { params: ExportParams; result: { path: string; frames: number } };
  /** Save / Save As / Export Specified Packets: the session's frames (comments kept in pcapng), all or a subset. */
  exportPackets: { params: ExportPacketsParams; result: { path: string; frames: number } };
  /**
   * Find: the next (or previous) frame after `from` that passes `filter` and is displayed under
   * `displayFilter`, wrapping around the capture once; -1 when there is none.
   */
  findFrame: {
    params: { sessionId: string; filter: string; displayFilter: string; from: number; backward: boolean };
    result: { index: number; wrapped: boolean };
  };
  /** "Apply/Prepare as Filter" on a detail-tree field: `field == value` with the frame's value. */
  fieldFilter: { params: { sessionId: string; index: number; field: string }; result: { filter: string } };
  /** Marks or unmarks frames (ROW_MARK.MARKED); returns how many frames are marked now. */
  setMarked: { params: { sessionId: string; indices: number[]; marked: boolean }; result: { marked: number } };
  /** Sets (on) or clears a time reference on a frame, or with index null clears them all; returns how many there are. */
  setTimeReference: { params: { sessionId: string; index: number | null; on: boolean }; result: { references: number } };
  /** Replaces a frame's packet comments (an empty list deletes them); kept by Save and Export as pcapng. */
  setComments: { params: { sessionId: string; index: number; comments: string[] }; result: { commented: number } };
  /** Expert Information over all frames, or those passing `filter`. */
  getExpertInfo: { params: { sessionId: string; filter: string }; result: { groups: ExpertGroup[] } };
  /**
   * Rows [start, start + count) of the flow graph over all frames or those passing `filter`; with
   * `frameIndex`, that frame's row as `position`; the column names only with `withNames` (there can be many).
   */
  getFlowGraph: {
    params: { sessionId: string; filter: string; nodes: FlowNodes; start: number; count: number; frameIndex?: number; withNames?: boolean };
    result: FlowGraphPage;
  };
  /** Writes the whole flow graph as SVG, PlantUML, Mermaid or text to `path` on the host, streamed (as `handshake flow -o`). */
  saveFlowGraph: { params: SaveFlowGraphParams; result: { path: string; rows: number; bytes: number } };
  getConversations: {
    params: { sessionId: string; kind: ConversationKind; filter: string };
    /** As columns (shared/conversations' conversationRows/endpointRows turn them into rows). */
    result: { conversations: ConversationColumns; endpoints: EndpointColumns };
  };
  /** `kind` picks the dialog's file filter (captures by default). */
  chooseOpenPath: { params: { title: string; kind?: 'capture' | 'script' }; result: PathChoice };
  chooseSavePath: { params: { title: string; defaultName: string }; result: PathChoice };
  recentFiles: { params: null; result: { paths: string[] } };
  restartEngine: { params: null; result: null };
  systemInfo: { params: null; result: SystemInfo };
  checkCapturePermission: { params: null; result: CapturePermission };
  /** Attach an NSS key log (SSLKEYLOGFILE) to an open capture: its TLS connections are decrypted where the secrets fit. */
  attachKeyLog: { params: { sessionId: string; path: string }; result: AttachKeyLogResult };
  /** Starts a conversation script against a peer (returns once the endpoint is ready; steps follow as events). */
  runScript: { params: RunScriptParams; result: RunScriptResult };
  /** A run held by Step: `step` runs the next line and holds again, `run` goes on to the end. */
  scriptStep: { params: { runId: string; mode: 'step' | 'run' }; result: null };
  /** Ends a run: the line under way ends without a verdict, and the peer gets an RST if a connection is open. */
  stopScript: { params: { runId: string }; result: null };
  /** Open and Save of script files (a path typed on the host, or chosen in the native dialog). */
  readScript: { params: { path: string }; result: { path: string; text: string } };
  /** Without `overwrite`, an existing file is refused with the error code 'exists'. */
  writeScript: { params: { path: string; text: string; overwrite?: boolean }; result: { path: string } };
  /** Opens (connect) or listens with the user-space TCP endpoint; returns once the helper link is ready. */
  openEndpoint: { params: OpenEndpointParams; result: OpenEndpointResult };
  /** Queues text to send, byte for byte as typed (UTF-8; CRLF stays CRLF). */
  endpointSend: { params: { endpointId: string; text: string }; result: { queued: number } };
  endpointClose: { params: { endpointId: string; how: 'fin' | 'rst' }; result: null };
  /** Step mode: the segment the endpoint would send now, and its state. */
  endpointProposal: { params: { endpointId: string }; result: { proposal: EndpointSegmentView | null; state: string } };
  /** Step mode: sends the proposal, with the edit applied. */
  endpointStep: { params: { endpointId: string; edit?: EndpointSegmentEdit }; result: { sent: EndpointSegmentView | null } };
  /** Ends the endpoint and its helper at once (nothing more is sent: close first for a FIN or RST). */
  stopEndpoint: { params: { endpointId: string }; result: null };
  /** Follow Stream: a page of the stream's turns, over every frame indexed so far (call again during a capture for new ones). */
  getFollow: { params: FollowParams; result: FollowPage };
  /** Starts recording a page load; returns once the capture and the browser run. */
  recordPageLoad: { params: RecordPageLoadParams; result: RecordPageLoadResult };
  /** Stops waiting for the page: the browser is closed, the capture kept and opened. */
  stopPageLoad: { params: { recordingId: string }; result: null };
  /** Follow Stream's Save as…: without `overwrite`, an existing file is refused with the error code 'exists'. */
  saveFollow: { params: SaveFollowParams; result: { path: string; bytes: number } };
}

export type Method = keyof ApiContract;
export type ParamsOf<M extends Method> = ApiContract[M]['params'];
export type ResultOf<M extends Method> = ApiContract[M]['result'];

type MethodValidators = { [M in Method]: { params: Validator<ParamsOf<M>>; result: Validator<ResultOf<M>> } };

const pageLoadStep: Validator<PageLoadStep> = obj({
  name: literal(...PAGE_LOAD_STEPS),
  start: num(),
  end: num(),
  startFrame: count,
  endFrame: count,
});
const pageLoadRow: Validator<PageLoadRow> = obj({
  kind: literal('tcp', 'quic'),
  stream: count,
  client: str({ max: 64 }),
  server: str({ max: 64 }),
  host: nullable(str({ max: 1024 })),
  protocol: nullable(str({ max: 256 })),
  reasons: arr(str({ max: 4096 }), 16),
  steps: arr(pageLoadStep, PAGE_LOAD_STEPS.length),
  durations: arr(obj({ name: str({ max: 64 }), ms: nullable(num()) }), 16),
  notes: arr(str({ max: 4096 }), 64),
});
const sessionOnly = obj({ sessionId });
const exchangeFrame: Validator<ExchangeFrameInfo> = obj({ line: str({ max: 8192 }), bytesHex: hex, linkType: int(0, 0xffff) });

export const methodValidators: MethodValidators = {
  hello: {
    params: unit,
    result: obj({
      host: literal('electron', 'browser'),
      version: str({ max: 64 }),
      nativeDialogs: bool,
      sessions: arr(sessionInfo, 1000),
    }),
  },
  openFile: { params: obj({ path: filePath }), result: sessionInfo },
  cancelOpen: { params: sessionOnly, result: unit },
  closeSession: { params: sessionOnly, result: unit },
  getRows: {
    params: obj({ sessionId, start: count, count: int(0, 10_000), filter: str({ max: 4096 }), columns: opt(columnFields), sort: opt(rowSort) }),
    result: obj({ total: count, frames: count, complete: bool, start: count, rows: arr(packetRow, 10_000), points: opt(arr(name, 0xffff)) }),
  },
  findRow: {
    params: obj({ sessionId, filter: str({ max: 4096 }), index: count, sort: opt(rowSort) }),
    result: obj({ position: int(-1) }),
  },
  getFrame: { params: obj({ sessionId, index: count }), result: frameDetail },
  getConnections: {
    params: sessionOnly,
    result: obj({ connections: arr(connectionRow), alerts: arr(alertInfo, 100_000) }),
  },
  getLadder: { params: obj({ sessionId, stream: count, limit: int(1, 100_000) }), result: ladder },
  getStreamGraph: {
    params: obj({
      sessionId,
      stream: count,
      direction: literal('client', 'server'),
      maWindow: opt(num({ min: 1e-6, max: 3600 })),
      overview: opt(obj({ kind: literal('stevens', 'tcptrace', 'throughput', 'rtt', 'window'), rttAxis: literal('seq', 'time'), width: int(1, 16_384), height: int(1, 16_384) })),
    }),
    result: streamGraph,
  },
  getQuicAttempts: { params: sessionOnly, result: obj({ attempts: arr(quicAttemptRow, 100_000) }) },
  getPageLoad: { params: sessionOnly, result: obj({ rows: arr(pageLoadRow, 100_000) }) },
  comparePoints: {
    params: obj({ sessionId, a: int(0, 0xffff), b: int(0, 0xffff), clockOffset: nullable(num({ min: -86400 * 365, max: 86400 * 365 })) }),
    result: obj({
      points: ((value: unknown, path = '') => {
        const pair = arr(name, 2)(value, path);
        if (pair.length !== 2) throw new ValidationError(path, 'expected two point names');
        return [pair[0], pair[1]];
      }) as Validator<[string, string]>,
      summary: comparisonSummary,
      connections: arr(obj({ comparison: connectionComparison, steps: arr(twoPointStep, 100_000), stepsTruncated: bool }), 100_000),
    }),
  },
  listInterfaces: { params: unit, result: obj({ interfaces: arr(interfaceInfo, 1024) }) },
  validateBpf: {
    params: obj({ filter: str({ max: 8192 }), linkType: int(0, 0xffff) }),
    result: obj({ ok: bool, message: nullable(str({ max: 4096 })) }),
  },
  listRemoteInterfaces: { params: remoteHost, result: obj({ interfaces: arr(interfaceInfo, 1024) }) },
  startCapture: {
    params: obj({ interface: str({ min: 1, max: 256 }), remote: opt(remoteHost), bpf: str({ max: 8192 }), alsoFrom: opt(arr(capturePoint, 15)), tlsKeylog: opt(filePath) }),
    result: sessionInfo,
  },
  stopCapture: { params: sessionOnly, result: unit },
  send: {
    params: obj({
      interface: str({ min: 1, max: 256 }),
      linkType: int(0, 0xffff),
      framesHex: arr(str({ min: 2, max: 2 * 65_535, pattern: /^(?:[0-9a-f]{2})+$/ }), 10_000),
      count: int(1, 1_000_000),
      intervalMs: int(0, 3_600_000),
      fillLink: opt(bool),
      waitMs: opt(int(0, 60_000)),
      suppressKernelRst: opt(bool),
    }),
    result: obj({
      sent: count,
      sessionId: nullable(sessionId),
      resolvedBy: nullable(str({ max: 64 })),
      frame: nullable(exchangeFrame),
      replies: arr(obj({ kind: literal('reply', 'icmp-error'), line: str({ max: 8192 }), bytesHex: hex, linkType: int(0, 0xffff) }), 10_000),
      waitMs: count,
      kernelRst: nullable(obj({ frame: exchangeFrame, explanation: str({ max: 4096 }) })),
      suppressionRule: nullable(str({ max: 4096 })),
    }),
  },
  saveAs: {
    params: obj({ sessionId, path: filePath, format: captureFormat, overwrite: opt(bool) }),
    result: obj({ path: filePath, frames: count }),
  },
  exportFrames: {
    params: obj({
      path: filePath,
      format: captureFormat,
      linkType: int(0, 0xffff),
      framesHex: arr(str({ min: 2, max: 2 * 65_535, pattern: /^(?:[0-9a-f]{2})+$/ }), 100_000),
      overwrite: opt(bool),
    }),
    result: obj({ path: filePath, frames: count }),
  },
  exportPackets: {
    params: obj({
      sessionId,
      path: filePath,
      format: captureFormat,
      range: literal('all', 'displayed', 'selected', 'marked'),
      filter: str({ max: 4096 }),
      indices: arr(count, 1_000_000),
      overwrite: opt(bool),
    }),
    result: obj({ path: filePath, frames: count }),
  },
  findFrame: {
    params: obj({ sessionId, filter: str({ min: 1, max: 4096 }), displayFilter: str({ max: 4096 }), from: int(-1), backward: bool }),
    result: obj({ index: int(-1), wrapped: bool }),
  },
  fieldFilter: { params: obj({ sessionId, index: count, field: str({ min: 1, max: 256 }) }), result: obj({ filter: str({ max: 4096 }) }) },
  setMarked: { params: obj({ sessionId, indices: arr(count, 1_000_000), marked: bool }), result: obj({ marked: count }) },
  setTimeReference: { params: obj({ sessionId, index: nullable(count), on: bool }), result: obj({ references: count }) },
  // A pcapng option holds at most 65,535 bytes: the engine checks the UTF-8 length.
  setComments: { params: obj({ sessionId, index: count, comments: arr(str({ max: 65_535 }), 64) }), result: obj({ commented: count }) },
  getExpertInfo: { params: obj({ sessionId, filter: str({ max: 4096 }) }), result: obj({ groups: arr(expertGroup, 1000) }) },
  getFlowGraph: {
    params: obj({ sessionId, filter: str({ max: 4096 }), nodes: flowNodes, start: count, count: int(0, 10_000), frameIndex: opt(count), withNames: opt(bool) }),
    result: obj({ nodes: arr(name, 1_000_000), total: count, connections: count, start: count, rows: arr(flowRow, 10_000), position: int(-1) }),
  },
  saveFlowGraph: {
    params: obj({ sessionId, filter: str({ max: 4096 }), nodes: flowNodes, format: literal('text', 'svg', 'plantuml', 'mermaid'), path: filePath, overwrite: opt(bool) }),
    result: obj({ path: filePath, rows: count, bytes: count }),
  },
  getConversations: {
    params: obj({ sessionId, kind: conversationKind, filter: str({ max: 4096 }) }),
    result: obj({ conversations: conversationColumnsValidator, endpoints: endpointColumnsValidator }),
  },
  chooseOpenPath: { params: obj({ title: str({ max: 256 }), kind: opt(literal('capture', 'script')) }), result: obj({ path: nullable(filePath) }) },
  chooseSavePath: {
    params: obj({ title: str({ max: 256 }), defaultName: str({ max: 256 }) }),
    result: obj({ path: nullable(filePath) }),
  },
  recentFiles: { params: unit, result: obj({ paths: arr(filePath, 100) }) },
  restartEngine: { params: unit, result: unit },
  systemInfo: { params: unit, result: systemInfo },
  checkCapturePermission: { params: unit, result: capturePermission },
  attachKeyLog: { params: obj({ sessionId, path: filePath }), result: attachKeyLogResult },
  runScript: {
    params: obj({
      script: str({ min: 1, max: 1024 * 1024 }),
      interface: str({ min: 1, max: 256 }),
      local: ipText,
      localPort: nullable(int(1, 0xffff)),
      remote: ipText,
      remotePort: int(1, 0xffff),
      toleranceMs: num({ min: 0, max: 60_000 }),
      step: bool,
      waitSeconds: opt(num({ min: 0, max: 3600 })),
    }),
    result: runScriptResult,
  },
  scriptStep: { params: obj({ runId: sessionId, mode: literal('step', 'run') }), result: unit },
  stopScript: { params: obj({ runId: sessionId }), result: unit },
  readScript: { params: obj({ path: filePath }), result: obj({ path: filePath, text: str({ max: 1024 * 1024 }) }) },
  writeScript: { params: obj({ path: filePath, text: str({ max: 1024 * 1024 }), overwrite: opt(bool) }), result: obj({ path: filePath }) },
  openEndpoint: {
    params: obj({
      interface: str({ min: 1, max: 256 }),
      local: ipText,
      localPort: nullable(int(1, 0xffff)),
      remote: nullable(ipText),
      remotePort: nullable(int(1, 0xffff)),
      retransmit: bool,
      congestion: opt(literal('newreno', 'none')),
      initialWindow: opt(nullable(int(1, 1000))),
      ssthresh: opt(nullable(int(1, 0x7fffffff))),
      sackRecovery: opt(bool),
      idleRestart: opt(bool),
      keepaliveSeconds: nullable(num({ min: 0.01, max: 86_400 })),
      step: bool,
      isn: nullable(int(0, 0xffffffff)),
      mss: nullable(int(1, 0xffff)),
      windowScale: nullable(int(0, 14)),
      sack: bool,
      timestamps: bool,
      connections: opt(int(1, 64)),
    }),
    result: obj({
      endpointId,
      sessionId,
      local: obj({ address: str({ max: 64 }), port: int(1, 0xffff) }),
      kernel: literal('rst-suppressed', 'not-owner'),
      suppressionRule: nullable(str({ max: 4096 })),
    }),
  },
  endpointSend: { params: obj({ endpointId, text: str({ min: 1, max: 16 * 1024 * 1024 }) }), result: obj({ queued: count }) },
  endpointClose: { params: obj({ endpointId, how: literal('fin', 'rst') }), result: unit },
  endpointProposal: { params: obj({ endpointId }), result: obj({ proposal: nullable(endpointSegmentView), state: str({ max: 32 }) }) },
  endpointStep: {
    params: obj({ endpointId, edit: opt(obj({ seq: opt(int(0, 0xffffffff)), ack: opt(int(0, 0xffffffff)), flags: opt(int(0, 0xfff)), window: opt(int(0, 0xffff)) })) }),
    result: obj({ sent: nullable(endpointSegmentView) }),
  },
  stopEndpoint: { params: obj({ endpointId }), result: unit },
  recordPageLoad: {
    params: obj({
      url: str({ min: 1, max: 8192 }),
      browser: nullable(filePath),
      interface: nullable(str({ min: 1, max: 256 })),
      headless: bool,
      browserArgs: arr(str({ min: 1, max: 4096 }), 64),
      quietSeconds: opt(num({ min: 0, max: 600 })),
      timeoutSeconds: opt(num({ min: 1, max: 3600 })),
    }),
    result: obj({ recordingId: sessionId, browser: filePath, interface: str({ min: 1, max: 256 }), path: filePath }),
  },
  stopPageLoad: { params: obj({ recordingId: sessionId }), result: unit },
  getFollow: {
    params: obj({ sessionId, kind: followKind, stream: count, http2Stream: nullable(int(0, 0x7fffffff)), quicStream: opt(nullable(count)), atFrame: opt(nullable(count)), from: count, maxBytes: int(1, 64 * 1024 * 1024) }),
    result: followPage,
  },
  saveFollow: {
    params: obj({
      sessionId,
      kind: followKind,
      stream: count,
      http2Stream: nullable(int(0, 0x7fffffff)),
      quicStream: opt(nullable(count)),
      path: filePath,
      format: literal('ascii', 'hex', 'raw'),
      direction: literal('both', 'client', 'server'),
      overwrite: opt(bool),
    }),
    result: obj({ path: filePath, bytes: count }),
  },
};

export function isMethod(value: unknown): value is Method {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(methodValidators, value);
}

// ---------------------------------------------------------------- events

export type MenuCommand =
  | 'open'
  | 'open-recent'
  | 'save'
  | 'save-as'
  | 'export-specified'
  | 'export-crafted'
  | 'capture-interfaces'
  | 'capture-start'
  | 'capture-stop'
  | 'capture-filter'
  | 'view-packets'
  | 'view-connections'
  | 'view-ladder'
  | 'view-editor'
  | 'view-graphs'
  | 'view-flow'
  | 'toggle-theme'
  | 'help'
  | 'about'
  | 'check-permission'
  | 'follow-tcp'
  | 'follow-tls'
  | 'follow-http2'
  | 'follow-udp'
  | 'follow-quic'
  | 'follow-http3'
  | 'record-page-load';

export type ApiEvent =
  | {
      type: 'progress';
      sessionId: string;
      frames: number;
      bytesRead: number;
      totalBytes: number;
      done: boolean;
      /** Why reading stopped early (damaged file, cancelled), or null. */
      error: string | null;
    }
  | { type: 'rows'; sessionId: string; frames: number }
  | {
      type: 'stats';
      sessionId: string;
      frames: number;
      bytes: number;
      framesPerSecond: number;
      connectionsByState: Record<string, number>;
      gaps: number;
    }
  | { type: 'capture-error'; sessionId: string; message: string }
  /** Not a failure: something the capture waits for (a key log not created yet). */
  | { type: 'capture-note'; sessionId: string; message: string }
  | { type: 'capture-stopped'; sessionId: string; reason: string }
  | { type: 'crashed'; process: 'engine' | 'helper'; message: string }
  | { type: 'session-opened'; session: SessionInfo }
  | { type: 'menu'; command: MenuCommand; path: string | null }
  | ScriptStepEvent
  | { type: 'script-waiting'; runId: string; line: number }
  | ScriptEndEvent
  | EndpointApiEvent
  | { type: 'pageload-progress'; recordingId: string; frames: number; loaded: boolean; message: string | null }
  | { type: 'pageload-end'; recordingId: string; ok: boolean; error: string | null; session: SessionInfo | null; notes: string[]; frames: number };

/** The UI's endpoint as it goes: states, data received, notable moments, and its end. Time in seconds since it opened. */
export type EndpointApiEvent =
  | { type: 'endpoint-state'; endpointId: string; from: string; to: string; why: string; time: number }
  | { type: 'endpoint-data'; endpointId: string; bytes: number; total: number; text: string; time: number }
  | { type: 'endpoint-note'; endpointId: string; kind: 'retransmit' | 'keepalive' | 'peer-fin' | 'reset' | 'aborted' | 'paws'; detail: string; time: number }
  /** The sender's congestion state (retransmission on): on entering or leaving recovery, else a few times a second. cwnd/ssthresh null when off or unbounded. */
  | { type: 'endpoint-sender'; endpointId: string; cwnd: number | null; ssthresh: number | null; pipe: number; flight: number; recovery: 'none' | 'fast' | 'sack' | 'timeout'; dsacks: number; dsackBytes: number; why: string; time: number }
  /** A listener serving several peers accepted one: `connectionId` is its conversation's endpointId (send, close, step, events). */
  | { type: 'endpoint-accepted'; endpointId: string; connectionId: string; peer: string; time: number }
  | { type: 'endpoint-end'; endpointId: string; ok: boolean; reason: string; bytesSent: number; bytesReceived: number; retransmissions: number; error: string | null };

/** One line of a script run: the script's segment and what went on the wire or came back (relative numbers, as `handshake run --json`). */
export interface ScriptStepEvent {
  type: 'script-step';
  runId: string;
  line: number;
  dir: '<' | '>';
  expected: string;
  actual: string | null;
  ok: boolean;
  /** Seconds since the script's time 0. */
  time: number | null;
  /** Which field differs, or the timing error against the tolerance. */
  reason: string | null;
  /** Our endpoint's RFC 9293 state after the line. */
  state: string;
  /** The frame in the run's session (0-based), when there is one. */
  frameIndex: number | null;
}
export interface ScriptEndEvent {
  type: 'script-end';
  runId: string;
  ok: boolean;
  stopped: boolean;
  steps: number;
  passed: number;
  failedLine: number | null;
  reason: string | null;
  /** The RST sent at the end so the peer is not left half-open, when one was. */
  cleanup: string | null;
  state: string;
  /** The run could not go on (the helper ended, a send failed). */
  error: string | null;
}

export const eventValidator: Validator<ApiEvent> = tagged('type', {
  progress: obj({
    type: literal('progress'),
    sessionId,
    frames: count,
    bytesRead: count,
    totalBytes: count,
    done: bool,
    error: nullable(str({ max: 4096 })),
  }),
  rows: obj({ type: literal('rows'), sessionId, frames: count }),
  stats: obj({
    type: literal('stats'),
    sessionId,
    frames: count,
    bytes: count,
    framesPerSecond: num({ min: 0 }),
    connectionsByState: record(count, 64),
    gaps: count,
  }),
  'capture-error': obj({ type: literal('capture-error'), sessionId, message: str({ max: 4096 }) }),
  'capture-note': obj({ type: literal('capture-note'), sessionId, message: str({ max: 4096 }) }),
  'capture-stopped': obj({ type: literal('capture-stopped'), sessionId, reason: str({ max: 4096 }) }),
  crashed: obj({ type: literal('crashed'), process: literal('engine', 'helper'), message: str({ max: 4096 }) }),
  'session-opened': obj({ type: literal('session-opened'), session: sessionInfo }),
  'pageload-progress': obj({ type: literal('pageload-progress'), recordingId: sessionId, frames: count, loaded: bool, message: nullable(str({ max: 4096 })) }),
  'pageload-end': obj({
    type: literal('pageload-end'),
    recordingId: sessionId,
    ok: bool,
    error: nullable(str({ max: 4096 })),
    session: nullable(sessionInfo),
    notes: arr(str({ max: 4096 }), 64),
    frames: count,
  }),
  'script-step': obj({
    type: literal('script-step'),
    runId: sessionId,
    line: count,
    dir: literal('<', '>'),
    expected: str({ max: 65_536 }),
    actual: nullable(str({ max: 65_536 })),
    ok: bool,
    time: nullable(num()),
    reason: nullable(str({ max: 65_536 })),
    state: str({ max: 32 }),
    frameIndex: nullable(count),
  }),
  'script-waiting': obj({ type: literal('script-waiting'), runId: sessionId, line: count }),
  'endpoint-state': obj({ type: literal('endpoint-state'), endpointId, from: str({ max: 32 }), to: str({ max: 32 }), why: str({ max: 256 }), time: num() }),
  'endpoint-data': obj({ type: literal('endpoint-data'), endpointId, bytes: count, total: count, text: str({ max: 65_536 }), time: num() }),
  'endpoint-accepted': obj({ type: literal('endpoint-accepted'), endpointId, connectionId: endpointId, peer: str({ max: 80 }), time: num() }),
  'endpoint-note': obj({ type: literal('endpoint-note'), endpointId, kind: literal('retransmit', 'keepalive', 'peer-fin', 'reset', 'aborted', 'paws'), detail: str({ max: 4096 }), time: num() }),
  'endpoint-sender': obj({ type: literal('endpoint-sender'), endpointId, cwnd: nullable(count), ssthresh: nullable(count), pipe: count, flight: count, recovery: literal('none', 'fast', 'sack', 'timeout'), dsacks: count, dsackBytes: count, why: str({ max: 256 }), time: num() }),
  'endpoint-end': obj({
    type: literal('endpoint-end'),
    endpointId,
    ok: bool,
    reason: str({ max: 4096 }),
    bytesSent: count,
    bytesReceived: count,
    retransmissions: count,
    error: nullable(str({ max: 4096 })),
  }),
  'script-end': obj({
    type: literal('script-end'),
    runId: sessionId,
    ok: bool,
    stopped: bool,
    steps: count,
    passed: count,
    failedLine: nullable(count),
    reason: nullable(str({ max: 65_536 })),
    cleanup: nullable(str({ max: 4096 })),
    state: str({ max: 32 }),
    error: nullable(str({ max: 4096 })),
  }),
  menu: obj({
    type: literal('menu'),
    command: literal(
      'open',
      'open-recent',
      'save',
      'save-as',
      'export-specified',
      'export-crafted',
      'capture-interfaces',
      'capture-start',
      'capture-stop',
      'capture-filter',
      'view-packets',
      'view-connections',
      'view-ladder',
      'view-editor',
      'view-graphs',
      'view-flow',
      'toggle-theme',
      'help',
      'about',
      'check-permission',
      'follow-tcp',
      'follow-tls',
      'follow-http2',
      'follow-udp',
      'follow-quic',
      'follow-http3',
      'record-page-load',
    ),
    path: nullable(filePath),
  }),
});
