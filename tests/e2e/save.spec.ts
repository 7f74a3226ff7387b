import { expect, test, type Page } from '@playwright/test';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildWorkbenchCapture, haveScapy, haveTshark, openCapture, run, startHost, tempDir, tsharkFrameNumbers, type RunningHost } from './support';

const PACKETS = 'section[aria-label="Packets view"]';

/** tshark's view of a saved file: each frame's epoch time, and its comment if any. */
function tsharkFrames(file: string): { time: string; comment: string }[] {
  return run('tshark', ['-r', file, '-T', 'fields', '-E', 'separator=|', '-e', 'frame.time_epoch', '-e', 'frame.comment'])
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [time, comment = ''] = line.split('|');
      return { time, comment };
    });
}

function fileType(file: string): string {
  return run('capinfos', ['-t', '-M', file]).trim().split('\n').pop() ?? '';
}

async function saveThroughDialog(page: Page, target: string, options: { range?: string; format?: 'pcap' | 'pcapng' } = {}): Promise<void> {
  await page.getByTestId(options.range ? 'export-specified' : 'save-as').click();
  const dialog = page.getByTestId('save-dialog');
  await expect(dialog).toBeVisible();
  await page.getByTestId('save-path').fill(target);
  if (options.format) await page.getByTestId(`save-format-${options.format}`).check();
  if (options.range) await page.getByTestId(`save-range-${options.range}`).check();
  await page.getByTestId('save-write').click();
}

