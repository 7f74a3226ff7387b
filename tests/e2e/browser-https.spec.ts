/**
 * Issue 6, through the UI: a real Chromium's HTTPS connection setup, captured live by the
 * product in two test namespaces, opened in the browser host. For every TCP connection
 * the browser opened, the connections view and the ladder must show what tshark (the
 * independent oracle) and the HTTPS server's own account say happened: the handshake,
 * the TLS hellos, the teardown as it really went, and each lane's RFC 9293 states.
 */
import { expect, test, type Page } from '@playwright/test';
import path from 'node:path';
import { browserLabUnavailable, captureBrowserHttps, TEST_HOST, type BrowserHttpsCapture } from '../fixtures/browser/https-capture';
import { decryptedSelectedAlpn, expectedConnState, expectedFinalStates, expectedStateChecks, tsharkStreams, type Side, type StreamFacts } from '../fixtures/browser/tshark-oracle';
import { haveTshark, ROOT, screenshot, startHost, tsharkFrameNumbers, type RunningHost } from './support';

// IANA registries, written out here rather than taken from the product: TLS versions and
// the TLS 1.3 cipher suites (RFC 8446 B.4). RFC 8701 GREASE codes are shown in hex.
const TLS_VERSION_NAMES: Record<string, string> = { '0x0304': 'TLS 1.3', '0x0303': 'TLS 1.2', '0x0302': 'TLS 1.1', '0x0301': 'TLS 1.0' };
const TLS13_CIPHER_NAMES: Record<string, string> = { '0x1301': 'TLS_AES_128_GCM_SHA256', '0x1302': 'TLS_AES_256_GCM_SHA384', '0x1303': 'TLS_CHACHA20_POLY1305_SHA256' };
const isGrease = (code: string) => /^0x([0-9a-f])a\1a$/i.test(code);
const versionName = (code: string) => (isGrease(code) ? code : TLS_VERSION_NAMES[code]);

/** What one arrow of the ladder shows, read from the page. */
interface ShownArrow {
  frame: number;
  from: Side;
  phase: string;
  label: string;
  hello: string | null;
  rst: boolean;
  /** The state written on each lane at this arrow, where it changed. */
  client: string | null;
  server: string | null;
}

async function shownArrows(page: Page): Promise<ShownArrow[]> {
  return page.getByTestId('ladder').locator('g.arrow').evaluateAll((nodes) =>
    nodes.map((node) => {
      const text = (selector: string) => node.querySelector(selector)?.textContent?.trim() ?? null;
      return {
        frame: Number(node.getAttribute('data-frame')),
        from: node.classList.contains('client') ? ('client' as const) : ('server' as const),
        phase: node.getAttribute('data-phase') ?? '',
        label: text('.label') ?? '',
        hello: text('[data-testid=hello]'),
        rst: node.classList.contains('rst'),
        client: text('text[data-side=client]'),
        server: text('text[data-side=server]'),
      };
    }),
  );
}

/** The state a lane shows right after `frame`: its last change at or before that arrow. */
function laneStateAfter(arrows: readonly ShownArrow[], initial: string, side: Side, frame: number): string {
  let state = initial;
  for (const arrow of arrows) if (arrow.frame <= frame && arrow[side] !== null) state = arrow[side] ?? state;
  return state;
}

const unavailable = browserLabUnavailable() ?? (haveTshark ? null : 'needs tshark as the oracle');

