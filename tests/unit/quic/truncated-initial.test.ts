/**
 * A client Initial cut by the capture's snap length still names its connection (version, DCID,
 * SCID), so the server's Initial, keyed by that DCID, is decrypted, as tshark does. Uses the RFC
 * 9001 Appendix A client (A.2) and server (A.3) Initials carried in Ethernet/IPv4/UDP frames.
 */
import { describe, expect, it } from 'vitest';
import { createNodeQuicCrypto } from '../../../electron/engine/quic-crypto';
import { QuicAttemptTracker } from '../../../shared/quic/tracker';
import { fromHex } from '../../../shared/wire/bytes';
import { summarize } from '../../../shared/wire/summarize';
import { createPacketSummary } from '../../../shared/wire/summary';
import { RFC9001 } from './rfc9001-vectors';

function udpFrame(from: number, to: number, sport: number, dport: number, payload: Uint8Array): Uint8Array {
  const udpLength = 8 + payload.length;
  const ipLength = 20 + udpLength;
  const frame = new Uint8Array(14 + ipLength);
  frame.set([2, 0, 0, 0, 0, to, 2, 0, 0, 0, 0, from, 0x08, 0x00]);
  frame.set([0x45, 0, ipLength >>> 8, ipLength & 0xff, 0, 1, 0x40, 0, 64, 17, 0, 0, 198, 18, 0, from, 198, 18, 0, to], 14);
  frame.set([sport >>> 8, sport & 0xff, dport >>> 8, dport & 0xff, udpLength >>> 8, udpLength & 0xff, 0, 0], 34);
  frame.set(payload, 42);
  return frame;
}

describe('a client Initial cut by the snap length', () => {
  it('still gives DCID, SCID and version, so the server Initial opens', async () => {
    const tracker = new QuicAttemptTracker(createNodeQuicCrypto());
    const summary = createPacketSummary();
    const client = udpFrame(1, 2, 50000, 443, fromHex(RFC9001.clientProtectedPacket));
    const snapped = client.slice(0, 128); // tcpdump -s 128
    summarize(snapped, 1, summary, client.length);
    const clientInfos = await tracker.observeFrame(1, 1, 0, summary, snapped);
    expect(clientInfos).toHaveLength(1);
    expect(clientInfos[0]).toMatchObject({ type: 'initial', dcid: RFC9001.dcid, version: 1 });
    expect(clientInfos[0].error).toMatch(/snap length/);

    const server = udpFrame(2, 1, 443, 50000, fromHex(RFC9001.serverProtectedPacket));
    summarize(server, 1, summary, server.length);
    const serverInfos = await tracker.observeFrame(2, 1, 1000, summary, server);
    expect(serverInfos[0]).toMatchObject({ type: 'initial', openedWith: 'server', packetNumber: 1 });
    expect(serverInfos[0].error).toBeNull();
    const [attempt] = tracker.attempts();
    expect(attempt).toMatchObject({ client: '198.18.0.1:50000', server: '198.18.0.2:443', originalDcid: RFC9001.dcid });
  });

  it('is not mistaken for one when the datagram itself lies about the length', async () => {
    const tracker = new QuicAttemptTracker(createNodeQuicCrypto());
    const summary = createPacketSummary();
    const whole = udpFrame(1, 2, 50000, 443, fromHex(RFC9001.clientProtectedPacket).slice(0, 86));
    summarize(whole, 1, summary, whole.length); // captured whole: nothing was cut
    const infos = await tracker.observeFrame(1, 1, 0, summary, whole);
    expect(infos.every((info) => info.type !== 'initial')).toBe(true);
  });
});
