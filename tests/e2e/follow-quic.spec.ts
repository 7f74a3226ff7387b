/**
 * Follow UDP, QUIC and HTTP/3 Stream through the UI, on a real HTTP/3 exchange (ngtcp2's client
 * and server in the namespace lab) whose secrets editcap embeds in the pcapng: each is opened
 * from the packet list's context menu on a frame, and what the dialog shows is the bytes
 * `tshark -z follow,udp` and `-z follow,quic` give chunk by chunk; HTTP/3 shows the request's
 * decoded header list and the body the server served.
 */
import { expect, test, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { captureNgtcp2, ngtcp2LabUnavailable, PORT, type Ngtcp2Capture } from '../integration/quic/ngtcp2-lab';
import { freshStreamChunks, tsharkStreamFrames } from '../fixtures/quic/tshark-stream-frames';
import { haveTshark, namespaceLabHost, openCapture, screenshot, startHost, type RunningHost } from './support';
import { nodeInNamespace } from '../integration/capture/support';

const PACKETS = 'section[aria-label="Packets view"]';

interface Chunk {
  from: 'client' | 'server';
  hex: string;
}

function tsharkRaw(file: string, spec: string): Chunk[] {
  const text = execFileSync('tshark', ['-r', file, '-q', '-z', spec], { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] });
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line.startsWith('Node 1:')) + 1;
  const end = lines.lastIndexOf('='.repeat(67));
  return lines.slice(start, end).filter(Boolean).map((line) => ({ from: line.startsWith('\t') ? 'server' : 'client', hex: line.replace(/^\t/, '') }));
}

/**
 * A QUIC stream's chunks as tshark's follow prints them, less the STREAM frames that only repeat
 * bytes already seen that way (tshark 4.0 prints a retransmitted frame again; we show the stream's
 * bytes once).
 */
function tsharkQuicChunks(file: string, streamId: number): Chunk[] {
  const { chunks, repeats } = freshStreamChunks(tsharkStreamFrames(file, PORT), streamId);
  // Without a repeat, this is tshark's follow itself.
  if (repeats === 0) expect(chunks).toEqual(tsharkRaw(file, `follow,quic,raw,0,${streamId}`));
  return chunks;
}

async function shownChunks(page: Page): Promise<Chunk[]> {
  return page.getByTestId('follow-chunk').evaluateAll((nodes) => nodes.map((node) => ({ from: (node as HTMLElement).dataset.from as 'client' | 'server', hex: node.textContent ?? '' })));
}

async function followFrame(page: Page, frame: number, kind: 'udp' | 'quic' | 'http3'): Promise<void> {
  await page.getByTestId('filter-input').fill(`frame.number == ${frame}`);
  await page.getByTestId('filter-input').press('Enter');
  const row = page.locator(`${PACKETS} [role=row][data-frame="${frame}"]`);
  await expect(row).toBeVisible();
  await row.click({ button: 'right' });
  await page.getByTestId(`row-follow-${kind}`).click();
  await expect(page.getByTestId('follow-dialog')).toBeVisible();
}

