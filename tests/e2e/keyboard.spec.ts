import { expect, test } from '@playwright/test';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { haveScapy, haveTshark, openCapture, pdmlField, ROOT, run, startHost, SYSTEM_PYTHON, tempDir, tsharkFrameNumbers, type RunningHost } from './support';

const PACKETS = 'section[aria-label="Packets view"]';

test.describe('keyboard and scrolling through the browser host', () => {
  test.skip(!haveScapy || !haveTshark, 'needs Scapy (/usr/bin/python3) and tshark');
  let host: RunningHost;
  let dir: string;
  let capture: string;

  test.beforeAll(async () => {
    dir = tempDir('keys');
    capture = path.join(dir, 'keys.pcap');
    run(SYSTEM_PYTHON, [path.join(ROOT, 'tests', 'fixtures', 'scripts', 'expert_capture.py'), capture]);
    host = await startHost();
  });
  test.afterAll(async () => {
    await host?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('Alt+1…6 and Ctrl+/ work right after load and after each other, with focus on the body', async ({ page }) => {
    await page.goto(host.url);
    await expect(page.getByTestId('view-packets')).toHaveAttribute('aria-pressed', 'true');
    // Nothing focused yet: key events go to <body>.
    expect(await page.evaluate(() => document.activeElement === document.body)).toBe(true);
    const sequence: Array<[string, string]> = [
      ['Alt+2', 'connections'],
      ['Alt+3', 'ladder'],
      ['Alt+4', 'editor'],
      ['Alt+5', 'expert'],
      ['Alt+6', 'conversations'],
      ['Alt+1', 'packets'],
      ['Alt+2', 'connections'],
    ];
    for (const [keys, view] of sequence) {
      await page.keyboard.press(keys);
      await expect(page.getByTestId(`view-${view}`), keys).toHaveAttribute('aria-pressed', 'true');
    }
    await page.keyboard.press('Control+/');
    await expect(page.getByTestId('view-packets')).toHaveAttribute('aria-pressed', 'true');
    await expect(page.getByTestId('filter-input')).toBeFocused();
    // From inside the filter box too.
    await page.keyboard.press('Alt+3');
    await expect(page.getByTestId('view-ladder')).toHaveAttribute('aria-pressed', 'true');
    await page.keyboard.press('Control+/');
    await expect(page.getByTestId('filter-input')).toBeFocused();
  });

  test('Home/End/PgUp/PgDn in the tree and the ladder; the list and the tree follow a selection made elsewhere', async ({ page }) => {
    await page.goto(host.url);
    await openCapture(page, capture);
    await page.locator(`${PACKETS} [data-frame="4"]`).click();
    const tree = page.getByTestId('detail-tree');
    await expect(tree).toContainText('Frame 4:');

    // The tree: a byte of the payload, far down, selects its row and scrolls it into view.
    const data = pdmlField(capture, 4, 'tcp.payload');
    await page.locator(`${PACKETS} [data-testid=hex-view] .byte[data-offset="${data.pos + 10}"]`).click();
    const selectedLine = tree.locator('[aria-selected="true"]');
    await expect(selectedLine).toHaveAttribute('data-field', /^(data|tcp\.payload)/);
    await expect(selectedLine).toBeInViewport();

    // The window's bytes select the window field tshark puts there, not the calculated window derived from it.
    const window = pdmlField(capture, 4, 'tcp.window_size_value');
    await page.locator(`${PACKETS} [data-testid=hex-view] .byte[data-offset="${window.pos + 1}"]`).click();
    await expect(selectedLine).toHaveAttribute('data-field', 'tcp.window_size_value');
    // The TTL byte: a field inside the IPv4 layer, as before.
    const ttl = pdmlField(capture, 4, 'ip.ttl');
    await page.locator(`${PACKETS} [data-testid=hex-view] .byte[data-offset="${ttl.pos}"]`).click();
    await expect(selectedLine).toHaveAttribute('data-field', 'ip.ttl');

    await tree.locator('.line').first().click();
    const lineCount = await tree.locator('.line').count();
    await page.keyboard.press('End');
    await expect(tree.locator('.line').nth(lineCount - 1)).toHaveAttribute('aria-selected', 'true');
    await expect(tree.locator('.line').nth(lineCount - 1)).toBeInViewport();
    await page.keyboard.press('Home');
    await expect(tree.locator('.line').first()).toHaveAttribute('aria-selected', 'true');
    await page.keyboard.press('PageDown');
    const afterPage = await tree.locator('.line').evaluateAll((lines) => lines.findIndex((l) => l.getAttribute('aria-selected') === 'true'));
    expect(afterPage).toBeGreaterThan(1);
    await page.keyboard.press('PageUp');
    await expect(tree.locator('.line').first()).toHaveAttribute('aria-selected', 'true');

    // The ladder: End selects the connection's last segment, Home its first.
    await page.keyboard.press('Alt+3');
    const ladder = page.getByTestId('ladder');
    await ladder.focus();
    await page.keyboard.press('End');
    const last = ladder.locator('.arrow').last();
    await expect(last).toHaveClass(/selected/);
    const lastFrame = await last.getAttribute('data-frame');
    expect(Number(lastFrame)).toBe(25);
    await page.keyboard.press('Home');
    await expect(ladder.locator('.arrow').first()).toHaveClass(/selected/);
    await page.keyboard.press('PageDown');
    await expect(ladder.locator('.arrow.selected')).toHaveCount(1);
    await page.keyboard.press('End');

    // Back in the list, the frame chosen in the ladder is selected and scrolled into view.
    await page.keyboard.press('Alt+1');
    const row = page.locator(`${PACKETS} [role=row][data-frame="${lastFrame}"]`);
    await expect(row).toHaveAttribute('aria-selected', 'true');
    await expect(row).toBeInViewport();
  });

  test('Ctrl+F finds by display filter, hex bytes and string, next and previous; Ctrl+G goes to a packet', async ({ page }) => {
    await page.goto(host.url);
    await openCapture(page, capture);
    const selected = page.locator(`${PACKETS} [role=row][aria-selected=true]`);

    await page.keyboard.press('Control+f');
    await expect(page.getByTestId('find-text')).toBeFocused();
    const dupAcks = tsharkFrameNumbers(capture, 'tcp.analysis.duplicate_ack');
    expect(dupAcks.length).toBeGreaterThan(2);
    await page.keyboard.type('tcp.analysis.duplicate_ack');
    await page.keyboard.press('Enter');
    await expect(selected).toHaveAttribute('data-frame', String(dupAcks[0]));
    await page.keyboard.press('Enter');
    await expect(selected).toHaveAttribute('data-frame', String(dupAcks[1]));
    await page.keyboard.press('Shift+Enter');
    await expect(selected).toHaveAttribute('data-frame', String(dupAcks[0]));
    // Before the first: wraps around to the last.
    await page.keyboard.press('Shift+Enter');
    await expect(selected).toHaveAttribute('data-frame', String(dupAcks[dupAcks.length - 1]));
    await expect(page.getByTestId('find-status')).toContainText('wrapped');

    await page.getByTestId('find-mode').selectOption('hex');
    await page.getByTestId('find-text').fill('76 76 76');
    await page.getByTestId('find-next').click();
    await expect(selected).toHaveAttribute('data-frame', String(tsharkFrameNumbers(capture, 'frame contains 76:76:76')[0]));

    await page.getByTestId('find-mode').selectOption('string');
    await page.getByTestId('find-text').fill('bad checksum');
    await page.getByTestId('find-next').click();
    await expect(selected).toHaveAttribute('data-frame', String(tsharkFrameNumbers(capture, 'frame contains "bad checksum"')[0]));
    await page.getByTestId('find-text').fill('no such text anywhere');
    await page.getByTestId('find-next').click();
    await expect(page.getByTestId('find-status')).toHaveText('no packet matches');

    // Go to packet: selected and scrolled into view; a number outside the capture is refused.
    await page.keyboard.press('Control+g');
    await expect(page.getByTestId('goto-number')).toBeFocused();
    await page.keyboard.type('36');
    await page.keyboard.press('Enter');
    await expect(selected).toHaveAttribute('data-frame', '36');
    await expect(selected).toBeInViewport();
    await page.keyboard.press('Control+g');
    await page.getByTestId('goto-number').fill('99');
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('find-status')).toContainText('no frame 99');
  });

  test('right-click a field: Apply as Filter and Prepare as Filter use its value', async ({ page }) => {
    await page.goto(host.url);
    await openCapture(page, capture);
    await page.keyboard.press('Control+g');
    await page.getByTestId('goto-number').fill('26');
    await page.keyboard.press('Enter');
    const tree = page.getByTestId('detail-tree');
    await expect(tree).toContainText('Frame 26:');
    await tree.locator('[data-field="ip.dst"]').first().click({ button: 'right' });
    await page.getByTestId('field-prepare').click();
    await expect(page.getByTestId('filter-input')).toHaveValue('ip.dst == 198.18.1.3');
    await tree.locator('[data-field="tcp.srcport"]').first().click({ button: 'right' });
    await page.getByTestId('field-apply').click();
    await expect(page.getByTestId('filter-input')).toHaveValue('tcp.srcport == 42000');
    const expected = tsharkFrameNumbers(capture, 'tcp.srcport == 42000');
    await expect(page.locator(`${PACKETS} [role=row][data-frame]`)).toHaveCount(expected.length);
    expect(await page.locator(`${PACKETS} [role=row][data-frame]`).evaluateAll((rows) => rows.map((r) => Number((r as HTMLElement).dataset.frame)))).toEqual(expected);
  });
});
