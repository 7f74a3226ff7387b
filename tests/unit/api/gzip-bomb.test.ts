/**
 * Gzip bombs and tiny-frame floods through the engine: the inflated copy of a .pcap.gz must
 * stop before the disk under it fills (a real 64 MiB tmpfs, and a mocked statfs), and the
 * frame index stops at its documented limit, each with a clear reason; the frames read before
 * the stop stay usable. tshark counts the frames of the same (uncompressed) data as the oracle.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEvent } from '../../../shared/api';
import { Backend, type BackendOptions } from '../../../electron/engine/backend';
import { frameLimitMessage } from '../../../electron/engine/resource-limits';

const MiB = 1024 * 1024;
const canMount = process.platform === 'linux' && process.getuid?.() === 0 && spawnSync('mount', ['--version']).status === 0;
const hasTshark = spawnSync('tshark', ['-v']).status === 0;

/** A pcap of `frames` identical 60-byte Ethernet/IPv4/UDP frames, 1 µs apart, as a stream of chunks. */
function* tinyFramePcap(frames: number): Generator<Buffer> {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20);
  yield header;
  const frame = Buffer.from('020000000002020000000001080045000024000100004011' + '0000c6120001c6120002138900090010000000000000000000000000000000000000', 'hex').subarray(0, 60);
  const perChunk = 10_000;
  for (let done = 0; done < frames; done += perChunk) {
    const count = Math.min(perChunk, frames - done);
    const chunk = Buffer.alloc(count * 76);
    for (let i = 0; i < count; i++) {
      const n = done + i;
      chunk.writeUInt32LE(1_700_000_000 + Math.floor(n / 1_000_000), i * 76);
      chunk.writeUInt32LE(n % 1_000_000, i * 76 + 4);
      chunk.writeUInt32LE(60, i * 76 + 8);
      chunk.writeUInt32LE(60, i * 76 + 12);
      frame.copy(chunk, i * 76 + 16);
    }
    yield chunk;
  }
}

async function writeGzip(file: string, frames: number): Promise<void> {
  await pipeline(Readable.from(tinyFramePcap(frames)), createGzip({ level: 6 }), createWriteStream(file));
}

/** Rewrites the gzip trailer's ISIZE, as a file above 4 GiB (ISIZE is the size mod 2^32) or a forged one would have it. */
function forgeAnnouncedSize(file: string, size: number): void {
  const bytes = readFileSync(file);
  bytes.writeUInt32LE(size, bytes.length - 4);
  writeFileSync(file, bytes);
}

interface Opened {
  backend: Backend;
  done: Extract<ApiEvent, { type: 'progress' }>;
}

async function openAndIndex(file: string, options: Partial<BackendOptions> = {}): Promise<Opened> {
  const backend = new Backend({ host: 'browser', version: 'test', ...options });
  let finished: (event: Extract<ApiEvent, { type: 'progress' }>) => void = () => undefined;
  const done = new Promise<Extract<ApiEvent, { type: 'progress' }>>((resolve) => (finished = resolve));
  backend.subscribe((event) => {
    if (event.type === 'progress' && event.done) finished(event);
  });
  try {
    await backend.openFile(file);
  } catch (error) {
    await backend.dispose();
    throw error;
  }
  return { backend, done: await done };
}

describe('gzip bombs and tiny-frame floods in the engine', () => {
  let dir: string;
  /** 200 MB of 60-byte frames, about 0.5 MB compressed. */
  let bomb: string;
  const bombFrames = Math.floor((200 * MiB) / 76);

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hw-live-gzbomb-'));
    bomb = path.join(dir, 'bomb.pcap.gz');
    await writeGzip(bomb, bombFrames);
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe.skipIf(!canMount)('on a 64 MiB tmpfs as TMPDIR (needs root to mount)', () => {
    let tmpfs: string;
    let savedTmpdir: string | undefined;
    beforeAll(() => {
      tmpfs = path.join(dir, 'tmpfs');
      mkdirSync(tmpfs);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', tmpfs]);
      savedTmpdir = process.env.TMPDIR;
      process.env.TMPDIR = tmpfs;
    });
    afterAll(() => {
      if (savedTmpdir === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = savedTmpdir;
      spawnSync('umount', [tmpfs]);
    });

    it('refuses up front when the size the gzip trailer announces does not fit', async () => {
      expect(bomb.length).toBeGreaterThan(0);
      await expect(openAndIndex(bomb)).rejects.toThrow(/bomb\.pcap\.gz inflates to about 200 MiB, but only \d+ MiB can be used in .*tmpfs.*set TMPDIR/);
      expect(readdirSync(tmpfs)).toEqual([]);
    });

    it('stops before the tmpfs fills when the trailer understates the size, keeping the frames read', async () => {
      const forged = path.join(dir, 'forged.pcap.gz');
      writeFileSync(forged, readFileSync(bomb));
      forgeAnnouncedSize(forged, 4096);
      const { backend, done } = await openAndIndex(forged);
      try {
        const stats = statfsSync(tmpfs);
        const used = (stats.blocks - stats.bavail) * stats.bsize;
        // Stopped with the margin (16 MiB on this size) still free: never filled.
        expect(used).toBeLessThanOrEqual(64 * MiB - 16 * MiB);
        expect(used).toBeGreaterThan(16 * MiB);
        expect(done.error).toMatch(/^stopped inflating forged\.pcap\.gz after \d+ MiB: only \d+ MiB left free in .*set TMPDIR/);
        expect(done.frames).toBeGreaterThan(100_000);
        expect(done.frames).toBeLessThan(bombFrames);
      } finally {
        await backend.dispose();
      }
      expect(readdirSync(tmpfs)).toEqual([]);
    }, 120_000);
  });

  it('stops inflating when a (mocked) statfs says the disk is nearly full', async () => {
    const forged = path.join(dir, 'forged-mock.pcap.gz');
    writeFileSync(forged, readFileSync(bomb));
    forgeAnnouncedSize(forged, 4096);
    // A 200 MiB disk (margin 16 MiB) with 80 MiB free that loses 8 MiB (one check interval) per check.
    let free = 80 * MiB;
    const checkedDirectories = new Set<string>();
    const { backend, done } = await openAndIndex(forged, {
      limits: {
        space: (directory) => {
          checkedDirectories.add(directory);
          const answer = { free, total: 200 * MiB, tmpfs: false };
          free -= 8 * MiB;
          return answer;
        },
      },
    });
    await backend.dispose();
    expect([...checkedDirectories]).toEqual([os.tmpdir()]);
    expect(done.error).toMatch(/^stopped inflating forged-mock\.pcap\.gz after \d+ MiB: only \d+ MiB left free in /);
    expect(done.frames).toBeGreaterThan(0);
    expect(done.frames).toBeLessThan(bombFrames);
  }, 120_000);

  it.skipIf(!hasTshark)('stops indexing at the frame limit with its reason, keeping those frames', async () => {
    const plain = path.join(dir, 'tiny.pcap');
    const chunks = [...tinyFramePcap(3000)];
    writeFileSync(plain, Buffer.concat(chunks));
    const total = execFileSync('tshark', ['-r', plain, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' }).split('\n').filter(Boolean).length;
    expect(total).toBe(3000);
    const { backend, done } = await openAndIndex(plain, { limits: { maxFrames: 1000 } });
    try {
      expect(done.frames).toBe(1000);
      expect(done.error).toBe(frameLimitMessage(1000));
      expect(done.error).toMatch(/stopped indexing at 1,000 frames: the index takes about 100 bytes of memory a frame/);
    } finally {
      await backend.dispose();
    }
  });
});
