/**
 * HTTP/3 in the page-load timeline, on real recordings: Debian's Chromium loads a page from
 * ngtcp2's HTTP/3 server in a namespace lab, three ways: forced onto QUIC
 * (--origin-to-force-quic-on), sent there by an HTTPS DNS record with alpn h3 from dnsmasq, and
 * sent there by an `alt-svc: h3=":443"` header on an earlier HTTP/2 response. `browse
 * --from-file` reads each recording with the browser's key log; every QUIC row's steps are held
 * against tshark's decrypted fields on the same capture (first client Initial, the client's Finished,
 * the first HTTP/3 request and response HEADERS, CONNECTION_CLOSE), and the reason it gives for
 * HTTP/3 against what tshark decoded (the ALPN, the HTTPS record's alpn, the Alt-Svc header).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, ndjson, runCliSync } from '../../support/cli';
import { checkQuicRow, timeline, tshark, type Row } from '../../fixtures/pageload/quic-rows';
import { captureNgtcp2, CHROMIUM, HOST, ngtcp2LabUnavailable, PORT, type Ngtcp2Capture } from '../quic/ngtcp2-lab';

const hasDnsmasq = (() => {
  try {
    execFileSync('dnsmasq', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const unavailable = ngtcp2LabUnavailable() ?? (existsSync(CHROMIUM) ? null : `needs Debian's Chromium at ${CHROMIUM}`);
const dnsUnavailable = unavailable ?? (hasDnsmasq ? null : 'needs dnsmasq as the lab resolver');

describe.skipIf(unavailable !== null)('page-load timeline over HTTP/3: Chromium forced onto QUIC', () => {
  let cli = '';
  let capture: Ngtcp2Capture;
  beforeAll(async () => {
    cli = buildCli();
    capture = await captureNgtcp2({ chromium: true });
  }, 120_000);
  afterAll(() => capture?.cleanup());

  it("the QUIC row's handshake, request, response and teardown are tshark's frames; the reason says the choice was not from this capture", () => {
    const rows = timeline(cli, capture).filter((r) => r.kind === 'quic' && r.server.endsWith(`:${PORT}`));
    expect(rows.length).toBeGreaterThanOrEqual(1);
    // CI once saw tshark find no complete exchange on the first QUIC row's connection (not reproduced): Chromium may open
    // a QUIC connection that carries no request; the page's own is the one with a request.
    const page = rows.find((r) => r.steps.request !== null) ?? rows[0];
    expect(page.host).toBe(HOST);
    checkQuicRow(capture, page, PORT);
    expect(page.protocol_reasons.join('\n')).toMatch(/QUIC without an Alt-Svc header or HTTPS record in this capture/);
  });

  it('the text timeline names the QUIC attempt and its handshake', () => {
    const run = runCliSync(cli, ['browse', '--from-file', capture.pcap, '--tls-keylog', capture.keylog]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`QUIC attempt \\d+: 198\\.18\\.0\\.1:\\d+ → 198\\.18\\.0\\.2:${PORT} \\(${HOST.replace('.', '\\.')}\\), h3`));
    expect(run.stdout).toMatch(/why: ALPN: the server selected h3/);
  });

  it('without the key log the handshake end and the request are unknown, and the row says why', () => {
    const run = runCliSync(cli, ['browse', '--from-file', capture.pcap, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const row = (ndjson(run.stdout) as unknown as Row[]).find((o) => o.type === 'connection' && o.kind === 'quic');
    expect(row?.steps.quic).toBeNull();
    expect(row?.steps.request).toBeNull();
    expect(row?.notes.join(' | ')).toMatch(/not decrypted: /);
  });
});

/**
 * Chromium takes HTTP/3 from an HTTPS record or Alt-Svc only with a certificate from a known
 * root (it waives that only for --origin-to-force-quic-on origins): with the lab's self-signed
 * one it opens the QUIC connection, rejects the certificate and closes during the handshake,
 * then falls back to TCP. The timeline must show that attempt, why it was made, and how it ended.
 * (With that waiver for the host on a port nothing loads, Chromium completes both:
 * h3-chosen.test.ts.)
 */
function checkFailedAttempt(capture: Ngtcp2Capture, row: Row): void {
  const clientPort = Number(row.client.slice(row.client.lastIndexOf(':') + 1));
  const tuple = `udp.port == ${clientPort} && udp.port == 443`;
  const initial = tshark(capture, `${tuple} && udp.dstport == 443 && quic.long.packet_type == 0`)[0];
  const closes = execFileSync('tshark', ['-r', capture.pcap, '-o', `tls.keylog_file:${capture.keylog}`, '-Y', `${tuple} && quic.frame_type == 0x1c`, '-T', 'fields', '-e', 'frame.number', '-e', 'udp.srcport', '-e', 'quic.cc.error_code', '-e', 'quic.cc.reason_phrase'], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('\t'));
  expect(initial && closes.length > 0, 'tshark sees the Initial and the CONNECTION_CLOSE').toBeTruthy();
  const [frame, srcport, codes, reasons] = closes[0];
  expect(tshark(capture, `${tuple} && quic.frame_type == 0x1e`)).toEqual([]);
  expect(row.steps.teardown?.[0].frame).toBe(Number(frame));
  expect(row.steps.quic).toBeNull();
  expect(row.steps.request).toBeNull();
  expect(row.protocol).toBeNull();
  const code = Number(codes.split(',')[0]);
  const who = srcport === '443' ? 'server' : 'client';
  expect(row.notes).toContain(`CONNECTION_CLOSE from the ${who} in frame ${frame}, during the handshake: error 0x${code.toString(16)}${code >= 0x100 && code <= 0x1ff ? ` (TLS alert ${code - 0x100})` : ''}: ${reasons.split(',')[0]}`);
  expect(row.notes).toContain('this QUIC attempt failed: no HTTP/3 was exchanged on it');
  expect(row.protocol_reasons[0]).toMatch(/^ALPN: the server selected h3/);
}

