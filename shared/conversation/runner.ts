/**
 * Runs a conversation script as a user-space TCP endpoint talking to a real peer.
 *
 * Our side's numbers come from our ISN (chosen) and the peer's from the ISN learned from its
 * first segment, so scripts are written in relative numbers as in packetdrill. Our endpoint's
 * own state follows the RFC 9293 table (shared/track/states.ts) from what it sends and
 * receives. What the script leaves out of a `<` line is filled in: the ack is what we have
 * received so far, the window our default, TS ecr is mapped onto the peer's real clock.
 *
 * Environment-neutral: frames go through a ConversationLink (the engine's is the capture helper).
 */
import { encodeFrame } from '../craft/encode';
import type { TcpOptionSpec } from '../craft/spec';
import { tcpFrame } from '../craft/templates';
import { decodeFrame } from '../wire/decode';
import { LINKTYPE_RAW } from '../wire/linktypes';
import { nextState, TCP_STATE_NAMES, TcpEvent, TcpState } from '../track/states';
import { FLAG_ACK, FLAG_FIN, FLAG_RST, FLAG_SYN, formatSegment, type PacketStep, type Script, type ScriptOption, type SegmentView, type TimePoint } from './script';

export interface Address {
  address: string;
  port: number;
}

export interface ReceivedPacket {
  /** The IP packet (no link layer). */
  packet: Uint8Array;
  /** Arrival time in seconds on the link's clock. */
  time: number;
}

/** How the runner reaches the wire. */
export interface ConversationLink {
  /** Sends an IP packet; resolves with the time it left, in seconds on the link's clock. */
  send(packet: Uint8Array, step: PacketStep | null): Promise<number>;
  /** The next segment of this conversation from the peer, or null once `deadline` (seconds) has passed. */
  receive(deadline: number): Promise<ReceivedPacket | null>;
  /** The link's clock, in seconds. */
  now(): number;
  sleepUntil(time: number): Promise<void>;
}

export interface RunOptions {
  local: Address;
  remote: Address;
  /** Timing tolerance for `>` lines, in seconds (packetdrill's default is 0.004). */
  tolerance: number;
  /** Our ISN; random when absent. */
  isn?: number;
  /** The window we advertise when a `<` line gives none. */
  window?: number;
  /** How long a `*` line (or a line whose time has passed) waits for the peer, in seconds. */
  anyWait?: number;
  /** Send an RST at the end when the connection is still synchronized, as packetdrill does, so the peer is left clean. */
  resetAtEnd?: boolean;
  onStep?: (result: StepResult) => void;
  /**
   * Awaited before each step (the UI's Step holds the run here until the user asks for the
   * next line); resolving false ends the run there, as Stop does.
   */
  beforeStep?: (step: PacketStep, index: number) => Promise<boolean>;
  /** True once the user stopped the run: a step waiting (to send, or for the peer) ends without a verdict. */
  stopped?: () => boolean;
  random?: () => number;
}

export interface StepResult {
  line: number;
  dir: '<' | '>';
  /** The script's segment, relative numbers. */
  expected: string;
  /** What went on the wire or came from the peer, in the same relative numbers; null when nothing came. */
  actual: string | null;
  ok: boolean;
  /** Seconds since the script's time 0 when the segment left or arrived. */
  time: number | null;
  /** Why the step failed, in words (which field differs, or the timing error against the tolerance). */
  reason?: string;
  /** Our endpoint's RFC 9293 state after the step. */
  state: string;
}

export interface RunSummary {
  ok: boolean;
  steps: number;
  passed: number;
  failedLine: number | null;
  reason: string | null;
  ourIsn: number;
  peerIsn: number | null;
  /** What the two SYNs negotiated, as far as they went. */
  negotiated: { mss: number | null; sack: boolean; windowScale: { ours: number; peers: number } | null; timestamps: boolean };
  state: string;
  cleanup: string | null;
  /** The user stopped the run before its end (not a failure). */
  stopped: boolean;
}

export interface DecodedSegment {
  flags: number;
  seq: number;
  ack: number;
  window: number;
  urgent: number;
  options: ScriptOption[];
  payload: Uint8Array;
  srcPort: number;
  dstPort: number;
  source: string;
  destination: string;
}

