/**
 * Capture frames sent between threads in batches: the frames' bytes packed into one ArrayBuffer
 * (each reader chunk holding one copied whole) and their fields in a Float64Array, both transferred with `postMessage` (not copied or cloned
 * as objects), with a pcapng block's comments and any Decryption Secrets Blocks in their place
 * between the frames. The receiving side hands each frame to a handler as a reused `CaptureFrame`,
 * as the file reader does. Used by `analyze` to give part of a capture's connections to a worker.
 */
import type { CaptureFrame } from '../../shared/files';

/** Float64 fields per frame in a batch's records. */
const FIELDS = 12;
const F_FRAME_NUMBER = 0;
const F_INTERFACE = 1;
const F_LINK_TYPE = 2;
const F_TS_SECONDS = 3;
const F_TS_NANOS = 4;
const F_CAPTURED = 5;
const F_ORIGINAL = 6;
const F_OFFSET = 7; // in the batch's bytes
const F_RECORD_OFFSET = 8;
const F_DATA_OFFSET = 9;
const F_FLAGS = 10; // the flags word, -1 for none; NO_TIMESTAMP added when the block had no timestamp
const F_EXCEEDED = 11;
const NO_TIMESTAMP = 2 ** 33;
/** Arrays up to this size (the reader's chunks) are copied whole; a frame in a larger one alone. */
const WHOLE_SOURCE_BYTES = 4 << 20;

export interface FrameBatch {
  frames: number;
  records: Float64Array;
  bytes: Uint8Array;
  /** [index of the frame, its comments]. */
  comments: [number, string[]][];
  /** [index of the frame it comes before (frames: after the last), secrets type, data]. */
  secrets: [number, number, Uint8Array][];
}

/** Packs frames (copied out of the reader's buffers) into the batch being built. */
export class FrameBatchPacker {
  frames = 0;
  private records = new Float64Array(1024 * FIELDS);
  private bytes: Uint8Array;
  private used = 0;
  /** The array last copied whole, and where its copy starts in `bytes`. */
  private source: Uint8Array | null = null;
  private sourceBase = 0;
  private comments: [number, string[]][] = [];
  private secrets: [number, number, Uint8Array][] = [];

  constructor(private readonly initialBytes = 1 << 20) {
    this.bytes = new Uint8Array(initialBytes);
  }

  /**
   * Adds a frame. The array its bytes sit in (the reader's chunk) is copied whole the first time
   * one of its frames is added, so each later frame costs no copy: take the batch after every
   * chunk the reader was given (its `whenReady`), as the array is reused for the next one.
   */
  add(frame: CaptureFrame): void {
    const length = frame.capturedLength;
    let offset: number;
    if (frame.buffer === this.source) offset = this.sourceBase + frame.bufferOffset;
    else if (frame.buffer.length <= WHOLE_SOURCE_BYTES) {
      this.reserve(frame.buffer.length);
      this.bytes.set(frame.buffer, this.used);
      this.source = frame.buffer;
      this.sourceBase = this.used;
      this.used += frame.buffer.length;
      offset = this.sourceBase + frame.bufferOffset;
    } else {
      this.reserve(length);
      this.bytes.set(frame.buffer.subarray(frame.bufferOffset, frame.bufferOffset + length), this.used);
      offset = this.used;
      this.used += length;
    }
    if ((this.frames + 1) * FIELDS > this.records.length) {
      const grown = new Float64Array(this.records.length * 2);
      grown.set(this.records);
      this.records = grown;
    }
    const r = this.frames * FIELDS;
    const records = this.records;
    records[r + F_FRAME_NUMBER] = frame.frameNumber;
    records[r + F_INTERFACE] = frame.interfaceId;
    records[r + F_LINK_TYPE] = frame.linkType;
    records[r + F_TS_SECONDS] = frame.tsSeconds;
    records[r + F_TS_NANOS] = frame.tsNanos;
    records[r + F_CAPTURED] = length;
    records[r + F_ORIGINAL] = frame.originalLength;
    records[r + F_OFFSET] = offset;
    records[r + F_RECORD_OFFSET] = frame.recordOffset;
    records[r + F_DATA_OFFSET] = frame.dataOffset;
    records[r + F_FLAGS] = (frame.flags === undefined ? -1 : frame.flags) + (frame.hasTimestamp ? 0 : NO_TIMESTAMP);
    records[r + F_EXCEEDED] = frame.exceededSnaplen;
    if (frame.comments !== undefined) this.comments.push([this.frames, [...frame.comments]]);
    this.frames++;
  }

