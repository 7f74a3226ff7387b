/**
 * Capture-file reading speed: streams the benchmark capture (pcapng, ns) and a pcap
 * copy of it through readCaptureFile, touching every frame's first byte, and prints
 * frames/s, MB/s and peak RSS. Target: well above the 2,000,000 frames/s the whole
 * decode pipeline needs, with RSS bounded while streaming.
 *
 * usage: files.ts [FRAMES=1000000]   (run via `npm run bench:files`)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { convertCaptureFile, readCaptureFile } from '../../electron/engine/capture-file';
import type { CaptureFrame } from '../../shared/files';

const frames = Number(process.argv[2] ?? 1_000_000);
const root = path.resolve(__dirname, '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'bench-files-'));
const pcapng = path.join(dir, 'bench.pcapng');
const pcap = path.join(dir, 'bench.pcap');

let peakRss = 0;
const sampleRss = () => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
};

async function measure(label: string, file: string): Promise<void> {
  let checksum = 0;
  const onFrame = (frame: CaptureFrame) => {
    checksum = (checksum + frame.buffer[frame.bufferOffset] + frame.capturedLength) | 0;
  };
  const timer = setInterval(sampleRss, 50);
  const started = process.hrtime.bigint();
  const result = await readCaptureFile(file, { onFrame });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(timer);
  sampleRss();
  if (result.damage) throw result.damage;
  const megabytes = statSync(file).size / 1e6;
  console.log(
    `${label.padEnd(8)} ${result.frames} frames, ${megabytes.toFixed(0)} MB in ${seconds.toFixed(2)} s: ` +
      `${Math.round(result.frames / seconds).toLocaleString('en')} frames/s, ${(megabytes / seconds).toFixed(0)} MB/s ` +
      `(peak RSS so far ${(peakRss / 1e6).toFixed(0)} MB, checksum ${checksum})`,
  );
}

async function main(): Promise<void> {
  try {
    const generator = spawnSync(process.execPath, [path.join(root, 'build/scripts/run-ts.mjs'), path.join(root, 'tests/bench/generate-capture.ts'), pcapng, String(frames)], {
      stdio: 'inherit',
    });
    if (generator.status !== 0 || !existsSync(pcapng)) throw new Error('capture generator failed');
    await convertCaptureFile(pcapng, pcap, 'pcap');
    await measure('pcapng', pcapng);
    await measure('pcap', pcap);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
