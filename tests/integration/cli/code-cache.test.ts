/**
 * The launcher (electron/cli/bin.cjs) keeps V8's code cache beside the bundle, one per command:
 * the first successful run writes it, later runs print the same, and a damaged or stale cache is
 * rejected by V8 and rewritten, never trusted. decode --json's worker thread starts through the
 * launcher and keeps a cache of its own the same way.
 */
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleForTest } from '../../support/bundle';
import { buildCli, buildCliWithWorker, ROOT } from '../../support/cli';
import { tempDir } from '../../unit/wire/oracle/oracle';
import { PcapWriter } from '../../../shared/files/writer';

const root = tempDir('code-cache-');
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The launcher in `base`/electron/cli, with an empty `base`/out/node beside it, as installed. */
function launcherIn(base: string): string {
  mkdirSync(path.join(base, 'electron', 'cli'), { recursive: true });
  mkdirSync(path.join(base, 'out', 'node'), { recursive: true });
  const bin = path.join(base, 'electron', 'cli', 'bin.cjs');
  copyFileSync(path.join(ROOT, 'electron', 'cli', 'bin.cjs'), bin);
  return bin;
}

function install(): { bin: string; cache: (command: string) => string } {
  const bin = launcherIn(root);
  copyFileSync(buildCli(), path.join(root, 'out', 'node', 'handshake.cjs'));
  return { bin, cache: (command) => path.join(root, 'out', 'node', `handshake.cjs.${command}.v8cache`) };
}

/** The launcher with the bundle and its worker as shipped (out/node), in a directory of its own (`base`; `built` inside it for scratch files). */
function installWithWorker(name: string): { base: string; bin: string; worker: string; built: string } {
  const base = tempDir(`${name}-`);
  const bin = launcherIn(base);
  const built = path.join(base, 'built');
  mkdirSync(built);
  buildCliWithWorker(built);
  const worker = path.join(base, 'out', 'node', 'decode-worker.cjs');
  copyFileSync(path.join(built, 'decode-worker.cjs'), worker);
  copyFileSync(path.join(built, 'handshake.cjs'), path.join(base, 'out', 'node', 'handshake.cjs'));
  return { base, bin, worker, built };
}

const cliEnv = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({ ...process.env, NODE_PATH: path.join(ROOT, 'node_modules'), ...env });

const run = (bin: string, args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', maxBuffer: 1 << 26, env: cliEnv(env) });

describe('handshake launcher code cache', () => {
  it('is written by the first run, used by the next, and a damaged one is replaced', () => {
    const { bin, cache: cacheOf } = install();
    const cache = cacheOf('other');
    expect(existsSync(cache)).toBe(false);
    const first = run(bin, ['--help']);
    expect(first.status).toBe(0);
    expect(first.stdout).toContain('handshake decode FILE');
    expect(existsSync(cache)).toBe(true);
    const written = readFileSync(cache);
    const second = run(bin, ['--help']);
    expect(second.stdout).toBe(first.stdout);
    expect(readFileSync(cache).equals(written)).toBe(true); // accepted: not rewritten

    writeFileSync(cache, Buffer.alloc(written.length, 0x5a));
    const damaged = run(bin, ['--help']);
    expect(damaged.stdout).toBe(first.stdout); // from a normal compile
    expect(readFileSync(cache).equals(Buffer.alloc(written.length, 0x5a))).toBe(false);
  });

  it('keeps one cache per command, and none for a failed run', () => {
    const { bin, cache } = install();
    const mistyped = run(bin, ['analyse']);
    expect(mistyped.status).toBe(2);
    expect(mistyped.stderr).toContain('unknown command');
    expect(existsSync(cache('analyse'))).toBe(false);
    const analyze = run(bin, ['analyze', '--help']);
    expect(analyze.status).toBe(0);
    expect(existsSync(cache('analyze'))).toBe(true);
    expect(existsSync(cache('decode'))).toBe(false);
    const decode = run(bin, ['decode', '--help']);
    expect(decode.status).toBe(0);
    expect(existsSync(cache('decode'))).toBe(true);
    expect(readFileSync(cache('decode')).equals(readFileSync(cache('analyze')))).toBe(false);
  });

  it('is not used for a rebuilt bundle of the same length (V8 itself checks only the length)', () => {
    const { bin, cache } = install();
    const bundle = path.join(root, 'out', 'node', 'handshake.cjs');
    writeFileSync(bundle, 'process.stdout.write("build A\\n");\n');
    expect(run(bin, ['decode']).stdout).toBe('build A\n');
    expect(existsSync(cache('decode'))).toBe(true);
    expect(run(bin, ['decode']).stdout).toBe('build A\n'); // from the cache
    writeFileSync(bundle, 'process.stdout.write("build B\\n");\n');
    utimesSync(bundle, new Date(), new Date(Date.now() + 5000)); // a later build, whatever the clock's resolution
    expect(run(bin, ['decode']).stdout).toBe('build B\n');
    expect(run(bin, ['decode']).stdout).toBe('build B\n'); // the rewritten cache is B's
  });

  it("gives decode --json's worker thread a cache of its own: written when it ends, used by the next run, replaced for a rebuilt worker", () => {
    const { base, bin, worker, built } = installWithWorker('code-cache-worker');
    const generator = bundleForTest('generate-capture', 'tests/bench/generate-capture.ts');
    const capture = path.join(built, 'small.pcapng');
    spawnSync(process.execPath, [generator, capture, '3000', '50']);
    rmSync(generator, { force: true });
    const workerCache = `${worker}.v8cache`;
    const one = run(bin, ['decode', capture, '--json'], { HANDSHAKE_THREADS: '1' });
    expect(one.status, one.stderr).toBe(0);
    expect(existsSync(workerCache)).toBe(false); // one thread: no worker
    // Two threads required: a worker that did not start is an error, not a silent fallback.
    const first = run(bin, ['decode', capture, '--json'], { HANDSHAKE_THREADS: '2' });
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout === one.stdout).toBe(true);
    expect(existsSync(workerCache)).toBe(true);
    const written = readFileSync(workerCache);
    const second = run(bin, ['decode', capture, '--json'], { HANDSHAKE_THREADS: '2' });
    expect(second.stdout === one.stdout).toBe(true);
    expect(readFileSync(workerCache).equals(written)).toBe(true); // accepted: not rewritten

    utimesSync(worker, new Date(), new Date(Date.now() + 5000)); // a rebuilt worker of the same length
    const rebuilt = run(bin, ['decode', capture, '--json'], { HANDSHAKE_THREADS: '2' });
    expect(rebuilt.stdout === one.stdout).toBe(true);
    expect(readFileSync(workerCache).equals(written)).toBe(false); // stale: not used, replaced
    rmSync(base, { recursive: true, force: true });
  }, 120_000);
});

