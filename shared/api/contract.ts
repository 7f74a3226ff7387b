/**
 * The one contract between the renderer and the backend (engine + helpers).
 * Every request, response and event is declared here as a type and as a runtime
 * validator; both transports (Electron IPC and the browser host's WebSocket) check
 * every message against these validators when it crosses a process boundary.
 */
import {
  arr,
  bool,
  int,
  literal,
  nullable,
  num,
  obj,
  opt,
  record,
  str,
  tagged,
  unit,
  type Validator,
} from './validate';

// ---------------------------------------------------------------- shared pieces

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
  /** Carried in a tunnel (VXLAN, Geneve, GRE, ERSPAN, IP-in-IP, MPLS): the columns show the inner packet. */
  TUNNELLED: 1 << 10,
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
}
const sessionInfo: Validator<SessionInfo> = obj({
  sessionId,
  kind: literal('file', 'capture'),
  name,
  frames: count,
  complete: bool,
  linkType: int(-1, 0xffff),
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
});

export interface ConnectionRow {
  stream: number;
  client: string;
  server: string;
  /** RFC 9293 state names (SYN_SENT …) at the end of what was seen. */
  clientState: string;
  serverState: string;
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
}
const connectionRow: Validator<ConnectionRow> = obj({
  stream: count,
  client: name,
  server: name,
  clientState: str({ max: 32 }),
  serverState: str({ max: 32 }),
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
  /** DCID of the client's first Initial (hex): the input of the Initial keys (RFC 9001 §5.2). */
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
  dcid: str({ max: 40, pattern: /^(?:[0-9a-f]{2})*$/ }),
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
  phase: Phase;
  /** tcp.analysis.* names set on this frame, without the prefix ("retransmission"). */
  analysis: string[];
  /** The TLS hello this segment completed, if any. */
  tls?: LadderTls;
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
  phase: literal('handshake', 'data', 'teardown', 'other'),
  analysis: arr(str({ max: 64 }), 64),
  tls: opt(ladderTls),
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
  arrows: LadderArrow[];
  /** True when the arrow list was cut at the limit. */
  truncated: boolean;
}
const ladder: Validator<Ladder> = obj({
  stream: count,
  client: name,
  server: name,
  initialClientState: str({ max: 32 }),
  initialServerState: str({ max: 32 }),
  finalClientState: str({ max: 32 }),
  finalServerState: str({ max: 32 }),
  arrows: arr(ladderArrow, 100_000),
  truncated: bool,
});

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
}
export interface RowsResult {
  /** Rows passing the filter among the frames scanned so far. */
  total: number;
  /** Frames in the session. */
  frames: number;
  /** True when every frame has been indexed and filtered. */
  complete: boolean;
  start: number;
  rows: PacketRow[];
}

export interface SendParams {
  interface: string;
  linkType: number;
  framesHex: string[];
  count: number;
  intervalMs: number;
}
export interface SendResult {
  sent: number;
  /** The capture session the sent frames were recorded into, when one is running. */
  sessionId: string | null;
}

