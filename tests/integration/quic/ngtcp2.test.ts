/**
 * QUIC Handshake and 1-RTT decryption, and HTTP/3 over it, against real implementations:
 * ngtcp2's example client and server (GnuTLS, nghttp3) in two namespaces, one capture per
 * cipher suite (AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305 with key updates both ways).
 * Oracles: tshark 4.0 given the same key log (frame by frame on the decrypted QUIC, TLS and
 * HTTP/3 fields), and ngtcp2's own account of the header fields its QPACK decoders read.
 */
import { writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DetailNode } from '../../../shared/api';
import { buildCli, ndjson, runCliSync } from '../../support/cli';
import { captureNgtcp2, HOST, keylogWithout, ngtcp2LabUnavailable, PORT, tsharkWithKeys, type Ngtcp2Capture } from './ngtcp2-lab';
import { openIndexed } from '../../support/engine';

const unavailable = ngtcp2LabUnavailable();

const SUITES = {
  'AES-128-GCM': 'NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM',
  'AES-256-GCM': 'NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-256-GCM',
  'CHACHA20-POLY1305': 'NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+CHACHA20-POLY1305',
} as const;
const SUITE_IDS: Record<keyof typeof SUITES, number> = { 'AES-128-GCM': 0x1301, 'AES-256-GCM': 0x1302, 'CHACHA20-POLY1305': 0x1303 };

/** Fields compared frame by frame; http3.frame_type separately (tshark 4.0 never shows a DATA frame that spans packets). */
const FIELDS = [
  'quic.frame_type',
  'quic.packet_number',
  'quic.key_phase',
  'quic.crypto.offset',
  'quic.stream.stream_id',
  'quic.nci.connection_id',
  'tls.handshake.type',
  'tls.handshake.extensions_alpn_str',
  'x509ce.dNSName',
  'http3.stream_type',
  'http3.settings.id',
];

