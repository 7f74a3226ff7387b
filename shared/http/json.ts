/** A frame's HTTP (HTTP/1.x messages, HTTP/2 frames) as `decode --json` keys: Wireshark's display-filter names. */
import type { JsonFieldValue } from '../wire/json';
import { SETTINGS } from '../http2/names';
import { FLAG_DEFS } from '../http2/names';
import { STATIC_TABLE } from '../http2/hpack/static-table';
import type { HpackRepresentation } from '../http2/hpack';
import type { HttpFrameResult } from './dissector';
import { headerValue } from './message';

/** HTTP/1.x header names Wireshark gives a field of their own. */
const HTTP1_HEADER_FIELDS: Record<string, string> = {
  host: 'http.host',
  'user-agent': 'http.user_agent',
  accept: 'http.accept',
  'accept-encoding': 'http.accept_encoding',
  'accept-language': 'http.accept_language',
  authorization: 'http.authorization',
  'cache-control': 'http.cache_control',
  connection: 'http.connection',
  'content-encoding': 'http.content_encoding',
  'content-length': 'http.content_length_header',
  'content-type': 'http.content_type',
  cookie: 'http.cookie',
  date: 'http.date',
  'last-modified': 'http.last_modified',
  location: 'http.location',
  referer: 'http.referer',
  server: 'http.server',
  'set-cookie': 'http.set_cookie',
  'transfer-encoding': 'http.transfer_encoding',
  upgrade: 'http.upgrade',
  'www-authenticate': 'http.www_authenticate',
  'sec-websocket-key': 'http.sec_websocket_key',
  'sec-websocket-accept': 'http.sec_websocket_accept',
  'sec-websocket-version': 'http.sec_websocket_version',
  'sec-websocket-protocol': 'http.sec_websocket_protocol',
  'sec-websocket-extensions': 'http.sec_websocket_extensions',
  'http2-settings': 'http.http2_settings',
};

/** HTTP/2 header names with a field of their own: the static table's names (`:method` → http2.headers.method). */
const HTTP2_HEADER_FIELDS = new Map<string, string>(STATIC_TABLE.map(([name]) => [name, `http2.headers.${name.replace(/^:/, '').replace(/-/g, '_')}`]));
/** Those Wireshark types as numbers. */
const NUMERIC_HTTP2_HEADERS = new Set(['http2.headers.status', 'http2.headers.content_length', 'http2.headers.age', 'http2.headers.max_forwards']);

const REPRESENTATION: Record<HpackRepresentation, string> = {
  indexed: 'Indexed Header Field',
  'literal-incremental': 'Literal Header Field with Incremental Indexing',
  'literal-without-indexing': 'Literal Header Field without Indexing',
  'literal-never-indexed': 'Literal Header Field never Indexed',
};

/** The representation as Wireshark's http2.header.repr names it. */
export function representationName(representation: HpackRepresentation, index: number): string {
  const base = REPRESENTATION[representation];
  return representation === 'indexed' ? base : `${base} - ${index === 0 ? 'New Name' : 'Indexed Name'}`;
}