test.describe('Follow UDP, QUIC and HTTP/3 Stream on a real HTTP/3 exchange', () => {
  const unavailable = ngtcp2LabUnavailable() ?? (haveTshark ? null : 'needs tshark as the oracle');
  test.skip(unavailable !== null, unavailable ?? '');
  let capture: Ngtcp2Capture | undefined;
  let host: RunningHost | undefined;
  let file = '';
  /** A server frame whose STREAM frames include the request stream's (0) after others (QPACK, control). */
  let streamFrame = 0;
  /** A server frame that carries only stream 0. */
  let onlyStream0 = 0;

  test.beforeAll(async () => {
    test.setTimeout(240_000);
    capture = await captureNgtcp2({ bodySize: 20_000 });
    file = path.join(capture.dir, 'h3-keys.pcapng');
    execFileSync('editcap', ['--inject-secrets', `tls,${capture.keylog}`, capture.pcap, file]);
    const first = (filter: string) => Number(execFileSync('tshark', ['-r', file, '-Y', filter, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' }).split('\n')[0]);
    streamFrame = first('quic.stream.stream_id == 0 && udp.srcport == 4433 && count(quic.stream.stream_id) > 1');
    onlyStream0 = first('quic.stream.stream_id == 0 && udp.srcport == 4433 && count(quic.stream.stream_id) == 1');
    if (!(streamFrame > 0) || !(onlyStream0 > 0)) throw new Error('the lab capture lacks the frames of QUIC stream 0 this test follows');
    host = await startHost([]);
  });
  test.afterAll(async () => {
    await host?.stop();
    capture?.cleanup();
  });

  test('from a frame: the UDP conversation, its QUIC stream and its HTTP/3 request as tshark and ngtcp2 give them', async ({ page }) => {
    test.setTimeout(180_000);
    await page.goto(host!.url);
    await openCapture(page, file);
    const dialog = page.getByTestId('follow-dialog');

    // Follow QUIC follows the frame's first stream: here the request stream.
    await followFrame(page, onlyStream0, 'quic');
    await expect(dialog.getByRole('heading')).toContainText('quic.stream.stream_id == 0');
    await expect(page.getByTestId('follow-quic-stream')).toHaveValue('0');
    await page.getByTestId('follow-format').selectOption('raw');
    const quic = tsharkQuicChunks(file, 0);
    expect(quic.length).toBeGreaterThan(2);
    await expect.poll(() => shownChunks(page)).toEqual(quic);
    // The packet list shows only the connection's frames of the stream.
    await expect(page.getByTestId('filter-input')).toHaveValue(/udp\.port == 4433.*quic\.stream\.stream_id == 0/);
    // Another stream of the connection by number: the server's control stream (3).
    await page.getByTestId('follow-quic-stream').fill('3');
    await page.getByTestId('follow-quic-stream').dispatchEvent('change');
    await expect.poll(() => shownChunks(page)).toEqual(tsharkQuicChunks(file, 3));
    await page.getByTestId('follow-back').click();
    await expect(dialog).toHaveCount(0);

    // Follow HTTP/3 picks the frame's request stream, after the QPACK and control streams it also carries.
    await followFrame(page, streamFrame, 'http3');
    await expect(page.getByTestId('follow-quic-stream')).toHaveValue('0');
    await expect(dialog.getByRole('heading')).toContainText('Follow HTTP/3 Stream');
    await page.getByTestId('follow-format').selectOption('ascii');
    const client = dialog.locator('[data-testid=follow-chunk][data-from=client]').first();
    await expect(client).toContainText(':method');
    await expect(client).toContainText('GET');
    await expect(client).toContainText('/index.html');
    await expect(dialog.locator('[data-testid=follow-chunk][data-from=server]').first()).toContainText(':status');
    await page.getByTestId('follow-format').selectOption('raw');
    const served = readFileSync(path.join(capture!.dir, 'htdocs', 'index.html')).toString('hex');
    await expect.poll(async () => (await shownChunks(page)).filter((c) => c.from === 'server').slice(1).map((c) => c.hex).join('')).toBe(served);
    await screenshot(page, 'follow-http3');
    await page.getByTestId('follow-back').click();

    await followFrame(page, 1, 'udp');
    await expect(dialog.getByRole('heading')).toContainText('Follow UDP Stream');
    await page.getByTestId('follow-format').selectOption('raw');
    await expect.poll(() => shownChunks(page)).toEqual(tsharkRaw(file, 'follow,udp,raw,0'));
    await expect(page.getByTestId('filter-input')).toHaveValue(/^ip\.addr == 198\.18\.0\.\d+ && udp\.port == \d+ && ip\.addr == 198\.18\.0\.\d+ && udp\.port == \d+$/);
  });
});

/** A UDP echo server: each datagram comes back prefixed with "echo:". */
const udpEchoScript = (ip: string) => `
  const socket = require('dgram').createSocket('udp4');
  socket.on('message', (message, from) => socket.send(Buffer.concat([Buffer.from('echo:'), message]), from.port, from.address));
  socket.bind(9753, '${ip}', () => console.log('listening'));`;

test.describe('Follow UDP Stream during a live capture', () => {
  const env = namespaceLabHost('fuq', udpEchoScript);

  test('the open dialog shows each new datagram and its echo as it is captured, without reopening', async ({ page }) => {
    const { lab, host } = env;
    test.setTimeout(120_000);
    await page.goto(host.url);
    await page.getByTestId('iface').selectOption(lab.client.ifname);
    await page.getByTestId('bpf').fill('udp port 9753');
    await expect(page.getByTestId('bpf')).toHaveClass(/ok/);
    await page.getByTestId('capture-start').click();
    await expect(page.getByTestId('capture-stop')).toBeVisible();
    // A client that sends a datagram every 1.5 s, eight times.
    const client = nodeInNamespace(
      lab.client.ns,
      `const s = require('dgram').createSocket('udp4');
       let n = 0;
       const send = () => { n++; s.send('tick-' + n + ';', 9753, '${lab.server.ip}', () => console.log('sent ' + n)); if (n < 8) setTimeout(send, 1500); else setTimeout(() => s.close(), 1500); };
       s.bind(0, send);`,
    );
    try {
      await client.waitFor(/sent 1/);
      const row = page.locator(`${PACKETS} [role=row][data-frame]`, { hasText: 'UDP' }).first();
      await expect(row).toBeVisible({ timeout: 15_000 });
      await row.click({ button: 'right' });
      await page.getByTestId('row-follow-udp').click();
      const dialog = page.getByTestId('follow-dialog');
      await expect(dialog.getByTestId('follow-live')).toBeVisible();
      await expect(dialog.locator('[data-from=client]').first()).toContainText('tick-');
      const shownAtFirst = await dialog.getByTestId('follow-chunk').count();
      // Later datagrams arrive in the same dialog: the client's and the server's echo of it.
      await expect(dialog.locator('[data-from=client]', { hasText: 'tick-6;' })).toHaveCount(1, { timeout: 30_000 });
      await expect(dialog.locator('[data-from=server]', { hasText: 'echo:tick-6;' })).toHaveCount(1, { timeout: 10_000 });
      expect(await dialog.getByTestId('follow-chunk').count()).toBeGreaterThan(shownAtFirst);
      await client.waitFor(/sent 8/, 30_000);
      await expect(dialog.locator('[data-from=server]', { hasText: 'echo:tick-8;' })).toHaveCount(1, { timeout: 10_000 });
      const turns = await dialog.getByTestId('follow-chunk').evaluateAll((nodes) => nodes.map((node) => `${(node as HTMLElement).dataset.from}:${node.textContent ?? ''}`));
      expect(turns).toEqual(Array.from({ length: 8 }, (_, i) => [`client:tick-${i + 1};`, `server:echo:tick-${i + 1};`]).flat());
    } finally {
      client.stop();
      await page.getByTestId('follow-close').click().catch(() => undefined);
      await page.getByTestId('capture-stop').click().catch(() => undefined);
    }
  });
});
