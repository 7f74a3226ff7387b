/**
 * The flow graph across connections (Wireshark's Statistics → Flow Graph, TCP flows): one
 * column per address (or address:port), one row per TCP frame in capture order, each row an
 * arrow between two columns with Wireshark's tcp flow label and comment, its tcp.stream, and
 * the RFC 9293 state of each end before and after the frame (from the tracker's records).
 *
 * Rows live in typed-array columns (about 50 bytes a row, no object per frame); row objects
 * are made only for the window a caller asks for.
 */
import { tcpFlagsText } from '../wire/info';
import type { StateRecord } from '../track/types';

/** Columns per address (Wireshark's "Network" addresses) or per address:port endpoint. */
export type FlowNodeMode = 'addresses' | 'endpoints';

/** What one TCP frame contributes. `ack` is ignored without the ACK flag. */
export interface FlowFrameInput {
  /** 1-based frame number. */
  frame: number;
  /** Seconds since the capture's first frame (frame.time_relative). */
  time: number;
  ipVersion: 4 | 6;
  srcAddress: string;
  dstAddress: string;
  srcPort: number;
  dstPort: number;
  /** TCP flags (FIN = 0x001 … AE = 0x100, reserved bits above). */
  flags: number;
  /** Relative to each side's ISN, as tcp.seq and tcp.ack. */
  seq: number;
  ack: number;
  /** TCP payload bytes (tcp.len). */
  len: number;
  /** tcp.stream, or -1 for an untracked segment. */
  stream: number;
  fromClient: boolean;
}

export interface FlowRow {
  /** Position among the graph's rows. */
  row: number;
  frame: number;
  time: number;
  /** Column indexes into `nodes`. */
  from: number;
  to: number;
  srcPort: number;
  dstPort: number;
  /** "SYN, ACK", "PSH, ACK - Len: 5" (Wireshark's frame label). */
  label: string;
  /** "Seq = 0 Ack = 1" (Wireshark's comment). */
  comment: string;
  stream: number;
  fromClient: boolean;
  /** Each end's state before and after the frame ('' when the frame is untracked). */
  senderBefore: string;
  senderAfter: string;
  receiverBefore: string;
  receiverAfter: string;
}

const TCP_ACK = 0x010;

/** Wireshark's tcp flow label: the flags, then " - Len: N" when the segment carries data. */
export function flowLabel(flags: number, len: number): string {
  const names = tcpFlagsText(flags);
  return len > 0 ? `${names} - Len: ${len}` : names;
}

/** Wireshark's tcp flow comment: "Seq = N Ack = N", the Ack only with the ACK flag. */
export function flowComment(flags: number, seq: number, ack: number): string {
  return flags & TCP_ACK ? `Seq = ${seq} Ack = ${ack}` : `Seq = ${seq}`;
}

/** An endpoint's column name: "198.18.0.1:80", "[2001:db8::1]:80". */
export function endpointName(address: string, port: number, ipVersion: 4 | 6): string {
  return ipVersion === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

/** One side's state changes as frame-ordered arrays: `states[i]` holds from frame `frames[i]` on. */
interface Lane {
  initial: string;
  frames: number[];
  states: string[];
}
interface Lanes {
  client: Lane;
  server: Lane;
}

/**
 * The tracker's records as lanes, by the ladder's convention: a server LISTEN (inferred from
 * the SYN it answered, so always its first record) is its starting state; the 2×MSL timer (no
 * frame) is left out.
 */
export function lanesOf(states: { client: readonly StateRecord[]; server: readonly StateRecord[] }): Lanes {
  const lane = (records: readonly StateRecord[], listenFirst: boolean): Lane => {
    const out: Lane = { initial: 'CLOSED', frames: [], states: [] };
    let from = 0;
    if (listenFirst && records[0] && records[0].state === 'LISTEN') {
      out.initial = 'LISTEN';
      from = 1;
    }
    for (let i = from; i < records.length; i++) {
      const frame = records[i].frame;
      if (frame === null) continue;
      out.frames.push(frame);
      out.states.push(records[i].state);
    }
    return out;
  };
  return { client: lane(states.client, false), server: lane(states.server, true) };
}

/** The lane's state once every change of frames ≤ `frame` applied. */
function stateAt(lane: Lane, frame: number): string {
  let low = 0;
  let high = lane.frames.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (lane.frames[middle] <= frame) low = middle + 1;
    else high = middle;
  }
  return low === 0 ? lane.initial : lane.states[low - 1];
}

/** A connection's state records (a tracker's summary has them), for the per-lane states. */
export type StatesLookup = (stream: number) => { client: readonly StateRecord[]; server: readonly StateRecord[] } | null;

function grow<T extends Float64Array | Uint32Array | Int32Array | Uint16Array | Uint8Array>(column: T, capacity: number): T {
  const Constructor = column.constructor as new (length: number) => T;
  const next = new Constructor(capacity);
  next.set(column);
  return next;
}

