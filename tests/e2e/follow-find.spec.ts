/**
 * Find in the Follow Stream dialog, as Wireshark's "Find:" box: a TCP conversation Scapy writes
 * (sixty turns, long enough to scroll) hides "needle" in three cases at three known places, in
 * both directions. Find Next highlights each in turn, scrolled into view, then wraps to the
 * first; the case option narrows it to the exact case; in the hex dump it finds the bytes'
 * hex and their text column.
 */
import { expect, test } from '@playwright/test';
import path from 'node:path';
import { rmSync } from 'node:fs';
import { haveScapy, openCapture, run, screenshot, startHost, SYSTEM_PYTHON, tempDir, type RunningHost } from './support';

const PACKETS = 'section[aria-label="Packets view"]';

/** Turn i's text; the needles sit in turns 3 (client), 30 (server, at its start) and 55 (client). */
const SCRIPT = `
import sys
from scapy.all import *
C, S = '198.18.0.1', '198.18.0.2'
pkts = []
t = [1700000000.0]
cseq, sseq = 1000, 5000
def add(p):
    t[0] += 0.01
    p.time = t[0]
    pkts.append(p)
add(Ether()/IP(src=C, dst=S)/TCP(sport=40000, dport=7000, flags='S', seq=cseq))
add(Ether()/IP(src=S, dst=C)/TCP(sport=7000, dport=40000, flags='SA', seq=sseq, ack=cseq+1))
cseq += 1; sseq += 1
add(Ether()/IP(src=C, dst=S)/TCP(sport=40000, dport=7000, flags='A', seq=cseq, ack=sseq))
for i in range(60):
    client = i % 2 == 1
    lines = ['turn %d line %d: filler text for scrolling' % (i, j) for j in range(12)]
    if i == 3: lines[5] = 'here is the Needle of the client'
    if i == 30: lines[0] = 'NEEDLE in the server turn'
    if i == 55: lines[8] = 'the last needle, lower case'
    data = ('\\r\\n'.join(lines) + '\\r\\n').encode()
    if client:
        add(Ether()/IP(src=C, dst=S)/TCP(sport=40000, dport=7000, flags='PA', seq=cseq, ack=sseq)/data); cseq += len(data)
    else:
        add(Ether()/IP(src=S, dst=C)/TCP(sport=7000, dport=40000, flags='PA', seq=sseq, ack=cseq)/data); sseq += len(data)
wrpcap(sys.argv[1], pkts)
`;

test.describe('Find in the Follow Stream dialog', () => {
  test.skip(!haveScapy, 'needs python3-scapy to write the capture');
  let host: RunningHost | undefined;
  let dir = '';
  let file = '';

  test.beforeAll(async () => {
    dir = tempDir('follow-find');
    file = path.join(dir, 'find.pcap');
    run(SYSTEM_PYTHON, ['-c', SCRIPT, file]);
    host = await startHost([]);
  });
  test.afterAll(async () => {
    await host?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('Find Next highlights each match in turn across both directions, scrolls to it and wraps; case sensitive; in the hex dump too', async ({ page }) => {
    await page.goto(host!.url);
    await openCapture(page, file);
    const row = page.locator(`${PACKETS} [role=row][data-frame="4"]`);
    await row.click({ button: 'right' });
    await page.getByTestId('row-follow-tcp').click();
    const dialog = page.getByTestId('follow-dialog');
    await expect(dialog).toBeVisible();
    await expect(page.getByTestId('follow-chunk')).toHaveCount(60);
    // Turn i is chunk i: even turns are the server's (it speaks first here), odd ones the client's.
    const chunkOf = async () =>
      dialog.getByTestId('follow-match').evaluate((mark) => {
        const chunk = mark.closest('[data-testid=follow-chunk]')!;
        return { index: Array.prototype.indexOf.call(chunk.parentElement!.querySelectorAll('[data-testid=follow-chunk]'), chunk), from: (chunk as HTMLElement).dataset.from };
      });
    const find = page.getByTestId('follow-find');
    await find.fill('needle');
    await find.press('Enter');
    const mark = dialog.getByTestId('follow-match');
    await expect(mark).toHaveText('Needle');
    expect(await chunkOf()).toEqual({ index: 3, from: 'client' });
    await expect(mark).toBeInViewport();

    await page.getByTestId('follow-find-next').click();
    await expect(mark).toHaveText('NEEDLE');
    expect(await chunkOf()).toEqual({ index: 30, from: 'server' });
    await expect(mark).toBeInViewport();
    // The first match scrolled out of view: the body really scrolled.
    await expect(dialog.getByTestId('follow-chunk').nth(3)).not.toBeInViewport();

    await page.getByTestId('follow-find-next').click();
    await expect(mark).toHaveText('needle');
    expect(await chunkOf()).toEqual({ index: 55, from: 'client' });
    await expect(mark).toBeInViewport();
    await expect(page.getByTestId('follow-find-status')).toHaveText('');

    await page.getByTestId('follow-find-next').click();
    await expect(mark).toHaveText('Needle');
    expect(await chunkOf()).toEqual({ index: 3, from: 'client' });
    await expect(mark).toBeInViewport();
    await expect(page.getByTestId('follow-find-status')).toHaveText('Wrapped to the start');
    await screenshot(page, 'follow-find');

    // Case sensitive: only the lower-case one, again and again.
    await page.getByTestId('follow-find-case').check();
    await page.getByTestId('follow-find-next').click();
    await expect(mark).toHaveText('needle');
    expect(await chunkOf()).toEqual({ index: 55, from: 'client' });
    await page.getByTestId('follow-find-next').click();
    expect(await chunkOf()).toEqual({ index: 55, from: 'client' });
    await find.fill('NeEdLe');
    await find.press('Enter');
    await expect(mark).toHaveCount(0);
    await expect(page.getByTestId('follow-find-status')).toHaveText('"NeEdLe" not found');
    await page.getByTestId('follow-find-case').uncheck();

    // Hex dump: "NEEDLE" opens the server's turn 30, so its bytes start the turn's first line.
    await page.getByTestId('follow-format').selectOption('hex');
    await find.fill('4e 45 45 44 4c 45');
    await find.press('Enter');
    await expect(mark).toHaveText('4e 45 45 44 4c 45');
    expect(await chunkOf()).toEqual({ index: 30, from: 'server' });
    await expect(mark).toBeInViewport();
    // …and its text column (case ignored again). As in Wireshark the search reads the shown text,
    // where the client's "Needle" of turn 3 is cut by the dump's line and group breaks.
    await find.fill('needle');
    await find.press('Enter');
    await expect(mark).toHaveText('NEEDLE');
    expect(await chunkOf()).toEqual({ index: 30, from: 'server' });
    // Changing the view drops the highlight.
    await page.getByTestId('follow-format').selectOption('raw');
    await expect(mark).toHaveCount(0);
  });
});