describe.skipIf(unavailable !== null)('QUIC and HTTP/3 decrypted from ngtcp2 captures, as tshark decrypts them', () => {
  let cli = '';
  const captures = new Map<keyof typeof SUITES, Ngtcp2Capture>();

  beforeAll(async () => {
    cli = buildCli();
    for (const suite of Object.keys(SUITES) as (keyof typeof SUITES)[]) {
      // ChaCha20 with a client key update early and a body long enough for many packets after it (the server follows with its own).
      const chacha = suite === 'CHACHA20-POLY1305';
      captures.set(suite, await captureNgtcp2({ ciphers: SUITES[suite], keyUpdate: chacha ? '3ms' : undefined, bodySize: chacha ? 1_000_000 : 4000 }));
    }
  }, 180_000);

  afterAll(() => {
    for (const capture of captures.values()) capture.cleanup();
  });

  for (const suite of Object.keys(SUITES) as (keyof typeof SUITES)[]) {
    it(`${suite}: every frame's decrypted QUIC, TLS and HTTP/3 fields equal tshark's`, () => {
      const capture = captures.get(suite)!;
      const theirs = tsharkWithKeys(capture.pcap, capture.keylog, ['frame.number', ...FIELDS, 'http3.frame_type']);
      const args = ['decode', capture.pcap, '--tls-keylog', capture.keylog, '-e', 'frame.number', ...FIELDS.flatMap((f) => ['-e', f]), '-e', 'http3.frame_type'];
      const run = runCliSync(cli, args);
      expect(run.stderr).toBe('');
      const ours = run.stdout.replace(/\n$/, '').split('\n').map((line) => line.split('\t'));
      expect(ours.length).toBe(theirs.length);
      const norm = (value: string) => value.replace(/\bTrue\b/g, '1').replace(/\bFalse\b/g, '0');
      const withoutData = (value: string) =>
        value
          .split(',')
          .filter((v) => v !== '' && v !== '0')
          .join(',');
      for (let i = 0; i < theirs.length; i++) {
        const frame = theirs[i][0];
        for (let f = 0; f <= FIELDS.length; f++) expect(norm(ours[i][f]), `frame ${frame} ${f === 0 ? 'frame.number' : FIELDS[f - 1]}`).toBe(norm(theirs[i][f]));
        expect(withoutData(ours[i][FIELDS.length + 1]), `frame ${frame} http3.frame_type (DATA aside)`).toBe(withoutData(theirs[i][FIELDS.length + 1]));
      }
      // The whole handshake was there to compare: EncryptedExtensions, Certificate, CertificateVerify, both Finished, NewSessionTicket.
      const types = ours.flatMap((row) => row[FIELDS.indexOf('tls.handshake.type') + 1].split(',')).filter(Boolean).map(Number);
      expect(types).toEqual(expect.arrayContaining([1, 2, 8, 11, 15, 20, 4]));
      expect(types.filter((t) => t === 20)).toHaveLength(2);
      if (suite === 'CHACHA20-POLY1305') {
        // Both key phases were used, and decrypted.
        const phases = new Set(ours.flatMap((row) => row[FIELDS.indexOf('quic.key_phase') + 1].split(',')).filter(Boolean));
        expect(phases).toEqual(new Set(['0', '1']));
      }
    });

    it(`${suite}: analyze --json tells the attempt's TLS and HTTP/3 as ngtcp2 saw them`, () => {
      const capture = captures.get(suite)!;
      const run = runCliSync(cli, ['analyze', capture.pcap, '--json', '--tls-keylog', capture.keylog]);
      expect(run.code).toBe(0);
      const attempts = ndjson(run.stdout).filter((o) => o.type === 'quic');
      expect(attempts).toHaveLength(1);
      const attempt = attempts[0] as { tls: Record<string, unknown>; http: { version: string; requests: Record<string, unknown>[] }; server: string };
      expect(attempt.server).toBe(`198.18.0.2:${PORT}`);
      expect(attempt.tls).toMatchObject({ decrypted: true, alpn_selected: 'h3', cipher_selected: SUITE_IDS[suite] });
      expect(attempt.tls.certificates).toEqual([expect.objectContaining({ subject: `CN=${HOST}`, issuer: `CN=${HOST}`, san: [HOST] })]);
      if (suite === 'CHACHA20-POLY1305') {
        const updates = attempt.tls.key_updates as { client: number; server: number };
        expect(updates.client).toBeGreaterThan(0);
        expect(updates.server).toBeGreaterThan(0);
      }
      // The request and response fields, as ngtcp2's own QPACK decoders read them on the other end.
      const field = (list: string[], name: string) => list.find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2);
      expect(capture.serverRequestHeaders.length).toBeGreaterThan(0);
      expect(attempt.http.version).toBe('HTTP/3');
      expect(attempt.http.requests).toHaveLength(1);
      expect(attempt.http.requests[0]).toMatchObject({
        method: field(capture.serverRequestHeaders, ':method'),
        path: field(capture.serverRequestHeaders, ':path'),
        authority: field(capture.serverRequestHeaders, ':authority'),
        status: Number(field(capture.clientResponseHeaders, ':status')),
      });
      expect(attempt.http.requests[0].request_frame).toEqual(expect.any(Number));
      expect(attempt.http.requests[0].response_frame).toEqual(expect.any(Number));
    });
  }

  it('decodes every request and response header field as the peers did, and filters on them', () => {
    const capture = captures.get('AES-128-GCM')!;
    const run = runCliSync(cli, ['decode', capture.pcap, '--json', '--tls-keylog', capture.keylog, '-Y', 'http3.headers.method == "GET" || http3.headers.status']);
    expect(run.code).toBe(0);
    const frames = ndjson(run.stdout);
    const names = frames.flatMap((f) => f['http3.header.header.name'] as string[]);
    const values = frames.flatMap((f) => f['http3.headers.header.value'] as string[]);
    const decoded = names.map((name, i) => `${name}: ${values[i]}`);
    for (const line of [...capture.serverRequestHeaders, ...capture.clientResponseHeaders]) expect(decoded).toContain(line);
    expect(frames.some((f) => (f['http3.headers.path'] as string[] | undefined)?.[0] === '/index.html')).toBe(true);
  });

  it('the workbench engine, given the secrets in the pcapng (editcap --inject-secrets), shows the decrypted layers in the detail tree and HTTP3 rows', async () => {
    const capture = captures.get('AES-128-GCM')!;
    const withSecrets = path.join(capture.dir, 'with-secrets.pcapng');
    expect(spawnSync('editcap', ['--inject-secrets', `tls,${capture.keylog}`, capture.pcap, withSecrets]).status).toBe(0);
    const { backend, session } = await openIndexed(withSecrets);
    try {
      // tshark reads the same file's secrets with no option.
      const tshark = spawnSync('tshark', ['-r', withSecrets, '-T', 'fields', '-e', 'frame.number', '-e', '_ws.col.Protocol', '-Y', 'tls.handshake.type == 11'], { encoding: 'utf8' }).stdout.trim().split('\t');
      const certificateFrame = Number(tshark[0]);
      expect(certificateFrame).toBeGreaterThan(0);
      const detail = await backend.handlers.getFrame({ sessionId: session.sessionId, index: certificateFrame - 1 });
      const all = (nodes: DetailNode[]): DetailNode[] => nodes.flatMap((n) => [n, ...all(n.children)]);
      const fields = all(detail.tree).map((n) => n.field);
      expect(fields).toEqual(expect.arrayContaining(['quic', 'quic.frame_type', 'tls.handshake.type', 'x509ce.dNSName', 'http3']));
      expect(all(detail.tree).filter((n) => n.field === 'tls.handshake.type').map((n) => n.label)).toEqual(expect.arrayContaining(['Handshake Type: Certificate (11)', 'Handshake Type: Finished (20)']));
      const row = (await backend.handlers.getRows({ sessionId: session.sessionId, start: certificateFrame - 1, count: 1, filter: '' })).rows[0];
      expect(row.protocol).toBe(tshark[1]);
    } finally {
      await backend.handlers.closeSession({ sessionId: session.sessionId }).catch(() => undefined);
    }
  });

  it('a connection whose key log lacks a secret, or has wrong ones, says which, per connection', () => {
    const capture = captures.get('AES-128-GCM')!;
    const withoutServerApp = path.join(capture.dir, 'no-server-app.txt');
    writeFileSync(withoutServerApp, keylogWithout(capture.keylog, 'SERVER_TRAFFIC_SECRET_0'));
    const wrong = path.join(capture.dir, 'wrong.txt');
    // Every secret's last byte changed: the right labels and client random, the wrong keys.
    writeFileSync(wrong, keylogWithout(capture.keylog, '#').replace(/[0-9a-f]$/gm, (d) => (d === '0' ? '1' : '0')));
    const verdict = (args: string[]) => {
      const run = runCliSync(cli, ['analyze', capture.pcap, '--json', ...args]);
      expect(run.code).toBe(0);
      const attempt = ndjson(run.stdout).find((o) => o.type === 'quic') as { tls: { decrypted: unknown; alpn_selected: unknown } };
      return attempt.tls;
    };
    expect(verdict([]).decrypted).toMatch(/^no TLS secrets: no key log given/);
    expect(verdict(['--tls-keylog', withoutServerApp]).decrypted).toMatch(/^missing SERVER_TRAFFIC_SECRET_0 for client random [0-9a-f]{64}$/);
    // With the handshake secrets there, EncryptedExtensions was still read.
    expect(verdict(['--tls-keylog', withoutServerApp]).alpn_selected).toBe('h3');
    expect(verdict(['--tls-keylog', wrong]).decrypted).toMatch(/HANDSHAKE_TRAFFIC_SECRET does not decrypt this packet \(wrong or mismatched key log\?\)/);
    // The text form says it on the attempt's block; decode flags the packets, never as malformed.
    const text = runCliSync(cli, ['analyze', capture.pcap, '--tls-keylog', withoutServerApp]).stdout;
    expect(text).toMatch(/TLS not decrypted: missing SERVER_TRAFFIC_SECRET_0 for client random/);
    const decoded = ndjson(runCliSync(cli, ['decode', capture.pcap, '--json', '--tls-keylog', wrong]).stdout);
    expect(decoded.some((f) => Array.isArray(f['quic.decryption_failed']))).toBe(true);
    expect(decoded.every((f) => f['_ws.malformed'] === undefined)).toBe(true);
  });
});

if (unavailable !== null) {
  describe('QUIC and HTTP/3 decrypted from ngtcp2 captures', () => {
    it.skip(`skipped: ${unavailable}`, () => undefined);
  });
}
