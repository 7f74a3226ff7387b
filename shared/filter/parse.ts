/**
 * A small Wireshark-style display-filter language over the field registry's names:
 *
 *   expr    := or
 *   or      := and (('||' | 'or') and)*
 *   and     := unary (('&&' | 'and') unary)*
 *   unary   := ('!' | 'not') unary | primary
 *   primary := '(' expr ')' | OPERAND ['&' NUMBER] [OP VALUE] | OPERAND 'in' SET
 *   OPERAND := FIELD [SLICE] | FUNC '(' FIELD [SLICE] ')'      FUNC := len count upper lower
 *   SLICE   := '[' i:n | i-j | i | :n | i: ']'   (bytes; negative offsets count from the end)
 *   OP      := == != === !== > < >= <= eq ne all_eq any_ne gt lt ge le contains matches ~
 *   VALUE   := "string" | number | address | true | false
 *   SET     := '{' ITEM (','? ITEM)* '}'     ITEM := VALUE | VALUE '..' VALUE
 *
 * A bare FIELD tests that the field is present, as in Wireshark (so `tcp.flags.syn`
 * alone matches every TCP frame; write `tcp.flags.syn == 1` for SYNs). `FIELD & MASK` alone
 * is true when the masked value is not zero (`tcp.flags & 0x12`); with an operator, the
 * masked value is compared. Set items are separated by commas (Wireshark 4) or spaces (3.x).
 * Errors carry the character position, a reason that stands on its own, and sometimes a hint.
 *
 * `matches` (`~`) uses RE2 (re2js): linear time in the text, whatever the pattern, so no
 * filter can stall the engine (Wireshark bounds PCRE2 for the same reason). As in
 * Wireshark, it is case-insensitive unless the pattern says `(?-i)`. Lookaround and
 * backreferences, which RE2 does not have, are refused with the engine's reason.
 * Nesting (parentheses, `not`) is limited to MAX_FILTER_DEPTH levels, so a hostile
 * filter gets an error rather than a stack overflow (tshark's parser stops near 97).
 */
import { RE2JS } from 're2js';

/** `===` (all_eq): every occurrence equals; `!==` (any_ne): some occurrence differs (Wireshark 3.6+). */
export type CompareOp = '==' | '!=' | '===' | '!==' | '>' | '<' | '>=' | '<=' | 'contains' | 'matches';

export type FilterLiteral =
  | { kind: 'number'; value: number; text: string }
  | { kind: 'string'; value: string; text: string }
  | { kind: 'boolean'; value: boolean; text: string }
  /** Addresses and other unquoted words: compared as text, IPv4 with an optional /prefix. */
  | { kind: 'word'; value: string; text: string };

/** A compiled `matches` pattern. */
export interface TextPattern {
  test(text: string): boolean;
}

export type FilterNode =
  /** n-ary, so a long `a || b || …` chain stays one level deep. */
  | { kind: 'or' | 'and'; operands: FilterNode[] }
  | { kind: 'not'; operand: FilterNode }
  | ({ kind: 'exists'; position: number; mask?: number } & Operand)
  | ({ kind: 'compare'; op: CompareOp; value: FilterLiteral; position: number; pattern: TextPattern | null; mask?: number } & Operand)
  | ({ kind: 'in'; items: SetItem[]; position: number } & Operand);

/** A byte range of a field, as Wireshark writes it: `[start:length]`, `[start-end]` (inclusive), `[start]`, `[start:]`. */
export interface ByteSlice {
  start: number;
  /** Bytes taken; null with `end` null: to the end. */
  length: number | null;
  /** Inclusive end offset (may be negative); used when length is null. */
  end: number | null;
}

export type FilterFunction = 'len' | 'count' | 'upper' | 'lower';

/** What an operator compares: a field, maybe a byte slice of it, maybe through a function. */
export interface Operand {
  field: string;
  slice?: ByteSlice;
  fn?: FilterFunction;
  /** What the field holds, when the parser was told (guides slicing and len()). */
  fieldKind?: FilterFieldKind;
  /** len() of a fixed-width number field: its width in bytes. */
  width?: number;
}