/** How long past a `>` line's latest time a frame stamped in time may still be on its way from the helper (a loaded host). */
const DELIVERY_SLACK = 1;

function u32(value: number): number {
  return value >>> 0;
}

function scriptOptionFrom(spec: TcpOptionSpec): ScriptOption | null {
  switch (spec.kind) {
    case 'mss':
      return { kind: 'mss', value: spec.value };
    case 'sack_perm':
      return { kind: 'sack_perm' };
    case 'timestamp':
      return { kind: 'timestamp', tsval: spec.tsval, tsecr: spec.tsecr };
    case 'nop':
      return { kind: 'nop' };
    case 'eol':
      return { kind: 'eol' };
    case 'wscale':
      return { kind: 'wscale', shift: spec.shift };
    case 'sack':
      return { kind: 'sack', blocks: spec.blocks.map(([left, right]) => [left, right]) };
    default:
      return null;
  }
}

/** The TCP segment in an IP packet, or null when it is not one. */
export function decodeSegment(packet: Uint8Array): DecodedSegment | null {
  const decoded = decodeFrame(packet, LINKTYPE_RAW);
  const tcp = decoded.layers.find((layer) => layer.kind === 'tcp' && !layer.quoted);
  const ip = decoded.layers.find((layer) => (layer.kind === 'ip' || layer.kind === 'ipv6') && !layer.quoted);
  if (!tcp || !ip) return null;
  const value = (name: string) => tcp.fields.find((field) => field.name === name)?.value;
  const ipValue = (name: string) => ip.fields.find((field) => field.name === name)?.value;
  const data = decoded.layers.find((layer) => layer.kind === 'data');
  const options: ScriptOption[] = [];
  for (const option of tcp.tcpOptions ?? []) {
    const mapped = scriptOptionFrom(option.spec);
    if (mapped) options.push(mapped);
  }
  return {
    flags: Number(value('tcp.flags') ?? 0) & 0xff,
    seq: Number(value('tcp.seq_raw') ?? 0),
    ack: Number(value('tcp.ack_raw') ?? 0),
    window: Number(value('tcp.window_size_value') ?? 0),
    urgent: Number(value('tcp.urgent_pointer') ?? 0),
    options,
    payload: data?.data ?? new Uint8Array(0),
    srcPort: Number(value('tcp.srcport') ?? 0),
    dstPort: Number(value('tcp.dstport') ?? 0),
    source: String(ip.kind === 'ip' ? ipValue('ip.src') : ipValue('ipv6.src')),
    destination: String(ip.kind === 'ip' ? ipValue('ip.dst') : ipValue('ipv6.dst')),
  };
}

/** Sequence space a segment consumes. */
function space(flags: number, length: number): number {
  return length + (flags & FLAG_SYN ? 1 : 0) + (flags & FLAG_FIN ? 1 : 0);
}

export class ConversationRunner {
  readonly ourIsn: number;
  peerIsn: number | null = null;
  state: TcpState = TcpState.CLOSED;
  /** Next sequence number we send, and the next we expect from the peer (absolute). */
  sndNxt: number;
  rcvNxt: number | null = null;
  /** Peer's TS val minus the script's, learned from the first timestamp the peer sends. */
  private tsOffset: number | null = null;
  private ourSynOptions: ScriptOption[] = [];
  private peerSynOptions: ScriptOption[] | null = null;
  private startTime: number | null = null;
  /** The peer may hold a connection for this 4-tuple: it sent a SYN and has neither reset nor finished closing. */
  private peerMayBeOpen = false;
  /** The peer's SYN arrived while we were CLOSED: our SYN, sent next, crosses it (a simultaneous open). */
  private crossingSyn = false;
  private previousTime: number | null = null;
  private readonly results: StepResult[] = [];
  /** A peer's segment taken from the link but not yet held against a `>` line. */
  private readonly held: ReceivedPacket[] = [];

  constructor(
    private readonly script: Script,
    private readonly link: ConversationLink,
    private readonly options: RunOptions,
  ) {
    const random = options.random ?? Math.random;
    this.ourIsn = options.isn !== undefined ? u32(options.isn) : u32(Math.floor(random() * 0x100000000));
    this.sndNxt = this.ourIsn;
  }

  get stateName(): string {
    return TCP_STATE_NAMES[this.state];
  }

