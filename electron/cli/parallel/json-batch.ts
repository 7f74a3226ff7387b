/**
 * A batch of `decode --json` frames as one thread hands them to another: the frames' bytes and
 * what the in-order part of the pipeline (`FramePipeline.track`: timing, tracking, TLS/HTTP/DNS,
 * reassembly) found for each, packed into typed arrays that move between threads without a
 * copy. `JsonBatchDecoder` writes the batch's lines with the same pipeline code as one thread.
 */
import { FramePipeline, type PipelineFrame } from '../../../shared/pipeline/frame-pipeline';
import type { FrameAnalysis } from '../../../shared/track/types';
import type { JsonFieldValue } from '../../../shared/wire/json';
import { NdjsonWriter } from '../../../shared/ndjson/writer';
import { decodeUtf8 } from '../../../shared/files/utf8';

/** Numbers per frame in `JsonBatch.meta`, at these offsets. */
export const META_STRIDE = 26;
const KIND = 0;
const NUMBER = 1;
const LINK_TYPE = 2;
const SECONDS = 3;
const NANOS = 4;
const ORIGINAL_LENGTH = 5;
const CAPTURED_LENGTH = 6;
/** A decoded frame: bytes of its app keys' object after its own; a written line: the line's length. */
const EXTRA_LENGTH = 7;
const RELATIVE_TIME = 8;
const TIME_DELTA = 9;
const HAS_ANALYSIS = 10;
/** The FrameAnalysis numbers that become keys (frameAnalysisToKeys), from here on. */
const ANALYSIS = 11;

/** The frame is decoded by the batch's reader. */
const KIND_DECODE = 0;
/** The frame's line was written by the tracking thread (QUIC, reassembled datagrams): it is in `lines`. */
const KIND_LINE = 1;

/** Whole buffers (the receiver hands them back for the next batch): only their start is this batch's. */
export interface JsonBatch {
  readonly frames: number;
  readonly meta: Float64Array;
  /** Each decoded frame's bytes, then its app keys' object as an NDJSON line when it has one. */
  readonly bytes: Uint8Array;
  /** The lines of KIND_LINE frames, in frame order. */
  readonly lines: Uint8Array;
}

/** A batch's buffers, back from the thread that decoded it, for the next batch. */
export interface BatchBuffers {
  readonly meta: Float64Array;
  readonly bytes: Uint8Array;
  readonly lines: Uint8Array;
}

/** Frames per batch: large enough that messages are few, small enough that the first lines come soon. */
export const BATCH_FRAMES = 1024;
const BATCH_BYTES = 1 << 20;

/** Fills one batch on the tracking thread. Line frames' lines may come later (QUIC analysis is asynchronous), in frame order. */
export class JsonBatchBuilder {
  frames = 0;
  private readonly meta: Float64Array;
  private readonly bytes = new NdjsonWriter(0);
  private readonly lines = new NdjsonWriter(0);

  constructor(reuse: BatchBuffers | undefined) {
    this.meta = reuse?.meta ?? new Float64Array(BATCH_FRAMES * META_STRIDE);
    this.bytes.bytes = reuse?.bytes ?? new Uint8Array(BATCH_BYTES + (1 << 16));
    this.lines.bytes = reuse?.lines ?? new Uint8Array(1 << 12);
  }
  /** Slots of line frames, and how many of their lines have come. */
  private readonly lineSlots: number[] = [];
  private linesDone = 0;

  get full(): boolean {
    return this.frames === BATCH_FRAMES || this.bytes.length >= BATCH_BYTES;
  }

  /** Whether every line frame's line has come. */
  get complete(): boolean {
    return this.linesDone === this.lineSlots.length;
  }

