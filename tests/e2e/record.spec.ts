/**
 * Record page load… through the UI (issue 13 §5): the page-load lab (dnsmasq, a Node http2 server
 * with a test CA, real Chromium inside the client namespace), recorded from the dialog by the
 * engine through the capture helper, as `handshake browse` records it. The timeline must show
 * the page's connection; tshark, with no key-log option, must decrypt the recorded file (the
 * secrets are embedded) and agree on the frames.
 */
import { expect, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { LAB_HOST, pageLoadLabUnavailable, startPageLoadLab, type PageLoadLab } from '../fixtures/pageload/lab';
import { screenshot, startHost, type RunningHost } from './support';

const unavailable = pageLoadLabUnavailable();

test.describe('Record page load from the UI, in the page-load lab', () => {
  test.skip(unavailable !== null, unavailable ?? '');
  let lab: PageLoadLab | undefined;
  let host: RunningHost | undefined;

  test.beforeAll(async () => {
    test.setTimeout(120_000);
    lab = await startPageLoadLab('rec');
    // The capture helper runs in the client namespace, where the browser's traffic leaves.
    host = await startHost([], { HANDSHAKE_HELPER_LAUNCHER: `ip netns exec ${lab.lab.client.ns}` });
  });
  test.afterAll(async () => {
    await host?.stop();
    lab?.destroy();
  });

  async function fillDialog(page: import('@playwright/test').Page, browser: string): Promise<void> {
    await page.getByTestId('record-open').click();
    await expect(page.getByTestId('record-dialog')).toBeVisible();
    await page.getByTestId('record-url').fill(`https://${LAB_HOST}/`);
    await page.getByTestId('record-browser').fill(browser);
    await expect(page.getByTestId('record-interface').locator(`option[value="${lab!.lab.client.ifname}"]`)).toHaveCount(1, { timeout: 20_000 });
    await page.getByTestId('record-interface').selectOption(lab!.lab.client.ifname);
    await page.getByTestId('record-headless').check();
    await page.getByTestId('record-args').fill(['--disable-gpu', `--ignore-certificate-errors-spki-list=${lab!.spkiHash}`].join('\n'));
  }

  test('a browser that is not there is one clear error, and nothing starts', async ({ page }) => {
    await page.goto(host!.url);
    await fillDialog(page, '/nonexistent/chromium');
    await page.getByTestId('record-start').click();
    await expect(page.getByTestId('record-error')).toHaveText('browser not found: /nonexistent/chromium does not exist');
    await expect(page.getByTestId('record-progress')).toHaveCount(0);
  });

  test('records the page through the dialog, shows progress, then the capture with its secrets on the Page load timeline', async ({ page }) => {
    test.setTimeout(180_000);
    await page.goto(host!.url);
    await fillDialog(page, lab!.chromiumInClient);
    await page.getByTestId('record-start').click();
    await expect(page.getByTestId('record-progress')).toBeVisible({ timeout: 30_000 });
    const file = (await page.getByTestId('record-path').textContent()) ?? '';
    expect(file).toMatch(/page-load-workbench\.test-.*\.pcapng$/);
    await expect(page.getByTestId('record-stop')).toBeVisible();
    // The page loads, the network goes quiet, the browser is closed and the file opens on the timeline.
    await expect(page.getByTestId('record-dialog')).toHaveCount(0, { timeout: 120_000 });
    await expect(page.getByTestId('view-pageload')).toHaveAttribute('aria-pressed', 'true');
    const row = page.locator('.pageload .row', { hasText: LAB_HOST }).filter({ hasText: `${lab!.lab.server.ip}:443` }).first();
    await expect(row).toBeVisible({ timeout: 30_000 });
    await expect(row.locator('.protocol')).toHaveText('h2');
    await expect(row.locator('.why')).toContainText('ALPN');
    for (const step of ['dns', 'tcp', 'tls', 'request', 'waiting']) await expect(row.locator(`.step-${step}`), step).toHaveCount(1);
    await screenshot(page, 'record-page-load');

    // tshark with no key-log option decrypts what was recorded: the secrets are in the file.
    const tshark = (filter: string, field: string) =>
      execFileSync('tshark', ['-r', file, '-Y', filter, '-T', 'fields', '-e', field], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n').filter(Boolean);
    expect(tshark('tls.handshake.type == 8', 'tls.handshake.extensions_alpn_str').join(',')).toContain('h2');
    expect(tshark('tls.handshake.type == 11', 'x509ce.dNSName').join(',')).toContain(LAB_HOST);
    expect(tshark('http2.type == 1', 'http2.headers.path').join(',')).toContain('/');
    expect(tshark(`dns.qry.name == "${LAB_HOST}" && dns.flags.response == 1`, 'dns.a')).toContain(lab!.lab.server.ip);
    const frames = tshark('frame', 'frame.number').length;
    await expect(page.getByTestId('counts')).toContainText(`Frames: ${frames.toLocaleString('en-US')}`);
    expect(lab!.server.lines.some((line) => line.includes('"event":"request"') && line.includes('"path":"/"'))).toBe(true);
  });

  test('Stop ends the recording at once: what was captured is kept and opened, with a note', async ({ page }) => {
    test.setTimeout(120_000);
    await page.goto(host!.url);
    await fillDialog(page, lab!.chromiumInClient);
    await page.getByTestId('record-start').click();
    await expect(page.getByTestId('record-stop')).toBeVisible({ timeout: 30_000 });
    await page.getByTestId('record-stop').click();
    await expect(page.getByTestId('record-dialog')).toHaveCount(0, { timeout: 60_000 });
    await expect(page.locator('.notice[role=status]')).toContainText('stopped by the user');
    await expect(page.getByTestId('view-pageload')).toHaveAttribute('aria-pressed', 'true');
  });
});
