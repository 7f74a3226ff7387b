/**
 * Byte-level reads and the textual forms of link and network addresses.
 * Everything works on plain Uint8Array so the core stays environment-neutral.
 */

export function readU8(bytes: Uint8Array, offset: number): number {
  return bytes[offset];
}

export function readU16(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] << 8) | bytes[offset + 1];
}

/** Unsigned: `>>> 0` keeps values above 2^31 positive. */
export function readU32(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3]) >>> 0;
}

export function readU32LE(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset + 3] << 24) | (bytes[offset + 2] << 16) | (bytes[offset + 1] << 8) | bytes[offset]) >>> 0;
}

export function writeU16(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = (value >>> 8) & 0xff;
  bytes[offset + 1] = value & 0xff;
}

export function writeU32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = (value >>> 24) & 0xff;
  bytes[offset + 1] = (value >>> 16) & 0xff;
  bytes[offset + 2] = (value >>> 8) & 0xff;
  bytes[offset + 3] = value & 0xff;
}

/**
 * Reads `bitWidth` bits (1..32) starting `bitOffset` bits after `byteOffset`, most significant bit first,
 * the way header diagrams number bits.
 */
export function readBits(bytes: Uint8Array, byteOffset: number, bitOffset: number, bitWidth: number): number {
  let value = 0;
  let bit = bitOffset;
  for (let remaining = bitWidth; remaining > 0; ) {
    const index = byteOffset + (bit >>> 3);
    const bitInByte = bit & 7;
    const take = Math.min(8 - bitInByte, remaining);
    const chunk = (bytes[index] >>> (8 - bitInByte - take)) & ((1 << take) - 1);
    value = value * (1 << take) + chunk; // multiplication keeps 32-bit values unsigned
    bit += take;
    remaining -= take;
  }
  return value;
}

/** The inverse of readBits; bits outside the field are left untouched. */
export function writeBits(bytes: Uint8Array, byteOffset: number, bitOffset: number, bitWidth: number, value: number): void {
  let bit = bitOffset + bitWidth;
  let rest = value;
  for (let remaining = bitWidth; remaining > 0; ) {
    const endBitInByte = ((bit - 1) & 7) + 1; // bits of this byte that precede `bit`
    const take = Math.min(endBitInByte, remaining);
    const index = byteOffset + ((bit - 1) >>> 3);
    const shift = 8 - endBitInByte;
    const mask = ((1 << take) - 1) << shift;
    const chunk = rest % (1 << take);
    bytes[index] = (bytes[index] & ~mask) | ((chunk << shift) & mask);
    rest = Math.floor(rest / (1 << take));
    bit -= take;
    remaining -= take;
  }
}

const HEX_DIGITS = '0123456789abcdef';

/** Lowercase hex, optionally with a separator between bytes (tshark prints bytes as `aa:bb`). */
export function toHex(bytes: Uint8Array, separator = '', start = 0, end = bytes.length): string {
  let text = '';
  for (let i = start; i < end; i++) {
    if (i > start) text += separator;
    text += HEX_DIGITS[bytes[i] >>> 4] + HEX_DIGITS[bytes[i] & 15];
  }
  return text;
}

