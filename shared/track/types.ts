import type { SynFloodOptions } from './synflood';
import type { TcpState } from './states';
import type { ConnState } from './zeek';

export interface TrackerOptions {
  /** Maximum segment lifetime in seconds; TIME_WAIT lasts 2×MSL of capture time. Default DEFAULT_MSL_SECONDS (30: Linux's 60 s TIME_WAIT). */
  mslSeconds?: number;
  /**
   * Cap on connections held in the flow table. When full, the least recently active
   * connection is evicted to make room; its summary gets Zeek's partial marker and is
   * counted in `stats().capEvictions`. Default 2,000,000.
   */
  maxConnections?: number;
  /**
   * Where evicted connections go. Without it they stay in memory as summaries (what a
   * one-shot file analysis wants); with it they are handed over and forgotten (what a
   * long live capture wants), and the idle/closed policies below apply.
   */
  onEvict?: (summary: ConnectionSummary) => void;
  /** With onEvict: evict a connection after this much capture time without a frame. Default 3600 s. */
  idleTimeoutSeconds?: number;
  /** With onEvict: evict a connection whose endpoints are both CLOSED after this long. Default 10 s. */
  closedTimeoutSeconds?: number;
  /** Bytes of each direction's stream start kept for TLS hello parsing. Default 16 KiB. */
  tlsBytes?: number;
  synFlood?: Partial<SynFloodOptions>;
}

export interface StateChange {
  side: 'client' | 'server';
  state: TcpState;
  /** Frame that caused it (for an inferred LISTEN/SYN_RECEIVED, the SYN it answered). */
  frame: number;
}

/** TLS hello fields on the frame that completed the hello (Wireshark's `tls.*` keys). */
export interface FrameTls {
  handshakeTypes: number[];
  serverName: string | null;
  alpn: string[];
  supportedVersions: number[];
  cipherSuites: number[];
}

/**
 * The per-frame result of `Tracker.track`. One record is reused for every frame:
 * read or copy it before the next call.
 */
export interface FrameAnalysis {
  stream: number;
  /** True when the frame was sent by the client. */
  fromClient: boolean;
  /** Relative to the sender's ISN (`tcp.seq`), the receiver's ISN (`tcp.ack`; without the ACK flag the raw field, as tshark shows it), and the next expected. */
  relativeSeq: number;
  relativeAck: number;
  nextSeq: number;
  /** `tcp.window_size`: scaled when both SYNs carried window scale, else as on the wire. */
  windowSize: number;
  /** Shift used: -1 unknown (no SYNs seen), -2 no scaling negotiated, else 0..14. */
  windowScale: number;
  /** `Analysis` bits. */
  analysis: number;
  /** `tcp.analysis.duplicate_ack_num` and `duplicate_ack_frame` when DUPLICATE_ACK is set. */
  duplicateAckNumber: number;
  duplicateAckFrame: number;
  /**
   * Seconds, or -1: known once the handshake completed, and given (as tshark does) on frames
   * that carry data, acknowledge something new or have an analysis flag.
   */
  initialRtt: number;
  /**
   * `tcp.analysis.acks_frame`: the segment whose end this ACK equals (0: none), and `ack_rtt`, the
   * time since it was sent in ns (-1 when there is no such segment; tshark shows only a non-zero RTT).
   */
  acksFrame: number;
  ackRttNs: number;
  /** `tcp.analysis.bytes_in_flight` after this segment (0: not shown), and `push_bytes_sent` (shown with it). */
  bytesInFlight: number;
  pushBytesSent: number;
  /** `tcp.time_relative` and `tcp.time_delta` in ns: since the connection's first frame, and since its previous one (0 on the first). */
  timeRelativeNs: number;
  timeDeltaNs: number;
  /** Set when this frame completed a TLS ClientHello or ServerHello. */
  tls: FrameTls | null;
  /** The connection phase this frame is a key frame of (its summary's handshake or teardown frames), or 'none'. */
  phase: 'none' | 'handshake' | 'teardown';
  /** Endpoint state changes this frame caused: the first `stateChangeCount` entries (the rest are stale, reused). */
  stateChanges: StateChange[];
  stateChangeCount: number;
}

export interface Timestamp {
  sec: number;
  ns: number;
}

