/**
 * The capture helper's stdio protocol, shared by the helper and its parent (the engine).
 *
 * Every message is a frame: magic byte 0xA5, a type byte, a 32-bit big-endian payload
 * length, then the payload. Types:
 *   1 control  UTF-8 JSON (requests from the parent; replies and events from the helper)
 *   2 captured a batch of captured frames
 *   3 sent     a batch of frames the helper transmitted (every frame sent is reported)
 *
 * A batch payload is a 32-bit frame count followed, per frame, by seconds, nanoseconds,
 * original length and captured length (each 32-bit big-endian) and the captured bytes.
 *
 * The reader never throws on bad input: garbage, oversized lengths, unknown types and
 * invalid JSON become `error` items and the reader resynchronises on the next magic byte.
 */

export const PROTOCOL_VERSION = 1;
export const MESSAGE_MAGIC = 0xa5;
export const MESSAGE_HEADER_LENGTH = 6;
/** Larger than any batch the helper builds; a length above it means the stream is garbled. */
export const MAX_MESSAGE_PAYLOAD = 32 * 1024 * 1024;
export const BATCH_FRAME_HEADER_LENGTH = 16;

export const MessageType = { control: 1, captured: 2, sent: 3 } as const;
export type BatchType = typeof MessageType.captured | typeof MessageType.sent;

export interface TimedFrame {
  tsSec: number;
  tsNsec: number;
  originalLength: number;
  bytes: Uint8Array;
}

export type ReaderItem =
  | { kind: 'control'; message: unknown }
  | { kind: 'batch'; type: BatchType; payload: Uint8Array }
  | { kind: 'error'; message: string };

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

function writeHeader(target: Uint8Array, type: number, payloadLength: number): void {
  target[0] = MESSAGE_MAGIC;
  target[1] = type;
  new DataView(target.buffer, target.byteOffset, MESSAGE_HEADER_LENGTH).setUint32(2, payloadLength);
}

export function encodeControl(message: object): Uint8Array {
  const json = utf8Encoder.encode(JSON.stringify(message));
  const out = new Uint8Array(MESSAGE_HEADER_LENGTH + json.length);
  writeHeader(out, MessageType.control, json.length);
  out.set(json, MESSAGE_HEADER_LENGTH);
  return out;
}

/** Frames up to this many bytes are copied into a batch without a view of the source. */
const SMALL_FRAME = 256;

/**
 * Accumulates frames into one preallocated message so the capture loop copies each
 * packet once and allocates nothing per packet. `take()` returns the finished message.
 */
export class BatchBuilder {
  private buffer: Uint8Array;
  private view: DataView;
  private length = MESSAGE_HEADER_LENGTH + 4;
  count = 0;

  constructor(
    private readonly type: BatchType,
    capacity = 1024 * 1024,
  ) {
    this.buffer = new Uint8Array(capacity);
    this.view = new DataView(this.buffer.buffer);
  }

  /** Bytes the batch would occupy; the helper flushes before it passes its limit. */
  get byteLength(): number {
    return this.length;
  }

  add(tsSec: number, tsNsec: number, originalLength: number, source: Uint8Array, capturedLength: number): void {
    const needed = this.length + BATCH_FRAME_HEADER_LENGTH + capturedLength;
    if (needed > this.buffer.length) this.grow(needed);
    const at = this.length;
    this.view.setUint32(at, tsSec);
    this.view.setUint32(at + 4, tsNsec);
    this.view.setUint32(at + 8, originalLength);
    this.view.setUint32(at + 12, capturedLength);
    const into = at + BATCH_FRAME_HEADER_LENGTH;
    if (capturedLength <= SMALL_FRAME) {
      // Most captured frames are small: a loop beats making a view of the source per frame.
      for (let i = 0; i < capturedLength; i++) this.buffer[into + i] = source[i];
    } else {
      this.buffer.set(capturedLength === source.length ? source : source.subarray(0, capturedLength), into);
    }
    this.length = needed;
    this.count++;
  }

  /** The finished message (a copy), or null when empty; the builder is reset. */
  take(): Uint8Array | null {
    if (this.count === 0) return null;
    writeHeader(this.buffer, this.type, this.length - MESSAGE_HEADER_LENGTH);
    this.view.setUint32(MESSAGE_HEADER_LENGTH, this.count);
    const out = this.buffer.slice(0, this.length);
    this.length = MESSAGE_HEADER_LENGTH + 4;
    this.count = 0;
    return out;
  }

  private grow(needed: number): void {
    const next = new Uint8Array(Math.max(needed, this.buffer.length * 2));
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
    this.view = new DataView(next.buffer);
  }
}

