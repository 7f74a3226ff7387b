/**
 * The Conversations table with thousands of TCP conversations: only the rows in view are in
 * the DOM, and scrolling to the end (unsorted, and sorted by bytes both ways) shows rows whose
 * every number is tshark -z conv,tcp's for the same conversation.
 */
import { expect, test, type Page } from '@playwright/test';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { tsharkConversations, type TsharkConversation } from '../support/tshark-stats';
import { haveTshark, openCapture, ROOT, run, startHost, tempDir, type RunningHost } from './support';

/** The data rows in the DOM (spacers left out), cells by data-column, numbers without separators. */
async function domRows(page: Page): Promise<Record<string, string>[]> {
  return page
    .getByTestId('conv-table')
    .locator('tbody tr:not(.spacer)')
    .evaluateAll((rows) => rows.map((row) => Object.fromEntries(Array.from(row.querySelectorAll('td')).map((td) => [(td as HTMLElement).dataset.column ?? '', (td.textContent ?? '').replace(/,/g, '').trim()]))));
}

/** Scrolls the table to its end (or start) and returns the last (or first) row shown there. */
async function rowAt(page: Page, end: boolean): Promise<Record<string, string>> {
  await page.getByTestId('conversations-view').locator('.table-wrap').evaluate((el, toEnd) => {
    el.scrollTop = toEnd ? el.scrollHeight : 0;
  }, end);
  // The rows in view follow the scroll on the next frame.
  await page.waitForTimeout(200);
  const rows = await domRows(page);
  return end ? rows[rows.length - 1] : rows[0];
}

function splitEndpoint(text: string): [string, string] {
  const at = text.lastIndexOf(':');
  return [text.slice(0, at), text.slice(at + 1)];
}

/** tshark's conversation with the row's endpoints (either way round), as the table shows its cells. */
function expectedCells(theirs: TsharkConversation[], row: Record<string, string>): Record<string, string> {
  const a = `${row.addressA}:${row.portA}`;
  const b = `${row.addressB}:${row.portB}`;
  const c = theirs.find((t) => t.a === a && t.b === b);
  if (!c) throw new Error(`tshark has no conversation ${a} <-> ${b}`);
  const [addressA, portA] = splitEndpoint(c.a);
  const [addressB, portB] = splitEndpoint(c.b);
  return {
    addressA,
    portA,
    addressB,
    portB,
    frames: String(c.frames),
    bytes: String(c.bytes),
    framesAB: String(c.framesAB),
    bytesAB: String(c.bytesAB),
    framesBA: String(c.framesBA),
    bytesBA: String(c.bytesBA),
    start: c.start.toFixed(6),
    duration: c.duration.toFixed(4),
  };
}

/** The row matches tshark's conversation: every cell exactly, bits/s within what tshark's 4-decimal duration leaves open. */
function expectTsharkRow(theirs: TsharkConversation[], row: Record<string, string>): void {
  const { bpsAB, bpsBA, ...cells } = row;
  expect(cells).toEqual(expectedCells(theirs, row));
  const duration = Number(row.duration);
  for (const [shown, bytes] of [
    [bpsAB, Number(row.bytesAB)],
    [bpsBA, Number(row.bytesBA)],
  ] as const) {
    if (duration === 0) {
      expect(shown).toBe('N/A');
      continue;
    }
    // Duration d ± 0.00005 s: bits/s between 8·bytes/(d + 0.00005) and 8·bytes/(d − 0.00005).
    expect(Number(shown)).toBeGreaterThanOrEqual(Math.floor((bytes * 8) / (duration + 0.00005)));
    expect(Number(shown)).toBeLessThanOrEqual(Math.ceil((bytes * 8) / Math.max(1e-9, duration - 0.00005)));
  }
}

test.describe('Conversations table with thousands of rows', () => {
  test.skip(!haveTshark, 'needs tshark');
  let host: RunningHost;
  let dir: string;
  let capture: string;

  test.beforeAll(async () => {
    dir = tempDir('conv-scroll');
    capture = path.join(dir, 'many.pcapng');
    // 30,000 frames of about 3,300 IPv4 and IPv6 connections (the benchmarks' generator; tshark reads the result).
    run(process.execPath, [path.join(ROOT, 'build/scripts/run-ts.mjs'), path.join(ROOT, 'tests/bench/generate-capture.ts'), capture, '30000', '3000']);
    host = await startHost();
  });
  test.afterAll(async () => {
    await host?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('scrolled to its end, unsorted and sorted, the rows are tshark -z conv,tcp rows', async ({ page }) => {
    const theirs = tsharkConversations(capture, 'tcp');
    expect(theirs.length).toBeGreaterThan(2000);
    await page.goto(host.url);
    await openCapture(page, capture);
    await page.keyboard.press('Alt+6');
    await page.getByTestId('conv-kind-tcp').click();
    await expect(page.getByTestId('conv-table-conversations')).toHaveText(`Conversations (${theirs.length})`);
    // Only what is in view (and a margin) is in the DOM.
    const shown = await domRows(page);
    expect(shown.length).toBeGreaterThan(10);
    expect(shown.length).toBeLessThan(400);

    const last = await rowAt(page, true);
    expectTsharkRow(theirs, last);

    // Sorted by bytes, descending: the first row is the largest conversation, the last the smallest.
    const bytesHeader = page.getByTestId('conv-table').locator('th[data-column=bytes]');
    await bytesHeader.click();
    await bytesHeader.click();
    await expect(bytesHeader).toHaveAttribute('aria-sort', 'descending');
    const largest = Math.max(...theirs.map((c) => c.bytes));
    const smallest = Math.min(...theirs.map((c) => c.bytes));
    const first = await rowAt(page, false);
    expectTsharkRow(theirs, first);
    expect(Number(first.bytes)).toBe(largest);
    const end = await rowAt(page, true);
    expectTsharkRow(theirs, end);
    expect(Number(end.bytes)).toBe(smallest);
    // Scrolled to the middle, the rows in view are in order and each is tshark's.
    await page.getByTestId('conversations-view').locator('.table-wrap').evaluate((el) => {
      el.scrollTop = el.scrollHeight / 2;
    });
    await page.waitForTimeout(200);
    const middle = await domRows(page);
    for (let i = 1; i < middle.length; i++) expect(Number(middle[i - 1].bytes)).toBeGreaterThanOrEqual(Number(middle[i].bytes));
    for (const row of middle.slice(0, 20)) expectTsharkRow(theirs, row);
  });
});