export interface StateRecord {
  state: string;
  /** null for the 2×MSL timer, which no frame causes. */
  frame: number | null;
  time: Timestamp;
}

export interface Endpoint {
  address: string;
  port: number;
}

export interface ConnectionCounts {
  retransmissions: number;
  fast_retransmissions: number;
  dup_acks: number;
  out_of_order: number;
  keepalives: number;
  zero_windows: number;
  window_updates: number;
  lost_segments: number;
  bad_checksums: number;
}

export interface ConnectionVolume {
  /** Payload bytes the client (originator) and server sent, gaps included (Zeek's orig_bytes, resp_bytes). */
  origBytes: number;
  respBytes: number;
  /** Bytes of sequence gaps: segments never captured (Zeek's missed_bytes). */
  missedBytes: number;
  origPackets: number;
  origIpBytes: number;
  respPackets: number;
  respIpBytes: number;
}

export interface ConnectionTls {
  sni: string | null;
  alpn_offered: string[];
  alpn_selected: string | null;
  versions_offered: string[];
  version_selected: string | null;
  cipher_selected: string | null;
  /** Numeric forms, for callers that want them. */
  ciphersOffered: number[];
  cipherSelectedValue: number | null;
}

/** 'tfo': TCP Fast Open (RFC 7413), a three-way handshake whose SYN carried data. */
export type HandshakeKind = 'three-way' | 'tfo' | 'simultaneous-open' | null;
export type TeardownKind = 'four-way' | 'three-way' | 'simultaneous' | 'reset' | null;

/** One segment of the ladder: a handshake or teardown frame and which way it went. */
export interface LadderStep {
  frame: number;
  time: Timestamp;
  fromClient: boolean;
  label: string;
}

/** Everything known about one connection; `connectionToJson` turns it into cli.md's object. */
export interface ConnectionSummary {
  stream: number;
  ipVersion: 4 | 6;
  client: Endpoint;
  server: Endpoint;
  /** True when no SYN told who the client is (Zeek's `^`). */
  directionGuessed: boolean;
  /** True when the flow-table cap evicted it while it was still active (Zeek's partial/`x`). */
  partial: boolean;
  start: Timestamp;
  end: Timestamp;
  frames: number;
  bytes: number;
  connState: ConnState;
  history: string;
  completeness: number;
  handshake: {
    kind: HandshakeKind;
    complete: boolean;
    frames: number[];
    synRetransmissions: number;
    synAckRetransmissions: number;
    /**
     * Seconds. initialRtt: the last SYN → the final ACK, as Wireshark's tcp.analysis.initial_rtt.
     * synToSynAck: SYN → first SYN+ACK, the server side of the capture point. synAckToAck: the
     * SYN+ACK the ACK answers → that ACK, the client side. They sum to initialRtt unless a copy was lost.
     */
    initialRtt: number | null;
    synToSynAck: number | null;
    synAckToAck: number | null;
    dataOnFinalAck: boolean;
    /** SYN carrying data (TCP Fast Open). */
    synWithData: boolean;
    /** An RST answered the SYN. */
    rejected: boolean;
    /** Whether the SYN+ACK's ack was ISN_client+1 and the final ACK's was ISN_server+1 (null: not seen). */
    synAckAcksIsn: boolean | null;
    finalAckAcksIsn: boolean | null;
  };
  teardown: {
    kind: TeardownKind;
    initiator: 'client' | 'server' | null;
    frames: number[];
    halfCloseBytes: number;
  };
  states: { client: StateRecord[]; server: StateRecord[] };
  finalState: { client: string; server: string };
  counts: ConnectionCounts;
  /** Zeek conn.log's volume fields: payload bytes by sequence span, gap bytes, packets and IP bytes, per side. */
  volume: ConnectionVolume;
  tls: ConnectionTls | null;
  ladder: LadderStep[];
}

export interface TrackerStats {
  /** TCP frames tracked. */
  frames: number;
  /** Connections opened (tcp.stream values handed out). */
  connections: number;
  /** Connections currently in the flow table. */
  active: number;
  /** Connections evicted by the idle/closed policies. */
  evicted: number;
  /** Connections evicted early because the table was at `maxConnections`. */
  capEvictions: number;
}
