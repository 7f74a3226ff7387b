import { expect, test } from '@playwright/test';
import { rmSync } from 'node:fs';
import { buildWorkbenchCapture, haveScapy, screenshot, startHost, tempDir, type RunningHost } from './support';

test.describe('ladder and connections', () => {
  test.skip(!haveScapy, 'needs Scapy (/usr/bin/python3)');
  let host: RunningHost;
  let dir: string;

  test.beforeAll(async () => {
    dir = tempDir('ladder');
    // Given FILE, the host opens it before printing the URL.
    host = await startHost([buildWorkbenchCapture(dir)]);
  });
  test.afterAll(async () => {
    await host?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('both lanes show RFC 9293 states through a full handshake and teardown', async ({ page }) => {
    await page.goto(host.url);
    await page.locator('section[aria-label="Packets view"] [data-frame="1"]').click();
    await page.getByTestId('view-ladder').click();
    const ladder = page.getByTestId('ladder');
    await page.getByTestId('ladder-collapse').uncheck();
    await expect(ladder.locator('[data-frame]')).toHaveCount(12);
    await expect(page.getByTestId('client-initial')).toHaveText('CLOSED');
    await expect(page.getByTestId('server-initial')).toHaveText('LISTEN');
    const states = (side: string) => ladder.locator(`text[data-side="${side}"]`).allTextContents();
    expect((await states('client')).map((s) => s.trim())).toEqual(['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT']);
    expect((await states('server')).map((s) => s.trim())).toEqual(['SYN_RECEIVED', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED']);
    // The TIME_WAIT label says how long it lasts with the default MSL (30 s: Linux's 60 s TIME_WAIT).
    await expect(ladder.getByTestId('time-wait-msl')).toHaveText('2×MSL = 60 s (MSL 30 s)');
    await expect(ladder.locator('[data-frame="2"]')).toContainText('SYN, ACK  Seq=0 Ack=1 Len=0');

    // Clicking an arrow selects its frame and explains the rule at work.
    await ladder.locator('[data-frame="3"] .hit').click();
    const explain = page.locator('.ladder-explain [data-testid=explain]');
    await expect(explain).toContainText('third segment');
    await expect(explain).toContainText('RFC 9293 §3.5');
    await ladder.locator('[data-frame="11"] .hit').click();
    await expect(explain).toContainText('LAST_ACK');

    // Folding the data phase keeps the handshake and teardown arrows.
    await page.getByTestId('ladder-collapse').check();
    await expect(ladder.locator('[data-frame]')).toHaveCount(7);
    await screenshot(page, 'ladder');

    // Craft reply: the client's next ACK continues where the capture ends. In the Scapy
    // script the client's ISN is 1000 and it sent 33 bytes and a FIN (1000 + 1 + 33 + 1 = 1035);
    // the server's ISN is 5000 and it sent 19 bytes and a FIN (5000 + 1 + 19 + 1 = 5021).
    await page.getByTestId('view-editor').click();
    await page.getByTestId('reply-ack').click();
    await expect(page.getByTestId('input-tcp.seq_raw')).toHaveValue('1035');
    await expect(page.getByTestId('input-tcp.ack_raw')).toHaveValue('5021');
    await expect(page.getByTestId('input-ip.src')).toHaveValue('198.18.0.1');
    await expect(page.getByTestId('input-tcp.dstport')).toHaveValue('443');
    await expect(page.getByTestId('input-tcp.flags')).toHaveValue('0x010');
  });

  test('connections are listed with Zeek states, sortable and filterable, with the overview', async ({ page }) => {
    await page.goto(host.url);
    await page.getByTestId('view-connections').click();
    const rows = page.locator('.connections-view .body [role=row]');
    await expect(rows).toHaveCount(4);
    await expect(page.locator('.connections-view [data-stream="0"]')).toContainText('SF');
    await expect(page.locator('.connections-view [data-stream="1"]')).toContainText('REJ');
    await page.getByTestId('conn-filter').fill('REJ');
    await expect(rows).toHaveCount(1);
    await page.getByTestId('conn-filter').fill('');
    await page.getByRole('columnheader', { name: /Frames/ }).click();
    await page.getByRole('columnheader', { name: /Frames/ }).click();
    await expect(rows.first()).toHaveAttribute('data-stream', '0');
    await expect(page.getByTestId('overview')).toBeVisible();
    await screenshot(page, 'connections');
    await page.locator('.connections-view [data-stream="0"]').dblclick();
    await expect(page.getByTestId('ladder')).toBeVisible();
  });
});
