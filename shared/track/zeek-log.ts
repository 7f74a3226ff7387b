/**
 * Zeek's conn.log for the tracked TCP connections, in Zeek's ASCII (TSV) format with its
 * header and footer, or as Zeek's JSON logs (one object per line, unset fields left out), so a
 * capture analysed here joins a Zeek/Arkime/Zui deployment on uid-free keys: the 5-tuple,
 * ts and community_id.
 */
import { encodeUtf8 } from '../files/utf8';
import { sha1 } from '../flowid';
import { connectionCommunityId } from './json';
import type { ConnectionSummary } from './types';

/** conn.log's columns in Zeek's order (base/protocols/conn/main.zeek), then community_id (policy/protocols/conn/community-id-logging). */
export const ZEEK_CONN_FIELDS = [
  'ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'service', 'duration',
  'orig_bytes', 'resp_bytes', 'conn_state', 'local_orig', 'local_resp', 'missed_bytes', 'history',
  'orig_pkts', 'orig_ip_bytes', 'resp_pkts', 'resp_ip_bytes', 'tunnel_parents', 'community_id',
] as const;
export const ZEEK_CONN_TYPES = [
  'time', 'string', 'addr', 'port', 'addr', 'port', 'enum', 'string', 'interval',
  'count', 'count', 'string', 'bool', 'bool', 'count', 'string',
  'count', 'count', 'count', 'count', 'set[string]', 'string',
] as const;

type ZeekValue = string | number | boolean | null;

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * A Zeek-style uid ("C" and base62). Zeek draws it at random; here it is derived from the
 * connection's start and Community ID, so the same capture always gives the same uids.
 */
export function zeekUid(c: ConnectionSummary, communityId: string): string {
  const digest = sha1(encodeUtf8(`${c.start.sec}.${c.start.ns}|${c.stream}|${communityId}`));
  let out = 'C';
  for (let i = 0; i < 17; i++) out += BASE62[digest[i] % 62];
  return out;
}

function seconds(sec: number, ns: number): number {
  return sec + ns / 1e9;
}

/** One conn.log record: Zeek's values, null where Zeek leaves the field unset. */
export function zeekConnRecord(c: ConnectionSummary): Record<(typeof ZEEK_CONN_FIELDS)[number], ZeekValue> {
  const communityId = connectionCommunityId(c);
  const duration = seconds(c.end.sec - c.start.sec, c.end.ns - c.start.ns);
  // main.zeek sets duration and the byte counts only for a connection that lasted.
  const lasted = duration > 0;
  return {
    ts: seconds(c.start.sec, c.start.ns),
    uid: zeekUid(c, communityId),
    'id.orig_h': c.client.address,
    'id.orig_p': c.client.port,
    'id.resp_h': c.server.address,
    'id.resp_p': c.server.port,
    proto: 'tcp',
    service: c.tls ? 'ssl' : null,
    duration: lasted ? duration : null,
    orig_bytes: lasted ? c.volume.origBytes : null,
    resp_bytes: lasted ? c.volume.respBytes : null,
    conn_state: c.connState,
    local_orig: null, // Zeek sets these only when Site::local_nets is configured
    local_resp: null,
    missed_bytes: c.volume.missedBytes,
    history: c.history,
    orig_pkts: c.volume.origPackets,
    orig_ip_bytes: c.volume.origIpBytes,
    resp_pkts: c.volume.respPackets,
    resp_ip_bytes: c.volume.respIpBytes,
    tunnel_parents: null,
    community_id: communityId,
  };
}

/** Zeek's time format for #open/#close: local wall-clock %Y-%m-%d-%H-%M-%S (here in UTC). */
export function zeekLogTime(date: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${date.getUTCFullYear()}-${two(date.getUTCMonth() + 1)}-${two(date.getUTCDate())}-${two(date.getUTCHours())}-${two(date.getUTCMinutes())}-${two(date.getUTCSeconds())}`;
}

/** Zeek's ASCII writer escapes the separator and non-printable bytes as \xHH. */
function escapeTsv(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    out += code < 0x20 || code === 0x7f || ch === '\\' ? `\\x${code.toString(16).padStart(2, '0')}` : ch;
  }
  return out;
}

function tsvValue(field: string, value: ZeekValue): string {
  if (value === null) return '-';
  if (typeof value === 'boolean') return value ? 'T' : 'F';
  if (typeof value === 'number') return field === 'ts' || field === 'duration' ? value.toFixed(6) : String(value);
  return value === '' ? '(empty)' : escapeTsv(value);
}

/** The header lines of a conn.log, opened at `opened`. */
export function zeekConnHeader(opened: Date): string[] {
  return [
    '#separator \\x09',
    '#set_separator\t,',
    '#empty_field\t(empty)',
    '#unset_field\t-',
    '#path\tconn',
    `#open\t${zeekLogTime(opened)}`,
    `#fields\t${ZEEK_CONN_FIELDS.join('\t')}`,
    `#types\t${ZEEK_CONN_TYPES.join('\t')}`,
  ];
}

export function zeekConnTsv(c: ConnectionSummary): string {
  const record = zeekConnRecord(c);
  return ZEEK_CONN_FIELDS.map((field) => tsvValue(field, record[field])).join('\t');
}

export function zeekConnFooter(closed: Date): string {
  return `#close\t${zeekLogTime(closed)}`;
}

/** Zeek's JSON log line (LogAscii::use_json): unset fields are left out, times are epoch seconds. */
export function zeekConnJson(c: ConnectionSummary): string {
  const record = zeekConnRecord(c);
  const out: Record<string, ZeekValue> = {};
  for (const field of ZEEK_CONN_FIELDS) if (record[field] !== null) out[field] = record[field];
  return JSON.stringify(out);
}
