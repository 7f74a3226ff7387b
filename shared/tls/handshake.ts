/**
 * One TLS handshake message's body read into what the workbench shows (RFC 8446 §4, RFC 5246
 * §7.4): hellos, EncryptedExtensions and its ALPN, certificates, CertificateVerify, Finished,
 * NewSessionTicket, KeyUpdate. Stateless, so TLS over TCP (session.ts) and TLS inside QUIC
 * CRYPTO frames (shared/quic) read messages the same way.
 */
import { decodeUtf8 } from '../files/utf8';
import { parseHello, type TlsHello } from '../track/tls';
import { describeCertificate, type CertificateInfo } from './x509';

const CLIENT_HELLO = 1;
const SERVER_HELLO = 2;

export interface TlsHandshakeMessage {
  type: number;
  length: number;
  hello?: TlsHello;
  /** Extension types, in order (hellos, EncryptedExtensions). */
  extensions?: number[];
  /** ALPN in EncryptedExtensions (the TLS 1.3 server's choice). */
  alpn?: string[];
  certificates?: { der: Uint8Array; info: CertificateInfo }[];
  /** ClientHello's signature_algorithms. */
  signatureAlgorithms?: number[];
  /** CertificateVerify's SignatureScheme. */
  signatureScheme?: number;
  /** Finished's verify_data. */
  verifyData?: Uint8Array;
  /** NewSessionTicket's lifetime in seconds. */
  ticketLifetime?: number;
  /** KeyUpdate's request_update (0 not requested, 1 requested). */
  keyUpdateRequest?: number;
}

/** Reads one handshake message; `tls13` selects the TLS 1.3 Certificate layout. Never throws. */
export function parseHandshakeMessage(type: number, body: Uint8Array, tls13: boolean): TlsHandshakeMessage {
  const message: TlsHandshakeMessage = { type, length: body.length };
  switch (type) {
    case CLIENT_HELLO:
    case SERVER_HELLO: {
      const hello = parseHello(type, body, 0, body.length);
      if (hello) message.hello = hello;
      const extensions = helloExtensions(type, body);
      message.extensions = extensions.map((e) => e.type);
      const signatureAlgorithms = extensions.find((e) => e.type === 13);
      if (signatureAlgorithms) message.signatureAlgorithms = readU16List(body, signatureAlgorithms.start, signatureAlgorithms.end);
      break;
    }
    case 8: {
      // EncryptedExtensions
      const extensions = readExtensions(body, 0, body.length);
      message.extensions = extensions.map((e) => e.type);
      const alpn = extensions.find((e) => e.type === 16);
      if (alpn) message.alpn = readAlpn(body, alpn.start, alpn.end);
      break;
    }
    case 11:
      message.certificates = readCertificates(body, tls13);
      break;
    case 12:
      // ServerKeyExchange, ECDHE (RFC 8422 §5.4): curve_type 3, named curve, point; then the signature's scheme (TLS 1.2).
      if (body.length >= 4 && body[0] === 3) {
        const at = 4 + body[3];
        if (at + 2 <= body.length) message.signatureScheme = (body[at] << 8) | body[at + 1];
      }
      break;
    case 15:
      // CertificateVerify
      if (body.length >= 2) message.signatureScheme = (body[0] << 8) | body[1];
      break;
    case 20:
      message.verifyData = body.slice();
      break;
    case 4:
      // NewSessionTicket
      if (body.length >= 4) message.ticketLifetime = ((body[0] << 24) | (body[1] << 16) | (body[2] << 8) | body[3]) >>> 0;
      break;
    case 24:
      // KeyUpdate
      if (body.length >= 1) message.keyUpdateRequest = body[0];
      break;
  }
  return message;
}

interface ExtensionSpan {
  type: number;
  start: number;
  end: number;
}

function readExtensions(body: Uint8Array, at: number, end: number): ExtensionSpan[] {
  const spans: ExtensionSpan[] = [];
  if (at + 2 > end) return spans;
  const total = (body[at] << 8) | body[at + 1];
  let pos = at + 2;
  const stop = Math.min(end, pos + total);
  while (pos + 4 <= stop) {
    const type = (body[pos] << 8) | body[pos + 1];
    const length = (body[pos + 2] << 8) | body[pos + 3];
    if (pos + 4 + length > stop) break;
    spans.push({ type, start: pos + 4, end: pos + 4 + length });
    pos += 4 + length;
  }
  return spans;
}

/** A vector of uint16 with a 2-byte length (signature_algorithms). */
function readU16List(body: Uint8Array, start: number, end: number): number[] {
  const values: number[] = [];
  if (start + 2 > end) return values;
  const stop = Math.min(end, start + 2 + ((body[start] << 8) | body[start + 1]));
  for (let at = start + 2; at + 2 <= stop; at += 2) values.push((body[at] << 8) | body[at + 1]);
  return values;
}

/** The extensions of a hello, in order (walking past its fixed fields). */
function helloExtensions(type: number, body: Uint8Array): ExtensionSpan[] {
  let at = 34;
  if (at >= body.length) return [];
  at += 1 + body[at]; // session id
  if (type === CLIENT_HELLO) {
    if (at + 2 > body.length) return [];
    at += 2 + ((body[at] << 8) | body[at + 1]); // cipher suites
    if (at >= body.length) return [];
    at += 1 + body[at]; // compression methods
  } else {
    at += 3; // cipher suite, compression method
  }
  return readExtensions(body, at, body.length);
}

function readAlpn(body: Uint8Array, start: number, end: number): string[] {
  const protocols: string[] = [];
  if (start + 2 > end) return protocols;
  let pos = start + 2;
  while (pos < end) {
    const length = body[pos];
    if (pos + 1 + length > end) break;
    protocols.push(decodeUtf8(body, pos + 1, pos + 1 + length));
    pos += 1 + length;
  }
  return protocols;
}

/** TLS 1.2 (RFC 5246 §7.4.2) and TLS 1.3 (RFC 8446 §4.4.2) Certificate messages. */
function readCertificates(body: Uint8Array, tls13: boolean): { der: Uint8Array; info: CertificateInfo }[] {
  const out: { der: Uint8Array; info: CertificateInfo }[] = [];
  let at = 0;
  if (tls13) {
    if (body.length < 1) return out;
    at = 1 + body[0]; // certificate_request_context
  }
  if (at + 3 > body.length) return out;
  const listEnd = Math.min(body.length, at + 3 + ((body[at] << 16) | (body[at + 1] << 8) | body[at + 2]));
  at += 3;
  while (at + 3 <= listEnd) {
    const length = (body[at] << 16) | (body[at + 1] << 8) | body[at + 2];
    at += 3;
    if (at + length > listEnd) break;
    const der = body.slice(at, at + length);
    out.push({ der, info: describeCertificate(der) });
    at += length;
    if (tls13) {
      if (at + 2 > listEnd) break;
      at += 2 + ((body[at] << 8) | body[at + 1]); // per-certificate extensions
    }
  }
  return out;
}
