import { expect, test } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { haveScapy, haveTshark, run, screenshot, startHost, SYSTEM_PYTHON, tempDir, type RunningHost } from './support';

/**
 * The Two Points view on a pcapng with two interfaces (mergecap -I none keeps one IDB per input):
 * point A saw every segment, point B saw them 10 ms later except one data segment, which the
 * view must show lost between the points, and nothing else.
 */
test.describe('two capture points of one capture', () => {
  test.skip(!haveScapy || !haveTshark, 'needs python3-scapy to build the capture and tshark as the oracle');
  let host: RunningHost | null = null;
  let file = '';

  test.beforeAll(async () => {
    const dir = tempDir('two-points');
    const script = path.join(dir, 'make.py');
    writeFileSync(
      script,
      `from scapy.all import *
import sys
out = sys.argv[1]
c, s = '198.18.0.1', '198.18.0.2'
def seg(src, dst, sport, dport, flags, seq, ack, load=b''):
    return Ether(src='02:00:00:00:00:01', dst='02:00:00:00:00:02')/IP(src=src, dst=dst)/TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack, window=64240)/Raw(load)
frames = [
  seg(c, s, 40000, 80, 'S', 1000, 0),
  seg(s, c, 80, 40000, 'SA', 5000, 1001),
  seg(c, s, 40000, 80, 'A', 1001, 5001),
  seg(c, s, 40000, 80, 'PA', 1001, 5001, b'a' * 100),
  seg(c, s, 40000, 80, 'PA', 1101, 5001, b'b' * 100),
  seg(s, c, 80, 40000, 'A', 5001, 1201),
]
t = 1700000000.0
a = []
b = []
for i, f in enumerate(frames):
    fa = f.copy(); fb = f.copy()
    client_sent = f[IP].src == c
    # A is next to the client: its frames leave A first; the server's frames reach A last.
    fa.time = t + i * 0.1 + (0 if client_sent else 0.010)
    fb.time = t + i * 0.1 + (0.010 if client_sent else 0)
    a.append(fa)
    if i != 3:  # the first data segment never reaches B
        b.append(fb)
wrpcap(out + '/a.pcap', a)
wrpcap(out + '/b.pcap', b)
`,
    );
    run(SYSTEM_PYTHON, [script, dir]);
    file = path.join(dir, 'two.pcapng');
    run('mergecap', ['-I', 'none', '-w', file, path.join(dir, 'a.pcap'), path.join(dir, 'b.pcap')]);
    host = await startHost([file]);
  });
  test.afterAll(async () => {
    await host?.stop();
  });

  test('compares the two interfaces: a 10 ms flight each way, the segment B never saw drawn lost mid-way', async ({ page }) => {
    if (!host) throw new Error('host not started');
    await page.goto(host.url);
    await expect(page.getByTestId('view-points')).toBeVisible();
    await page.getByTestId('view-points').click();
    // Both clocks are the same here: say so, so the delays are exact.
    await page.getByLabel('Clock offset in milliseconds').fill('0');
    await page.getByTestId('compare-points').click();
    await expect(page.getByTestId('compare-summary')).toContainText('1 connections seen at both · 1 lost · 0 injected');
    const row = page.getByTestId('compare-row');
    await expect(row).toHaveCount(1);
    await expect(row).toContainText('198.18.0.1:40000 → 198.18.0.2:80');
    await expect(row).toContainText('6 / 5 / 5');
    await expect(row).toContainText('10.000 ms');
    const arrows = page.getByTestId('two-point-arrow');
    await expect(arrows).toHaveCount(6);
    await expect(page.locator('[data-testid="two-point-arrow"][data-lost="true"]')).toHaveCount(1);
    await expect(page.locator('[data-testid="two-point-arrow"][data-lost="true"]')).toContainText('seq=1 len=100');
    await expect(page.locator('[data-testid="two-point-arrow"][data-lost="true"]')).toContainText('lost between the points');
    await screenshot(page, 'two-points');
    // Clicking the lost segment shows its frame at A in the packet list (mergecap interleaved the two inputs by time).
    const lostAtA = run('tshark', ['-r', file, '-Y', 'frame.interface_id == 0 && tcp.seq == 1 && tcp.len == 100', '-T', 'fields', '-e', 'frame.number']).trim();
    await page.locator('[data-testid="two-point-arrow"][data-lost="true"] text.label').click();
    await expect(page.locator('section[aria-label="Packets view"] [role=row][aria-selected="true"]')).toHaveAttribute('data-frame', lostAtA);
  });
});
