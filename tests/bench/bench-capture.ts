/** The benchmarks' generated capture: made once per frame count and cached under tests/bench/data. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
export const BENCH_DATA = path.join(ROOT, 'tests', 'bench', 'data');

export function benchCapture(frames: number): string {
  const file = path.join(BENCH_DATA, `bench-${frames}.pcapng`);
  if (existsSync(file)) return file;
  mkdirSync(BENCH_DATA, { recursive: true });
  const generator = spawnSync(process.execPath, [path.join(ROOT, 'build/scripts/run-ts.mjs'), path.join(ROOT, 'tests/bench/generate-capture.ts'), file, String(frames)], { stdio: 'inherit' });
  if (generator.status !== 0) throw new Error('capture generator failed');
  return file;
}
