import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleForTest } from '../../support/bundle';
import { buildCliWithWorker, ROOT } from '../../support/cli';
import { runWithStalledReader, writePeakPreload } from '../../support/stalled-reader';

const FRAMES = 200_000;
const STALL_MS = 8000;
const PEAK_LIMIT_KB = 300 * 1024;

const hasCapinfos = spawnSync('capinfos', ['-h']).status === 0;
const hasTshark = spawnSync('tshark', ['-v']).status === 0;

// A slow consumer (jq, a pager, a script that pauses) must not make the CLI buffer its whole output.
describe.skipIf(process.platform !== 'linux' || !hasCapinfos || !hasTshark)('decode and analyze with a reader that stalls', () => {
  let directory: string;
  let cli: string;
  let built: string;
  let capture: string;
  let preload: string;
  beforeAll(() => {
    directory = mkdtempSync(path.join(os.tmpdir(), 'hw-live-backpressure-'));
    // Beside node_modules (out/test), with decode --json's worker, as the shipped CLI is.
    built = path.join(ROOT, 'out', 'test', `backpressure-${process.pid}`);
    mkdirSync(built, { recursive: true });
    cli = buildCliWithWorker(built);
    preload = writePeakPreload(directory);
    const generator = bundleForTest('generate-capture', 'tests/bench/generate-capture.ts');
    capture = path.join(directory, 'big.pcapng');
    execFileSync(process.execPath, [generator, capture, String(FRAMES), '2000']);
    rmSync(generator, { force: true });
  }, 120_000);
  afterAll(() => {
    rmSync(directory, { recursive: true, force: true });
    rmSync(built, { recursive: true, force: true });
  });

  // Two threads (the worker must start: HANDSHAKE_THREADS=2 makes a silent fallback an error) and one.
  for (const threads of ['2', '1']) {
    it(`decode --json on ${threads} thread(s) stays under 300 MB and prints every one of ${FRAMES} frames once the reader resumes`, async () => {
      const packets = Number(/Number of packets:\s*(\d+)/.exec(execFileSync('capinfos', ['-cM', capture], { encoding: 'utf8' }))?.[1]);
      expect(packets).toBe(FRAMES);
      const run = await runWithStalledReader(preload, [cli, 'decode', capture, '--json'], STALL_MS, { ...process.env, HANDSHAKE_THREADS: threads });
      expect(run.code, run.stderr).toBe(0);
      const lines = run.stdout.split('\n').filter((line) => line.length > 0);
      expect(lines).toHaveLength(packets);
      expect((JSON.parse(lines[0]) as Record<string, unknown>)['frame.number']).toBe(1);
      expect((JSON.parse(lines[lines.length - 1]) as Record<string, unknown>)['frame.number']).toBe(packets);
      expect(run.peakKb).toBeLessThan(PEAK_LIMIT_KB);
    }, 240_000);
  }

  it('analyze --json stays under 300 MB and prints every connection', async () => {
    const run = await runWithStalledReader(preload, [cli, 'analyze', capture, '--json'], STALL_MS);
    expect(run.code, run.stderr).toBe(0);
    const objects = run.stdout
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const connections = objects.filter((object) => object.type === 'connection');
    // tshark's count of TCP streams is the oracle for how many connections there are.
    const streams = new Set(execFileSync('tshark', ['-r', capture, '-T', 'fields', '-e', 'tcp.stream'], { encoding: 'utf8', maxBuffer: 1 << 26 }).split('\n').filter(Boolean));
    expect(connections).toHaveLength(streams.size);
    expect(run.peakKb).toBeLessThan(PEAK_LIMIT_KB);
  }, 240_000);
});
