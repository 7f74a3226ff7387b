/**
 * TLS decryption end to end, as users run it: real TLS 1.3 and 1.2 connections between
 * OpenSSL-based stacks (Node's tls, openssl s_client) captured by tcpdump in a namespace lab
 * (tests/fixtures/tls), read by `handshake decode/analyze --tls-keylog`, and held against
 * tshark given the same key log, frame by frame. Also: secrets embedded in pcapng Decryption
 * Secrets Blocks (ours read by tshark without a key-log option, editcap's read by us), and the
 * failures a user meets (a wrong key log, a truncated one, a capture that starts late).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCaptureFile } from '../../../electron/engine/capture-file';
import { PcapngWriter } from '../../../shared/files';
import { buildCli, ndjson, runCliSync } from '../../support/cli';
import { hasTshark } from '../capture/support';
import { captureTlsLab, TLS_HOST, tlsLabUnavailable, type TlsLabCapture } from '../../fixtures/tls/tls-capture';
import { TSHARK_REASSEMBLY } from '../../support/tshark-preferences';

const unavailable = tlsLabUnavailable() ?? (hasTshark ? null : 'needs tshark as the oracle');
const hasEditcap = spawnSync('editcap', ['-h']).status === 0;

/** Fields compared frame by frame; tshark prints sig_hash_alg in hex. */
const FIELDS = [
  'tls.record.content_type',
  'tls.record.opaque_type',
  'tls.record.length',
  'tls.handshake.type',
  'tls.handshake.extensions_alpn_str',
  'tls.handshake.extensions_server_name',
  'x509ce.dNSName',
  'x509sat.uTF8String',
  'x509sat.printableString',
  'tls.alert_message.level',
  'tls.alert_message.desc',
  'tls.handshake.sig_hash_alg',
  'tls.handshake.session_ticket_lifetime_hint',
];

function tsharkRows(file: string, keylog: string | null): Map<number, string[]> {
  const args = [...TSHARK_REASSEMBLY, '-r', file, '-T', 'fields', '-E', 'separator=|', '-E', 'aggregator=,', '-e', 'frame.number', '-e', 'frame.protocols', ...FIELDS.flatMap((f) => ['-e', f])];
  if (keylog !== null) args.unshift('-o', `tls.keylog_file:${keylog}`);
  const rows = new Map<number, string[]>();
  for (const line of execFileSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')) {
    if (!line) continue;
    const [number, protocols, ...values] = line.split('|');
    rows.set(Number(number), [String(protocols.split(':').includes('tls')), ...values]);
  }
  return rows;
}

function ourRows(objects: Array<Record<string, unknown>>): Map<number, string[]> {
  const rows = new Map<number, string[]>();
  for (const o of objects) {
    const values = FIELDS.map((field) => {
      const value = o[field];
      if (value === undefined) return '';
      const list = Array.isArray(value) ? value : [value];
      return list.map((v) => (field === 'tls.handshake.sig_hash_alg' ? `0x${Number(v).toString(16).padStart(4, '0')}` : String(v))).join(',');
    });
    rows.set(o['frame.number'] as number, [String(o.tls === true), ...values]);
  }
  return rows;
}

/** Every frame and field where the two differ, as readable lines (empty when they agree). */
function differences(ours: Map<number, string[]>, theirs: Map<number, string[]>): string[] {
  const out: string[] = [];
  expect(ours.size).toBe(theirs.size);
  for (const [number, row] of theirs) {
    const mine = ours.get(number) ?? [];
    row.forEach((value, i) => {
      if (mine[i] !== value) out.push(`frame ${number} ${i === 0 ? 'tls' : FIELDS[i - 1]}: tshark ${value} ours ${mine[i]}`);
    });
  }
  return out;
}

