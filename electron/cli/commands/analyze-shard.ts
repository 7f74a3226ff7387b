/**
 * `analyze` on two cores. Tracking is almost all of analyze's work and a connection's tracking
 * needs only its own frames, so the connections are split by their pair of IP addresses: this
 * thread reads the file and tracks one part, a worker thread (running the same bundle) tracks the
 * other, its frames sent in transferred batches (electron/engine/frame-batches.ts). What a single
 * tracker would have done across connections is put back together here:
 *   - tcp.stream numbers, given in order of a connection's first frame, by merging the two
 *     parts' first-frame lists;
 *   - SYN-flood alerts, from both parts' recorded events replayed in frame order into one detector,
 *     at the capture time of the whole file (shared/track/flood-log.ts);
 *   - TIME_WAIT expiry at the end, at the whole file's latest time.
 * The worker writes its connections' lines itself; they are merged with this thread's in stream
 * order. The output is byte for byte that of one thread. Frames that would need both parts (IP
 * fragments, whose reassembly could cross them) make it give up before anything is written, and
 * the caller reads the file on one thread instead.
 */
import { isMainThread, parentPort, Worker, workerData, type MessagePort } from 'node:worker_threads';
import type { CaptureFrame } from '../../../shared/files';
import { FramePipeline } from '../../../shared/pipeline/frame-pipeline';
import { HttpDissector } from '../../../shared/http';
import { httpLadderSteps, httpSummaryJson } from '../../../shared/http/summary';
import { NdjsonWriter } from '../../../shared/ndjson/writer';
import { connectionTlsJson, renderConnection, writeConnectionJson, zeekConnJson, zeekConnTsv, SynFloodDetector, SynFloodRecorder, replaySynFloodLogs } from '../../../shared/track';
import type { ConnectionSummary, JsonObject, JsonValue, SynFloodAlert, SynFloodLog } from '../../../shared/track';
import { summarizeAt } from '../../../shared/wire/summarize';
import { hashWords } from '../../../shared/wire/word-hash';
import { readCaptureFile, type CaptureFileReadResult } from '../../engine/capture-file';
import { FrameBatchPacker, unpackFrameBatch, type FrameBatch } from '../../engine/frame-batches';
import { addTlsSummary, tlsForFile, tlsSummaryText } from '../tls';
import { ANALYZE_SHARD_ROLE } from './analyze-shard-role';

export type ConnectionFormat = 'json' | 'text' | 'zeek-tsv' | 'zeek-json';

const ROLE = ANALYZE_SHARD_ROLE;
/** Batches sent to the worker and not yet tracked before reading waits. */
const MAX_BATCHES_IN_FLIGHT = 4;
/** Bytes of the worker's output lines per message. */
const LINES_CHUNK = 256 * 1024;
/**
 * The worker's share of address pairs, in sixteenths: this thread also reads the file and keeps
 * the rest of the frames, so the worker takes a little more than half of the tracking.
 */
const WORKER_SIXTEENTHS = 10;
const NANOS_PER_SECOND = 1_000_000_000;

/** A part's tracking: the pipeline (with TLS and HTTP) `analyze` runs over every frame. */
export class ConnectionAnalysis {
  readonly tls: ReturnType<typeof tlsForFile>;
  readonly http = new HttpDissector();
  readonly pipeline: FramePipeline;
  readonly recorder: SynFloodRecorder | null;

  constructor(mslSeconds: number | undefined, keylog: string | undefined, recordFloods: boolean) {
    this.tls = tlsForFile(keylog, 'analyze');
    let tracker: { currentFrame: number } | null = null;
    this.recorder = recordFloods ? new SynFloodRecorder(() => tracker?.currentFrame ?? 0) : null;
    this.pipeline = new FramePipeline({ ...(mslSeconds === undefined ? {} : { mslSeconds }), ...(this.recorder ? { synFloodSink: this.recorder } : {}) }, this.tls.dissector);
    this.pipeline.http = this.http;
    tracker = this.pipeline.tracker;
  }

