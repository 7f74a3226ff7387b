import { expect, test, type Page } from '@playwright/test';
import path from 'node:path';
import { haveScapy, haveTshark, openCapture, run, screenshot, workbenchCaptureHost } from './support';

const PACKETS = 'section[aria-label="Packets view"]';

/** tshark -T fields for every frame: frame.number first, then the fields asked for. */
function tsharkColumns(file: string, fields: string[]): string[][] {
  return run('tshark', ['-r', file, '-T', 'fields', '-E', 'separator=|', '-e', 'frame.number', ...fields.flatMap((f) => ['-e', f])])
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('|'));
}

/** The list's rows as shown: each row's cells by column id. */
async function shownRows(page: Page): Promise<Record<string, string>[]> {
  return page.locator(`${PACKETS} [role=row][data-frame]`).evaluateAll((rows) =>
    rows.map((row) => {
      const out: Record<string, string> = {};
      for (const cell of Array.from(row.querySelectorAll<HTMLElement>('[role=gridcell][data-column]'))) out[cell.dataset.column ?? ''] = (cell.textContent ?? '').replace(/^✎ /, '').trim();
      return out;
    }),
  );
}

/** A fresh profile whose packet list pane is tall enough for all 18 rows at 1024×700. */
async function freshLayout(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.evaluate(() => {
    localStorage.clear();
    localStorage.setItem('handshake.panes.v1', JSON.stringify({ packets: [88, 12] }));
  });
  await page.reload();
}

async function headerIds(page: Page): Promise<string[]> {
  return page.locator(`${PACKETS} [role=columnheader]`).evaluateAll((cells) => cells.map((cell) => (cell as HTMLElement).dataset.column ?? ''));
}

