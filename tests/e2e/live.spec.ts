import { expect, test } from '@playwright/test';
import { readdirSync, readFileSync } from 'node:fs';
import { nodeInNamespace, tcpServerScript } from '../integration/capture/support';
import { namespaceLabHost, screenshot } from './support';

const PACKETS = 'section[aria-label="Packets view"]';

/** Live capture and injection inside two test namespaces joined by a veth pair (198.18.0.0/24). */
test.describe('live capture through the browser host', () => {
  const env = namespaceLabHost('ui', (ip) => tcpServerScript(ip, 8080));

  test('a connection made during the capture appears with its handshake and teardown; a crafted SYN gets its SYN+ACK in the same stream', async ({ page }) => {
    const { lab, host } = env;
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
    // The frame the editor sent is marked as crafted when the capture sees it go out.
    await expect(page.locator(`${PACKETS} [role=row]`, { hasText: '45123 → 8080 [SYN]' }).first()).toHaveClass(/row-crafted/);
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

  test('when the capture helper dies, the UI says so and keeps the frames already captured', async ({ page }) => {
    const { lab, host } = env;
    await page.goto(host.url);
    await page.getByTestId('iface').selectOption(lab.client.ifname);
    await page.getByTestId('bpf').fill('tcp port 8080');
    await expect(page.getByTestId('bpf')).toHaveClass(/ok/);
    await page.getByTestId('capture-start').click();
    await expect(page.getByTestId('capture-stop')).toBeVisible();
    const client = nodeInNamespace(lab.client.ns, `const s = require('net').connect(8080, '${lab.server.ip}', () => s.end()); s.on('close', () => console.log('closed'));`);
    await client.waitFor(/closed/);
    client.stop();
    const rows = page.locator(`${PACKETS} [role=row][data-frame]`);
    await expect(rows.first()).toBeVisible();
    // Let the connection's last segments arrive: the count must hold still for a moment.
    let captured = -1;
    await expect
      .poll(async () => {
        const now = await rows.count();
        const stable = now === captured;
        captured = now;
        return stable;
      }, { intervals: [500], timeout: 15_000 })
      .toBe(true);
    // The helper is the Node process among the host's descendants that runs helper.cjs (found by pid, not by name).
    const helper = descendants(host.process.pid ?? -1).find((pid) => commandLine(pid).includes('helper.cjs'));
    expect(helper, 'capture helper process').toBeDefined();
    process.kill(helper as number, 'SIGKILL');
    await expect(page.getByTestId('crash-banner')).toContainText('The helper stopped');
    await expect(page.getByTestId('crash-banner')).toContainText('frames captured so far are kept');
    await expect(page.getByTestId('capture-start')).toBeVisible();
    expect(await rows.count()).toBe(captured);
    await screenshot(page, 'helper-crash');
  });
});

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** Every process below `pid`, from /proc's children lists. */
function descendants(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const parent = queue.shift() as number;
    let children: number[] = [];
    try {
      for (const task of readdirSync(`/proc/${parent}/task`)) {
        children = children.concat(readFileSync(`/proc/${parent}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
      }
    } catch {
      continue;
    }
    out.push(...children);
    queue.push(...children);
  }
  return out;
}