  private apply(event: TcpEvent): void {
    const next = nextState(this.state, event);
    if (next !== -1) this.state = next;
  }

  private record(result: StepResult): StepResult {
    this.results.push(result);
    this.options.onStep?.(result);
    return result;
  }

  /** Scripted time of a point: absolute from time 0, or relative to the previous event. */
  private resolve(point: TimePoint, now: number): number {
    const start = this.startTime ?? now;
    if (!point.relative) return start + point.seconds;
    return (this.previousTime ?? start) + point.seconds;
  }

  async run(): Promise<RunSummary> {
    let failure: StepResult | null = null;
    let stopped = false;
    for (const [index, step] of this.script.steps.entries()) {
      if ((this.options.beforeStep && !(await this.options.beforeStep(step, index))) || this.options.stopped?.()) {
        stopped = true;
        break;
      }
      const result = step.direction === '<' ? await this.inject(step) : await this.expect(step);
      if (result === null) {
        stopped = true;
        break;
      }
      if (!result.ok) {
        failure = result;
        break;
      }
    }
    let cleanup: string | null = null;
    if (this.options.resetAtEnd !== false && this.peerMayBeOpen) {
      cleanup = await this.sendReset();
    }
    const negotiatedMss = this.peerSynOptions?.find((option) => option.kind === 'mss');
    const ourWs = this.ourSynOptions.find((option) => option.kind === 'wscale');
    const peerWs = this.peerSynOptions?.find((option) => option.kind === 'wscale');
    const both = (kind: ScriptOption['kind']) => this.ourSynOptions.some((option) => option.kind === kind) && (this.peerSynOptions?.some((option) => option.kind === kind) ?? false);
    return {
      ok: failure === null,
      steps: this.script.steps.length,
      passed: this.results.filter((result) => result.ok).length,
      failedLine: failure?.line ?? null,
      reason: failure?.reason ?? null,
      ourIsn: this.ourIsn,
      peerIsn: this.peerIsn,
      negotiated: {
        mss: negotiatedMss?.kind === 'mss' ? negotiatedMss.value : null,
        sack: both('sack_perm'),
        windowScale: ourWs?.kind === 'wscale' && peerWs?.kind === 'wscale' ? { ours: ourWs.shift, peers: peerWs.shift } : null,
        timestamps: both('timestamp'),
      },
      state: this.stateName,
      cleanup,
      stopped,
    };
  }

  get steps(): readonly StepResult[] {
    return this.results;
  }

  private async sendReset(): Promise<string> {
    const packet = encodeFrame(
      tcpFrame({ src: this.options.local.address, dst: this.options.remote.address, srcPort: this.options.local.port, dstPort: this.options.remote.port, seq: this.sndNxt, ack: 0, flags: 'R', window: 0, linkType: LINKTYPE_RAW }),
    );
    await this.link.send(packet, null);
    this.apply(TcpEvent.SEND_RST);
    return `R ${u32(this.sndNxt - this.ourIsn)}:${u32(this.sndNxt - this.ourIsn)}(0)`;
  }

  // ---------------------------------------------------------------- `<`: a segment we inject

