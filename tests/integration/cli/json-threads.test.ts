/**
 * `decode --json` on two threads (electron/cli/parallel: this thread tracks, a worker writes the
 * lines) must print byte for byte what one thread prints (HANDSHAKE_THREADS=1), keep that when
 * the reader leaves early or stalls, and report a damaged file the same way.
 * Captures: the benchmark generator's TCP/TLS mix and Scapy-built frames of every kind the decoder reads (tunnels, link types, IP fragments,
 * SACK, TLS, DNS, HTTP, random frames), concatenated by mergecap.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleForTest, ROOT } from '../../support/bundle';
import { buildCliWithWorker, runCliSync } from '../../support/cli';
import { CORPUS_SCRIPT, ENCAP_CORPUS_SCRIPT, runPythonFile, scapyAvailable, tempDir } from '../../unit/wire/oracle/oracle';

const FRAMES = 12_000;
const hasMergecap = spawnSync('mergecap', ['-h']).status === 0;

const ONE = { HANDSHAKE_THREADS: '1' };
/** Two threads from the first frame, and an error if the worker cannot start (so a silent fallback cannot pass). */
const TWO = { HANDSHAKE_THREADS: '2' };

describe('decode --json on two threads', () => {
  let directory: string;
  let built: string;
  let cli: string;
  let big: string;
  beforeAll(() => {
    directory = tempDir('json-threads-');
    // Beside node_modules (out/test), so the bundle resolves `cap` as the shipped one does.
    built = path.join(ROOT, 'out', 'test', `json-threads-${process.pid}`);
    mkdirSync(built, { recursive: true });
    cli = buildCliWithWorker(built);
    const generator = bundleForTest('generate-capture', 'tests/bench/generate-capture.ts');
    big = path.join(directory, 'big.pcapng');
    execFileSync(process.execPath, [generator, big, String(FRAMES), '300']);
    rmSync(generator, { force: true });
  }, 120_000);
  afterAll(() => {
    rmSync(directory, { recursive: true, force: true });
    rmSync(built, { recursive: true, force: true });
  });

  it(`prints the same bytes as one thread on ${FRAMES} generated frames, every frame once and in order`, () => {
    const one = runCliSync(cli, ['decode', big, '--json'], ONE);
    const two = runCliSync(cli, ['decode', big, '--json'], TWO);
    // No variable: this file is below the size that takes two threads by itself.
    const auto = runCliSync(cli, ['decode', big, '--json'], { HANDSHAKE_THREADS: '' });
    expect(one.code, one.stderr).toBe(0);
    expect(two.code, two.stderr).toBe(0);
    expect(two.stderr).toBe(one.stderr);
    expect(two.stdout === one.stdout).toBe(true);
    expect(auto.stdout === one.stdout).toBe(true);
    const numbers = two.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as Record<string, unknown>)['frame.number']);
    expect(numbers).toEqual(Array.from({ length: FRAMES }, (_, i) => i + 1));
  }, 120_000);

  it.skipIf(!scapyAvailable || !hasMergecap)('prints the same bytes as one thread on Scapy-built frames of every kind (skipped without python3-scapy and mergecap)', () => {
    const corpus = path.join(directory, 'corpus');
    mkdirSync(corpus);
    runPythonFile(path.join(__dirname, 'json-lines.py'), [corpus]);
    runPythonFile(ENCAP_CORPUS_SCRIPT, [corpus]);
    runPythonFile(path.join(__dirname, '..', '..', 'unit', 'reassembly', 'fragments.py'), [corpus]);
    runPythonFile(CORPUS_SCRIPT, ['--random', '400', '23', corpus]);
    const files = readdirSync(corpus)
      .filter((name) => /\.pcap(ng)?$/.test(name))
      .sort()
      .map((name) => path.join(corpus, name));
    const merged = path.join(directory, 'merged.pcapng');
    execFileSync('mergecap', ['-a', '-F', 'pcapng', '-w', merged, ...files]);
    const one = runCliSync(cli, ['decode', merged, '--json'], ONE);
    const two = runCliSync(cli, ['decode', merged, '--json'], TWO);
    expect(one.code, one.stderr).toBe(0);
    expect(two.code, two.stderr).toBe(0);
    expect(two.stderr).toBe(one.stderr);
    expect(two.stdout.split('\n').length).toBeGreaterThan(400);
    expect(two.stdout === one.stdout).toBe(true);
  }, 180_000);

  it('ends at once with exit 0 when the reader leaves after one line (| head -1)', () => {
    const started = Date.now();
    const run = spawnSync('bash', ['-c', `"${process.execPath}" "${cli}" decode "${big}" --json | head -1; echo "status=\${PIPESTATUS[0]}" >&2`], {
      encoding: 'utf8',
      env: { ...process.env, ...TWO },
      timeout: 60_000,
    });
    expect(run.stderr).toBe('status=0\n');
    const lines = run.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect((JSON.parse(lines[0]) as Record<string, unknown>)['frame.number']).toBe(1);
    expect(Date.now() - started).toBeLessThan(60_000);
  }, 90_000);

  it('ends with exit 0 when the reader never reads and goes away (| sleep 1)', () => {
    const run = spawnSync('bash', ['-c', `"${process.execPath}" "${cli}" decode "${big}" --json | sleep 1; echo "status=\${PIPESTATUS[0]}" >&2`], {
      encoding: 'utf8',
      env: { ...process.env, ...TWO },
      timeout: 60_000,
    });
    expect(run.stderr).toBe('status=0\n');
  }, 90_000);

  it('reports a truncated file as one thread does: every frame before the damage, the same error, exit 3', () => {
    const cut = path.join(directory, 'cut.pcapng');
    execFileSync('cp', [big, cut]);
    truncateSync(cut, Math.floor((statSync(big).size * 2) / 3) + 5);
    const one = runCliSync(cli, ['decode', cut, '--json'], ONE);
    const two = runCliSync(cli, ['decode', cut, '--json'], TWO);
    expect(one.code).toBe(3);
    expect(two.code).toBe(3);
    expect(two.stderr).toBe(one.stderr);
    expect(two.stderr).toMatch(/damaged from byte \d+/);
    expect(two.stdout === one.stdout).toBe(true);
    expect(two.stdout.split('\n').length).toBeGreaterThan(FRAMES / 2);
  }, 120_000);
});
