/**
 * Evaluates a parsed display filter against one frame's fields.
 *
 * Semantics follow Wireshark: a field may occur several times in a frame (or be an
 * alias for several fields), `==` and the ordering operators are true when ANY
 * occurrence matches, `!=` is true when the field is present and NO occurrence equals
 * the value, `===` when ALL occurrences equal it, `!==` when ANY differs, and any
 * comparison with an absent field is false.
 */
import { encodeUtf8 } from '../files/utf8';
import { formatIpv6, isIpv6Text, parseIpv6, toHex } from '../wire/bytes';
import { BYTE_FIELDS } from '../wire/json';
import { filterFields, parseFilter, type ByteSlice, type CompareOp, type FilterError, type FilterLiteral, type FilterNode, type Operand, type ParseOptions, type SetItem, type TextPattern } from './parse';

export type FieldValue = number | boolean | string;

/** Gives a field's value(s) in the current frame, or undefined when absent. */
export type FieldSource = (name: string) => FieldValue | readonly FieldValue[] | undefined;

/** Names that stand for either direction, as in Wireshark. */
export const FIELD_ALIASES: Readonly<Record<string, readonly string[]>> = {
  'ip.addr': ['ip.src', 'ip.dst'],
  'ipv6.addr': ['ipv6.src', 'ipv6.dst'],
  'eth.addr': ['eth.src', 'eth.dst'],
  'tcp.port': ['tcp.srcport', 'tcp.dstport'],
  'udp.port': ['udp.srcport', 'udp.dstport'],
};

/** A literal as the colon-separated lower-case hex its bytes print as. */
const byteCache = new WeakMap<FilterLiteral, string>();
function literalBytes(literal: FilterLiteral): string {
  let hex = byteCache.get(literal);
  if (hex !== undefined) return hex;
  // The spelling, not the number: "02" is the byte 02, not the text "2".
  const text = literal.kind === 'string' ? literal.value : literal.text;
  hex = literal.kind !== 'string' && /^[0-9a-f]{2}(?:[:.-][0-9a-f]{2})*$/i.test(text) ? text.toLowerCase().replace(/[.-]/g, ':') : toHex(encodeUtf8(text), ':');
  byteCache.set(literal, hex);
  return hex;
}

/** `contains` and `==` on a byte field (BYTE_FIELDS) take a byte string (`47:45:54`, `47-45-54`) or a quoted text, as its UTF-8 bytes. */
function compareBytes(actual: FieldValue, op: CompareOp, literal: FilterLiteral): boolean {
  if (typeof actual !== 'string') return false;
  const wanted = literalBytes(literal);
  // Both are "hh:hh:…", whose colons fall every third character: a match can only start on a byte.
  if (op === 'contains') return actual.includes(wanted);
  if (op === '==') return actual === wanted;
  if (op === '!=') return actual !== wanted;
  return false;
}

export function isAlias(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(FIELD_ALIASES, name);
}

const HEX_BYTES = /^(?:[0-9a-f]{2}(?::[0-9a-f]{2})*)?$/;
const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** A value's bytes: byte fields and MACs print as "hh:hh:…", IPv4/IPv6 as addresses, text as UTF-8. */
function valueBytes(value: FieldValue, kind: Operand['fieldKind']): Uint8Array | null {
  if (typeof value !== 'string') return null;
  if (kind !== 'text') {
    if (HEX_BYTES.test(value)) return value === '' ? new Uint8Array(0) : Uint8Array.from(value.split(':'), (h) => parseInt(h, 16));
    if (IPV4.test(value)) return Uint8Array.from(value.split('.'), Number);
    if (value.includes(':') && isIpv6Text(value)) return parseIpv6(value);
  }
  return encodeUtf8(value);
}

/** The bytes a slice selects, as "hh:hh:…", or null when the range falls outside the value (no match, as in Wireshark). */
function sliceBytes(bytes: Uint8Array, slice: ByteSlice): string | null {
  const n = bytes.length;
  const start = slice.start < 0 ? n + slice.start : slice.start;
  const end = slice.length !== null ? start + slice.length : slice.end !== null ? (slice.end < 0 ? n + slice.end : slice.end) + 1 : n;
  if (start < 0 || end > n || start >= end) return null;
  return toHex(bytes.subarray(start, end), ':');
}