/** One member of a set: a value, or an inclusive range `low..high`. */
export interface SetItem {
  low: FilterLiteral;
  high: FilterLiteral | null;
}

export interface FilterError {
  /** 0-based character offset where the problem starts. */
  position: number;
  /** Characters the problem spans (at least 1, except at the end of input). */
  length: number;
  /** One line that stands on its own. */
  message: string;
  /** A suggestion for a later line ("did you mean 'tcp.port'?"), when there is one. */
  hint?: string;
}

export type ParseResult = { ok: true; ast: FilterNode | null } | { ok: false; error: FilterError };

/** What a field holds, as far as operators care; undefined when not known. */
export type FilterFieldKind = 'text' | 'bytes' | 'number' | 'boolean' | 'address' | 'protocol' | 'none';

export interface ParseOptions {
  /** True when `name` is a field (or alias) the filter may use; omit to accept any name. */
  isField?: (name: string) => boolean;
  /** Why a name that is not a field was refused (e.g. a Wireshark field not decoded here), with a hint. */
  unknownField?: (name: string) => { message: string; hint?: string };
  /** The kind of a field, so `matches` on a number or an address is refused as tshark does. */
  fieldKind?: (name: string) => FilterFieldKind | undefined;
  /** A number field's width in bytes (for len()), when fixed. */
  fieldWidth?: (name: string) => number | undefined;
}

const FUNCTIONS: ReadonlySet<string> = new Set(['len', 'count', 'upper', 'lower']);

/** Deepest nesting of parentheses and `not` a filter may have. */
export const MAX_FILTER_DEPTH = 256;

const KIND_WORDS: Record<FilterFieldKind, string> = {
  text: 'text',
  bytes: 'bytes',
  number: 'a number',
  boolean: 'a boolean',
  address: 'an address',
  protocol: 'a protocol',
  none: 'a flag without a value',
};

/** Compiles a `matches` pattern with RE2 semantics, case-insensitive by default as in Wireshark. */
export function compilePattern(source: string): TextPattern {
  const compiled = RE2JS.compile(source, RE2JS.CASE_INSENSITIVE);
  return { test: (text) => compiled.matcher(text).find() };
}

type TokenKind = 'word' | 'string' | 'op' | 'and' | 'or' | 'not' | 'lparen' | 'rparen' | 'lbrace' | 'rbrace' | 'lbracket' | 'rbracket' | 'comma' | 'bitand' | 'end';
interface Token {
  kind: TokenKind;
  text: string;
  /** Decoded value for strings, the operator for ops. */
  value: string;
  position: number;
  length: number;
}

class FilterSyntaxError extends Error {
  constructor(readonly detail: FilterError) {
    super(detail.message);
  }
}

/** Thrown when nesting exceeds MAX_FILTER_DEPTH. */
function tooDeep(position: number): never {
  throw new FilterSyntaxError({
    position,
    length: 1,
    message: `the filter nests deeper than ${MAX_FILTER_DEPTH} levels of parentheses or 'not'`,
    hint: 'remove redundant parentheses',
  });
}

const C_ESCAPES: Readonly<Record<string, string>> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
const WORD_CHAR = /[A-Za-z0-9_.:\-/]/;
// Longest first, so '===' is not read as '==' then '='.
const SYMBOL_OPS = ['===', '!==', '==', '!=', '>=', '<=', '>', '<', '~'] as const;
const WORD_OPS: Record<string, CompareOp> = {
  eq: '==',
  ne: '!=',
  all_eq: '===',
  any_ne: '!==',
  gt: '>',
  lt: '<',
  ge: '>=',
  le: '<=',
  contains: 'contains',
  matches: 'matches',
};