/** Runs the command with its output in a file (a large file's lines pass a pipe buffer's limit): exit status, stderr and the output's SHA-256. */
function runToFile(bin: string, args: string[], env: NodeJS.ProcessEnv, out: string): { status: number | null; stderr: string; digest: string } {
  const fd = openSync(out, 'w');
  try {
    const child = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', stdio: ['ignore', fd, 'pipe'], env: cliEnv(env) });
    return { status: child.status, stderr: child.stderr, digest: createHash('sha256').update(readFileSync(out)).digest('hex') };
  } finally {
    closeSync(fd);
  }
}

describe('decode --json chooses its threads by the file', () => {
  it('takes the worker by itself for a file of 16 MiB or more (printing what one thread prints), not for a small one', () => {
    const { base, bin, worker, built } = installWithWorker('threads-by-size');
    const generator = bundleForTest('generate-capture', 'tests/bench/generate-capture.ts');
    const small = path.join(built, 'small.pcapng');
    const large = path.join(built, 'large.pcapng');
    spawnSync(process.execPath, [generator, small, '3000', '50']);
    spawnSync(process.execPath, [generator, large, '60000', '2000']);
    rmSync(generator, { force: true });
    const size = statSync(large).size;
    // Between the size that starts the worker and the one from which this thread also decodes (json-pipe.ts).
    expect(size).toBeGreaterThan(16 * 1024 * 1024);
    expect(size).toBeLessThan(64 * 1024 * 1024);
    const workerCache = `${worker}.v8cache`; // written by the worker when it ends: proof that it ran
    const out = path.join(built, 'out.json');

    const smallAuto = runToFile(bin, ['decode', small, '--json'], { HANDSHAKE_THREADS: '' }, out);
    expect(smallAuto.status, smallAuto.stderr).toBe(0);
    expect(existsSync(workerCache)).toBe(false);

    const one = runToFile(bin, ['decode', large, '--json'], { HANDSHAKE_THREADS: '1' }, out);
    expect(one.status, one.stderr).toBe(0);
    expect(existsSync(workerCache)).toBe(false);
    const auto = runToFile(bin, ['decode', large, '--json'], { HANDSHAKE_THREADS: '' }, out);
    expect(auto.status, auto.stderr).toBe(0);
    expect(auto.stderr).toBe(one.stderr);
    expect(auto.digest).toBe(one.digest);
    expect(existsSync(workerCache)).toBe(true);
    rmSync(base, { recursive: true, force: true });
  }, 180_000);

  it('reports a required worker that cannot start, even on a file without frames; left to choose, it decodes on one thread', () => {
    const { base, bin, worker, built } = installWithWorker('threads-missing');
    rmSync(worker);
    // A pcap file header (Ethernet) and no frames.
    const empty = path.join(built, 'empty.pcap');
    const chunks: Uint8Array[] = [];
    new PcapWriter((chunk) => chunks.push(chunk), { linkType: 1 });
    writeFileSync(empty, Buffer.concat(chunks));
    const generator = bundleForTest('generate-capture', 'tests/bench/generate-capture.ts');
    const small = path.join(built, 'small.pcapng');
    spawnSync(process.execPath, [generator, small, '2000', '50']);
    rmSync(generator, { force: true });
    const out = path.join(built, 'out.json');
    for (const file of [empty, small]) {
      const required = runToFile(bin, ['decode', file, '--json'], { HANDSHAKE_THREADS: '2' }, out);
      expect(required.status).not.toBe(0);
      expect(required.stderr).toMatch(/decode thread did not start/);
      const chosen = runToFile(bin, ['decode', file, '--json'], { HANDSHAKE_THREADS: '' }, out);
      expect(chosen.status, chosen.stderr).toBe(0);
      const one = runToFile(bin, ['decode', file, '--json'], { HANDSHAKE_THREADS: '1' }, out);
      expect(chosen.digest).toBe(one.digest);
    }
    expect(statSync(empty).size).toBe(24);
    rmSync(base, { recursive: true, force: true });
  }, 120_000);
});
