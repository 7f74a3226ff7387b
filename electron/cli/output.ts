/**
 * stdout for commands that print a line per frame or connection: one write per ~64 KiB
 * instead of one per line, and backpressure. stdout to a pipe is asynchronous in Node, so a
 * slow reader (jq, a pager) would otherwise make every line wait in memory. Producers ask
 * `ready()` between steps and await it when the reader is behind. A reader that went away
 * (`| head`) ends the command quietly.
 *
 * A live capture cannot wait for its reader (the kernel ring would overflow): with
 * `maxBuffered` set, lines beyond that many unwritten bytes are dropped and counted
 * instead, while the capture file keeps every frame.
 */
import type { Writable } from 'node:stream';
import { NdjsonWriter } from '../../shared/ndjson/writer';

const BATCH_BYTES = 65536;
/** Unwritten bytes above which a file command pauses: a few batches, so the pipe never runs dry. */
const HIGH_WATER = 4 * BATCH_BYTES;

export interface LineOutputOptions {
  /** Drop (and count) lines while this many bytes wait to be written, instead of pausing. */
  maxBuffered?: number;
}

export class LineOutput {
  private pending: string[] = [];
  private pendingLength = 0;
  private closed = false;
  private droppedLines = 0;
  private readonly maxBuffered: number | undefined;
  /** Lines serialized straight to bytes (file commands' JSON and -e output); never dropped. */
  private readonly writer = new NdjsonWriter();

  constructor(
    private readonly stream: Writable = process.stdout,
    options: LineOutputOptions = {},
  ) {
    this.maxBuffered = options.maxBuffered;
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') this.closed = true;
      else throw error;
    });
  }

  /** False once the reader has gone away; producers should stop. */
  get open(): boolean {
    return !this.closed;
  }

  /** Lines dropped because the reader was too far behind (only with `maxBuffered`). */
  get dropped(): number {
    return this.droppedLines;
  }

  line(text: string): void {
    if (this.closed) return;
    if (this.maxBuffered !== undefined && this.stream.writableLength + this.pendingLength > this.maxBuffered) {
      this.droppedLines++;
      return;
    }
    if (this.writer.length > 0) this.flushBytes();
    this.pending.push(text);
    this.pendingLength += text.length + 1;
    if (this.pendingLength >= BATCH_BYTES) this.flushSync();
  }

  /**
   * The byte writer for the next line(s), in order after any text lines; call `wrote()` after
   * each line so full batches go out.
   */
  bytes(): NdjsonWriter {
    if (this.pending.length > 0) this.flushText();
    return this.writer;
  }

  wrote(): void {
    if (this.closed) this.writer.reset();
    else if (this.writer.length >= BATCH_BYTES) this.flushBytes();
  }

  /** Bytes of whole lines written elsewhere (another thread), in order after everything before. */
  chunk(bytes: Uint8Array, done: () => void): void {
    if (this.closed) {
      done();
      return;
    }
    this.flushSync();
    this.stream.write(bytes, () => done());
  }

  /** Null when the producer may go on; otherwise a promise that resolves once the reader has caught up. */
  ready(): Promise<void> | null {
    if (this.closed || this.stream.writableLength < HIGH_WATER) return null;
    return new Promise<void>((resolve) => {
      const done = () => {
        this.stream.off('drain', done);
        this.stream.off('close', done);
        resolve();
      };
      this.stream.on('drain', done);
      this.stream.on('close', done);
    });
  }

  /** Hands what is pending to the stream now, without waiting (live output, every 100 ms). */
  flushSync(): void {
    this.flushText();
    this.flushBytes();
  }

  private flushText(): void {
    if (this.pending.length === 0 || this.closed) return;
    const text = `${this.pending.join('\n')}\n`;
    this.pending = [];
    this.pendingLength = 0;
    this.stream.write(text);
  }

  private flushBytes(): void {
    const writer = this.writer;
    if (writer.length === 0) return;
    if (!this.closed) {
      this.stream.write(writer.bytes.subarray(0, writer.length));
      // A stream that took the bytes at once (a file, a pipe with room) holds no reference and the
      // buffer is reused; one still holding them keeps it, and the writer takes a new one. A copy
      // per batch made a 64 KiB buffer of garbage each time, outside the heap until a collection.
      if (this.stream.writableLength > 0) writer.bytes = new Uint8Array(writer.bytes.length);
    }
    writer.reset();
  }

  /** Writes what is pending and resolves once the stream has taken it. */
  async flush(): Promise<void> {
    this.flushSync();
    if (this.closed) return;
    await new Promise<void>((resolve) => {
      if (this.stream.writableNeedDrain) this.stream.once('drain', resolve);
      else resolve();
    });
  }
}
