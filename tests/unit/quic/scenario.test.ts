/**
 * Whole QUIC connection attempts from a capture built by an independent encoder
 * (build_quic_capture.py: the `cryptography` library and Scapy's TLS layer): a Retry with
 * re-keying, a server Initial coalesced with a Handshake packet, QUIC v2 (RFC 9369), and
 * Version Negotiation. Where tshark decrypts too, its reading is the expected value.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QuicPacketInfo } from '../../../shared/quic/analyze';
import { quicFieldsJson } from '../../../shared/quic/json';
import { quicAttemptText, quicAttemptToJson, type QuicAttempt } from '../../../shared/quic/tracker';
import { QUIC_V1, QUIC_V2 } from '../../../shared/quic/versions';
import { readCaptureFile } from '../../../electron/engine/capture-file';
import { createNodeQuicCrypto } from '../../../electron/engine/quic-crypto';
import { QuicAttemptTracker } from '../../../shared/quic/tracker';
import { createPacketSummary } from '../../../shared/wire/summary';
import { summarize } from '../../../shared/wire/summarize';
import { commandExists, trackCapture, tsharkFields } from './helpers';

const HAS_PYTHON_TOOLS =
  spawnSync('/usr/bin/python3', ['-c', 'import cryptography, scapy.layers.tls.all'], { stdio: 'ignore' }).status === 0;
const HAS_TSHARK = commandExists('tshark');
const workDir = mkdtempSync(path.join(tmpdir(), 'hs-quic-scenario-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const hex = (text: string) => Buffer.from(text, 'latin1').toString('hex');

describe.skipIf(!HAS_PYTHON_TOOLS)('QUIC attempts from an independently built capture', () => {
  const capture = path.join(workDir, 'quic-scenario.pcap');
  let attempts: QuicAttempt[] = [];
  let perFrame = new Map<number, QuicPacketInfo[]>();

  beforeAll(async () => {
    const build = spawnSync('/usr/bin/python3', [path.join(__dirname, 'build_quic_capture.py'), capture], { encoding: 'utf8' });
    if (build.status !== 0) throw new Error(build.stderr);
    const tracked = await trackCapture(capture);
    attempts = tracked.tracker.attempts();
    perFrame = tracked.perFrame;
  });

  it('finds one attempt per client, in order of first appearance', () => {
    expect(attempts.map((a) => [a.client, a.server, a.version])).toEqual([
      ['198.18.7.1:50001', '198.18.7.2:443', QUIC_V1],
      ['198.18.7.3:50002', '198.18.7.2:443', QUIC_V2],
      ['198.18.7.4:50003', '198.18.7.2:443', 0x1a2a3a4a],
    ]);
    // The third client's unknown version cannot be opened; the server's Version Negotiation settles who is who.
    expect(attempts.map((a) => a.directionGuessed)).toEqual([false, false, false]);
  });

  it('follows a Retry: checks its tag, re-keys the client’s next Initial, opens the server’s Initial', () => {
    const [attempt] = attempts;
    expect(attempt).toMatchObject({
      originalDcid: '0011223344556677',
      clientScid: 'c1c1c1c1',
      serverScid: 'abcdef0102',
      retry: { token: hex('retry-token'), integrityValid: true },
      packets: { initial: 3, retry: 1, handshake: 1, short: 1, 'version-negotiation': 0 },
      firstFrame: 1,
      lastFrame: 8, // the 1-RTT packet on the same 4-tuple
      problems: [],
    });
    expect(perFrame.get(3)?.[0]).toMatchObject({ type: 'initial', openedWith: 'client', token: hex('retry-token'), packetNumber: 1 });
    expect(perFrame.get(8)?.map((info) => [info.type, info.dcid])).toEqual([['short', 'abcdef0102']]);
    expect(perFrame.get(9)).toEqual([]); // short-looking UDP on an unknown 4-tuple is not QUIC to us
    // One datagram, two packets: the server Initial is opened, the Handshake packet stays sealed.
    expect(perFrame.get(4)?.map((info) => [info.type, info.openedWith])).toEqual([
      ['initial', 'server'],
      ['handshake', null],
    ]);
  });

  it('reassembles an out-of-order ClientHello and reads the ServerHello', () => {
    const [attempt] = attempts;
    expect(attempt.clientHelloFrame).toBe(1);
    expect(attempt.clientHello).toMatchObject({ serverName: 'retry.scenario.test', alpn: ['h3', 'h3-29'], supportedVersions: [0x0304], cipherSuites: [0x1301, 0x1302, 0x1303] });
    expect(attempt.serverHello).toMatchObject({ type: 2, cipherSuites: [0x1302], supportedVersions: [0x0304] });
    expect(quicAttemptToJson(attempt)).toMatchObject({
      type: 'quic',
      version: 'QUIC v1',
      tls: { sni: 'retry.scenario.test', alpn_offered: ['h3', 'h3-29'], version_selected: 0x0304, cipher_selected: 0x1302 },
    });
  });

  it('opens QUIC v2 Initials with the v2 salt and labels', () => {
    expect(attempts[1].clientHello).toMatchObject({ serverName: 'v2.scenario.test', alpn: ['h3'] });
    expect(quicAttemptToJson(attempts[1]).version).toBe('QUIC v2');
  });

  it('records the versions a server offers in Version Negotiation', () => {
    expect(attempts[2]).toMatchObject({ versionNegotiation: [QUIC_V1, QUIC_V2], packets: { other: 1, 'version-negotiation': 1 }, clientHello: null });
    expect(quicAttemptToJson(attempts[2]).version).toBe('GREASE 0x1a2a3a4a');
  });

  it('gives the same attempts when frames are queued from a synchronous file callback', async () => {
    const queued = new QuicAttemptTracker(createNodeQuicCrypto());
    const summary = createPacketSummary();
    await readCaptureFile(capture, {
      onFrame(frame) {
        summarize(frame.data, frame.linkType, summary, frame.originalLength);
        queued.queueFrame(frame.frameNumber, frame.tsSeconds, frame.tsNanos, summary, frame.data);
      },
    });
    await queued.settled();
    expect(queued.attempts().map(quicAttemptToJson)).toEqual(attempts.map(quicAttemptToJson));
  });

  it('summarises each attempt in words for analyze without --json', () => {
    const text = quicAttemptText(attempts[0]);
    expect(text.split('\n')[0]).toBe('QUIC 0  198.18.7.1:50001 → 198.18.7.2:443  QUIC v1  dcid 0011223344556677');
    expect(text).toContain('ClientHello (frame 1): SNI retry.scenario.test, ALPN h3,h3-29');
    expect(text).toContain('Retry: token 11 bytes, integrity valid');
    expect(quicAttemptText(attempts[2])).toContain('Version Negotiation: server offers QUIC v1, QUIC v2');
  });

  it.skipIf(!HAS_TSHARK)('agrees with tshark’s own decryption on every hello it could read', () => {
    const rows = tsharkFields(capture, ['frame.number', 'tls.handshake.extensions_server_name', 'tls.handshake.extensions_alpn_str', 'tls.handshake.ciphersuite', 'quic.bad_retry']);
    const helloFrames = rows.filter((row) => row[1] || row[3]);
    expect(helloFrames.map((row) => row[0])).toEqual(['1', '4', '5']); // frame 3 repeats frame 1's CRYPTO offsets
    for (const [frame, sni, alpn, suites] of helloFrames) {
      const hellos = (perFrame.get(Number(frame)) ?? []).map((info) => info.hello).filter((hello) => hello !== null);
      expect(hellos, `frame ${frame}`).toHaveLength(1);
      expect(hellos[0]!.serverName ?? '', `frame ${frame} SNI`).toBe(sni);
      expect(hellos[0]!.alpn.join(','), `frame ${frame} ALPN`).toBe(alpn);
      expect(hellos[0]!.cipherSuites, `frame ${frame} suites`).toEqual(suites.split(',').map(Number));
    }
    expect(rows.every((row) => row[4] === '')).toBe(true); // tshark found the Retry tag valid too
  });

  it.skipIf(!HAS_TSHARK)('gives decode --json quic.* keys equal to tshark’s fields of the same name', () => {
    const keys = ['quic.version', 'quic.long.packet_type', 'quic.dcid', 'quic.scid', 'quic.token_length', 'quic.packet_number', 'quic.supported_version'];
    const rows = tsharkFields(capture, ['frame.number', ...keys], 'frame');
    let compared = 0;
    for (const [frame, ...values] of rows) {
      const ours = quicFieldsJson(perFrame.get(Number(frame)) ?? []);
      keys.forEach((key, index) => {
        const theirs = values[index];
        // tshark 4.0 leaves some fields empty where it does not dissect: an unknown version's
        // packet, and v2's packet type; compare wherever it has a value.
        if (theirs === '') return;
        const expected = theirs.split(',').map((value) => (key === 'quic.dcid' || key === 'quic.scid' ? value : Number(value)));
        expect(ours[key], `frame ${frame} ${key}`).toEqual(expected);
        compared++;
      });
    }
    expect(compared).toBeGreaterThan(25);
  });
});

describe('packet number recovery (RFC 9000 Appendix A.3 example)', () => {
  it('expands a 16-bit truncated packet number next to the largest acknowledged', async () => {
    const { decodePacketNumber } = await import('../../../shared/quic/protection');
    expect(decodePacketNumber(0xa82f30ea, 0x9b32, 2)).toBe(0xa82f9b32);
    expect(decodePacketNumber(-1, 2, 4)).toBe(2); // the first packet of a space
  });
});
