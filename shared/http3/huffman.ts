/** Placeholder until the HPACK Huffman decoder (shared/http2) lands: Huffman strings are reported, not decoded. */
export function huffmanDecode(bytes: Uint8Array): Uint8Array | string {
  return `Huffman-coded string of ${bytes.length} bytes not decoded`;
}
