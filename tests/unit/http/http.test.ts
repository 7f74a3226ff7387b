/**
 * The HTTP/1.x and HTTP/2 readers on hand-made byte streams: messages and frames split at every
 * byte, the body delimitations of RFC 9112 §6, header blocks continued and padded (RFC 9113
 * §6.2, §6.10), and hostile input, which must be flagged, never thrown on.
 */
import { describe, expect, it } from 'vitest';
import { Http1Connection, HttpDissector } from '../../../shared/http';
import { Http2Connection, CLIENT_PREFACE } from '../../../shared/http2/connection';

const bytes = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const hex = (text: string) => Uint8Array.from((text.replace(/\s+/g, '').match(/../g) ?? []).map((b) => parseInt(b, 16)));
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
function frame(type: number, flags: number, stream: number, payload: Uint8Array): Uint8Array {
  const header = Uint8Array.of(payload.length >> 16, (payload.length >> 8) & 0xff, payload.length & 0xff, type, flags, stream >>> 24, (stream >> 16) & 0xff, (stream >> 8) & 0xff, stream & 0xff);
  return concat(header, payload);
}
/** RFC 7541 C.3.1: GET, http, /, www.example.com. */
const REQUEST_BLOCK = hex('8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d');

describe('HTTP/1.x', () => {
  it('reads a request and a chunked response fed one byte at a time, each on the push that completes it', () => {
    const c = new Http1Connection();
    const request = bytes('GET /a?b=1 HTTP/1.1\r\nHost: example.test\r\nUser-Agent: t\r\n\r\n');
    const got: string[] = [];
    request.forEach((b, i) => c.push(true, Uint8Array.of(b), i + 1).forEach((m) => got.push(`${m.frame} ${m.method} ${m.path} ${m.authority}`)));
    expect(got).toEqual([`${request.length} GET /a?b=1 example.test`]);
    const response = bytes('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n');
    const done = [];
    for (let i = 0; i < response.length; i++) done.push(...c.push(false, response.subarray(i, i + 1), 1000 + i));
    expect(done.map((m) => [m.status, m.reason, m.bodyLength, m.chunkSizes, m.frame])).toEqual([[200, 'OK', 11, [5, 6, 0], 1000 + response.length - 1]]);
  });

  it('knows which responses have no body (HEAD, 204, 304, 1xx) and pairs pipelined requests in order', () => {
    const c = new Http1Connection();
    expect(c.push(true, bytes('HEAD / HTTP/1.1\r\nHost: h\r\n\r\nGET /x HTTP/1.1\r\nHost: h\r\n\r\n'), 1).map((m) => m.method)).toEqual(['HEAD', 'GET']);
    const out = c.push(false, bytes('HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n'), 2);
    expect(out.map((m) => [m.status, m.bodyLength])).toEqual([[200, 0], [100, 0], [204, 0]]);
  });

  it('completes a body delimited by the connection end on close', () => {
    const c = new Http1Connection();
    c.push(true, bytes('GET / HTTP/1.0\r\n\r\n'), 1);
    expect(c.push(false, bytes('HTTP/1.0 200 OK\r\n\r\nsome body'), 2)).toEqual([]);
    expect(c.close(3).map((m) => [m.version, m.bodyLength, m.frame, m.delimiting])).toEqual([['HTTP/1.0', 9, 3, 'close']]);
  });

  it('gives up on what is not HTTP, or on a bad chunk, without throwing', () => {
    const c = new Http1Connection();
    expect(c.push(true, bytes('\x16\x03\x01\x00\x05hello'), 1)).toEqual([]);
    expect(c.push(true, bytes('GET / HTTP/1.1\r\n\r\n'), 2)).toEqual([]); // the direction stays given up
    const d = new Http1Connection();
    d.push(true, bytes('GET / HTTP/1.1\r\n\r\n'), 1);
    expect(d.push(false, bytes('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'), 2)).toEqual([]);
    const e = new Http1Connection();
    expect(e.push(true, bytes(`GET /${'a'.repeat(70_000)}`), 1)).toEqual([]);
    expect(e.push(true, bytes(' HTTP/1.1\r\n\r\n'), 2)).toEqual([]);
  });

  it('gives a response direction up at its first byte when that cannot start a status line (binary application data)', () => {
    const c = new Http1Connection();
    expect(c.push(true, bytes('GET / HTTP/1.1\r\nHost: a\r\n\r\n'), 1).map((m) => m.method)).toEqual(['GET']);
    // Binary data whose later bytes happen to hold a status line and a blank line.
    expect(c.push(false, concat(Uint8Array.of(0x9f, 0x00, 0x0d), bytes('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n')), 2)).toEqual([]);
    expect(c.push(false, bytes('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'), 3)).toEqual([]);
    // A server direction that starts with a real status line is still read (a capture begun after the request).
    const d = new Http1Connection();
    expect(d.push(false, bytes('HTTP/1.1 204 No Content\r\n\r\n'), 1).map((m) => m.status)).toEqual([204]);
    // Leading blank lines are skipped before the check (RFC 9112 §2.2).
    const e = new Http1Connection();
    expect(e.push(true, bytes('\r\n\r\nGET /x HTTP/1.1\r\n\r\n'), 1).map((m) => m.path)).toEqual(['/x']);
  });
});

