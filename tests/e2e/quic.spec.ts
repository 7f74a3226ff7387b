/**
 * QUIC attempts in the UI: a real Chromium forced onto QUIC in the namespace lab, captured
 * live by `handshake capture` (the same fixture as the Vitest integration test), opened in
 * the browser host. The connections view must list the attempt with the test host name as
 * SNI; double-clicking it must show exactly the frames tshark decrypts as that attempt.
 * Expected values come from the test's inputs and tshark, never from the product.
 */
import { expect, test } from '@playwright/test';
import { browserLabUnavailable, captureBrowserHttps, HTTPS_PORT, TEST_HOST, type BrowserHttpsCapture } from '../fixtures/browser/https-capture';
import { tsharkQuic, type TsharkQuic } from '../fixtures/browser/tshark-quic-oracle';
import { haveTshark, screenshot, startHost, type RunningHost } from './support';

const PACKETS = 'section[aria-label="Packets view"]';
const unavailable = browserLabUnavailable() ?? (haveTshark ? null : 'needs tshark as the oracle');

test.describe('QUIC connection attempts from a real Chromium', () => {
  test.skip(unavailable !== null, unavailable ?? '');
  let lab: BrowserHttpsCapture;
  let oracle: TsharkQuic;
  let host: RunningHost;

  test.beforeAll(async () => {
    test.setTimeout(240_000);
    lab = await captureBrowserHttps({ quic: true });
    oracle = tsharkQuic(lab.file);
    host = await startHost([lab.file]);
  });
  test.afterAll(async () => {
    await host?.stop();
    lab?.cleanup();
  });

  test('the connections view lists each attempt with its SNI, and double-click shows its frames', async ({ page }) => {
    expect(oracle.attempts.length).toBeGreaterThan(0);
    await page.goto(host.url);
    await page.getByTestId('view-connections').click();
    const section = page.getByTestId('quic-attempts');
    const rows = section.locator('[data-quic]');
    await expect(rows).toHaveCount(oracle.attempts.length);
    // No TCP: the server's HTTPS port was never contacted.
    await expect(page.locator('.connections-view .body [role=row]')).toHaveCount(0);

    for (const [i, expected] of oracle.attempts.entries()) {
      const row = rows.nth(i);
      await expect(row).toContainText(`${lab.clientIp}:${expected.clientPort}`);
      await expect(row).toContainText(`${lab.serverIp}:${HTTPS_PORT}`);
      await expect(row.locator('[data-col=sni]')).toHaveText(TEST_HOST);
      await expect(row.locator('[data-col=alpn]')).toContainText('h3');
      await expect(row.locator('[data-col=alpn]')).toHaveText(expected.alpn.join(', '));
      await expect(row.locator('[data-col=packets]')).toHaveText(`${expected.clientInitials} (${expected.clientInitials} Initial)`);
      await expect(row.locator('[data-col=answered]')).toHaveText('no answer');
      await expect(row).toHaveAttribute('title', new RegExp(`^DCID ${expected.dcid};`));
    }
    await screenshot(page, 'quic-attempts');

    // The first attempt's frames, as tshark counts them (nothing answered, so only the client's).
    const first = oracle.attempts[0];
    await rows.first().dblclick();
    const packetRows = page.locator(`${PACKETS} [role=row][data-frame]`);
    await expect(packetRows).toHaveCount(first.frames.length);
    expect(await packetRows.evaluateAll((nodes) => nodes.map((n) => Number((n as HTMLElement).dataset.frame)))).toEqual(first.frames);
    await expect(page.locator(`${PACKETS} [role=row][aria-selected=true]`)).toHaveAttribute('data-frame', String(first.frames[0]));
    await expect(page.getByTestId('filter-input')).toHaveValue(new RegExp(`udp\\.port == ${first.clientPort}`));
    // The list names them QUIC, with the packet type and DCID as Wireshark's Info column does.
    const firstRow = packetRows.first();
    await expect(firstRow).toContainText('QUIC');
    await expect(firstRow).toContainText(`Initial, DCID=${first.dcid}`);
  });
});
