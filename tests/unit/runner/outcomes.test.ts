/**
 * `npm test` names every skipped test and why, and every failed test with its error
 * (tests/run.mjs): the reports come from real Vitest and Playwright runs of the fixtures in
 * tests/fixtures/outcomes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: plain ESM helper of tests/run.mjs, without type declarations
import { failedLines, playwrightFailed, playwrightSkipped, skippedLines, vitestFailed, vitestSkipped } from '../../support/outcomes.mjs';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const FIXTURES = path.join(ROOT, 'tests', 'fixtures', 'outcomes');
const directory = mkdtempSync(path.join(os.tmpdir(), 'hw-live-skips-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

interface Skipped {
  name: string;
  reason: string;
}

/** One real run of each runner over the fixtures (the failing fixture makes each exit non-zero). */
function vitestReport(): unknown {
  const report = path.join(directory, 'vitest.json');
  spawnSync('npx', ['vitest', 'run', '--config', path.join(FIXTURES, 'vitest.config.mjs'), '--root', ROOT, '--reporter=json', `--outputFile.json=${report}`], { cwd: ROOT, encoding: 'utf8' });
  return JSON.parse(readFileSync(report, 'utf8'));
}
function playwrightReport(): unknown {
  const report = path.join(directory, 'playwright.json');
  spawnSync('npx', ['playwright', 'test', '--config', path.join(FIXTURES, 'playwright.config.mjs'), '--reporter=json'], { cwd: ROOT, env: { ...process.env, PLAYWRIGHT_JSON_OUTPUT_NAME: report } });
  return JSON.parse(readFileSync(report, 'utf8'));
}

describe('the skipped-test and failed-test summaries of npm test', () => {
  it('names each Vitest skip with its condition from the source, and each failure with its error', () => {
    const report = vitestReport();
    const skipped = vitestSkipped(report, ROOT) as Skipped[];
    expect(skipped).toEqual([
      { name: 'tests/fixtures/outcomes/sample.skips.ts > a suite that needs the frobnicator > frobnicates', reason: 'skipIf(!hasFrobnicator)' },
      { name: 'tests/fixtures/outcomes/sample.skips.ts > a suite that runs > needs root', reason: 'skipIf(!isRoot)' },
      { name: 'tests/fixtures/outcomes/sample.skips.ts > a suite that runs > needs both', reason: 'runs only if isRoot && hasFrobnicator' },
    ]);
    expect(skippedLines(skipped)[0]).toBe('skipped (3):');
    const failed = vitestFailed(report, ROOT) as Skipped[];
    expect(failed).toEqual([{ name: 'tests/fixtures/outcomes/sample.failures.ts > a suite with a broken test > compares with the oracle', reason: 'AssertionError: expected { frames: 2 } to deeply equal { frames: 3 }' }]);
    expect(failedLines(failed)).toEqual(['failed (1):', `  ${failed[0].name}: ${failed[0].reason}`]);
  }, 120_000);

  it('names each Playwright skip with the reason given to test.skip, and each failure with its error', () => {
    const report = playwrightReport();
    expect(playwrightSkipped(report)).toEqual([{ name: 'sample.spec.ts > needs the frobnicator', reason: 'needs the frobnicator (apt-get install frobnicator)' }]);
    const failed = playwrightFailed(report) as Skipped[];
    expect(failed).toHaveLength(1);
    expect(failed[0].name).toBe('sample-failure.spec.ts > shows the ladder');
    expect(failed[0].reason).toMatch(/expect\(received\)\.toBe\(expected\)/);
  }, 120_000);
});
