import { expect, test } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, screenshot, startHost, type RunningHost } from './support';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const haveSetpriv = spawnSync('setpriv', ['--version']).status === 0;

/** Oracles the workbench does not compute: the browser's own version line, cap's manifest, Debian's package database. */
function chromiumVersion(): string | null {
  const result = spawnSync('/usr/bin/chromium', ['--version'], { encoding: 'utf8' });
  return /Chromium (\d+(?:\.\d+)+)/.exec(result.stdout ?? '')?.[1] ?? null;
}
function debianLibpcapVersion(): string | null {
  const result = spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'libpcap0.8'], { encoding: 'utf8' });
  return result.status === 0 && result.stdout ? result.stdout.replace(/^\d+:/, '').replace(/-[^-]*$/, '') : null;
}
const capVersion = (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', 'cap', 'package.json'), 'utf8')) as { version: string }).version;

test.describe('About box and the first-run permission check (helper with privileges)', () => {
  test.skip(!isRoot, 'the helper needs capture privileges for the first-run check to pass');
  let host: RunningHost;
  test.beforeAll(async () => {
    host = await startHost();
  });
  test.afterAll(async () => host?.stop());

  test('the first start checks capture permission once and says briefly that it works', async ({ page }) => {
    await page.goto(host.url);
    await expect(page.getByTestId('permission-confirmation')).toContainText('Capture works');
    await expect(page.getByTestId('permission-check')).toHaveCount(0);
    const checkedAt = await page.evaluate(() => localStorage.getItem('handshake-capture-permission-checked'));
    expect(checkedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    await page.reload();
    await expect(page.getByTestId('session-name')).toBeVisible();
    // Remembered: no second check (which takes well under a second here), so no second confirmation and the same stamp.
    await page.waitForTimeout(1500);
    await expect(page.getByTestId('permission-confirmation')).toHaveCount(0);
    expect(await page.evaluate(() => localStorage.getItem('handshake-capture-permission-checked'))).toBe(checkedAt);
  });

  test('the About dialog opens from the keyboard and shows the real versions', async ({ page }) => {
    const libpcap = debianLibpcapVersion();
    const chromium = chromiumVersion();
    await page.goto(host.url);
    await page.getByTestId('about-open').focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'About Handshake Workbench' });
    await expect(dialog).toBeVisible();
    await expect(dialog.getByTestId('about-cap').locator('td')).toHaveText(capVersion);
    if (libpcap) await expect(dialog.getByTestId('about-libpcap').locator('td')).toHaveText(libpcap);
    await expect(dialog.getByTestId('about-node').locator('td')).toHaveText(process.versions.node);
    if (chromium) await expect(dialog.getByTestId('about-chrome').locator('td')).toHaveText(chromium);
    await expect(dialog.getByTestId('about-electron').locator('td')).toContainText('not running in Electron');
    await expect(dialog.getByTestId('about-app').locator('td')).toHaveText(
      (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version,
    );
    await expect(dialog.getByTestId('about-timestamps')).toContainText('arrival time in the capture helper');
    await screenshot(page, 'about');
    await page.keyboard.press('Escape');
    await expect(dialog).toHaveCount(0);
    await expect(page.getByTestId('about-open')).toBeFocused();

    // Dark theme: the same dialog, readable.
    await page.getByRole('button', { name: /Switch to dark theme/ }).click();
    await page.getByTestId('about-open').click();
    await expect(dialog.getByTestId('about-cap')).toBeVisible();
    await screenshot(page, 'about-dark');
  });
});

test.describe('first-run permission check without privileges', () => {
  test.skip(!isRoot || !haveSetpriv, 'needs root and setpriv to start the helper as an unprivileged user');
  let host: RunningHost;
  test.beforeAll(async () => {
    host = await startHost([], { HANDSHAKE_HELPER_LAUNCHER: 'setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all' });
  });
  test.afterAll(async () => host?.stop());

  test('a failed check walks through the Linux steps; Check again asks again; the About box offers the check', async ({ page }) => {
    await page.goto(host.url);
    const panel = page.getByRole('dialog', { name: 'Capture permission' });
    await expect(panel).toBeVisible();
    await expect(panel.getByTestId('permission-message')).toContainText('Operation not permitted');
    const steps = panel.getByRole('list', { name: 'Steps for Linux' });
    await expect(steps.locator('code', { hasText: 'sudo usermod -aG handshake-capture $USER' })).toBeVisible();
    await expect(steps).toContainText('setup-capture.sh');
    await expect(steps).toContainText('pkexec');
    await screenshot(page, 'permission-check');
    await panel.getByTestId('permission-check-again').click();
    await expect(panel.getByTestId('permission-check-again')).toBeEnabled();
    await expect(panel.getByTestId('permission-message')).toContainText('Operation not permitted');
    await panel.getByTestId('permission-close').click();
    await expect(panel).toHaveCount(0);
    // Files keep working meanwhile, and the check is one click away in the About box.
    await page.getByTestId('about-open').click();
    await page.getByTestId('about-check-permission').click();
    await expect(panel.getByTestId('permission-steps')).toBeVisible();
  });
});
