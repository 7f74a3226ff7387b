// Every skipped test and why, and every failed test with the first line of its error, from
// Vitest's and Playwright's JSON reports, for the closing summary of `npm test` (a skip must
// never pass silently, and a CI log's tail must name what failed).
//
// Playwright skips carry their reason (`test.skip(condition, 'needs …')`). A Vitest skip's
// reason is its condition in the source (`describe.skipIf(!hasTool('makensis'))`): the call
// on the test's own line, else the nearest enclosing (less indented) describe above it.
import { readFileSync } from 'node:fs';
import path from 'node:path';

const SKIP_CALL = /\b(?:skipIf|runIf)\s*\(|\.skip\s*\(/;

/** The balanced-parenthesis argument text starting at `open` (the index of "("), across lines. */
function argumentText(text, open) {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return text.slice(open + 1, i).replace(/\s+/g, ' ').trim();
  }
  return text.slice(open + 1).trim();
}

function skipCallAt(lines, index) {
  const line = lines[index];
  const match = SKIP_CALL.exec(line);
  if (!match) return null;
  const rest = lines.slice(index).join('\n');
  const open = match.index + match[0].length - 1;
  const kind = match[0].startsWith('.skip') ? 'skip' : match[0].replace(/\s*\($/, '');
  const argument = argumentText(rest, open);
  if (kind === 'runIf') return `runs only if ${argument}`;
  if (kind === 'skip') return argument === '' ? 'skipped unconditionally (no reason given)' : `skip(${argument})`;
  return `skipIf(${argument})`;
}

const indentOf = (line) => /^\s*/.exec(line)[0].length;

/** Why the Vitest test defined at `line` (1-based) of `source` is skipped. */
export function vitestSkipReason(source, line) {
  const lines = source.split('\n');
  const at = Math.max(0, Math.min(lines.length - 1, line - 1));
  const own = skipCallAt(lines, at);
  if (own) return own;
  let indent = indentOf(lines[at]);
  for (let i = at - 1; i >= 0; i--) {
    if (lines[i].trim() === '' || indentOf(lines[i]) >= indent) continue;
    indent = indentOf(lines[i]);
    const found = /\bdescribe\b/.test(lines[i]) ? skipCallAt(lines, i) : null;
    if (found) return found;
  }
  return 'no reason in the source (a bare skip, or a skip at run time)';
}

/** Skipped tests in a Vitest JSON report (run with includeTaskLocation). */
export function vitestSkipped(report, root, readSource = (file) => readFileSync(file, 'utf8')) {
  const out = [];
  const sources = new Map();
  for (const file of report.testResults ?? []) {
    for (const test of file.assertionResults ?? []) {
      if (!['pending', 'skipped', 'todo'].includes(test.status)) continue;
      if (!sources.has(file.name)) {
        try {
          sources.set(file.name, readSource(file.name));
        } catch {
          sources.set(file.name, '');
        }
      }
      const reason = test.status === 'todo' ? 'todo' : test.location ? vitestSkipReason(sources.get(file.name), test.location.line) : 'no location in the report';
      out.push({ name: [path.relative(root, file.name), ...(test.ancestorTitles ?? []), test.title].join(' > '), reason });
    }
  }
  return out;
}

/** Skipped tests in a Playwright JSON report, with the reason given to test.skip. */
export function playwrightSkipped(report) {
  const out = [];
  const walk = (suite, titles) => {
    for (const spec of suite.specs ?? []) {
      for (const test of spec.tests ?? []) {
        const skipped = test.status === 'skipped' || (test.results ?? []).some((result) => result.status === 'skipped');
        if (!skipped) continue;
        const annotations = [...(test.annotations ?? []), ...(test.results ?? []).flatMap((result) => result.annotations ?? [])];
        const reason = annotations.find((annotation) => annotation.type === 'skip' || annotation.type === 'fixme')?.description;
        out.push({ name: [...titles, spec.title].filter(Boolean).join(' > '), reason: reason || 'no reason given' });
      }
    }
    for (const child of suite.suites ?? []) walk(child, [...titles, child.title]);
  };
  for (const suite of report.suites ?? []) walk(suite, [suite.title]);
  return out;
}

/** The lines printed before the closing count. */
export function skippedLines(skipped) {
  if (skipped.length === 0) return [];
  return [`skipped (${skipped.length}):`, ...skipped.map(({ name, reason }) => `  ${name}: ${reason}`)];
}

/** The first line of an error message, without terminal colours, at most 300 characters. */
function firstLine(message) {
  // eslint-disable-next-line no-control-regex
  const line = String(message ?? '').replace(/\x1b\[[0-9;]*m/g, '').split('\n').find((text) => text.trim() !== '') ?? 'no message';
  return line.length > 300 ? `${line.slice(0, 299)}…` : line.trim();
}

/** Failed tests in a Vitest JSON report, and files that failed without a test (a load error). */
export function vitestFailed(report, root) {
  const out = [];
  for (const file of report.testResults ?? []) {
    const relative = path.relative(root, file.name);
    const failed = (file.assertionResults ?? []).filter((test) => test.status === 'failed');
    for (const test of failed) out.push({ name: [relative, ...(test.ancestorTitles ?? []), test.title].join(' > '), reason: firstLine(test.failureMessages?.[0]) });
    if (failed.length === 0 && file.status === 'failed') out.push({ name: relative, reason: firstLine(file.message) });
  }
  return out;
}

/** Failed tests in a Playwright JSON report (unexpected outcomes), with their last attempt's error. */
export function playwrightFailed(report) {
  const out = [];
  const walk = (suite, titles) => {
    for (const spec of suite.specs ?? []) {
      for (const test of spec.tests ?? []) {
        if (test.status !== 'unexpected') continue;
        const last = (test.results ?? []).at(-1);
        out.push({ name: [...titles, spec.title].filter(Boolean).join(' > '), reason: firstLine(last?.error?.message ?? last?.errors?.[0]?.message) });
      }
    }
    for (const child of suite.suites ?? []) walk(child, [...titles, child.title]);
  };
  for (const suite of report.suites ?? []) walk(suite, [suite.title]);
  return out;
}

/** The failed tests' lines, printed last before the closing count. */
export function failedLines(failed) {
  if (failed.length === 0) return [];
  return [`failed (${failed.length}):`, ...failed.map(({ name, reason }) => `  ${name}: ${reason}`)];
}
