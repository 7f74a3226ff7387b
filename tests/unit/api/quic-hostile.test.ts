/**
 * One odd QUIC packet must not blank the QUIC panel: a long header of an unknown version may
 * carry connection IDs of up to 255 bytes (RFC 8999 §5.1), and the answer holding it must
 * still pass the contract's validator that the renderer applies. The packets are Scapy's.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { methodValidators, type SessionInfo } from '../../../shared/api';
import { Backend } from '../../../electron/engine/backend';
import { openIndexed } from '../../support/engine';

const ready = spawnSync('/usr/bin/python3', ['-c', 'import scapy.all'], { stdio: 'ignore' }).status === 0;

const HOSTILE_DCID = Buffer.from(Array.from({ length: 48 }, (_, i) => 0x30 + i)).toString('hex');
const LONGEST_DCID = Buffer.alloc(255, 0xab).toString('hex');

describe.skipIf(!ready)('QUIC attempts with hostile connection IDs', () => {
  let dir: string;
  let backend: Backend;
  let session: SessionInfo;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hw-live-quic-hostile-'));
    const capture = path.join(dir, 'hostile.pcap');
    execFileSync(
      '/usr/bin/python3',
      [
        '-c',
        `from scapy.all import *
import sys
def long_header(version, dcid, scid):
    return bytes([0xc3]) + version.to_bytes(4, 'big') + bytes([len(dcid)]) + dcid + bytes([len(scid)]) + scid + bytes(100)
def datagram(sport, payload):
    return Ether()/IP(src='198.18.9.1', dst='198.18.9.2')/UDP(sport=sport, dport=443)/Raw(payload)
wrpcap(sys.argv[1], [
    datagram(50010, long_header(0x0a0b0c0e, bytes.fromhex('0102030405060708'), b'\\xa1' * 8)),
    datagram(50011, long_header(0x12345678, bytes.fromhex('${HOSTILE_DCID}'), b'\\xa2' * 8)),
    datagram(50012, long_header(0x12345679, bytes.fromhex('${LONGEST_DCID}'), b'\\xa3' * 255)),
])`,
        capture,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    ({ backend, session } = await openIndexed(capture));
  });
  afterAll(async () => {
    await backend?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists every attempt, the 48- and 255-byte DCIDs included, in an answer the renderer accepts', async () => {
    const result = await backend.handlers.getQuicAttempts({ sessionId: session.sessionId });
    expect(methodValidators.getQuicAttempts.result(result)).toEqual(result);
    expect(result.attempts.map(({ client, version, dcid }) => ({ client, version, dcid }))).toEqual([
      { client: '198.18.9.1:50010', version: '0x0a0b0c0e', dcid: '0102030405060708' },
      { client: '198.18.9.1:50011', version: '0x12345678', dcid: HOSTILE_DCID },
      { client: '198.18.9.1:50012', version: '0x12345679', dcid: LONGEST_DCID },
    ]);
  });

  it('the packet list and the detail of those frames pass the contract too', async () => {
    const rows = await backend.handlers.getRows({ sessionId: session.sessionId, start: 0, count: 10, filter: '' });
    expect(methodValidators.getRows.result(rows)).toEqual(rows);
    expect(rows.rows).toHaveLength(3);
    for (let index = 0; index < 3; index++) {
      const frame = await backend.handlers.getFrame({ sessionId: session.sessionId, index });
      expect(methodValidators.getFrame.result(frame)).toEqual(frame);
    }
  });
});
