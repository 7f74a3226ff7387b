import { expect, test } from '@playwright/test';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { haveScapy, haveTshark, openCapture, run, startHost, SYSTEM_PYTHON, tempDir, tsharkFrameNumbers, type RunningHost } from './support';

const PACKETS = 'section[aria-label="Packets view"]';

/** The packet list's Encapsulation column over tunnelled frames Scapy builds (tests/unit/wire/tunnel-outer.py). */
test.describe('outer encapsulation column', () => {
  test.skip(!haveScapy || !haveTshark, 'needs Scapy (/usr/bin/python3) and tshark');
  let host: RunningHost;
  let dir: string;

  test.beforeAll(async () => {
    dir = tempDir('encapsulation');
    run(SYSTEM_PYTHON, [path.join(__dirname, '..', 'unit', 'wire', 'tunnel-outer.py'), dir]);
    host = await startHost();
  });
  test.afterAll(async () => {
    await host?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('names each frame\'s tunnel and outer endpoints, and filters on it as tshark filters the tunnel fields', async ({ page }) => {
    const capture = path.join(dir, 'tunnels.pcap');
    await page.goto(host.url);
    await openCapture(page, capture);
    const header = page.locator(`${PACKETS} [role=columnheader]`);
    await expect(header.filter({ hasText: 'Encapsulation' })).toHaveCount(1);
    const cell = (frame: number) => page.locator(`${PACKETS} [data-frame="${frame}"] .encapsulation`);
    await expect(cell(1)).toHaveText('VXLAN 42 / 198.18.0.1→198.18.0.2');
    await expect(cell(3)).toHaveText('GRE key 0x0000abcd / 198.18.0.1→198.18.0.2');
    await expect(cell(7)).toHaveText('6in4 / 198.18.0.5→198.18.0.6');
    await expect(cell(8)).toHaveText('');

    await page.getByTestId('filter-input').fill('tunnel.outer contains "VXLAN 42"');
    await page.getByTestId('filter-input').press('Enter');
    const rows = page.locator(`${PACKETS} [role=row][data-frame]`);
    const expected = tsharkFrameNumbers(capture, 'vxlan.vni == 42');
    await expect(rows).toHaveCount(expected.length);
    expect(await rows.evaluateAll((nodes) => nodes.map((n) => Number((n as HTMLElement).dataset.frame)))).toEqual(expected);
  });
});
