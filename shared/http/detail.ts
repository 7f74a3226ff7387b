/**
 * The "Hypertext Transfer Protocol" and "HyperText Transfer Protocol 2" subtrees of the detail
 * pane, with Wireshark's labels and field names. Reassembled or decrypted bytes have no single
 * place in the frame's hex view, so these nodes carry offset -1.
 */
import type { DetailNode } from '../api/contract';
import type { Http2Frame } from '../http2/connection';
import { errorCodeName, FLAG_DEFS, frameTypeName, SETTINGS } from '../http2/names';
import type { HttpFrameResult } from './dissector';
import { representationName } from './json';
import { statusText } from './message';

const node = (label: string, field: string | null, children: DetailNode[] = [], severity: DetailNode['severity'] = null): DetailNode => ({
  label,
  field,
  offset: -1,
  length: 0,
  severity,
  children,
});

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

function http2FrameNode(f: Http2Frame): DetailNode {
  const name = frameTypeName(f.type);
  const flags = FLAG_DEFS[f.type] ?? [];
  const children: DetailNode[] = [
    node(`Length: ${f.length}`, 'http2.length'),
    node(`Type: ${name} (${f.type})`, 'http2.type'),
    node(
      `Flags: 0x${f.flags.toString(16).padStart(2, '0')}${flags.filter((d) => f.flags & d.bit).map((d) => `, ${d.label}`).join('')}`,
      'http2.flags',
      flags.map((d) => node(`${d.label}: ${f.flags & d.bit ? 'True' : 'False'}`, `http2.flags.${d.field}`)),
    ),
    node(`${f.reserved ? 1 : 0}... .... .... .... .... .... .... .... = Reserved: 0x${f.reserved ? 1 : 0}`, 'http2.r'),
    node(`Stream Identifier: ${f.streamId}`, 'http2.streamid'),
  ];
  if (f.error) children.push(node(`[Malformed: ${f.error}]`, null, [], 'error'));
  if (f.padLength !== null) children.push(node(`Pad Length: ${f.padLength}`, 'http2.pad_length'));
  if (f.priority) {
    children.push(node(`Exclusive: ${f.priority.exclusive ? 'True' : 'False'}`, 'http2.exclusive'));
    children.push(node(`Stream Dependency: ${f.priority.dependency}`, 'http2.stream_dependency'));
    children.push(node(`Weight: ${f.priority.weight}`, 'http2.headers.weight'));
  }
  for (const setting of f.settings ?? []) {
    const def = SETTINGS[setting.id];
    children.push(
      node(`Settings - ${def?.label ?? 'Unknown'} : ${setting.value}`, null, [
        node(`Settings Identifier: ${def?.label ?? 'Unknown'} (${setting.id})`, 'http2.settings.id'),
        node(`${def?.label ?? 'Unknown Settings'}: ${setting.value}`, `http2.settings.${def?.field ?? 'unknown'}`),
      ]),
    );
  }
  if (f.windowIncrement !== null) children.push(node(`Window Size Increment: ${f.windowIncrement}`, 'http2.window_update.window_size_increment'));
  if (f.lastStreamId !== null) children.push(node(`Last-Stream-ID: ${f.lastStreamId}`, 'http2.goaway.last_stream_id'));
  if (f.errorCode !== null) children.push(node(`Error: ${errorCodeName(f.errorCode)} (${f.errorCode})`, f.type === 3 ? 'http2.rst_stream.error' : 'http2.goaway.error'));
  if (f.type === 7 && f.opaque && f.opaque.length > 0) children.push(node(`Additional Debug Data: ${hex(f.opaque)}`, 'http2.goaway.addata'));
  if (f.type === 6 && f.opaque) children.push(node(`${f.flags & 1 ? 'Pong' : 'Ping'}: ${hex(f.opaque)}`, f.flags & 1 ? 'http2.pong' : 'http2.ping'));
  if (f.promisedStreamId !== null) children.push(node(`Promised-Stream-ID: ${f.promisedStreamId}`, 'http2.push_promise.promised_stream_id'));
  if (f.data) children.push(node(`Data: ${f.data.length} bytes`, 'http2.data.data'));
  if (f.fragmentLength !== null) children.push(node(`Header Block Fragment: ${f.fragmentLength} bytes`, 'http2.headers'));
  const block = f.block;
  if (block) {
    for (const size of block.sizeUpdates) children.push(node(`Header table size update: ${size}`, 'http2.header_table_size_update.header_table_size'));
    if (block.error) children.push(node(`[HPACK: ${block.error}]`, null, [], 'error'));
    children.push(node(`Header Count: ${block.fields.length}`, 'http2.header.count'));
    for (const field of block.fields) {
      children.push(
        node(`Header: ${field.name}: ${field.value}`, 'http2.header', [
          node(`Name Length: ${field.name.length}`, 'http2.header.name.length'),
          node(`Name: ${field.name}`, 'http2.header.name'),
          node(`Value Length: ${field.value.length}`, 'http2.header.value.length'),
          node(`Value: ${field.value}`, 'http2.header.value'),
          node(`Representation: ${representationName(field.representation, field.index)}`, 'http2.header.repr'),
          node(`Index: ${field.index}`, 'http2.header.index'),
        ]),
      );
    }
  }
  const message = f.message;
  let summary = '';
  if (message?.kind === 'request' && f.type === 1) summary = `, ${message.method} ${message.path}`;
  else if (message?.kind === 'response' && message.status !== null) summary = `, ${message.status} ${statusText(message.status)}`;
  if (message?.kind === 'request' && message.scheme && message.authority && message.path) children.push(node(`[Full request URI: ${message.scheme}://${message.authority}${message.path}]`, 'http2.request.full_uri'));
  return node(`Stream: ${name}, Stream ID: ${f.streamId}, Length ${f.length}${summary}`, 'http2.stream', children, f.error ? 'warn' : null);
}