function fail(position: number, length: number, message: string): never {
  throw new FilterSyntaxError({ position, length, message });
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      i++;
      continue;
    }
    const start = i;
    if (ch === '(' || ch === ')') {
      tokens.push({ kind: ch === '(' ? 'lparen' : 'rparen', text: ch, value: ch, position: i, length: 1 });
      i++;
      continue;
    }
    if (ch === '[' || ch === ']') {
      tokens.push({ kind: ch === '[' ? 'lbracket' : 'rbracket', text: ch, value: ch, position: i, length: 1 });
      i++;
      continue;
    }
    if (ch === '{' || ch === '}' || ch === ',') {
      tokens.push({ kind: ch === '{' ? 'lbrace' : ch === '}' ? 'rbrace' : 'comma', text: ch, value: ch, position: i, length: 1 });
      i++;
      continue;
    }
    if (ch === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) fail(start, text.length - start, 'unterminated string: a closing " is missing');
        const c = text[i];
        if (c === '"') break;
        if (c === '\\') {
          const next = text[i + 1];
          if (next === undefined) fail(i, 1, 'a backslash at the end of the string escapes nothing');
          // Wireshark's escapes: \xhh, octal \ooo, and the C letters; any other character stands for itself.
          const hex = next === 'x' ? /^[0-9a-fA-F]{1,2}/.exec(text.slice(i + 2, i + 4)) : null;
          const octal = /^[0-7]{1,3}/.exec(text.slice(i + 1, i + 4));
          if (hex) {
            value += String.fromCharCode(parseInt(hex[0], 16));
            i += 2 + hex[0].length;
          } else if (octal) {
            value += String.fromCharCode(parseInt(octal[0], 8) & 0xff);
            i += 1 + octal[0].length;
          } else {
            value += C_ESCAPES[next] ?? next;
            i += 2;
          }
          continue;
        }
        value += c;
        i++;
      }
      i++;
      tokens.push({ kind: 'string', text: text.slice(start, i), value, position: start, length: i - start });
      continue;
    }
    if (ch === '&' && text[i + 1] !== '&') {
      tokens.push({ kind: 'bitand', text: ch, value: ch, position: i, length: 1 });
      i++;
      continue;
    }
    if (ch === '&' || ch === '|') {
      if (text[i + 1] !== ch) fail(i, 1, `'${ch}' alone is not an operator; did you mean '${ch}${ch}'?`);
      tokens.push({ kind: ch === '&' ? 'and' : 'or', text: ch + ch, value: ch + ch, position: i, length: 2 });
      i += 2;
      continue;
    }
    const symbol = SYMBOL_OPS.find((op) => text.startsWith(op, i));
    if (symbol) {
      tokens.push({ kind: 'op', text: symbol, value: symbol === '~' ? 'matches' : symbol, position: i, length: symbol.length });
      i += symbol.length;
      continue;
    }
    if (ch === '!') {
      tokens.push({ kind: 'not', text: '!', value: '!', position: i, length: 1 });
      i++;
      continue;
    }
    if (ch === '=') fail(i, 1, "'=' alone is not an operator; use '==' to compare");
    if (WORD_CHAR.test(ch)) {
      while (i < text.length && WORD_CHAR.test(text[i])) i++;
      const word = text.slice(start, i);
      const lower = word.toLowerCase();
      const kind: TokenKind = lower === 'and' ? 'and' : lower === 'or' ? 'or' : lower === 'not' ? 'not' : 'word';
      if (kind === 'word' && Object.prototype.hasOwnProperty.call(WORD_OPS, lower)) {
        tokens.push({ kind: 'op', text: word, value: WORD_OPS[lower], position: start, length: word.length });
      } else {
        tokens.push({ kind, text: word, value: word, position: start, length: word.length });
      }
      continue;
    }
    fail(i, 1, `unexpected character '${ch}'`);
  }
  tokens.push({ kind: 'end', text: '', value: '', position: text.length, length: 0 });
  return tokens;
}

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*$/;

