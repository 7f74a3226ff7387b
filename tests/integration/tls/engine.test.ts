/**
 * The workbench engine with TLS: a capture opened with no secrets shows the TLS 1.3 handshake
 * encrypted; attaching the key log (the `attachKeyLog` request behind the UI's "Attach key
 * log") decrypts it, reports which connections it unlocked, and the display filter and the
 * detail tree then see what tshark sees with the same key log.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Backend } from '../../../electron/engine/backend';
import type { DetailNode, SessionInfo } from '../../../shared/api';
import { hasTshark } from '../capture/support';
import { captureTlsLab, DEFAULT_SCENARIOS, tlsLabUnavailable, type TlsLabCapture } from '../../fixtures/tls/tls-capture';
import { TSHARK_REASSEMBLY } from '../../support/tshark-preferences';
import { openIndexed } from '../../support/engine';

const unavailable = tlsLabUnavailable() ?? (hasTshark ? null : 'needs tshark as the oracle');

function findAll(nodes: readonly DetailNode[], field: string, out: DetailNode[] = []): DetailNode[] {
  for (const node of nodes) {
    if (node.field === field) out.push(node);
    findAll(node.children, field, out);
  }
  return out;
}

describe.skipIf(unavailable !== null)('engine: attach a key log to an open capture', () => {
  let lab: TlsLabCapture;
  let backend: Backend;
  let session: SessionInfo;

  /** The frames passing `filter`, once the engine's background scan has covered them all. */
  const matches = async (filter: string) => {
    for (let attempt = 0; ; attempt++) {
      const rows = await backend.handlers.getRows({ sessionId: session.sessionId, start: 0, count: 10_000, filter });
      if (rows.complete || attempt > 200) return rows.rows.map((row) => row.index + 1);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const tshark = (filter: string, keylog: boolean) =>
    execFileSync('tshark', [...TSHARK_REASSEMBLY, ...(keylog ? ['-o', `tls.keylog_file:${lab.keylogFile}`] : []), '-r', lab.file, '-Y', filter, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .filter(Boolean)
      .map(Number);

  beforeAll(async () => {
    lab = await captureTlsLab(DEFAULT_SCENARIOS.slice(0, 4), false, 'tle');
    ({ backend, session } = await openIndexed(lab.file));
  }, 180_000);
  afterAll(async () => {
    await backend?.handlers.closeSession({ sessionId: session.sessionId }).catch(() => undefined);
    lab?.cleanup();
  });

  it('before: the TLS 1.3 certificates are hidden, as in tshark without keys; tls matches every TLS record', async () => {
    expect(await matches('tls.handshake.type == 11')).toEqual(tshark('tls.handshake.type == 11', false));
    expect(await matches('tls')).toEqual(tshark('tls', false));
  });

  it('after: every connection unlocked, and filters and the detail tree agree with tshark given the key log', async () => {
    const result = await backend.handlers.attachKeyLog({ sessionId: session.sessionId, path: lab.keylogFile });
    expect(result.connections.length).toBe(4);
    expect(result.connections.every((c) => c.decrypted && c.reason === null)).toBe(true);
    expect(result.connections.map((c) => c.alpn)).toEqual(['h2', 'http/1.1', 'h2', 'h2']);
    for (const filter of ['tls', 'tls.handshake.type == 11', 'tls.handshake.type == 8', 'tls.handshake.extensions_alpn_str == "h2"', 'x509ce.dNSName == "alt.workbench.test"', 'tls.record.content_type == 21']) {
      const expected = tshark(filter, true);
      expect(expected.length, filter).toBeGreaterThan(0);
      expect(await matches(filter), filter).toEqual(expected);
    }
    const certificateFrame = tshark('tls.handshake.type == 11 && tcp.stream == 0', true)[0];
    const detail = await backend.handlers.getFrame({ sessionId: session.sessionId, index: certificateFrame - 1 });
    const tls = detail.tree.find((node) => node.label === 'Transport Layer Security');
    expect(tls).toBeDefined();
    expect(findAll(detail.tree, 'x509ce.dNSName').map((n) => n.label)).toEqual(['SAN: tls.workbench.test', 'SAN: alt.workbench.test']);
    expect(findAll(detail.tree, 'tls.handshake.type').map((n) => n.label)).toEqual([
      'Handshake Type: Certificate (11)',
      'Handshake Type: Certificate Verify (15)',
      'Handshake Type: Finished (20)',
    ]);
    // The ladder's ServerHello arrow now names the ALPN the TLS 1.3 server chose in its encrypted EncryptedExtensions.
    const ladder = await backend.handlers.getLadder({ sessionId: session.sessionId, stream: 0, limit: 1000 });
    const serverHello = ladder.arrows.find((arrow) => arrow.tls?.hello === 'server');
    expect(serverHello?.tls?.alpn).toEqual(['h2']);
    expect(lab.events.find((e) => e.event === 'connected' && e.name === 'tls13-aes128')?.alpn).toBe('h2');
    const row = (await backend.handlers.getRows({ sessionId: session.sessionId, start: certificateFrame - 1, count: 1, filter: '' })).rows[0];
    expect(row.protocol).toBe('TLSv1.3');
    expect(row.info).toBe('Certificate, Certificate Verify, Finished');
  });

  it('a key log that cannot be read is a clear error, not a crash', async () => {
    await expect(backend.handlers.attachKeyLog({ sessionId: session.sessionId, path: `${lab.dir}/no-such.keys` })).rejects.toThrow(/cannot read key log .*no-such\.keys: ENOENT/);
  });
});

if (unavailable !== null) {
  describe('engine: attach a key log', () => {
    it.skip(`skipped: ${unavailable}`, () => {});
  });
}
