/**
 * One HTTP message head, whatever the version carried it: the model HTTP/1.1 and HTTP/2 fill
 * here, and HTTP/3 can fill the same way (its pseudo-headers are HTTP/2's).
 */

export interface HttpHeaderField {
  name: string;
  value: string;
}

export type HttpVersion = 'HTTP/1.0' | 'HTTP/1.1' | 'HTTP/2' | 'HTTP/3';

export interface HttpMessage {
  kind: 'request' | 'response';
  version: HttpVersion;
  /** HTTP/2 and HTTP/3 stream id; null for HTTP/1.x. */
  streamId: number | null;
  /** Request: the method, the target as sent (`path`), `:authority` or Host, `:scheme`. */
  method: string | null;
  path: string | null;
  authority: string | null;
  scheme: string | null;
  /** Response: the status code, and HTTP/1.x's reason phrase (HTTP/2 has none). */
  status: number | null;
  reason: string | null;
  /** Every field in order, pseudo-headers included (HTTP/2, HTTP/3). */
  headers: HttpHeaderField[];
}

/** The first value of a header, by case-insensitive name. */
export function headerValue(headers: readonly HttpHeaderField[], name: string): string | null {
  const lower = name.toLowerCase();
  for (const field of headers) if (field.name.toLowerCase() === lower) return field.value;
  return null;
}

/** The media type of a Content-Type value, without parameters, lower case. */
export function mediaType(contentType: string | null): string | null {
  if (contentType === null) return null;
  const type = contentType.split(';')[0].trim().toLowerCase();
  return type || null;
}

/** Reason phrases of the registered status codes (RFC 9110 §15 and its registry), as Wireshark words them. */
const STATUS_TEXT: Record<number, string> = {
  100: 'Continue',
  101: 'Switching Protocols',
  102: 'Processing',
  103: 'Early Hints',
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  203: 'Non-authoritative Information',
  204: 'No Content',
  205: 'Reset Content',
  206: 'Partial Content',
  207: 'Multi-Status',
  208: 'Already Reported',
  226: 'IM Used',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  304: 'Not Modified',
  305: 'Use Proxy',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Time-out',
  409: 'Conflict',
  410: 'Gone',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Requested Range Not Satisfiable',
  417: 'Expectation Failed',
  418: "I'm a teapot",
  421: 'Misdirected Request',
  422: 'Unprocessable Entity',
  423: 'Locked',
  424: 'Failed Dependency',
  425: 'Too Early',
  426: 'Upgrade Required',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  451: 'Unavailable For Legal Reasons',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Time-out',
  505: 'HTTP Version not supported',
  506: 'Variant Also Negotiates',
  507: 'Insufficient Storage',
  508: 'Loop Detected',
  510: 'Not Extended',
  511: 'Network Authentication Required',
};

export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? 'Unknown';
}
