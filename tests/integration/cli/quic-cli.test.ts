/**
 * QUIC beside TCP in `handshake decode` and `handshake analyze`, on a capture built by an
 * independent encoder (tests/unit/quic/build_quic_capture.py: the `cryptography` library and
 * Scapy's TLS layer) and read back by tshark as the oracle.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, ndjson, ROOT, runCliSync } from '../../support/cli';

const ready =
  spawnSync('/usr/bin/python3', ['-c', 'import cryptography, scapy.layers.tls.all'], { stdio: 'ignore' }).status === 0 &&
  spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0;

describe.skipIf(!ready)('QUIC in the file commands', () => {
  let dir: string;
  let cli: string;
  let capture: string;

  beforeAll(() => {
    cli = buildCli();
    dir = mkdtempSync(path.join(os.tmpdir(), 'hw-cli-quic-'));
    capture = path.join(dir, 'quic.pcap');
    execFileSync('/usr/bin/python3', [path.join(ROOT, 'tests/unit/quic/build_quic_capture.py'), capture]);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function tshark(fields: string[]): string[][] {
    return execFileSync('tshark', ['-r', capture, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,', ...fields.flatMap((field) => ['-e', field])], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => line.split('\t'));
  }

  it('decode --json carries the quic.* keys tshark shows, frame by frame, in file order', () => {
    const run = runCliSync(cli, ['decode', capture, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const frames = ndjson(run.stdout);
    expect(frames.map((frame) => frame['frame.number'])).toEqual(frames.map((_, index) => index + 1));
    const rows = tshark(['frame.number', 'quic.dcid', 'quic.version', '_ws.malformed']);
    let quicFrames = 0;
    rows.forEach(([number, dcids, versions, malformed], index) => {
      const frame = frames[index];
      expect(frame['frame.number']).toBe(Number(number));
      // tshark 4.0 gives up on a long header of an unknown version; RFC 8999's invariants still
      // define its connection IDs, which we read (and the Version Negotiation answering it confirms).
      if (malformed) return;
      if (!dcids) {
        expect(frame['quic.dcid']).toBeUndefined();
        return;
      }
      quicFrames++;
      // tshark lists the DCIDs of every packet it could read in the datagram.
      expect((frame['quic.dcid'] as string[]).filter(Boolean)).toEqual(expect.arrayContaining(dcids.split(',').filter(Boolean)));
      if (versions) expect(frame['quic.version']).toEqual(expect.arrayContaining(versions.split(',').map((v) => parseInt(v, 16))));
    });
    expect(quicFrames).toBeGreaterThanOrEqual(7);
  });

  it('the summary lines name QUIC packets as tshark does', () => {
    const lines = runCliSync(cli, ['decode', capture]).stdout.trimEnd().split('\n');
    const info = tshark(['_ws.col.Protocol', '_ws.col.Info']);
    lines.forEach((line, index) => {
      const [protocol, text] = info[index];
      // A datagram of coalesced packets: tshark's column names only the last packet; ours lists each.
      const last = line.split('; ').pop() ?? '';
      if (protocol === 'QUIC' && !text.includes('[Malformed Packet]')) expect(line).toContain(' QUIC ');
      if (protocol === 'QUIC' && !text.startsWith('Protected Payload') && !text.includes('[Malformed Packet]')) expect(last.endsWith(text) || line.endsWith(text), `frame ${index + 1}: ${line} vs ${text}`).toBe(true);
    });
  });

  it('analyze lists each QUIC connection attempt beside the TCP ones, with the ClientHello it read', () => {
    const run = runCliSync(cli, ['analyze', capture, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const attempts = ndjson(run.stdout).filter((object) => object.type === 'quic');
    const hellos = tshark(['udp.srcport', 'tls.handshake.type', 'tls.handshake.extensions_server_name', 'tls.handshake.extensions_alpn_str']).filter(
      ([, type]) => type.split(',').includes('1'),
    );
    expect(hellos.length).toBeGreaterThan(0);
    for (const [port, , sni, alpn] of hellos) {
      const attempt = attempts.find((candidate) => String(candidate.client).endsWith(`:${port}`));
      expect(attempt, `attempt from port ${port}`).toBeDefined();
      expect((attempt?.tls as Record<string, unknown>).sni).toBe(sni);
      expect((attempt?.tls as Record<string, unknown>).alpn_offered).toEqual(alpn.split(','));
    }
    const text = runCliSync(cli, ['analyze', capture]).stdout;
    expect(text).toMatch(/QUIC .*198\.18\.7\.1:50001/);
  });
});
