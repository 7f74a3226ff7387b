import { expect, test } from '@playwright/test';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tcpServerScript } from '../integration/capture/support';
import { haveScapy, haveTshark, namespaceLabHost, run, screenshot, startHost, SYSTEM_PYTHON, tempDir, type RunningHost } from './support';

/** tshark's reading of the one frame in `file`: checksum verified (1 good, 0 bad), port and flags. */
function tsharkTcp(file: string): { status: string; checksum: number; dstport: number; flags: string } {
  const line = run('tshark', ['-r', file, '-o', 'tcp.check_checksum:TRUE', '-T', 'fields', '-E', 'separator=|', '-e', 'tcp.checksum.status', '-e', 'tcp.checksum', '-e', 'tcp.dstport', '-e', 'tcp.flags']).trim();
  const [status, checksum, dstport, flags] = line.split('|');
  return { status, checksum: Number(checksum), dstport: Number(dstport), flags };
}

test.describe('header editor', () => {
  test.skip(!haveScapy || !haveTshark, 'needs Scapy (/usr/bin/python3), text2pcap and tshark');
  let host: RunningHost;
  let dir: string;

  test.beforeAll(async () => {
    dir = tempDir('editor');
    host = await startHost();
  });
  test.afterAll(async () => {
    await host?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('craft a SYN: the checksum follows a field change, can be overridden, and is exported as built', async ({ page }) => {
    await page.goto(host.url);
    await page.getByTestId('view-editor').click();
    await page.getByTestId('template-syn').click();
    const checksum = page.getByTestId('input-tcp.checksum');
    await expect(checksum).toHaveAttribute('readonly', '');
    const before = await checksum.inputValue();

    // Change a covered field: the automatic checksum is recomputed at once.
    await page.getByTestId('input-tcp.dstport').fill('8443');
    await expect(checksum).not.toHaveValue(before);
    const after = await checksum.inputValue();

    // Independent check: the hex dump, rebuilt into a pcap by text2pcap, verifies in tshark.
    await page.getByTestId('copy-hex').click();
    const dump = await page.getByTestId('export-output').textContent();
    writeFileSync(path.join(dir, 'dump.txt'), dump ?? '');
    run('text2pcap', ['-q', path.join(dir, 'dump.txt'), path.join(dir, 'auto.pcap')]);
    const auto = tsharkTcp(path.join(dir, 'auto.pcap'));
    expect(auto.status).toBe('1');
    expect(auto.dstport).toBe(8443);
    expect(auto.checksum).toBe(Number(after));

    // Out of range: refused at the field with the allowed range; the frame keeps 8443.
    await page.getByTestId('input-tcp.dstport').fill('70000');
    await expect(page.locator('[data-field="tcp.dstport"] .hint').first()).toContainText('0..65535');
    await expect(checksum).toHaveValue(after);
    // The frame still holds 8443, which is not what was typed: Send and Download refuse, and say why.
    await expect(page.getByTestId('download-pcap')).toBeDisabled();
    await expect(page.getByTestId('send')).toBeDisabled();
    await expect(page.getByTestId('send-blocked')).toContainText('tcp.dstport = "70000"');
    await page.getByTestId('input-tcp.dstport').fill('8443');
    await expect(page.getByTestId('send-blocked')).toHaveCount(0);

    // Override: the user's value is written as given, and marked.
    await page.getByTestId('auto-tcp.checksum').uncheck();
    await expect(checksum).not.toHaveAttribute('readonly', '');
    await checksum.fill('0x1234');
    await expect(page.locator('[data-field="tcp.checksum"] .hint').first()).toHaveText('override');
    await expect(page.locator('.editor [data-testid=editor-tree]')).toContainText('Checksum status: Bad');

    // Export: the downloaded pcap carries the bad checksum unchanged.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-pcap').click()]);
    const saved = path.join(dir, 'crafted.pcap');
    await download.saveAs(saved);
    const crafted = tsharkTcp(saved);
    expect(crafted).toMatchObject({ status: '0', checksum: 0x1234, dstport: 8443, flags: '0x0002' });

    // Copy as Scapy: Scapy builds the very same bytes from the expression.
    await page.getByTestId('copy-scapy').click();
    const expression = (await page.getByTestId('export-output').textContent()) ?? '';
    const scapyHex = run(SYSTEM_PYTHON, ['-c', `from scapy.all import *\nimport sys\nsys.stdout.write(bytes(${expression}).hex())`]);
    const pcap = readFileSync(saved);
    expect(scapyHex).toBe(pcap.subarray(24 + 16).toString('hex'));

    // Export through the host to a path: tshark reads the crafted frames back.
    const exported = path.join(dir, 'exported.pcapng');
    await page.getByTestId('export-path').fill(exported);
    await page.getByTestId('export').click();
    await expect(page.locator('.status-bar')).toContainText('exported');
    expect(tsharkTcp(exported).checksum).toBe(0x1234);
    await screenshot(page, 'editor');
  });

  test('flags toggle, options reorder and the data offset follows', async ({ page }) => {
    await page.goto(host.url);
    await page.getByTestId('view-editor').click();
    await page.getByTestId('template-syn').click();
    const offset = page.getByTestId('input-tcp.hdr_len');
    await expect(offset).toHaveValue('40');
    await page.getByTestId('flag-tcp.flags.ack').click();
    await expect(page.getByTestId('input-tcp.flags')).toHaveValue('0x012');
    // Remove the timestamps option (10 bytes): the header shrinks to 32 bytes with padding.
    await page.getByRole('button', { name: 'Remove Timestamps' }).click();
    await expect(offset).toHaveValue('32');
    await page.getByRole('button', { name: 'Move Window scale up' }).click();
    const kinds = await page.locator('.option-list li').evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset.option));
    expect(kinds).toEqual(['mss', 'sack_perm', 'wscale', 'nop']);
  });
});

