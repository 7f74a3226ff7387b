/**
 * The sequence editor in Chromium through the browser host: a script built from step templates
 * and typed lines runs against the real Linux stack in a test namespace, and the ladder shows
 * the connection with each line's expected segment beside what came; a mutated script shows
 * its failure with the diff `handshake run` prints. Oracles: the Linux peer itself (what its
 * server received, its real SYN+ACK numbers) and the script file written on disk.
 */
import { expect, test, type Page } from '@playwright/test';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { VethLab } from '../integration/capture/support';
import { namespaceLabHost, screenshot, tempDir } from './support';

/** An address in the lab's subnet the client namespace's kernel does not own: the endpoint answers ARP for it. */
const UNOWNED_LOCAL = '198.18.0.11';
const PORT = 8080;

/** A server that keeps what it reads and answers nothing, so the peer's own ACK is what comes back. */
function silentServer(host: string): string {
  return `
    const net = require('net');
    net.createServer((socket) => {
      socket.on('error', () => {});
      socket.on('data', (data) => console.log('data ' + JSON.stringify(data.toString('latin1'))));
    }).listen(${PORT}, '${host}', () => console.log('listening'));
  `;
}

async function setUpRun(page: Page, lab: VethLab, localPort: number): Promise<void> {
  await page.getByTestId('script-local').fill(UNOWNED_LOCAL);
  await page.getByTestId('script-local-port').fill(String(localPort));
  await page.getByTestId('script-remote').fill(`${lab.server.ip}:${PORT}`);
  await page.getByTestId('script-tolerance').fill('50');
}

