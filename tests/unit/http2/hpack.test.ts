/**
 * HPACK against RFC 7541 Appendix C: every example of C.2 to C.6 (with and without Huffman),
 * the decoded header lists and the dynamic table after each block, and C.1's integers.
 * Also the Huffman code against Appendix B's published codes, and hostile blocks.
 */
import { describe, expect, it } from 'vitest';
import { HpackDecoder, huffmanCodes, huffmanDecode, readInteger } from '../../../shared/http2/hpack';

const hex = (text: string) => Uint8Array.from((text.replace(/\s+/g, '').match(/../g) ?? []).map((b) => parseInt(b, 16)));
const pairs = (decoder: HpackDecoder, block: string) => {
  const out = decoder.decode(hex(block));
  expect(out.error).toBeNull();
  return out.fields.map((f) => [f.name, f.value]);
};
const table = (decoder: HpackDecoder) => ({ entries: decoder.table.map((e) => [e.size, `${e.name}: ${e.value}`]), size: decoder.tableSize });

describe('RFC 7541 C.1 integers', () => {
  it('decodes 10 and 1337 with a 5-bit prefix and 42 on a byte boundary', () => {
    expect(readInteger(Uint8Array.of(0b11101010), { at: 0 }, 5)).toBe(10);
    expect(readInteger(Uint8Array.of(0b00011111, 0b10011010, 0b00001010), { at: 0 }, 5)).toBe(1337);
    expect(readInteger(Uint8Array.of(42), { at: 0 }, 8)).toBe(42);
  });
});

describe('RFC 7541 C.2 header field representations', () => {
  it('C.2.1 literal with indexing', () => {
    const d = new HpackDecoder();
    expect(pairs(d, '400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572')).toEqual([['custom-key', 'custom-header']]);
    expect(table(d)).toEqual({ entries: [[55, 'custom-key: custom-header']], size: 55 });
  });
  it('C.2.2 literal without indexing', () => {
    const d = new HpackDecoder();
    const block = d.decode(hex('040c 2f73 616d 706c 652f 7061 7468'));
    expect(block.fields.map((f) => [f.name, f.value, f.representation, f.index])).toEqual([[':path', '/sample/path', 'literal-without-indexing', 4]]);
    expect(table(d)).toEqual({ entries: [], size: 0 });
  });
  it('C.2.3 literal never indexed', () => {
    const d = new HpackDecoder();
    const block = d.decode(hex('1008 7061 7373 776f 7264 0673 6563 7265 74'));
    expect(block.fields.map((f) => [f.name, f.value, f.representation])).toEqual([['password', 'secret', 'literal-never-indexed']]);
    expect(table(d)).toEqual({ entries: [], size: 0 });
  });
  it('C.2.4 indexed field', () => {
    const d = new HpackDecoder();
    expect(pairs(d, '82')).toEqual([[':method', 'GET']]);
    expect(table(d)).toEqual({ entries: [], size: 0 });
  });
});

