/**
 * RFC 9001 Appendix A, end to end, with both QuicCrypto implementations: every derived
 * value against the RFC's published hex, header protection of the client (A.2) and server
 * (A.3) Initials, decryption of the RFC's protected packets, the ClientHello the RFC's
 * CRYPTO frame carries, and the Retry (A.4) integrity tag.
 */
import { describe, expect, it } from 'vitest';
import { createNodeQuicCrypto } from '../../../electron/engine/quic-crypto';
import { analyzeQuicDatagram } from '../../../shared/quic/analyze';
import type { QuicCrypto } from '../../../shared/quic/crypto';
import { hkdfLabel } from '../../../shared/quic/crypto';
import { parseDatagram } from '../../../shared/quic/header';
import { deriveInitialKeys } from '../../../shared/quic/keys';
import { openPacket, removeHeaderProtection, verifyRetryIntegrity } from '../../../shared/quic/protection';
import { QUIC_V1 } from '../../../shared/quic/versions';
import { createWebQuicCrypto } from '../../../shared/quic/webcrypto';
import { fromHex, toHex } from '../../../shared/wire/bytes';
import { RFC9001 } from './rfc9001-vectors';

const hex = (text: string) => toHex(fromHex(text));
const implementations: Array<[string, QuicCrypto]> = [
  ['WebCrypto', createWebQuicCrypto(globalThis.crypto.subtle)],
  ['node:crypto', createNodeQuicCrypto()],
];
const dcid = fromHex(RFC9001.dcid);

describe.each(implementations)('RFC 9001 Appendix A with %s', (_name, crypto) => {
  it('builds the HkdfLabel structures of A.1', () => {
    const lengths: Record<keyof typeof RFC9001.labels, number> = { 'client in': 32, 'server in': 32, 'quic key': 16, 'quic iv': 12, 'quic hp': 16 };
    for (const [label, expected] of Object.entries(RFC9001.labels)) {
      expect(toHex(hkdfLabel(label, lengths[label as keyof typeof lengths])), label).toBe(hex(expected));
    }
  });

  it('derives the initial secret and both sides’ secrets, keys, IVs and HP keys of A.1', async () => {
    const keys = await deriveInitialKeys(crypto, QUIC_V1, dcid);
    expect(keys).not.toBeNull();
    expect(toHex(keys!.initialSecret)).toBe(hex(RFC9001.initialSecret));
    for (const side of ['client', 'server'] as const) {
      expect(toHex(keys![side].secret), `${side} secret`).toBe(hex(RFC9001[side].secret));
      expect(toHex(keys![side].key), `${side} key`).toBe(hex(RFC9001[side].key));
      expect(toHex(keys![side].iv), `${side} iv`).toBe(hex(RFC9001[side].iv));
      expect(toHex(keys![side].hp), `${side} hp`).toBe(hex(RFC9001[side].hp));
    }
  });

  it('computes the header-protection masks of A.2 and A.3 (AES-ECB of the sample)', async () => {
    const client = await crypto.aesEcbEncryptBlock(fromHex(RFC9001.client.hp), fromHex(RFC9001.clientSample));
    expect(toHex(client.subarray(0, 5))).toBe(RFC9001.clientMask);
    const server = await crypto.aesEcbEncryptBlock(fromHex(RFC9001.server.hp), fromHex(RFC9001.serverSample));
    expect(toHex(server.subarray(0, 5))).toBe(RFC9001.serverMask);
  });

  it('reads the client Initial’s long header (A.2)', () => {
    const packet = fromHex(RFC9001.clientProtectedPacket);
    const { packets, error } = parseDatagram(packet);
    expect(error).toBeNull();
    expect(packets).toHaveLength(1);
    expect(packets[0]).toMatchObject({ type: 'initial', version: QUIC_V1, start: 0, end: packet.length, length: 0x49e });
    expect(toHex(packets[0].dcid)).toBe(RFC9001.dcid);
    expect(packets[0].scid).toHaveLength(0);
    expect(packets[0].token).toHaveLength(0);
  });

  it('removes header protection and decrypts the client Initial to the published payload', async () => {
    const packet = fromHex(RFC9001.clientProtectedPacket);
    const [header] = parseDatagram(packet).packets;
    const keys = (await deriveInitialKeys(crypto, QUIC_V1, dcid))!;
    const unmasked = await removeHeaderProtection(crypto, packet, header, keys.client.hp);
    expect(toHex(unmasked!.header)).toBe(RFC9001.clientUnprotectedHeader);
    const opened = await openPacket(crypto, packet, header, keys.client);
    if (typeof opened === 'string') throw new Error(opened);
    expect(opened.packetNumber).toBe(2);
    expect(opened.payload).toHaveLength(RFC9001.clientPayloadLength);
    const cryptoFrame = fromHex(RFC9001.clientCryptoFrame);
    expect(toHex(opened.payload.subarray(0, cryptoFrame.length))).toBe(toHex(cryptoFrame));
    expect(opened.payload.subarray(cryptoFrame.length).every((byte) => byte === 0)).toBe(true); // PADDING
    expect(packet[0]).toBe(0xc0); // the caller's bytes are left protected
  });

  it('reads the ClientHello of A.2: SNI example.com, ALPN "alpn", TLS 1.3, two AES-GCM suites', async () => {
    const [info] = await analyzeQuicDatagram(fromHex(RFC9001.clientProtectedPacket), crypto);
    expect(info.error).toBeNull();
    expect(info).toMatchObject({ type: 'initial', openedWith: 'client', packetNumber: 2, dcid: RFC9001.dcid, scid: '' });
    // CRYPTO frame: offset 0, length 0x0f1; then 1162 - 245 bytes of PADDING.
    expect(info.frames).toEqual([
      { type: 'crypto', frameType: 0x06, offset: 0, length: 0xf1 },
      { type: 'padding', frameType: 0x00, length: RFC9001.clientPayloadLength - 4 - 0xf1 },
    ]);
    // Read off the RFC's hex by hand: server_name 6578616d706c652e636f6d, ALPN 04 616c706e,
    // supported_versions 02 0304, cipher_suites 0004 1301 1302.
    expect(info.hello).toEqual({
      type: 1,
      legacyVersion: 0x0303,
      serverName: 'example.com',
      alpn: ['alpn'],
      supportedVersions: [0x0304],
      cipherSuites: [0x1301, 0x1302],
    });
  });

  it('opens the server Initial of A.3 with the server keys derived from the client’s DCID', async () => {
    const packet = fromHex(RFC9001.serverProtectedPacket);
    const [header] = parseDatagram(packet).packets;
    expect(header).toMatchObject({ type: 'initial', length: 0x75 });
    expect(toHex(header.scid)).toBe('f067a5502a4262b5');
    const keys = (await deriveInitialKeys(crypto, QUIC_V1, dcid))!;
    const unmasked = await removeHeaderProtection(crypto, packet, header, keys.server.hp);
    expect(toHex(unmasked!.header)).toBe(RFC9001.serverUnprotectedHeader);

    const [info] = await analyzeQuicDatagram(packet, crypto, { initialDcids: [dcid] });
    expect(info).toMatchObject({ openedWith: 'server', packetNumber: 1, error: null });
    const opened = await openPacket(crypto, packet, header, keys.server);
    expect(typeof opened !== 'string' && toHex(opened.payload)).toBe(hex(RFC9001.serverPayload));
    expect(info.frames).toEqual([
      { type: 'ack', frameType: 0x02, largestAcknowledged: 0, ackDelay: 0, rangeCount: 0, firstRange: 0, ecn: false },
      { type: 'crypto', frameType: 0x06, offset: 0, length: 0x5a },
    ]);
    // ServerHello: cipher_suite 1301, supported_versions 0304.
    expect(info.hello).toMatchObject({ type: 2, cipherSuites: [0x1301], supportedVersions: [0x0304], alpn: [] });
  });

  it('checks the Retry integrity tag of A.4 against the original DCID', async () => {
    const packet = fromHex(RFC9001.retryPacket);
    const [header] = parseDatagram(packet).packets;
    expect(header.type).toBe('retry');
    expect(toHex(header.scid)).toBe('f067a5502a4262b5');
    expect(String.fromCharCode(...header.token)).toBe('token');
    expect(await verifyRetryIntegrity(crypto, packet, header, dcid)).toBe(true);
    expect(await verifyRetryIntegrity(crypto, packet, header, fromHex('8394c8f03e515709'))).toBe(false);
    const tampered = packet.slice();
    tampered[20] ^= 1; // a token byte
    expect(await verifyRetryIntegrity(crypto, tampered, parseDatagram(tampered).packets[0], dcid)).toBe(false);
    const [info] = await analyzeQuicDatagram(packet, crypto, { originalDcid: dcid });
    expect(info).toMatchObject({ type: 'retry', retryIntegrityValid: true, token: '746f6b656e', error: null });
  });

  it('flags a client Initial whose ciphertext was altered instead of reading garbage', async () => {
    const packet = fromHex(RFC9001.clientProtectedPacket);
    packet[600] ^= 0x40;
    const [info] = await analyzeQuicDatagram(packet, crypto);
    expect(info.openedWith).toBeNull();
    expect(info.hello).toBeNull();
    expect(info.error).toBe('Initial not decrypted: AEAD authentication failed');
  });
});

