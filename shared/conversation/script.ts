/**
 * Conversation scripts: packetdrill's packet lines, with packetdrill's perspective (the peer
 * is the system under test).
 *
 *   +0     < S  0:0(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>
 *   +0     > S. 0:0(0) ack 1 <...>
 *   +.01   < .  1:1(0) ack 1 win 502
 *   +0     < P. 1:19(18) ack 1 win 502 "GET / HTTP/1.0\r\n\r\n"
 *   *      > .  1:1(0) ack 19
 *   +0.002~+0.1 > P. 1:6(5) ack 19 0x68656c6c6f
 *
 * `<` is a segment we inject toward the peer, `>` one we expect from it. Sequence numbers
 * are relative to the sender's ISN and ack numbers to the receiver's, as in packetdrill.
 * Times: absolute `0.100`, relative `+0.1`, any `*`, or a window `a~b`. The payload (a
 * quoted string with C escapes, or 0x-prefixed hex) is our extension; packetdrill has none.
 *
 * Lines this endpoint cannot run (system calls, `%{ }%` Python blocks, backtick shell
 * commands) are returned as skipped, never dropped silently. Errors carry line and column.
 */
import { encodeUtf8 } from '../files/utf8';

export const FLAG_FIN = 0x01;
export const FLAG_SYN = 0x02;
export const FLAG_RST = 0x04;
export const FLAG_PSH = 0x08;
export const FLAG_ACK = 0x10;
export const FLAG_URG = 0x20;
export const FLAG_ECE = 0x40;
export const FLAG_CWR = 0x80;

const FLAG_LETTERS: Record<string, number> = { F: FLAG_FIN, S: FLAG_SYN, R: FLAG_RST, P: FLAG_PSH, '.': FLAG_ACK, U: FLAG_URG, E: FLAG_ECE, W: FLAG_CWR };
const FLAG_ORDER = 'SFRPUEW';

export interface TimePoint {
  relative: boolean;
  seconds: number;
}

export type TimeSpec = { kind: 'any' } | { kind: 'at'; at: TimePoint } | { kind: 'window'; from: TimePoint; to: TimePoint };

export type ScriptOption =
  | { kind: 'mss'; value: number }
  | { kind: 'sack_perm' }
  | { kind: 'timestamp'; tsval: number; tsecr: number }
  | { kind: 'nop' }
  | { kind: 'eol' }
  | { kind: 'wscale'; shift: number }
  | { kind: 'sack'; blocks: Array<[number, number]> };

export interface PacketStep {
  /** 1-based line in the script. */
  line: number;
  text: string;
  time: TimeSpec;
  direction: '<' | '>';
  flags: number;
  seqStart: number;
  seqEnd: number;
  length: number;
  ack: number | null;
  window: number | null;
  urgent: number | null;
  /** null: none written (a `>` line then expects none); 'any': `<...>`, not checked. */
  options: ScriptOption[] | 'any' | null;
  payload: Uint8Array | null;
}

export type SkipReason = 'system call' | 'python block' | 'shell command' | 'not a TCP packet line';

export interface SkippedLine {
  line: number;
  text: string;
  reason: SkipReason;
}

export interface Script {
  steps: PacketStep[];
  skipped: SkippedLine[];
}

export class ScriptSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`line ${line}:${column}: ${reason}`);
    this.name = 'ScriptSyntaxError';
  }
}

const MAX_UINT32 = 0xffffffff;

/** A line of packetdrill text being read token by token, with columns for errors. */
class Cursor {
  position = 0;
  constructor(
    readonly text: string,
    readonly line: number,
  ) {}

  get column(): number {
    return this.position + 1;
  }

  skipSpace(): void {
    while (this.position < this.text.length && /\s/.test(this.text[this.position])) this.position++;
  }

  atEnd(): boolean {
    this.skipSpace();
    return this.position >= this.text.length;
  }

  peek(): string {
    this.skipSpace();
    return this.text[this.position] ?? '';
  }

  fail(reason: string, column = this.column): never {
    throw new ScriptSyntaxError(this.line, column, reason);
  }

  /** A run of non-space characters (stops before any of `stops`). */
  word(stops = ''): string {
    this.skipSpace();
    const start = this.position;
    while (this.position < this.text.length && !/\s/.test(this.text[this.position]) && !stops.includes(this.text[this.position])) this.position++;
    return this.text.slice(start, this.position);
  }

  expect(literal: string): void {
    this.skipSpace();
    if (!this.text.startsWith(literal, this.position)) this.fail(`expected "${literal}"`);
    this.position += literal.length;
  }