export function encodeBatch(type: BatchType, frames: TimedFrame[]): Uint8Array {
  const builder = new BatchBuilder(type, 64);
  for (const frame of frames) builder.add(frame.tsSec, frame.tsNsec, frame.originalLength, frame.bytes, frame.bytes.length);
  return builder.take() ?? new Uint8Array(0);
}

/**
 * Walks a batch payload, calling `visit` with views into it (no copies). Returns null
 * when the batch is well formed, or the reason it is not; frames before the damage
 * have been visited by then.
 */
export function forEachBatchFrame(
  payload: Uint8Array,
  visit: (tsSec: number, tsNsec: number, originalLength: number, bytes: Uint8Array) => void,
): string | null {
  return forEachBatchFrameAt(payload, (tsSec, tsNsec, originalLength, at, capturedLength) => visit(tsSec, tsNsec, originalLength, payload.subarray(at, at + capturedLength)));
}

/** The same walk, giving each frame's place in `payload` instead of a view (nothing allocated per frame). */
export function forEachBatchFrameAt(
  payload: Uint8Array,
  visit: (tsSec: number, tsNsec: number, originalLength: number, at: number, capturedLength: number) => void,
): string | null {
  if (payload.length < 4) return 'batch shorter than its frame count';
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const count = view.getUint32(0);
  let at = 4;
  for (let index = 0; index < count; index++) {
    if (at + BATCH_FRAME_HEADER_LENGTH > payload.length) return `batch frame ${index} header truncated`;
    const tsSec = view.getUint32(at);
    const tsNsec = view.getUint32(at + 4);
    const originalLength = view.getUint32(at + 8);
    const capturedLength = view.getUint32(at + 12);
    if (tsNsec >= 1e9) return `batch frame ${index} has nanoseconds ${tsNsec} >= 1e9`;
    if (capturedLength > originalLength) return `batch frame ${index} captured length ${capturedLength} exceeds original ${originalLength}`;
    at += BATCH_FRAME_HEADER_LENGTH;
    if (at + capturedLength > payload.length) return `batch frame ${index} bytes truncated`;
    visit(tsSec, tsNsec, originalLength, at, capturedLength);
    at += capturedLength;
  }
  if (at !== payload.length) return `batch has ${payload.length - at} trailing bytes`;
  return null;
}

/** Incremental reader: feed it chunks as they arrive, get complete messages back. */
export class MessageReader {
  private buffer = new Uint8Array(64 * 1024);
  private start = 0;
  private end = 0;
  /** True while skipping garbage, so one garbled run yields one error. */
  private resyncing = false;

  push(chunk: Uint8Array): ReaderItem[] {
    this.append(chunk);
    const items: ReaderItem[] = [];
    while (this.end - this.start > 0) {
      if (this.buffer[this.start] !== MESSAGE_MAGIC) {
        if (!this.resyncing) items.push({ kind: 'error', message: 'garbled input: expected a message header' });
        this.skipToMagic(this.start + 1);
        continue;
      }
      if (this.end - this.start < MESSAGE_HEADER_LENGTH) break;
      const type = this.buffer[this.start + 1];
      const length = new DataView(this.buffer.buffer, this.start + 2, 4).getUint32(0);
      if (length > MAX_MESSAGE_PAYLOAD) {
        items.push({ kind: 'error', message: `garbled input: message length ${length} exceeds ${MAX_MESSAGE_PAYLOAD}` });
        this.skipToMagic(this.start + 1);
        continue;
      }
      if (this.end - this.start < MESSAGE_HEADER_LENGTH + length) break;
      this.resyncing = false;
      const payloadStart = this.start + MESSAGE_HEADER_LENGTH;
      const payload = this.buffer.slice(payloadStart, payloadStart + length);
      this.start = payloadStart + length;
      items.push(decodeMessage(type, payload));
    }
    if (this.start === this.end) this.start = this.end = 0;
    return items;
  }

  /** Bytes of an incomplete message still waiting for the rest. */
  get pendingBytes(): number {
    return this.end - this.start;
  }

  private skipToMagic(from: number): void {
    this.resyncing = true;
    const next = this.buffer.subarray(from, this.end).indexOf(MESSAGE_MAGIC);
    this.start = next < 0 ? this.end : from + next;
  }

  private append(chunk: Uint8Array): void {
    if (this.end + chunk.length > this.buffer.length) {
      const pending = this.end - this.start;
      const needed = pending + chunk.length;
      const target = needed > this.buffer.length ? new Uint8Array(Math.max(needed, this.buffer.length * 2)) : this.buffer;
      // TypedArray.set copies correctly even when source and target share a buffer.
      target.set(this.buffer.subarray(this.start, this.end), 0);
      this.buffer = target;
      this.start = 0;
      this.end = pending;
    }
    this.buffer.set(chunk, this.end);
    this.end += chunk.length;
  }
}

