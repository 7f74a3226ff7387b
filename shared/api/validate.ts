/**
 * Hand-written runtime validators for everything that crosses a process boundary
 * (WebSocket, Electron IPC, utilityProcess messages). A validator either returns the
 * value typed, or throws a ValidationError naming the path of the first bad part.
 * Unknown object keys are dropped, so a hostile peer cannot smuggle extra properties.
 */
export class ValidationError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path || 'value'}: ${reason}`);
    this.name = 'ValidationError';
  }
}

export type Validator<T> = (value: unknown, path?: string) => T;

/** Longest string accepted anywhere in the API: bounds memory a peer can make us hold. */
const MAX_STRING = 16 * 1024 * 1024;
const MAX_ARRAY = 1_000_000;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value).slice(0, 40)}`;
}

export function str(options: { max?: number; min?: number; pattern?: RegExp } = {}): Validator<string> {
  const max = options.max ?? MAX_STRING;
  return (value, path = '') => {
    if (typeof value !== 'string') throw new ValidationError(path, `expected a string, got ${describe(value)}`);
    if (value.length > max) throw new ValidationError(path, `longer than ${max} characters`);
    if (options.min !== undefined && value.length < options.min) {
      throw new ValidationError(path, `shorter than ${options.min} characters`);
    }
    if (options.pattern && !options.pattern.test(value)) throw new ValidationError(path, 'has an invalid format');
    return value;
  };
}

export function num(options: { min?: number; max?: number; integer?: boolean } = {}): Validator<number> {
  return (value, path = '') => {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new ValidationError(path, `expected a finite number, got ${describe(value)}`);
    }
    if (options.integer && !Number.isInteger(value)) throw new ValidationError(path, 'expected an integer');
    if (options.min !== undefined && value < options.min) throw new ValidationError(path, `below ${options.min}`);
    if (options.max !== undefined && value > options.max) throw new ValidationError(path, `above ${options.max}`);
    return value;
  };
}

export function int(min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): Validator<number> {
  return num({ min, max, integer: true });
}

export const bool: Validator<boolean> = (value, path = '') => {
  if (typeof value !== 'boolean') throw new ValidationError(path, `expected a boolean, got ${describe(value)}`);
  return value;
};

export function literal<const T extends string | number | boolean>(...choices: T[]): Validator<T> {
  return (value, path = '') => {
    for (const choice of choices) if (value === choice) return choice;
    throw new ValidationError(path, `expected one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`);
  };
}

export function arr<T>(item: Validator<T>, max = MAX_ARRAY): Validator<T[]> {
  return (value, path = '') => {
    if (!Array.isArray(value)) throw new ValidationError(path, `expected an array, got ${describe(value)}`);
    if (value.length > max) throw new ValidationError(path, `more than ${max} items`);
    return value.map((element, index) => item(element, `${path}[${index}]`));
  };
}

/**
 * An array of finite numbers (a graph's column): checked in one loop, without a path string per
 * element as `arr(num())` builds, so a column of a million values costs milliseconds.
 */
export function numbers(max = MAX_ARRAY): Validator<number[]> {
  return (value, path = '') => {
    if (!Array.isArray(value)) throw new ValidationError(path, `expected an array, got ${describe(value)}`);
    if (value.length > max) throw new ValidationError(path, `more than ${max} items`);
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new ValidationError(`${path}[${i}]`, `expected a finite number, got ${describe(v)}`);
    }
    return value as number[];
  };
}

/** An array of strings each at most `maxLength` long, checked in one loop (no path string per element). */
export function strings(max = MAX_ARRAY, maxLength = 1024): Validator<string[]> {
  return (value, path = '') => {
    if (!Array.isArray(value)) throw new ValidationError(path, `expected an array, got ${describe(value)}`);
    if (value.length > max) throw new ValidationError(path, `more than ${max} items`);
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (typeof v !== 'string' || v.length > maxLength) throw new ValidationError(`${path}[${i}]`, `expected a string of at most ${maxLength} characters`);
    }
    return value as string[];
  };
}

