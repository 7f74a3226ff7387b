/**
 * Scenario builder for the tracking tests: writes a TCP conversation with the project's
 * encoder into a real pcap/pcapng file, runs the tracker over it through the project's
 * reader and fast-path summarizer, and runs tshark over the same file as the oracle.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeFrame, tcpFrame, type TcpOptionSpec } from '../../../shared/craft';
import { CaptureReader, PcapWriter, PcapngWriter } from '../../../shared/files';
import type { CaptureFrame } from '../../../shared/files/types';
import { createPacketSummary, decodeFrame, frameFieldsJson, summarize } from '../../../shared/wire';
import { ANALYSIS_FLAGS_KEY, TCP_STATE_NAMES, Tracker, connectionToJson, frameAnalysisToKeys, type ConnectionSummary, type JsonObject, type SynFloodAlert, type TrackerOptions } from '../../../shared/track';
import type { FrameAnalysis } from '../../../shared/track/types';

export const HAS_TSHARK = spawnSync('tshark', ['-v'], { encoding: 'utf8' }).status === 0;

export type Side = 'c' | 's';

export interface SegmentOptions {
  payload?: Uint8Array | string;
  /** Absolute sequence number; default: the sender's next sequence number. */
  seq?: number;
  /** Absolute ACK number; default: the peer's next sequence number. */
  ack?: number;
  window?: number;
  options?: TcpOptionSpec[];
  /** Seconds since the previous frame; default 0.01. */
  dt?: number;
  /** Write this value as the TCP checksum (a wrong one, on purpose). */
  checksum?: number;
}

interface Frame {
  bytes: Uint8Array;
  tsSeconds: number;
  tsNanos: number;
}

const BASE_SECONDS = 1_700_000_000;

/** A two-endpoint conversation; sequence numbers follow the wire unless overridden. */
export class Conversation {
  readonly frames: Frame[] = [];
  private timeNs = 0;
  private readonly next: Record<Side, number>;

  constructor(
    private readonly client: { address: string; port: number; isn: number },
    private readonly server: { address: string; port: number; isn: number },
    private readonly sink: Frame[] = [],
    startNs = 0,
  ) {
    this.next = { c: client.isn >>> 0, s: server.isn >>> 0 };
    this.timeNs = startNs;
  }

  /** Sends one segment from `from`; flags in Scapy letters ("S", "SA", "A", "PA", "FA", "R", "RA"). */
  send(from: Side, flags: string, options: SegmentOptions = {}): this {
    const src = from === 'c' ? this.client : this.server;
    const dst = from === 'c' ? this.server : this.client;
    const peer: Side = from === 'c' ? 's' : 'c';
    const payload = typeof options.payload === 'string' ? new TextEncoder().encode(options.payload) : (options.payload ?? new Uint8Array(0));
    const seq = (options.seq ?? this.next[from]) >>> 0;
    const ack = flags.includes('A') ? (options.ack ?? this.next[peer]) >>> 0 : (options.ack ?? 0);
    const spec = tcpFrame({
      src: src.address,
      dst: dst.address,
      srcPort: src.port,
      dstPort: dst.port,
      seq,
      ack,
      flags,
      window: options.window ?? 64240,
      options: options.options,
      payload,
    });
    if (options.checksum !== undefined) {
      const tcp = spec.layers.find((l) => l.layer === 'tcp');
      if (tcp) tcp.fields['tcp.checksum'] = options.checksum;
    }
    this.timeNs += Math.round((options.dt ?? 0.01) * 1e9);
    const end = (seq + payload.length + (flags.includes('S') ? 1 : 0) + (flags.includes('F') ? 1 : 0)) >>> 0;
    if (((end - this.next[from]) | 0) > 0) this.next[from] = end;
    const frame = { bytes: encodeFrame(spec), tsSeconds: BASE_SECONDS + Math.floor(this.timeNs / 1e9), tsNanos: this.timeNs % 1e9 };
    this.frames.push(frame);
    this.sink.push(frame);
    return this;
  }

  /** The sender's next sequence number so far. */
  nextSeq(side: Side): number {
    return this.next[side];
  }

  /** Moves the clock without sending. */
  wait(seconds: number): this {
    this.timeNs += Math.round(seconds * 1e9);
    return this;
  }

  get elapsedNs(): number {
    return this.timeNs;
  }
}

