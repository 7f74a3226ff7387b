/**
 * HPACK's static Huffman code (RFC 7541 Appendix B). The code is canonical: codes of one length
 * are consecutive and follow symbol order, and shorter codes come first, so the 257 code lengths
 * below determine every code. The decoder walks a flat binary tree built once.
 */

/** Code length in bits of symbols 0..255 and EOS (256), from RFC 7541 Appendix B. */
// prettier-ignore
const CODE_LENGTHS: readonly number[] = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, // 0-15
  28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28, // 16-31
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, //  !"#$%&'()*+,-./
  5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10, // 0-9 :;<=>?
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, // @A-O
  7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6, // P-Z [\]^_
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, // `a-o
  6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28, // p-z {|}~ 127
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, // 128-143
  24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, // 144-159
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, // 160-175
  21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23, // 176-191
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, // 192-207
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27, // 208-223
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, // 224-239
  26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, // 240-255
  30, // EOS
];

export const EOS = 256;

/** Each symbol's code (right-aligned) and length, assigned canonically. */
export function huffmanCodes(): { code: number; length: number }[] {
  const symbols = CODE_LENGTHS.map((length, symbol) => ({ symbol, length }));
  symbols.sort((a, b) => a.length - b.length || a.symbol - b.symbol);
  const out: { code: number; length: number }[] = new Array(CODE_LENGTHS.length);
  let code = 0;
  let previous = symbols[0].length;
  for (const { symbol, length } of symbols) {
    code = code * 2 ** (length - previous);
    previous = length;
    out[symbol] = { code, length };
    code += 1;
  }
  return out;
}

/**
 * The decoding tree as two child arrays: node n's children are left[n]/right[n]; a value below 0
 * is a leaf holding symbol -(value + 1). Node 0 is the root.
 */
let tree: { left: Int32Array; right: Int32Array } | null = null;

function decodingTree(): { left: Int32Array; right: Int32Array } {
  if (tree) return tree;
  const left = new Int32Array(512);
  const right = new Int32Array(512);
  let nodes = 1;
  huffmanCodes().forEach(({ code, length }, symbol) => {
    let node = 0;
    for (let bit = length - 1; bit >= 0; bit--) {
      const one = Math.floor(code / 2 ** bit) % 2 === 1;
      const children = one ? right : left;
      if (bit === 0) {
        children[node] = -(symbol + 1);
      } else {
        if (children[node] === 0) children[node] = nodes++;
        node = children[node];
      }
    }
  });
  tree = { left, right };
  return tree;
}

/**
 * Decodes a Huffman-coded string literal into octets. Per RFC 7541 §5.2, padding longer than
 * 7 bits, padding that is not the EOS prefix (all ones), and an EOS symbol inside are errors.
 */
export function huffmanDecode(bytes: Uint8Array): Uint8Array | string {
  const { left, right } = decodingTree();
  const out = new Uint8Array(Math.ceil((bytes.length * 8) / 5));
  let length = 0;
  let node = 0;
  /** Bits read since the last symbol ended, and whether all of them were ones. */
  let pending = 0;
  let allOnes = true;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    for (let bit = 7; bit >= 0; bit--) {
      const one = ((byte >> bit) & 1) === 1;
      const next = one ? right[node] : left[node];
      pending++;
      if (!one) allOnes = false;
      if (next < 0) {
        const symbol = -next - 1;
        if (symbol === EOS) return 'Huffman string contains the EOS symbol';
        out[length++] = symbol;
        node = 0;
        pending = 0;
        allOnes = true;
      } else {
        node = next;
      }
    }
  }
  if (pending > 7) return 'Huffman padding is longer than 7 bits';
  if (!allOnes) return 'Huffman padding is not the EOS prefix';
  return out.subarray(0, length);
}