test.describe('packet list columns through the browser host', () => {
  test.skip(!haveScapy || !haveTshark, 'needs Scapy (/usr/bin/python3) and tshark');
  test.use({ viewport: { width: 1024, height: 700 } });
  const env = workbenchCaptureHost('columns');

  test('custom columns, Apply as Column, sorting, hiding, resizing and reordering, kept after a reload', async ({ page }) => {
    const { host, capture } = env;
    await freshLayout(page, host.url);
    await openCapture(page, capture);
    const rows = page.locator(`${PACKETS} [role=row][data-frame]`);
    await expect(rows).toHaveCount(18);
    const oracle = tsharkColumns(capture, ['ip.ttl', 'tcp.srcport', 'frame.len', 'tcp.window_size_value']);

    // Apply as Column from the detail tree's context menu: the field's value in every row, as tshark prints it.
    await page.locator(`${PACKETS} [data-frame="4"]`).click();
    const tree = page.getByTestId('detail-tree');
    await tree.locator('[data-field="ip.ttl"]').first().click({ button: 'right' });
    await page.getByTestId('field-column').click();
    await expect(page.locator(`${PACKETS} [role=columnheader][data-column="field:ip.ttl"]`)).toHaveText('ip.ttl');
    await expect.poll(async () => (await shownRows(page)).map((row) => [row.number, row['field:ip.ttl']])).toEqual(oracle.map((f) => [f[0], f[1]]));

    // A field typed in the header's menu; a name no dissector has is refused with the reason.
    await page.locator(`${PACKETS} [role=columnheader][data-column="info"]`).click({ button: 'right' });
    await page.getByTestId('column-field').fill('tcp.nosuchfield');
    await page.getByTestId('column-add').click();
    await expect(page.getByTestId('column-error')).toContainText('not a display-filter field');
    await page.getByTestId('column-field').fill('tcp.window_size_value');
    await page.getByTestId('column-add').click();
    await expect(page.getByTestId('column-menu')).toBeHidden();
    await expect.poll(async () => (await shownRows(page)).map((row) => row['field:tcp.window_size_value'])).toEqual(oracle.map((f) => f[4]));

    // Sort by the custom column, descending (second click): tshark's values in that order, ties in capture order.
    const ttlHeader = page.locator(`${PACKETS} [role=columnheader][data-column="field:ip.ttl"]`);
    await ttlHeader.click();
    await expect(ttlHeader).toHaveAttribute('aria-sort', 'ascending');
    await ttlHeader.click();
    await expect(ttlHeader).toHaveAttribute('aria-sort', 'descending');
    const byTtl = [...oracle].sort((a, b) => Number(b[1] || -1) - Number(a[1] || -1) || Number(a[0]) - Number(b[0])).map((f) => f[0]);
    await expect.poll(async () => (await shownRows(page)).map((row) => row.number)).toEqual(byTtl);
    // Length ascending: frame.len order.
    await page.locator(`${PACKETS} [role=columnheader][data-column="length"]`).click();
    const byLength = [...oracle].sort((a, b) => Number(a[3]) - Number(b[3]) || Number(a[0]) - Number(b[0])).map((f) => f[0]);
    await expect.poll(async () => (await shownRows(page)).map((row) => row.number)).toEqual(byLength);
    // The selected frame stays selected at its new place, and the arrow keys walk the sorted order.
    await page.locator(`${PACKETS} [data-frame="${byLength[0]}"]`).click();
    await page.keyboard.press('ArrowDown');
    await expect(page.locator(`${PACKETS} [role=row][aria-selected=true]`)).toHaveAttribute('data-frame', byLength[1]);
    // Third click: capture order again.
    await page.locator(`${PACKETS} [role=columnheader][data-column="length"]`).click();
    await page.locator(`${PACKETS} [role=columnheader][data-column="length"]`).click();
    await expect.poll(async () => (await shownRows(page)).map((row) => row.number)).toEqual(oracle.map((f) => f[0]));

    // Hide Protocol from the header menu.
    await page.locator(`${PACKETS} [role=columnheader][data-column="source"]`).click({ button: 'right' });
    await page.getByTestId('column-toggle-protocol').uncheck();
    await page.mouse.click(5, 690);
    await expect(page.locator(`${PACKETS} [role=columnheader][data-column="protocol"]`)).toHaveCount(0);

    // Resize Source by dragging its right edge 60 px.
    const source = page.locator(`${PACKETS} [role=columnheader][data-column="source"]`);
    const before = (await source.boundingBox())!.width;
    const handle = (await page.getByTestId('resize-source').boundingBox())!;
    await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
    await page.mouse.down();
    await page.mouse.move(handle.x + handle.width / 2 + 30, handle.y + 5, { steps: 3 });
    await page.mouse.move(handle.x + handle.width / 2 + 60, handle.y + 5, { steps: 3 });
    await page.mouse.up();
    expect(Math.round((await source.boundingBox())!.width - before)).toBe(60);

    // Drag Length onto No.: it becomes the first column.
    const from = (await page.locator(`${PACKETS} [role=columnheader][data-column="length"]`).boundingBox())!;
    const onto = (await page.locator(`${PACKETS} [role=columnheader][data-column="number"]`).boundingBox())!;
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await page.mouse.down();
    await page.mouse.move(onto.x + onto.width / 2, onto.y + onto.height / 2, { steps: 8 });
    await page.mouse.up();
    expect((await headerIds(page))[0]).toBe('length');
    const layout = await headerIds(page);
    const width = (await source.boundingBox())!.width;

    // A new session in the same browser profile: the same columns, order and widths.
    await page.reload();
    await openCapture(page, capture);
    await expect(rows).toHaveCount(18);
    expect(await headerIds(page)).toEqual(layout);
    expect((await source.boundingBox())!.width).toBe(width);
    await expect.poll(async () => (await shownRows(page)).map((row) => row['field:ip.ttl'])).toEqual(oracle.map((f) => f[1]));
    await screenshot(page, 'columns-1024x700');
  });

  test('time references: Ctrl+T makes a frame *REF* and later times count from it, as tshark -r with a reference', async ({ page }) => {
    const { host, capture } = env;
    await freshLayout(page, host.url);
    await openCapture(page, capture);
    const times = tsharkColumns(capture, ['frame.time_relative']).map((f) => Number(f[1]));
    await page.locator(`${PACKETS} [data-frame="5"]`).click();
    await page.keyboard.press('Control+t');
    const time = (frame: number) => page.locator(`${PACKETS} [data-frame="${frame}"] [data-column="time"]`);
    await expect(time(5)).toHaveText('*REF*');
    // Later frames count from frame 5, earlier ones still from the first frame.
    for (const frame of [6, 12, 18]) expect(Number(await time(frame).textContent())).toBeCloseTo(times[frame - 1] - times[4], 5);
    expect(Number(await time(3).textContent())).toBeCloseTo(times[2], 5);
    // A second reference; then Ctrl+T again on it unsets it.
    await page.locator(`${PACKETS} [data-frame="10"]`).click();
    await page.keyboard.press('Control+t');
    await expect(time(10)).toHaveText('*REF*');
    expect(Number(await time(12).textContent())).toBeCloseTo(times[11] - times[9], 5);
    await page.keyboard.press('Control+t');
    await expect(time(10)).not.toHaveText('*REF*');
    expect(Number(await time(12).textContent())).toBeCloseTo(times[11] - times[4], 5);
    // The row menu: Unset All Time References.
    await page.locator(`${PACKETS} [data-frame="7"]`).click({ button: 'right' });
    await page.getByTestId('row-unref-all').click();
    await expect(time(5)).not.toHaveText('*REF*');
    expect(Number(await time(12).textContent())).toBeCloseTo(times[11], 5);
    // Ctrl+M still marks, from the same list.
    await page.keyboard.press('Control+m');
    await expect(page.locator(`${PACKETS} [data-frame="7"]`)).toHaveClass(/marked/);
  });

  test('packet comments: column, marker, tree and filter as tshark reads them; Ctrl+Alt+C edits, saved as pcapng', async ({ page }) => {
    const { host, capture, dir } = env;
    const commented = path.join(dir, 'commented.pcapng');
    run('editcap', ['-F', 'pcapng', '-a', '4:first data segment', '-a', '9:client closes', capture, commented]);
    await freshLayout(page, host.url);
    await openCapture(page, commented);
    const rows = page.locator(`${PACKETS} [role=row][data-frame]`);
    await expect(rows).toHaveCount(18);
    // The Comment column, shown from the header menu.
    await page.locator(`${PACKETS} [role=columnheader][data-column="info"]`).click({ button: 'right' });
    await page.getByTestId('column-toggle-comment').check();
    await page.mouse.click(5, 690);
    const oracle = tsharkColumns(commented, ['frame.comment']);
    await expect.poll(async () => (await shownRows(page)).map((row) => row.comment)).toEqual(oracle.map((f) => f[1]));
    await expect(page.locator(`${PACKETS} [data-testid=comment-mark]`)).toHaveCount(2);
    await page.locator(`${PACKETS} [data-frame="4"]`).click();
    await expect(page.getByTestId('detail-tree').locator('[data-field="frame.comment"]').first()).toContainText('first data segment');
    // The display filter, as tshark -Y.
    await page.getByTestId('filter-input').fill('frame.comment contains "closes"');
    await page.getByTestId('filter-input').press('Enter');
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toHaveAttribute('data-frame', '9');
    await page.getByTestId('filter-input').fill('');
    await page.getByTestId('filter-input').press('Enter');
    await expect(rows).toHaveCount(18);

    // Ctrl+Alt+C on frame 6: a new comment; on frame 4, edit it.
    await page.locator(`${PACKETS} [data-frame="6"]`).click();
    await page.keyboard.press('Control+Alt+c');
    await expect(page.getByTestId('comment-dialog')).toBeVisible();
    await page.getByTestId('comment-text-0').fill('added "here", in the UI');
    await page.getByTestId('comment-save').click();
    await expect(page.getByTestId('comment-dialog')).toBeHidden();
    await expect(page.locator(`${PACKETS} [data-frame="6"] [data-column="comment"]`)).toHaveText('added "here", in the UI');
    await page.locator(`${PACKETS} [data-frame="4"]`).click({ button: 'right' });
    await page.getByTestId('row-comment').click();
    await expect(page.getByTestId('comment-text-0')).toHaveValue('first data segment');
    await page.getByTestId('comment-text-0').fill('edited');
    await page.getByTestId('comment-save').click();
    await expect(page.locator(`${PACKETS} [data-frame="4"] [data-column="comment"]`)).toHaveText('edited');
    // Delete frame 9's from the row menu.
    await page.locator(`${PACKETS} [data-frame="9"]`).click({ button: 'right' });
    await page.getByTestId('row-delete-comments').click();
    await expect(page.locator(`${PACKETS} [data-frame="9"] [data-column="comment"]`)).toHaveText('');

    // Save As pcapng: tshark reads the edited comments.
    const target = path.join(dir, 'comments-saved.pcapng');
    await page.getByTestId('save-as').click();
    await page.getByTestId('save-path').fill(target);
    await page.getByTestId('save-format-pcapng').check();
    await page.getByTestId('save-write').click();
    await expect(page.locator('.notice[role=status]')).toHaveText(`saved 18 frames to ${target}`);
    expect(tsharkColumns(target, ['frame.comment']).filter((f) => f[1] !== '')).toEqual([
      ['4', 'edited'],
      ['6', 'added "here", in the UI'],
    ]);
  });
});