export const HTTP_FIELD_NAMES: readonly string[] = [
  'http',
  'http.request',
  'http.response',
  'http.request.method',
  'http.request.uri',
  'http.request.uri.path',
  'http.request.uri.query',
  'http.request.version',
  'http.request.line',
  'http.request.full_uri',
  'http.response.version',
  'http.response.code',
  'http.response.code.desc',
  'http.response.phrase',
  'http.response.line',
  'http.content_length',
  'http.chunk_size',
  ...Object.values(HTTP1_HEADER_FIELDS),
  'http2',
  'http2.magic',
  'http2.length',
  'http2.type',
  'http2.flags',
  'http2.streamid',
  'http2.pad_length',
  'http2.exclusive',
  'http2.stream_dependency',
  'http2.headers.weight',
  'http2.settings.id',
  'http2.settings.unknown',
  ...Object.values(SETTINGS).map((s) => `http2.settings.${s.field}`),
  'http2.window_update.window_size_increment',
  'http2.rst_stream.error',
  'http2.goaway.last_stream_id',
  'http2.goaway.error',
  'http2.goaway.addata',
  'http2.ping',
  'http2.pong',
  'http2.push_promise.promised_stream_id',
  'http2.header.name',
  'http2.header.value',
  'http2.header.repr',
  'http2.header.index',
  'http2.header.count',
  'http2.header.name.length',
  'http2.header.value.length',
  'http2.header_table_size_update.header_table_size',
  'http2.request.full_uri',
  ...new Set(HTTP2_HEADER_FIELDS.values()),
  ...new Set(Object.values(FLAG_DEFS).flatMap((defs) => defs.map((d) => `http2.flags.${d.field}`))),
];

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** Writes the frame's HTTP keys into `out` (lists where a frame may hold several). */
export function httpToFields(result: HttpFrameResult | null, out: Record<string, JsonFieldValue>): void {
  if (!result) return;
  const lists = new Map<string, (string | number | boolean)[]>();
  const add = (key: string, value: string | number | boolean) => {
    let list = lists.get(key);
    if (!list) lists.set(key, (list = []));
    list.push(value);
  };
  for (const message of result.http1) {
    add(message.kind === 'request' ? 'http.request' : 'http.response', true);
    const lineField = message.kind === 'request' ? 'http.request.line' : 'http.response.line';
    if (message.kind === 'request') {
      add('http.request.method', message.method!);
      add('http.request.uri', message.path!);
      const query = message.path!.indexOf('?');
      add('http.request.uri.path', query < 0 ? message.path! : message.path!.slice(0, query));
      if (query >= 0) add('http.request.uri.query', message.path!.slice(query + 1));
      add('http.request.version', message.firstLine.slice(message.firstLine.lastIndexOf(' ') + 1));
      const host = headerValue(message.headers, 'host');
      if (host !== null) add('http.request.full_uri', /^[a-z]+:\/\//i.test(message.path!) ? message.path! : `${result.tls ? 'https' : 'http'}://${host}${message.path}`);
    } else {
      add('http.response.version', message.firstLine.slice(0, message.firstLine.indexOf(' ')));
      add('http.response.code', message.status!);
      add('http.response.phrase', message.reason ?? '');
    }
    for (const header of message.headers) {
      add(lineField, `${header.name}: ${header.value}\r\n`);
      const field = HTTP1_HEADER_FIELDS[header.name.toLowerCase()];
      if (field) add(field, header.value);
    }
    if (message.contentLength !== null) add('http.content_length', message.contentLength);
    for (const size of message.chunkSizes) add('http.chunk_size', size);
  }
  if (result.http1.length > 0) out.http = true;
  let http2 = false;
  for (const item of result.http2) {
    http2 = true;
    if (item.kind === 'magic') {
      add('http2.magic', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
      continue;
    }
    if (item.kind !== 'frame') continue;
    const f = item.frame;
    add('http2.length', f.length);
    add('http2.type', f.type);
    add('http2.flags', f.flags);
    add('http2.streamid', f.streamId);
    for (const def of FLAG_DEFS[f.type] ?? []) add(`http2.flags.${def.field}`, (f.flags & def.bit) !== 0);
    if (f.padLength !== null) add('http2.pad_length', f.padLength);
    if (f.priority) {
      add('http2.exclusive', f.priority.exclusive);
      add('http2.stream_dependency', f.priority.dependency);
      add('http2.headers.weight', f.priority.weight);
    }
    for (const setting of f.settings ?? []) {
      add('http2.settings.id', setting.id);
      add(`http2.settings.${SETTINGS[setting.id]?.field ?? 'unknown'}`, setting.value);
    }
    if (f.windowIncrement !== null) add('http2.window_update.window_size_increment', f.windowIncrement);
    if (f.errorCode !== null) add(f.type === 3 ? 'http2.rst_stream.error' : 'http2.goaway.error', f.errorCode);
    if (f.lastStreamId !== null) add('http2.goaway.last_stream_id', f.lastStreamId);
    if (f.type === 7 && f.opaque && f.opaque.length > 0) add('http2.goaway.addata', hex(f.opaque));
    if (f.type === 6 && f.opaque) add(f.flags & 1 ? 'http2.pong' : 'http2.ping', hex(f.opaque));
    if (f.promisedStreamId !== null) add('http2.push_promise.promised_stream_id', f.promisedStreamId);
    if (f.block) {
      for (const size of f.block.sizeUpdates) add('http2.header_table_size_update.header_table_size', size);
      if (!f.block.error) add('http2.header.count', f.block.fields.length);
      for (const field of f.block.fields) {
        add('http2.header.name.length', utf8Length(field.name));
        add('http2.header.name', field.name);
        add('http2.header.value.length', utf8Length(field.value));
        add('http2.header.value', field.value);
        add('http2.header.repr', representationName(field.representation, field.index));
        if (field.index > 0) add('http2.header.index', field.index);
        const own = HTTP2_HEADER_FIELDS.get(field.name);
        if (own) add(own, NUMERIC_HTTP2_HEADERS.has(own) && /^\d+$/.test(field.value) ? Number(field.value) : field.value);
      }
    }
    const message = f.message;
    if (message && message.kind === 'request' && message.path !== null && message.scheme !== null && message.authority !== null) {
      add('http2.request.full_uri', `${message.scheme}://${message.authority}${message.path}`);
    }
  }
  if (http2) out.http2 = true;
  for (const [key, values] of lists) out[key] = values as JsonFieldValue;
}

function utf8Length(text: string): number {
  let n = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  return n;
}