/** The values an operand stands for in this frame: the field's, sliced, then through its function. */
function operandValues(source: FieldSource, operand: Operand): FieldValue[] {
  let values = collect(source, operand.field);
  if (operand.slice) {
    const sliced: FieldValue[] = [];
    for (const value of values) {
      const bytes = valueBytes(value, operand.fieldKind);
      const part = bytes ? sliceBytes(bytes, operand.slice) : null;
      if (part !== null) sliced.push(part);
    }
    values = sliced;
  }
  switch (operand.fn) {
    case undefined:
      return values;
    case 'count':
      return values.length > 0 ? [values.length] : [];
    case 'upper':
    case 'lower':
      return values.filter((v): v is string => typeof v === 'string').map((v) => (operand.fn === 'upper' ? v.toUpperCase() : v.toLowerCase()));
    case 'len':
      return values.map((value) => {
        if (operand.slice && typeof value === 'string') return value === '' ? 0 : (value.length + 1) / 3;
        if (typeof value !== 'string') return operand.width ?? 0;
        return valueBytes(value, operand.fieldKind)?.length ?? 0;
      });
  }
}

/** True when the operand's values are byte strings ("hh:hh"), compared as bytes. */
function comparesBytes(operand: Operand): boolean {
  return operand.fn === undefined && (operand.slice !== undefined || BYTE_FIELDS.has(operand.field));
}

function collect(source: FieldSource, field: string): FieldValue[] {
  const names = isAlias(field) ? FIELD_ALIASES[field] : [field];
  const values: FieldValue[] = [];
  for (const name of names) {
    const value = source(name);
    if (value === undefined) continue;
    if (Array.isArray(value)) values.push(...(value as readonly FieldValue[]));
    else values.push(value as FieldValue);
  }
  return values;
}

/** Parses "a.b.c.d" or "a.b.c.d/n" into a 32-bit number and mask, or null. */
function parseIPv4Prefix(text: string): { address: number; mask: number } | null {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(text);
  if (!match) return null;
  const octets = match.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return null;
  const bits = match[5] === undefined ? 32 : Number(match[5]);
  if (bits > 32) return null;
  const address = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { address, mask };
}

/**
 * An unquoted literal in the form the decoder prints: IPv6 compressed per RFC 5952,
 * MAC addresses lower case with colons; anything else lower case.
 */
const canonicalCache = new WeakMap<FilterLiteral, string>();
function canonicalWord(literal: FilterLiteral): string {
  let text = canonicalCache.get(literal);
  if (text !== undefined) return text;
  text = literal.text.toLowerCase();
  if (/^[0-9a-f]{2}([:-])(?:[0-9a-f]{2}\1){4}[0-9a-f]{2}$/.test(text)) {
    text = text.replace(/-/g, ':');
  } else if (text.includes(':') && isIpv6Text(text)) {
    try {
      text = formatIpv6(parseIpv6(text));
    } catch {
      // not an address after all: compared as typed
    }
  }
  canonicalCache.set(literal, text);
  return text;
}

/** Parsed IPv4 (prefix) literals, computed once per filter rather than once per frame. */
const prefixCache = new WeakMap<FilterLiteral, { address: number; mask: number } | null>();
function literalPrefix(literal: FilterLiteral): { address: number; mask: number } | null {
  if (literal.kind === 'string') return null;
  let prefix = prefixCache.get(literal);
  if (prefix === undefined) {
    prefix = parseIPv4Prefix(literal.text);
    prefixCache.set(literal, prefix);
  }
  return prefix;
}

/** A byte field's "hh:hh:…" as a string of one character per byte, for `matches` (Wireshark matches raw bytes). */
function bytesAsText(hex: string): string {
  let text = '';
  for (let i = 0; i + 1 < hex.length; i += 3) text += String.fromCharCode(parseInt(hex.slice(i, i + 2), 16));
  return text;
}

function compareOne(actual: FieldValue, op: CompareOp, literal: FilterLiteral, pattern: TextPattern | null): boolean {
  if (op === 'contains') {
    return typeof actual === 'string' && actual.includes(String(literal.value));
  }
  if (op === 'matches') {
    return typeof actual === 'string' && pattern !== null && pattern.test(actual);
  }
  if (typeof actual === 'boolean') {
    let expected: boolean | null = null;
    if (literal.kind === 'boolean') expected = literal.value;
    else if (literal.kind === 'number' && (literal.value === 0 || literal.value === 1)) expected = literal.value === 1;
    if (expected === null) return false;
    if (op === '==') return actual === expected;
    return op === '!=' ? actual !== expected : false;
  }
  if (typeof actual === 'number') {
    let expected: number;
    if (literal.kind === 'number') expected = literal.value;
    else if (literal.kind === 'boolean') expected = literal.value ? 1 : 0;
    else return false;
    return ordered(actual - expected, op);
  }
  // Text fields: addresses, names.
  const prefix = literalPrefix(literal);
  if (prefix && prefix.mask === 0xffffffff && (op === '==' || op === '!=')) {
    // A plain address: text equality decides, no parsing per frame.
    return (actual === literal.text) === (op === '==');
  }
  const actualAddress = prefix ? parseIPv4Prefix(actual) : null;
  if (prefix && actualAddress) {
    if (op === '==' || op === '!=') {
      const inside = ((actualAddress.address & prefix.mask) >>> 0) === ((prefix.address & prefix.mask) >>> 0);
      return op === '==' ? inside : !inside;
    }
    return ordered(actualAddress.address - prefix.address, op);
  }
  // Addresses print in lower case and canonical form; compare them that way. Quoted strings are exact.
  const left = literal.kind === 'string' ? actual : actual.toLowerCase();
  const right = literal.kind === 'string' ? String(literal.value) : canonicalWord(literal);
  return ordered(left < right ? -1 : left > right ? 1 : 0, op);
}

