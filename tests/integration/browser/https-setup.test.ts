/**
 * Issue 6: a real Chromium's HTTPS connection setup, captured live by `handshake capture`
 * in a two-namespace lab, read back by `handshake analyze --json`. Whatever the browser
 * really did (how many connections, how each one ended) is taken from two independent
 * witnesses: tshark on the same file, and the HTTPS server's own account of each socket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { browserLabUnavailable, captureBrowserHttps, TEST_HOST, type BrowserHttpsCapture, type ServerEvent } from '../../fixtures/browser/https-capture';
import { decryptedSelectedAlpn, expectedConnState, expectedFinalStates, expectedStateChecks, tsharkStreams, type Side, type StreamFacts } from '../../fixtures/browser/tshark-oracle';
import { hasTshark } from '../capture/support';
import { buildCli, ndjson, runCliSync } from '../../support/cli';

/** The parts of an analyze --json connection object (cli.md) these tests read. */
interface AnalyzedConnection {
  type: 'connection';
  'tcp.stream': number;
  client: string;
  server: string;
  frames: number;
  conn_state: string;
  handshake: { kind: string | null; complete: boolean; frames: number[]; syn_retransmissions: number; synack_retransmissions: number };
  teardown: { kind: string | null; initiator: Side | null; frames: number[]; half_close_bytes: number };
  states: Record<Side, Array<{ state: string; frame: number }>>;
  final_state: Record<Side, string>;
  tls?: { sni: string | null; alpn_offered: string[]; alpn_selected: string | null; versions_offered: string[]; version_selected: string | null; cipher_selected: string | null };
}

// IANA TLS registries: protocol versions and the TLS 1.3 cipher suites (RFC 8446 B.4).
const TLS_VERSION_NAMES: Record<string, string> = { '0x0304': 'TLS 1.3', '0x0303': 'TLS 1.2', '0x0302': 'TLS 1.1', '0x0301': 'TLS 1.0' };
const TLS13_CIPHER_NAMES: Record<string, string> = { '0x1301': 'TLS_AES_128_GCM_SHA256', '0x1302': 'TLS_AES_256_GCM_SHA384', '0x1303': 'TLS_CHACHA20_POLY1305_SHA256' };
/** RFC 8701 GREASE values: 0x?A?A with both bytes equal. */
const isGrease = (code: string) => /^0x([0-9a-f])a\1a$/i.test(code);

const portOf = (endpoint: string) => Number(endpoint.slice(endpoint.lastIndexOf(':') + 1));

/** The state `side` was in right after `frame`, from the product's state-change list. */
function stateAfter(connection: AnalyzedConnection, side: Side, frame: number): string | undefined {
  return connection.states[side].filter((change) => change.frame <= frame).at(-1)?.state;
}

const unavailable = browserLabUnavailable() ?? (hasTshark ? null : 'needs tshark as the oracle');