/** `i:n`, `i-j`, `i`, `:n`, `i:` (offsets may be negative). */
function parseSlice(token: Token): ByteSlice {
  const text = token.value;
  const number = '(-?\\d+)';
  let match: RegExpExecArray | null;
  if ((match = new RegExp(`^${number}?:(\\d+)?$`).exec(text))) {
    return { start: match[1] === undefined ? 0 : Number(match[1]), length: match[2] === undefined ? null : Number(match[2]), end: null };
  }
  if ((match = new RegExp(`^${number}-${number}$`).exec(text))) return { start: Number(match[1]), length: null, end: Number(match[2]) };
  if ((match = new RegExp(`^${number}$`).exec(text))) return { start: Number(match[1]), length: 1, end: null };
  return fail(token.position, token.length, `'${text}' is not a byte range: write start:length, start-end, start or start:`);
}

function parseLiteral(token: Token): FilterLiteral {
  if (token.kind === 'string') return { kind: 'string', value: token.value, text: token.text };
  const text = token.value;
  const lower = text.toLowerCase();
  if (lower === 'true' || lower === 'false') return { kind: 'boolean', value: lower === 'true', text };
  if (/^0x[0-9a-f]+$/i.test(text)) return { kind: 'number', value: parseInt(text.slice(2), 16), text };
  if (/^-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i.test(text)) return { kind: 'number', value: Number(text), text };
  return { kind: 'word', value: text, text };
}