  /** Writes connection `c` (numbered `stream` in the output) in `format`: JSON into `writer`, text returned. */
  render(c: ConnectionSummary, stream: number, format: ConnectionFormat, writer: () => NdjsonWriter): string | null {
    const local = c.stream;
    const connection = stream === local ? c : { ...c, stream };
    if (format === 'zeek-tsv') return zeekConnTsv(connection);
    if (format === 'zeek-json') return zeekConnJson(connection);
    const tlsSummary = this.tls.dissector.summary(local);
    const httpSummary = this.http.summary(local);
    if (format === 'json') {
      // Straight to bytes; only a TLS or HTTP part is built as an object first.
      let tlsJson: JsonValue | undefined;
      if (tlsSummary) {
        const holder: JsonObject = {};
        const hellos = connectionTlsJson(connection);
        if (hellos) holder.tls = hellos;
        addTlsSummary(holder, tlsSummary);
        tlsJson = holder.tls;
      }
      writeConnectionJson(writer(), connection, tlsJson, httpSummary ? httpSummaryJson(httpSummary) : undefined);
      return null;
    }
    const text = tlsSummaryText(tlsSummary);
    const rendered = renderConnection(connection, httpSummary ? httpLadderSteps(httpSummary) : []);
    return text ? `${rendered}\n${text}` : rendered;
  }
}

/** Thrown from the frame loop when the capture needs one thread (see the module comment). */
class NeedsOneThread extends Error {}

/** Which part an address pair belongs to: the same for both directions. */
function workerTakes(ipVersion: number, src: Uint32Array, dst: Uint32Array): boolean {
  const words = ipVersion === 4 ? 1 : 4;
  return ((hashWords(src, words, 0) + hashWords(dst, words, 0)) >>> 28) < WORKER_SIXTEENTHS;
}

type ToWorker = { batch: FrameBatch } | { finish: { sec: number; ns: number } } | { streams: Float64Array; format: ConnectionFormat } | 'more';
type FromWorker =
  | 'tracked'
  | { finished: { firstFrames: Float64Array; flood: SynFloodLog } }
  | { lines: { streams: Float64Array; ends: Float64Array; bytes: Uint8Array } }
  | 'done'
  | { error: string };

/** What the caller writes from: this thread's part, the worker's lines, and the merged stream numbers. */
export interface TwoThreadAnalysis {
  result: CaptureFileReadResult;
  /** This thread's connections with their output stream numbers, merged with the worker's lines. */
  eachOutput(format: ConnectionFormat): AsyncIterableIterator<{ connection: ConnectionSummary; stream: number } | { bytes: Uint8Array }>;
  alerts: readonly SynFloodAlert[];
  close(): void;
}

/**
 * Reads and tracks `file` on two threads. `onFrame` sees every frame first (for what stays on
 * this thread: link types, QUIC over UDP). When it cannot (not running from a bundle, no
 * worker threads, or a capture that needs one thread), `oneThread` says why, and nothing was output.
 */
