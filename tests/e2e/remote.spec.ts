import { chromium, expect, test, type Browser } from '@playwright/test';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { canUseNamespaces, createVethLab, type VethLab } from '../integration/capture/support';
import { createSshLab, missingSshTool, type SshLab } from '../support/ssh-lab';
import { ROOT, screenshot } from './support';

const PACKETS = 'section[aria-label="Packets view"]';

/**
 * A remote host as a capture source in the UI: the browser host and Chromium run in the client
 * namespace, a real sshd in the server namespace; one session records the client's interface and
 * the server's (over ssh) at once.
 */
test.describe('remote capture points in the workbench', () => {
  test.skip(!canUseNamespaces || missingSshTool !== null, `needs root, network namespaces and OpenSSH (${missingSshTool ?? 'namespaces'} missing)`);
  let lab: VethLab | null = null;
  let ssh: SshLab | null = null;
  let dir = '';
  let host: ChildProcessWithoutNullStreams | null = null;
  let url = '';
  let browser: Browser | null = null;
  let web: ChildProcessWithoutNullStreams | null = null;

  test.beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hw-remote-ui-'));
    chmodSync(dir, 0o755);
    lab = createVethLab('rui');
    ssh = createSshLab(dir, lab.server.ns, lab.server.ip);
    await ssh.startSshd(22);
    const config = ssh.clientConfig('ui.conf', 'lab', 'root', 22);
    web = spawn('ip', ['netns', 'exec', lab.server.ns, '/usr/bin/python3', '-m', 'http.server', '--bind', lab.server.ip, '8003'], { cwd: dir });
    // The host runs where ssh reaches the lab, as a user's would; the ssh config comes from its command line only.
    host = spawn('ip', ['netns', 'exec', lab.client.ns, process.execPath, path.join(ROOT, 'out', 'node', 'host.cjs'), '--port', '0', '--ssh-config', config], { cwd: ROOT });
    url = await new Promise<string>((resolve, reject) => {
      let out = '';
      host!.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0].trim());
      });
      host!.once('exit', (code) => reject(new Error(`host exited (${code})`)));
    });
    // Chromium in the same namespace, so it reaches the host's loopback address.
    const wrapper = path.join(dir, 'chromium-in-namespace');
    writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${lab.client.ns} /usr/bin/chromium "$@"\n`);
    chmodSync(wrapper, 0o755);
    browser = await chromium.launch({ executablePath: wrapper, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  });
  test.afterAll(async () => {
    await browser?.close();
    host?.kill('SIGTERM');
    web?.kill('SIGTERM');
    ssh?.stop();
    lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('lists a remote host, records it beside a local interface in one session, shows the Point column, and remembers the host', async () => {
    if (!lab || !browser) throw new Error('lab not ready');
    const context = await browser.newContext({ viewport: { width: 1400, height: 860 } });
    const page = await context.newPage();
    await page.goto(url);
    await expect(page.getByTestId('iface').locator(`option[value="${lab.client.ifname}"]`)).toHaveCount(1);

    // A host that does not answer is one clear message, and nothing is remembered.
    await page.getByTestId('remote-open').click();
    await page.getByTestId('remote-host').fill('root@198.18.0.99');
    await page.getByTestId('remote-connect').click();
    await expect(page.locator('.status-bar')).toContainText(/198\.18\.0\.99 is unreachable/, { timeout: 30_000 });

    await page.getByTestId('remote-host').fill('lab');
    await page.getByTestId('remote-connect').click();
    const remote = `ssh://lab/${lab.server.ifname}`;
    await expect(page.getByTestId('iface').locator(`option[value="${remote}"]`)).toHaveCount(1, { timeout: 20_000 });
    await expect(page.getByTestId('iface')).toHaveValue(remote);
    await page.getByTestId('add-point').click();
    await expect(page.getByTestId('point-chip')).toContainText(`lab:${lab.server.ifname}`);
    await page.getByTestId('iface').selectOption(lab.client.ifname);
    await page.getByTestId('bpf').fill('tcp port 8003');
    await expect(page.getByTestId('bpf')).toHaveClass(/ok/);
    // Before the start, the bar says how a remote point's filter leaves the capture's own ssh out.
    await expect(page.getByTestId('ssh-exclusion-note')).toBeVisible();
    await page.getByTestId('capture-start').click();
    await expect(page.getByTestId('capture-stop')).toBeVisible({ timeout: 30_000 });

    // The exact filter applied at each point: at the remote one, the user's filter minus this
    // capture's own ssh connection, whose addresses and ports sshd's side reports (ss in its namespace).
    const established = spawnSync('ip', ['netns', 'exec', lab.server.ns, 'ss', '-tnH', 'state', 'established', '( sport = :22 )'], { encoding: 'utf8' }).stdout.trim().split('\n');
    expect(established).toHaveLength(1);
    const [, serverIp, clientIp, clientPort] = /(\S+):22\s+(\S+):(\d+)/.exec(established[0]) ?? [];
    expect(`${serverIp} ${clientIp}`).toBe(`${lab.server.ip} ${lab.client.ip}`);
    const localName = spawnSync('ip', ['netns', 'exec', lab.client.ns, 'hostname'], { encoding: 'utf8' }).stdout.trim();
    await expect(page.getByTestId('ssh-exclusion-note')).toHaveCount(0);
    await expect(page.locator(`[data-testid=applied-filter][data-point="lab:${lab.server.ifname}"] code`)).toHaveText(
      `(tcp port 8003) and not (host ${clientIp} and host ${serverIp} and tcp port ${clientPort} and tcp port 22)`,
    );
    await expect(page.locator(`[data-testid=applied-filter][data-point="${localName}:${lab.client.ifname}"] code`)).toHaveText('tcp port 8003');
    // The session's info (its name's tooltip) lists the same.
    await expect(page.getByTestId('session-name')).toHaveAttribute('title', new RegExp(`lab:${lab.server.ifname}: \\(tcp port 8003\\) and not \\(host ${clientIp.replace(/\./g, '\\.')} `));

    spawnSync('ip', ['netns', 'exec', lab.client.ns, '/usr/bin/python3', '-c', `import urllib.request; urllib.request.urlopen('http://${lab.server.ip}:8003/').read()`]);
    await expect(page.getByTestId('point-column')).toBeVisible({ timeout: 20_000 });
    // The client's SYN was seen at both points, and the Point column says where (one stream, as in Wireshark).
    await expect(page.locator(`${PACKETS} [role=row][data-frame]`, { hasText: '8003 → ' }).first()).toBeVisible({ timeout: 20_000 });
    await page.getByTestId('filter-input').fill('tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.dstport == 8003');
    await page.getByTestId('filter-input').press('Enter');
    const syns = page.locator(`${PACKETS} [role=row][data-frame]`);
    await expect(syns).toHaveCount(2, { timeout: 20_000 });
    await expect(syns.filter({ hasText: `lab:${lab.server.ifname}` })).toHaveCount(1);
    await expect(syns.filter({ hasText: `${localName}:${lab.client.ifname}` })).toHaveCount(1);
    await page.getByTestId('filter-input').fill(`frame.interface_name == "lab:${lab.server.ifname}" && tcp.flags.syn == 1`);
    await page.getByTestId('filter-input').press('Enter');
    await expect(page.locator(`${PACKETS} [role=row][data-frame]`)).toHaveCount(2); // SYN and SYN+ACK at the server
    await screenshot(page, 'remote-two-points');
    await page.getByTestId('capture-stop').click();
    await expect(page.getByTestId('capture-start')).toBeVisible({ timeout: 15_000 });

    // The host is remembered for the next session, with its interfaces.
    await page.reload();
    await expect(page.getByTestId('iface').locator(`option[value="${remote}"]`)).toHaveCount(1);
    await context.close();
  });
});