const REQUESTS = [
  [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com']],
  [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com'], ['cache-control', 'no-cache']],
  [[':method', 'GET'], [':scheme', 'https'], [':path', '/index.html'], [':authority', 'www.example.com'], ['custom-key', 'custom-value']],
];
const REQUEST_TABLES = [
  { entries: [[57, ':authority: www.example.com']], size: 57 },
  { entries: [[53, 'cache-control: no-cache'], [57, ':authority: www.example.com']], size: 110 },
  { entries: [[54, 'custom-key: custom-value'], [53, 'cache-control: no-cache'], [57, ':authority: www.example.com']], size: 164 },
];
const RESPONSES = [
  [[':status', '302'], ['cache-control', 'private'], ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'], ['location', 'https://www.example.com']],
  [[':status', '307'], ['cache-control', 'private'], ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'], ['location', 'https://www.example.com']],
  [
    [':status', '200'],
    ['cache-control', 'private'],
    ['date', 'Mon, 21 Oct 2013 20:13:22 GMT'],
    ['location', 'https://www.example.com'],
    ['content-encoding', 'gzip'],
    ['set-cookie', 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1'],
  ],
];
const RESPONSE_TABLES = [
  { entries: [[63, 'location: https://www.example.com'], [65, 'date: Mon, 21 Oct 2013 20:13:21 GMT'], [52, 'cache-control: private'], [42, ':status: 302']], size: 222 },
  { entries: [[42, ':status: 307'], [63, 'location: https://www.example.com'], [65, 'date: Mon, 21 Oct 2013 20:13:21 GMT'], [52, 'cache-control: private']], size: 222 },
  { entries: [[98, 'set-cookie: foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1'], [52, 'content-encoding: gzip'], [65, 'date: Mon, 21 Oct 2013 20:13:22 GMT']], size: 215 },
];

const SEQUENCES: { name: string; tableSize: number; blocks: string[]; lists: string[][][]; tables: typeof REQUEST_TABLES }[] = [
  {
    name: 'C.3 requests without Huffman',
    tableSize: 4096,
    blocks: ['8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d', '8286 84be 5808 6e6f 2d63 6163 6865', '8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65'],
    lists: REQUESTS,
    tables: REQUEST_TABLES,
  },
  {
    name: 'C.4 requests with Huffman',
    tableSize: 4096,
    blocks: ['8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff', '8286 84be 5886 a8eb 1064 9cbf', '8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf'],
    lists: REQUESTS,
    tables: REQUEST_TABLES,
  },
  {
    name: 'C.5 responses without Huffman (256-octet table, evictions)',
    tableSize: 256,
    blocks: [
      '4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d',
      '4803 3330 37c1 c0bf',
      '88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31',
    ],
    lists: RESPONSES,
    tables: RESPONSE_TABLES,
  },
  {
    name: 'C.6 responses with Huffman (256-octet table, evictions)',
    tableSize: 256,
    blocks: [
      '4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3',
      '4883 640e ffc1 c0bf',
      '88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07',
    ],
    lists: RESPONSES,
    tables: RESPONSE_TABLES,
  },
];

describe('RFC 7541 C.3–C.6 header lists on one connection', () => {
  for (const sequence of SEQUENCES) {
    it(sequence.name, () => {
      const d = new HpackDecoder(sequence.tableSize);
      sequence.blocks.forEach((block, n) => {
        expect(pairs(d, block)).toEqual(sequence.lists[n]);
        expect(table(d)).toEqual(sequence.tables[n]);
      });
    });
  }
});

describe('Huffman code (RFC 7541 Appendix B)', () => {
  it('assigns the published codes', () => {
    const codes = huffmanCodes();
    const published: [number, number, number][] = [
      [0, 0x1ff8, 13], [1, 0x7fffd8, 23], [10, 0x3ffffffc, 30], [32, 0x14, 6], [48, 0x0, 5], [58, 0x5c, 7], [88, 0xfc, 8], [92, 0x7fff0, 19],
      [97, 0x3, 5], [127, 0xffffffc, 28], [128, 0xfffe6, 20], [199, 0x1ffffec, 25], [200, 0x3ffffe2, 26], [254, 0x7fffff0, 27], [255, 0x3ffffee, 26], [256, 0x3fffffff, 30],
    ];
    for (const [symbol, code, length] of published) expect(codes[symbol], `symbol ${symbol}`).toEqual({ code, length });
  });
  it('is a complete prefix code (Kraft sum exactly 1)', () => {
    expect(huffmanCodes().reduce((sum, { length }) => sum + 2 ** -length, 0)).toBe(1);
  });
  it('refuses bad padding and EOS', () => {
    expect(huffmanDecode(hex('f1e3 c2e5 f23a 6ba0 ab90 f4ff'))).toEqual(Uint8Array.from('www.example.com', (c) => c.charCodeAt(0)));
    expect(typeof huffmanDecode(hex('f1e3 c2e5 f23a 6ba0 ab90 f4ff ff'))).toBe('string'); // 8+ bits of padding
    expect(typeof huffmanDecode(hex('00'))).toBe('string'); // '0' then three zero bits: padding not all ones
    expect(typeof huffmanDecode(hex('ffff ffff'))).toBe('string'); // EOS
  });
});

describe('hostile blocks', () => {
  it('gives an error, never throws, and marks the table as lost', () => {
    const d = new HpackDecoder();
    expect(d.decode(hex('80')).error).toMatch(/index 0/);
    expect(d.decode(hex('82')).error).toMatch(/state lost/);
    expect(new HpackDecoder().decode(hex('be')).error).toMatch(/beyond the table/);
    expect(new HpackDecoder().decode(hex('40 7f ff ff ff ff 0f')).error).toMatch(/too large|runs past/);
    expect(new HpackDecoder().decode(hex('41 0a 6162')).error).toMatch(/runs past/);
    expect(new HpackDecoder().decode(hex('82 3f e1 1f')).error).toMatch(/after a header field/);
    expect(new HpackDecoder(4096, 4096).decode(hex('3f e2 1f')).error).toMatch(/exceeds/);
  });
  it('applies a size update at a block start', () => {
    const d = new HpackDecoder();
    pairs(d, '400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572');
    const out = d.decode(hex('20 82'));
    expect(out.sizeUpdates).toEqual([0]);
    expect(d.tableSize).toBe(0);
  });
});
