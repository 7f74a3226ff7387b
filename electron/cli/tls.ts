/**
 * `--tls-keylog FILE` for the file commands, and the secrets a pcapng carries in Decryption
 * Secrets Blocks: both feed one KeyLog, which the TLS dissector reads as records arrive.
 */
import { readFileSync } from 'node:fs';
import { SecretsType } from '../../shared/files';
import { decodeUtf8 } from '../../shared/files/utf8';
import { alertDescriptionName, alertLevelName, KeyLog, TlsDissector, type TlsConnectionSummary } from '../../shared/tls';
import type { JsonObject } from '../../shared/track';
import { createNodeTlsCrypto } from '../engine/tls-crypto';
import { openFailure } from './errors';

/** Reads a key-log file; an unreadable one is a bad input file (exit 3). Notes malformed lines on stderr. */
export function loadKeyLogFile(file: string, command: string): KeyLog {
  let text: string;
  try {
    text = readFileSync(file, 'latin1');
  } catch (error) {
    throw openFailure(file, error);
  }
  const log = KeyLog.parse(text);
  const { secrets, clients, bad } = log.counts;
  if (bad > 0 || secrets === 0) {
    process.stderr.write(`handshake ${command}: key log ${file}: ${secrets} secrets for ${clients} connections${bad > 0 ? `; ${bad} malformed lines skipped` : ''}\n`);
  }
  return log;
}

/** The dissector for a file command: the key-log file's secrets (if any), plus the file's own DSBs as they are read. */
export function tlsForFile(keylogFile: string | undefined, command: string): { dissector: TlsDissector; onSecrets: (type: number, data: Uint8Array) => void } {
  const keyLog = keylogFile === undefined ? new KeyLog() : loadKeyLogFile(keylogFile, command);
  const dissector = new TlsDissector(createNodeTlsCrypto(), keyLog);
  return {
    dissector,
    onSecrets(type, data) {
      if (type === SecretsType.TlsKeyLog) keyLog.merge(KeyLog.parse(decodeUtf8(data, 0, data.length)));
    },
  };
}

/** analyze --json: a connection's `tls` object gains what decryption showed. */
export function addTlsSummary(json: JsonObject, summary: TlsConnectionSummary | null): void {
  if (!summary) return;
  const tls = (json.tls as JsonObject | undefined) ?? {};
  tls.decrypted = summary.decrypted;
  if (summary.alpnSelected !== null) tls.alpn_selected = summary.alpnSelected;
  tls.certificates = summary.certificates.map((c) => ({ subject: c.subject, issuer: c.issuer, san: c.san, not_before: c.notBefore, not_after: c.notAfter, key_type: c.keyDetail ? `${c.keyType} ${c.keyDetail}` : c.keyType, signature_algorithm: c.signatureAlgorithm }));
  tls.alerts = summary.alerts.map((a) => ({ from: a.fromClient ? 'client' : 'server', level: alertLevelName(a.level).toLowerCase(), description: alertDescriptionName(a.description) }));
  json.tls = tls;
}

/** analyze without --json: one line under the connection block. */
export function tlsSummaryText(summary: TlsConnectionSummary | null): string {
  if (!summary) return '';
  const parts = [summary.decrypted === true ? 'TLS decrypted' : summary.decrypted === null ? 'TLS (nothing encrypted seen)' : `TLS not decrypted: ${summary.decrypted}`];
  if (summary.alpnSelected) parts.push(`ALPN ${summary.alpnSelected}`);
  const leaf = summary.certificates[0];
  if (leaf) parts.push(`certificate ${leaf.subject}${leaf.san.length ? ` (SAN ${leaf.san.join(', ')})` : ''}, issuer ${leaf.issuer}, valid ${leaf.notBefore} – ${leaf.notAfter}`);
  for (const alert of summary.alerts) parts.push(`${alertLevelName(alert.level).toLowerCase()} alert ${alertDescriptionName(alert.description)} from the ${alert.fromClient ? 'client' : 'server'}`);
  return `  ${parts.join('; ')}`;
}