/** Accepts `aabb`, `aa:bb`, `aa bb` or `aa-bb`; throws on anything else. */
export function fromHex(text: string): Uint8Array {
  const compact = text.replace(/[\s:.-]/g, '');
  if (compact.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(compact)) {
    throw new SyntaxError(`not a hex byte string: "${text}"`);
  }
  const bytes = new Uint8Array(compact.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(compact.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

export function formatMac(bytes: Uint8Array, offset = 0): string {
  // A capture repeats a few MAC addresses on every frame: recent texts are remembered by value.
  if (offset < 0 || offset + 6 > bytes.length) return toHex(bytes, ':', offset, offset + 6);
  const high = (bytes[offset] << 8) | bytes[offset + 1];
  const low = ((bytes[offset + 2] << 24) | (bytes[offset + 3] << 16) | (bytes[offset + 4] << 8) | bytes[offset + 5]) >>> 0;
  const slot = Math.imul(low ^ Math.imul(high, 0x85ebca6b), 0x9e3779b1) >>> 24;
  const cached = MAC_TEXTS[slot];
  if (cached !== undefined && MAC_HIGH[slot] === high && MAC_LOW[slot] === low) return cached;
  const text = toHex(bytes, ':', offset, offset + 6);
  MAC_HIGH[slot] = high;
  MAC_LOW[slot] = low;
  MAC_TEXTS[slot] = text;
  return text;
}

const MAC_SLOTS = 256;
const MAC_HIGH = new Uint16Array(MAC_SLOTS);
const MAC_LOW = new Uint32Array(MAC_SLOTS);
const MAC_TEXTS: (string | undefined)[] = new Array<string | undefined>(MAC_SLOTS).fill(undefined);

export function formatIpv4(bytes: Uint8Array, offset = 0): string {
  // As formatMac and formatIpv6: a connection's frames repeat its addresses, so recent texts are remembered by value.
  if (offset < 0 || offset + 4 > bytes.length) return ipv4Text(bytes, offset);
  const word = readWord(bytes, offset);
  const slot = Math.imul(word, 0x9e3779b1) >>> (32 - IPV4_SLOT_BITS);
  const cached = IPV4_TEXTS[slot];
  if (cached !== undefined && IPV4_WORDS[slot] === word) return cached;
  const text = ipv4Text(bytes, offset);
  IPV4_WORDS[slot] = word;
  IPV4_TEXTS[slot] = text;
  return text;
}

function ipv4Text(bytes: Uint8Array, offset: number): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

const IPV4_SLOT_BITS = 12;
const IPV4_WORDS = new Uint32Array(1 << IPV4_SLOT_BITS);
const IPV4_TEXTS: (string | undefined)[] = new Array<string | undefined>(1 << IPV4_SLOT_BITS).fill(undefined);

/** RFC 5952: lowercase, no leading zeros, the longest run (≥ 2) of zero groups as `::`, first run on ties. */
export function formatIpv6(bytes: Uint8Array, offset = 0): string {
  // A capture repeats its addresses on every frame of a connection: recent texts are remembered by value.
  if (offset < 0 || offset + 16 > bytes.length) return ipv6Text(bytes, offset);
  const w0 = readWord(bytes, offset);
  const w1 = readWord(bytes, offset + 4);
  const w2 = readWord(bytes, offset + 8);
  const w3 = readWord(bytes, offset + 12);
  const slot = Math.imul(w0 ^ Math.imul(w1, 31) ^ Math.imul(w2, 961) ^ Math.imul(w3, 29791), 0x9e3779b1) >>> (32 - IPV6_SLOT_BITS);
  const at = slot * 4;
  const cached = IPV6_TEXTS[slot];
  if (cached !== undefined && IPV6_WORDS[at] === w0 && IPV6_WORDS[at + 1] === w1 && IPV6_WORDS[at + 2] === w2 && IPV6_WORDS[at + 3] === w3) return cached;
  const text = ipv6Text(bytes, offset);
  IPV6_WORDS[at] = w0;
  IPV6_WORDS[at + 1] = w1;
  IPV6_WORDS[at + 2] = w2;
  IPV6_WORDS[at + 3] = w3;
  IPV6_TEXTS[slot] = text;
  return text;
}

/** Four bytes as an unsigned word; bytes past the end read as 0 (as `readU16` reads them). */
function readWord(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3]) >>> 0;
}

const IPV6_SLOT_BITS = 10;
const IPV6_WORDS = new Uint32Array(4 << IPV6_SLOT_BITS);
const IPV6_TEXTS: (string | undefined)[] = new Array<string | undefined>(1 << IPV6_SLOT_BITS).fill(undefined);
const IPV6_GROUPS = new Uint16Array(8);

function ipv6Text(bytes: Uint8Array, offset: number): string {
  const groups = IPV6_GROUPS;
  for (let i = 0; i < 8; i++) groups[i] = readU16(bytes, offset + i * 2);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  // RFC 5952 §5: an IPv4-mapped address keeps its dotted tail.
  if (bestStart === 0 && bestLength === 5 && groups[5] === 0xffff) {
    return `::ffff:${formatIpv4(bytes, offset + 12)}`;
  }
  let text = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      text += '::';
      i += bestLength - 1;
      continue;
    }
    if (i > 0 && i !== bestStart + bestLength) text += ':';
    text += groups[i].toString(16);
  }
  return text;
}

export function parseMac(text: string): Uint8Array {
  const parts = text.trim().split(/[:-]/);
  if (parts.length !== 6 || parts.some((part) => !/^[0-9a-fA-F]{1,2}$/.test(part))) {
    throw new SyntaxError(`not a MAC address: "${text}"`);
  }
  return Uint8Array.from(parts.map((part) => parseInt(part, 16)));
}

export function parseIpv4(text: string): Uint8Array {
  const parts = text.trim().split('.');
  if (parts.length !== 4 || parts.some((part) => !/^\d{1,3}$/.test(part) || Number(part) > 255)) {
    throw new SyntaxError(`not an IPv4 address: "${text}"`);
  }
  return Uint8Array.from(parts.map(Number));
}

/** Parses every RFC 4291 text form, including `::` and a dotted IPv4 tail. */
export function parseIpv6(text: string): Uint8Array {
  const fail = (): never => {
    throw new SyntaxError(`not an IPv6 address: "${text}"`);
  };
  let source = text.trim();
  if (source.startsWith('[') && source.endsWith(']')) source = source.slice(1, -1);
  const bytes = new Uint8Array(16);
  const halves = source.split('::');
  if (halves.length > 2) fail();
  const toGroups = (part: string): number[] => {
    if (part === '') return [];
    const groups: number[] = [];
    const pieces = part.split(':');
    pieces.forEach((piece, index) => {
      if (index === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIpv4(piece);
        groups.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(piece)) {
        groups.push(parseInt(piece, 16));
      } else {
        fail();
      }
    });
    return groups;
  };
  const head = toGroups(halves[0]);
  const tail = halves.length === 2 ? toGroups(halves[1]) : [];
  if (halves.length === 1 ? head.length !== 8 : head.length + tail.length > 7) fail();
  const groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  groups.forEach((group, index) => writeU16(bytes, index * 2, group));
  return bytes;
}

export function isIpv6Text(text: string): boolean {
  return text.includes(':');
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

