// `npm test`: every suite (Vitest unit + integration, then Playwright end-to-end),
// followed by one closing line with the combined counts.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { failedLines, playwrightFailed, playwrightSkipped, skippedLines, vitestFailed, vitestSkipped } from './support/outcomes.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const reportDir = path.join(root, 'tests', 'artifacts');
mkdirSync(reportDir, { recursive: true });
const totals = { passed: 0, failed: 0, skipped: 0 };
/** Every skipped test with its reason, named in the closing summary. */
const skipped = [];
/** Every failed test with the first line of its error, named last (what a CI log's tail shows). */
const failed = [];
let crashed = false;

function run(command, args, env = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  return result.status ?? 1;
}

// The built app first: packaging tests pack out/, and the browser host serves out/renderer.
if (run('npx', ['electron-vite', 'build']) !== 0) {
  console.log('\ntests: 0 passed, 1 failed, 0 skipped (electron-vite build failed)');
  process.exit(1);
}

// Vitest
const vitestJson = path.join(reportDir, 'vitest.json');
const vitestStatus = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestJson}`]);
if (existsSync(vitestJson)) {
  const report = JSON.parse(readFileSync(vitestJson, 'utf8'));
  totals.passed += report.numPassedTests ?? 0;
  totals.failed += report.numFailedTests ?? 0;
  totals.skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  skipped.push(...vitestSkipped(report, root));
  failed.push(...vitestFailed(report, root));
  if (vitestStatus !== 0 && (report.numFailedTests ?? 0) === 0) crashed = true;
} else if (vitestStatus !== 0) {
  crashed = true;
}

// Playwright end-to-end (drives Debian's Chromium against the browser host)
if (existsSync(path.join(root, 'playwright.config.ts'))) {
  const playwrightJson = path.join(reportDir, 'playwright.json');
  const status = run('npx', ['playwright', 'test', '--reporter=list,json'], { PLAYWRIGHT_JSON_OUTPUT_NAME: playwrightJson });
  if (existsSync(playwrightJson)) {
    const report = JSON.parse(readFileSync(playwrightJson, 'utf8'));
    const stats = report.stats ?? {};
    skipped.push(...playwrightSkipped(report));
    failed.push(...playwrightFailed(report));
    totals.passed += (stats.expected ?? 0) + (stats.flaky ?? 0);
    totals.failed += stats.unexpected ?? 0;
    totals.skipped += stats.skipped ?? 0;
    if (status !== 0 && (stats.unexpected ?? 0) === 0) crashed = true;
  } else if (status !== 0) {
    crashed = true;
  }
}

if (crashed) totals.failed += 1; // a runner that died without reporting counts as a failure
const skippedText = skippedLines(skipped);
if (skippedText.length > 0) console.log(`\n${skippedText.join('\n')}`);
const failedText = failedLines(failed);
if (failedText.length > 0) console.log(`\n${failedText.join('\n')}`);
console.log(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed > 0 ? 1 : 0);
