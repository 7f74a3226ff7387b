/**
 * Buffered stdout for commands that print a line per frame: one write per ~64 KiB instead
 * of one per line, and a reader that went away (`| head`) ends the command quietly.
 * (stdout to a pipe or file is synchronous on POSIX, so pending output stays bounded.)
 */
export class LineOutput {
  private pending: string[] = [];
  private pendingLength = 0;
  private closed = false;

  constructor(private readonly stream: NodeJS.WriteStream = process.stdout) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') this.closed = true;
      else throw error;
    });
  }

  /** False once the reader has gone away; producers should stop. */
  get open(): boolean {
    return !this.closed;
  }

  line(text: string): void {
    if (this.closed) return;
    this.pending.push(text);
    this.pendingLength += text.length + 1;
    if (this.pendingLength >= 65536) this.flushSync();
  }

  private flushSync(): void {
    if (this.pending.length === 0 || this.closed) return;
    const text = `${this.pending.join('\n')}\n`;
    this.pending = [];
    this.pendingLength = 0;
    this.stream.write(text);
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