/** Deterministic pseudo-random integers below n (xorshift32), so a failing case reproduces from its seed. */
export function seededRandom(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
}

export function tempFile(name: string): string {
  return path.join(mkdtempSync(path.join(tmpdir(), 'track-')), name);
}

/** Writes frames (sorted by time) to a pcap or pcapng file on Ethernet. */
/** `snaplen`: keep only each frame's first bytes, as a capture with that snap length would (the wire length is kept). */
export function writeCapture(frames: Frame[], file: string, format: 'pcap' | 'pcapng' = 'pcapng', snaplen = Infinity): string {
  const chunks: Uint8Array[] = [];
  const sink = (chunk: Uint8Array): void => {
    chunks.push(chunk.slice());
  };
  const ordered = [...frames].sort((a, b) => a.tsSeconds - b.tsSeconds || a.tsNanos - b.tsNanos);
  if (format === 'pcap') {
    const writer = new PcapWriter(sink, { linkType: 1 });
    for (const f of ordered) writer.writeFrame({ tsSeconds: f.tsSeconds, tsNanos: f.tsNanos, data: f.bytes.subarray(0, snaplen), originalLength: f.bytes.length });
  } else {
    const writer = new PcapngWriter(sink, {});
    writer.addInterface({ linkType: 1 });
    for (const f of ordered) writer.writeFrame({ interfaceId: 0, tsSeconds: f.tsSeconds, tsNanos: f.tsNanos, data: f.bytes.subarray(0, snaplen), originalLength: f.bytes.length });
  }
  writeFileSync(file, Buffer.concat(chunks));
  return file;
}

export interface TrackedCapture {
  /** Per frame: the decode keys the tracker adds (null when not tracked), index = frame number - 1. */
  keys: Array<JsonObject | null>;
  /** Per frame: the endpoint state changes the frame caused, as "client:STATE" strings. */
  changes: string[][];
  /** Per frame: the phase the tracker reported while tracking it ('none' when not tracked). */
  phases: string[];
  connections: ConnectionSummary[];
  json: JsonObject[];
  alerts: readonly SynFloodAlert[];
  tracker: Tracker;
}

/** Reads the file with the project's reader and tracks every frame, checksum status from the decoder. */
export function trackFile(file: string, options: TrackerOptions = {}, onAnalysis?: (fa: FrameAnalysis) => void): TrackedCapture {
  const tracker = new Tracker(options);
  const summary = createPacketSummary();
  const keys: Array<JsonObject | null> = [];
  const changes: string[][] = [];
  const phases: string[] = [];
  let number = 0;
  const onFrame = (frame: CaptureFrame): void => {
    number++;
    summarize(frame.data, frame.linkType, summary, frame.originalLength);
    const decoded = decodeFrame(frame.data, frame.linkType, { frameLength: frame.originalLength });
    const fields = frameFieldsJson(decoded, { number, timeEpoch: '0.000000000' });
    const fa = tracker.track(number, frame.tsSeconds, frame.tsNanos, summary, frame.data, fields['tcp.checksum.status'] === 'bad', frame.originalLength);
    if (fa && onAnalysis) onAnalysis(fa);
    keys.push(fa ? frameAnalysisToKeys(fa) : null);
    changes.push(fa ? fa.stateChanges.slice(0, fa.stateChangeCount).map((c) => `${c.side}:${stateName(c.state)}`) : []);
    phases.push(fa ? fa.phase : 'none');
  };
  const reader = new CaptureReader({ onFrame });
  reader.push(readFileSync(file));
  reader.end();
  tracker.finish();
  const connections = tracker.connections();
  return { keys, changes, phases, connections, json: connections.map(connectionToJson), alerts: tracker.alerts(), tracker };
}

function stateName(state: number): string {
  return TCP_STATE_NAMES[state];
}

