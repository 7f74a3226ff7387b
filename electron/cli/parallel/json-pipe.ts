/**
 * `decode --json` on two threads: this (main) thread reads the file and runs the in-order part of
 * the pipeline (tracking, TLS/HTTP/DNS, reassembly, QUIC), a worker thread decodes each frame and
 * writes its line (json-batch.ts). Batches go over in order and their lines come back in order;
 * a few batches at most are in flight, so memory stays bounded whatever the file's size or the
 * reader's speed. If the worker cannot start, the batches are decoded here instead.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FramePipeline, PipelineFrame, ProcessedFrame } from '../../../shared/pipeline/frame-pipeline';
import type { FrameAnalysis } from '../../../shared/track/types';
import { batchTransfers, JsonBatchBuilder, JsonBatchDecoder, type BatchBuffers, type JsonBatch } from './json-batch';

/** Batches sent and not yet written, at most: the worker always has the next one queued. */
const MAX_IN_FLIGHT = 4;

/** Where the lines go, in order (LineOutput.chunk); `done` once the bytes may be reused. */
export interface LineSink {
  chunk(bytes: Uint8Array, done: () => void): void;
}

/** What the worker sends back per batch: its lines (the start of `out`) and the batch's buffers. */
export interface DecodedBatch extends BatchBuffers {
  readonly out: Uint8Array;
  readonly length: number;
}

/** What the worker is sent: a batch, or an output buffer written out. */
export type WorkerMessage = { batch: JsonBatch } | { free: Uint8Array };

export interface ThreadPlan {
  /** The frame from which the worker writes the lines (Infinity: never). */
  readonly fromFrame: number;
  /** Whether a worker that cannot start is an error (instead of decoding on this thread). */
  readonly required: boolean;
}

/**
 * How many threads `decode --json` uses: HANDSHAKE_THREADS=1 keeps it on one; =2 takes two from
 * the first frame, and fails if the worker cannot start; otherwise two from `minFrames` frames on.
 */
export function threadPlan(env: NodeJS.ProcessEnv, minFrames: number): ThreadPlan {
  const threads = env.HANDSHAKE_THREADS;
  if (threads === '1') return { fromFrame: Number.POSITIVE_INFINITY, required: false };
  if (threads === '2') return { fromFrame: 1, required: true };
  return { fromFrame: minFrames, required: false };
}

export class ParallelJson {
  /** Buffers of batches decoded, for the next ones. */
  private readonly pool: BatchBuffers[] = [];
  private batch = new JsonBatchBuilder(undefined);
  /** Full batches waiting for a line frame's line (QUIC analysis) before they can go. */
  private readonly sealed: JsonBatchBuilder[] = [];
  private inFlight = 0;
  private worker: Worker | null = null;
  private workerReady = false;
  /** Batches held until the worker says it is ready (if it never is, they are decoded here). */
  private readonly held: JsonBatch[] = [];
  private local: JsonBatchDecoder | null = null;
  private failure: unknown = null;
  private wake: (() => void) | null = null;
  private closing = false;

  constructor(
    private readonly sink: LineSink,
    private readonly tlsKeys: boolean,
    private readonly required: boolean,
    workerFile = path.join(__dirname, 'decode-worker.cjs'),
  ) {
    try {
      const worker = new Worker(workerFile, { workerData: { tlsKeys }, resourceLimits: process.env.JP_YOUNG ? { maxYoungGenerationSizeMb: Number(process.env.JP_YOUNG) } : undefined });
      this.worker = worker;
      worker.on('message', (message: DecodedBatch | 'ready') => {
        if (message === 'ready') {
          this.workerReady = true;
          for (const batch of this.held.splice(0)) this.post(batch);
        } else {
          this.pool.push(message);
          this.written(message.out.subarray(0, message.length), () => {
            if (!this.closing) worker.postMessage({ free: message.out } satisfies WorkerMessage, [message.out.buffer as ArrayBuffer]);
          });
        }
      });
      worker.on('error', (error) => this.workerFailed(error));
      worker.on('exit', (code) => {
        if (!this.closing && (this.inFlight > 0 || !this.workerReady)) this.workerFailed(new Error(`decode worker exited (${code})`));
      });
    } catch (error) {
      this.worker = null;
      if (required) this.failure = error;
      this.local = new JsonBatchDecoder(tlsKeys);
    }
  }

