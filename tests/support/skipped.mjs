// Every skipped test and why, from Vitest's and Playwright's JSON reports, for the closing
// summary of `npm test` (a skip must never pass silently).
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
