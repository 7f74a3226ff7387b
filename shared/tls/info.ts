/** The Protocol and Info columns for a frame's TLS records, in tshark's wording. */
import { tlsVersionName } from '../track/tls';
import { alertDescriptionName, alertLevelName, CONTENT_TYPE_NAMES, handshakeName } from './names';
import type { TlsRecord } from './session';

export function tlsInfoText(records: readonly TlsRecord[], version: number | null): { protocol: string; info: string } {
  const parts: string[] = [];
  for (const record of records) {
    if (record.handshakes.length > 0) {
      for (const message of record.handshakes) parts.push(handshakeName(message.type));
    } else if (record.alerts.length > 0) {
      for (const alert of record.alerts) parts.push(`Alert (Level: ${alertLevelName(alert.level)}, Description: ${alertDescriptionName(alert.description)})`);
    } else if (record.encrypted && !record.decrypted) {
      parts.push(record.opaqueType === 23 ? 'Application Data' : `Encrypted ${CONTENT_TYPE_NAMES[record.opaqueType] ?? 'Record'}`);
    } else if (record.contentType !== 22) {
      parts.push(CONTENT_TYPE_NAMES[record.contentType] ?? `Content Type ${record.contentType}`);
    }
  }
  const unique = parts.filter((part, index) => index === 0 || parts[index - 1] !== part);
  const shown = version ?? records[0]?.version ?? 0x0303;
  return { protocol: shown >= 0x0301 ? `TLSv${tlsVersionName(shown).slice(4)}` : 'TLS', info: unique.join(', ') };
}
