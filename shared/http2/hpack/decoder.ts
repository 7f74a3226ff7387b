/**
 * HPACK header-block decoding (RFC 7541) with the dynamic table one direction of an HTTP/2
 * connection keeps. Blocks must be fed in the order the peer sent them: each may add entries
 * the next one refers to. Hostile input never throws: a block that does not decode gives an
 * error, and after one the table is no longer trusted (`broken`), as the RFC makes such an error
 * fatal to the connection.
 */
import { decodeUtf8 } from '../../files/utf8';
import { huffmanDecode } from './huffman';
import { STATIC_TABLE } from './static-table';

/** How a field was represented on the wire (RFC 7541 §6). */
export type HpackRepresentation = 'indexed' | 'literal-incremental' | 'literal-without-indexing' | 'literal-never-indexed';

export interface HpackField {
  name: string;
  value: string;
  representation: HpackRepresentation;
  /** The table index used (for the field, or for its name); 0 for a literal name. */
  index: number;
  /** Whether the name and the value came Huffman-coded (false when indexed). */
  huffmanName: boolean;
  huffmanValue: boolean;
  /** Encoded bytes of this representation in the block. */
  length: number;
}

export interface HpackBlock {
  fields: HpackField[];
  /** Dynamic table size updates at the block's start (RFC 7541 §6.3). */
  sizeUpdates: number[];
  error: string | null;
}

/** An entry's size: its name and value octets plus 32 (RFC 7541 §4.1). */
const ENTRY_OVERHEAD = 32;
/** Integers above this are refused (no real header or table needs them). */
const MAX_INTEGER = 2 ** 28;
/** The largest dynamic table accepted, whatever a size update asks (bounds memory). */
const MAX_TABLE_SIZE = 1 << 20;

interface Entry {
  name: string;
  value: string;
  size: number;
  nameOctets: number;
}

class HpackError extends Error {}

export class HpackDecoder {
  /** Newest first: index 62 is entries[0]. */
  private entries: Entry[] = [];
  private size = 0;
  private maxSize: number;
  /** Set after a block failed: the table may be out of step with the encoder's. */
  broken: string | null = null;

  constructor(
    maxSize = 4096,
    /** The limit a size update may not exceed (SETTINGS_HEADER_TABLE_SIZE); null: MAX_TABLE_SIZE. */
    private limit: number | null = null,
  ) {
    this.maxSize = maxSize;
  }

  /** The table's entries, newest first (index 62 first), and its size in RFC 7541 units. */
  get table(): readonly { name: string; value: string; size: number }[] {
    return this.entries;
  }

  get tableSize(): number {
    return this.size;
  }

  get maxTableSize(): number {
    return this.maxSize;
  }

  /** The decoder side's SETTINGS_HEADER_TABLE_SIZE, acknowledged: size updates above it are errors. */
  setLimit(limit: number): void {
    this.limit = Math.min(limit, MAX_TABLE_SIZE);
  }