function decodeMessage(type: number, payload: Uint8Array): ReaderItem {
  if (type === MessageType.control) {
    let text: string;
    try {
      text = utf8Decoder.decode(payload);
    } catch {
      return { kind: 'error', message: 'control message is not valid UTF-8' };
    }
    try {
      return { kind: 'control', message: JSON.parse(text) as unknown };
    } catch {
      return { kind: 'error', message: 'control message is not valid JSON' };
    }
  }
  if (type === MessageType.captured || type === MessageType.sent) return { kind: 'batch', type, payload };
  return { kind: 'error', message: `unknown message type ${type}` };
}

// ---- Control messages ----------------------------------------------------------------

export type SendLinkMode = 'as-is' | 'fill';

export type HelperRequest =
  | { id: number; cmd: 'hello' }
  | { id: number; cmd: 'interfaces' }
  /** `immediate`: hand over each burst of captured frames at once instead of batching them up to 8 ms (a conversation's few frames, where latency counts). */
  | { id: number; cmd: 'open'; device: string; filter: string; bufferSize?: number; linkType?: number; immediate?: boolean }
  | {
      id: number;
      cmd: 'send';
      /** Base64 frames. With link 'fill' they start at the network header and the helper adds the link layer. */
      frames: string[];
      link: SendLinkMode;
      count?: number;
      intervalMs?: number;
      rate?: number;
      /** Explicit MACs that win over resolution when link is 'fill'. */
      ethSrc?: string;
      ethDst?: string;
      /** TCP segments of a conversation the engine holds: if the engine vanishes with it live, the helper resets it. */
      conversation?: boolean;
    }
  | { id: number; cmd: 'stats' }
  | { id: number; cmd: 'validate-filter'; filter: string; device?: string; linkType?: number }
  /** Opens a capture that matches nothing, to learn whether this helper may capture at all. */
  | { id: number; cmd: 'probe-permission'; device?: string }
  /** Opt-in: drop this host's outgoing RSTs for one 4-tuple (the local-kernel RST trap); without dst and dport, from the listening address src:sport. */
  | { id: number; cmd: 'suppress-rst'; src: string; dst?: string; sport: number; dport?: number }
  | { id: number; cmd: 'release-rst'; ruleId: number }
  /** The engine ended these conversations itself (all, or the one with peer dst:dport): no RST for them when it goes. */
  | { id: number; cmd: 'end-conversations'; dst?: string; dport?: number };

export type HelperCommand = HelperRequest['cmd'];

export type HelperErrorCode =
  | 'bad-message'
  | 'unknown-command'
  | 'bad-request'
  | 'permission'
  | 'no-device'
  | 'bad-filter'
  | 'not-open'
  | 'already-open'
  | 'cannot-inject'
  | 'resolve-failed'
  | 'send-failed'
  | 'open-failed'
  | 'firewall-failed'
  /** suppress-rst refused: foreign source, another user's socket, or too many rules (firewall.ts). */
  | 'rst-refused'
  | 'internal';

export interface HelperError {
  code: HelperErrorCode;
  message: string;
  /** What the user can do about it (permission failures). */
  advice?: string;
}

export type HelperReply = { id: number; ok: true; result: unknown } | { id: number | null; ok: false; error: HelperError };

export interface HelperEvent {
  event: 'warning' | 'error';
  message: string;
}

export interface InterfaceAddress {
  family: 'IPv4' | 'IPv6';
  address: string;
  netmask?: string;
}

export interface HelperInterface {
  name: string;
  description: string | null;
  mac: string | null;
  addresses: InterfaceAddress[];
  loopback: boolean;
  up: boolean;
  /** LINKTYPE_* a capture on it yields, or null when unknown. */
  linkType: number | null;
  /** Null when frames can be injected; otherwise why not. */
  injectRefusal: string | null;
}

export interface HelloResult {
  protocol: number;
  version: string;
  pid: number;
  platform: string;
  /** How frame timestamps are taken, for the UI and docs to state. */
  timestampSource: string;
  /** The cap package the helper loaded, and the libpcap it mapped ("unknown" when it cannot tell). */
  capVersion: string;
  libpcapVersion: string;
}

export interface ProbePermissionResult {
  /** True when a capture could be opened. */
  ok: boolean;
  device: string;
  /** libpcap's words when the open failed, else null. */
  message: string | null;
  /** True when the failure is a missing privilege (as opposed to, say, a missing device). */
  permission: boolean;
}

