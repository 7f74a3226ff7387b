/**
 * The Endpoint view's sender line in Chromium through the browser host: with retransmission on,
 * sending 256 KiB to a Linux server in a test namespace whose INPUT drops 5 % of our data
 * (iptables' statistic match) shows cwnd (from RFC 6928's 10 × 1448 bytes up), ssthresh, pipe
 * and the recovery phase, and the log says when a loss started a recovery; the server's kernel
 * reads every byte.
 */
import { expect, test } from '@playwright/test';
import { namespaceLabHost, screenshot } from './support';

const UNOWNED_LOCAL = '198.18.0.14';
const PORT = 7410;
const BYTES = 256 * 1024;

function sinkServer(host: string): string {
  return `
    require('net').createServer((socket) => {
      let bytes = 0;
      socket.on('data', (data) => { bytes += data.length; if (bytes >= ${BYTES}) console.log('read ' + bytes); });
      socket.on('error', (error) => console.log('error ' + error.code));
    }).listen(${PORT}, '${host}', () => console.log('listening'));
  `;
}

test.describe('endpoint view: the sender\'s state', () => {
  const env = namespaceLabHost('endpsnd', sinkServer);

  test('retransmission on, 5 % of our data dropped: cwnd, ssthresh, pipe and the recovery show, and every byte arrives', async ({ page }) => {
    const { lab, host, server } = env;
    const drop = ['INPUT', '-p', 'tcp', '--dport', String(PORT), '-m', 'length', '--length', '200:65535', '-m', 'statistic', '--mode', 'random', '--probability', '0.05', '-j', 'DROP'];
    lab.exec(lab.server.ns, 'iptables', ['-A', ...drop]);
    try {
      await page.goto(host.url);
      await expect(page.getByTestId('iface').locator(`option[value="${lab.client.ifname}"]`)).toHaveCount(1);
      await page.getByTestId('iface').selectOption(lab.client.ifname);
      await page.getByTestId('view-endpoint').click();
      await page.getByTestId('endpoint-connect-mode').check();
      await page.getByTestId('endpoint-local').fill(UNOWNED_LOCAL);
      await page.getByTestId('endpoint-remote').fill(lab.server.ip);
      await page.getByTestId('endpoint-remote-port').fill(String(PORT));
      await page.getByTestId('endpoint-retransmit').check();
      await page.getByTestId('endpoint-open').click();
      await expect(page.getByTestId('endpoint-state')).toHaveText('ESTABLISHED', { timeout: 15_000 });
      await page.getByTestId('endpoint-text').fill('x'.repeat(BYTES));
      await page.getByTestId('endpoint-send').click();
      await server.waitFor(new RegExp(`^read ${BYTES}$`), 60_000);
      const line = page.getByTestId('endpoint-sender');
      await expect(line).toContainText(/cwnd \d+ · ssthresh (\d+|∞) · pipe \d+ · in flight \d+ · /);
      const cwnd = Number((await line.textContent())?.match(/cwnd (\d+)/)?.[1]);
      expect(cwnd).toBeGreaterThanOrEqual(2 * 1448);
      // A dropped segment starts a recovery (SACK was offered and Linux accepts it): the log says so with the numbers.
      await expect(page.getByTestId('endpoint-log')).toContainText(/cwnd \d+ ssthresh \d+ pipe \d+: (\d+ duplicate ACKs|SACKed data shows a loss): fast retransmit/);
      await screenshot(page, 'endpoint-sender');
    } finally {
      lab.exec(lab.server.ns, 'iptables', ['-D', ...drop]);
    }
  });
});
