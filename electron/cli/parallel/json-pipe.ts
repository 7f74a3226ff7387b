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

/**
 * Batches sealed and not yet written, at most (the reader pauses beyond): memory stays bounded,
 * and the worker always has the next batch queued.
 */
const MAX_WAITING = 4;
/** Batches the worker may have queued: beyond, a helping thread (ThreadPlan.helps) decodes the next batch itself. */
const WORKER_QUEUE = 2;
/**
 * The worker's young generation (V8's default is larger): on the 1M-frame bench file, peak RSS
 * 224 MB with 8, 234 MB with 16, 246–257 MB with the default, at the same wall time.
 */
const WORKER_YOUNG_MB = 8;

/** Where the lines go, in order (LineOutput.chunk); `done` once the bytes may be reused. */
export interface LineSink {
  chunk(bytes: Uint8Array, done: () => void): void;
}

/** What the worker sends back per batch: its lines (the start of `out`) and the batch's buffers. */
export interface DecodedBatch extends BatchBuffers {
  readonly sequence: number;
  readonly out: Uint8Array;
  readonly length: number;
}

/** What the worker is sent: a batch (numbered in file order), an output buffer written out, or the end. */
export type WorkerMessage = { sequence: number; batch: JsonBatch } | { free: Uint8Array } | { end: true };

/**
 * Set by the launcher (electron/cli/bin.cjs) when it runs the bundle: the worker starts through
 * it, with the role as first argument, to load with a code cache as the bundle does.
 */
interface Launcher {
  readonly file: string;
  readonly workerRole: string;
}
const LAUNCHER = Symbol.for('handshake.launcher');

/**
 * From this file size on, `decode --json` uses a second thread. Measured by CPU time per thread
 * (the machine was too loaded for wall time), two threads against one: a 7 MB file, main thread
 * 0.5 s against 0.8-1.0 s but 2.1-2.3 s in all against 1.6-2.1 s, which two cores cannot absorb;
 * the 100k-frame bench file (31.6 MB), the worker writing every line: main thread 0.7-0.8 s and
 * worker 1.1-1.2 s against 1.7-2.0 s, 2.9-3.2 s in all against 2.6-3.0 s.
 */
const THREADED_FROM_BYTES = 16 * 1024 * 1024;
/**
 * From this file size on, the main thread also decodes the batches the worker has no room for.
 * It shortens a long run (the worker's share is the larger: the 1M-frame file, 300 MiB, takes 29 %
 * less wall time on two threads) but costs the main thread's isolate its own warm-up and
 * optimisation of the decoder: on the 100k-frame file 0.4-0.6 s more CPU time in all (main thread
 * 1.3-1.4 s, worker 0.7-0.8 s). Between 31.6 MB and 300 MiB was not measured.
 */
const HELPED_FROM_BYTES = 64 * 1024 * 1024;

export interface ThreadPlan {
  readonly threads: 1 | 2;
  /** Whether a worker that cannot start is an error (instead of decoding on this thread). */
  readonly required: boolean;
  /** Whether this thread decodes the batches the worker has no room for (else the reader waits). */
  readonly helps: boolean;
}

/**
 * How many threads `decode --json` uses for a file of `size` bytes: HANDSHAKE_THREADS=1 keeps it
 * on one; =2 takes two, this thread helping, and fails if the worker cannot start; otherwise by
 * the file's size (starting the worker costs more than it saves on a small file).
 */
export function threadPlan(env: NodeJS.ProcessEnv, size: number): ThreadPlan {
  const threads = env.HANDSHAKE_THREADS;
  if (threads === '1') return { threads: 1, required: false, helps: false };
  if (threads === '2') return { threads: 2, required: true, helps: true };
  return { threads: size >= THREADED_FROM_BYTES ? 2 : 1, required: false, helps: size >= HELPED_FROM_BYTES };
}

export class ParallelJson {
  /** Buffers of batches decoded, for the next ones. */
  private readonly pool: BatchBuffers[] = [];
  private batch = new JsonBatchBuilder(undefined);
  /** Full batches waiting for a line frame's line (QUIC analysis) before they can go. */
  private readonly sealed: JsonBatchBuilder[] = [];
  /** Batches numbered in file order: the next to dispatch and the next to write. */
  private nextSequence = 0;
  private nextWrite = 0;
  /** Decoded batches waiting for an earlier one to be written. */
  private readonly decoded = new Map<number, { lines: Uint8Array; done: () => void }>();
  private worker: Worker | null = null;
  private workerReady = false;
  /** Batches held until the worker says it is ready (its queue's worth). */
  private readonly held: { sequence: number; batch: JsonBatch }[] = [];
  /** Decodes here: batches the worker is too busy for, or every batch when it cannot start. */
  private readonly local: JsonBatchDecoder;
  private workerFailedToStart = false;
  private failure: unknown = null;
  private wake: (() => void) | null = null;
  private closing = false;
  /** Batches posted to the worker and not back yet. */
  private atWorker = 0;

  private readonly required: boolean;
  private readonly helps: boolean;