  integer(what: string, max = MAX_UINT32): number {
    this.skipSpace();
    const start = this.position;
    const match = /^(0x[0-9a-fA-F]+|\d+)/.exec(this.text.slice(this.position));
    if (!match) this.fail(`expected ${what} (a number)`);
    this.position += match[0].length;
    const value = Number(match[0]);
    if (!Number.isSafeInteger(value) || value > max) this.fail(`${what} ${match[0]} is out of range 0..${max}`, start + 1);
    return value;
  }
}

function parseTimePoint(text: string, cursor: Cursor, column: number): TimePoint {
  const relative = text.startsWith('+');
  const number = relative ? text.slice(1) : text;
  if (!/^(\d+\.?\d*|\.\d+)$/.test(number)) cursor.fail(`bad time "${text}" (use 0.100, +0.1, * or +0.002~+0.1)`, column);
  return { relative, seconds: Number(number) };
}

function parseTime(cursor: Cursor): TimeSpec {
  cursor.skipSpace();
  const column = cursor.column;
  const text = cursor.word();
  if (text === '*') return { kind: 'any' };
  const tilde = text.indexOf('~');
  if (tilde >= 0) {
    const from = parseTimePoint(text.slice(0, tilde), cursor, column);
    const to = parseTimePoint(text.slice(tilde + 1), cursor, column + tilde + 1);
    if (from.relative !== to.relative) cursor.fail('both ends of a time window must be relative (+a~+b) or both absolute', column);
    if (to.seconds < from.seconds) cursor.fail(`time window ends (${to.seconds}) before it starts (${from.seconds})`, column);
    return { kind: 'window', from, to };
  }
  return { kind: 'at', at: parseTimePoint(text, cursor, column) };
}

function parseFlags(cursor: Cursor): number {
  cursor.skipSpace();
  const column = cursor.column;
  const text = cursor.word();
  if (text.length === 0) cursor.fail('expected TCP flags (S, S., ., P., F., R, R.)');
  let flags = 0;
  for (let i = 0; i < text.length; i++) {
    const bit = FLAG_LETTERS[text[i]];
    if (bit === undefined) cursor.fail(`unknown TCP flag "${text[i]}" (flags are S F R P . U E W)`, column + i);
    flags |= bit;
  }
  return flags;
}

function parseOptions(cursor: Cursor): ScriptOption[] | 'any' {
  cursor.expect('<');
  const close = cursor.text.indexOf('>', cursor.position);
  if (close < 0) cursor.fail('option list not closed with ">"');
  const body = cursor.text.slice(cursor.position, close);
  const bodyColumn = cursor.position + 1;
  cursor.position = close + 1;
  if (body.trim() === '...') return 'any';
  const options: ScriptOption[] = [];
  let offset = 0;
  for (const part of body.split(',')) {
    const column = bodyColumn + offset + (part.length - part.trimStart().length);
    offset += part.length + 1;
    const item = new Cursor(part, cursor.line);
    const fail = (reason: string): never => {
      throw new ScriptSyntaxError(cursor.line, column, reason);
    };
    const name = item.word();
    const numberOf = (what: string, max: number): number => {
      try {
        return item.integer(what, max);
      } catch (error) {
        return fail(error instanceof ScriptSyntaxError ? error.reason : String(error));
      }
    };
    switch (name) {
      case 'mss':
        options.push({ kind: 'mss', value: numberOf('mss', 0xffff) });
        break;
      case 'sackOK':
        options.push({ kind: 'sack_perm' });
        break;
      case 'nop':
        options.push({ kind: 'nop' });
        break;
      case 'eol':
        options.push({ kind: 'eol' });
        break;
      case 'wscale':
        options.push({ kind: 'wscale', shift: numberOf('wscale', 255) });
        break;
      case 'TS': {
        if (item.word() !== 'val') fail('expected "TS val N ecr N"');
        const tsval = numberOf('TS val', MAX_UINT32);
        if (item.word() !== 'ecr') fail('expected "ecr N" after TS val');
        options.push({ kind: 'timestamp', tsval, tsecr: numberOf('TS ecr', MAX_UINT32) });
        break;
      }
      case 'sack': {
        const blocks: Array<[number, number]> = [];
        while (!item.atEnd()) {
          const left = numberOf('sack left edge', MAX_UINT32);
          if (item.peek() !== ':') fail('expected "sack a:b" blocks');
          item.position++;
          blocks.push([left, numberOf('sack right edge', MAX_UINT32)]);
        }
        if (blocks.length === 0) fail('sack needs at least one a:b block');
        options.push({ kind: 'sack', blocks });
        break;
      }
      default:
        fail(name ? `unknown TCP option "${name}" (mss, sackOK, TS val N ecr N, nop, eol, wscale N, sack a:b)` : 'empty TCP option');
    }
    if (!item.atEnd()) fail(`unexpected "${item.word()}" in option ${name}`);
  }
  return options;
}