describe.skipIf(dnsUnavailable !== null)('page-load timeline over HTTP/3: Chromium sent to QUIC by an HTTPS DNS record (dnsmasq)', () => {
  let cli = '';
  let capture: Ngtcp2Capture;
  beforeAll(async () => {
    cli = buildCli();
    capture = await captureNgtcp2({ chromium: true, discovery: 'https-record' });
  }, 120_000);
  afterAll(() => capture?.cleanup());

  it("the first QUIC row's DNS step holds the HTTPS answer tshark decodes with alpn h3, the reason names it, and the failed handshake is shown as tshark reads it", () => {
    const https = tshark(capture, `dns.qry.name == "${HOST}" && dns.qry.type == 65 && dns.flags.response == 1 && dns.svcb.svcparam.alpn == "h3"`);
    expect(https.length, 'tshark sees the HTTPS answer with alpn h3').toBeGreaterThan(0);
    const rows = timeline(cli, capture);
    const row = rows.find((r) => r.kind === 'quic' && r.server.endsWith(':443'));
    expect(row, JSON.stringify(rows.map((r) => [r.kind, r.server, r.protocol]))).toBeDefined();
    if (!row) return;
    expect(row.host).toBe(HOST);
    expect(row.dns?.name).toBe(HOST);
    expect(row.dns?.types).toContain('HTTPS');
    expect(row.dns?.https_alpn).toEqual(['h3']);
    expect(row.protocol_reasons).toContain(`HTTPS DNS record for ${HOST}: alpn h3`);
    expect(row.protocol_reasons.join('\n')).not.toMatch(/without an Alt-Svc/);
    // The lookup ends with the last answer of the burst, the HTTPS one among them.
    expect(row.steps.dns?.[1].frame).toBeGreaterThanOrEqual(https[0].frame);
    expect(row.steps.dns?.[1].frame).toBeLessThan(tshark(capture, `udp.port == ${row.client.split(':')[1]} && quic.long.packet_type == 0`)[0].frame);
    checkFailedAttempt(capture, row);
  }, 180_000); // tshark passes take seconds each on the loaded two-core test machine
});

describe.skipIf(dnsUnavailable !== null)('page-load timeline over HTTP/3: Chromium sent to QUIC by Alt-Svc on an HTTP/2 response', () => {
  let cli = '';
  let capture: Ngtcp2Capture;
  beforeAll(async () => {
    cli = buildCli();
    capture = await captureNgtcp2({ chromium: true, discovery: 'alt-svc' });
  }, 120_000);
  afterAll(() => capture?.cleanup());

  it('the h2 connection first, then the QUIC attempt; its reason is the Alt-Svc header in the frame where tshark decodes it, and its failed handshake is shown', () => {
    const rows = timeline(cli, capture);
    const h2 = rows.find((r) => r.kind === 'tcp' && r.protocol === 'h2');
    const quic = rows.find((r) => r.kind === 'quic' && r.server.endsWith(':443'));
    expect(h2, JSON.stringify(rows.map((r) => [r.kind, r.protocol]))).toBeDefined();
    expect(quic, JSON.stringify(rows.map((r) => [r.kind, r.protocol]))).toBeDefined();
    if (!h2 || !quic) return;
    const altSvc = tshark(capture, 'http2.header.name == "alt-svc" && http2.header.value == "h3=\\":443\\""');
    expect(altSvc.length, 'tshark decodes the alt-svc header').toBeGreaterThan(0);
    const start = tshark(capture, `udp.port == ${quic.client.split(':')[1]} && quic.long.packet_type == 0`)[0].frame;
    const before = altSvc.filter((f) => f.frame < start);
    expect(before.length).toBeGreaterThan(0);
    const streamOf = execFileSync('tshark', ['-r', capture.pcap, '-Y', `frame.number == ${before[before.length - 1].frame}`, '-T', 'fields', '-e', 'tcp.stream'], { encoding: 'utf8' }).trim();
    expect(quic.protocol_reasons).toContain(`Alt-Svc: h3=":443" on the response in frame ${before[before.length - 1].frame} (tcp.stream ${streamOf}, ${HOST})`);
    checkFailedAttempt(capture, quic);
  }, 180_000);
});

for (const [name, why] of [
  ['page-load timeline over HTTP/3', unavailable],
  ['page-load timeline over HTTP/3 with DNS', dnsUnavailable],
] as const) {
  if (why !== null) {
    describe(name, () => {
      it.skip(`skipped: ${why}`, () => undefined);
    });
  }
}
