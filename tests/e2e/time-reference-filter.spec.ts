/**
 * A display filter on frame.time_relative is applied again when a time reference is set or
 * cleared (as Wireshark re-filters): in Chromium through the browser host, with real key events.
 * The expected rows come from tshark's frame times, with the reference applied here as Wireshark
 * defines it (frames from the reference on count from it, earlier ones from the first frame).
 */
import { expect, test, type Page } from '@playwright/test';
import { haveScapy, haveTshark, openCapture, run, workbenchCaptureHost } from './support';

const PACKETS = 'section[aria-label="Packets view"]';

async function shownFrames(page: Page): Promise<number[]> {
  return page.locator(`${PACKETS} [role=row][data-frame]`).evaluateAll((rows) => rows.map((row) => Number((row as HTMLElement).dataset.frame)));
}

/** Frame numbers whose time relative to `reference` (a frame index, or -1 for none) is below `limit`. */
function passing(times: number[], reference: number, limit: number): number[] {
  return times.flatMap((t, i) => ((reference >= 0 && i >= reference ? t - times[reference] : t) < limit ? [i + 1] : []));
}

test.describe('time references re-run a frame.time_relative filter', () => {
  test.skip(!haveScapy || !haveTshark, 'needs Scapy (/usr/bin/python3) and tshark');
  test.use({ viewport: { width: 1024, height: 700 } });
  const env = workbenchCaptureHost('timeref-filter');

  test('Ctrl+T on a shown frame brings in the later frames now within the limit; unsetting and Ctrl+Alt+T take them out again', async ({ page }) => {
    const { host, capture } = env;
    await page.goto(host.url);
    await page.evaluate(() => {
      localStorage.clear();
      localStorage.setItem('handshake.panes.v1', JSON.stringify({ packets: [88, 12] }));
    });
    await page.reload();
    await openCapture(page, capture);
    const times = run('tshark', ['-r', capture, '-T', 'fields', '-e', 'frame.time_relative'])
      .split('\n')
      .filter(Boolean)
      .map(Number);
    expect(times.length).toBeGreaterThan(10);
    // A limit and a reference among the frames it shows such that later frames come in once
    // they count from the reference: the earliest such pair.
    const choice = times
      .slice(1)
      .map((t, i) => Number(((t + times[i]) / 2).toFixed(6)))
      .flatMap((limit) => passing(times, -1, limit).map((reference) => ({ limit, reference })))
      .find(({ limit, reference }) => reference > 1 && passing(times, reference - 1, limit).length > passing(times, -1, limit).length);
    expect(choice, 'the capture has a limit and reference that change the filter').toBeDefined();
    const { limit, reference } = choice!;
    const filter = `frame.time_relative < ${limit}`;
    const before = passing(times, -1, limit);
    const after = passing(times, reference - 1, limit);
    // tshark agrees on the filter without references.
    expect(run('tshark', ['-r', capture, '-Y', filter, '-T', 'fields', '-e', 'frame.number']).split('\n').filter(Boolean).map(Number)).toEqual(before);

    const input = page.getByTestId('filter-input');
    await input.fill(filter);
    await input.press('Enter');
    await expect.poll(() => shownFrames(page)).toEqual(before);

    // Set a reference on the frame with the keyboard: the filter runs again over the new times.
    await page.locator(`${PACKETS} [role=row][data-frame="${reference}"]`).click();
    await page.keyboard.press('Control+t');
    await expect(page.locator(`${PACKETS} [data-frame="${reference}"] [data-column="time"]`)).toHaveText('*REF*');
    await expect.poll(() => shownFrames(page)).toEqual(after);
    // The selection stays on the reference frame.
    await expect(page.locator(`${PACKETS} [role=row][aria-selected=true]`)).toHaveAttribute('data-frame', String(reference));

    // Ctrl+T again unsets it: back to the frames counted from the first frame.
    await page.keyboard.press('Control+t');
    await expect(page.locator(`${PACKETS} [data-frame="${reference}"] [data-column="time"]`)).not.toHaveText('*REF*');
    await expect.poll(() => shownFrames(page)).toEqual(before);

    // Set again, then Ctrl+Alt+T clears every reference: the filter runs again too.
    await page.locator(`${PACKETS} [role=row][data-frame="${reference}"]`).click();
    await page.keyboard.press('Control+t');
    await expect.poll(() => shownFrames(page)).toEqual(after);
    await page.keyboard.press('Control+Alt+t');
    await expect.poll(() => shownFrames(page)).toEqual(before);
  });
});