test.describe('save and export specified packets through the browser host', () => {
  test.skip(!haveScapy || !haveTshark, 'needs Scapy (/usr/bin/python3), editcap and tshark');
  let host: RunningHost;
  let dir: string;
  let capture: string;

  test.beforeAll(async () => {
    dir = tempDir('save');
    // Two packet comments, written by editcap (an independent pcapng writer).
    capture = path.join(dir, 'commented.pcapng');
    run('editcap', ['-F', 'pcapng', '-a', '4:first data segment', '-a', '9:client closes', buildWorkbenchCapture(dir), capture]);
    host = await startHost();
  });
  test.afterAll(async () => {
    await host?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('Save As keeps every frame and its comments; replacing a file needs a confirmation', async ({ page }) => {
    await page.goto(host.url);
    await openCapture(page, capture);
    await expect(page.locator(`${PACKETS} [role=row][data-frame]`)).toHaveCount(18);

    const target = path.join(dir, 'saved.pcapng');
    await saveThroughDialog(page, target);
    await expect(page.locator('.notice[role=status]')).toHaveText(`saved 18 frames to ${target}`);
    expect(tsharkFrames(target)).toEqual(tsharkFrames(capture));
    expect(tsharkFrames(target).filter((f) => f.comment).map((f) => f.comment)).toEqual(['first data segment', 'client closes']);

    // The same path again: nothing is written until the user confirms.
    writeFileSync(target, 'keep me');
    await saveThroughDialog(page, target, { format: 'pcap' });
    await expect(page.getByTestId('save-confirm')).toContainText(`${target} already exists`);
    expect(readFileSync(target, 'utf8')).toBe('keep me');
    // Ctrl+S-free path: Enter on the focused Replace button confirms.
    await expect(page.getByTestId('save-replace')).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('save-dialog')).toBeHidden();
    expect(statSync(target).size).toBeGreaterThan(24);
    expect(fileType(target)).toMatch(/pcap$/);
    expect(tsharkFrames(target).map((f) => f.time)).toEqual(tsharkFrames(capture).map((f) => f.time));

    // Cancel on the confirmation: the existing file stays.
    const kept = path.join(dir, 'kept.pcap');
    writeFileSync(kept, 'original');
    await saveThroughDialog(page, kept);
    await expect(page.getByTestId('save-confirm')).toBeVisible();
    await page.getByTestId('save-cancel').click();
    expect(readFileSync(kept, 'utf8')).toBe('original');
  });

  test('Export Specified Packets: displayed, selected and marked frames, pcap or pcapng', async ({ page }) => {
    await page.goto(host.url);
    await openCapture(page, capture);
    const all = tsharkFrames(capture);

    // Displayed: the frames the display filter passes, as tshark -Y selects them.
    const expression = 'tcp.flags.syn == 1';
    await page.getByTestId('filter-input').fill(expression);
    await page.getByTestId('filter-input').press('Enter');
    const expected = tsharkFrameNumbers(capture, expression);
    await expect(page.locator(`${PACKETS} [role=row][data-frame]`)).toHaveCount(expected.length);
    const displayed = path.join(dir, 'displayed.pcap');
    await saveThroughDialog(page, displayed, { range: 'displayed', format: 'pcap' });
    await expect(page.locator('.notice[role=status]')).toHaveText(`saved ${expected.length} frames to ${displayed}`);
    expect(tsharkFrames(displayed).map((f) => f.time)).toEqual(expected.map((n) => all[n - 1].time));
    expect(fileType(displayed)).toMatch(/pcap$/);

    // Marked: Ctrl+M on two frames of the full list (one carries a comment, which pcapng keeps).
    await page.getByTestId('filter-input').fill('');
    await page.getByTestId('filter-input').press('Enter');
    for (const frame of [4, 7]) {
      await page.locator(`${PACKETS} [data-frame="${frame}"]`).click();
      await page.keyboard.press('Control+m');
      await expect(page.locator(`${PACKETS} [data-frame="${frame}"]`)).toHaveClass(/marked/);
    }
    // Unmark and mark again: a toggle.
    await page.keyboard.press('Control+m');
    await expect(page.locator(`${PACKETS} [data-frame="7"]`)).not.toHaveClass(/marked/);
    await page.keyboard.press('Control+m');
    const marked = path.join(dir, 'marked.pcapng');
    await saveThroughDialog(page, marked, { range: 'marked', format: 'pcapng' });
    await expect(page.locator('.notice[role=status]')).toHaveText(`saved 2 frames to ${marked}`);
    expect(tsharkFrames(marked)).toEqual([all[3], all[6]]);
    expect(tsharkFrames(marked)[0].comment).toBe('first data segment');

    // Selected: the one selected frame.
    await page.locator(`${PACKETS} [data-frame="9"]`).click();
    const selected = path.join(dir, 'selected.pcapng');
    await saveThroughDialog(page, selected, { range: 'selected' });
    await expect(page.locator('.notice[role=status]')).toHaveText(`saved 1 frame to ${selected}`);
    expect(tsharkFrames(selected)).toEqual([all[8]]);
    expect(existsSync(selected)).toBe(true);
  });

  test('a small truncated file shows where its damage begins, as the CLI does', async ({ page }) => {
    const whole = buildWorkbenchCapture(dir);
    const bytes = readFileSync(whole);
    const cut = path.join(dir, 'cut.pcap');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
    // Where the last record starts, from tshark's frame lengths: 24-byte file header, 16 bytes before each frame.
    const lengths = run('tshark', ['-r', whole, '-T', 'fields', '-e', 'frame.cap_len']).split('\n').filter(Boolean).map(Number);
    const offset = 24 + lengths.slice(0, -1).reduce((sum, n) => sum + 16 + n, 0);
    await page.goto(host.url);
    await page.getByTestId('open-path').fill(cut);
    await page.getByTestId('open-button').click();
    const notice = page.locator('.notice[role=status]');
    await expect(notice).toContainText(`opened cut.pcap; damaged at byte ${offset} (frame ${lengths.length})`);
    await expect(notice).toHaveClass(/error/);
    await expect(page.locator('.status-bar')).toContainText(`stopped: damaged at byte ${offset}`);
    await expect(page.getByTestId('counts')).toContainText(`Frames: ${lengths.length - 1}`);
  });
});
