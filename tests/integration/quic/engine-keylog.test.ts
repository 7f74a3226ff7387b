/**
 * The workbench's display filter over QUIC and HTTP/3, and Attach key log re-reading QUIC,
 * through the engine behind both hosts (Backend, as the renderer calls it). A real HTTP/3
 * exchange (ngtcp2's client and server in a namespace lab) is opened without its key log: the
 * filters match what tshark matches without one (Initials and the ClientHello, nothing
 * encrypted). After attaching the key log, quic.* / http3.* / tls.* filters over the
 * Handshake and 1-RTT packets select exactly tshark's frames given the same key log.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Backend } from '../../../electron/engine/backend';
import type { SessionInfo } from '../../../shared/api';
import { captureNgtcp2, ngtcp2LabUnavailable, type Ngtcp2Capture } from './ngtcp2-lab';
import { openIndexed } from '../../support/engine';

const unavailable = ngtcp2LabUnavailable();

const BEFORE = ['quic', 'quic.long.packet_type == 0', 'quic.frame_type == 0x1e', 'tls.handshake.type == 1', 'http3'];
const AFTER = [
  'quic.frame_type == 0x1e',
  'quic.long.packet_type == 2',
  'quic.stream.stream_id == 0',
  // Not bare `http3`: tshark 4.0 leaves it off a packet completing a DATA frame that spanned
  // several packets, and puts it on QPACK decoder-stream instructions, which we do not (the CLI neither).
  'http3.stream_type == 0',
  'http3.frame_type == 1',
  'http3.frame_type == 4',
  'tls.handshake.type == 11',
  'tls.handshake.type == 20',
  'tls.handshake.extensions_alpn_str == "h3"',
];

describe.skipIf(unavailable !== null)('engine: display filters over QUIC and HTTP/3, and Attach key log re-reading QUIC', { timeout: 240_000 }, () => {
  let capture: Ngtcp2Capture;
  let backend: Backend;
  let session: SessionInfo;

  const rows = async (filter: string) => {
    for (let attempt = 0; ; attempt++) {
      const result = await backend.handlers.getRows({ sessionId: session.sessionId, start: 0, count: 10_000, filter });
      if (result.complete || attempt > 400) return result.rows;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const tshark = (filter: string, keylog: boolean) =>
    execFileSync('tshark', ['-r', capture.pcap, ...(keylog ? ['-o', `tls.keylog_file:${capture.keylog}`] : []), '-Y', filter, '-T', 'fields', '-e', 'frame.number', '-e', '_ws.col.Protocol'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split('\t'));

  beforeAll(async () => {
    capture = await captureNgtcp2();
    ({ backend, session } = await openIndexed(capture.pcap));
  }, 240_000);
  afterAll(async () => {
    await backend?.handlers.closeSession({ sessionId: session.sessionId }).catch(() => undefined);
    capture?.cleanup();
  });

  it('without the key log, each filter selects the frames tshark selects without one', async () => {
    for (const filter of BEFORE) {
      const ours = (await rows(filter)).map((row) => row.index + 1);
      expect({ filter, frames: ours }).toEqual({ filter, frames: tshark(filter, false).map(([frame]) => Number(frame)) });
    }
    expect((await rows('quic.long.packet_type == 0')).length).toBeGreaterThan(0);
    // The Page load view: the QUIC row is there, its handshake's end unknown without keys.
    const [row] = (await backend.handlers.getPageLoad({ sessionId: session.sessionId })).rows;
    expect(row.kind).toBe('quic');
    expect(row.steps.map((step) => step.name)).not.toContain('quic');
  });

  it('after Attach key log, QUIC Handshake and 1-RTT packets are read again: quic.*, http3.* and tls.* filters select tshark\'s frames, and the Protocol column says HTTP3 where tshark does', async () => {
    await backend.handlers.attachKeyLog({ sessionId: session.sessionId, path: capture.keylog });
    for (const filter of AFTER) {
      const theirs = tshark(filter, true);
      expect(theirs.length, `tshark matches ${filter}`).toBeGreaterThan(0);
      const ours = await rows(filter);
      expect({ filter, frames: ours.map((row) => row.index + 1) }).toEqual({ filter, frames: theirs.map(([frame]) => Number(frame)) });
      if (filter === 'http3.frame_type == 1') expect(ours.map((row) => row.protocol)).toEqual(theirs.map(([, protocol]) => protocol));
    }
    // The Page load view reads the capture with the attached key log too: the handshake from tshark's first Initial to the client's Finished.
    const [row] = (await backend.handlers.getPageLoad({ sessionId: session.sessionId })).rows;
    const handshake = row.steps.find((step) => step.name === 'quic');
    expect([handshake?.startFrame, handshake?.endFrame]).toEqual([Number(tshark('quic.long.packet_type == 0', true)[0][0]), Number(tshark('tls.handshake.type == 20 && udp.dstport == 4433', true)[0][0])]);
    expect(row.steps.find((step) => step.name === 'request')?.startFrame).toBe(Number(tshark('http3.frame_type == 1 && udp.dstport == 4433', true)[0][0]));
    // Read again, not added twice: still the one attempt.
    expect((await backend.handlers.getQuicAttempts({ sessionId: session.sessionId })).attempts.length).toBe(1);
  });
});

if (unavailable !== null) {
  describe('engine: display filters over QUIC and HTTP/3', () => {
    it.skip(`skipped: ${unavailable}`, () => undefined);
  });
}