  /** Null: the user stopped the run while it waited for the line's time. */
  private async inject(step: PacketStep): Promise<StepResult | null> {
    const now = this.link.now();
    let due = now;
    if (step.time.kind === 'at') due = this.resolve(step.time.at, now);
    else if (step.time.kind === 'window') due = this.resolve(step.time.from, now);
    await this.link.sleepUntil(due);
    if (this.options.stopped?.()) return null;
    // A segment from the peer stamped before this one was due was not in the script. One stamped
    // later (it reached us while we were late) belongs to the next `>` line.
    for (;;) {
      const waiting = this.held.shift() ?? (await this.link.receive(this.link.now() - 1));
      if (!waiting) break;
      if (waiting.time < due - this.options.tolerance) return this.unexpected(step, waiting);
      this.held.unshift(waiting);
      break;
    }

    const seq = u32(this.ourIsn + step.seqStart);
    let ack = 0;
    if (step.ack !== null) ack = this.peerIsn === null ? step.ack : u32(this.peerIsn + step.ack);
    else if (step.flags & FLAG_ACK) ack = this.rcvNxt ?? 0;
    const window = step.window ?? this.options.window ?? 65535;
    const options = step.options === 'any' || step.options === null ? [] : step.options.map((option) => this.toWire(option));
    const payload = step.payload ?? new Uint8Array(step.length);
    const packet = encodeFrame(
      tcpFrame({
        src: this.options.local.address,
        dst: this.options.remote.address,
        srcPort: this.options.local.port,
        dstPort: this.options.remote.port,
        seq,
        ack,
        flags: step.flags,
        window,
        urgentPointer: step.urgent ?? 0,
        options,
        payload,
        linkType: LINKTYPE_RAW,
      }),
    );
    const sentAt = await this.link.send(packet, step);
    this.startTime ??= sentAt;
    this.previousTime = sentAt;
    if (step.flags & FLAG_SYN) this.ourSynOptions = step.options === 'any' || step.options === null ? [] : step.options;
    // Our own state: what we sent.
    if (step.flags & FLAG_RST) this.apply(TcpEvent.SEND_RST);
    else if ((step.flags & (FLAG_SYN | FLAG_ACK)) === FLAG_SYN) {
      this.apply(TcpEvent.SEND_SYN);
      if (this.crossingSyn) this.apply(TcpEvent.RECEIVE_SYN);
      this.crossingSyn = false;
    }
    else if ((step.flags & (FLAG_SYN | FLAG_ACK)) === (FLAG_SYN | FLAG_ACK)) this.apply(TcpEvent.SEND_SYN_ACK);
    if (step.flags & FLAG_FIN) this.apply(TcpEvent.SEND_FIN);
    const end = u32(seq + space(step.flags, step.length));
    if (((end - this.sndNxt) | 0) > 0 || step.flags & FLAG_SYN) this.sndNxt = end;
    const view: SegmentView = { flags: step.flags, seqStart: step.seqStart, length: step.length, ack: step.flags & FLAG_ACK ? this.relativeAck(ack) : null, window, options: step.options ?? [], payload: step.payload };
    return this.record({ line: step.line, dir: '<', expected: formatSegment(this.stepView(step)), actual: formatSegment(view), ok: true, time: sentAt - (this.startTime ?? sentAt), state: this.stateName });
  }

  /** A script option as it goes on the wire: TS ecr onto the peer's clock, SACK blocks onto the peer's sequence space. */
  private toWire(option: ScriptOption): TcpOptionSpec {
    if (option.kind === 'timestamp') return { kind: 'timestamp', tsval: option.tsval, tsecr: this.tsOffset === null ? option.tsecr : u32(option.tsecr + this.tsOffset) };
    if (option.kind === 'sack') {
      const base = this.peerIsn ?? 0;
      return { kind: 'sack', blocks: option.blocks.map(([left, right]) => [u32(base + left), u32(base + right)]) };
    }
    return option;
  }

  private relativeAck(ack: number): number {
    return this.peerIsn === null ? ack : u32(ack - this.peerIsn);
  }

  private stepView(step: PacketStep): SegmentView {
    return { flags: step.flags, seqStart: step.seqStart, length: step.length, ack: step.ack, window: step.window, options: step.options, payload: step.payload };
  }

  private unexpected(step: PacketStep, received: ReceivedPacket): StepResult {
    const segment = decodeSegment(received.packet);
    const actual = segment ? formatSegment(this.peerView(segment)) : 'a frame that is not TCP';
    return this.record({
      line: step.line,
      dir: step.direction,
      expected: formatSegment(this.stepView(step)),
      actual,
      ok: false,
      time: received.time - (this.startTime ?? received.time),
      reason: `the peer sent a segment the script does not expect before line ${step.line}: ${actual}`,
      state: this.stateName,
    });
  }

  /** A peer's segment in the script's relative numbers. */
  private peerView(segment: DecodedSegment): SegmentView {
    const seqBase = this.peerIsn ?? 0;
    return {
      flags: segment.flags,
      seqStart: u32(segment.seq - seqBase),
      length: segment.payload.length,
      ack: segment.flags & FLAG_ACK ? u32(segment.ack - this.ourIsn) : null,
      window: segment.window,
      options: segment.options.map((option) => this.fromWire(option)),
      payload: segment.payload,
    };
  }

