/**
 * Packet-list columns as Wireshark has them: the built-in columns, custom columns named by
 * a display-filter field, the text a field value shows as (tshark -T fields' rules), the
 * time column relative to the latest time reference, and the sort order of a column.
 */
import { isKnownField } from '../filter/known-fields';

/** The built-in columns, by id. `comment` is Wireshark's "Comment" (frame.comment). */
export const BUILTIN_COLUMNS = ['number', 'point', 'time', 'source', 'destination', 'protocol', 'length', 'encapsulation', 'info', 'comment'] as const;
export type BuiltinColumn = (typeof BUILTIN_COLUMNS)[number];

export function isBuiltinColumn(id: string): id is BuiltinColumn {
  return (BUILTIN_COLUMNS as readonly string[]).includes(id);
}

/** Custom columns one request may ask for. */
export const MAX_CUSTOM_COLUMNS = 32;
/** A custom column cell is cut to this many characters (a payload field can be 64 KiB). */
export const MAX_CELL_CHARS = 1000;

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;

/** Why `name` cannot be a custom column, or null when it can (any display-filter field this decoder knows). */
export function customColumnError(name: string): string | null {
  if (!FIELD_NAME.test(name)) return `"${name}" is not a field name`;
  if (!isKnownField(name)) return `"${name}" is not a display-filter field this decoder knows`;
  return null;
}

/** A field value as tshark -T fields prints it: booleans 1/0, several occurrences joined by commas. */
export function fieldValueText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map(fieldValueText).join(',');
  if (value === true) return '1';
  if (value === false) return '0';
  return String(value);
}

/** A cell's text, bounded so that no frame can make a row too large to send. */
export function cellText(value: unknown): string {
  const text = fieldValueText(value);
  return text.length > MAX_CELL_CHARS ? `${text.slice(0, MAX_CELL_CHARS - 1)}…` : text;
}

/**
 * Time references (Wireshark's Ctrl+T): the Time column of a frame counts from the latest
 * reference at or before it (from the first frame when there is none); a reference frame shows *REF*.
 */
export class TimeReferences {
  /** Frame indexes, ascending. */
  private refs: number[] = [];

  get size(): number {
    return this.refs.length;
  }

  has(index: number): boolean {
    const at = this.lowerBound(index);
    return at < this.refs.length && this.refs[at] === index;
  }

  /** Sets or clears the reference on `index`; returns whether it is a reference now. */
  set(index: number, on: boolean): boolean {
    const at = this.lowerBound(index);
    const present = at < this.refs.length && this.refs[at] === index;
    if (on && !present) this.refs.splice(at, 0, index);
    if (!on && present) this.refs.splice(at, 1);
    return on;
  }

  clear(): void {
    this.refs = [];
  }

  /** The reference frame `index` counts from: the latest at or before it, or -1 (the capture's first frame). */
  referenceOf(index: number): number {
    const at = this.lowerBound(index + 1);
    return at > 0 ? this.refs[at - 1] : -1;
  }

  list(): readonly number[] {
    return this.refs;
  }

  private lowerBound(value: number): number {
    let low = 0;
    let high = this.refs.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.refs[middle] < value) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

/**
 * Compares two column values for sorting: numbers numerically, text naturally ("10.0.0.9"
 * before "10.0.0.10"); an absent value is the smallest, as in Wireshark (first ascending, last descending).
 */
export function compareCells(a: number | string | undefined, b: number | string | undefined): number {
  const aEmpty = a === undefined || a === '';
  const bEmpty = b === undefined || b === '';
  if (aEmpty || bEmpty) return aEmpty === bEmpty ? 0 : aEmpty ? -1 : 1;
  if (a === b) return 0;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  collator ??= new Intl.Collator('en', { numeric: true, sensitivity: 'base' });
  return collator.compare(String(a), String(b));
}
// Made on first use: building it costs 20-70 ms, paid by every CLI command that only loads this module.
let collator: Intl.Collator | undefined;

/** A cell's sort key: a number when the text is one (Wireshark sorts numeric custom columns by value). */
export function sortKey(text: string): number | string {
  if (text === '') return '';
  const number = Number(text);
  return Number.isFinite(number) && /^-?[0-9.]+(?:e[-+]?\d+)?$/i.test(text) ? number : text;
}
