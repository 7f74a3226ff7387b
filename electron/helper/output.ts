/**
 * The helper's stdout. cap's kernel ring holds only about 4000 frames (see DEFAULT_BUFFER_SIZE),
 * so the helper must go back to draining it at once: a blocking write to a parent that is busy
 * for a few milliseconds would let the ring overflow, silently. Writes to a pipe therefore
 * queue in the helper (a backlog of at most MAX_BACKLOG bytes) instead of blocking. Past that,
 * frame batches are refused and counted, so a loss is visible instead of silent; control
 * messages always go out.
 */
import { fstatSync, writeSync } from 'node:fs';
import net from 'node:net';

/** Queued output the helper holds while its reader is behind. */
export const MAX_BACKLOG = 256 * 1024 * 1024;

export interface HelperOutput {
  /** Queues a message; never blocks on a pipe. */
  write(bytes: Uint8Array): void;
  /** Queues a frame batch unless the backlog is full; false when it was refused. */
  writeDroppable(bytes: Uint8Array): boolean;
  /** Bytes written but not yet taken by the reader. */
  readonly backlog: number;
  /** Calls `done` once everything queued has been handed to the OS (or the reader is gone). */
  drain(done: () => void): void;
}

/** fd 1 as a non-blocking stream when it is a pipe or socket; otherwise (a file, a terminal) plain blocking writes. */
export function createHelperOutput(onReaderGone: () => void): HelperOutput {
  const stat = fstatSync(1);
  if (!stat.isFIFO() && !stat.isSocket()) {
    return {
      write: (bytes) => writeAll(bytes),
      writeDroppable: (bytes) => (writeAll(bytes), true),
      backlog: 0,
      drain: (done) => done(),
    };
  }
  const socket = new net.Socket({ fd: 1, readable: false, writable: true });
  socket.on('error', onReaderGone);
  return {
    write: (bytes) => void socket.write(bytes),
    writeDroppable: (bytes) => {
      if (socket.writableLength + bytes.length > MAX_BACKLOG) return false;
      socket.write(bytes);
      return true;
    },
    get backlog() {
      return socket.writableLength;
    },
    drain: (done) => {
      if (socket.writableLength === 0 || socket.destroyed) return done();
      let called = false;
      const once = () => {
        if (!called) (called = true), done();
      };
      socket.once('drain', once);
      socket.once('close', once);
    },
  };
}

function writeAll(bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(1, bytes, offset, bytes.length - offset);
}