describe('HTTP/2', () => {
  it('reads the preface and frames split at every byte, a padded HEADERS with priority continued by CONTINUATION', () => {
    const settings = frame(4, 0, 0, hex('0003 00000064 0004 0000ffff'));
    // HEADERS: padded (pad 3), priority (exclusive, depends on 0, weight 15), first 4 octets of the block.
    const headers = frame(1, 0x08 | 0x20 | 0x01, 1, concat(Uint8Array.of(3), hex('80000000 0f'), REQUEST_BLOCK.subarray(0, 4), Uint8Array.of(0, 0, 0)));
    const continuation = frame(9, 0x04, 1, REQUEST_BLOCK.subarray(4));
    const stream = concat(bytes(CLIENT_PREFACE), settings, headers, continuation, frame(8, 0, 0, hex('00010000')));
    const c = new Http2Connection();
    const seen: string[] = [];
    let magic = 0;
    for (let i = 0; i < stream.length; i++) {
      const out = c.push(true, stream.subarray(i, i + 1));
      if (out.magic) magic++;
      for (const f of out.frames) seen.push(`${f.type}:${f.streamId}:${f.error ?? ''}:${f.message ? `${f.message.method} ${f.message.scheme}://${f.message.authority}${f.message.path}` : ''}`);
    }
    expect(magic).toBe(1);
    expect(seen).toEqual(['4:0::', '1:1::', '9:1::GET http://www.example.com/', '8:0::']);
  });

  it('flags frames that break the rules and keeps reading', () => {
    const c = new Http2Connection(false);
    const out = c.push(false, concat(frame(8, 0, 0, hex('000000')), frame(3, 0, 1, hex('00000008')), frame(6, 0, 0, hex('0102')), frame(0, 0x08, 1, Uint8Array.of(9, 1, 2)), frame(4, 0, 0, hex('000100'))));
    expect(out.frames.map((f) => f.error !== null)).toEqual([true, false, true, true, true]);
    expect(out.frames[1].errorCode).toBe(8);
  });

  it('a header block cut by another frame loses the table: later blocks say so instead of guessing', () => {
    const c = new Http2Connection(false);
    const out = c.push(true, concat(frame(1, 0, 1, REQUEST_BLOCK.subarray(0, 4)), frame(0, 0, 1, bytes('x')), frame(1, 0x04, 3, REQUEST_BLOCK)));
    expect(out.frames[1].error).toMatch(/expected CONTINUATION/);
    expect(out.frames[2].block?.error).toMatch(/state lost/);
  });
});

describe('the dissector on hostile streams', () => {
  it('never throws on random bytes, whatever protocol they start like', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const starts = [bytes(CLIENT_PREFACE), bytes('GET / HTTP/1.1\r\n'), bytes('HTTP/1.1 200 OK\r\n'), hex('000000040000000000')];
    for (let run = 0; run < 100; run++) {
      const d = new HttpDissector();
      const start = starts[run % starts.length];
      let seq = 0;
      for (let n = 0; n < 20; n++) {
        const chunk = n === 0 ? concat(start, Uint8Array.from({ length: 50 }, () => Math.floor(random() * 256))) : Uint8Array.from({ length: Math.floor(random() * 300) }, () => Math.floor(random() * 256));
        expect(() => d.segment(1, n % 3 !== 1, seq, chunk, n + 1)).not.toThrow();
        seq += chunk.length;
      }
    }
  });
});
