/**
 * The "Transport Layer Security" subtree of the detail pane: one node per record with
 * Wireshark's labels and field names, decrypted content included. Decrypted bytes have no
 * place in the frame's hex view, so these nodes carry offset -1.
 */
import type { DetailNode } from '../api/contract';
import { tlsCipherName, tlsVersionName } from '../track/tls';
import { alertDescriptionName, alertLevelName, CONTENT_TYPE_NAMES, handshakeName } from './names';
import type { TlsHandshakeMessage, TlsRecord } from './session';

const node = (label: string, field: string | null, children: DetailNode[] = [], severity: DetailNode['severity'] = null): DetailNode => ({
  label,
  field,
  offset: -1,
  length: 0,
  severity,
  children,
});

const hex = (value: number, digits = 4) => `0x${value.toString(16).padStart(digits, '0')}`;

export function handshakeNode(message: TlsHandshakeMessage): DetailNode {
  const children: DetailNode[] = [node(`Handshake Type: ${handshakeName(message.type)} (${message.type})`, 'tls.handshake.type'), node(`Length: ${message.length}`, 'tls.handshake.length')];
  const hello = message.hello;
  if (hello) {
    if (hello.serverName !== null) children.push(node(`Server Name: ${hello.serverName}`, 'tls.handshake.extensions_server_name'));
    for (const suite of hello.cipherSuites) children.push(node(`Cipher Suite: ${tlsCipherName(suite)} (${hex(suite)})`, 'tls.handshake.ciphersuite'));
    for (const version of hello.supportedVersions) children.push(node(`Supported Version: ${tlsVersionName(version)} (${hex(version)})`, 'tls.handshake.extensions.supported_version'));
  }
  for (const protocol of [...(hello?.alpn ?? []), ...(message.alpn ?? [])]) children.push(node(`ALPN Next Protocol: ${protocol}`, 'tls.handshake.extensions_alpn_str'));
  if (message.extensions && message.extensions.length > 0) {
    children.push(node(`Extensions: ${message.extensions.length}`, null, message.extensions.map((type) => node(`Type: ${type}`, 'tls.handshake.extension.type'))));
  }
  for (const [n, certificate] of (message.certificates ?? []).entries()) {
    const info = certificate.info;
    children.push(
      node(`Certificate ${n + 1}: ${info.error ?? info.subject} (${certificate.der.length} bytes)`, 'tls.handshake.certificate', [
        node(`Subject: ${info.subject}`, null, info.stringFields.map((f) => node(`${f.field.slice('x509sat.'.length)}: ${f.value}`, f.field))),
        node(`Issuer: ${info.issuer}`, null),
        node(`Validity: not before ${info.notBefore}, not after ${info.notAfter}`, null),
        node(`Subject Public Key: ${info.keyType}${info.keyDetail ? ` (${info.keyDetail})` : ''}`, null),
        node(`Signature Algorithm: ${info.signatureAlgorithm}`, null),
        node(`Serial Number: ${info.serialNumber}`, null),
        ...info.san.map((name) => node(`SAN: ${name}`, /^[\d.:]+$/.test(name) ? null : 'x509ce.dNSName')),
      ]),
    );
  }
  if (message.signatureScheme !== undefined) children.push(node(`Signature Algorithm: ${hex(message.signatureScheme)}`, 'tls.handshake.sig_hash_alg'));
  if (message.verifyData) children.push(node(`Verify Data: ${Array.from(message.verifyData, (b) => b.toString(16).padStart(2, '0')).join('')}`, 'tls.handshake.verify_data'));
  if (message.ticketLifetime !== undefined) children.push(node(`Session Ticket Lifetime Hint: ${message.ticketLifetime} seconds`, 'tls.handshake.session_ticket_lifetime_hint'));
  if (message.keyUpdateRequest !== undefined) children.push(node(`KeyUpdate Message: ${message.keyUpdateRequest === 1 ? 'update_requested' : 'update_not_requested'} (${message.keyUpdateRequest})`, 'tls.handshake.KeyUpdate'));
  return node(`Handshake Protocol: ${handshakeName(message.type)}`, null, children);
}

export function tlsDetailNode(records: readonly TlsRecord[], version: number | null): DetailNode {
  const layer = version === null ? 'TLS' : tlsVersionName(version).replace('TLS ', 'TLSv');
  const children: DetailNode[] = records.map((record) => {
    const type = CONTENT_TYPE_NAMES[record.contentType] ?? `Content Type ${record.contentType}`;
    const title = record.encrypted && !record.decrypted ? `${layer} Record Layer: ${CONTENT_TYPE_NAMES[record.opaqueType] ?? 'Record'} (encrypted)` : `${layer} Record Layer: ${type} Protocol`;
    const fields: DetailNode[] = [];
    if (record.innerType) fields.push(node(`Opaque Type: ${CONTENT_TYPE_NAMES[record.opaqueType] ?? record.opaqueType} (${record.opaqueType})`, 'tls.record.opaque_type'));
    if (!record.innerType || record.decrypted) fields.push(node(`Content Type: ${type} (${record.contentType})`, 'tls.record.content_type'));
    fields.push(node(`Version: ${tlsVersionName(record.version)} (${hex(record.version)})`, 'tls.record.version'), node(`Length: ${record.length}`, 'tls.record.length'));
    if (record.decrypted) fields.push(node('[Decrypted with the key log]', 'tls.decrypted'));
    if (record.undecryptedReason) fields.push(node(`[Not decrypted: ${record.undecryptedReason}]`, 'tls.not_decrypted_reason', [], 'warn'));
    for (const message of record.handshakes) fields.push(handshakeNode(message));
    for (const alert of record.alerts) {
      fields.push(node(`Alert Message`, null, [node(`Level: ${alertLevelName(alert.level)} (${alert.level})`, 'tls.alert_message.level'), node(`Description: ${alertDescriptionName(alert.description)} (${alert.description})`, 'tls.alert_message.desc')]));
    }
    return node(title, null, fields);
  });
  if (records.length === 0) children.push(node('[TLS segment: part of a record that continues in a later frame]', null));
  return node('Transport Layer Security', 'tls', children);
}
