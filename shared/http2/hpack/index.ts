/** HPACK (RFC 7541): header-block decoding with a per-direction dynamic table. */
export { HpackDecoder, readInteger, type HpackBlock, type HpackField, type HpackRepresentation } from './decoder';
export { huffmanCodes, huffmanDecode, EOS } from './huffman';
export { STATIC_TABLE } from './static-table';