test.describe(`Chromium's HTTPS connection setup to ${TEST_HOST}, through the UI`, () => {
  test.skip(unavailable !== null, unavailable ?? '');
  let lab: BrowserHttpsCapture | undefined;
  let host: RunningHost | undefined;
  let streams: StreamFacts[] = [];

  test.beforeAll(async () => {
    // Chromium, the server and the capture run for real: allow for a slow machine.
    test.setTimeout(300_000);
    // The `handshake` command as global setup built it, so the capture is the product's.
    lab = await captureBrowserHttps({ cli: path.join(ROOT, 'out', 'node', 'handshake.cjs') });
    streams = [...tsharkStreams(lab.file).values()];
    host = await startHost([lab.file]);
  });
  test.afterAll(async () => {
    await host?.stop();
    lab?.cleanup();
  });

  test('the connections view lists each connection the browser opened, with its SNI and how it ended', async ({ page }) => {
    if (!lab || !host) throw new Error('lab not ready');
    expect(lab.browserOutcome, lab.captureLog).toBe('loaded: loaded data.json');
    // The server's own account: every connection it accepted is one tshark sees.
    const accepted = lab.serverEvents.filter((event) => event.event === 'accept').map((event) => event.port);
    expect(streams.map((facts) => facts.clientPort).sort()).toEqual([...accepted].sort());
    expect(streams.length).toBeGreaterThanOrEqual(1);

    await page.goto(host.url);
    await page.getByTestId('view-connections').click();
    const rows = page.locator('.connections-view .body [role=row]');
    await expect(rows).toHaveCount(streams.length);
    // Cells are read by their column's header, so a new column elsewhere does not shift them.
    const headers = (await page.locator('.connections-view .row.head [role=columnheader]').allTextContents()).map((text) => text.replace(/[▴▾]/g, '').trim());
    const cell = (row: ReturnType<typeof rows.filter>, header: string) => {
      expect(headers).toContain(header);
      return row.locator(':scope > span').nth(headers.indexOf(header));
    };
    for (const facts of streams) {
      const row = rows.filter({ hasText: `${lab.clientIp}:${facts.clientPort}` });
      await expect(row).toHaveCount(1);
      await expect(cell(row, 'Client')).toHaveText(`${lab.clientIp}:${facts.clientPort}`);
      await expect(cell(row, 'Server')).toHaveText(`${lab.serverIp}:443`);
      await expect(cell(row, 'TLS SNI')).toHaveText(facts.clientHello?.sni ?? '');
      await expect(cell(row, 'conn_state')).toHaveText(expectedConnState(facts.teardown));
      const final = expectedFinalStates(facts.teardown);
      await expect(cell(row, 'Client state')).toHaveText(final.client);
      await expect(cell(row, 'Server state')).toHaveText(final.server);
    }
    await screenshot(page, 'browser-https-connections');
  });

  test("each connection's ladder shows its handshake, TLS hellos and teardown with both lanes' states", async ({ page }) => {
    if (!lab || !host) throw new Error('lab not ready');
    await page.goto(host.url);
    let shotTaken = false;
    for (const facts of streams) {
      const where = `${lab.clientIp}:${facts.clientPort}`;
      await page.getByTestId('view-connections').click();
      await page.locator('.connections-view .body [role=row]').filter({ hasText: where }).dblclick();
      const ladder = page.getByTestId('ladder');
      await expect(page.locator('.ladder-view .endpoints')).toHaveText(`${where} ⇄ ${lab.serverIp}:443`);
      await page.getByTestId('ladder-collapse').uncheck();
      await expect(ladder.locator('g.arrow')).toHaveCount(facts.frames.length);
      const arrows = await shownArrows(page);
      expect(arrows.map((arrow) => arrow.frame), where).toEqual(facts.frames);
      const at = (frame: number | null) => arrows.find((arrow) => arrow.frame === frame);

      // The handshake: SYN, SYN+ACK and the client's ACK, banded as the handshake.
      const handshake = [facts.syns[0], facts.synAcks[0], facts.handshakeAck];
      expect(arrows.filter((arrow) => arrow.phase === 'handshake').map((arrow) => arrow.frame), `${where} handshake`).toEqual(handshake);
      expect(at(facts.syns[0])).toMatchObject({ from: 'client', label: expect.stringMatching(/^SYN +Seq=0 /) });
      expect(at(facts.synAcks[0])).toMatchObject({ from: 'server', label: expect.stringMatching(/^SYN, ACK +Seq=0 Ack=1 /) });
      expect(at(facts.handshakeAck)).toMatchObject({ from: 'client', label: expect.stringMatching(/^ACK +Seq=1 Ack=1 /) });
      await expect(page.getByTestId('client-initial')).toHaveText('CLOSED');

      // Each lane's state after the handshake and teardown frames (RFC 9293 figure 5).
      const initial = { client: (await page.getByTestId('client-initial').textContent())?.trim() ?? '', server: (await page.getByTestId('server-initial').textContent())?.trim() ?? '' };
      for (const check of expectedStateChecks(facts)) {
        expect(laneStateAfter(arrows, initial[check.side], check.side, check.frame), `${where}: ${check.side} after frame ${check.frame} (${check.why})`).toBe(check.state);
      }
      const final = expectedFinalStates(facts.teardown);
      await expect(page.getByTestId('client-final')).toHaveText(final.client);
      await expect(page.getByTestId('server-final')).toHaveText(final.server);

      // The TLS hellos, on the segments tshark decodes them from, and nowhere else.
      const helloFrames = [facts.clientHello?.frame, facts.serverHello?.frame].filter((frame): frame is number => frame !== undefined);
      expect(arrows.filter((arrow) => arrow.hello !== null).map((arrow) => arrow.frame), `${where} hellos`).toEqual(helloFrames);
      const clientHello = facts.clientHello;
      if (clientHello) {
        expect(clientHello.sni).toBe(TEST_HOST);
        const shown = at(clientHello.frame);
        expect(shown?.from).toBe('client');
        expect(shown?.hello).toContain('Client Hello');
        expect(shown?.hello).toContain(`SNI=${clientHello.sni}`);
        expect(shown?.hello).toContain(`ALPN=${clientHello.alpn.join(',')}`);
        expect(shown?.hello).toContain(`versions=${clientHello.versions.map(versionName).join(',')}`);
        expect(shown?.hello).toContain(`${clientHello.ciphers.length} cipher suites`);
        await expect(ladder.locator(`[data-frame="${clientHello.frame}"] [data-testid=hello]`)).toBeVisible();
        // Clicking it explains the hello beside the TCP rules, with RFC 8446's section.
        await ladder.locator(`[data-frame="${clientHello.frame}"] .hit`).click();
        const explain = page.locator('.ladder-explain [data-testid=explain]');
        await expect(explain).toContainText('TLS ClientHello');
        await expect(explain).toContainText(`SNI ${clientHello.sni}`);
        await expect(explain).toContainText('RFC 8446 §4.1.2');
      }
      const serverHello = facts.serverHello;
      if (serverHello) {
        const session = lab.serverEvents.find((event) => event.event === 'tls' && event.port === facts.clientPort);
        const shown = at(serverHello.frame);
        expect(shown?.from).toBe('server');
        expect(shown?.hello).toContain('Server Hello');
        expect(serverHello.versions).toHaveLength(1);
        expect(shown?.hello).toContain(versionName(serverHello.versions[0]));
        expect(shown?.hello).toContain(TLS13_CIPHER_NAMES[serverHello.ciphers[0]] ?? serverHello.ciphers[0]);
        if (session?.cipher) expect(shown?.hello).toContain(session.cipher);
        if (serverHello.alpn.length > 0) {
          expect(shown?.hello).toContain(`ALPN=${serverHello.alpn.join(',')}`);
        } else {
          // TLS 1.3: the ALPN answer (h2, per tshark with the server's key log and per the
          // server itself) travels encrypted, so the ladder must not claim to have read one.
          expect(decryptedSelectedAlpn(lab.file, lab.keylogFile, facts.stream)).toEqual([session?.alpn ?? 'h2']);
          expect(shown?.hello).not.toContain('ALPN=');
          expect(shown?.hello).toContain('ALPN encrypted');
        }
      }

      // The teardown exactly as it happened: every FIN and RST tshark sees, from the right
      // side, and the teardown band over the FINs, their ACKs and the RST.
      const fins = tsharkFrameNumbers(lab.file, `tcp.stream == ${facts.stream} && tcp.flags.fin == 1`);
      const rsts = tsharkFrameNumbers(lab.file, `tcp.stream == ${facts.stream} && tcp.flags.reset == 1`);
      expect(arrows.filter((arrow) => /\bFIN\b/.test(arrow.label)).map((arrow) => arrow.frame), `${where} FINs`).toEqual(fins);
      expect(arrows.filter((arrow) => /\bRST\b/.test(arrow.label)).map((arrow) => arrow.frame), `${where} RSTs`).toEqual(rsts);
      expect(arrows.filter((arrow) => arrow.rst).map((arrow) => arrow.frame)).toEqual(rsts);
      const { firstFin, secondFin, rst } = facts.teardown;
      if (firstFin) expect(at(firstFin.frame)?.from).toBe(firstFin.from);
      if (secondFin) expect(at(secondFin.frame)?.from).toBe(secondFin.from);
      if (rst) expect(at(rst.frame)?.from).toBe(rst.from);
      expect(arrows.filter((arrow) => arrow.phase === 'teardown').map((arrow) => arrow.frame), `${where} teardown`).toEqual(facts.teardown.frames);
      await expect(ladder.locator('.band.teardown')).toHaveCount(facts.teardown.frames.length > 0 ? 1 : 0);

      // Folded, the data phase shrinks but the handshake, hellos and teardown stay.
      await page.getByTestId('ladder-collapse').check();
      for (const frame of [...handshake, ...helloFrames, ...facts.teardown.frames]) await expect(ladder.locator(`[data-frame="${frame}"]`)).toHaveCount(1);
      if (!shotTaken) {
        await screenshot(page, 'browser-https-ladder');
        shotTaken = true;
      }
    }
  });
});