const ESCAPES: Record<string, number> = { n: 0x0a, r: 0x0d, t: 0x09, '0': 0x00, '\\': 0x5c, '"': 0x22, "'": 0x27 };

function parseQuoted(cursor: Cursor): Uint8Array {
  const column = cursor.column;
  cursor.position++; // opening quote
  const out: number[] = [];
  let literal = '';
  const flush = () => {
    if (literal) out.push(...encodeUtf8(literal));
    literal = '';
  };
  while (cursor.position < cursor.text.length) {
    const char = cursor.text[cursor.position++];
    if (char === '"') {
      flush();
      return Uint8Array.from(out);
    }
    if (char !== '\\') {
      literal += char;
      continue;
    }
    const next = cursor.text[cursor.position++] ?? '';
    if (next === 'x') {
      const hex = cursor.text.slice(cursor.position, cursor.position + 2);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) cursor.fail('\\x needs two hex digits', cursor.column - 2);
      flush();
      out.push(Number.parseInt(hex, 16));
      cursor.position += 2;
    } else if (next in ESCAPES) {
      flush();
      out.push(ESCAPES[next]);
    } else {
      cursor.fail(`unknown escape "\\${next}" (\\r \\n \\t \\0 \\\\ \\" \\xNN)`, cursor.column - 2);
    }
  }
  return cursor.fail('payload string not closed with "', column);
}

function parsePacket(cursor: Cursor, time: TimeSpec, direction: '<' | '>', text: string): PacketStep {
  const flags = parseFlags(cursor);
  cursor.skipSpace();
  const seqColumn = cursor.column;
  const seqStart = cursor.integer('sequence start');
  cursor.expect(':');
  const seqEnd = cursor.integer('sequence end');
  cursor.expect('(');
  const length = cursor.integer('segment length', 0xffff);
  cursor.expect(')');
  if (((seqEnd - seqStart) >>> 0) !== length) cursor.fail(`sequence ${seqStart}:${seqEnd} spans ${(seqEnd - seqStart) >>> 0} bytes, not (${length})`, seqColumn);
  const step: PacketStep = { line: cursor.line, text, time, direction, flags, seqStart, seqEnd, length, ack: null, window: null, urgent: null, options: null, payload: null };
  while (!cursor.atEnd()) {
    const column = cursor.column;
    const next = cursor.peek();
    if (next === '<') {
      if (step.options !== null) cursor.fail('options given twice');
      step.options = parseOptions(cursor);
      continue;
    }
    if (next === '"') {
      step.payload = parseQuoted(cursor);
      if (step.payload.length !== length) cursor.fail(`payload is ${step.payload.length} bytes but the segment says (${length})`, column);
      continue;
    }
    const word = cursor.word('<"');
    switch (word) {
      case 'ack':
        step.ack = cursor.integer('ack');
        break;
      case 'win':
        step.window = cursor.integer('win', 0xffff);
        break;
      case 'urg':
        step.urgent = cursor.integer('urg', 0xffff);
        break;
      default: {
        if (/^0x([0-9a-fA-F]{2})*$/.test(word)) {
          const hex = word.slice(2);
          step.payload = Uint8Array.from(hex.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16));
          if (step.payload.length !== length) cursor.fail(`payload is ${step.payload.length} bytes but the segment says (${length})`, column);
          break;
        }
        cursor.fail(`unexpected "${word}" (expected ack N, win N, urg N, <options>, or a payload as "text" or 0xHEX)`, column);
      }
    }
  }
  return step;
}

/** Removes comments (`//` to the end of the line, `/* … *\/` spanning lines), keeping columns. */
function stripComments(lines: string[]): string[] {
  let inBlock = false;
  return lines.map((line) => {
    let out = '';
    let inString = false;
    for (let i = 0; i < line.length; i++) {
      if (inBlock) {
        if (line.startsWith('*/', i)) {
          inBlock = false;
          out += '  ';
          i++;
        } else out += ' ';
        continue;
      }
      const char = line[i];
      if (char === '"' && line[i - 1] !== '\\') inString = !inString;
      if (!inString && line.startsWith('//', i)) break;
      if (!inString && line.startsWith('/*', i)) {
        inBlock = true;
        out += '  ';
        i++;
        continue;
      }
      out += char;
    }
    return out;
  });
}

