/**
 * The UI's live capture follows a TLS key log: openssl s_client (in the lab's client namespace)
 * writes its secrets while the workbench captures its connection to openssl s_server, the
 * list and detail show the decrypted handshake and HTTP request while the capture runs, and the
 * saved pcapng carries the secrets: tshark, given no key log, decrypts the same frames.
 */
import { expect, test } from '@playwright/test';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { haveTshark, namespaceLabHost, run, screenshot, tempDir, tsharkFrameNumbers } from './support';

const PACKETS = 'section[aria-label="Packets view"]';
const PORT = 4433;
const haveOpenssl = spawnSync('openssl', ['version']).status === 0;

test.describe('live capture with a TLS key log, through the browser host', () => {
  test.skip(!haveTshark || !haveOpenssl, 'needs tshark (the oracle) and openssl (s_server and s_client)');
  // The lab's Node process only holds the namespace's place; openssl s_server is the server.
  const env = namespaceLabHost('qlk', () => `console.log('listening'); setInterval(() => {}, 1 << 30);`);
  let dir = '';
  let server: ChildProcess | null = null;

  test.beforeAll(async () => {
    dir = tempDir('live-keylog');
    const key = path.join(dir, 'server.key');
    const cert = path.join(dir, 'server.crt');
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=keylog.test'], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`openssl req: ${made.stderr}`);
    server = spawn('ip', ['netns', 'exec', env.lab.server.ns, 'openssl', 's_server', '-accept', String(PORT), '-cert', cert, '-key', key, '-tls1_3', '-www'], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`openssl s_server did not start: ${out}`)), 10_000);
      server?.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('ACCEPT')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  });

  test.afterAll(() => {
    if (server && server.exitCode === null) server.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('decrypts the handshake and the request as the key log grows, and saves the secrets tshark reads', async ({ page }) => {
    const { lab, host } = env;
    const keylog = path.join(dir, 'client-keys.txt'); // does not exist yet: s_client creates it
    const connect = (uri: string, keys: string) => {
      const client = spawnSync('ip', ['netns', 'exec', lab.client.ns, 'openssl', 's_client', '-connect', `${lab.server.ip}:${PORT}`, '-keylogfile', keys, '-tls1_3', '-quiet'], {
        input: `GET ${uri} HTTP/1.0\r\n\r\n`,
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(client.stdout, client.stderr).toContain('HTTP/1.0 200 ok');
      expect(readFileSync(keys, 'utf8')).toContain('SERVER_HANDSHAKE_TRAFFIC_SECRET');
    };
    const filter = async (text: string) => {
      await page.getByTestId('filter-input').fill(text);
      await page.getByTestId('filter-input').press('Enter');
    };
    const rows = page.locator(`${PACKETS} [role=row][data-frame]`);
    const frameNumbers = async () => Promise.all((await rows.all()).map(async (row) => Number(await row.getAttribute('data-frame'))));

    await page.goto(host.url);
    await page.getByTestId('iface').selectOption(lab.client.ifname);
    await page.getByTestId('bpf').fill(`tcp port ${PORT}`);
    await expect(page.getByTestId('bpf')).toHaveClass(/ok/);
    await page.getByTestId('capture-keylog').fill(keylog);
    await filter('tls.handshake.type == 8');
    await page.getByTestId('capture-start').click();
    await expect(page.getByTestId('capture-stop')).toBeVisible();
    await expect(page.locator('.notice[role=status]')).toContainText(`following the key log ${keylog}`);

    // 1. s_client writes the followed key log itself, as the handshake goes.
    connect('/live-keylog', keylog);
    // While the capture runs: the server's EncryptedExtensions, decrypted, in the list and the detail.
    await expect(rows).toHaveCount(1, { timeout: 15_000 });
    const ee = rows.first();
    await expect(ee).toContainText('Encrypted Extensions');
    await ee.click();
    // Open the TLS records (the tree shows them folded): the decrypted messages are inside.
    const tree = page.getByTestId('detail-tree');
    await expect(tree).toContainText('TLSv1.3 Record Layer: Handshake Protocol');
    const folded = tree.locator('[role=treeitem][aria-expanded=false]', { hasText: 'TLSv1.3 Record Layer: Handshake Protocol' });
    for (let left = await folded.count(); left > 0; left--) await folded.first().locator('.twisty').click();
    await expect(tree).toContainText('Handshake Protocol: Encrypted Extensions');
    await expect(tree).toContainText('Handshake Protocol: Certificate');
    await expect(tree).toContainText('Handshake Protocol: Finished');

    // 2. A second connection whose secrets reach the followed file only after all its frames were
    // captured (a browser that writes its key log late): they are read again when the secrets come.
    const lateKeys = path.join(dir, 'late-keys.txt');
    connect('/late-keys', lateKeys);
    await filter(`tcp.stream == 1 && tcp.srcport == ${PORT} && tcp.len > 0`);
    await expect.poll(async () => rows.count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(2); // the server's flight and its answer
    await filter('tls.handshake.type == 8');
    await expect(rows).toHaveCount(1);
    await filter('http.request.uri == "/late-keys"');
    await expect(rows).toHaveCount(0);
    appendFileSync(keylog, readFileSync(lateKeys));
    await expect(rows).toHaveCount(1, { timeout: 15_000 });
    await expect(page.getByTestId('capture-stop')).toBeVisible();
    const lateRequestFrame = (await frameNumbers())[0];
    await filter('tls.handshake.type == 8');
    await expect(rows).toHaveCount(2, { timeout: 15_000 });
    const eeFrames = await frameNumbers();
    await filter('http.request.uri == "/live-keylog"');
    await expect(rows).toHaveCount(1, { timeout: 15_000 });
    const requestFrame = (await frameNumbers())[0];
    await screenshot(page, 'live-keylog');

    // 3. Attach key log while the capture runs: a third connection's secrets, from a file not followed.
    const attachedKeys = path.join(dir, 'attached-keys.txt');
    connect('/attached', attachedKeys);
    await filter('tls.handshake.type == 1');
    await expect(rows).toHaveCount(3, { timeout: 15_000 });
    await page.getByTestId('keylog-path').fill(attachedKeys);
    await page.getByTestId('keylog-attach').click();
    await expect(page.locator('.notice[role=status]')).toContainText('3 of 3 TLS connections decrypted', { timeout: 15_000 });
    await expect(page.getByTestId('capture-stop')).toBeVisible();
    await filter('http.request.uri == "/attached"');
    await expect(rows).toHaveCount(1, { timeout: 15_000 });
    const attachedRequestFrame = (await frameNumbers())[0];

    await page.getByTestId('capture-stop').click();
    await expect(page.getByTestId('capture-start')).toBeVisible();

    const saved = path.join(dir, 'saved.pcapng');
    await page.getByTestId('save-as').click();
    await page.getByTestId('save-path').fill(saved);
    await page.getByTestId('save-write').click();
    await expect(page.locator('.notice[role=status]')).toContainText(`to ${saved}`);
    expect(existsSync(saved)).toBe(true);

    // tshark with no key-log option: the file's own Decryption Secrets Block decrypts the same frames.
    expect(tsharkFrameNumbers(saved, 'tls.handshake.type == 8')).toEqual(eeFrames);
    expect(tsharkFrameNumbers(saved, 'http.request.uri == "/live-keylog"')).toEqual([requestFrame]);
    expect(tsharkFrameNumbers(saved, 'http.request.uri == "/late-keys"')).toEqual([lateRequestFrame]);
    // An attached key log is the session's, not the capture's: Save keeps the followed secrets only.
    expect(tsharkFrameNumbers(saved, 'http.request.uri == "/attached"')).toEqual([]);
    expect(run('tshark', ['-r', saved, '-o', `tls.keylog_file:${attachedKeys}`, '-Y', 'http.request.uri == "/attached"', '-T', 'fields', '-e', 'frame.number']).trim()).toBe(String(attachedRequestFrame));
    // The decryption came from the file's block: without it (editcap strips it), tshark opens nothing.
    const exported = path.join(dir, 'no-secrets.pcapng');
    const secretsRun = spawnSync('editcap', ['--discard-all-secrets', saved, exported], { encoding: 'utf8' });
    expect(secretsRun.status, secretsRun.stderr).toBe(0);
    expect(tsharkFrameNumbers(exported, 'tls.handshake.type == 8')).toEqual([]);
  });
});
