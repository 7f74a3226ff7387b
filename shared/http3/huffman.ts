/**
 * The HPACK/QPACK static Huffman code (RFC 7541 Appendix B, used by QPACK per RFC 9204 §4.1.2).
 * The code is canonical, so its 257 code lengths determine it; decoding walks the code
 * lengths bit by bit. Kept small here until the HTTP/2 engineer's HPACK decoder lands in
 * shared/http2; then this file should re-export that one.
 */

/** Code length of each symbol 0..256 (256 = EOS), written as letters: 'A' = 5 bits … 'Z' = 30 bits. */
const LENGTHS =
  'ISXXXXXXXTZXXZXXXXXXXXZXXXXXXXXXBFFHIBDGFFDGDBBBAAABBBBBBBCDKBHFIBCCCCCCCCCCCCCCCCCCCCCCDCDIOIJBKABABABBBACCBBBABCBAABCCCCCKGJIXPRPPRRRSRSSSSSTSTTRSTSSSSQRSRSSTRQPRRSSQSRRTQRSSQQRQSRSSPRRRSRRSVVPORSRUVVVWWVTUOQVWWVWTQQVVXWWWPTPQRQQSRRUUTTVSVWVVWWWWWXWWWWWVZ';

const EOS = 256;
const MAX_LENGTH = 30;

interface Table {
  /** Symbols sorted by (length, value): the canonical order. */
  symbols: number[];
  /** Per length: the first code of that length, and where its symbols start in `symbols`. */
  firstCode: number[];
  count: number[];
  start: number[];
}

let table: Table | null = null;

function build(): Table {
  const lengths = [...LENGTHS].map((c) => c.charCodeAt(0) - 65 + 5);
  const symbols = lengths.map((_, symbol) => symbol).sort((a, b) => lengths[a] - lengths[b] || a - b);
  const count = new Array<number>(MAX_LENGTH + 1).fill(0);
  for (const length of lengths) count[length]++;
  const firstCode = new Array<number>(MAX_LENGTH + 1).fill(0);
  const start = new Array<number>(MAX_LENGTH + 1).fill(0);
  let code = 0;
  let index = 0;
  for (let length = 1; length <= MAX_LENGTH; length++) {
    firstCode[length] = code;
    start[length] = index;
    code = (code + count[length]) * 2;
    index += count[length];
  }
  return { symbols, firstCode, count, start };
}

/** Decodes a Huffman-coded string literal; a string says why it is invalid (RFC 7541 §5.2). */
export function huffmanDecode(bytes: Uint8Array): Uint8Array | string {
  table ??= build();
  const out: number[] = [];
  let code = 0;
  let length = 0;
  for (let i = 0; i < bytes.length; i++) {
    for (let bit = 7; bit >= 0; bit--) {
      code = code * 2 + ((bytes[i] >> bit) & 1);
      length++;
      const offset = code - table.firstCode[length];
      if (offset >= 0 && offset < table.count[length]) {
        const symbol = table.symbols[table.start[length] + offset];
        if (symbol === EOS) return 'EOS symbol inside a Huffman-coded string';
        out.push(symbol);
        code = 0;
        length = 0;
      } else if (length >= MAX_LENGTH) {
        return 'invalid Huffman code';
      }
    }
  }
  // Padding: fewer than 8 bits, all ones (the most significant bits of EOS).
  if (length > 7) return 'Huffman padding longer than 7 bits';
  if (code !== 2 ** length - 1) return 'Huffman padding is not all ones';
  return Uint8Array.from(out);
}
