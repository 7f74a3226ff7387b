import { _electron as electron, expect, test } from '@playwright/test';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { buildWorkbenchCapture, haveScapy, ROOT, screenshot, tempDir } from './support';

/** The Electron binary, when the electron package downloaded one (these machines skip it). */
function electronBinary(): string | null {
  const pathFile = path.join(ROOT, 'node_modules', 'electron', 'path.txt');
  if (!existsSync(pathFile)) return null;
  const binary = path.join(ROOT, 'node_modules', 'electron', 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : null;
}

const binary = electronBinary();

test('the Electron window opens a capture with a locked-down renderer', async () => {
  test.skip(binary === null, 'no Electron binary installed (ELECTRON_SKIP_BINARY_DOWNLOAD=1 on this machine); the same renderer is tested through the browser host');
  test.skip(!haveScapy, 'needs Scapy (/usr/bin/python3) for the capture');
  const dir = tempDir('electron');
  try {
    const capture = buildWorkbenchCapture(dir);
    const app = await electron.launch({ executablePath: binary ?? undefined, args: [ROOT, capture] });
    try {
      const page = await app.firstWindow();
      await expect(page.getByTestId('session-name')).toHaveText('workbench.pcap');
      await expect(page.locator('[role=row][data-frame]')).toHaveCount(18);
      // The page sees the typed API and nothing of Node or Electron (no nodeIntegration, isolated preload).
      expect(await page.evaluate(() => typeof (window as unknown as { require?: unknown }).require)).toBe('undefined');
      expect(await page.evaluate(() => typeof (window as unknown as { process?: unknown }).process)).toBe('undefined');
      // Navigation away and new windows are refused by the main process.
      await page.evaluate(() => window.open('about:blank'));
      expect(app.windows()).toHaveLength(1);
      expect(await page.evaluate(() => typeof (window as unknown as { handshake?: { getRows?: unknown } }).handshake?.getRows)).toBe('function');
      await screenshot(page, 'electron');
    } finally {
      await app.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
