/**
 * Issue 6, QUIC: a real Chromium forced onto QUIC for the test host, in the two-namespace lab,
 * captured live by `handshake capture` (the real helper), read back by `handshake analyze
 * --json`. Nothing answers QUIC (a plain UDP socket receives), so each attempt is the client's
 * Initials only. Expected values come from the test's inputs (host name, addresses), tshark's
 * own decryption of the same file, and the UDP socket's count of what it received.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { browserLabUnavailable, captureBrowserHttps, HTTPS_PORT, TEST_HOST, type BrowserHttpsCapture } from '../../fixtures/browser/https-capture';
import { tsharkQuic, type TsharkQuic } from '../../fixtures/browser/tshark-quic-oracle';
import { hasTshark } from '../capture/support';
import { buildCli, ndjson, runCliSync } from '../../support/cli';

/** The parts of an analyze --json QUIC attempt object these tests read. */
interface AnalyzedQuicAttempt {
  type: 'quic';
  'quic.attempt': number;
  client: string;
  server: string;
  direction_guessed: boolean;
  version: string;
  dcid: string;
  server_scid: string | null;
  first_frame: number;
  packets: Record<string, number>;
  tls: { client_hello_frame: number | null; sni: string | null; alpn_offered: string[] } | null;
  retry: unknown;
  version_negotiation: unknown;
  problems: string[];
}

/** RFC 9000 §15 and RFC 9369: the version numbers a browser may send, by the names the product prints. */
const QUIC_VERSION_NAMES: Record<number, string> = { 0x00000001: 'QUIC v1', 0x6b3343cf: 'QUIC v2' };

const unavailable = browserLabUnavailable() ?? (hasTshark ? null : 'needs tshark as the oracle');

describe.skipIf(unavailable !== null)(`Chromium's QUIC connection attempts to ${TEST_HOST}, captured by handshake capture`, () => {
  let cli: string;
  let lab: BrowserHttpsCapture;
  let attempts: AnalyzedQuicAttempt[];
  let oracle: TsharkQuic;

  beforeAll(async () => {
    cli = buildCli();
    lab = await captureBrowserHttps({ cli, quic: true });
    const analyze = runCliSync(cli, ['analyze', lab.file, '--json']);
    if (analyze.code !== 0) throw new Error(`handshake analyze exited ${analyze.code}: ${analyze.stderr}`);
    attempts = ndjson(analyze.stdout).filter((object): object is AnalyzedQuicAttempt & Record<string, unknown> => object.type === 'quic');
    oracle = tsharkQuic(lab.file);
  }, 240_000);

  afterAll(() => {
    lab?.cleanup();
    if (cli) rmSync(cli, { force: true });
  });

  it('Chromium tried QUIC and nothing but the UDP socket received it: no page, no TCP, no answer', () => {
    expect(lab.browserOutcome, lab.captureLog).toMatch(/^navigation error/);
    expect(lab.serverEvents.filter((event) => event.event === 'accept')).toEqual([]);
    expect(lab.quicDatagrams.length, lab.captureLog).toBeGreaterThan(0);
    expect(oracle.attempts.length).toBeGreaterThan(0);
    expect(oracle.serverDatagrams).toBe(0);
  });

  it('analyze reports one QUIC attempt per attempt tshark decrypts, with its endpoints, version and DCID', () => {
    const reported = attempts.map((a) => ({ client: a.client, server: a.server, version: a.version, dcid: a.dcid, direction_guessed: a.direction_guessed }));
    const expected = oracle.attempts.map((t) => ({
      client: `${lab.clientIp}:${t.clientPort}`,
      server: `${lab.serverIp}:${HTTPS_PORT}`,
      version: QUIC_VERSION_NAMES[t.version] ?? `unexpected version 0x${t.version.toString(16)}`,
      dcid: t.dcid,
      direction_guessed: false,
    }));
    expect(reported).toEqual(expected);
    // tshark's addresses are the lab's, as configured.
    for (const t of oracle.attempts) expect([t.clientIp, t.serverIp]).toEqual([lab.clientIp, lab.serverIp]);
  });

  it("each attempt's ClientHello names the test host and offers h3, as tshark reads it", () => {
    const helloAttempts = oracle.attempts.filter((t) => t.sni !== null);
    expect(helloAttempts.length).toBeGreaterThan(0);
    for (const t of oracle.attempts) {
      const attempt = attempts.find((a) => a.dcid === t.dcid);
      expect(t.sni, `tshark, DCID ${t.dcid}`).toBe(TEST_HOST);
      expect(t.alpn).toContain('h3');
      expect(attempt?.tls?.sni, `DCID ${t.dcid}`).toBe(TEST_HOST);
      expect(attempt?.tls?.alpn_offered).toEqual(t.alpn);
      expect(attempt?.problems).toEqual([]);
    }
  });

  it('Initials are counted as tshark and the receiving socket count them, and no server answer is claimed', () => {
    for (const t of oracle.attempts) {
      const attempt = attempts.find((a) => a.dcid === t.dcid);
      expect(attempt?.packets.initial, `DCID ${t.dcid}`).toBe(t.clientInitials);
      expect(attempt?.first_frame).toBe(t.frames[0]);
      expect(attempt).toMatchObject({ server_scid: null, retry: null, version_negotiation: null });
      for (const type of ['handshake', 'retry', 'version-negotiation', 'short']) expect(attempt?.packets[type], type).toBe(0);
    }
    // Every datagram the socket received from a client port is one of the attempts' datagrams, and vice versa.
    const received = new Map<number, number>();
    for (const { port } of lab.quicDatagrams) received.set(port, (received.get(port) ?? 0) + 1);
    const captured = new Map<number, number>();
    for (const t of oracle.attempts) captured.set(t.clientPort, (captured.get(t.clientPort) ?? 0) + t.frames.length);
    expect(captured).toEqual(received);
  });
});
