/**
 * A real browser's HTTP/3 page load, decrypted: Debian's Chromium, forced onto QUIC with its
 * key log (--ssl-key-log-file), loads a page from ngtcp2's HTTP/3 server in a namespace lab.
 * Oracles: tshark given the same key log (frame by frame), and the server's own QPACK decoder
 * for the request fields Chromium sent.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, ndjson, runCliSync } from '../../support/cli';
import { captureNgtcp2, CHROMIUM, HOST, ngtcp2LabUnavailable, PORT, type Ngtcp2Capture } from './ngtcp2-lab';

const unavailable = ngtcp2LabUnavailable() ?? (existsSync(CHROMIUM) ? null : `needs Debian's Chromium at ${CHROMIUM}`);
const FIELDS = ['quic.frame_type', 'quic.packet_number', 'quic.crypto.offset', 'quic.stream.stream_id', 'tls.handshake.type', 'tls.handshake.extensions_alpn_str', 'tls.handshake.extensions_server_name', 'x509ce.dNSName', 'http3.stream_type', 'http3.settings.id'];

describe.skipIf(unavailable !== null)('Chromium over HTTP/3, decrypted with its key log', () => {
  let cli = '';
  let capture: Ngtcp2Capture;

  beforeAll(async () => {
    cli = buildCli();
    capture = await captureNgtcp2({ chromium: true });
  }, 120_000);

  afterAll(() => capture?.cleanup());

  it('decrypts the QUIC handshake and HTTP/3 as tshark does, frame by frame', () => {
    const tshark = spawnSync('tshark', ['-r', capture.pcap, '-o', `tls.keylog_file:${capture.keylog}`, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,', '-e', 'frame.number', ...FIELDS.flatMap((f) => ['-e', f])], { encoding: 'utf8' });
    expect(tshark.status).toBe(0);
    const theirs = tshark.stdout.replace(/\n$/, '').split('\n').map((line) => line.split('\t'));
    const run = runCliSync(cli, ['decode', capture.pcap, '--tls-keylog', capture.keylog, '-e', 'frame.number', ...FIELDS.flatMap((f) => ['-e', f])]);
    expect(run.code).toBe(0);
    const ours = run.stdout.replace(/\n$/, '').split('\n').map((line) => line.split('\t'));
    expect(ours).toEqual(theirs);
    const types = ours.flatMap((row) => row[5].split(',')).filter(Boolean).map(Number);
    expect(types).toEqual(expect.arrayContaining([1, 2, 8, 11, 15, 20]));
  });

  it('analyze --json: decrypted, ALPN h3, the certificate, and the requests the server decoded', () => {
    const run = runCliSync(cli, ['analyze', capture.pcap, '--json', '--tls-keylog', capture.keylog]);
    expect(run.code).toBe(0);
    const attempt = ndjson(run.stdout).find((o) => o.type === 'quic') as { tls: Record<string, unknown>; http: { requests: Record<string, unknown>[] } };
    expect(attempt.tls).toMatchObject({ sni: HOST, decrypted: true, alpn_selected: 'h3', handshake_done: true });
    expect(attempt.tls.certificates).toEqual([expect.objectContaining({ subject: `CN=${HOST}`, san: [HOST] })]);
    // Every path the server's log shows Chromium asked for, with the server's answers.
    const paths = capture.serverRequestHeaders.filter((line) => line.startsWith(':path: ')).map((line) => line.slice(7));
    expect(paths).toContain('/index.html');
    expect(attempt.http.requests.map((r) => r.path)).toEqual(paths);
    expect(attempt.http.requests[0]).toMatchObject({ method: 'GET', authority: `${HOST}:${PORT}`, path: '/index.html', status: 200 });
    // Chromium's user-agent, Huffman-coded in QPACK, read as the server read it.
    const decoded = ndjson(runCliSync(cli, ['decode', capture.pcap, '--json', '--tls-keylog', capture.keylog, '-Y', 'http3.headers.method']).stdout);
    const values = decoded.flatMap((f) => f['http3.headers.header.value'] as string[]);
    const agent = capture.serverRequestHeaders.find((line) => line.startsWith('user-agent: '))!.slice(12);
    expect(values).toContain(agent);
  });
});

if (unavailable !== null) {
  describe('Chromium over HTTP/3, decrypted with its key log', () => {
    it.skip(`skipped: ${unavailable}`, () => undefined);
  });
}
