/**
 * The Endpoint view's sender choices: opened with an initial window of 4 segments, the first
 * sender line shows cwnd = 4 × the effective MSS, and with the server's ACKs held back the first
 * flight on the wire (tcpdump on the server's veth, read by tshark) is 4 full segments of that
 * MSS (the SYN+ACK's MSS less the 12 bytes of timestamps).
 *
 * The Endpoint view's sender line in Chromium through the browser host: with retransmission on,
 * sending 256 KiB to a Linux server in a test namespace whose INPUT drops 5 % of our data
 * (iptables' statistic match) shows cwnd (from RFC 6928's 10 × 1448 bytes up), ssthresh, pipe
 * and the recovery phase, and the log says when a loss started a recovery; the server's kernel
 * reads every byte.
 */
import { expect, test } from '@playwright/test';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { hasTshark, tsharkFields } from '../integration/capture/support';
import { fillEndpointForm, namespaceLabHost, screenshot, startTcpdump, tempDir } from './support';

const UNOWNED_LOCAL = '198.18.0.14';
const PORT = 7410;
const BYTES = 256 * 1024;

function sinkServer(host: string): string {
  return `
    require('net').createServer((socket) => {
      let bytes = 0;
      socket.on('data', (data) => { bytes += data.length; if (bytes >= ${BYTES}) console.log('read ' + bytes + ' from ' + socket.remotePort); });
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
      await fillEndpointForm(page, host.url, lab.client.ifname, { mode: 'connect', local: UNOWNED_LOCAL, remote: lab.server.ip, remotePort: PORT, retransmit: true });
      await page.getByTestId('endpoint-open').click();
      await expect(page.getByTestId('endpoint-state')).toHaveText('ESTABLISHED', { timeout: 15_000 });
      await page.getByTestId('endpoint-text').fill('x'.repeat(BYTES));
      await page.getByTestId('endpoint-send').click();
      await server.waitFor(new RegExp(`^read ${BYTES} from \\d+$`), 60_000);
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
  test('initial window 4 from the form: the first sender line shows cwnd 4 × MSS, and the first flight on the wire is 4 segments', async ({ page }) => {
    test.skip(!hasTshark, 'tshark is needed to read the capture back');
    const { lab, host, server } = env;
    const localPort = 45411;
    const dir = tempDir('endpsnd-iw');
    const pcap = path.join(dir, 'iw.pcap');
    const tcpdump = startTcpdump(lab.server.ns, lab.server.ifname, pcap, `tcp port ${PORT} and tcp port ${localPort}`);
    // The server's ACKs are held back once the handshake is done, so nothing but the initial window may go.
    const holdAcks = ['OUTPUT', '-p', 'tcp', '--sport', String(PORT), '--dport', String(localPort), '-j', 'DROP'];
    let held = false;
    try {
      await tcpdump.ready;
      await fillEndpointForm(page, host.url, lab.client.ifname, { mode: 'connect', local: UNOWNED_LOCAL, localPort, remote: lab.server.ip, remotePort: PORT, retransmit: true });
      await page.getByTestId('endpoint-initial-window').fill('0');
      await page.getByTestId('endpoint-open').click();
      // A bad value blocks Connect and says why.
      await expect(page.getByText(/initial window: a whole number of segments/)).toBeVisible();
      await expect(page.getByTestId('endpoint-state')).toHaveText('CLOSED');
      await page.getByTestId('endpoint-initial-window').fill('4');
      await page.getByTestId('endpoint-open').click();
      await expect(page.getByTestId('endpoint-state')).toHaveText('ESTABLISHED', { timeout: 15_000 });
      const line = page.getByTestId('endpoint-sender');
      await expect(line).toContainText(/cwnd \d+ · ssthresh ∞ · pipe 0 · in flight 0 · no recovery/);
      const firstCwnd = Number((await line.textContent())?.match(/cwnd (\d+)/)?.[1]);
      lab.exec(lab.server.ns, 'iptables', ['-A', ...holdAcks]);
      held = true;
      await page.getByTestId('endpoint-text').fill('x'.repeat(BYTES));
      await page.getByTestId('endpoint-send').click();
      const ours = `ip.src == ${UNOWNED_LOCAL} && tcp.len > 0`;
      await expect.poll(() => tsharkFields(pcap, ['tcp.seq'], ours).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
      // Well inside the 1 s minimum RTO: anything more now would be beyond the window.
      await page.waitForTimeout(500);
      const flight = tsharkFields(pcap, ['tcp.seq', 'tcp.len'], ours);
      const distinct = new Map(flight.map(([seq, len]) => [seq, Number(len)]));
      expect(distinct.size).toBe(4);
      const lengths = [...distinct.values()];
      const synAck = tsharkFields(pcap, ['tcp.options.mss_val', 'tcp.options.timestamp.tsval'], 'tcp.flags.syn == 1 && tcp.flags.ack == 1')[0];
      const effectiveMss = Number(synAck[0]) - (synAck[1] ? 12 : 0);
      expect(lengths).toEqual([effectiveMss, effectiveMss, effectiveMss, effectiveMss]);
      expect(firstCwnd).toBe(4 * effectiveMss);
      lab.exec(lab.server.ns, 'iptables', ['-D', ...holdAcks]);
      held = false;
      // Once the ACKs flow again, the server reads every byte.
      await server.waitFor(new RegExp(`^read ${BYTES} from ${localPort}$`), 30_000);
    } finally {
      if (held) lab.exec(lab.server.ns, 'iptables', ['-D', ...holdAcks]);
      await tcpdump.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