class Parser {
  private index = 0;
  private depth = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly options: ParseOptions,
  ) {}

  private peek(): Token {
    return this.tokens[this.index];
  }
  private take(): Token {
    return this.tokens[this.index++];
  }

  parseAll(): FilterNode {
    const node = this.parseOr();
    const rest = this.peek();
    if (rest.kind === 'rparen') fail(rest.position, 1, "unmatched ')': no '(' opens it");
    if (rest.kind !== 'end') fail(rest.position, rest.length, `expected '&&', '||' or the end, found '${rest.text}'`);
    return node;
  }

  private parseOr(): FilterNode {
    const first = this.parseAnd();
    if (this.peek().kind !== 'or') return first;
    const operands = [first];
    while (this.peek().kind === 'or') {
      this.take();
      operands.push(this.parseAnd());
    }
    return { kind: 'or', operands };
  }

  private parseAnd(): FilterNode {
    const first = this.parseUnary();
    if (this.peek().kind !== 'and') return first;
    const operands = [first];
    while (this.peek().kind === 'and') {
      this.take();
      operands.push(this.parseUnary());
    }
    return { kind: 'and', operands };
  }

  private parseUnary(): FilterNode {
    if (this.peek().kind === 'not') {
      const token = this.take();
      if (++this.depth > MAX_FILTER_DEPTH) tooDeep(token.position);
      const operand = this.parseUnary();
      this.depth--;
      return { kind: 'not', operand };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): FilterNode {
    const token = this.take();
    if (token.kind === 'lparen') {
      if (++this.depth > MAX_FILTER_DEPTH) tooDeep(token.position);
      const inner = this.parseOr();
      this.depth--;
      const close = this.take();
      if (close.kind !== 'rparen') {
        fail(token.position, 1, "unbalanced parenthesis: this '(' is never closed");
      }
      return inner;
    }
    if (token.kind === 'end') fail(token.position, 0, 'expected a field name, found the end of the filter');
    if (token.kind !== 'word') fail(token.position, token.length, `expected a field name, found '${token.text}'`);
    let fn: FilterFunction | undefined;
    let fieldToken = token;
    if (FUNCTIONS.has(token.value.toLowerCase()) && this.peek().kind === 'lparen') {
      fn = token.value.toLowerCase() as FilterFunction;
      this.take();
      fieldToken = this.take();
      if (fieldToken.kind !== 'word') fail(fieldToken.position, fieldToken.length, `expected a field name in ${fn}(), found ${fieldToken.kind === 'end' ? 'the end of the filter' : `'${fieldToken.text}'`}`);
    }
    const operand = this.parseOperand(fieldToken, fn);
    if (fn) {
      const close = this.take();
      if (close.kind !== 'rparen') fail(token.position, token.length, `${fn}( is never closed: expected ')' after the field`);
      if (this.peek().kind !== 'op' && !(this.peek().kind === 'word' && this.peek().value.toLowerCase() === 'in')) {
        fail(token.position, token.length, `${fn}() gives a value: compare it (${fn}(${operand.field}) == …)`);
      }
    }
    const field = operand.field;
    const next = this.peek();
    if (next.kind === 'word' && next.value.toLowerCase() === 'in') {
      this.take();
      return { kind: 'in', ...operand, items: this.parseSet(), position: token.position };
    }
    let mask: number | undefined;
    if (next.kind === 'bitand') {
      this.take();
      const maskToken = this.take();
      const literal = maskToken.kind === 'word' ? parseLiteral(maskToken) : null;
      if (!literal || literal.kind !== 'number' || !Number.isInteger(literal.value) || literal.value < 0) {
        fail(maskToken.position, maskToken.length, `expected a whole number (a bit mask) after '&', found ${maskToken.kind === 'end' ? 'the end of the filter' : `'${maskToken.text}'`}`);
      }
      mask = literal.value;
    }
    if (this.peek().kind !== 'op') return mask === undefined ? { kind: 'exists', ...operand, position: token.position } : { kind: 'exists', ...operand, position: token.position, mask };
    const opToken = this.take();
    const op = opToken.value as CompareOp;
    const valueToken = this.take();
    if (valueToken.kind !== 'word' && valueToken.kind !== 'string') {
      const found = valueToken.kind === 'end' ? 'the end of the filter' : `'${valueToken.text}'`;
      fail(valueToken.position, valueToken.length, `expected a value after '${opToken.text}', found ${found}`);
    }
    const value = parseLiteral(valueToken);
    let pattern: TextPattern | null = null;
    if (op === 'matches') {
      const kind = operand.slice ? 'bytes' : operand.fn === 'len' || operand.fn === 'count' ? 'number' : operand.fn ? 'text' : this.options.fieldKind?.(field);
      if (kind !== undefined && kind !== 'text' && kind !== 'bytes' && kind !== 'protocol') {
        fail(token.position, token.length, `'${field}' is ${KIND_WORDS[kind]}, and 'matches' works on text and bytes only`);
      }
      try {
        pattern = compilePattern(value.value.toString());
      } catch (error) {
        // re2js: "error parsing regexp: missing closing ): `(a`"
        const reason = (error as Error).message.replace(/^error parsing regexp: /, '');
        fail(valueToken.position, valueToken.length, `invalid regular expression: ${reason}`);
      }
    }
    if ((op === 'contains' || op === 'matches') && value.kind === 'number' && valueToken.kind !== 'string') {
      // "contains 10" is meant as text; keep the original spelling.
      return { kind: 'compare', ...operand, op, value: { kind: 'word', value: value.text, text: value.text }, position: token.position, pattern };
    }
    return mask === undefined ? { kind: 'compare', ...operand, op, value, position: token.position, pattern } : { kind: 'compare', ...operand, op, value, position: token.position, pattern, mask };
  }

  /** A field name, checked, with an optional byte slice; `fn` is the function around it. */
  private parseOperand(token: Token, fn: FilterFunction | undefined): Operand {
    const field = token.value;
    if (!FIELD_NAME.test(field) || (this.options.isField && !this.options.isField(field))) {
      const why = FIELD_NAME.test(field) ? this.options.unknownField?.(field) : undefined;
      throw new FilterSyntaxError({ position: token.position, length: token.length, message: why?.message ?? `'${field}' is not a known field name`, hint: why?.hint });
    }
    const operand: Operand = { field };
    const kind = this.options.fieldKind?.(field);
    if (kind !== undefined) operand.fieldKind = kind;
    if (this.peek().kind === 'lbracket') {
      const open = this.take();
      const range = this.take();
      const close = this.take();
      if (range.kind !== 'word' || close.kind !== 'rbracket') fail(open.position, 1, "a slice is written [start:length], [start-end], [start] or [start:] and closed with ']'");
      operand.slice = parseSlice(range);
      if (kind === 'number' || kind === 'boolean' || kind === 'none') fail(token.position, token.length, `'${field}' is ${KIND_WORDS[kind]} and cannot be sliced into bytes`);
    }
    if (fn) {
      operand.fn = fn;
      if ((fn === 'upper' || fn === 'lower') && kind !== undefined && kind !== 'text') {
        fail(token.position, token.length, `${fn}() takes a text field; '${field}' is ${KIND_WORDS[kind]}`);
      }
      if (fn === 'len' && !operand.slice && (kind === 'number' || kind === 'boolean')) {
        const width = this.options.fieldWidth?.(field);
        if (width === undefined) fail(token.position, token.length, `len() of '${field}' is not known here: its width varies`);
        operand.width = width;
      }
      if (fn === 'len' && kind === 'none') fail(token.position, token.length, `len() needs a field with a value; '${field}' is ${KIND_WORDS[kind]}`);
    }
    return operand;
  }

  /** `{ 80, 443, 8000..8999 }`, after the field and `in`. */
  private parseSet(): SetItem[] {
    const open = this.take();
    if (open.kind !== 'lbrace') fail(open.position, open.length, `expected '{' after 'in', found ${open.kind === 'end' ? 'the end of the filter' : `'${open.text}'`}`);
    const items: SetItem[] = [];
    for (;;) {
      const token = this.take();
      if (token.kind === 'rbrace') break;
      if (token.kind === 'comma' && items.length > 0) continue;
      if (token.kind === 'end') fail(open.position, 1, "this '{' is never closed");
      if (token.kind !== 'word' && token.kind !== 'string') fail(token.position, token.length, `expected a value in the set, found '${token.text}'`);
      // A range is one word ("1024..2048", "10.0.0.1..10.0.0.9") or three ("1024 .. 2048").
      const joined = token.kind === 'word' ? token.value.split('..') : [token.value];
      if (joined.length === 2 && joined[0] !== '' && joined[1] !== '') {
        items.push({ low: parseLiteral({ ...token, value: joined[0] }), high: parseLiteral({ ...token, value: joined[1] }) });
        continue;
      }
      if (joined.length === 2 && joined[1] === '' && joined[0] !== '') fail(token.position, token.length, `a range needs a value after '..'`);
      if (joined.length > 2 || (joined.length === 2 && joined[0] === '')) fail(token.position, token.length, `'${token.text}' is not a value or a range`);
      const low = parseLiteral(token);
      if (this.peek().kind === 'word' && this.peek().value === '..') {
        this.take();
        const highToken = this.take();
        if (highToken.kind !== 'word' && highToken.kind !== 'string') fail(highToken.position, highToken.length, `a range needs a value after '..'`);
        items.push({ low, high: parseLiteral(highToken) });
      } else {
        items.push({ low, high: null });
      }
    }
    if (items.length === 0) fail(open.position, 1, 'an empty set matches nothing; list at least one value');
    return items;
  }
}

/** Parses a filter; an empty or blank text gives `ast: null` (every frame passes). */
export function parseFilter(text: string, options: ParseOptions = {}): ParseResult {
  try {
    const tokens = tokenize(text);
    if (tokens.length === 1) return { ok: true, ast: null };
    return { ok: true, ast: new Parser(tokens, options).parseAll() };
  } catch (error) {
    if (error instanceof FilterSyntaxError) return { ok: false, error: error.detail };
    throw error;
  }
}

/** Every field name the expression reads (before alias expansion). */
export function filterFields(node: FilterNode | null, into: Set<string> = new Set()): Set<string> {
  if (!node) return into;
  switch (node.kind) {
    case 'or':
    case 'and':
      for (const operand of node.operands) filterFields(operand, into);
      break;
    case 'not':
      filterFields(node.operand, into);
      break;
    default:
      into.add(node.field);
  }
  return into;
}
