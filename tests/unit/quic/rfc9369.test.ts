/**
 * QUIC version 2 (RFC 9369 Appendix A): the v2 salt and "quicv2" labels give the published
 * secrets and keys, the v2 packet-type bits are read, and the published client and server
 * Initials decrypt to the same payloads as RFC 9001's v1 samples.
 */
import { describe, expect, it } from 'vitest';
import { createNodeQuicCrypto } from '../../../electron/engine/quic-crypto';
import { analyzeQuicDatagram } from '../../../shared/quic/analyze';
import type { QuicCrypto } from '../../../shared/quic/crypto';
import { parseDatagram } from '../../../shared/quic/header';
import { deriveInitialKeys } from '../../../shared/quic/keys';
import { openPacket, removeHeaderProtection } from '../../../shared/quic/protection';
import { QUIC_V2 } from '../../../shared/quic/versions';
import { createWebQuicCrypto } from '../../../shared/quic/webcrypto';
import { fromHex, toHex } from '../../../shared/wire/bytes';
import { RFC9001 } from './rfc9001-vectors';
import { RFC9369 } from './rfc9369-vectors';

const implementations: Array<[string, QuicCrypto]> = [
  ['WebCrypto', createWebQuicCrypto(globalThis.crypto.subtle)],
  ['node:crypto', createNodeQuicCrypto()],
];
const dcid = fromHex(RFC9001.dcid);

describe.each(implementations)('RFC 9369 Appendix A with %s', (_name, crypto) => {
  it('derives the published v2 secrets, keys, IVs and HP keys', async () => {
    const keys = (await deriveInitialKeys(crypto, QUIC_V2, dcid))!;
    for (const side of ['client', 'server'] as const) {
      expect(toHex(keys[side].secret), `${side} secret`).toBe(RFC9369[side].secret);
      expect(toHex(keys[side].key), `${side} key`).toBe(RFC9369[side].key);
      expect(toHex(keys[side].iv), `${side} iv`).toBe(RFC9369[side].iv);
      expect(toHex(keys[side].hp), `${side} hp`).toBe(RFC9369[side].hp);
    }
  });

  it('decrypts the v2 client Initial to RFC 9001’s ClientHello payload', async () => {
    const packet = fromHex(RFC9369.clientProtectedPacket);
    const [header] = parseDatagram(packet).packets;
    expect(header).toMatchObject({ type: 'initial', version: QUIC_V2, length: 0x49e, end: 1200 });
    const keys = (await deriveInitialKeys(crypto, QUIC_V2, dcid))!;
    expect(toHex((await removeHeaderProtection(crypto, packet, header, keys.client.hp))!.header)).toBe(RFC9369.clientUnprotectedHeader);
    const opened = await openPacket(crypto, packet, header, keys.client);
    if (typeof opened === 'string') throw new Error(opened);
    const cryptoFrame = fromHex(RFC9001.clientCryptoFrame);
    expect(toHex(opened.payload.subarray(0, cryptoFrame.length))).toBe(toHex(cryptoFrame));
    const [info] = await analyzeQuicDatagram(packet, crypto);
    expect(info).toMatchObject({ versionName: 'QUIC v2', openedWith: 'client', packetNumber: 2, error: null });
    expect(info.hello).toMatchObject({ serverName: 'example.com', alpn: ['alpn'] });
  });

  it('decrypts the v2 server Initial to RFC 9001’s ServerHello payload', async () => {
    const packet = fromHex(RFC9369.serverProtectedPacket);
    const [header] = parseDatagram(packet).packets;
    const keys = (await deriveInitialKeys(crypto, QUIC_V2, dcid))!;
    expect(toHex((await removeHeaderProtection(crypto, packet, header, keys.server.hp))!.header)).toBe(RFC9369.serverUnprotectedHeader);
    const opened = await openPacket(crypto, packet, header, keys.server);
    expect(typeof opened !== 'string' && toHex(opened.payload)).toBe(toHex(fromHex(RFC9001.serverPayload)));
  });
});