/** A Float64Array of finite numbers (a graph's column, sent as binary; see binary.ts). */
export function float64s(max = MAX_ARRAY): Validator<Float64Array> {
  return (value, path = '') => {
    if (!(value instanceof Float64Array)) throw new ValidationError(path, `expected a Float64Array, got ${describe(value)}`);
    if (value.length > max) throw new ValidationError(path, `more than ${max} items`);
    for (let i = 0; i < value.length; i++) {
      if (!Number.isFinite(value[i])) throw new ValidationError(`${path}[${i}]`, `expected a finite number, got ${value[i]}`);
    }
    return value;
  };
}

export function nullable<T>(inner: Validator<T>): Validator<T | null> {
  return (value, path = '') => (value === null ? null : inner(value, path));
}

/** Marks a property as optional in `obj`; an absent key stays absent. */
export interface Optional<T> {
  readonly optional: Validator<T>;
}
export function opt<T>(inner: Validator<T>): Optional<T> {
  return { optional: inner };
}

type Shape = Record<string, Validator<unknown> | Optional<unknown>>;
type RequiredKeys<S extends Shape> = { [K in keyof S]: S[K] extends Optional<unknown> ? never : K }[keyof S];
type OptionalKeys<S extends Shape> = Exclude<keyof S, RequiredKeys<S>>;
type ValueOf<V> = V extends Validator<infer T> ? T : V extends Optional<infer T> ? T : never;
export type ObjectOf<S extends Shape> = { [K in RequiredKeys<S>]: ValueOf<S[K]> } & {
  [K in OptionalKeys<S>]?: ValueOf<S[K]>;
};

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function obj<S extends Shape>(shape: S): Validator<ObjectOf<S>> {
  return (value, path = '') => {
    if (!isPlainObject(value)) throw new ValidationError(path, `expected an object, got ${describe(value)}`);
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(shape)) {
      const entry = shape[key];
      const fieldPath = path ? `${path}.${key}` : key;
      const present = Object.prototype.hasOwnProperty.call(value, key) && value[key] !== undefined;
      if (typeof entry === 'function') {
        out[key] = entry(present ? value[key] : undefined, fieldPath);
      } else if (present) {
        out[key] = entry.optional(value[key], fieldPath);
      }
    }
    return out as ObjectOf<S>;
  };
}

/** A string-keyed record with validated values (e.g. counts by state name). */
export function record<T>(value: Validator<T>, maxKeys = 10_000): Validator<Record<string, T>> {
  return (input, path = '') => {
    if (!isPlainObject(input)) throw new ValidationError(path, `expected an object, got ${describe(input)}`);
    const keys = Object.keys(input);
    if (keys.length > maxKeys) throw new ValidationError(path, `more than ${maxKeys} keys`);
    const out: Record<string, T> = {};
    for (const key of keys) {
      if (key === '__proto__' || key === 'constructor' || key === 'prototype') {
        throw new ValidationError(path, `forbidden key ${key}`);
      }
      out[key] = value(input[key], `${path}.${key}`);
    }
    return out;
  };
}

/** A union discriminated by a `type` (or other) key: picks the validator by tag. */
export function tagged<K extends string, M extends Record<string, Validator<unknown>>>(
  key: K,
  variants: M,
): Validator<ValueOf<M[keyof M]>> {
  return (value, path = '') => {
    if (!isPlainObject(value)) throw new ValidationError(path, `expected an object, got ${describe(value)}`);
    const tag = value[key];
    if (typeof tag !== 'string' || !Object.prototype.hasOwnProperty.call(variants, tag)) {
      throw new ValidationError(path ? `${path}.${key}` : key, `unknown ${key} ${JSON.stringify(tag)}`);
    }
    const variant = variants[tag] as Validator<ValueOf<M[keyof M]>>;
    return variant(value, path);
  };
}

export const unit: Validator<null> = (value, path = '') => {
  if (value !== null && value !== undefined) throw new ValidationError(path, 'expected nothing');
  return null;
};