describe.skipIf(unavailable !== null)(`Chromium's HTTPS connection setup to ${TEST_HOST}, captured by handshake capture`, () => {
  let cli: string;
  let lab: BrowserHttpsCapture;
  let connections: AnalyzedConnection[];
  let streams: Map<number, StreamFacts>;
  /** Pairs of (analyze connection, tshark stream), matched by the client's port. */
  let pairs: Array<{ connection: AnalyzedConnection; facts: StreamFacts }>;
  let tlsSessions: ServerEvent[];

  beforeAll(async () => {
    cli = buildCli();
    lab = await captureBrowserHttps({ cli });
    const analyze = runCliSync(cli, ['analyze', lab.file, '--json']);
    if (analyze.code !== 0) throw new Error(`handshake analyze exited ${analyze.code}: ${analyze.stderr}`);
    connections = ndjson(analyze.stdout).filter((object): object is AnalyzedConnection & Record<string, unknown> => object.type === 'connection');
    streams = tsharkStreams(lab.file);
    pairs = connections.map((connection) => {
      const facts = [...streams.values()].find((stream) => stream.clientPort === portOf(connection.client));
      if (!facts) throw new Error(`tshark has no stream for ${connection.client}`);
      return { connection, facts };
    });
    tlsSessions = lab.serverEvents.filter((event) => event.event === 'tls');
  }, 240_000);

  afterAll(() => {
    lab?.cleanup();
    if (cli) rmSync(cli, { force: true });
  });

  it('the page loaded, and analyze reports exactly the connections the server accepted and tshark sees', () => {
    expect(lab.browserOutcome, lab.captureLog).toBe('loaded: loaded data.json');
    const accepted = lab.serverEvents.filter((event) => event.event === 'accept').map((event) => event.port);
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    const analyzed = connections.map((connection) => portOf(connection.client));
    expect([...analyzed].sort()).toEqual([...accepted].sort());
    expect([...analyzed].sort()).toEqual([...streams.values()].map((stream) => stream.clientPort).sort());
    for (const { connection, facts } of pairs) {
      expect(connection.server).toBe(`${lab.serverIp}:443`);
      expect(connection.client.startsWith(`${lab.clientIp}:`)).toBe(true);
      expect(connection['tcp.stream'], connection.client).toBe(facts.stream);
      expect(connection.frames, connection.client).toBe(facts.frames.length);
    }
  });

  it('each connection opened with a complete three-way handshake, on the frames tshark shows', () => {
    for (const { connection, facts } of pairs) {
      expect(facts.syns.length, `${connection.client}: tshark sees one SYN`).toBeGreaterThanOrEqual(1);
      expect(connection.handshake, connection.client).toMatchObject({
        kind: 'three-way',
        complete: true,
        frames: [facts.syns[0], facts.synAcks[0], facts.handshakeAck],
        syn_retransmissions: facts.syns.length - 1,
        synack_retransmissions: facts.synAcks.length - 1,
      });
    }
  });

  it('each ClientHello names the test host and offers the ALPN list and versions tshark reads', () => {
    const withHello = pairs.filter(({ facts }) => facts.clientHello !== null);
    // Every TLS session the server completed is one of these connections.
    expect(withHello.map(({ facts }) => facts.clientPort).sort()).toEqual(tlsSessions.map((event) => event.port).sort());
    for (const { connection, facts } of pairs) {
      const hello = facts.clientHello;
      if (hello === null) {
        expect(connection.tls?.sni ?? null, `${connection.client} sent no ClientHello`).toBeNull();
        continue;
      }
      expect(hello.sni).toBe(TEST_HOST);
      expect(hello.alpn).toEqual(expect.arrayContaining(['h2', 'http/1.1']));
      expect(connection.tls?.sni, connection.client).toBe(hello.sni);
      expect(connection.tls?.alpn_offered, connection.client).toEqual(hello.alpn);
      // Chromium adds a GREASE version (RFC 8701); the product shows unknown codes in hex.
      expect(connection.tls?.versions_offered, connection.client).toEqual(hello.versions.map((code) => (isGrease(code) ? code : TLS_VERSION_NAMES[code])));
    }
  });

  it('each ServerHello selects TLS 1.3 and the cipher the server reports; the selected ALPN (h2) is encrypted, so none is claimed', () => {
    for (const { connection, facts } of pairs) {
      if (facts.clientHello === null) continue;
      const session = tlsSessions.find((event) => event.port === facts.clientPort);
      const hello = facts.serverHello;
      expect(hello, `${connection.client}: tshark sees a ServerHello`).not.toBeNull();
      if (!session || !hello) continue;
      expect(session).toMatchObject({ version: 'TLSv1.3', alpn: 'h2', servername: TEST_HOST });
      expect(hello.versions).toEqual(['0x0304']);
      expect(connection.tls?.version_selected).toBe(TLS_VERSION_NAMES[hello.versions[0]]);
      expect(connection.tls?.cipher_selected).toBe(TLS13_CIPHER_NAMES[hello.ciphers[0]]);
      expect(connection.tls?.cipher_selected).toBe(session.cipher);
      // TLS 1.3 moves ALPN into EncryptedExtensions: the ServerHello carries none, and only
      // with the server's key log does tshark find h2 there.
      expect(hello.alpn).toEqual([]);
      expect(decryptedSelectedAlpn(lab.file, lab.keylogFile, facts.stream)).toEqual(['h2']);
      expect(connection.tls?.alpn_selected ?? null).toBeNull();
    }
  });

  it('each teardown is reported as it happened: kind, initiator, frames and bytes after the first FIN', () => {
    for (const { connection, facts } of pairs) {
      const teardown = facts.teardown;
      expect(connection.teardown, `${connection.client}: ${JSON.stringify(teardown)}`).toEqual({
        kind: teardown.kind,
        initiator: teardown.initiator,
        frames: teardown.frames,
        half_close_bytes: teardown.halfCloseBytes,
      });
      expect(connection.conn_state, connection.client).toBe(expectedConnState(teardown));
    }
  });

  it("each side's state changes at the handshake and teardown frames, and its final state, follow RFC 9293", () => {
    for (const { connection, facts } of pairs) {
      const label = `${connection.client}: ${JSON.stringify(connection.states)}`;
      for (const check of expectedStateChecks(facts)) {
        expect(stateAfter(connection, check.side, check.frame), `${check.side} after frame ${check.frame} (${check.why}); ${label}`).toBe(check.state);
      }
      expect(connection.final_state, label).toEqual(expectedFinalStates(facts.teardown));
    }
  });
});
