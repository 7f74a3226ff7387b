import { defineConfig } from '@playwright/test';

// End-to-end tests drive Debian's Chromium against the browser host (the real engine and
// helpers behind the same API the Electron window uses). Never `npx playwright install`.
export default defineConfig({
  testDir: 'tests/e2e',
  globalSetup: './tests/e2e/global-setup.ts',
  outputDir: 'test-results',
  timeout: 90_000,
  expect: { timeout: 10_000 },
  // One worker: the machine is small and live tests create network namespaces.
  workers: 1,
  fullyParallel: false,
  reporter: 'list',
  use: {
    viewport: { width: 1400, height: 860 },
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic'],
    },
    screenshot: 'only-on-failure',
    acceptDownloads: true,
  },
  projects: [{ name: 'chromium', use: { browserName: 'chromium' } }],
});
