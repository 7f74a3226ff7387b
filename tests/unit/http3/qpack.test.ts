/**
 * QPACK against RFC 9204 Appendix B's examples and the Huffman code against RFC 7541 C.4's
 * strings and Scapy's own HPACK Huffman encoder (an independent implementation).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { huffmanDecode } from '../../../shared/http2/hpack/huffman';
import { QpackDecoder } from '../../../shared/http3/qpack';
import { Http3Connection } from '../../../shared/http3/session';

const hex = (text: string) => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
const text = (bytes: Uint8Array | string) => (typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('latin1'));
const hasScapy = spawnSync('/usr/bin/python3', ['-c', 'import scapy.contrib.http2']).status === 0;

describe('Huffman (RFC 7541 Appendix B)', () => {
  it('decodes the strings of RFC 7541 C.4', () => {
    expect(text(huffmanDecode(hex('f1e3 c2e5 f23a 6ba0 ab90 f4ff')))).toBe('www.example.com');
    expect(text(huffmanDecode(hex('a8eb 1064 9cbf')))).toBe('no-cache');
    expect(text(huffmanDecode(hex('25a8 49e9 5ba9 7d7f')))).toBe('custom-key');
    expect(text(huffmanDecode(hex('25a8 49e9 5bb8 e8b4 bf')))).toBe('custom-value');
  });

  it.skipIf(!hasScapy)('decodes every byte value as Scapy encodes it', () => {
    const inputs = ['', 'a', '/index.html', 'Mozilla/5.0 (X11; Linux x86_64)', Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('latin1')];
    const script = 'import sys,json\nfrom scapy.contrib.http2 import HPackZString\nfor s in json.load(sys.stdin): print(bytes(HPackZString(s.encode("latin1"))).hex())';
    const encoded = execFileSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify(inputs), encoding: 'utf8' }).split('\n');
    inputs.forEach((input, i) => expect(text(huffmanDecode(hex(encoded[i] ?? '')))).toBe(input));
  });

  it('refuses bad padding and an EOS inside the string', () => {
    expect(huffmanDecode(hex('f1e3 c2e5 f23a 6ba0 ab90 f4'))).toMatch(/padding|invalid/);
    expect(huffmanDecode(hex('ffff ffff'))).toMatch(/EOS|padding|invalid/);
    expect(huffmanDecode(hex('00'))).toMatch(/padding/);
  });
});

describe('QPACK (RFC 9204 Appendix B)', () => {
  it('B.1: a literal field line with a static name reference', () => {
    const section = new QpackDecoder(huffmanDecode).decode(hex('0000 510b 2f69 6e64 6578 2e68 746d 6c'));
    expect(section).toEqual({ fields: [[':path', '/index.html']], error: null, blocked: false });
  });

  it('B.2: the dynamic table from the encoder stream, post-base indexes', () => {
    const decoder = new QpackDecoder(huffmanDecode, 220);
    decoder.encoderStream(hex('3fbd01 c00f7777772e6578616d706c652e636f6d c10c2f73616d706c652f70617468'));
    expect(decoder.insertCount).toBe(2);
    expect(decoder.decode(hex('0381 10 11'))).toEqual({
      fields: [
        [':authority', 'www.example.com'],
        [':path', '/sample/path'],
      ],
      error: null,
      blocked: false,
    });
  });

  it('an encoder instruction split across STREAM frames, and a field section that needs inserts not seen', () => {
    const decoder = new QpackDecoder(huffmanDecode, 220);
    decoder.encoderStream(hex('3fbd01 c00f7777772e6578'));
    expect(decoder.insertCount).toBe(0);
    decoder.encoderStream(hex('616d706c652e636f6d'));
    expect(decoder.insertCount).toBe(1);
    const blocked = decoder.decode(hex('0381 10 11'));
    expect(blocked.blocked).toBe(true);
    expect(blocked.error).toMatch(/needs 2 dynamic table inserts, 1 seen/);
  });

  it('hostile sections give reasons, never throw', () => {
    const decoder = new QpackDecoder(huffmanDecode, 0);
    expect(decoder.decode(hex('0000 ff ff ff ff ff ff ff ff ff 7f')).error).toBeTruthy(); // static index out of range / too large
    expect(decoder.decode(hex('0000 5f')).error).toMatch(/truncated/);
    expect(decoder.decode(hex('0500')).error).toMatch(/impossible with a table capacity of 0/);
    expect(decoder.decode(hex('0000 27 ff ff ff ff 0f')).error).toBeTruthy(); // a huge literal name length
  });
});

describe('HTTP/3 streams', () => {
  it('reads a control stream and a request across out-of-order STREAM frames', () => {
    const h3 = new Http3Connection(huffmanDecode);
    // Control stream 2: type 0, SETTINGS {QPACK_MAX_TABLE_CAPACITY: 0, MAX_FIELD_SECTION_SIZE: 65536}.
    const settings = h3.stream('client', 2, 0, hex('00 04 07 01 00 06 80 01 00 00'), 1);
    expect(settings).toEqual([
      expect.objectContaining({ kind: 'stream-type', streamType: 0 }),
      expect.objectContaining({ kind: 'frame', frameType: 4, settings: [[1, 0], [6, 65536]] }),
    ]);
    // Request stream 0: HEADERS (B.1's section) split in two, the second half first.
    const headers = hex('01 0f 0000 510b 2f69 6e64 6578 2e68 746d 6c');
    expect(h3.stream('client', 0, 6, headers.subarray(6), 2)).toEqual([]);
    const done = h3.stream('client', 0, 0, headers.subarray(0, 6), 3);
    expect(done).toEqual([expect.objectContaining({ kind: 'frame', frameType: 1, headers: [[':path', '/index.html']] })]);
    // Response: HEADERS with :status 200 (static 25), then a DATA frame of 5 bytes in two pieces.
    expect(h3.stream('server', 0, 0, hex('01 03 0000 d9 00 05 68 65'), 4)).toEqual([expect.objectContaining({ frameType: 1, headers: [[':status', '200']] })]);
    expect(h3.stream('server', 0, 9, hex('6c 6c 6f'), 5)).toEqual([expect.objectContaining({ frameType: 0, length: 5 })]);
    expect(h3.allRequests()).toEqual([{ streamId: 0, method: null, authority: null, path: '/index.html', scheme: null, status: 200, requestFrame: 3, responseFrame: 4 }]);
    // A retransmission of the request shows its HEADERS again, as tshark does.
    expect(h3.stream('client', 0, 0, headers, 6)).toEqual([expect.objectContaining({ frameType: 1 })]);
  });
});