  /** A frame `pipeline` has just tracked, whose line the worker writes. */
  decode(frame: PipelineFrame, pipeline: FramePipeline, analysis: FrameAnalysis | null): void {
    this.batch.decode(frame, pipeline, analysis);
    if (this.batch.full) this.seal();
  }

  /** A frame whose line this thread writes (`line`, maybe later, in frame order). */
  lineFrame(frame: PipelineFrame): void {
    this.batch.lineFrame(frame);
    if (this.batch.full) this.seal();
  }

  /** The line of the oldest line frame still waiting for it. */
  line(processed: ProcessedFrame): void {
    const batch = this.sealed.find((sealed) => sealed.waitsForLine) ?? this.batch;
    const writer = batch.lineWriter;
    const from = writer.length;
    if (processed.json) writer.append(processed.json);
    else writer.line(processed.fields);
    batch.wroteLine(from);
    this.send();
  }

  /** Null when the reader may go on; else resolves when fewer batches are in flight. */
  ready(): Promise<void> | null {
    // After a failure the rest of the file is read without output; `finish` reports it.
    if (this.failure !== null) return null;
    if (this.waiting < MAX_IN_FLIGHT) return null;
    return new Promise<void>((resolve) => {
      this.wake = resolve;
    });
  }

  /** Sends the last batch and resolves once every line is with the sink; the worker then ends. */
  async finish(settled: () => Promise<void>): Promise<void> {
    if (this.batch.frames > 0) this.seal();
    await settled();
    this.send();
    while (this.failure === null && (this.inFlight > 0 || this.held.length > 0 || this.sealed.length > 0)) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
    this.close();
    if (this.failure !== null) throw this.failure;
  }

  /** Ends the worker without waiting for it. */
  close(): void {
    this.closing = true;
    void this.worker?.terminate();
  }

  /** Batches sealed and not yet written. */
  private get waiting(): number {
    return this.inFlight + this.held.length + this.sealed.length;
  }

  private seal(): void {
    this.sealed.push(this.batch);
    this.batch = new JsonBatchBuilder(this.pool.pop());
    this.send();
  }

  /** Sends the sealed batches whose lines are all there, in order. */
  private send(): void {
    while (this.sealed.length > 0 && this.sealed[0].complete) this.post(this.sealed.shift()!.take());
  }

  private post(batch: JsonBatch): void {
    if (this.failure !== null) return;
    if (this.local) {
      const local = this.local;
      this.inFlight++;
      const lines = local.decode(batch);
      this.pool.push(batch);
      this.written(lines, () => local.recycle(lines.buffer.byteLength === lines.length ? lines : new Uint8Array(lines.buffer)));
      return;
    }
    if (!this.workerReady) {
      this.held.push(batch);
      return;
    }
    this.inFlight++;
    this.worker!.postMessage({ batch } satisfies WorkerMessage, batchTransfers(batch));
  }

  private written(lines: Uint8Array, done: () => void): void {
    this.inFlight--;
    this.sink.chunk(lines, done);
    if (this.waiting >= MAX_IN_FLIGHT && this.inFlight + this.held.length > 0) return;
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /** Before it was ready: decode here from now on. After: a real failure, reported. */
  private workerFailed(error: unknown): void {
    if (this.local) return;
    if (this.workerReady || this.required) {
      this.failure ??= new Error(`the decode thread ${this.workerReady ? 'failed' : 'did not start'}: ${error instanceof Error ? error.message : String(error)}`);
      const wake = this.wake;
      this.wake = null;
      wake?.();
      return;
    }
    this.worker = null;
    this.local = new JsonBatchDecoder(this.tlsKeys);
    for (const batch of this.held.splice(0)) this.post(batch);
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