describe('Version Negotiation (RFC 9000 §17.2.1)', () => {
  // Layout from RFC 9000 figure 14: 1|unused(7), Version 0, DCID, SCID, Supported Version list.
  const vn = fromHex('c5 00000000 04 a1a2a3a4 08 8394c8f03e515708 00000001 6b3343cf 1a2a3a4a');

  it('lists the versions the server offers, with the client’s IDs echoed back', async () => {
    const [info] = await analyzeQuicDatagram(vn, createNodeQuicCrypto());
    expect(info).toMatchObject({
      type: 'version-negotiation',
      version: 0,
      dcid: 'a1a2a3a4',
      scid: RFC9001.dcid,
      supportedVersions: [0x00000001, 0x6b3343cf, 0x1a2a3a4a],
      error: null,
    });
  });

  it('flags a version list that is not a whole number of versions', async () => {
    const [info] = await analyzeQuicDatagram(vn.subarray(0, vn.length - 1), createNodeQuicCrypto());
    expect(info.error).toMatch(/Version Negotiation list of 11 bytes/);
  });
});

describe('a QuicCrypto that fails', () => {
  it('turns an exception from the crypto provider into a flagged packet', async () => {
    const broken: QuicCrypto = {
      hmacSha256: () => Promise.reject(new Error('no HMAC here')),
      aesEcbEncryptBlock: () => Promise.reject(new Error('no AES here')),
      aes128GcmDecrypt: () => Promise.reject(new Error('no GCM here')),
    };
    const infos = await analyzeQuicDatagram(fromHex(RFC9001.clientProtectedPacket), broken);
    expect(infos.at(-1)?.error).toBe('QUIC analysis failed: no HMAC here');
  });
});