export function parseScript(source: string): Script {
  const raw = source.split(/\r?\n/);
  const lines = stripComments(raw);
  const steps: PacketStep[] = [];
  const skipped: SkippedLine[] = [];
  for (let index = 0; index < lines.length; index++) {
    const lineNumber = index + 1;
    const text = lines[index];
    const trimmed = text.trim();
    if (trimmed === '') continue;
    if (trimmed.startsWith('%{')) {
      // A Python block runs to its closing }%, possibly on this same line.
      let end = index;
      while (end < lines.length && !lines[end].includes('}%', end === index ? lines[end].indexOf('%{') + 2 : 0)) end++;
      if (end >= lines.length) throw new ScriptSyntaxError(lineNumber, text.indexOf('%{') + 1, '%{ block not closed with }%');
      skipped.push({ line: lineNumber, text: raw.slice(index, end + 1).join('\n'), reason: 'python block' });
      index = end;
      continue;
    }
    const cursor = new Cursor(text, lineNumber);
    if (trimmed.startsWith('`')) {
      skipped.push({ line: lineNumber, text: raw[index].trim(), reason: 'shell command' });
      continue;
    }
    const time = parseTime(cursor);
    const next = cursor.peek();
    if (next === '`') {
      skipped.push({ line: lineNumber, text: raw[index].trim(), reason: 'shell command' });
      continue;
    }
    if (next === '<' || next === '>') {
      cursor.position++;
      const after = cursor.peek();
      // packetdrill's UDP and ICMP lines (`< udp (10)`, `> icmp unreachable`) and encapsulations are not TCP.
      if (/^[a-z[]/.test(after) && !/^[SFRPUEW.]/.test(after)) {
        skipped.push({ line: lineNumber, text: raw[index].trim(), reason: 'not a TCP packet line' });
        continue;
      }
      steps.push(parsePacket(cursor, time, next, raw[index].trim()));
      continue;
    }
    if (/^[A-Za-z_][A-Za-z0-9_]*\s*\(/.test(text.slice(cursor.position).trimStart())) {
      // A system call runs until its closing parenthesis and result, possibly over several lines.
      let end = index;
      let depth = 0;
      for (let scan = index; scan < lines.length; scan++) {
        for (const char of lines[scan]) depth += char === '(' ? 1 : char === ')' ? -1 : 0;
        end = scan;
        if (depth <= 0) break;
      }
      skipped.push({ line: lineNumber, text: raw.slice(index, end + 1).map((part) => part.trim()).join(' '), reason: 'system call' });
      index = end;
      continue;
    }
    cursor.skipSpace();
    const column = cursor.column;
    cursor.fail(`expected < (a segment to inject), > (a segment expected from the peer) or a system call after the time, got "${cursor.word()}"`, column);
  }
  return { steps, skipped };
}

/** The flags as packetdrill writes them: S, S., P., F., R., . */
export function formatFlags(flags: number): string {
  let out = '';
  for (const letter of FLAG_ORDER) if (flags & FLAG_LETTERS[letter]) out += letter;
  if (flags & FLAG_ACK) out += '.';
  return out || '-';
}

export function formatOptions(options: readonly ScriptOption[]): string {
  return `<${options
    .map((option) => {
      switch (option.kind) {
        case 'mss':
          return `mss ${option.value}`;
        case 'sack_perm':
          return 'sackOK';
        case 'timestamp':
          return `TS val ${option.tsval} ecr ${option.tsecr}`;
        case 'nop':
          return 'nop';
        case 'eol':
          return 'eol';
        case 'wscale':
          return `wscale ${option.shift}`;
        case 'sack':
          return `sack ${option.blocks.map(([left, right]) => `${left}:${right}`).join(' ')}`;
      }
    })
    .join(',')}>`;
}

/** A payload as a script writes it: a quoted string when it is printable text, 0x-hex otherwise. */
export function formatPayload(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) {
    if (byte === 0x0d) text += '\\r';
    else if (byte === 0x0a) text += '\\n';
    else if (byte === 0x09) text += '\\t';
    else if (byte === 0x22) text += '\\"';
    else if (byte === 0x5c) text += '\\\\';
    else if (byte >= 0x20 && byte < 0x7f) text += String.fromCharCode(byte);
    else return `0x${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
  }
  return `"${text}"`;
}

export interface SegmentView {
  flags: number;
  seqStart: number;
  length: number;
  ack: number | null;
  window: number | null;
  options: ScriptOption[] | 'any' | null;
  payload: Uint8Array | null;
}

/** One segment in script syntax (`S. 0:0(0) ack 1 win 65535 <mss 1460>`), numbers as given; payloads longer than `payloadLimit` are left out. */
export function formatSegment(segment: SegmentView, payloadLimit = 64): string {
  const parts = [formatFlags(segment.flags), `${segment.seqStart}:${(segment.seqStart + segment.length) >>> 0}(${segment.length})`];
  if (segment.ack !== null) parts.push(`ack ${segment.ack}`);
  if (segment.window !== null) parts.push(`win ${segment.window}`);
  if (segment.options === 'any') parts.push('<...>');
  else if (segment.options && segment.options.length > 0) parts.push(formatOptions(segment.options));
  if (segment.payload && segment.payload.length > 0 && segment.payload.length <= payloadLimit) parts.push(formatPayload(segment.payload));
  return parts.join(' ');
}