  /** A peer's option in script numbers: TS val onto the script's clock, SACK blocks relative to our ISN. */
  private fromWire(option: ScriptOption): ScriptOption {
    if (option.kind === 'timestamp' && this.tsOffset !== null) return { kind: 'timestamp', tsval: u32(option.tsval - this.tsOffset), tsecr: option.tsecr };
    if (option.kind === 'sack') return { kind: 'sack', blocks: option.blocks.map(([left, right]) => [u32(left - this.ourIsn), u32(right - this.ourIsn)]) };
    return option;
  }

  // ---------------------------------------------------------------- `>`: a segment we expect

  /** Null: the user stopped the run while it waited for the peer. */
  private async expect(step: PacketStep): Promise<StepResult | null> {
    const now = this.link.now();
    const tolerance = this.options.tolerance;
    let earliest = Number.NEGATIVE_INFINITY;
    let latest = now + (this.options.anyWait ?? 5);
    let timing = 'any time';
    if (step.time.kind === 'at') {
      const at = this.resolve(step.time.at, now);
      earliest = at - tolerance;
      latest = at + tolerance;
      timing = `${this.sinceStart(at).toFixed(6)} s ± ${(tolerance * 1000).toFixed(1)} ms`;
    } else if (step.time.kind === 'window') {
      earliest = this.resolve(step.time.from, now) - tolerance;
      latest = this.resolve(step.time.to, now) + tolerance;
      timing = `between ${this.sinceStart(earliest + tolerance).toFixed(6)} and ${this.sinceStart(latest - tolerance).toFixed(6)} s ± ${(tolerance * 1000).toFixed(1)} ms`;
    }
    // Frames reach us a little after the helper stamped them: wait past the bound, then judge by the stamp.
    const received = this.held.shift() ?? (await this.link.receive(Math.max(latest, now) + DELIVERY_SLACK));
    const expected = formatSegment(this.stepView(step));
    if (!received && this.options.stopped?.()) return null;
    if (!received) {
      return this.record({ line: step.line, dir: '>', expected, actual: null, ok: false, time: null, reason: `nothing from the peer by ${timing}`, state: this.stateName });
    }
    const segment = decodeSegment(received.packet);
    if (!segment) return this.unexpected(step, received);
    this.startTime ??= received.time;
    // The peer's ISN comes from its SYN (a new one after a close starts a new connection). Before
    // any SYN (an RST from a closed port), its numbers are absolute, as in packetdrill.
    if (segment.flags & FLAG_SYN && (this.peerIsn === null || this.state === TcpState.SYN_SENT || this.state === TcpState.LISTEN || this.state === TcpState.CLOSED)) {
      this.peerIsn = u32(segment.seq - step.seqStart);
    }
    const firstTs = segment.options.find((option) => option.kind === 'timestamp');
    const scriptTs = step.options !== 'any' ? step.options?.find((option) => option.kind === 'timestamp') : undefined;
    if (this.tsOffset === null && firstTs?.kind === 'timestamp' && scriptTs?.kind === 'timestamp') this.tsOffset = u32(firstTs.tsval - scriptTs.tsval);
    const view = this.peerView(segment);
    const actual = formatSegment(view);
    const differences = this.compare(step, segment, view);
    const time = received.time - (this.startTime ?? received.time);
    this.previousTime = received.time;
    this.observe(segment);
    if (received.time < earliest || received.time > latest) {
      const bound = received.time < earliest ? earliest : latest;
      differences.push(`arrived at ${time.toFixed(6)} s, ${(Math.abs(received.time - bound) * 1000).toFixed(3)} ms ${received.time < earliest ? 'early' : 'late'} for ${timing}`);
    }
    return this.record({ line: step.line, dir: '>', expected, actual, ok: differences.length === 0, time, reason: differences.length ? differences.join('; ') : undefined, state: this.stateName });
  }

  private sinceStart(time: number): number {
    return time - (this.startTime ?? time);
  }