export interface ExportParams {
  path: string;
  format: CaptureFormat;
  linkType: number;
  framesHex: string[];
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

/** Every request the renderer can make: method name → params and result. */
export interface ApiContract {
  hello: { params: null; result: HostInfo };
  openFile: { params: { path: string }; result: SessionInfo };
  cancelOpen: { params: { sessionId: string }; result: null };
  closeSession: { params: { sessionId: string }; result: null };
  getRows: { params: RowsParams; result: RowsResult };
  /** Position of a frame among the rows passing `filter`, or -1. */
  findRow: { params: { sessionId: string; filter: string; index: number }; result: { position: number } };
  getFrame: { params: { sessionId: string; index: number }; result: FrameDetail };
  getConnections: { params: { sessionId: string }; result: { connections: ConnectionRow[]; alerts: AlertInfo[] } };
  getLadder: { params: { sessionId: string; stream: number; limit: number }; result: Ladder };
  getQuicAttempts: { params: { sessionId: string }; result: { attempts: QuicAttemptRow[] } };
  listInterfaces: { params: null; result: { interfaces: InterfaceInfo[] } };
  validateBpf: { params: { filter: string; linkType: number }; result: { ok: boolean; message: string | null } };
  startCapture: { params: { interface: string; bpf: string }; result: SessionInfo };
  stopCapture: { params: { sessionId: string }; result: null };
  send: { params: SendParams; result: SendResult };
  saveAs: { params: { sessionId: string; path: string; format: CaptureFormat }; result: { path: string; frames: number } };
  exportFrames: { params: ExportParams; result: { path: string; frames: number } };
  chooseOpenPath: { params: { title: string }; result: PathChoice };
  chooseSavePath: { params: { title: string; defaultName: string }; result: PathChoice };
  recentFiles: { params: null; result: { paths: string[] } };
  restartEngine: { params: null; result: null };
  systemInfo: { params: null; result: SystemInfo };
  checkCapturePermission: { params: null; result: CapturePermission };
}

export type Method = keyof ApiContract;
export type ParamsOf<M extends Method> = ApiContract[M]['params'];
export type ResultOf<M extends Method> = ApiContract[M]['result'];

type MethodValidators = { [M in Method]: { params: Validator<ParamsOf<M>>; result: Validator<ResultOf<M>> } };

const sessionOnly = obj({ sessionId });

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
    params: obj({ sessionId, start: count, count: int(0, 10_000), filter: str({ max: 4096 }) }),
    result: obj({ total: count, frames: count, complete: bool, start: count, rows: arr(packetRow, 10_000) }),
  },
  findRow: {
    params: obj({ sessionId, filter: str({ max: 4096 }), index: count }),
    result: obj({ position: int(-1) }),
  },
  getFrame: { params: obj({ sessionId, index: count }), result: frameDetail },
  getConnections: {
    params: sessionOnly,
    result: obj({ connections: arr(connectionRow), alerts: arr(alertInfo, 100_000) }),
  },
  getLadder: { params: obj({ sessionId, stream: count, limit: int(1, 100_000) }), result: ladder },
  getQuicAttempts: { params: sessionOnly, result: obj({ attempts: arr(quicAttemptRow, 100_000) }) },
  listInterfaces: { params: unit, result: obj({ interfaces: arr(interfaceInfo, 1024) }) },
  validateBpf: {
    params: obj({ filter: str({ max: 8192 }), linkType: int(0, 0xffff) }),
    result: obj({ ok: bool, message: nullable(str({ max: 4096 })) }),
  },
  startCapture: { params: obj({ interface: str({ min: 1, max: 256 }), bpf: str({ max: 8192 }) }), result: sessionInfo },
  stopCapture: { params: sessionOnly, result: unit },
  send: {
    params: obj({
      interface: str({ min: 1, max: 256 }),
      linkType: int(0, 0xffff),
      framesHex: arr(str({ min: 2, max: 2 * 65_535, pattern: /^(?:[0-9a-f]{2})+$/ }), 10_000),
      count: int(1, 1_000_000),
      intervalMs: int(0, 3_600_000),
    }),
    result: obj({ sent: count, sessionId: nullable(sessionId) }),
  },
  saveAs: {
    params: obj({ sessionId, path: filePath, format: captureFormat }),
    result: obj({ path: filePath, frames: count }),
  },
  exportFrames: {
    params: obj({
      path: filePath,
      format: captureFormat,
      linkType: int(0, 0xffff),
      framesHex: arr(str({ min: 2, max: 2 * 65_535, pattern: /^(?:[0-9a-f]{2})+$/ }), 100_000),
    }),
    result: obj({ path: filePath, frames: count }),
  },
  chooseOpenPath: { params: obj({ title: str({ max: 256 }) }), result: obj({ path: nullable(filePath) }) },
  chooseSavePath: {
    params: obj({ title: str({ max: 256 }), defaultName: str({ max: 256 }) }),
    result: obj({ path: nullable(filePath) }),
  },
  recentFiles: { params: unit, result: obj({ paths: arr(filePath, 100) }) },
  restartEngine: { params: unit, result: unit },
  systemInfo: { params: unit, result: systemInfo },
  checkCapturePermission: { params: unit, result: capturePermission },
};

export function isMethod(value: unknown): value is Method {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(methodValidators, value);
}

// ---------------------------------------------------------------- events

export type MenuCommand =
  | 'open'
  | 'open-recent'
  | 'save-as'
  | 'export-crafted'
  | 'capture-interfaces'
  | 'capture-start'
  | 'capture-stop'
  | 'capture-filter'
  | 'view-packets'
  | 'view-connections'
  | 'view-ladder'
  | 'view-editor'
  | 'toggle-theme'
  | 'help'
  | 'about'
  | 'check-permission';

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
  | { type: 'capture-stopped'; sessionId: string; reason: string }
  | { type: 'crashed'; process: 'engine' | 'helper'; message: string }
  | { type: 'session-opened'; session: SessionInfo }
  | { type: 'menu'; command: MenuCommand; path: string | null };

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
  'capture-stopped': obj({ type: literal('capture-stopped'), sessionId, reason: str({ max: 4096 }) }),
  crashed: obj({ type: literal('crashed'), process: literal('engine', 'helper'), message: str({ max: 4096 }) }),
  'session-opened': obj({ type: literal('session-opened'), session: sessionInfo }),
  menu: obj({
    type: literal('menu'),
    command: literal(
      'open',
      'open-recent',
      'save-as',
      'export-crafted',
      'capture-interfaces',
      'capture-start',
      'capture-stop',
      'capture-filter',
      'view-packets',
      'view-connections',
      'view-ladder',
      'view-editor',
      'toggle-theme',
      'help',
      'about',
      'check-permission',
    ),
    path: nullable(filePath),
  }),
});