export class FlowGraph {
  /** Column names in order of first appearance (source before destination), as Wireshark orders them. */
  readonly nodes: string[] = [];
  private readonly nodeIds = new Map<string, number>();
  length = 0;
  private capacity = 1024;
  private frame = new Uint32Array(this.capacity);
  private time = new Float64Array(this.capacity);
  private from = new Uint32Array(this.capacity);
  private to = new Uint32Array(this.capacity);
  private srcPort = new Uint16Array(this.capacity);
  private dstPort = new Uint16Array(this.capacity);
  private flags = new Uint16Array(this.capacity);
  private seq = new Uint32Array(this.capacity);
  private ack = new Uint32Array(this.capacity);
  private len = new Uint32Array(this.capacity);
  private stream = new Int32Array(this.capacity);
  private fromClient = new Uint8Array(this.capacity);
  private readonly known = new Map<number, Lanes>();
  /** Lanes found through `statesOf`, kept while few. */
  private readonly lanes = new Map<number, Lanes | null>();
  private readonly streams = new Set<number>();

  constructor(
    readonly mode: FlowNodeMode = 'addresses',
    private readonly statesOf: StatesLookup = () => null,
  ) {}

  private node(name: string): number {
    let id = this.nodeIds.get(name);
    if (id === undefined) {
      id = this.nodes.length;
      this.nodes.push(name);
      this.nodeIds.set(name, id);
    }
    return id;
  }

  add(f: FlowFrameInput): void {
    if (this.length === this.capacity) {
      const capacity = this.capacity * 4;
      this.frame = grow(this.frame, capacity);
      this.time = grow(this.time, capacity);
      this.from = grow(this.from, capacity);
      this.to = grow(this.to, capacity);
      this.srcPort = grow(this.srcPort, capacity);
      this.dstPort = grow(this.dstPort, capacity);
      this.flags = grow(this.flags, capacity);
      this.seq = grow(this.seq, capacity);
      this.ack = grow(this.ack, capacity);
      this.len = grow(this.len, capacity);
      this.stream = grow(this.stream, capacity);
      this.fromClient = grow(this.fromClient, capacity);
      this.capacity = capacity;
    }
    const i = this.length++;
    const endpoints = this.mode === 'endpoints';
    this.from[i] = this.node(endpoints ? endpointName(f.srcAddress, f.srcPort, f.ipVersion) : f.srcAddress);
    this.to[i] = this.node(endpoints ? endpointName(f.dstAddress, f.dstPort, f.ipVersion) : f.dstAddress);
    this.frame[i] = f.frame;
    this.time[i] = f.time;
    this.srcPort[i] = f.srcPort;
    this.dstPort[i] = f.dstPort;
    this.flags[i] = f.flags;
    this.seq[i] = f.seq;
    this.ack[i] = f.ack;
    this.len[i] = f.len;
    this.stream[i] = f.stream;
    this.fromClient[i] = f.fromClient ? 1 : 0;
    if (f.stream >= 0) this.streams.add(f.stream);
  }

  /** How many connections (tcp.stream values) have rows. */
  get connections(): number {
    return this.streams.size;
  }

  /** Gives a connection's state records up front (a reader that walks the tracker's summaries once). */
  setStates(stream: number, states: { client: readonly StateRecord[]; server: readonly StateRecord[] }): void {
    this.known.set(stream, lanesOf(states));
  }

  /** Whether the graph has rows of `stream`. */
  hasStream(stream: number): boolean {
    return this.streams.has(stream);
  }

  private lanesFor(stream: number): Lanes | null {
    if (stream < 0) return null;
    const known = this.known.get(stream);
    if (known) return known;
    let lanes = this.lanes.get(stream);
    if (lanes === undefined) {
      const found = this.statesOf(stream);
      lanes = found ? lanesOf(found) : null;
      // A window of rows touches few connections; a walk over all of them keeps only what it met.
      if (this.lanes.size > 100_000) this.lanes.clear();
      this.lanes.set(stream, lanes);
    }
    return lanes;
  }

  row(i: number): FlowRow {
    const frame = this.frame[i];
    const stream = this.stream[i];
    const fromClient = this.fromClient[i] === 1;
    const lanes = this.lanesFor(stream);
    const sender = lanes ? (fromClient ? lanes.client : lanes.server) : null;
    const receiver = lanes ? (fromClient ? lanes.server : lanes.client) : null;
    const flags = this.flags[i];
    return {
      row: i,
      frame,
      time: this.time[i],
      from: this.from[i],
      to: this.to[i],
      srcPort: this.srcPort[i],
      dstPort: this.dstPort[i],
      label: flowLabel(flags, this.len[i]),
      comment: flowComment(flags, this.seq[i], this.ack[i]),
      stream,
      fromClient,
      senderBefore: sender ? stateAt(sender, frame - 1) : '',
      senderAfter: sender ? stateAt(sender, frame) : '',
      receiverBefore: receiver ? stateAt(receiver, frame - 1) : '',
      receiverAfter: receiver ? stateAt(receiver, frame) : '',
    };
  }

  /** Rows [start, start + count), clipped to the graph. */
  rows(start: number, count: number): FlowRow[] {
    const out: FlowRow[] = [];
    const end = Math.min(this.length, start + count);
    for (let i = Math.max(0, start); i < end; i++) out.push(this.row(i));
    return out;
  }

  /** The row showing frame `frame`, or -1 (binary search: rows are in frame order). */
  rowOfFrame(frame: number): number {
    let low = 0;
    let high = this.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const at = this.frame[middle];
      if (at === frame) return middle;
      if (at < frame) low = middle + 1;
      else high = middle - 1;
    }
    return -1;
  }
}