export async function analyzeOnTwoThreads(
  file: string,
  mslSeconds: number | undefined,
  keylog: string | undefined,
  local: ConnectionAnalysis,
  onFrame: (frame: CaptureFrame, pipeline: FramePipeline | null) => void,
): Promise<TwoThreadAnalysis | { oneThread: string }> {
  if (!__filename.endsWith('.cjs') || !local.recorder) return { oneThread: 'not running from a bundle' };
  let worker: Worker;
  try {
    worker = new Worker(__filename, { workerData: { role: ROLE, mslSeconds, keylog } });
  } catch (error) {
    return { oneThread: `no worker thread (${error instanceof Error ? error.message : String(error)})` };
  }
  const channel = new WorkerChannel(worker);
  try {
    const packer = new FrameBatchPacker();
    // The pipeline's own summary: a frame tracked here is not summarized twice.
    const summary = local.pipeline.lastSummary;
    // The latest TCP frame time up to each frame, as a single tracker holds it (for the flood replay).
    let latestAt = new Float64Array(1 << 16);
    let latestSec = 0;
    let latestNs = 0;
    let frames = 0;
    const result = await readCaptureFile(
      file,
      {
        onSecrets(type, data) {
          local.tls.onSecrets(type, data);
          packer.addSecrets(type, data);
        },
        onFrame(frame) {
          summarizeAt(frame.buffer, frame.bufferOffset, frame.capturedLength, frame.linkType, summary, frame.originalLength);
          if (summary.fragment) throw new NeedsOneThread('IP fragments');
          const tcp = summary.protocol === 6 && summary.transportOffset >= 0 && summary.tcpHeaderLength >= 20 && (summary.ipVersion === 4 || summary.ipVersion === 6);
          if (tcp && (frame.tsSeconds > latestSec || (frame.tsSeconds === latestSec && frame.tsNanos > latestNs))) {
            latestSec = frame.tsSeconds;
            latestNs = frame.tsNanos;
          }
          frames = frame.frameNumber;
          if (frames >= latestAt.length) {
            const grown = new Float64Array(Math.max(frames + 1, latestAt.length * 2));
            grown.set(latestAt);
            latestAt = grown;
          }
          latestAt[frames] = latestSec + latestNs / NANOS_PER_SECOND;
          if (tcp && workerTakes(summary.ipVersion, summary.srcWords, summary.dstWords)) {
            packer.add(frame);
            onFrame(frame, null);
          } else {
            local.pipeline.track(frame, true);
            onFrame(frame, local.pipeline);
          }
        },
      },
      {
        whenReady: () => {
          channel.check();
          if (!packer.empty) {
            const { batch, transfer } = packer.take();
            channel.send({ batch }, transfer);
            channel.inFlight++;
          }
          return channel.inFlight >= MAX_BATCHES_IN_FLIGHT ? channel.tracked() : null;
        },
      },
    );
    if (!packer.empty) {
      const { batch, transfer } = packer.take();
      channel.send({ batch }, transfer);
    }
    channel.send({ finish: { sec: latestSec, ns: latestNs } });
    local.pipeline.tracker.finish(latestSec, latestNs);
    const finished = await channel.finished();
    // tcp.stream in order of first frame across both parts.
    const ours = local.pipeline.tracker.streamFirstFrames();
    const theirs = finished.firstFrames;
    const ourStreams = new Float64Array(ours.length);
    const theirStreams = new Float64Array(theirs.length);
    for (let i = 0, j = 0; i < ours.length || j < theirs.length; ) {
      if (j >= theirs.length || (i < ours.length && ours[i] < theirs[j])) {
        ourStreams[i] = i + j;
        i++;
      } else {
        theirStreams[j] = i + j;
        j++;
      }
    }
    const detector = new SynFloodDetector();
    replaySynFloodLogs(detector, [local.recorder.log(), finished.flood], (frame) => latestAt[frame]);
    return {
      result,
      alerts: detector.alerts(),
      eachOutput: (format) => mergedOutput(local, ourStreams, channel, theirStreams, format),
      close: () => void worker.terminate(),
    };
  } catch (error) {
    void worker.terminate();
    if (error instanceof NeedsOneThread || error instanceof WorkerUnavailable) return { oneThread: error.message };
    throw error;
  }
}

class WorkerUnavailable extends Error {}

/** This thread's side of the worker: messages in order, with waits for the one expected next. */
class WorkerChannel {
  inFlight = 0;
  private started = false;
  private failure: Error | null = null;
  private readonly inbox: FromWorker[] = [];
  private waiting: (() => void) | null = null;

  constructor(private readonly worker: Worker) {
    worker.on('message', (message: FromWorker) => {
      this.started = true;
      if (message === 'tracked') this.inFlight--;
      else if (typeof message === 'object' && 'error' in message) this.failure = new Error(`the analyze thread failed: ${message.error}`);
      else this.inbox.push(message);
      this.wake();
    });
    worker.once('error', (error) => {
      this.failure = this.started ? error : new WorkerUnavailable(error.message);
      this.wake();
    });
    worker.once('exit', (code) => {
      this.failure ??= this.started ? new Error(`the analyze thread stopped (exit code ${code})`) : new WorkerUnavailable(`exit code ${code}`);
      this.wake();
    });
  }

  send(message: ToWorker, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(message, transfer);
  }

  check(): void {
    if (this.failure) throw this.failure;
  }

  /** Resolves once the worker has tracked a batch more. */
  async tracked(): Promise<void> {
    const before = this.inFlight;
    while (this.inFlight >= before) await this.next();
  }

  async finished(): Promise<{ firstFrames: Float64Array; flood: SynFloodLog }> {
    const message = await this.take();
    if (typeof message !== 'object' || !('finished' in message)) throw new Error('the analyze thread answered out of order');
    return message.finished;
  }

  /** The worker's next lines, or null once it has sent them all. */
  async lines(): Promise<{ streams: Float64Array; ends: Float64Array; bytes: Uint8Array } | null> {
    const message = await this.take();
    if (message === 'done') return null;
    if (typeof message !== 'object' || !('lines' in message)) throw new Error('the analyze thread answered out of order');
    return message.lines;
  }