function ordered(difference: number, op: CompareOp): boolean {
  switch (op) {
    case '==':
      return difference === 0;
    case '!=':
      return difference !== 0;
    case '>':
      return difference > 0;
    case '<':
      return difference < 0;
    case '>=':
      return difference >= 0;
    case '<=':
      return difference <= 0;
    default:
      return false;
  }
}

export function evaluateFilter(node: FilterNode | null, source: FieldSource): boolean {
  if (!node) return true;
  switch (node.kind) {
    case 'or':
      return node.operands.some((operand) => evaluateFilter(operand, source));
    case 'and':
      return node.operands.every((operand) => evaluateFilter(operand, source));
    case 'not':
      return !evaluateFilter(node.operand, source);
    case 'exists': {
      const values = operandValues(source, node);
      if (node.mask === undefined) return values.length > 0;
      return values.some((value) => masked(value, node.mask as number) !== 0);
    }
    case 'compare': {
      let values = operandValues(source, node);
      if (node.mask !== undefined) {
        const mask = node.mask;
        values = values.filter((value) => typeof value !== 'string').map((value) => masked(value, mask));
      }
      if (values.length === 0) return false;
      const bytes = comparesBytes(node);
      const one = bytes && node.op !== 'matches'
        ? (value: FieldValue, op: CompareOp) => compareBytes(value, op, node.value)
        : bytes
          ? (value: FieldValue, op: CompareOp) => typeof value === 'string' && compareOne(bytesAsText(value), op, node.value, node.pattern)
          : (value: FieldValue, op: CompareOp) => compareOne(value, op, node.value, node.pattern);
      switch (node.op) {
        case '!=':
        case '===':
          return values.every((value) => one(value, node.op === '!=' ? '!=' : '=='));
        case '!==':
          return values.some((value) => one(value, '!='));
        default:
          return values.some((value) => one(value, node.op));
      }
    }
    case 'in':
      return operandValues(source, node).some((value) => node.items.some((item) => inItem(value, item)));
  }
}

/** A number's (or a boolean's 0/1) bits under `mask`; text has none. */
function masked(value: FieldValue, mask: number): number {
  if (typeof value === 'string') return 0;
  const number = typeof value === 'boolean' ? (value ? 1 : 0) : value;
  // Field values fit in 53 bits; & would cut them to 32, so split the mask.
  const high = Math.floor(number / 2 ** 32) & Math.floor(mask / 2 ** 32);
  return (high >>> 0) * 2 ** 32 + ((number & mask) >>> 0);
}

function inItem(value: FieldValue, item: SetItem): boolean {
  if (item.high === null) return compareOne(value, '==', item.low, null);
  return compareOne(value, '>=', item.low, null) && compareOne(value, '<=', item.high, null);
}

export interface CompiledFilter {
  text: string;
  ast: FilterNode | null;
  /** The underlying field names the filter reads (aliases expanded). */
  fields: ReadonlySet<string>;
  test(source: FieldSource): boolean;
}

export type CompileResult = { ok: true; filter: CompiledFilter } | { ok: false; error: FilterError };

/** Parses and prepares a filter for repeated evaluation. */
export function compileFilter(text: string, options: ParseOptions = {}): CompileResult {
  const parsed = parseFilter(text, options);
  if (!parsed.ok) return parsed;
  const ast = parsed.ast;
  const fields = new Set<string>();
  for (const name of filterFields(ast)) {
    for (const real of isAlias(name) ? FIELD_ALIASES[name] : [name]) fields.add(real);
  }
  return { ok: true, filter: { text, ast, fields, test: (source) => evaluateFilter(ast, source) } };
}
