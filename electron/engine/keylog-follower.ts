/**
 * Follows an NSS key-log file while a capture runs (browsers append a connection's secrets as
 * its handshake goes): polls it, hands each new complete line to the key log the TLS dissector
 * reads, and the same bytes to `onLines` (the capture embeds them as a Decryption Secrets
 * Block). The file may not exist yet when following starts, and may be truncated and rewritten.
 * `poll()` is cheap (one stat when nothing changed): a capture calls it before spooling each
 * batch, so a secret logged before its records were sent lands in the file ahead of them.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { decodeUtf8 } from '../../shared/files/utf8';
import type { KeyLog } from '../../shared/tls/keylog';

const POLL_MS = 200;
const READ_CHUNK = 1 << 20;

export class KeyLogFollower {
  private offset = 0;
  /** A last line not yet ended by its newline. */
  private partial: Uint8Array = new Uint8Array(0);
  private timer: NodeJS.Timeout | null = null;
  private lastError: string | null = null;

  constructor(
    private readonly path: string,
    private readonly keyLog: KeyLog,
    private readonly onLines: (lines: Uint8Array) => void,
    /** `waiting` is true while the file does not exist yet (a browser creates it on its first secret). */
    private readonly onProblem: (message: string, waiting: boolean) => void = () => {},
  ) {}

  start(): void {
    this.poll();
    this.timer = setInterval(() => this.poll(), POLL_MS);
  }

  /** One last read (secrets written just before the capture stopped), then stop. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.poll();
  }

  poll(): void {
    let fd: number;
    try {
      const size = statSync(this.path).size;
      if (size < this.offset) {
        // Truncated (a new log): start over; secrets already taken stay known.
        this.offset = 0;
        this.partial = new Uint8Array(0);
      }
      if (size === this.offset) return;
      fd = openSync(this.path, 'r');
    } catch (error) {
      const waiting = (error as NodeJS.ErrnoException).code === 'ENOENT';
      const message = waiting ? `key log ${this.path} does not exist yet; waiting for it` : `key log ${this.path}: ${(error as Error).message}`;
      if (message !== this.lastError) this.onProblem(message, waiting);
      this.lastError = message;
      return;
    }
    try {
      const chunk = Buffer.alloc(READ_CHUNK);
      for (;;) {
        const read = readSync(fd, chunk, 0, READ_CHUNK, this.offset);
        if (read <= 0) break;
        this.offset += read;
        this.take(chunk.subarray(0, read));
      }
      this.lastError = null;
    } catch (error) {
      // A directory, or a file that became unreadable: said once, never thrown out of a timer.
      const message = `key log ${this.path}: ${(error as Error).message}`;
      if (message !== this.lastError) this.onProblem(message, false);
      this.lastError = message;
    } finally {
      closeSync(fd);
    }
  }

  private take(bytes: Uint8Array): void {
    const data = this.partial.length > 0 ? Buffer.concat([this.partial, bytes]) : bytes;
    const lastNewline = data.lastIndexOf(0x0a);
    if (lastNewline < 0) {
      this.partial = Uint8Array.from(data);
      return;
    }
    const lines = Uint8Array.from(data.subarray(0, lastNewline + 1));
    this.partial = Uint8Array.from(data.subarray(lastNewline + 1));
    const before = this.keyLog.size;
    this.keyLog.append(decodeUtf8(lines, 0, lines.length));
    if (this.keyLog.size > before) this.onLines(lines);
  }
}
