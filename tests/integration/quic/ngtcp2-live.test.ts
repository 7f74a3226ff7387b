/**
 * Live QUIC: ngtcp2's example client and server (GnuTLS, nghttp3) in two namespaces, recorded
 * by `handshake capture -w FILE --tls-keylog KEYS` through its capture helper (not tcpdump),
 * following the client's key log as the handshake writes it. Oracles: tshark 4.0 on the written
 * file (given the key log, and given nothing but the file's own Decryption Secrets Blocks) for
 * which packets are Initial, Handshake and 1-RTT and what they decrypt to; ngtcp2's own account
 * of the HTTP/3 header fields its QPACK decoders read (tshark 4.0 does not decode HTTP/3 HEADERS).
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, ndjson, runCliSync } from '../../support/cli';
import { buildHelper } from '../capture/support';
import { captureNgtcp2, HOST, ngtcp2LabUnavailable, PORT, tsharkWithKeys, type Ngtcp2Capture } from './ngtcp2-lab';

const unavailable = ngtcp2LabUnavailable();

const FIELDS = ['frame.number', 'quic.long.packet_type', 'quic.header_form', 'quic.frame_type', 'quic.packet_number', 'tls.handshake.type', 'tls.handshake.extensions_alpn_str', 'http3.frame_type'];

/** tshark's fields per frame; keylog null: only the file's own secrets. */
const tshark = (file: string, keylog: string | null) => tsharkWithKeys(file, keylog ?? '', FIELDS);

const column = (name: string) => FIELDS.indexOf(name);
const list = (value: string | undefined) => (value ?? '').split(',').filter(Boolean);
const norm = (value: string) => value.replace(/\bTrue\b/g, '1').replace(/\bFalse\b/g, '0');