  /** A frame the reader decodes; `pipeline` has just tracked it (`analysis` is what `track` returned). */
  decode(frame: PipelineFrame, pipeline: FramePipeline, analysis: FrameAnalysis | null): void {
    const m = this.slot(frame, KIND_DECODE);
    const meta = this.meta;
    meta[RELATIVE_TIME + m] = pipeline.lastRelativeTime;
    meta[TIME_DELTA + m] = pipeline.lastTimeDelta;
    const bytes = this.bytes;
    if (frame.buffer !== undefined) bytes.append(frame.buffer.subarray(frame.bufferOffset ?? 0, (frame.bufferOffset ?? 0) + (frame.capturedLength ?? 0)));
    else bytes.append(frame.data);
    meta[CAPTURED_LENGTH + m] = frame.buffer !== undefined ? (frame.capturedLength ?? 0) : frame.data.length;
    let extra = 0;
    if (pipeline.hasAppKeys) {
      const keys: Record<string, JsonFieldValue> = {};
      pipeline.appKeys(keys, analysis);
      const from = bytes.length;
      if (Object.keys(keys).length > 0) bytes.line(keys);
      extra = bytes.length - from;
    }
    meta[EXTRA_LENGTH + m] = extra;
    meta[HAS_ANALYSIS + m] = analysis === null ? 0 : 1;
    if (analysis !== null) packAnalysis(analysis, meta, ANALYSIS + m);
  }

  /** A frame whose line the tracking thread writes (`line`, in frame order, maybe later). */
  lineFrame(frame: PipelineFrame): void {
    this.lineSlots.push(this.slot(frame, KIND_LINE));
  }

  /** Whether a line frame still waits for its line (lines go to the oldest batch that does). */
  get waitsForLine(): boolean {
    return this.linesDone < this.lineSlots.length;
  }

  /** The writer for the next line frame's line; call `wroteLine` with where it started. */
  get lineWriter(): NdjsonWriter {
    return this.lines;
  }

  wroteLine(from: number): void {
    this.meta[this.lineSlots[this.linesDone++] + EXTRA_LENGTH] = this.lines.length - from;
  }

  /** The batch to send (its buffers are the receiver's from now on: use this builder no more). */
  take(): JsonBatch {
    return { frames: this.frames, meta: this.meta, bytes: this.bytes.bytes, lines: this.lines.bytes };
  }

  private slot(frame: PipelineFrame, kind: number): number {
    const m = this.frames++ * META_STRIDE;
    const meta = this.meta;
    meta[KIND + m] = kind;
    meta[NUMBER + m] = frame.frameNumber;
    meta[LINK_TYPE + m] = frame.linkType;
    meta[SECONDS + m] = frame.tsSeconds;
    meta[NANOS + m] = frame.tsNanos;
    meta[ORIGINAL_LENGTH + m] = frame.originalLength;
    return m;
  }
}

/** The buffers a batch's message (or their return) transfers. */
export function batchTransfers(batch: BatchBuffers): ArrayBuffer[] {
  return [batch.meta.buffer as ArrayBuffer, batch.bytes.buffer as ArrayBuffer, batch.lines.buffer as ArrayBuffer];
}

function packAnalysis(a: FrameAnalysis, meta: Float64Array, at: number): void {
  meta[at] = a.stream;
  meta[at + 1] = a.relativeSeq;
  meta[at + 2] = a.relativeAck;
  meta[at + 3] = a.nextSeq;
  meta[at + 4] = a.windowSize;
  meta[at + 5] = a.analysis;
  meta[at + 6] = a.duplicateAckNumber;
  meta[at + 7] = a.duplicateAckFrame;
  meta[at + 8] = a.initialRtt;
  meta[at + 9] = a.acksFrame;
  meta[at + 10] = a.ackRttNs;
  meta[at + 11] = a.bytesInFlight;
  meta[at + 12] = a.pushBytesSent;
  meta[at + 13] = a.timeRelativeNs;
  meta[at + 14] = a.timeDeltaNs;
}

function unpackAnalysis(meta: Float64Array, at: number, a: FrameAnalysis): FrameAnalysis {
  a.stream = meta[at];
  a.relativeSeq = meta[at + 1];
  a.relativeAck = meta[at + 2];
  a.nextSeq = meta[at + 3];
  a.windowSize = meta[at + 4];
  a.analysis = meta[at + 5];
  a.duplicateAckNumber = meta[at + 6];
  a.duplicateAckFrame = meta[at + 7];
  a.initialRtt = meta[at + 8];
  a.acksFrame = meta[at + 9];
  a.ackRttNs = meta[at + 10];
  a.bytesInFlight = meta[at + 11];
  a.pushBytesSent = meta[at + 12];
  a.timeRelativeNs = meta[at + 13];
  a.timeDeltaNs = meta[at + 14];
  return a;
}

