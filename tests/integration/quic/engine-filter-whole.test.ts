/**
 * The workbench's QUIC display filter covers the whole capture, not only its first 100,000
 * QUIC frames (where the detail trees stop being kept). build_long_quic.py writes one QUIC
 * connection of 102,512 frames (short frames: 11 MB), its secrets embedded with editcap; the
 * engine's matches for filters over 1-RTT fields (packet numbers past the 16-bit wrap, a key
 * update, PINGs, STREAM offsets, ACKs) must be tshark's frames, given the same secrets.
 */
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { scapyAvailable, tempDir, tsharkAvailable } from '../../unit/wire/oracle/oracle';
import { openIndexed } from '../../support/engine';

const cryptographyAvailable = spawnSync('/usr/bin/python3', ['-c', 'import cryptography'], { stdio: 'ignore' }).status === 0;
const editcapAvailable = spawnSync('sh', ['-c', 'command -v editcap'], { stdio: 'ignore' }).status === 0;
const missing = [!tsharkAvailable && 'tshark', !editcapAvailable && 'editcap', !scapyAvailable && 'Scapy', !cryptographyAvailable && "python3's cryptography"].filter(Boolean);

/** Client packets: with the server's ACKs, 102,510 short-header frames plus the two Initials. */
const CLIENT_PACKETS = 100_500;

const FILTERS = [
  'quic.frame_type == 1',
  'quic.packet_number >= 100490',
  'quic.packet_number == 98305',
  'quic.key_phase == 1 && quic.stream.offset == 401000',
  'quic.ack.largest_acknowledged >= 100000',
  'quic.stream.offset > 399000 && quic.stream.offset < 399100',
];

describe.skipIf(missing.length > 0)(`engine: QUIC display filters over a 102,512-frame capture agree with tshark${missing.length ? ` (skipped: no ${missing.join(', ')})` : ''}`, { timeout: 600_000 }, () => {
  it('matches past the first 100,000 QUIC frames are tshark\'s', async () => {
    const directory = tempDir('long-quic-');
    const pcap = path.join(directory, 'long.pcap');
    const keylog = path.join(directory, 'keys.txt');
    const pcapng = path.join(directory, 'long.pcapng');
    execFileSync('/usr/bin/python3', [path.join(__dirname, 'build_long_quic.py'), pcap, keylog, String(CLIENT_PACKETS)]);
    execFileSync('editcap', ['--inject-secrets', `tls,${keylog}`, pcap, pcapng]);
    const { backend, session } = await openIndexed(pcapng);
    try {
      expect(session.frames).toBeGreaterThan(0);
      for (const filter of FILTERS) {
        const theirs = execFileSync('tshark', ['-r', pcapng, '-Y', filter, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 26 })
          .split('\n')
          .filter(Boolean)
          .map(Number);
        expect(theirs.some((frame) => frame > 100_002), `tshark matches ${filter} past the old limit`).toBe(true);
        let ours: number[] = [];
        for (let attempt = 0; attempt < 2000; attempt++) {
          const result = await backend.handlers.getRows({ sessionId: session.sessionId, start: 0, count: 10_000, filter });
          ours = result.rows.map((row) => row.index + 1);
          if (result.complete) break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        expect({ filter, frames: ours }).toEqual({ filter, frames: theirs });
      }
    } finally {
      await backend.handlers.closeSession({ sessionId: session.sessionId }).catch(() => undefined);
    }
  });
});
