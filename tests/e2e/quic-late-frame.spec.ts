/**
 * A late frame of a long QUIC connection, clicked in real Chromium through the browser host:
 * build_long_quic.py's 102,512-frame connection (its secrets embedded by editcap) is opened, the
 * user goes to frame 102,001 (past the 10,000 QUIC frames whose trees are kept whole, and past
 * 100,000 as they once were, so its tree is derived again on demand) and the detail pane shows tshark's packet number, key phase
 * and frame types for it, and the row tshark's Info.
 */
import { expect, test } from '@playwright/test';
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { haveScapy, haveTshark, openCapture, ROOT, screenshot, startHost, SYSTEM_PYTHON, tempDir, type RunningHost } from './support';

const PACKETS = 'section[aria-label="Packets view"]';
const haveCryptography = spawnSync(SYSTEM_PYTHON, ['-c', 'import cryptography'], { stdio: 'ignore' }).status === 0;
const haveEditcap = spawnSync('sh', ['-c', 'command -v editcap'], { stdio: 'ignore' }).status === 0;
const missing = [!haveTshark && 'tshark', !haveEditcap && 'editcap', !haveScapy && 'Scapy', !haveCryptography && "python3's cryptography"].filter(Boolean);
const FRAME = 102_001;

test.describe('a late QUIC frame in the detail pane', () => {
  test.skip(missing.length > 0, `needs ${missing.join(', ')}`);
  let host: RunningHost | undefined;
  let file = '';
  let dir = '';

  test.beforeAll(async () => {
    test.setTimeout(240_000);
    dir = tempDir('quic-late');
    const pcap = path.join(dir, 'long.pcap');
    const keylog = path.join(dir, 'keys.txt');
    file = path.join(dir, 'long.pcapng');
    execFileSync(SYSTEM_PYTHON, [path.join(ROOT, 'tests', 'integration', 'quic', 'build_long_quic.py'), pcap, keylog, '100500']);
    execFileSync('editcap', ['--inject-secrets', `tls,${keylog}`, pcap, file]);
    host = await startHost([]);
  });
  test.afterAll(async () => {
    await host?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("frame 102,001 shows tshark's QUIC tree and Info", async ({ page }) => {
    test.setTimeout(240_000);
    const [packetNumber, frameTypes, keyPhase, info] = execFileSync('tshark', ['-r', file, '-Y', `frame.number == ${FRAME}`, '-T', 'fields', '-E', 'occurrence=a', '-e', 'quic.packet_number', '-e', 'quic.frame_type', '-e', 'quic.key_phase', '-e', '_ws.col.Info'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .trim()
      .split('\t');
    await page.goto(host!.url);
    await openCapture(page, file);
    // Wait until indexing has reached the frame (Go to refuses a frame not indexed yet).
    const tree = page.getByTestId('detail-tree');
    await expect(async () => {
      await page.keyboard.press('Control+g');
      await page.getByTestId('goto-number').fill(String(FRAME));
      await page.keyboard.press('Enter');
      await expect(tree).toContainText(`Frame ${FRAME}:`, { timeout: 2000 });
    }).toPass({ timeout: 180_000 });
    await expect(tree.locator('[data-field="quic.packet_number"]')).toHaveText(`Packet Number: ${packetNumber}`);
    await expect(tree.locator('[data-field="quic.key_phase"]')).toHaveText(`Key Phase Bit: ${keyPhase === '1' ? 'True' : 'False'}`);
    // Each QUIC frame's node opens to show its type.
    const frameNodes = tree.locator('[data-field="quic.frame"]');
    for (let k = 0; k < (await frameNodes.count()); k++) {
      if ((await frameNodes.nth(k).getAttribute('aria-expanded')) === 'false') await frameNodes.nth(k).getByRole('button', { name: 'Expand' }).click();
    }
    await expect(tree.locator('[data-field="quic.frame_type"]')).toHaveCount(frameTypes.split(',').length);
    const shownTypes = await tree.locator('[data-field="quic.frame_type"]').evaluateAll((nodes) => nodes.map((node) => parseInt(/\(0x([0-9a-f]+)\)/.exec(node.textContent ?? '')![1], 16)));
    expect(shownTypes.join(',')).toBe(frameTypes);
    await expect(page.locator(`${PACKETS} [role=row][data-frame="${FRAME}"] [data-column="info"]`)).toHaveText(info);
    await screenshot(page, 'quic-late-frame');
  });
});
