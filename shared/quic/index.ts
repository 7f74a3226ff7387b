/**
 * QUIC long-header recognition and Initial decryption (RFC 9000, RFC 9001, RFC 9369).
 * Environment-neutral: the crypto comes in through `QuicCrypto`.
 *
 *   const crypto = createWebQuicCrypto(globalThis.crypto.subtle);   // renderer, or Node ≥ 20
 *   // const crypto = createNodeQuicCrypto();                        // electron/engine/quic-crypto.ts
 *   const tracker = new QuicAttemptTracker(crypto);
 *   for (const frame of frames) await tracker.observeFrame(n, sec, ns, summary, bytes);   // in capture order
 *   // or, from a synchronous onFrame callback: tracker.queueFrame(…same…); then await tracker.settled();
 *   tracker.attempts().map(quicAttemptToJson);   // {"type":"quic", …} beside the TCP connections
 *   tracker.attempts().map(quicAttemptText);     // analyze without --json
 *
 *   const infos = await analyzeQuicDatagram(udpPayload, crypto);   // one datagram, no state
 *   quicFieldsJson(infos);                                          // decode --json keys
 */
export { analyzeQuicDatagram, describePacket, InitialKeyCache, type QuicAnalyzeContext, type QuicCryptoFragment, type QuicFrameSummary, type QuicPacketInfo } from './analyze';
export { hkdfExpand, hkdfExpandLabel, hkdfExtract, hkdfLabel, type QuicCrypto } from './crypto';
export { CryptoStreamAssembler } from './crypto-stream';
export { parseHandshakeFrames, type QuicFrame } from './frames';
export { looksLikeQuic, parseDatagram, parseLongHeader, shortHeader, type QuicPacketHeader, type QuicPacketType } from './header';
export { quicFieldsJson, quicInfoText } from './json';
export { deriveInitialKeys, expandPacketKeys, type InitialKeys, type PacketProtectionKeys } from './keys';
export { decodePacketNumber, openPacket, removeHeaderProtection, verifyRetryIntegrity } from './protection';
export { newQuicReadCursor, QuicAttemptTracker, QuicConnectionReader, quicAttemptText, quicAttemptToJson, type QuicAttempt, type QuicDatagramMeta, type QuicReadCursor, type QuicTrackerOptions } from './tracker';
export { readVarint, encodeVarint } from './varint';
export { isGreaseVersion, QUIC_V1, QUIC_V2, QUIC_VERSION_NEGOTIATION, quicVersionName, versionConstants } from './versions';
export { createWebQuicCrypto, type SubtleCryptoLike } from './webcrypto';