export interface OpenResult {
  device: string;
  linkType: number;
  linkTypeName: string;
  bufferSize: number;
  /** The BPF filter the source applies, when not the one asked for (a remote point leaves out its own SSH connection). */
  appliedFilter?: string;
}

export interface SendResult {
  sent: number;
  elapsedMs: number;
  ethSrc: string | null;
  ethDst: string | null;
  /** Where the destination MAC came from. */
  resolvedBy: 'explicit' | 'neighbour-table' | 'seen-frames' | 'arp' | 'ndp' | null;
}

export interface StatsResult {
  device: string | null;
  framesCaptured: number;
  bytesCaptured: number;
  batches: number;
  framesSent: number;
  truncated: number;
  /** Frames the helper dropped because its reader fell MAX_BACKLOG bytes behind (output.ts). */
  framesDropped: number;
}

export interface SuppressRstResult {
  ruleId: number;
  /** The rule as added, for the user to see. */
  rule: string;
}

export interface ValidateFilterResult {
  valid: boolean;
  message: string | null;
  device: string;
  linkType: number;
}

// ---- Validators: every message is checked on arrival ------------------------------------

type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalNumber(record: Record<string, unknown>, key: string, min: number, max: number): string | null {
  const value = record[key];
  if (value === undefined) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) return `${key} must be a number in ${min}..${max}`;
  return null;
}

function optionalString(record: Record<string, unknown>, key: string, maxLength = 4096): string | null {
  const value = record[key];
  if (value === undefined) return null;
  if (typeof value !== 'string' || value.length > maxLength) return `${key} must be a string of at most ${maxLength} characters`;
  return null;
}

const MAC_PATTERN = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
const BASE64_PATTERN = /^[A-Za-z0-9+/]*={0,2}$/;
export const MAX_SEND_COUNT = 100_000_000;
export const MAX_FRAME_BYTES = 65535;

