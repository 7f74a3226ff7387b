/** Shared by the QUIC tests: read a capture file and run its UDP datagrams through the attempt tracker. */
import { spawnSync } from 'node:child_process';
import { readCaptureFile } from '../../../electron/engine/capture-file';
import { createNodeQuicCrypto } from '../../../electron/engine/quic-crypto';
import type { QuicPacketInfo } from '../../../shared/quic/analyze';
import type { QuicCrypto } from '../../../shared/quic/crypto';
import { QuicAttemptTracker } from '../../../shared/quic/tracker';
import { createPacketSummary } from '../../../shared/wire/summary';
import { summarize } from '../../../shared/wire/summarize';

export interface StoredFrame {
  frameNumber: number;
  linkType: number;
  tsSeconds: number;
  tsNanos: number;
  originalLength: number;
  data: Uint8Array;
}

export async function readFrames(path: string): Promise<StoredFrame[]> {
  const frames: StoredFrame[] = [];
  const result = await readCaptureFile(path, {
    onFrame(frame) {
      const { frameNumber, linkType, tsSeconds, tsNanos, originalLength } = frame;
      frames.push({ frameNumber, linkType, tsSeconds, tsNanos, originalLength, data: frame.data.slice() });
    },
  });
  if (result.damage) throw result.damage;
  return frames;
}

/** Every frame through the tracker in capture order; the per-frame packet records are kept. */
export async function trackCapture(
  path: string,
  crypto: QuicCrypto = createNodeQuicCrypto(),
): Promise<{ tracker: QuicAttemptTracker; perFrame: Map<number, QuicPacketInfo[]> }> {
  const tracker = new QuicAttemptTracker(crypto);
  const summary = createPacketSummary();
  const perFrame = new Map<number, QuicPacketInfo[]>();
  for (const frame of await readFrames(path)) {
    summarize(frame.data, frame.linkType, summary, frame.originalLength);
    perFrame.set(frame.frameNumber, await tracker.observeFrame(frame.frameNumber, frame.tsSeconds, frame.tsNanos, summary, frame.data));
  }
  return { tracker, perFrame };
}

/** tshark's fields for every frame (tab-separated, one row per frame), with its own QUIC Initial decryption. */
export function tsharkFields(path: string, fields: string[], filter = 'quic'): string[][] {
  const args = ['-r', path, '-Y', filter, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,'];
  for (const field of fields) args.push('-e', field);
  const run = spawnSync('tshark', args, { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`tshark failed: ${run.stderr}`);
  return run.stdout
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => line.split('\t'));
}

export function commandExists(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}
