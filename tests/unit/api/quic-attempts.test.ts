/**
 * QUIC attempts through the typed API (getQuicAttempts), on the capture that
 * tests/unit/quic/build_quic_capture.py builds independently (Python `cryptography` + Scapy's
 * TLS layer). Expected values are that script's inputs; the attempt's filter is checked by
 * what it selects, against tshark.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { methodValidators, type SessionInfo } from '../../../shared/api';
import { Backend } from '../../../electron/engine/backend';
import { openIndexed } from '../../support/engine';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const ready =
  spawnSync('/usr/bin/python3', ['-c', 'import cryptography, scapy.layers.tls.all'], { stdio: 'ignore' }).status === 0 &&
  spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0;

describe.skipIf(!ready)('QUIC attempts in the engine (getQuicAttempts)', () => {
  let dir: string;
  let capture: string;
  let backend: Backend;
  let session: SessionInfo;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hw-api-quic-'));
    capture = path.join(dir, 'quic.pcap');
    execFileSync('/usr/bin/python3', [path.join(ROOT, 'tests/unit/quic/build_quic_capture.py'), capture]);
    ({ backend, session } = await openIndexed(capture));
  });
  afterAll(async () => {
    await backend?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists each attempt with endpoints, version, DCID, SNI, ALPN, packet counts and whether the server answered', async () => {
    const result = await backend.handlers.getQuicAttempts({ sessionId: session.sessionId });
    // What crosses the process boundary must pass the contract's own validator.
    expect(methodValidators.getQuicAttempts.result(result)).toEqual(result);
    const summary = result.attempts.map(({ client, server, version, dcid, sni, alpn, initials, serverAnswered, firstFrame }) => ({ client, server, version, dcid, sni, alpn, initials, serverAnswered, firstFrame }));
    expect(summary).toEqual([
      // Initial, Retry, Initial with the token, then the server's Initial (+ Handshake).
      { client: '198.18.7.1:50001', server: '198.18.7.2:443', version: 'QUIC v1', dcid: '0011223344556677', sni: 'retry.scenario.test', alpn: ['h3', 'h3-29'], initials: 3, serverAnswered: true, firstFrame: 0 },
      // A lone client Initial in QUIC v2: nobody answered.
      { client: '198.18.7.3:50002', server: '198.18.7.2:443', version: 'QUIC v2', dcid: 'feedfacecafebeef', sni: 'v2.scenario.test', alpn: ['h3'], initials: 1, serverAnswered: false, firstFrame: 4 },
      // An unknown version answered by Version Negotiation: no ClientHello can be read.
      { client: '198.18.7.4:50003', server: '198.18.7.2:443', version: 'GREASE 0x1a2a3a4a', dcid: '0102030405060708', sni: null, alpn: [], initials: 0, serverAnswered: true, firstFrame: 5 },
    ]);
    // Attempt 1 also carries the coalesced Handshake packet and the later 1-RTT packet.
    expect(result.attempts[0]).toMatchObject({ packets: 6, lastFrame: 7 });
    // Frames are 10 ms apart in the script.
    expect(result.attempts[1].start).toBeCloseTo(0.04, 6);
  });

  it("each attempt's filter selects exactly its UDP conversation, as tshark does", async () => {
    const { attempts } = await backend.handlers.getQuicAttempts({ sessionId: session.sessionId });
    for (const attempt of attempts) {
      const ours = await backend.handlers.getRows({ sessionId: session.sessionId, start: 0, count: 100, filter: attempt.filter });
      const theirs = execFileSync('tshark', ['-r', capture, '-Y', attempt.filter, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
      expect(ours.rows.map((row) => row.number), attempt.filter).toEqual(theirs);
      expect(theirs[0]).toBe(attempt.firstFrame + 1);
    }
  });

  it('the packet list names QUIC frames as tshark does (Protocol QUIC, its Info wording), and leaves other UDP alone', async () => {
    const ours = await backend.handlers.getRows({ sessionId: session.sessionId, start: 0, count: 100, filter: '' });
    const theirs = execFileSync('tshark', ['-r', capture, '-T', 'fields', '-E', 'separator=\t', '-e', '_ws.col.Protocol', '-e', '_ws.col.Info'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split('\t'));
    expect(ours.rows).toHaveLength(theirs.length);
    let quic = 0;
    ours.rows.forEach((row, i) => {
      const [protocol, info] = theirs[i];
      if (protocol !== 'QUIC') {
        expect(row.protocol, `frame ${row.number}`).not.toBe('QUIC');
        return;
      }
      quic++;
      expect(row.protocol, `frame ${row.number}`).toBe('QUIC');
      // Coalesced packets: tshark's column names only the last packet, ours lists each ("; ").
      const last = row.info.split('; ').pop() ?? '';
      if (!info.startsWith('Protected Payload') && !info.includes('[Malformed Packet]')) expect(last === info || row.info.endsWith(info), `frame ${row.number}: ${row.info} vs ${info}`).toBe(true);
    });
    expect(quic).toBeGreaterThanOrEqual(7);
  });
});
