/**
 * Attach key log on a capture whose datagrams are IP fragments: TLS and QUIC are read again as
 * indexing first read them, fragments reassembled (shared/reassembly), so what the key log opens
 * inside a fragmented datagram is seen. Real exchanges from the namespace labs (ngtcp2's HTTP/3
 * client and server; Node's TLS 1.3 over TCP) are cut into fragments by Scapy (refragment.py:
 * QUIC over IPv4, TLS carried over IPv6), opened without their key logs, then the key log is
 * attached: filters over what it decrypts select tshark's frames given the key log, and Follow
 * QUIC gives the request stream's bytes as tshark's STREAM frames do.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../../electron/engine/backend';
import { captureNgtcp2, ngtcp2LabUnavailable, PORT, type Ngtcp2Capture } from '../quic/ngtcp2-lab';
import { captureTlsLab, DEFAULT_SCENARIOS, tlsLabUnavailable, type TlsLabCapture } from '../../fixtures/tls/tls-capture';
import { streamBytesByOffset, tsharkStreamFrames } from '../../fixtures/quic/tshark-stream-frames';
import { scapyAvailable } from '../../unit/wire/oracle/oracle';
import { openIndexed } from '../../support/engine';

const REFRAGMENT = path.join(__dirname, 'refragment.py');
const quicUnavailable = ngtcp2LabUnavailable() ?? (scapyAvailable ? null : 'needs Scapy');
const tlsUnavailable = tlsLabUnavailable() ?? (scapyAvailable ? null : 'needs Scapy');

function tsharkFrames(file: string, filter: string, keylog: string | null): number[] {
  return execFileSync('tshark', ['-r', file, ...(keylog ? ['-o', `tls.keylog_file:${keylog}`] : []), '-Y', filter, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 26 })
    .split('\n')
    .filter(Boolean)
    .map(Number);
}

async function ourFrames(backend: Backend, sessionId: string, filter: string): Promise<number[]> {
  for (let attempt = 0; ; attempt++) {
    const result = await backend.handlers.getRows({ sessionId, start: 0, count: 10_000, filter });
    if (result.complete || attempt > 400) return result.rows.map((row) => row.index + 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Opens `file` without its key log, checks `before` against tshark, attaches `keylog`, checks `after`; returns the open session. */
async function attachAndCompare(file: string, keylog: string, before: string[], after: string[]): Promise<{ backend: Backend; sessionId: string }> {
  const { backend, session } = await openIndexed(file);
  const sessionId = session.sessionId;
  for (const filter of before) expect({ filter, frames: await ourFrames(backend, sessionId, filter) }).toEqual({ filter, frames: tsharkFrames(file, filter, null) });
  await backend.handlers.attachKeyLog({ sessionId, path: keylog });
  for (const filter of after) {
    const theirs = tsharkFrames(file, filter, keylog);
    expect(theirs.length, `tshark matches ${filter} with the key log`).toBeGreaterThan(0);
    expect({ filter, frames: await ourFrames(backend, sessionId, filter) }).toEqual({ filter, frames: theirs });
  }
  return { backend, sessionId };
}

describe.skipIf(quicUnavailable !== null)(`Attach key log re-reads fragmented QUIC datagrams${quicUnavailable ? ` (skipped: ${quicUnavailable})` : ''}`, { timeout: 300_000 }, () => {
  let capture: Ngtcp2Capture;
  let file = '';
  beforeAll(async () => {
    capture = await captureNgtcp2({ bodySize: 20_000 });
    file = path.join(capture.dir, 'fragmented.pcap');
    execFileSync('/usr/bin/python3', [REFRAGMENT, capture.pcap, file, '496']);
  }, 240_000);
  afterAll(() => capture?.cleanup());

  it('over IPv4: Handshake and 1-RTT packets, TLS messages and HTTP/3 in fragmented datagrams match tshark\'s frames, and Follow QUIC gives tshark\'s stream bytes', async () => {
    // The capture really is fragmented where it matters: tshark reassembles the datagrams that carry the certificate.
    expect(tsharkFrames(file, 'ip.fragment.count > 1 && tls.handshake.type == 11', capture.keylog).length).toBeGreaterThan(0);
    const { backend, sessionId } = await attachAndCompare(
      file,
      capture.keylog,
      ['quic.long.packet_type == 0', 'tls.handshake.type == 1', 'quic.long.packet_type == 2 && quic.frame_type == 6'],
      ['quic.long.packet_type == 2 && quic.frame_type == 6', 'tls.handshake.type == 11', 'tls.handshake.type == 20', 'quic.frame_type == 0x1e', 'quic.stream.stream_id == 0', 'http3.frame_type == 1'],
    );
    try {
      const expected = streamBytesByOffset(tsharkStreamFrames(file, PORT, capture.keylog)).get(0)!;
      const page = await backend.handlers.getFollow({ sessionId, kind: 'quic', stream: 0, http2Stream: null, quicStream: 0, from: 0, maxBytes: 64 * 1024 * 1024 });
      const side = (fromClient: boolean) => page.chunks.filter((c) => c.fromClient === fromClient).map((c) => c.hex).join('');
      expect(expected.server.length).toBeGreaterThan(20_000);
      expect(`${side(true)} / ${side(false)}`).toBe(`${expected.client.toString('hex')} / ${expected.server.toString('hex')}`);
    } finally {
      await backend.handlers.closeSession({ sessionId }).catch(() => undefined);
    }
  });
});

describe.skipIf(tlsUnavailable !== null)(`Attach key log re-reads TLS in fragmented IPv6 datagrams${tlsUnavailable ? ` (skipped: ${tlsUnavailable})` : ''}`, { timeout: 300_000 }, () => {
  let capture: TlsLabCapture;
  let file = '';
  beforeAll(async () => {
    capture = await captureTlsLab([{ ...DEFAULT_SCENARIOS[0], bytes: 20_000, upload: 5_000 }], false, 'qfrag');
    file = path.join(capture.dir, 'fragmented6.pcap');
    execFileSync('/usr/bin/python3', [REFRAGMENT, capture.file, file, '496', 'v6']);
  }, 240_000);
  afterAll(() => capture?.cleanup());

  it('the certificate, Finished and ALPN that the key log decrypts match tshark\'s frames', async () => {
    expect(tsharkFrames(file, 'ipv6.fragment.count > 1 && tls.handshake.type == 11', capture.keylogFile).length).toBeGreaterThan(0);
    const { backend, sessionId } = await attachAndCompare(
      file,
      capture.keylogFile,
      ['tls.handshake.type == 1', 'tls.handshake.type == 2', 'tls.handshake.type == 11'],
      ['tls.handshake.type == 8', 'tls.handshake.type == 11', 'tls.handshake.type == 20', 'tls.handshake.extensions_alpn_str == "h2"'],
    );
    await backend.handlers.closeSession({ sessionId }).catch(() => undefined);
  });
});