/** The editor's Send is sr1: with no capture running, the reply comes back and is shown. */
test.describe('editor send waits for the reply', () => {
  const env = namespaceLabHost('ed', (ip) => tcpServerScript(ip, 8080));

  test('a SYN from the template (placeholder MACs) gets the listener\'s SYN+ACK shown as its reply, and the kernel RST trap is offered its remedy', async ({ page }) => {
    const { lab, host } = env;
    await page.goto(host.url);
    await expect(page.getByTestId('iface').locator(`option[value="${lab.client.ifname}"]`)).toHaveCount(1);
    await page.getByTestId('iface').selectOption(lab.client.ifname);
    await page.getByTestId('view-editor').click();
    await page.getByTestId('template-syn').click();
    // The MACs stay the template's placeholders: the link layer is filled in on the way out.
    await expect(page.getByTestId('fill-link')).toBeChecked();
    await page.getByTestId('input-ip.src').fill(lab.client.ip);
    await page.getByTestId('input-ip.dst').fill(lab.server.ip);
    await page.getByTestId('input-tcp.srcport').fill('45200');
    await page.getByTestId('input-tcp.dstport').fill('8080');
    await page.getByTestId('send').click();
    await expect(page.getByTestId('exchange-sent')).toContainText('45200 → 8080 [SYN]', { timeout: 15_000 });
    await expect(page.getByTestId('exchange-reply').first()).toContainText('8080 → 45200 [SYN, ACK]');
    await expect(page.getByTestId('exchange-reply').first()).toContainText('Ack=1');
    // The client namespace owns its address, so its kernel resets the handshake: said, with the checkbox offered.
    await expect(page.getByTestId('exchange-kernel-rst')).toContainText('[RST]');
    await expect(page.getByTestId('suppress-kernel-rst')).toBeVisible();
    await screenshot(page, 'editor-send-reply');

    // Ticked, the helper drops that RST while waiting: the reply comes, the trap does not.
    await page.getByTestId('input-tcp.srcport').fill('45201');
    await page.getByTestId('suppress-kernel-rst').check();
    await page.getByTestId('send').click();
    await expect(page.getByTestId('exchange-reply').first()).toContainText('8080 → 45201 [SYN, ACK]', { timeout: 15_000 });
    await expect(page.getByTestId('exchange-suppressed')).toContainText('45201');
    await expect(page.getByTestId('exchange-kernel-rst')).toHaveCount(0);
  });
});
