import { expect, test } from '@playwright/test';
import { canUseNamespaces, createVethLab, nodeInNamespace, tcpServerScript, type NodeInNamespace, type VethLab } from '../integration/capture/support';
import { screenshot, startHost, type RunningHost } from './support';

const PACKETS = 'section[aria-label="Packets view"]';

/** Live capture and injection inside two test namespaces joined by a veth pair (198.18.0.0/24). */
test.describe('live capture through the browser host', () => {
  test.skip(!canUseNamespaces, 'needs root with CAP_NET_ADMIN and iproute2 to create test network namespaces');
  let lab: VethLab | null = null;
  let host: RunningHost | null = null;
  let server: NodeInNamespace | null = null;

  test.beforeAll(async () => {
    lab = createVethLab('ui');
    server = nodeInNamespace(lab.server.ns, tcpServerScript(lab.server.ip, 8080));
    await server.waitFor(/listening/);
    // The capture helper runs inside the client namespace, where it sees the client's veth end.
    host = await startHost([], { HANDSHAKE_HELPER_LAUNCHER: `ip netns exec ${lab.client.ns}` });
  });
  test.afterAll(async () => {
    server?.stop();
    await host?.stop();
    lab?.destroy();
  });

  test('a connection made during the capture appears with its handshake and teardown; a crafted SYN gets its SYN+ACK in the same stream', async ({ page }) => {
    if (!lab || !host) throw new Error('lab not ready');
    await page.goto(host.url);
    await expect(page.getByTestId('iface').locator(`option[value="${lab.client.ifname}"]`)).toHaveCount(1);
    await page.getByTestId('iface').selectOption(lab.client.ifname);

    // libpcap's own verdict on the filter, as you type.
    await page.getByTestId('bpf').fill('tcp port');
    await expect(page.getByTestId('bpf-status')).toContainText('syntax error');
    await expect(page.getByTestId('capture-start')).toBeDisabled();
    await page.getByTestId('bpf').fill('tcp port 8080');
    await expect(page.getByTestId('bpf')).toHaveClass(/ok/);
    await page.getByTestId('capture-start').click();
    await expect(page.getByTestId('capture-stop')).toBeVisible();

    // A real connection from the client namespace: connect, send, close.
    const client = nodeInNamespace(
      lab.client.ns,
      `const s = require('net').connect(8080, '${lab.server.ip}', () => s.write('ping'));
       s.on('data', () => s.end()); s.on('close', () => console.log('closed'));`,
    );
    await client.waitFor(/closed/);
    client.stop();
    await expect(page.locator(`${PACKETS} [role=row][data-frame]`).first()).toBeVisible();
    await page.getByTestId('view-connections').click();
    await page.getByRole('button', { name: 'Refresh' }).click();
    const connection = page.locator('.connections-view .body [role=row]', { hasText: `${lab.server.ip}:8080` }).first();
    await expect(connection).toContainText('SF', { timeout: 15_000 });
    await screenshot(page, 'live-connections');

    // Craft a SYN to the server from the client's address and send it on the capturing interface.
    await page.getByTestId('view-editor').click();
    await page.getByTestId('template-syn').click();
    await page.getByTestId('input-eth.src').fill(lab.client.mac);
    await page.getByTestId('input-eth.dst').fill(lab.server.mac);
    await page.getByTestId('input-ip.src').fill(lab.client.ip);
    await page.getByTestId('input-ip.dst').fill(lab.server.ip);
    await page.getByTestId('input-tcp.srcport').fill('45123');
    await page.getByTestId('input-tcp.dstport').fill('8080');
    await page.getByTestId('send').click();
    await expect(page.locator('.status-bar')).toContainText('sent 1 frame');

    // The server kernel's SYN+ACK is captured, in the same tcp.stream as the crafted SYN.
    await page.getByTestId('view-packets').click();
    await page.getByTestId('filter-input').fill('tcp.port == 45123');
    await page.getByTestId('filter-input').press('Enter');
    const synAck = page.locator(`${PACKETS} [role=row]`, { hasText: '8080 → 45123 [SYN, ACK]' });
    await expect(synAck).toHaveCount(1, { timeout: 15_000 });
    await page.locator(`${PACKETS} [role=row]`, { hasText: '45123 → 8080 [SYN]' }).first().click();
    await page.getByTestId('view-ladder').click();
    const ladder = page.getByTestId('ladder');
    await expect(ladder.locator('[data-frame]', { hasText: 'SYN, ACK' })).toHaveCount(1);
    await expect(ladder.locator('[data-frame]').first()).toContainText('SYN  Seq=0');
    await screenshot(page, 'live-ladder');
    await page.getByTestId('view-packets').click();
    await page.getByTestId('capture-stop').click();
    await expect(page.getByTestId('capture-start')).toBeVisible();
  });
});
