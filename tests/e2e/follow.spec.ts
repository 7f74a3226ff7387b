/**
 * Follow Stream through the UI (issue 13 §4): real HTTP/1.1, HTTP/2 over TLS and h2c traffic
 * between Node peers in two namespaces (tests/fixtures/http), with the peers' secrets embedded by
 * editcap. What the dialog shows must be the bytes tshark's `-z follow` gives, chunk by chunk;
 * the delays between turns are checked against tshark's frame times; Save as… writes the bytes;
 * and during a live capture new data appears in the open dialog.
 */
import { expect, test, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { captureHttpLab, httpLabUnavailable, type HttpLabCapture } from '../fixtures/http/http-capture';
import { nodeInNamespace, tcpServerScript } from '../integration/capture/support';
import { haveTshark, namespaceLabHost, openCapture, screenshot, startHost, tempDir, type RunningHost } from './support';

const PACKETS = 'section[aria-label="Packets view"]';
const TSHARK_H2C = ['-d', 'tcp.port==8080,http2'];
const haveEditcap = (() => {
  try {
    execFileSync('editcap', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

interface Chunk {
  from: 'client' | 'server';
  hex: string;
}

/** tshark's `-z follow,PROTO,raw,…` chunks: one line each, the server's after a tab. */
function tsharkRaw(file: string, keylog: string, spec: string): Chunk[] {
  const text = execFileSync('tshark', ['-o', `tls.keylog_file:${keylog}`, ...TSHARK_H2C, '-r', file, '-q', '-z', spec], { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] });
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line.startsWith('Node 1:')) + 1;
  const end = lines.lastIndexOf('='.repeat(67));
  return lines.slice(start, end).filter(Boolean).map((line) => ({ from: line.startsWith('\t') ? 'server' : 'client', hex: line.replace(/^\t/, '') }));
}

function tsharkFields(file: string, filter: string, fields: string[]): string[][] {
  const out = execFileSync('tshark', [...TSHARK_H2C, '-r', file, '-Y', filter, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return out.split('\n').filter(Boolean).map((line) => line.split('\t'));
}

async function shownChunks(page: Page): Promise<Chunk[]> {
  return page.getByTestId('follow-chunk').evaluateAll((nodes) => nodes.map((node) => ({ from: (node as HTMLElement).dataset.from as 'client' | 'server', hex: node.textContent ?? '' })));
}

/** Opens Follow from the packet list's context menu on the first frame of `stream`. */
async function followFromMenu(page: Page, stream: number, kind: 'tcp' | 'tls' | 'http2'): Promise<void> {
  await page.getByTestId('filter-input').fill(`tcp.stream == ${stream}`);
  await page.getByTestId('filter-input').press('Enter');
  const row = page.locator(`${PACKETS} [role=row][data-frame]`).first();
  await expect(row).toBeVisible();
  await row.click({ button: 'right' });
  await page.getByTestId(`row-follow-${kind}`).click();
  await expect(page.getByTestId('follow-dialog')).toBeVisible();
}

test.describe('Follow Stream on a capture of real HTTP/1.1, HTTP/2 over TLS and h2c', () => {
  const unavailable = httpLabUnavailable() ?? (haveTshark ? null : 'needs tshark as the oracle') ?? (haveEditcap ? null : 'needs editcap to embed the key log');
  test.skip(unavailable !== null, unavailable ?? '');
  let lab: HttpLabCapture | undefined;
  let host: RunningHost | undefined;
  let file = '';
  const streams = { h1: -1, h2: -1, h2c: -1, https1: -1 };

  test.beforeAll(async () => {
    test.setTimeout(240_000);
    lab = await captureHttpLab('fol');
    // The secrets go into the pcapng with Wireshark's own tool, so the workbench decrypts without being told.
    file = path.join(lab.dir, 'http-keys.pcapng');
    execFileSync('editcap', ['--inject-secrets', `tls,${lab.keylogFile}`, lab.file, file]);
    const first = (filter: string) => Number(tsharkFields(lab!.file, filter, ['tcp.stream'])[0]?.[0] ?? -1);
    streams.h1 = first('tcp.port == 80 && tcp.len > 0');
    streams.h2c = first('tcp.port == 8080 && tcp.len > 0');
    const keyed = (filter: string) =>
      Number(execFileSync('tshark', ['-o', `tls.keylog_file:${lab!.keylogFile}`, '-r', lab!.file, '-Y', filter, '-T', 'fields', '-e', 'tcp.stream'], { encoding: 'utf8' }).split('\n')[0]);
    streams.h2 = keyed('tcp.port == 8443 && http2.type == 1');
    streams.https1 = keyed('tcp.port == 8443 && http.request');
    for (const [name, n] of Object.entries(streams)) if (!(n >= 0)) throw new Error(`no ${name} stream in the lab capture`);
    host = await startHost([]);
  });
  test.afterAll(async () => {
    await host?.stop();
    lab?.cleanup();
  });

  test('Follow TCP shows both directions as tshark -z follow,tcp gives them: raw, hex dump and ASCII; the delay before each turn; one direction', async ({ page }) => {
    await page.goto(host!.url);
    await openCapture(page, file);
    await followFromMenu(page, streams.h1, 'tcp');
    const dialog = page.getByTestId('follow-dialog');
    await expect(dialog.getByRole('heading')).toHaveText(`Follow TCP Stream (tcp.stream == ${streams.h1})`);
    // The packet list shows only the stream while the dialog is open.
    await expect(page.getByTestId('filter-input')).toHaveValue(`tcp.stream == ${streams.h1}`);
    const expected = tsharkRaw(lab!.file, lab!.keylogFile, `follow,tcp,raw,${streams.h1}`);
    expect(expected.length).toBeGreaterThan(1);
    await page.getByTestId('follow-format').selectOption('raw');
    await expect.poll(() => shownChunks(page)).toEqual(expected);
    await expect(dialog.locator('[data-from=client]').first()).toHaveClass(/client/);
    await expect(dialog.locator('[data-from=server]').first()).toHaveClass(/server/);
    const clientBytes = expected.filter((c) => c.from === 'client').reduce((sum, c) => sum + c.hex.length / 2, 0);
    await expect(page.getByTestId('follow-legend-client')).toContainText(`198.18.0.1:`);
    await expect(page.getByTestId('follow-direction').locator('option[value=client]')).toContainText(`(${clientBytes} bytes)`);

    // Hex dump: tshark's lines (offsets counted per direction), the server's after a tab.
    await page.getByTestId('follow-format').selectOption('hex');
    const hexText = execFileSync('tshark', ['-r', lab!.file, '-q', '-z', `follow,tcp,hex,${streams.h1}`], { encoding: 'utf8' }).split('\n');
    const hexBody = hexText.slice(hexText.findIndex((l) => l.startsWith('Node 1:')) + 1, hexText.lastIndexOf('='.repeat(67))).filter(Boolean).map((l) => l.replace(/^\t/, ''));
    const shownHex = (await page.getByTestId('follow-chunk').allTextContents()).flatMap((t) => t.split('\n'));
    expect(shownHex).toEqual(hexBody);

    // ASCII: the request line as the client sent it.
    await page.getByTestId('follow-format').selectOption('ascii');
    await expect(dialog.locator('[data-from=client]').first()).toContainText(/^GET \S+ HTTP\/1\.1/);

    // The delay before each turn equals the time between the frames that carried the two chunks (tshark's clock).
    const times = new Map(tsharkFields(lab!.file, `tcp.stream == ${streams.h1}`, ['frame.number', 'frame.time_epoch']).map(([n, t]) => [Number(n), Number(t)]));
    const marks = await page.getByTestId('follow-body').locator('[data-testid=follow-delay], [data-testid=follow-chunk]').evaluateAll((nodes) =>
      nodes.map((node) => ({ delay: (node as HTMLElement).dataset.ms ?? null, frame: (node as HTMLElement).dataset.frame ?? null, from: (node as HTMLElement).dataset.from ?? null })),
    );
    let turns = 0;
    for (let i = 0; i < marks.length; i++) {
      if (marks[i].delay === null) continue;
      turns++;
      const before = marks[i - 1];
      const after = marks[i + 1];
      expect(before.from).not.toBe(after.from);
      const tsharkMs = (times.get(Number(after.frame))! - times.get(Number(before.frame))!) * 1000;
      expect(Math.abs(Number(marks[i].delay) - tsharkMs)).toBeLessThan(0.002);
    }
    const directionChanges = expected.filter((c, i) => i > 0 && c.from !== expected[i - 1].from).length;
    expect(turns).toBe(directionChanges);

    // One direction: only the server's chunks.
    await page.getByTestId('follow-format').selectOption('raw');
    await page.getByTestId('follow-direction').selectOption('server');
    await expect.poll(() => shownChunks(page)).toEqual(expected.filter((c) => c.from === 'server'));
    await screenshot(page, 'follow-tcp');

    // Back restores the display filter the list had; Filter Out This Stream hides the stream.
    await page.getByTestId('follow-back').click();
    await expect(page.getByTestId('follow-dialog')).toHaveCount(0);
    await expect(page.getByTestId('filter-input')).toHaveValue(`tcp.stream == ${streams.h1}`);
    await page.getByTestId('filter-input').fill('frame.number == 1');
    await page.getByTestId('filter-input').press('Enter');
    await expect(page.locator(`${PACKETS} [role=row][data-frame]`)).toHaveCount(1);
    await page.locator(`${PACKETS} [role=row][data-frame]`).first().click();
    await page.getByTestId('filter-input').fill('');
    await page.getByTestId('filter-input').press('Enter');
    await expect(page.locator(`${PACKETS} [role=row][aria-selected=true]`)).toHaveAttribute('data-frame', '1');
    // A time reference on it, which Ctrl+Alt+T (without Shift) would unset.
    await page.locator(`${PACKETS} [role=row][data-frame="1"]`).click();
    await page.keyboard.press('Control+T');
    await expect(page.locator(`${PACKETS} [role=row][data-frame="1"]`)).toHaveClass(/reference/);
    // The shortcut follows the selected frame's stream (Wireshark's Ctrl+Alt+Shift+T).
    await page.keyboard.press('Control+Alt+Shift+T');
    await expect(page.getByTestId('follow-dialog')).toBeVisible();
    await expect(page.locator(`${PACKETS} [role=row][data-frame="1"]`)).toHaveClass(/reference/);
    const firstStream = Number(tsharkFields(lab!.file, 'frame.number == 1', ['tcp.stream'])[0][0]);
    await expect(page.getByTestId('follow-dialog').getByRole('heading')).toHaveText(`Follow TCP Stream (tcp.stream == ${firstStream})`);
    await page.getByTestId('follow-filter-out').click();
    await expect(page.getByTestId('follow-dialog')).toHaveCount(0);
    await expect(page.getByTestId('filter-input')).toHaveValue(`!(tcp.stream == ${firstStream})`);
    const hidden = tsharkFields(lab!.file, `!(tcp.stream == ${firstStream})`, ['frame.number']).length;
    // Frame 1 is in the filtered-out stream but carries a time reference, which stays displayed (Wireshark's rule).
    await expect(page.getByTestId('counts')).toContainText(`Displayed: ${(hidden + 1).toLocaleString('en-US')}`);
  });

  test('Follow TLS shows the decrypted application data tshark gives with the key log; Follow HTTP/2 one stream', async ({ page }) => {
    await page.goto(host!.url);
    await openCapture(page, file);
    for (const n of [streams.https1, streams.h2]) {
      await followFromMenu(page, n, 'tls');
      await page.getByTestId('follow-format').selectOption('raw');
      const expected = tsharkRaw(lab!.file, lab!.keylogFile, `follow,tls,raw,${n}`);
      expect(expected.length).toBeGreaterThan(1);
      // tshark 4.0 swaps the TLS nodes and so the tabs that mark direction: the bytes compared without it.
      await expect.poll(async () => (await shownChunks(page)).map((c) => c.hex)).toEqual(expected.map((c) => c.hex));
      // The client's first record is the HTTP/1.1 request, or the HTTP/2 preface (an h2 server may send its SETTINGS before it: TLS 1.3 lets it write after its Finished).
      await page.getByTestId('follow-format').selectOption('ascii');
      await expect(page.locator('[data-testid=follow-chunk][data-from=client]').first()).toContainText(n === streams.h2 ? 'PRI * HTTP/2.0' : 'GET / HTTP/1.1');
      if (n === streams.https1) {
        await expect(page.getByTestId('follow-chunk').first()).toHaveAttribute('data-from', 'client');
        await expect(page.locator('[data-testid=follow-chunk][data-from=server]').first()).toContainText('HTTP/1.1 200');
      }
      await page.getByTestId('follow-back').click();
    }
    for (const [n, id] of [
      [streams.h2, 3],
      [streams.h2c, 7],
    ]) {
      await followFromMenu(page, n, 'http2');
      await page.getByTestId('follow-http2-stream').fill(String(id));
      await page.getByTestId('follow-http2-stream').dispatchEvent('change');
      await expect(page.getByTestId('follow-dialog').getByRole('heading')).toHaveText(`Follow HTTP/2 Stream (tcp.stream == ${n} && http2.streamid == ${id})`);
      await page.getByTestId('follow-format').selectOption('raw');
      const expected = tsharkRaw(lab!.file, lab!.keylogFile, `follow,http2,raw,${n},${id}`);
      expect(expected.length).toBeGreaterThan(0);
      await expect.poll(() => shownChunks(page)).toEqual(expected);
      await screenshot(page, `follow-http2-${id}`);
      await page.getByTestId('follow-back').click();
    }
  });

  test('Save as… writes the stream: raw the bytes themselves, ASCII tshark\'s text; an existing file is replaced only when confirmed', async ({ page }) => {
    await page.goto(host!.url);
    await openCapture(page, file);
    await followFromMenu(page, streams.h1, 'tcp');
    const dir = tempDir('follow-save');
    try {
      const target = path.join(dir, 'stream.bin');
      await page.getByTestId('follow-format').selectOption('raw');
      await page.getByTestId('follow-save-path').fill(target);
      await page.getByTestId('follow-save').click();
      await expect(page.locator('.notice[role=status]')).toContainText(`to ${target}`);
      const expected = tsharkRaw(lab!.file, lab!.keylogFile, `follow,tcp,raw,${streams.h1}`);
      expect(readFileSync(target).toString('hex')).toBe(expected.map((c) => c.hex).join(''));

      // Again, as ASCII: refused until Replace is pressed, then tshark's -z follow,tcp,ascii text.
      await page.getByTestId('follow-format').selectOption('ascii');
      await page.getByTestId('follow-save').click();
      await expect(page.getByTestId('follow-replace')).toBeVisible();
      expect(readFileSync(target).toString('hex')).toBe(expected.map((c) => c.hex).join(''));
      await page.getByTestId('follow-replace').click();
      await expect(page.getByTestId('follow-replace')).toHaveCount(0);
      const ascii = execFileSync('tshark', ['-r', lab!.file, '-q', '-z', `follow,tcp,ascii,${streams.h1}`], { encoding: 'utf8' });
      await expect.poll(() => existsSync(target) && readFileSync(target, 'utf8')).toBe(ascii);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test.describe('Follow Stream during a live capture', () => {
  const env = namespaceLabHost('fol', (ip) => tcpServerScript(ip, 8080));

  test('the open dialog shows each new request and answer as it is captured, without reopening', async ({ page }) => {
    const { lab, host } = env;
    test.setTimeout(120_000);
    await page.goto(host.url);
    await page.getByTestId('iface').selectOption(lab.client.ifname);
    await page.getByTestId('bpf').fill('tcp port 8080');
    await expect(page.getByTestId('bpf')).toHaveClass(/ok/);
    await page.getByTestId('capture-start').click();
    await expect(page.getByTestId('capture-stop')).toBeVisible();
    // A client that sends a line every 1.5 s, eight times, then closes.
    const client = nodeInNamespace(
      lab.client.ns,
      `const s = require('net').connect(8080, '${lab.server.ip}', () => {
         let n = 0;
         const send = () => { n++; s.write('ping-' + n + ';'); console.log('sent ' + n); if (n < 8) setTimeout(send, 1500); else setTimeout(() => s.end(), 1500); };
         send();
       });
       s.on('close', () => console.log('closed'));`,
    );
    try {
      await client.waitFor(/sent 1/);
      const row = page.locator(`${PACKETS} [role=row][data-frame]`, { hasText: 'PSH' }).first();
      await expect(row).toBeVisible({ timeout: 15_000 });
      await row.click({ button: 'right' });
      await page.getByTestId('row-follow-tcp').click();
      const dialog = page.getByTestId('follow-dialog');
      await expect(dialog.getByTestId('follow-live')).toBeVisible();
      await expect(dialog.locator('[data-from=client]').first()).toContainText('ping-');
      const shownAtFirst = await dialog.getByTestId('follow-chunk').count();
      // Later lines arrive in the same dialog: the client's and the server's echo of it.
      await expect(dialog.locator('[data-from=client]', { hasText: 'ping-6;' })).toHaveCount(1, { timeout: 30_000 });
      await expect(dialog.locator('[data-from=server]', { hasText: 'pong:ping-6;' })).toHaveCount(1, { timeout: 10_000 });
      expect(await dialog.getByTestId('follow-chunk').count()).toBeGreaterThan(shownAtFirst);
      await client.waitFor(/sent 8/, 30_000);
      await expect(dialog.locator('[data-from=server]', { hasText: 'pong:ping-8;' })).toHaveCount(1, { timeout: 10_000 });
      const text = (await dialog.locator('[data-from=client]').allTextContents()).join('');
      expect(text).toBe(Array.from({ length: 8 }, (_, i) => `ping-${i + 1};`).join(''));
      await screenshot(page, 'follow-live');
    } finally {
      client.stop();
      await page.getByTestId('follow-close').click().catch(() => undefined);
      await page.getByTestId('capture-stop').click().catch(() => undefined);
    }
  });
});