/** Checks a parent → helper request. The id is returned even for invalid requests, when present. */
export function validateRequest(message: unknown): Checked<HelperRequest> & { id: number | null } {
  if (!isRecord(message)) return { ok: false, error: 'request must be a JSON object', id: null };
  const id = typeof message.id === 'number' && Number.isInteger(message.id) && message.id >= 0 ? message.id : null;
  const fail = (error: string) => ({ ok: false as const, error, id });
  if (id === null) return fail('request needs a non-negative integer id');
  const cmd = message.cmd;
  if (typeof cmd !== 'string') return fail('request needs a cmd string');
  switch (cmd) {
    case 'hello':
    case 'interfaces':
    case 'stats':
      return { ok: true, value: { id, cmd }, id };
    case 'open': {
      if (typeof message.device !== 'string' || message.device.length === 0 || message.device.length > 256) return fail('open needs a device name');
      if (typeof message.filter !== 'string' || message.filter.length > 65536) return fail('open needs a filter string (empty for none)');
      const problem =
        optionalNumber(message, 'bufferSize', 1024 * 1024, 2 ** 31 - 1) ?? optionalNumber(message, 'linkType', 0, 65535);
      if (problem) return fail(problem);
      if (message.immediate !== undefined && typeof message.immediate !== 'boolean') return fail('open: immediate must be true or false');
      return {
        ok: true,
        value: {
          id,
          cmd,
          device: message.device,
          filter: message.filter,
          bufferSize: message.bufferSize as number | undefined,
          linkType: message.linkType as number | undefined,
          ...(message.immediate === true ? { immediate: true } : {}),
        },
        id,
      };
    }
    case 'send': {
      const frames = message.frames;
      if (!Array.isArray(frames) || frames.length === 0 || frames.length > 100_000) return fail('send needs 1..100000 frames');
      for (const frame of frames) {
        if (typeof frame !== 'string' || !BASE64_PATTERN.test(frame) || frame.length === 0 || frame.length > 90_000)
          return fail('send frames must be base64 strings of 1..65535 bytes');
      }
      if (message.link !== 'as-is' && message.link !== 'fill') return fail("send link must be 'as-is' or 'fill'");
      const problem =
        optionalNumber(message, 'count', 1, MAX_SEND_COUNT) ??
        optionalNumber(message, 'intervalMs', 0, 86_400_000) ??
        optionalNumber(message, 'rate', 0.001, 100_000_000) ??
        optionalString(message, 'ethSrc', 17) ??
        optionalString(message, 'ethDst', 17);
      if (problem) return fail(problem);
      for (const key of ['ethSrc', 'ethDst'] as const) {
        const mac = message[key];
        if (typeof mac === 'string' && !MAC_PATTERN.test(mac)) return fail(`${key} must be a MAC like aa:bb:cc:dd:ee:ff`);
      }
      if (message.intervalMs !== undefined && message.rate !== undefined) return fail('send takes intervalMs or rate, not both');
      if (message.conversation !== undefined && message.conversation !== true) return fail('send conversation must be true when given');
      if (message.conversation && message.link !== 'fill') return fail("send conversation needs link 'fill' (IP packets)");
      return {
        ok: true,
        value: {
          id,
          cmd,
          frames: frames as string[],
          link: message.link,
          count: message.count as number | undefined,
          intervalMs: message.intervalMs as number | undefined,
          rate: message.rate as number | undefined,
          ethSrc: message.ethSrc as string | undefined,
          ethDst: message.ethDst as string | undefined,
          ...(message.conversation ? { conversation: true } : {}),
        },
        id,
      };
    }
    case 'validate-filter': {
      if (typeof message.filter !== 'string' || message.filter.length > 65536) return fail('validate-filter needs a filter string');
      const problem = optionalString(message, 'device', 256) ?? optionalNumber(message, 'linkType', 0, 65535);
      if (problem) return fail(problem);
      return {
        ok: true,
        value: {
          id,
          cmd,
          filter: message.filter,
          device: message.device as string | undefined,
          linkType: message.linkType as number | undefined,
        },
        id,
      };
    }
    case 'probe-permission': {
      const problem = optionalString(message, 'device', 256);
      if (problem) return fail(problem);
      return { ok: true, value: { id, cmd, device: message.device as string | undefined }, id };
    }
    case 'suppress-rst': {
      const listening = message.dst === undefined && message.dport === undefined;
      for (const key of listening ? (['src'] as const) : (['src', 'dst'] as const)) {
        if (typeof message[key] !== 'string' || (message[key] as string).length > 64) return fail(`suppress-rst needs ${key} as an address string`);
      }
      for (const key of listening ? (['sport'] as const) : (['sport', 'dport'] as const)) {
        const port = message[key];
        if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) return fail(`suppress-rst needs ${key} in 0..65535`);
      }
      return {
        ok: true,
        value: listening
          ? { id, cmd, src: message.src as string, sport: message.sport as number }
          : { id, cmd, src: message.src as string, dst: message.dst as string, sport: message.sport as number, dport: message.dport as number },
        id,
      };
    }
    case 'end-conversations': {
      if (message.dst === undefined && message.dport === undefined) return { ok: true, value: { id, cmd }, id };
      if (typeof message.dst !== 'string' || message.dst.length === 0 || message.dst.length > 64) return fail('end-conversations needs dst as an address string (or neither dst nor dport)');
      const port = message.dport;
      if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) return fail('end-conversations needs dport in 0..65535');
      return { ok: true, value: { id, cmd, dst: message.dst, dport: port }, id };
    }
    case 'release-rst': {
      if (typeof message.ruleId !== 'number' || !Number.isInteger(message.ruleId)) return fail('release-rst needs a ruleId');
      return { ok: true, value: { id, cmd, ruleId: message.ruleId }, id };
    }
    default:
      return { ok: false, error: `unknown command ${JSON.stringify(cmd).slice(0, 64)}`, id };
  }
}

/** Checks a helper → parent control message: a reply to a request, or an event. */
export function validateHelperMessage(message: unknown): Checked<HelperReply | HelperEvent> {
  if (!isRecord(message)) return { ok: false, error: 'helper message must be a JSON object' };
  if (typeof message.event === 'string') {
    if ((message.event !== 'warning' && message.event !== 'error') || typeof message.message !== 'string')
      return { ok: false, error: 'malformed helper event' };
    return { ok: true, value: { event: message.event, message: message.message } };
  }
  const id = message.id;
  if (!(id === null || (typeof id === 'number' && Number.isInteger(id)))) return { ok: false, error: 'helper reply without an id' };
  if (message.ok === true && id !== null) return { ok: true, value: { id, ok: true, result: message.result } };
  if (message.ok === false) {
    const error = message.error;
    if (!isRecord(error) || typeof error.code !== 'string' || typeof error.message !== 'string')
      return { ok: false, error: 'helper error reply without code and message' };
    return {
      ok: true,
      value: {
        id,
        ok: false,
        error: {
          code: error.code as HelperErrorCode,
          message: error.message,
          advice: typeof error.advice === 'string' ? error.advice : undefined,
        },
      },
    };
  }
  return { ok: false, error: 'helper reply needs ok true or false' };
}
