/** The Protocol and Info columns for a frame's HTTP, in tshark's wording. */
import { frameTypeName } from '../http2/names';
import type { HttpFrameResult } from './dissector';
import { headerValue, mediaType, statusText } from './message';

/** Wireshark names the body's media type in Info when a text dissector reads it (text/*). */
function shownType(type: string | null): string {
  return type !== null && type.startsWith('text/') ? ` (${type})` : '';
}

/** null when the frame completed nothing HTTP. */
export function httpInfoText(result: HttpFrameResult | null): { protocol: string; info: string } | null {
  if (!result) return null;
  if (result.http2.length > 0) {
    const parts: string[] = [];
    for (const item of result.http2) {
      if (item.kind === 'magic') parts.push('Magic');
      else if (item.kind === 'segment') {
        if (parts.length > 0) parts[parts.length - 1] += '[TLS segment of a reassembled PDU]';
        else parts.push('[TLS segment of a reassembled PDU]');
      } else {
        const f = item.frame;
        let text = `${frameTypeName(f.type)}[${f.streamId}]`;
        const message = f.message;
        if (message?.kind === 'request' && f.type === 1) text += `: ${message.method ?? ''} ${message.path ?? ''}`;
        else if (message?.kind === 'response' && message.status !== null) text += `: ${message.status} ${statusText(message.status)}`;
        if (f.type === 0 && f.flags & 1) text += shownType(f.contentType);
        parts.push(text);
      }
    }
    return { protocol: 'HTTP2', info: parts.join(', ') };
  }
  if (result.http1.length > 0) {
    const parts = result.http1.map((message) => {
      const type = message.bodyLength > 0 || message.delimiting !== 'none' ? shownType(mediaType(headerValue(message.headers, 'content-type'))) : '';
      return `${message.firstLine} ${type}`;
    });
    return { protocol: 'HTTP', info: parts.join(', ') };
  }
  return null;
}
