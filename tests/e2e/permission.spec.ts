import { expect, test } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { screenshot, startHost, type RunningHost } from './support';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const haveSetpriv = spawnSync('setpriv', ['--version']).status === 0;

/** The helper started without privileges (as nobody, no capabilities): the UI says exactly why and what to do. */
test.describe('capture without permission', () => {
  test.skip(!isRoot || !haveSetpriv, 'needs root and setpriv to start the helper as an unprivileged user');
  let host: RunningHost;
  test.beforeAll(async () => {
    host = await startHost([], { HANDSHAKE_HELPER_LAUNCHER: 'setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all' });
  });
  test.afterAll(async () => host?.stop());

  test('starting a capture shows the permission problem and the remedies, and nothing else breaks', async ({ page }) => {
    await page.goto(host.url);
    await expect(page.getByTestId('iface').locator('option[value="lo"]')).toHaveCount(1);
    await page.getByTestId('iface').selectOption('lo');
    await page.getByTestId('capture-start').click();
    const banner = page.getByTestId('error-banner');
    await expect(banner).toContainText('no permission to capture on lo');
    await expect(banner).toContainText('pkexec');
    await expect(page.getByTestId('capture-start')).toBeVisible();
    await screenshot(page, 'permission');
    // The rest of the workbench still works: the editor builds frames.
    await page.getByTestId('view-editor').click();
    await page.getByTestId('template-syn').click();
    await expect(page.getByTestId('input-tcp.checksum')).not.toHaveValue('');
  });
});
