import { expect, test, type Page } from '@playwright/test';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { tsharkConversations, tsharkEndpoints, tsharkExpertCounts } from '../support/tshark-stats';
import { haveScapy, haveTshark, openCapture, ROOT, run, startHost, SYSTEM_PYTHON, tempDir, tsharkFrameNumbers, type RunningHost } from './support';

const PACKETS = 'section[aria-label="Packets view"]';

/** The visible table's cells by data-column, one record per row (numbers without thousands separators). */
async function tableRows(page: Page, testId: string): Promise<Record<string, string>[]> {
  return page.getByTestId(testId).locator('tbody tr').evaluateAll((rows) =>
    rows.map((row) => Object.fromEntries(Array.from(row.querySelectorAll('td')).map((td) => [(td as HTMLElement).dataset.column ?? '', (td.textContent ?? '').replace(/,/g, '').trim()]))),
  );
}

/** tshark writes "address:port" (IPv6 too, unbracketed): split at the last colon. */
function splitEndpoint(text: string): [string, string] {
  const at = text.lastIndexOf(':');
  return [text.slice(0, at), text.slice(at + 1)];
}

test.describe('statistics views through the browser host', () => {
  test.skip(!haveScapy || !haveTshark, 'needs Scapy (/usr/bin/python3) and tshark');
  let host: RunningHost;
  let dir: string;
  let capture: string;

  test.beforeAll(async () => {
    dir = tempDir('stats');
    capture = path.join(dir, 'expert.pcap');
    run(SYSTEM_PYTHON, [path.join(ROOT, 'tests', 'fixtures', 'scripts', 'expert_capture.py'), capture]);
    host = await startHost();
  });
  test.afterAll(async () => {
    await host?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('Expert Information: counts by kind as tshark -z expert, and a frame click selects it', async ({ page }) => {
    await page.goto(host.url);
    await openCapture(page, capture);
    await expect(page.getByTestId('counts')).toContainText('Frames: 39');
    // Alt+5 from wherever focus fell after opening.
    await page.keyboard.press('Alt+5');
    const view = page.getByTestId('expert-view');
    await expect(view).toBeVisible();
    const expected = tsharkExpertCounts(capture);
    expect(Object.keys(expected).length).toBeGreaterThan(10);
    for (const [kind, count] of Object.entries(expected)) {
      await expect(page.getByTestId(`expert-group-${kind}`), kind).toHaveAttribute('data-count', String(count));
    }
    // No group tshark does not have.
    await expect(view.locator('[data-testid^=expert-group-]')).toHaveCount(Object.keys(expected).length);
    await expect(page.getByTestId('expert-severity-error')).toContainText('Errors');

    // Expand the retransmissions: the frames tshark flags; clicking one selects it in the packet list.
    const retransmitted = tsharkFrameNumbers(capture, 'tcp.analysis.retransmission');
    await page.getByTestId('expert-group-retransmission').click();
    const frames = view.locator('.frames .frame');
    expect(await frames.evaluateAll((nodes) => nodes.map((n) => Number((n as HTMLElement).dataset.frame)))).toEqual(retransmitted);
    await view.locator(`.frames .frame[data-frame="${retransmitted[1]}"]`).click();
    await expect(page.locator(PACKETS)).toBeVisible();
    await expect(page.locator(`${PACKETS} [role=row][aria-selected=true]`)).toHaveAttribute('data-frame', String(retransmitted[1]));
    await expect(page.locator(`${PACKETS} [role=row][aria-selected=true]`)).toContainText('[TCP Fast Retransmission]');
    await expect(page.getByTestId('detail-tree')).toContainText(`Frame ${retransmitted[1]}:`);
  });

  test('Conversations and Endpoints match tshark -z conv and -z endpoints number by number', async ({ page }) => {
    await page.goto(host.url);
    await openCapture(page, capture);
    await page.keyboard.press('Alt+6');
    await expect(page.getByTestId('conversations-view')).toBeVisible();

    for (const [kind, tsharkType] of [
      ['tcp', 'tcp'],
      ['udp', 'udp'],
      ['ipv4', 'ip'],
      ['ipv6', 'ipv6'],
      ['eth', 'eth'],
    ] as const) {
      await page.getByTestId(`conv-kind-${kind}`).click();
      await page.getByTestId('conv-table-conversations').click();
      const theirs = tsharkConversations(capture, tsharkType);
      expect(theirs.length, `${kind} conversations in tshark`).toBeGreaterThan(0);
      await expect(page.getByTestId('conv-table').locator('tbody tr')).toHaveCount(theirs.length);
      const ours = await tableRows(page, 'conv-table');
      const ported = kind === 'tcp' || kind === 'udp';
      const expected = theirs.map((c) => {
        const [addressA, portA] = ported ? splitEndpoint(c.a) : [c.a, undefined];
        const [addressB, portB] = ported ? splitEndpoint(c.b) : [c.b, undefined];
        return {
          addressA,
          ...(ported ? { portA } : {}),
          addressB,
          ...(ported ? { portB } : {}),
          frames: String(c.frames),
          bytes: String(c.bytes),
          framesAB: String(c.framesAB),
          bytesAB: String(c.bytesAB),
          framesBA: String(c.framesBA),
          bytesBA: String(c.bytesBA),
          start: c.start.toFixed(6),
          duration: c.duration.toFixed(4),
          // Bits/s from tshark's own bytes and duration (N/A for a single instant, as Wireshark shows).
          bpsAB: c.duration > 0 ? Math.round((c.bytesAB * 8) / c.duration).toString() : 'N/A',
          bpsBA: c.duration > 0 ? Math.round((c.bytesBA * 8) / c.duration).toString() : 'N/A',
        };
      });
      const order = (rows: Record<string, string>[]) => [...rows].sort((x, y) => (x.start + x.addressA + x.portA).localeCompare(y.start + y.addressA + y.portA));
      expect(order(ours), `${kind} conversations`).toEqual(order(expected));
    }

    for (const [kind, tsharkType] of [
      ['ipv4', 'ip'],
      ['tcp', 'tcp'],
      ['eth', 'eth'],
    ] as const) {
      await page.getByTestId(`conv-kind-${kind}`).click();
      await page.getByTestId('conv-table-endpoints').click();
      const theirs = tsharkEndpoints(capture, tsharkType);
      await expect(page.getByTestId('endpoint-table').locator('tbody tr')).toHaveCount(theirs.length);
      const ours = await tableRows(page, 'endpoint-table');
      const expected = theirs.map((e) => {
        const [address, port] = kind === 'tcp' ? splitEndpoint(e.address) : [e.address, undefined];
        return {
          address,
          ...(kind === 'tcp' ? { port } : {}),
          frames: String(e.frames),
          bytes: String(e.bytes),
          txFrames: String(e.txFrames),
          txBytes: String(e.txBytes),
          rxFrames: String(e.rxFrames),
          rxBytes: String(e.rxBytes),
        };
      });
      const order = (rows: Record<string, string>[]) => [...rows].sort((x, y) => (x.address + (x.port ?? '')).localeCompare(y.address + (y.port ?? '')));
      expect(order(ours), `${kind} endpoints`).toEqual(order(expected));
    }

    // Sorting: Bytes twice → descending.
    await page.getByTestId('conv-kind-tcp').click();
    await page.getByTestId('conv-table-conversations').click();
    const bytesHeader = page.getByTestId('conv-table').locator('th[data-column=bytes]');
    await bytesHeader.click();
    await bytesHeader.click();
    await expect(bytesHeader).toHaveAttribute('aria-sort', 'descending');
    const sortedBytes = (await tableRows(page, 'conv-table')).map((r) => Number(r.bytes));
    expect(sortedBytes).toEqual([...sortedBytes].sort((a, b) => b - a));

    // Apply as Filter, B → A, on the reset connection: the packet list shows what tshark -Y shows.
    await page.getByTestId('conv-table').locator('tbody tr', { has: page.locator('td[data-column=portA]', { hasText: /^42000$/ }) }).click();
    await page.getByTestId('conv-direction').selectOption('b-to-a');
    await expect(page.getByTestId('conv-filter-text')).toHaveText('ip.src==198.18.1.3 && tcp.srcport==443 && ip.dst==198.18.1.1 && tcp.dstport==42000');
    await page.getByTestId('conv-apply').click();
    const bToA = tsharkFrameNumbers(capture, 'ip.src==198.18.1.3 && tcp.srcport==443 && ip.dst==198.18.1.1 && tcp.dstport==42000');
    await expect(page.locator(`${PACKETS} [role=row][data-frame]`)).toHaveCount(bToA.length);

    // Prepare as Filter, A ↔ any: written into the filter box, not applied.
    await page.keyboard.press('Alt+6');
    await page.getByTestId('conv-table').locator('tbody tr', { has: page.locator('td[data-column=portA]', { hasText: /^42000$/ }) }).click();
    await page.getByTestId('conv-direction').selectOption('a-any');
    await page.getByTestId('conv-prepare').click();
    await expect(page.getByTestId('filter-input')).toHaveValue('ip.addr==198.18.1.1 && tcp.port==42000');
    await expect(page.locator(`${PACKETS} [role=row][data-frame]`)).toHaveCount(bToA.length);
    await page.getByTestId('filter-input').press('Enter');
    await expect(page.locator(`${PACKETS} [role=row][data-frame]`)).toHaveCount(tsharkFrameNumbers(capture, 'ip.addr==198.18.1.1 && tcp.port==42000').length);
  });

  test('a connection tells its story in the Connections view and the ladder header', async ({ page }) => {
    await page.goto(host.url);
    await openCapture(page, capture);
    await page.keyboard.press('Alt+2');
    // The first FIN and the RST, by sender, as tshark reads them.
    const [firstFinSource] = run('tshark', ['-r', capture, '-Y', 'tcp.stream == 0 && tcp.flags.fin == 1', '-T', 'fields', '-e', 'ip.src']).split('\n');
    expect(firstFinSource).toBe('198.18.1.1'); // the client: the SYN's sender
    const [rstSource] = run('tshark', ['-r', capture, '-Y', 'tcp.stream == 1 && tcp.flags.reset == 1', '-T', 'fields', '-e', 'ip.src']).split('\n');
    expect(rstSource).toBe('198.18.1.3'); // the server of stream 1
    const count = (filter: string) => tsharkFrameNumbers(capture, filter).length;

    await page.locator('[data-stream="0"]').click();
    const story = page.getByTestId('conn-story');
    await expect(story).toContainText('three-way handshake complete; three-way close by client');
    // Retransmissions count every frame tshark flags (a fast retransmission is one too).
    for (const [name, filter] of [
      ['retransmissions', 'tcp.analysis.retransmission'],
      ['fast_retransmissions', 'tcp.analysis.fast_retransmission'],
      ['dup_acks', 'tcp.analysis.duplicate_ack'],
      ['zero_windows', 'tcp.analysis.zero_window'],
      ['lost_segments', 'tcp.analysis.lost_segment'],
    ]) {
      await expect(story, name).toHaveText(new RegExp(`[ ;]${name}=${count(`tcp.stream == 0 && ${filter}`)}( |$)`));
    }
    await page.locator('[data-stream="1"]').click();
    await expect(story).toHaveText(/three-way handshake complete; reset close by server$/);

    // Enter opens the ladder: its header tells the same story.
    await page.locator('[data-stream="1"]').dblclick();
    await expect(page.getByTestId('ladder-story')).toHaveText('three-way handshake complete; reset close by server');
  });
});