export function httpDetailNodes(result: HttpFrameResult | null): DetailNode[] {
  if (!result) return [];
  const out: DetailNode[] = [];
  if (result.http2.length > 0) {
    const children: DetailNode[] = [];
    for (const item of result.http2) {
      if (item.kind === 'magic') children.push(node('Stream: Magic', null, [node('Magic: PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n', 'http2.magic')]));
      else if (item.kind === 'frame') children.push(http2FrameNode(item.frame));
      else children.push(node('[TLS segment: part of an HTTP/2 frame that continues in a later record]', null));
    }
    out.push(node('HyperText Transfer Protocol 2', 'http2', children));
  }
  for (const message of result.http1) {
    const children: DetailNode[] = [];
    const lineField = message.kind === 'request' ? 'http.request.line' : 'http.response.line';
    if (message.kind === 'request') {
      children.push(
        node(`${message.firstLine}\\r\\n`, null, [
          node(`Request Method: ${message.method}`, 'http.request.method'),
          node(`Request URI: ${message.path}`, 'http.request.uri'),
          node(`Request Version: ${message.firstLine.slice(message.firstLine.lastIndexOf(' ') + 1)}`, 'http.request.version'),
        ]),
      );
    } else {
      children.push(
        node(`${message.firstLine}\\r\\n`, null, [
          node(`Response Version: ${message.firstLine.slice(0, message.firstLine.indexOf(' '))}`, 'http.response.version'),
          node(`Status Code: ${message.status}`, 'http.response.code'),
          node(`Response Phrase: ${message.reason ?? ''}`, 'http.response.phrase'),
        ]),
      );
    }
    for (const header of message.headers) children.push(node(`${header.name}: ${header.value}\\r\\n`, lineField));
    children.push(node('\\r\\n', null));
    if (message.delimiting === 'chunked') children.push(node(`[HTTP chunked response: ${message.chunkSizes.length} chunks, ${message.bodyLength} bytes]`, null));
    if (message.bodyLength > 0) children.push(node(`File Data: ${message.bodyLength} bytes`, null));
    if (message.error) children.push(node(`[Malformed: ${message.error}]`, null, [], 'error'));
    out.push(node('Hypertext Transfer Protocol', 'http', children));
  }
  return out;
}
