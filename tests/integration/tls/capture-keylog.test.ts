/**
 * `handshake capture --tls-keylog FILE`: the key log is followed while the capture runs (the
 * peers append to it as each handshake goes) and its secrets are embedded in the pcapng as
 * Decryption Secrets Blocks, so tshark decrypts the file with no key-log option, exactly as it
 * does the same file given the key log, and so does `decode` without --tls-keylog.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, ndjson, runCliSync } from '../../support/cli';
import { buildHelper, hasTshark } from '../capture/support';
import { captureTlsLab, DEFAULT_SCENARIOS, tlsLabUnavailable, type TlsLabCapture } from '../../fixtures/tls/tls-capture';
import { TSHARK_REASSEMBLY } from '../../support/tshark-preferences';

const unavailable = tlsLabUnavailable() ?? (hasTshark ? null : 'needs tshark as the oracle');

function tsharkHandshakeTypes(file: string, keylog: string | null): string[] {
  const args = [...TSHARK_REASSEMBLY, '-r', file, '-T', 'fields', '-E', 'aggregator=,', '-e', 'frame.number', '-e', 'tls.handshake.type', '-e', 'tls.record.content_type', '-e', 'tls.handshake.extensions_alpn_str', '-e', 'x509ce.dNSName'];
  if (keylog) args.unshift('-o', `tls.keylog_file:${keylog}`);
  return execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n').filter(Boolean);
}

describe.skipIf(unavailable !== null)('capture --tls-keylog', () => {
  let lab: TlsLabCapture;
  let cli: string;

  beforeAll(async () => {
    cli = buildCli();
    lab = await captureTlsLab(DEFAULT_SCENARIOS.slice(0, 4), false, 'tlc', { cli, helper: buildHelper() });
  }, 180_000);
  afterAll(() => { if (process.env.KEEP_LAB) console.log(lab.dir); else lab?.cleanup(); });

  it('embeds the followed secrets: tshark decrypts the file without a key-log option', () => {
    expect(lab.captureLog).toMatch(/capturing on/);
    const withoutOption = tsharkHandshakeTypes(lab.file, null);
    const withOption = tsharkHandshakeTypes(lab.file, lab.keylogFile);
    expect(withoutOption.filter((line, i) => line !== withOption[i])).toEqual([]);
    expect(withoutOption.length).toBe(withOption.length);
    // Decrypted, not merely equal: EncryptedExtensions (8) and Certificate (11) of every TLS 1.3 connection show.
    const types = withoutOption.map((line) => line.split('\t')[1]).join(',');
    expect(types.split(',').filter((t) => t === '8').length).toBe(3);
    expect(types.split(',').filter((t) => t === '11').length).toBe(4);
  });

  it('decode reads the embedded secrets without --tls-keylog', () => {
    const run = runCliSync(cli, ['decode', lab.file, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const frames = ndjson(run.stdout);
    const ours = frames.map((o) => [o['frame.number'], ((o['tls.handshake.type'] as number[] | undefined) ?? []).join(',')].join('\t'));
    const theirs = tsharkHandshakeTypes(lab.file, null).map((line) => line.split('\t').slice(0, 2).join('\t'));
    expect(ours).toEqual(theirs);
  });
});

if (unavailable !== null) {
  describe('capture --tls-keylog', () => {
    it.skip(`skipped: ${unavailable}`, () => {});
  });
}