  decode(block: Uint8Array): HpackBlock {
    const out: HpackBlock = { fields: [], sizeUpdates: [], error: null };
    if (this.broken) {
      out.error = `HPACK state lost after an earlier error (${this.broken})`;
      return out;
    }
    const reader = { at: 0 };
    try {
      let fieldSeen = false;
      while (reader.at < block.length) {
        const start = reader.at;
        const first = block[reader.at];
        if (first & 0x80) {
          const index = readInteger(block, reader, 7);
          if (index === 0) throw new HpackError('indexed field with index 0');
          const [name, value] = this.lookup(index);
          out.fields.push({ name, value, representation: 'indexed', index, huffmanName: false, huffmanValue: false, length: reader.at - start });
          fieldSeen = true;
        } else if ((first & 0xe0) === 0x20) {
          // A size update must come first in a block (RFC 7541 §4.2).
          if (fieldSeen) throw new HpackError('dynamic table size update after a header field');
          const size = readInteger(block, reader, 5);
          if (size > (this.limit ?? MAX_TABLE_SIZE)) throw new HpackError(`dynamic table size update to ${size} exceeds the limit ${this.limit ?? MAX_TABLE_SIZE}`);
          out.sizeUpdates.push(size);
          this.maxSize = size;
          this.evict(0);
        } else {
          const incremental = (first & 0xc0) === 0x40;
          const prefix = incremental ? 6 : 4;
          const representation: HpackRepresentation = incremental ? 'literal-incremental' : first & 0x10 ? 'literal-never-indexed' : 'literal-without-indexing';
          const index = readInteger(block, reader, prefix);
          let name: string;
          let nameOctets: number;
          let huffmanName = false;
          if (index === 0) {
            huffmanName = reader.at < block.length && (block[reader.at] & 0x80) !== 0;
            [name, nameOctets] = readString(block, reader);
          } else {
            name = this.lookup(index)[0];
            nameOctets = this.lookupOctets(index);
          }
          const huffmanValue = reader.at < block.length && (block[reader.at] & 0x80) !== 0;
          const [value, valueOctets] = readString(block, reader);
          if (incremental) this.add(name, value, nameOctets, valueOctets);
          out.fields.push({ name, value, representation, index, huffmanName, huffmanValue, length: reader.at - start });
          fieldSeen = true;
        }
      }
    } catch (error) {
      if (!(error instanceof HpackError)) throw error;
      out.error = `${error.message} at byte ${reader.at} of the header block`;
      this.broken = error.message;
    }
    return out;
  }

  private lookup(index: number): readonly [string, string] {
    if (index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1];
    const entry = this.entries[index - STATIC_TABLE.length - 1];
    if (!entry) throw new HpackError(`index ${index} is beyond the table (${STATIC_TABLE.length} static + ${this.entries.length} dynamic entries)`);
    return [entry.name, entry.value];
  }

  /** The octet length of an indexed entry's name (static names are ASCII). */
  private lookupOctets(index: number): number {
    if (index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1][0].length;
    return this.entries[index - STATIC_TABLE.length - 1].nameOctets;
  }

  private add(name: string, value: string, nameOctets: number, valueOctets: number): void {
    const size = nameOctets + valueOctets + ENTRY_OVERHEAD;
    // An entry larger than the table empties it and is not added (RFC 7541 §4.4).
    if (size > this.maxSize) {
      this.entries = [];
      this.size = 0;
      return;
    }
    this.evict(size);
    this.entries.unshift({ name, value, size, nameOctets });
    this.size += size;
  }

  /** Evicts oldest entries until `incoming` more octets fit. */
  private evict(incoming: number): void {
    while (this.entries.length > 0 && this.size + incoming > this.maxSize) this.size -= this.entries.pop()!.size;
  }
}

/** An integer with an N-bit prefix (RFC 7541 §5.1). */
export function readInteger(bytes: Uint8Array, reader: { at: number }, prefixBits: number): number {
  if (reader.at >= bytes.length) throw new HpackError('header block ends inside an integer');
  const max = (1 << prefixBits) - 1;
  let value = bytes[reader.at++] & max;
  if (value < max) return value;
  let shift = 0;
  for (;;) {
    if (reader.at >= bytes.length) throw new HpackError('header block ends inside an integer');
    const byte = bytes[reader.at++];
    value += (byte & 0x7f) * 2 ** shift;
    if (value > MAX_INTEGER) throw new HpackError('integer too large');
    shift += 7;
    if ((byte & 0x80) === 0) return value;
  }
}

/** A string literal (RFC 7541 §5.2), Huffman-coded or not: its text (UTF-8, invalid bytes replaced) and its octet count. */
function readString(bytes: Uint8Array, reader: { at: number }): [string, number] {
  if (reader.at >= bytes.length) throw new HpackError('header block ends before a string');
  const huffman = (bytes[reader.at] & 0x80) !== 0;
  const length = readInteger(bytes, reader, 7);
  if (reader.at + length > bytes.length) throw new HpackError(`string of ${length} octets runs past the header block`);
  const raw = bytes.subarray(reader.at, reader.at + length);
  reader.at += length;
  if (!huffman) return [decodeUtf8(raw, 0, raw.length), raw.length];
  const decoded = huffmanDecode(raw);
  if (typeof decoded === 'string') throw new HpackError(decoded);
  return [decodeUtf8(decoded, 0, decoded.length), decoded.length];
}