  /** Which fields of the peer's segment differ from the script's line. */
  private compare(step: PacketStep, segment: DecodedSegment, view: SegmentView): string[] {
    const out: string[] = [];
    if (segment.flags !== step.flags) out.push(`flags ${formatSegment({ ...view, ack: null, window: null, options: null, payload: null }).split(' ')[0]} instead of ${formatSegment({ ...this.stepView(step), ack: null, window: null, options: null, payload: null }).split(' ')[0]}`);
    if (view.seqStart !== step.seqStart) out.push(`seq ${view.seqStart} instead of ${step.seqStart}`);
    if (view.length !== step.length) out.push(`length ${view.length} instead of ${step.length}`);
    if (step.ack !== null && view.ack !== step.ack) out.push(`ack ${view.ack ?? 'none'} instead of ${step.ack}`);
    if (step.window !== null && view.window !== step.window) out.push(`win ${view.window} instead of ${step.window}`);
    if (step.payload && !sameBytes(step.payload, segment.payload)) out.push('payload differs');
    if (step.options !== 'any') {
      const wanted = step.options ?? [];
      const got = view.options === 'any' || view.options === null ? [] : view.options;
      const problem = compareOptions(wanted, got);
      if (problem) out.push(problem);
    }
    return out;
  }

  /** Our endpoint's bookkeeping from a peer's segment: state, next expected sequence number, SYN options. */
  private observe(segment: DecodedSegment): void {
    const { flags } = segment;
    if (flags & FLAG_SYN) {
      this.peerSynOptions = segment.options;
      this.peerMayBeOpen = true;
    }
    if (flags & FLAG_RST) {
      this.apply(TcpEvent.RECEIVE_RST);
      this.peerMayBeOpen = false;
      return;
    }
    const acksOurs = (flags & FLAG_ACK) !== 0 && segment.ack === this.sndNxt;
    if ((flags & (FLAG_SYN | FLAG_ACK)) === FLAG_SYN) {
      if (this.state === TcpState.CLOSED) this.crossingSyn = true;
      else this.apply(TcpEvent.RECEIVE_SYN);
    }
    else if ((flags & (FLAG_SYN | FLAG_ACK)) === (FLAG_SYN | FLAG_ACK)) {
      if (acksOurs) this.apply(TcpEvent.RECEIVE_SYN_ACK);
    } else if (acksOurs) {
      if (this.state === TcpState.SYN_RECEIVED) this.apply(TcpEvent.RECEIVE_ACK_OF_SYN);
      if (this.state === TcpState.FIN_WAIT_1 || this.state === TcpState.CLOSING || this.state === TcpState.LAST_ACK) this.apply(TcpEvent.RECEIVE_ACK_OF_FIN);
    }
    // ACK first, then FIN (RFC 9293 §3.10.7.4's order).
    if (flags & FLAG_FIN) this.apply(TcpEvent.RECEIVE_FIN);
    // Both FINs sent and ours acknowledged: the peer is in TIME_WAIT or about to be CLOSED.
    if (this.state === TcpState.TIME_WAIT || (this.state === TcpState.CLOSED && acksOurs)) this.peerMayBeOpen = false;
    const end = u32(segment.seq + space(flags, segment.payload.length));
    if (this.rcvNxt === null || flags & FLAG_SYN || ((end - this.rcvNxt) | 0) > 0) {
      if (this.rcvNxt === null || flags & FLAG_SYN || ((segment.seq - this.rcvNxt) | 0) <= 0) this.rcvNxt = end;
    }
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function optionText(option: ScriptOption | undefined): string {
  if (!option) return 'nothing';
  return formatSegment({ flags: 0, seqStart: 0, length: 0, ack: null, window: null, options: [option], payload: null }).replace(/^- 0:0\(0\) /, '');
}

/** The first difference between two option lists; TS val is not compared (clocks differ), TS ecr is. */
function compareOptions(wanted: readonly ScriptOption[], got: readonly ScriptOption[]): string | null {
  const count = Math.max(wanted.length, got.length);
  for (let i = 0; i < count; i++) {
    const a = wanted[i];
    const b = got[i];
    const same =
      a !== undefined &&
      b !== undefined &&
      a.kind === b.kind &&
      (a.kind !== 'mss' || (b.kind === 'mss' && a.value === b.value)) &&
      (a.kind !== 'wscale' || (b.kind === 'wscale' && a.shift === b.shift)) &&
      (a.kind !== 'timestamp' || (b.kind === 'timestamp' && a.tsecr === b.tsecr)) &&
      (a.kind !== 'sack' || (b.kind === 'sack' && JSON.stringify(a.blocks) === JSON.stringify(b.blocks)));
    if (!same) return `option ${i + 1} is ${optionText(b)} instead of ${optionText(a)}`;
  }
  return null;
}