describe.skipIf(unavailable !== null)('live QUIC and HTTP/3 recorded through the capture helper with a followed key log', () => {
  let cli = '';
  let capture: Ngtcp2Capture;

  beforeAll(async () => {
    cli = buildCli();
    capture = await captureNgtcp2({ handshakeCli: { cli, helper: buildHelper() } });
  }, 120_000);

  afterAll(() => capture?.cleanup());

  it('recorded the exchange through the helper, with the client key log embedded', () => {
    expect(capture.recorderStderr).toMatch(/handshake capture: capturing on /);
    // Stopped by SIGINT after the exchange, with its summary line (no helper failure).
    expect(capture.recorderStderr).toMatch(/handshake capture: \d+ frames, .* written to /);
    const theirs = tshark(capture.pcap, capture.keylog);
    // Initial (long type 0), Handshake (2) and 1-RTT (short header) packets, each decrypted by tshark.
    const decryptedKinds = new Set<string>();
    for (const row of theirs) {
      const frameTypes = list(row[column('quic.frame_type')]);
      if (frameTypes.length === 0) continue;
      for (const type of list(row[column('quic.long.packet_type')])) decryptedKinds.add(type === '0' ? 'Initial' : type === '2' ? 'Handshake' : `long ${type}`);
      if (list(row[column('quic.header_form')]).includes('0')) decryptedKinds.add('1-RTT');
    }
    expect([...decryptedKinds].sort()).toEqual(expect.arrayContaining(['1-RTT', 'Handshake', 'Initial']));
  });

  it('decode of the written file, with the key log, decrypts every frame as tshark does', () => {
    const theirs = tshark(capture.pcap, capture.keylog);
    const run = runCliSync(cli, ['decode', capture.pcap, '--tls-keylog', capture.keylog, ...FIELDS.flatMap((f) => ['-e', f])]);
    expect(run.stderr).toBe('');
    const ours = run.stdout.replace(/\n$/, '').split('\n').map((line) => line.split('\t'));
    expect(ours.length).toBe(theirs.length);
    // http3.frame_type aside: tshark 4.0 never shows a DATA frame that spans packets.
    for (let i = 0; i < theirs.length; i++) {
      for (let f = 0; f < FIELDS.length - 1; f++) expect(norm(ours[i][f]), `frame ${theirs[i][0]} ${FIELDS[f]}`).toBe(norm(theirs[i][f]));
      const headersAndControl = (value: string) => list(value).filter((v) => v !== '0');
      expect(headersAndControl(ours[i][FIELDS.length - 1]), `frame ${theirs[i][0]} http3.frame_type (DATA aside)`).toEqual(headersAndControl(theirs[i][FIELDS.length - 1]));
    }
    // The whole handshake decrypted: EncryptedExtensions, Certificate, CertificateVerify and both Finished.
    const types = ours.flatMap((row) => list(row[column('tls.handshake.type')]));
    expect(types).toEqual(expect.arrayContaining(['1', '2', '8', '11', '15', '20']));
    expect(types.filter((t) => t === '20')).toHaveLength(2);
  });

  it('the embedded secrets alone decrypt the file: in tshark without a key-log option, and in decode and analyze without --tls-keylog', () => {
    const withKeys = tshark(capture.pcap, capture.keylog);
    const embeddedOnly = tshark(capture.pcap, null);
    expect(embeddedOnly).toEqual(withKeys);
    const run = runCliSync(cli, ['decode', capture.pcap, ...FIELDS.flatMap((f) => ['-e', f])]);
    expect(run.code, run.stderr).toBe(0);
    const ours = run.stdout.replace(/\n$/, '').split('\n').map((line) => line.split('\t'));
    expect(ours.map((row) => norm(row[column('quic.frame_type')]))).toEqual(withKeys.map((row) => norm(row[column('quic.frame_type')])));
  });

  it("analyze --json: the QUIC attempt is decrypted, ALPN h3, and its HTTP/3 request is the one ngtcp2's peers read", () => {
    const run = runCliSync(cli, ['analyze', capture.pcap, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const attempts = ndjson(run.stdout).filter((o) => o.type === 'quic');
    expect(attempts).toHaveLength(1);
    const attempt = attempts[0] as { tls: Record<string, unknown>; http: { version: string; requests: Record<string, unknown>[] }; server: string };
    expect(attempt.server).toBe(`198.18.0.2:${PORT}`);
    expect(attempt.tls).toMatchObject({ decrypted: true, alpn_selected: 'h3' });
    expect(attempt.tls.certificates).toEqual([expect.objectContaining({ subject: `CN=${HOST}`, san: [HOST] })]);
    const field = (lines: string[], name: string) => lines.find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2);
    expect(field(capture.serverRequestHeaders, ':path')).toBe('/index.html');
    expect(attempt.http.version).toBe('HTTP/3');
    expect(attempt.http.requests).toHaveLength(1);
    const request = attempt.http.requests[0];
    expect(request).toMatchObject({
      method: field(capture.serverRequestHeaders, ':method'),
      path: field(capture.serverRequestHeaders, ':path'),
      authority: field(capture.serverRequestHeaders, ':authority'),
      status: Number(field(capture.clientResponseHeaders, ':status')),
    });
    // The request and response frames are where tshark first finds an HTTP/3 HEADERS frame (type 1) from the client and
    // from the server (by direction: ngtcp2's client may send its request again before the response comes).
    const firstHeaders = (direction: string) =>
      Number(execFileSync('tshark', ['-r', capture.pcap, '-o', `tls.keylog_file:${capture.keylog}`, '-Y', `http3.frame_type == 1 && ${direction} == ${PORT}`, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' }).split('\n')[0]);
    expect([firstHeaders('udp.dstport'), firstHeaders('udp.srcport')]).toEqual([request.request_frame, request.response_frame]);
  });
});

if (unavailable !== null) {
  describe('live QUIC and HTTP/3 recorded through the capture helper', () => {
    it.skip(`skipped: ${unavailable}`, () => {});
  });
}
