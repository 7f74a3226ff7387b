/** A frame's TLS records as `decode --json` keys: Wireshark's display-filter names, arrays where a frame may hold several. */
import type { JsonFieldValue } from '../wire/json';
import type { TlsHandshakeMessage } from './handshake';
import type { TlsRecord } from './session';

/** Every key this module may write (the display filter's known names). */
export const TLS_FIELD_NAMES: readonly string[] = [
  'tls',
  'tls.record.content_type',
  'tls.record.opaque_type',
  'tls.record.version',
  'tls.record.length',
  'tls.handshake.type',
  'tls.handshake.length',
  'tls.handshake.extensions_server_name',
  'tls.handshake.extensions_alpn_str',
  'tls.handshake.extensions.supported_version',
  'tls.handshake.ciphersuite',
  'tls.handshake.extension.type',
  'tls.handshake.certificate',
  'tls.handshake.certificate_length',
  'tls.handshake.sig_hash_alg',
  'tls.handshake.verify_data',
  'tls.handshake.session_ticket_lifetime_hint',
  'tls.handshake.KeyUpdate',
  'tls.alert_message.level',
  'tls.alert_message.desc',
  'tls.app_data',
  'tls.decrypted',
  'tls.not_decrypted_reason',
  'x509ce.dNSName',
  'x509sat.uTF8String',
  'x509sat.printableString',
  'x509sat.teletexString',
  'x509sat.universalString',
  'x509sat.bmpString',
  'x509sat.IA5String',
];

function hex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += (i > 0 ? ':' : '') + (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
  return s;
}

/**
 * Writes the records' keys into `out`. `inStream` marks a frame whose payload belongs to a TLS
 * stream but completed no record (a piece of one): tshark still shows the TLS layer there.
 */
export function tlsRecordsToFields(records: readonly TlsRecord[], out: Record<string, JsonFieldValue>, inStream = records.length > 0): void {
  if (!inStream) return;
  out.tls = true;
  if (records.length === 0) return;
  const lists = new Map<string, (string | number)[]>();
  const add = (key: string, value: string | number) => {
    let list = lists.get(key);
    if (!list) lists.set(key, (list = []));
    list.push(value);
  };
  let undecrypted: string | null = null;
  let decrypted = false;
  for (const record of records) {
    // As tshark: a TLS 1.3 protected record's header type is opaque_type, and its content_type is known once opened.
    if (record.innerType) add('tls.record.opaque_type', record.opaqueType);
    if (!record.innerType || record.decrypted) add('tls.record.content_type', record.contentType);
    add('tls.record.version', record.version);
    add('tls.record.length', record.length);
    if (record.decrypted) decrypted = true;
    if (record.undecryptedReason) {
      undecrypted ??= record.undecryptedReason;
      if (record.opaqueType === 23) add('tls.app_data', record.length);
    }
    for (const alert of record.alerts) {
      add('tls.alert_message.level', alert.level);
      add('tls.alert_message.desc', alert.description);
    }
    for (const message of record.handshakes) addHandshakeFields(message, add);
  }
  for (const [key, values] of lists) out[key] = key === 'tls.handshake.extensions_server_name' && values.length === 1 ? values[0] : values;
  if (decrypted) out['tls.decrypted'] = true;
  if (undecrypted) out['tls.not_decrypted_reason'] = undecrypted;
}

/** One handshake message's keys, through `add(key, value)`. */
function addHandshakeFields(message: TlsHandshakeMessage, add: (key: string, value: string | number) => void): void {
  add('tls.handshake.type', message.type);
  add('tls.handshake.length', message.length);
  for (const type of message.extensions ?? []) add('tls.handshake.extension.type', type);
  const hello = message.hello;
  if (hello) {
    if (hello.serverName !== null) add('tls.handshake.extensions_server_name', hello.serverName);
    for (const protocol of hello.alpn) add('tls.handshake.extensions_alpn_str', protocol);
    for (const version of hello.supportedVersions) add('tls.handshake.extensions.supported_version', version);
    for (const suite of hello.cipherSuites) add('tls.handshake.ciphersuite', suite);
  }
  for (const protocol of message.alpn ?? []) add('tls.handshake.extensions_alpn_str', protocol);
  for (const certificate of message.certificates ?? []) {
    add('tls.handshake.certificate_length', certificate.der.length);
    add('tls.handshake.certificate', hex(certificate.der));
    for (const { field, value } of certificate.info.stringFields) add(field, value);
    for (const name of certificate.info.san) if (!/^[\d.:]+$/.test(name)) add('x509ce.dNSName', name);
  }
  for (const scheme of message.signatureAlgorithms ?? []) add('tls.handshake.sig_hash_alg', scheme);
  if (message.signatureScheme !== undefined) add('tls.handshake.sig_hash_alg', message.signatureScheme);
  if (message.verifyData) add('tls.handshake.verify_data', hex(message.verifyData));
  if (message.ticketLifetime !== undefined) add('tls.handshake.session_ticket_lifetime_hint', message.ticketLifetime);
  if (message.keyUpdateRequest !== undefined) add('tls.handshake.KeyUpdate', message.keyUpdateRequest);
}

/**
 * Handshake messages carried outside TLS records (QUIC CRYPTO frames, RFC 9001 §4) as
 * `decode --json` keys: the same `tls.handshake.*` names, no `tls.record.*`.
 */
export function tlsHandshakesToFields(messages: readonly TlsHandshakeMessage[], out: Record<string, JsonFieldValue>): void {
  if (messages.length === 0) return;
  const lists = new Map<string, (string | number)[]>();
  for (const message of messages)
    addHandshakeFields(message, (key, value) => {
      let list = lists.get(key);
      if (!list) lists.set(key, (list = []));
      list.push(value);
    });
  for (const [key, values] of lists) out[key] = key === 'tls.handshake.extensions_server_name' && values.length === 1 ? values[0] : values;
}