  private reserve(length: number): void {
    if (this.used + length <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.used + length, this.bytes.length * 2));
    grown.set(this.bytes.subarray(0, this.used));
    this.bytes = grown;
  }

  /** A Decryption Secrets Block, in its place before the next frame added. */
  addSecrets(type: number, data: Uint8Array): void {
    this.secrets.push([this.frames, type, data.slice()]);
  }

  get empty(): boolean {
    return this.frames === 0 && this.secrets.length === 0;
  }

  /** The batch built so far and what to transfer with it; packing starts a new batch. */
  take(): { batch: FrameBatch; transfer: ArrayBuffer[] } {
    const batch: FrameBatch = { frames: this.frames, records: this.records.subarray(0, this.frames * FIELDS), bytes: this.bytes.subarray(0, this.used), comments: this.comments, secrets: this.secrets };
    const transfer = [this.records.buffer as ArrayBuffer, this.bytes.buffer as ArrayBuffer, ...this.secrets.map(([, , data]) => data.buffer as ArrayBuffer)];
    this.records = new Float64Array(Math.max(1024, this.frames) * FIELDS);
    this.bytes = new Uint8Array(Math.max(this.initialBytes, this.used));
    this.frames = 0;
    this.used = 0;
    this.source = null;
    this.comments = [];
    this.secrets = [];
    return { batch, transfer };
  }
}

/** One frame of a batch, reused from frame to frame (valid only during the handler's call, like the reader's). */
class BatchFrame implements CaptureFrame {
  frameNumber = 0;
  interfaceId = 0;
  linkType = 0;
  tsSeconds = 0;
  tsNanos = 0;
  hasTimestamp = true;
  capturedLength = 0;
  originalLength = 0;
  buffer: Uint8Array = new Uint8Array(0);
  bufferOffset = 0;
  recordOffset = 0;
  dataOffset = 0;
  comment: string | undefined = undefined;
  comments: readonly string[] | undefined = undefined;
  flags: number | undefined = undefined;
  exceededSnaplen = 0;
  get data(): Uint8Array {
    return this.buffer.subarray(this.bufferOffset, this.bufferOffset + this.capturedLength);
  }
}

/** Hands a received batch's frames and secrets to the handlers, in their order. */
export function unpackFrameBatch(batch: FrameBatch, onFrame: (frame: CaptureFrame) => void, onSecrets: (type: number, data: Uint8Array) => void): void {
  const { records, comments, secrets } = batch;
  const frame = new BatchFrame();
  frame.buffer = batch.bytes;
  let nextComment = 0;
  let nextSecret = 0;
  for (let i = 0; i < batch.frames; i++) {
    while (nextSecret < secrets.length && secrets[nextSecret][0] === i) {
      const [, type, data] = secrets[nextSecret++];
      onSecrets(type, data);
    }
    const r = i * FIELDS;
    frame.frameNumber = records[r + F_FRAME_NUMBER];
    frame.interfaceId = records[r + F_INTERFACE];
    frame.linkType = records[r + F_LINK_TYPE];
    frame.tsSeconds = records[r + F_TS_SECONDS];
    frame.tsNanos = records[r + F_TS_NANOS];
    frame.capturedLength = records[r + F_CAPTURED];
    frame.originalLength = records[r + F_ORIGINAL];
    frame.bufferOffset = records[r + F_OFFSET];
    frame.recordOffset = records[r + F_RECORD_OFFSET];
    frame.dataOffset = records[r + F_DATA_OFFSET];
    const flags = records[r + F_FLAGS];
    frame.hasTimestamp = flags < NO_TIMESTAMP - 1;
    const word = frame.hasTimestamp ? flags : flags - NO_TIMESTAMP;
    frame.flags = word < 0 ? undefined : word;
    frame.exceededSnaplen = records[r + F_EXCEEDED];
    if (nextComment < comments.length && comments[nextComment][0] === i) {
      frame.comments = comments[nextComment++][1];
      frame.comment = frame.comments[0];
    } else {
      frame.comments = undefined;
      frame.comment = undefined;
    }
    onFrame(frame);
  }
  while (nextSecret < secrets.length) {
    const [, type, data] = secrets[nextSecret++];
    onSecrets(type, data);
  }
}