  private async take(): Promise<FromWorker> {
    while (this.inbox.length === 0) await this.next();
    return this.inbox.shift() as FromWorker;
  }

  private next(): Promise<void> {
    this.check();
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.();
  }
}

/** Both parts' connections in output order: this thread's to render, the worker's as finished lines. */
async function* mergedOutput(
  local: ConnectionAnalysis,
  ourStreams: Float64Array,
  channel: WorkerChannel,
  theirStreams: Float64Array,
  format: ConnectionFormat,
): AsyncIterableIterator<{ connection: ConnectionSummary; stream: number } | { bytes: Uint8Array }> {
  channel.send({ streams: theirStreams, format });
  const ours = local.pipeline.tracker.eachConnection();
  let mine = ours.next();
  let chunk = await channel.lines();
  let line = 0;
  for (;;) {
    while (chunk !== null && line >= chunk.ends.length) {
      channel.send('more');
      chunk = await channel.lines();
      line = 0;
    }
    if (mine.done && chunk === null) return;
    if (chunk === null || (!mine.done && ourStreams[mine.value.stream] < chunk.streams[line])) {
      const connection = mine.value as ConnectionSummary;
      yield { connection, stream: ourStreams[connection.stream] };
      mine = ours.next();
    } else {
      const start = line === 0 ? 0 : chunk.ends[line - 1];
      yield { bytes: chunk.bytes.subarray(start, chunk.ends[line]) };
      line++;
    }
  }
}

/** In an analyze-shard worker: tracks the frames it is sent, then writes their connections' lines. Elsewhere false. */
export function serveAnalyzeShardWorker(): boolean {
  const data = workerData as { role?: unknown; mslSeconds?: number; keylog?: string } | null;
  if (isMainThread || parentPort === null || data?.role !== ROLE) return false;
  const port = parentPort;
  try {
    const analysis = new ConnectionAnalysis(data.mslSeconds, data.keylog, true);
    const onFrame = (frame: CaptureFrame) => void analysis.pipeline.track(frame);
    let writing: Generator<void, void, void> | null = null;
    port.on('message', (message: ToWorker) => {
      try {
        if (message === 'more') writing?.next();
        else if ('batch' in message) {
          unpackFrameBatch(message.batch, onFrame, analysis.tls.onSecrets);
          port.postMessage('tracked');
        } else if ('finish' in message) {
          analysis.pipeline.tracker.finish(message.finish.sec, message.finish.ns);
          const firstFrames = analysis.pipeline.tracker.streamFirstFrames();
          const flood = (analysis.recorder as SynFloodRecorder).log();
          port.postMessage({ finished: { firstFrames, flood } }, [firstFrames.buffer as ArrayBuffer, flood.events.buffer as ArrayBuffer, flood.targetKeys.buffer as ArrayBuffer, flood.endpoints.buffer as ArrayBuffer]);
        } else {
          writing = writeLines(analysis, message.streams, message.format, port);
          writing.next();
        }
      } catch (error) {
        port.postMessage({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      }
    });
  } catch (error) {
    port.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
  return true;
}

/** Sends the worker's connection lines a chunk at a time, each after the main thread asked for more. */
function* writeLines(analysis: ConnectionAnalysis, streams: Float64Array, format: ConnectionFormat, port: MessagePort): Generator<void, void, void> {
  const writer = new NdjsonWriter(LINES_CHUNK * 2);
  const encoder = new TextEncoder();
  let lineStreams: number[] = [];
  let ends: number[] = [];
  const send = () => {
    const bytes = writer.bytes.slice(0, writer.length);
    const message: FromWorker = { lines: { streams: Float64Array.from(lineStreams), ends: Float64Array.from(ends), bytes } };
    port.postMessage(message, [bytes.buffer as ArrayBuffer]);
    writer.reset();
    lineStreams = [];
    ends = [];
  };
  for (const connection of analysis.pipeline.tracker.eachConnection()) {
    const stream = streams[connection.stream];
    const text = analysis.render(connection, stream, format, () => writer);
    if (text !== null) {
      writer.append(encoder.encode(text));
      writer.byte(0x0a);
    }
    lineStreams.push(stream);
    ends.push(writer.length);
    if (writer.length >= LINES_CHUNK) {
      send();
      yield;
    }
  }
  if (ends.length > 0) {
    send();
    yield;
  }
  port.postMessage('done');
}