test.describe('sequence editor', () => {
  const env = namespaceLabHost('sq', silentServer);
  let dir = '';
  test.beforeAll(() => {
    dir = tempDir('sequence');
  });
  test.afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a script built from templates and typed lines runs against Linux; the ladder marks each line', async ({ page }) => {
    const { lab, host, server } = env;
    await page.goto(host.url);
    await expect(page.getByTestId('iface').locator(`option[value="${lab.client.ifname}"]`)).toHaveCount(1);
    await page.getByTestId('iface').selectOption(lab.client.ifname);
    await page.getByTestId('view-sequence').click();
    await page.getByTestId('script-new').click();
    await expect(page.getByTestId('script-text')).toHaveValue('');

    // The handshake from templates: each template's numbers follow the lines before it.
    await page.getByTestId('step-syn').click();
    await page.getByTestId('step-expect-synack').click();
    await page.getByTestId('step-ack').click();
    const script = page.getByTestId('script-text');
    const built = await script.inputValue();
    expect(built.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(/^0\s+< S\s+0:0\(0\) win 65535 <mss 1460,sackOK,nop,wscale 7>$/),
      expect.stringMatching(/^\+0\s+> S\. 0:0\(0\) ack 1 <\.\.\.>$/),
      expect.stringMatching(/^\+0\s+< \.\s+1:1\(0\) ack 1 win 502$/),
    ]);

    // A typed line with a wrong length is refused with its line and the column of the bad span.
    const bad = '+0.01 < P. 1:6(4) ack 1 win 502 "ping\\r\\n"';
    await script.fill(`${built}${bad}\n`);
    await expect(page.getByTestId('script-error')).toContainText(`line 4:${bad.indexOf('1:6') + 1}:`);
    await expect(page.getByTestId('script-run')).toBeDisabled();
    // Fixed: six bytes, CR LF kept; then the peer's ACK of them from the template.
    await script.fill(`${built}+0.01 < P. 1:7(6) ack 1 win 502 "ping\\r\\n"\n`);
    await expect(page.getByTestId('script-error')).toHaveCount(0);
    await page.getByTestId('step-expect-ack').click();
    await expect(script).toHaveValue(/> \.\s+1:1\(0\) ack 7 <\.\.\.>\n$/);

    await setUpRun(page, lab, 45310);
    await page.getByTestId('script-run').click();
    await expect(page.getByTestId('script-end')).toContainText('every expectation held (5 packet lines)', { timeout: 30_000 });

    // The Linux peer got the bytes as typed, CR LF included.
    await server.waitFor(/data "ping\\r\\n"/);
    const results = page.getByTestId('script-result');
    await expect(results).toHaveCount(5);
    expect(await results.evaluateAll((rows) => rows.map((row) => (row as HTMLElement).dataset.ok))).toEqual(['true', 'true', 'true', 'true', 'true']);
    // Linux's SYN+ACK acknowledges our ISN + 1: the expected line and the actual one agree.
    await expect(results.nth(1)).toContainText('S. 0:0(0) ack 1');

    // The ladder beside it: the connection from the run's session, each line marked on its arrow.
    const ladder = page.getByTestId('ladder');
    await expect(ladder.locator('[data-testid=script-mark]')).toHaveCount(5, { timeout: 15_000 });
    const marks = await ladder.locator('[data-testid=script-mark]').evaluateAll((nodes) => nodes.map((node) => `${(node as SVGElement).dataset.line}:${(node as SVGElement).dataset.ok}`));
    expect(marks).toEqual(['1:true', '2:true', '3:true', '4:true', '5:true']);
    // The SYN+ACK arrow carries what the script expected under the peer's actual segment.
    await expect(ladder.locator('[data-testid=script-mark][data-line="2"] [data-testid=script-expected]')).toContainText('expected > S. 0:0(0) ack 1 <...>');
    await expect(page.getByTestId('script-ladder-verdict')).toContainText('5 of 5 lines held');
    await expect(page.getByTestId('client-initial')).toBeVisible();
    await screenshot(page, 'sequence-run');
    // In the packet list, our segments show as sent from the workbench (the closing RST in RST's colour); the peer's do not.
    await page.getByTestId('view-packets').click();
    const rows = page.locator('[data-testid=packet-list] .row[data-frame]');
    await expect(rows.filter({ hasText: '[RST]' })).toHaveCount(1, { timeout: 10_000 });
    const tcpRows = await rows.evaluateAll((nodes) =>
      nodes
        .map((node) => ({ cells: Array.from(node.querySelectorAll('[role=gridcell]'), (cell) => cell.textContent ?? ''), crafted: node.className.includes('row-crafted') }))
        .filter((row) => row.cells[4] === 'TCP' && !row.cells[6].includes('[RST]'))
        .map((row) => `${row.cells[2]} ${row.crafted}`),
    );
    expect(tcpRows).toEqual([`${UNOWNED_LOCAL} true`, `${lab.server.ip} false`, `${UNOWNED_LOCAL} true`, `${UNOWNED_LOCAL} true`, `${lab.server.ip} false`]);
    await page.getByTestId('view-sequence').click();

    // Save on the host (the browser host has no dialogs), then open it back.
    const file = path.join(dir, 'built.pkt');
    await page.getByTestId('script-path').fill(file);
    await page.getByTestId('script-save').click();
    await expect(page.locator('.status-bar')).toContainText(`saved the script to ${file}`);
    expect(readFileSync(file, 'utf8')).toBe(await script.inputValue());
    await page.getByTestId('script-save').click();
    await expect(page.getByTestId('script-confirm-replace')).toBeVisible();
    await page.getByTestId('script-new').click();
    await page.getByTestId('script-open').click();
    await expect(script).toHaveValue(readFileSync(file, 'utf8'));

    // Edit as new step: the peer's SYN+ACK, right-clicked on the ladder, becomes a > line in
    // relative numbers with Linux's options (no timestamps were offered, so none come back).
    await ladder.locator('[data-testid=script-mark][data-line="2"]').locator('..').click({ button: 'right' });
    await page.getByTestId('edit-as-new-step').click();
    await expect(script).toHaveValue(/\n\+0\s+> S\. 0:0\(0\) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale \d+>\n$/);
  });

  test('a mutated script fails at its line, with the expected and actual segments and why, on the ladder too', async ({ page }) => {
    const { lab, host } = env;
    await page.goto(host.url);
    await expect(page.getByTestId('iface').locator(`option[value="${lab.client.ifname}"]`)).toHaveCount(1);
    await page.getByTestId('iface').selectOption(lab.client.ifname);
    await page.getByTestId('view-sequence').click();
    // The shipped handshake script with its SYN+ACK expectation mutated to a wrong ack.
    await page.getByTestId('script-library').selectOption('handshake-data.pkt');
    const script = page.getByTestId('script-text');
    const shipped = await script.inputValue();
    const mutated = shipped.replace(/> S\. 0:0\(0\) ack 1 <[^>]*>/, '> S. 0:0(0) ack 2 <...>');
    expect(mutated).not.toBe(shipped);
    await script.fill(mutated);
    const line = mutated.split('\n').findIndex((text) => text.includes('ack 2')) + 1;
    await setUpRun(page, lab, 45311);

    // Step: the run holds before each line until asked.
    await page.getByTestId('script-step').click();
    await expect(page.getByTestId('script-status')).toHaveText(`next: line ${line - 1}`, { timeout: 20_000 });
    await page.getByTestId('script-step').click();
    await expect(page.getByTestId('script-status')).toHaveText(`next: line ${line}`, { timeout: 10_000 });
    await expect(page.getByTestId('script-result')).toHaveCount(1);
    // Held mid-handshake, the run's connection is already in the Connections view, both sides' states tracked from the wire.
    await page.getByTestId('view-connections').click();
    const row = page.locator('.row[data-stream]', { hasText: `${UNOWNED_LOCAL}:45311` });
    await expect(row).toContainText('SYN_RECEIVED', { timeout: 10_000 });
    await page.getByTestId('view-sequence').click();
    await page.getByTestId('script-run').click();

    await expect(page.getByTestId('script-end')).toContainText(`failed at line ${line}: ack 1 instead of 2`, { timeout: 30_000 });
    const failed = page.locator(`[data-testid=script-result][data-line="${line}"]`);
    await expect(failed).toHaveAttribute('data-ok', 'false');
    await expect(failed).toContainText('S. 0:0(0) ack 2 <...>');
    // On the ladder: the peer's real SYN+ACK marked as failing, and the CLI's diff text.
    const mark = page.locator(`[data-testid=ladder] [data-testid=script-mark][data-line="${line}"]`);
    await expect(mark).toHaveAttribute('data-ok', 'false', { timeout: 15_000 });
    const failure = page.getByTestId('script-failure');
    await expect(failure).toContainText(`line ${line} FAILED`);
    await expect(failure).toContainText('expected  > S. 0:0(0) ack 2 <...>');
    await expect(failure).toContainText('actual    > S. 0:0(0) ack 1');
    await expect(failure).toContainText('why       ack 1 instead of 2');
    await screenshot(page, 'sequence-failure');
  });

  test('Stop ends a wait for the peer without a verdict, and the peer is reset', async ({ page }) => {
    const { lab, host } = env;
    await page.goto(host.url);
    await expect(page.getByTestId('iface').locator(`option[value="${lab.client.ifname}"]`)).toHaveCount(1);
    await page.getByTestId('iface').selectOption(lab.client.ifname);
    await page.getByTestId('view-sequence').click();
    await page.getByTestId('script-new').click();
    // The silent server never closes: the last line would wait for its FIN.
    for (const template of ['syn', 'expect-synack', 'ack', 'expect-fin']) await page.getByTestId(`step-${template}`).click();
    await setUpRun(page, lab, 45312);
    await page.getByTestId('script-run').click();
    await expect(page.getByTestId('script-result')).toHaveCount(3, { timeout: 20_000 });
    // Established at the peer (its kernel's own view).
    const established = () => lab.exec(lab.server.ns, 'ss', ['-Htn', 'state', 'established', 'dst', `${UNOWNED_LOCAL}:45312`]).trim();
    await expect.poll(established).not.toBe('');
    await page.getByTestId('script-stop').click();
    await expect(page.getByTestId('script-end')).toContainText('stopped after 3 of 4 lines', { timeout: 10_000 });
    await expect(page.getByTestId('script-end')).toContainText('cleanup: sent R 1:1(0)');
    await expect(page.getByTestId('script-result')).toHaveCount(3);
    await expect.poll(established).toBe('');
  });
});
