/**
 * `npm test` names every skipped test and why (tests/run.mjs): the reports come from real
 * Vitest and Playwright runs of the fixtures in tests/fixtures/skips.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: plain ESM helper of tests/run.mjs, without type declarations
import { playwrightSkipped, skippedLines, vitestSkipped } from '../../support/skipped.mjs';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const FIXTURES = path.join(ROOT, 'tests', 'fixtures', 'skips');
const directory = mkdtempSync(path.join(os.tmpdir(), 'hw-live-skips-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

interface Skipped {
  name: string;
  reason: string;
}

describe('the skipped-test summary of npm test', () => {
  it('names each Vitest skip with its condition from the source', () => {
    const report = path.join(directory, 'vitest.json');
    spawnSync('npx', ['vitest', 'run', '--config', path.join(FIXTURES, 'vitest.config.mjs'), '--root', ROOT, '--reporter=json', `--outputFile.json=${report}`], { cwd: ROOT, encoding: 'utf8' });
    const skipped = vitestSkipped(JSON.parse(readFileSync(report, 'utf8')), ROOT) as Skipped[];
    expect(skipped).toEqual([
      { name: 'tests/fixtures/skips/sample.skips.ts > a suite that needs the frobnicator > frobnicates', reason: 'skipIf(!hasFrobnicator)' },
      { name: 'tests/fixtures/skips/sample.skips.ts > a suite that runs > needs root', reason: 'skipIf(!isRoot)' },
      { name: 'tests/fixtures/skips/sample.skips.ts > a suite that runs > needs both', reason: 'runs only if isRoot && hasFrobnicator' },
    ]);
    expect(skippedLines(skipped)[0]).toBe('skipped (3):');
  }, 120_000);

  it('names each Playwright skip with the reason given to test.skip', () => {
    const report = path.join(directory, 'playwright.json');
    spawnSync('npx', ['playwright', 'test', '--config', path.join(FIXTURES, 'playwright.config.mjs'), '--reporter=json'], { cwd: ROOT, env: { ...process.env, PLAYWRIGHT_JSON_OUTPUT_NAME: report } });
    const skipped = playwrightSkipped(JSON.parse(readFileSync(report, 'utf8'))) as Skipped[];
    expect(skipped).toEqual([{ name: 'sample.spec.ts > needs the frobnicator', reason: 'needs the frobnicator (apt-get install frobnicator)' }]);
  }, 120_000);
});