describe.skipIf(unavailable !== null)('TLS decryption with a key log (real stacks, tshark as the oracle)', () => {
  let lab: TlsLabCapture;
  let cli: string;
  let tsharkDecrypted: Map<number, string[]>;

  beforeAll(async () => {
    cli = buildCli();
    lab = await captureTlsLab();
    tsharkDecrypted = tsharkRows(lab.file, lab.keylogFile);
  }, 180_000);
  afterAll(() => lab?.cleanup());

  it('decode --json --tls-keylog agrees with tshark on every frame', () => {
    const run = runCliSync(cli, ['decode', lab.file, '--json', '--tls-keylog', lab.keylogFile]);
    expect(run.code, run.stderr).toBe(0);
    const ours = ndjson(run.stdout);
    expect(differences(ourRows(ours), tsharkDecrypted)).toEqual([]);
    // The capture really holds what the comparison is meant to cover.
    const types = new Set(ours.flatMap((o) => (o['tls.handshake.type'] as number[] | undefined) ?? []));
    for (const type of [1, 2, 4, 8, 11, 12, 14, 15, 16, 20, 24]) expect(types, `handshake type ${type}`).toContain(type);
    expect(ours.some((o) => (o['tls.alert_message.desc'] as number[] | undefined)?.includes(48))).toBe(true);
    expect(ours.some((o) => (o['tls.handshake.extensions_alpn_str'] as string[] | undefined)?.includes('h2') && (o['tls.handshake.type'] as number[]).includes(8))).toBe(true);
  });

  it('without keys, shows the records still encrypted, as tshark does', () => {
    const run = runCliSync(cli, ['decode', lab.file, '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(differences(ourRows(ndjson(run.stdout)), tsharkRows(lab.file, null))).toEqual([]);
  });

  it('the display filter sees the decrypted fields (tls, tls.handshake.type, x509ce.dNSName) as tshark -Y does', () => {
    for (const filter of ['tls', 'tls.handshake.type == 11', 'x509ce.dNSName == "alt.workbench.test"', 'tls.alert_message.desc == 48', 'tls.handshake.type == 24']) {
      const ours = runCliSync(cli, ['decode', lab.file, '--json', '--tls-keylog', lab.keylogFile, '-Y', filter]);
      expect(ours.code, ours.stderr).toBe(0);
      const theirs = execFileSync('tshark', [...TSHARK_REASSEMBLY, '-o', `tls.keylog_file:${lab.keylogFile}`, '-r', lab.file, '-Y', filter, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      const expected = theirs.split('\n').filter(Boolean).map(Number);
      expect(expected.length, filter).toBeGreaterThan(0);
      expect(ndjson(ours.stdout).map((o) => o['frame.number']), filter).toEqual(expected);
    }
  });

  it('analyze --json: every connection decrypted, its ALPN, certificates and alerts as the peers and openssl report them', () => {
    const run = runCliSync(cli, ['analyze', lab.file, '--json', '--tls-keylog', lab.keylogFile]);
    expect(run.code, run.stderr).toBe(0);
    const connections = ndjson(run.stdout).filter((o) => o.client !== undefined);
    expect(connections.length).toBe(9);
    const leaf = execFileSync('openssl', ['x509', '-noout', '-subject', '-ext', 'subjectAltName', '-nameopt', 'RFC2253'], { input: readFileSync(path.join(lab.dir, 'leaf.pem')), encoding: 'utf8' });
    const byPort = new Map(lab.events.filter((e) => e.event === 'connected').map((e) => [e.localPort as number, e]));
    for (const connection of connections) {
      const tls = connection.tls as Record<string, unknown>;
      expect(tls.decrypted).toBe(true);
      const port = (connection.client as { port: number }).port;
      const peer = byPort.get(port);
      if (peer) expect(tls.alpn_selected).toBe(peer.alpn === false ? null : peer.alpn);
      const certificates = tls.certificates as Array<{ subject: string; san: string[]; issuer: string }>;
      expect(certificates.length).toBe(2);
      // openssl prints RFC 2253 order (most specific first); ours is the certificate's order.
      expect(certificates[0].subject.split(', ').reverse().join(',')).toBe(/subject=(.*)/.exec(leaf)![1]);
      expect(certificates[0].san).toEqual(['tls.workbench.test', 'alt.workbench.test', '198.18.0.2']);
      expect(leaf).toContain('DNS:alt.workbench.test');
      expect(certificates[1].subject).toBe(certificates[1].issuer);
    }
    const refused = connections.find((c) => (c.tls as { alerts: Array<{ level: string }> }).alerts.some((a) => a.level === 'fatal'));
    expect((refused!.tls as { alerts: unknown[] }).alerts).toEqual([{ from: 'client', level: 'fatal', description: 'unknown_ca' }]);
    expect((connections[0].tls as { sni: string }).sni).toBe(TLS_HOST);
  });

  it('a pcapng with our Decryption Secrets Block decrypts in tshark without a key-log option, and in ours', async () => {
    const out = path.join(lab.dir, 'with-secrets.pcapng');
    const chunks: Uint8Array[] = [];
    const writer = new PcapngWriter((chunk) => chunks.push(chunk.slice()));
    writer.addInterface({ linkType: 1, snaplen: 262144 });
    writer.writeSecrets(readFileSync(lab.keylogFile));
    await readCaptureFile(lab.file, { onFrame: (frame) => writer.writeFrame({ tsSeconds: frame.tsSeconds, tsNanos: frame.tsNanos, originalLength: frame.originalLength, data: frame.data.slice() }) });
    writeFileSync(out, Buffer.concat(chunks));
    expect(differences(ourRows(ndjson(runCliSync(cli, ['decode', out, '--json']).stdout)), tsharkDecrypted)).toEqual([]);
    expect(differences(tsharkRows(out, null), tsharkDecrypted)).toEqual([]);
  });

  it.skipIf(!hasEditcap)('reads the secrets editcap --inject-secrets embeds', () => {
    const out = path.join(lab.dir, 'editcap.pcapng');
    execFileSync('editcap', ['--inject-secrets', `tls,${lab.keylogFile}`, lab.file, out]);
    const run = runCliSync(cli, ['decode', out, '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(differences(ourRows(ndjson(run.stdout)), tsharkDecrypted)).toEqual([]);
  });

  it('a key log with other connections’ secrets: each connection names the secret it lacks', () => {
    const wrong = path.join(lab.dir, 'wrong.keys');
    // Same labels, different client randoms: nothing matches.
    writeFileSync(wrong, readFileSync(lab.keylogFile, 'utf8').replace(/^(\S+) ([0-9a-f]{2})/gm, (_, label: string, first: string) => `${label} ${(parseInt(first, 16) ^ 0xff).toString(16).padStart(2, '0')}`));
    const run = runCliSync(cli, ['analyze', lab.file, '--json', '--tls-keylog', wrong]);
    expect(run.code, run.stderr).toBe(0);
    const reasons = ndjson(run.stdout).filter((o) => o.client !== undefined).map((o) => (o.tls as { decrypted: unknown }).decrypted);
    expect(reasons.filter((r) => typeof r === 'string' && /^missing SERVER_HANDSHAKE_TRAFFIC_SECRET for client random [0-9a-f]{64}$/.test(r)).length).toBe(6);
    expect(reasons.filter((r) => typeof r === 'string' && /^missing CLIENT_RANDOM for client random/.test(r)).length).toBe(3);
  });

  it('a truncated key log decrypts what its secrets cover, says what is missing, and counts the cut line', () => {
    const text = readFileSync(lab.keylogFile, 'utf8');
    const truncatedFile = path.join(lab.dir, 'truncated.keys');
    writeFileSync(truncatedFile, text.slice(0, Math.floor(text.length / 2)));
    const run = runCliSync(cli, ['analyze', lab.file, '--json', '--tls-keylog', truncatedFile]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/key log .*truncated\.keys: \d+ secrets for \d+ connections; 1 malformed lines skipped/);
    const decrypted = ndjson(run.stdout).filter((o) => o.client !== undefined).map((o) => (o.tls as { decrypted: unknown }).decrypted);
    expect(decrypted).toContain(true);
    expect(decrypted.some((d) => typeof d === 'string' && /^missing [A-Z_0]+ for client random/.test(d))).toBe(true);
  });

  it('a capture that starts after the ClientHello says the client random is unknown, and goes on', () => {
    const late = path.join(lab.dir, 'late.pcap');
    // Drop the first connection's frames up to its ClientHello (inclusive).
    const clientHello = Number(execFileSync('tshark', ['-r', lab.file, '-Y', 'tcp.stream == 0 && tls.handshake.type == 1', '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    execFileSync('tshark', ['-r', lab.file, '-Y', `frame.number > ${clientHello}`, '-w', late, '-F', 'pcap'], { stdio: 'ignore' });
    const run = runCliSync(cli, ['analyze', late, '--json', '--tls-keylog', lab.keylogFile]);
    expect(run.code, run.stderr).toBe(0);
    const connections = ndjson(run.stdout).filter((o) => o.client !== undefined);
    expect((connections[0].tls as { decrypted: unknown }).decrypted).toBe('no ClientHello seen (the capture starts after it): the client random that selects the keys is unknown');
    expect(connections.slice(1).every((c) => (c.tls as { decrypted: unknown }).decrypted === true)).toBe(true);
    const decode = runCliSync(cli, ['decode', late, '--tls-keylog', lab.keylogFile]);
    expect(decode.code).toBe(0);
  });
});

if (unavailable !== null) {
  describe('TLS decryption lab', () => {
    it.skip(`skipped: ${unavailable}`, () => {});
  });
}