/** tshark -T fields over the file; one record per frame keyed by field name (values as strings, '' when absent). */
export function tshark(file: string, fields: string[], twoPass = false, preferences: string[] = []): Array<Record<string, string>> {
  const args = ['-r', file, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', 'aggregator=,', '-o', 'tcp.relative_sequence_numbers:TRUE', '-o', 'tcp.analyze_sequence_numbers:TRUE'];
  if (twoPass) args.push('-2');
  for (const p of preferences) args.push('-o', p);
  // frame.number first, so a frame whose requested fields are all empty still gives a line.
  for (const f of ['frame.number', ...fields]) args.push('-e', f);
  const out = execFileSync('tshark', args, { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const values = line.split('\t');
      const row: Record<string, string> = {};
      fields.forEach((f, i) => (row[f] = values[i + 1] ?? ''));
      return row;
    });
}

/** The `tcp.analysis.*` booleans that are set in a decode-keys object, sorted. */
export function analysisFlags(keys: JsonObject | null): string[] {
  if (!keys) return [];
  return Object.keys(keys)
    // tcp.analysis.flags only says that one of the others is set (the filter tests check it against tshark).
    .filter((k) => k.startsWith('tcp.analysis.') && k !== ANALYSIS_FLAGS_KEY && keys[k] === true)
    .map((k) => k.slice('tcp.analysis.'.length))
    .sort();
}

/** Analysis flags tshark reports, per frame, as sorted names. */
export const TSHARK_FLAG_FIELDS = [
  'retransmission',
  'fast_retransmission',
  'spurious_retransmission',
  'duplicate_ack',
  'keep_alive',
  'keep_alive_ack',
  'zero_window',
  'zero_window_probe',
  'zero_window_probe_ack',
  'window_update',
  'window_full',
  'out_of_order',
  'lost_segment',
  'ack_lost_segment',
  'reused_ports',
];

export function tsharkFlags(file: string): string[][] {
  const rows = tshark(file, TSHARK_FLAG_FIELDS.map((f) => `tcp.analysis.${f}`));
  return rows.map((row) => TSHARK_FLAG_FIELDS.filter((f) => row[`tcp.analysis.${f}`] !== '').sort());
}

/** Our per-frame relative numbers, stream ids and flags next to tshark's, for whole-file comparison. */
export function compareWithTshark(file: string, tracked: TrackedCapture): { ours: string[]; theirs: string[] } {
  const fields = [
    'tcp.stream',
    'tcp.seq',
    'tcp.ack',
    'tcp.nxtseq',
    'tcp.window_size',
    'tcp.analysis.initial_rtt',
    'tcp.time_relative',
    'tcp.time_delta',
    'tcp.analysis.acks_frame',
    'tcp.analysis.ack_rtt',
    'tcp.analysis.bytes_in_flight',
    'tcp.analysis.push_bytes_sent',
  ];
  const rows = tshark(file, fields);
  const flags = tsharkFlags(file);
  const ours = tracked.keys.map((k) => {
    if (!k) return '-';
    const ack = k['tcp.ack'] ?? '';
    const rtt = typeof k['tcp.analysis.initial_rtt'] === 'number' ? k['tcp.analysis.initial_rtt'].toFixed(9) : '';
    const times = `t=${Number(k['tcp.time_relative']).toFixed(9)} dt=${Number(k['tcp.time_delta']).toFixed(9)}`;
    const ackRtt = typeof k['tcp.analysis.ack_rtt'] === 'number' ? k['tcp.analysis.ack_rtt'].toFixed(9) : '';
    const flight = `acks=${k['tcp.analysis.acks_frame'] ?? ''} rtt=${ackRtt} bif=${k['tcp.analysis.bytes_in_flight'] ?? ''} push=${k['tcp.analysis.push_bytes_sent'] ?? ''}`;
    return `stream=${k['tcp.stream']} seq=${k['tcp.seq']} ack=${ack} nxt=${k['tcp.nxtseq']} win=${k['tcp.window_size']} ${times} irtt=${rtt} ${flight} [${analysisFlags(k).join(',')}]`;
  });
  const theirs = rows.map(
    (r, i) =>
      `stream=${r['tcp.stream']} seq=${r['tcp.seq']} ack=${r['tcp.ack']} nxt=${r['tcp.nxtseq']} win=${r['tcp.window_size']} t=${r['tcp.time_relative']} dt=${r['tcp.time_delta']} irtt=${r['tcp.analysis.initial_rtt']} ` +
      `acks=${r['tcp.analysis.acks_frame']} rtt=${r['tcp.analysis.ack_rtt']} bif=${r['tcp.analysis.bytes_in_flight']} push=${r['tcp.analysis.push_bytes_sent']} [${flags[i].join(',')}]`,
  );
  return { ours, theirs };
}
