import { expect, test } from '@playwright/test';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { haveScapy, ROOT, run, screenshot, startHost, SYSTEM_PYTHON, tempDir, type RunningHost } from './support';

test.describe('SYN flood', () => {
  test.skip(!haveScapy, 'needs Scapy (/usr/bin/python3)');
  let host: RunningHost;
  let dir: string;
  test.beforeAll(async () => {
    dir = tempDir('flood');
    const file = path.join(dir, 'flood.pcap');
    run(SYSTEM_PYTHON, [path.join(ROOT, 'tests', 'fixtures', 'scripts', 'syn_flood.py'), file]);
    host = await startHost([file]);
  });
  test.afterAll(async () => {
    await host?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the connections view raises a banner with the evidence', async ({ page }) => {
    await page.goto(host.url);
    await page.getByTestId('view-connections').click();
    const banner = page.getByTestId('flood-banner');
    await expect(banner).toContainText('SYN flood suspected against 198.18.2.20:80');
    await expect(banner).toContainText('SYN cookies');
    await expect(page.locator('.connections-view .count')).toHaveText('201 of 201 connections');
    await page.getByTestId('conn-filter').fill('198.18.0.1:40000');
    await expect(page.locator('.connections-view .body [role=row]')).toHaveCount(1);
    await page.getByTestId('conn-filter').fill('');
    await screenshot(page, 'flood');
  });
});