  constructor(
    private readonly sink: LineSink,
    tlsKeys: boolean,
    plan: ThreadPlan,
    workerFile = path.join(__dirname, 'decode-worker.cjs'),
  ) {
    this.required = plan.required;
    this.helps = plan.helps;
    this.local = new JsonBatchDecoder(tlsKeys);
    try {
      const launcher = (globalThis as { [LAUNCHER]?: Launcher })[LAUNCHER];
      const options = { workerData: { tlsKeys }, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_MB } };
      const worker = launcher ? new Worker(launcher.file, { ...options, argv: [launcher.workerRole, workerFile] }) : new Worker(workerFile, options);
      this.worker = worker;
      worker.on('message', (message: DecodedBatch | 'ready') => {
        if (message === 'ready') {
          this.workerReady = true;
          // The batches held while it started go to it.
          for (const { sequence, batch } of this.held.splice(0)) this.toWorker(worker, sequence, batch);
          if (this.waiting < MAX_WAITING) this.wakeUp();
          return;
        }
        this.atWorker--;
        this.pool.push(message);
        this.decodedBatch(message.sequence, message.out.subarray(0, message.length), () => {
          if (!this.closing) worker.postMessage({ free: message.out } satisfies WorkerMessage, [message.out.buffer as ArrayBuffer]);
        });
      });
      worker.on('error', (error) => this.workerFailed(error));
      worker.on('exit', (code) => {
        if (!this.closing) this.workerFailed(new Error(`it exited with code ${code}`));
      });
    } catch (error) {
      this.workerFailed(error);
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

  /** Null when the reader may go on; else resolves when fewer batches wait. */
  ready(): Promise<void> | null {
    // After a failure the rest of the file is read without output; `finish` reports it.
    if (this.failure !== null || this.waiting < MAX_WAITING) return null;
    return new Promise<void>((resolve) => {
      this.wake = resolve;
    });
  }

  /** Sends the last batch and resolves once every line is with the sink; the worker then ends. */
  async finish(settled: () => Promise<void>): Promise<void> {
    if (this.batch.frames > 0) this.seal();
    await settled();
    this.send();
    // Required two threads: a worker that cannot start is an error even when no batch reached it (an empty file).
    while (this.failure === null && (this.waiting > 0 || (this.required && this.worker !== null && !this.workerReady))) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
    if (this.failure !== null) {
      this.close();
      throw this.failure;
    }
    // The worker ends by itself, so the launcher may write its code cache (a terminated thread cannot).
    this.closing = true;
    this.worker?.postMessage({ end: true } satisfies WorkerMessage);
  }

  /** Ends the worker without waiting for it. */
  close(): void {
    this.closing = true;
    void this.worker?.terminate();
  }

  /** Batches sealed and not yet written. */
  private get waiting(): number {
    return this.nextSequence - this.nextWrite + this.sealed.length;
  }

  private seal(): void {
    this.sealed.push(this.batch);
    this.batch = new JsonBatchBuilder(this.pool.pop());
    this.send();
  }

  /** Dispatches the sealed batches whose lines are all there, in order. */
  private send(): void {
    while (this.sealed.length > 0 && this.sealed[0].complete) this.post(this.nextSequence++, this.sealed.shift()!.take());
  }

  private post(sequence: number, batch: JsonBatch): void {
    if (this.failure !== null) return;
    const worker = this.worker;
    // While the worker starts, its queue's worth is held for it and a helping thread decodes the batches beyond, rather than wait.
    if (worker !== null && (!this.helps || this.atWorker + this.held.length < WORKER_QUEUE)) {
      if (this.workerReady) this.toWorker(worker, sequence, batch);
      else this.held.push({ sequence, batch });
      return;
    }
    const local = this.local;
    const lines = local.decode(batch);
    this.pool.push(batch);
    this.decodedBatch(sequence, lines, () => local.recycle(new Uint8Array(lines.buffer)));
  }

  private toWorker(worker: Worker, sequence: number, batch: JsonBatch): void {
    this.atWorker++;
    worker.postMessage({ sequence, batch } satisfies WorkerMessage, batchTransfers(batch));
  }

  /** Writes decoded batches in file order. */
  private decodedBatch(sequence: number, lines: Uint8Array, done: () => void): void {
    this.decoded.set(sequence, { lines, done });
    for (let next = this.decoded.get(this.nextWrite); next !== undefined; next = this.decoded.get(this.nextWrite)) {
      this.decoded.delete(this.nextWrite++);
      this.sink.chunk(next.lines, next.done);
    }
    if (this.waiting >= MAX_WAITING && this.waiting > 0) return;
    this.wakeUp();
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /** Before it was ready: decode here from now on (unless two threads were required). After: a real failure, reported. */
  private workerFailed(error: unknown): void {
    if (this.workerFailedToStart) return;
    if (this.workerReady || this.required) {
      this.failure ??= new Error(`the decode thread ${this.workerReady ? 'failed' : 'did not start'}: ${error instanceof Error ? error.message : String(error)}`);
      this.wakeUp();
      return;
    }
    this.workerFailedToStart = true;
    this.worker = null;
    for (const { sequence, batch } of this.held.splice(0)) this.post(sequence, batch);
  }
}
