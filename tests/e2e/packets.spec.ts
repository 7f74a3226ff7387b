import { expect, test } from '@playwright/test';
import { haveScapy, haveTshark, litOffsets, openCapture, pdmlField, screenshot, tsharkFrameNumbers, workbenchCaptureHost } from './support';

const PACKETS = 'section[aria-label="Packets view"]';

test.describe('packets view through the browser host', () => {
  test.skip(!haveScapy || !haveTshark, 'needs Scapy (/usr/bin/python3) and tshark');
  const env = workbenchCaptureHost('packets');

  test('open a capture, filter, select a frame, and follow field ↔ byte highlighting', async ({ page }) => {
    const { host, capture } = env;
    await page.goto(host.url);
    await openCapture(page, capture);
    await expect(page.getByTestId('session-name')).toHaveText('workbench.pcap');
    const rows = page.locator(`${PACKETS} [role=row][data-frame]`);
    await expect(rows).toHaveCount(18);

    // A display filter: the same frames tshark -Y selects.
    const expression = 'tcp.flags.syn == 1 && ip.addr == 198.18.0.2';
    await page.getByTestId('filter-input').fill(expression);
    await expect(page.getByTestId('filter-input')).toHaveAttribute('aria-invalid', 'false');
    await page.getByTestId('filter-input').press('Enter');
    const expected = tsharkFrameNumbers(capture, expression);
    await expect(rows).toHaveCount(expected.length);
    expect((await rows.evaluateAll((nodes) => nodes.map((n) => Number((n as HTMLElement).dataset.frame))))).toEqual(expected);

    // A bad expression is refused with its position, and the list stays as it was.
    await page.getByTestId('filter-input').fill('tcp.port = 80');
    await expect(page.getByTestId('filter-status')).toContainText("col 10");
    await expect(page.getByTestId('filter-apply')).toBeDisabled();
    await page.getByTestId('filter-input').fill(expression);

    // Select the SYN+ACK: the detail tree decodes it.
    await page.locator(`${PACKETS} [data-frame="2"]`).click();
    const tree = page.getByTestId('detail-tree');
    await expect(tree).toContainText('Transmission Control Protocol, Src Port: 443, Dst Port: 40000');
    await expect(tree).toContainText('Flags: 0x012 (SYN, ACK)');

    // Field → bytes: selecting tcp.flags lights exactly the bytes tshark's PDML gives for it.
    await tree.locator('[data-field="tcp.flags"]').first().click();
    const flags = pdmlField(capture, 2, 'tcp.flags');
    expect(await litOffsets(page, PACKETS)).toEqual(Array.from({ length: flags.size }, (_, i) => flags.pos + i));

    // Bytes → field: clicking the TTL byte selects ip.ttl in the tree.
    const ttl = pdmlField(capture, 2, 'ip.ttl');
    await page.locator(`${PACKETS} [data-testid=hex-view] .byte[data-offset="${ttl.pos}"]`).click();
    await expect(tree.locator('[aria-selected="true"]')).toHaveAttribute('data-field', 'ip.ttl');
    await expect(page.getByTestId('field-status')).toContainText(`bytes ${ttl.pos}–${ttl.pos}`);

    // Keyboard: arrow down in the list moves the selection to the next matching frame.
    await page.getByTestId('packet-list').focus();
    await page.keyboard.press('ArrowDown');
    await expect(page.locator(`${PACKETS} [role=row][aria-selected="true"]`)).toHaveAttribute('data-frame', String(expected[expected.indexOf(2) + 1]));
    await screenshot(page, 'packets');
  });

  test('analysis and checksum findings are coloured and explained', async ({ page }) => {
    const { host, capture } = env;
    await page.goto(host.url);
    await openCapture(page, capture);
    await expect(page.locator(`${PACKETS} [data-frame="18"]`)).toBeVisible();
    await expect(page.locator(`${PACKETS} [data-frame="5"]`)).toHaveClass(/row-retransmission/);
    await expect(page.locator(`${PACKETS} [data-frame="17"]`)).toHaveClass(/row-bad-checksum/);
    await expect(page.locator(`${PACKETS} [data-frame="14"]`)).toHaveClass(/row-rst/);
    await page.locator(`${PACKETS} [data-frame="17"]`).click();
    await expect(page.getByTestId('detail-tree')).toContainText('Checksum status: Bad');
    await page.locator(`${PACKETS} [data-frame="1"]`).click();
    await expect(page.getByTestId('explain').first()).toContainText('A SYN consumes one sequence number');
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.getByRole('button', { name: /Switch to dark theme/ }).click();
    await screenshot(page, 'packets-dark');
  });
});
