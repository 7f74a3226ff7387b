/**
 * What a file session may take from the machine: the disk a gzip file is inflated onto
 * (a 10 MB bomb inflates to gigabytes, and /tmp is often tmpfs, i.e. RAM) and the memory of
 * its frame index (tiny frames make many of them).
 */
import { statfsSync } from 'node:fs';
import os from 'node:os';

/** statfs f_type of tmpfs: its pages are RAM (or swap), so free memory bounds it too. */
const TMPFS_MAGIC = 0x01021994;
const MiB = 1024 * 1024;

export interface SpaceInfo {
  /** Bytes an unprivileged writer may still use. */
  free: number;
  /** Size of the filesystem. */
  total: number;
  tmpfs: boolean;
}

export function spaceAt(directory: string): SpaceInfo {
  const stats = statfsSync(directory);
  const tmpfs = stats.type === TMPFS_MAGIC;
  const free = stats.bavail * stats.bsize;
  return { free: tmpfs ? Math.min(free, os.freemem()) : free, total: stats.blocks * stats.bsize, tmpfs };
}

/** Left free for everyone else: 5 % of the filesystem, at least 16 MiB, at most 1 GiB. */
export function spaceMargin(total: number): number {
  return Math.min(1024 * MiB, Math.max(16 * MiB, Math.floor(total * 0.05)));
}

const mib = (bytes: number) => `${Math.max(0, Math.round(bytes / MiB)).toLocaleString('en-US')} MiB`;

/** Where the inflated copy goes, and how to put it elsewhere, for the messages below. */
function advice(directory: string, tmpfs: boolean): string {
  return `${directory}${tmpfs ? ' (tmpfs: memory)' : ''}; set TMPDIR to a roomier disk, or decompress the file there first`;
}

/**
 * Watches the inflated copy of a gzip file as it grows: refuses before starting when the size
 * the gzip trailer announces would not fit, and stops before the disk's margin is reached
 * (the trailer holds the size modulo 4 GiB, so it can understate).
 */
export class InflateGuard {
  private written = 0;
  private nextCheck = 0;

  constructor(
    private readonly directory: string,
    private readonly space: (directory: string) => SpaceInfo = spaceAt,
    /** Bytes between two statfs calls. */
    private readonly checkEvery = 8 * MiB,
  ) {}

  /** Throws when `announced` bytes would not fit with the margin to spare. */
  checkBefore(file: string, announced: number): void {
    const { free, total, tmpfs } = this.space(this.directory);
    const margin = spaceMargin(total);
    if (announced > free - margin) {
      throw new Error(`${file} inflates to about ${mib(announced)}, but only ${mib(free - margin)} can be used in ${advice(this.directory, tmpfs)}`);
    }
  }

  /** Called before each decompressed chunk is written; throws before the margin would be crossed. */
  willWrite(file: string, bytes: number): void {
    this.written += bytes;
    if (this.written < this.nextCheck) return;
    const { free, total, tmpfs } = this.space(this.directory);
    const margin = spaceMargin(total);
    // Checked again after at most checkEvery bytes, so stop while that much still fits.
    if (free - bytes - this.checkEvery < margin) {
      throw new Error(`stopped inflating ${file} after ${mib(this.written - bytes)}: only ${mib(free)} left free in ${advice(this.directory, tmpfs)}; the frames before this point were read`);
    }
    this.nextCheck = this.written + this.checkEvery;
  }
}

/**
 * Resident memory of the frame index per frame, measured for 60-byte UDP frames through the
 * engine (FrameIndex columns plus tracking): 94 bytes a frame at 1M frames, 69 at 4M.
 * The limit below uses the higher figure.
 */
export const INDEX_BYTES_PER_FRAME = 100;

/** Frames one session indexes at most: a quarter of physical memory at INDEX_BYTES_PER_FRAME. */
export function defaultMaxIndexedFrames(): number {
  return Math.floor((os.totalmem() * 0.25) / INDEX_BYTES_PER_FRAME);
}

export function frameLimitMessage(limit: number): string {
  return (
    `stopped indexing at ${limit.toLocaleString('en-US')} frames: the index takes about ${INDEX_BYTES_PER_FRAME} bytes of memory a frame, ` +
    `and this many use a quarter of this machine's memory; split the file (editcap -c) to see the rest`
  );
}