/** The frame record `JsonBatchDecoder` hands the pipeline, refilled per frame. */
class BatchFrame implements PipelineFrame {
  frameNumber = 0;
  linkType = 0;
  tsSeconds = 0;
  tsNanos = 0;
  originalLength = 0;
  data: Uint8Array = new Uint8Array(0);
}

/**
 * Writes batches' lines, in order, as `FramePipeline.processTracked` does on one thread: a
 * pipeline of its own that never tracks, given each frame's tracking results instead.
 */
export class JsonBatchDecoder {
  private readonly pipeline = new FramePipeline();
  private readonly frame = new BatchFrame();
  private readonly analysis: FrameAnalysis = {
    stream: 0, fromClient: false, relativeSeq: 0, relativeAck: 0, nextSeq: 0, windowSize: 0, windowScale: -1, analysis: 0,
    duplicateAckNumber: 0, duplicateAckFrame: 0, initialRtt: -1, acksFrame: 0, ackRttNs: -1, bytesInFlight: 0, pushBytesSent: 0,
    timeRelativeNs: 0, timeDeltaNs: 0, tls: null, phase: 'none', stateChanges: [], stateChangeCount: 0,
  };
  /** Output buffers the lines' reader has finished with. */
  private readonly free: Uint8Array[] = [];

  /** `tlsKeys`: whether the tracking thread's pipeline has a TLS dissector (FramePipeline.tlsKeys). */
  constructor(tlsKeys: boolean) {
    const pipeline = this.pipeline;
    pipeline.jsonLines = true;
    pipeline.withColumns = false;
    pipeline.tlsKeys = tlsKeys;
    pipeline.appendJsonLines = true;
  }

  /** An array `decode` returned, for reuse once its lines are written. */
  recycle(buffer: Uint8Array): void {
    this.free.push(buffer);
  }

  /** The batch's lines: the start of an array that is the caller's (see `recycle`). */
  decode(batch: JsonBatch): Uint8Array {
    const { meta, bytes, lines } = batch;
    const pipeline = this.pipeline;
    const frame = this.frame;
    const out = pipeline.jsonOutput;
    out.bytes = this.free.pop() ?? new Uint8Array(2 << 20);
    out.reset();
    let at = 0;
    let lineAt = 0;
    for (let i = 0; i < batch.frames; i++) {
      const m = i * META_STRIDE;
      const extra = meta[EXTRA_LENGTH + m];
      if (meta[KIND + m] === KIND_LINE) {
        out.append(lines.subarray(lineAt, lineAt + extra));
        lineAt += extra;
        continue;
      }
      const captured = meta[CAPTURED_LENGTH + m];
      frame.frameNumber = meta[NUMBER + m];
      frame.linkType = meta[LINK_TYPE + m];
      frame.tsSeconds = meta[SECONDS + m];
      frame.tsNanos = meta[NANOS + m];
      frame.originalLength = meta[ORIGINAL_LENGTH + m];
      frame.data = bytes.subarray(at, at + captured);
      at += captured;
      // JSON keeps the keys' order and the values exactly (numbers print as the shortest text that reads back the same).
      pipeline.presetAppKeys = extra > 0 ? (JSON.parse(decodeUtf8(bytes, at, at + extra - 1)) as Record<string, JsonFieldValue>) : null;
      at += extra;
      pipeline.lastRelativeTime = meta[RELATIVE_TIME + m];
      pipeline.lastTimeDelta = meta[TIME_DELTA + m];
      const analysis = meta[HAS_ANALYSIS + m] === 1 ? unpackAnalysis(meta, ANALYSIS + m, this.analysis) : null;
      // The line is written after the ones before it, in `out`.
      pipeline.processTracked(frame, analysis);
    }
    return out.bytes.subarray(0, out.length);
  }
}
