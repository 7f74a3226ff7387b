/**
 * TLS beyond the hellos: NSS key logs, record reassembly and decryption (TLS 1.3 and TLS 1.2
 * AEAD suites), the handshake messages inside (EncryptedExtensions, certificates, Finished,
 * tickets, KeyUpdate, alerts). Environment-neutral: the crypto comes in through `TlsCrypto`.
 *
 *   const keys = KeyLog.parse(text);                        // or pcapng Decryption Secrets Blocks
 *   const tls = new TlsDissector(createNodeTlsCrypto(), keys);   // electron/engine/tls-crypto.ts
 *   const records = tls.segment(tcpStream, fromClient, relativeSeq, payload);   // per TCP segment, capture order
 *   tlsRecordsToFields(records, jsonFields);                // decode --json keys
 *   tls.summary(tcpStream);                                  // analyze: decrypted?, ALPN, certificates
 */
export { AEAD_KEY_LENGTH, HASH_LENGTH, hkdfExpand, hkdfExpandLabel, hkdfExtract, hkdfLabel, tls12Prf, type TlsAead, type TlsCrypto, type TlsHash } from './crypto';
export { KeyLog, KEYLOG_LABELS, bytesToHex, hexToBytes, type KeyLogCounts, type KeyLogLabel } from './keylog';
export { TlsConnection, ContentType, HandshakeType, type TlsAlert, type TlsConnectionSummary, type TlsHandshakeMessage, type TlsRecord } from './session';
export { TlsDissector } from './dissector';
export { parseHandshakeMessage } from './handshake';
export { TLS_FIELD_NAMES, tlsRecordsToFields } from './json';
export { describeCertificate, type CertificateInfo } from './x509';
export { ALERT_DESCRIPTIONS, CONTENT_TYPE_NAMES, HANDSHAKE_NAMES, alertDescriptionName, alertLevelName, handshakeName } from './names';
export { tlsInfoText } from './info';
export { tlsDetailNode } from './detail';
