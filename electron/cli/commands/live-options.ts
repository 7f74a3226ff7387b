/**
 * Argument parsing and error reporting shared by the live commands (capture, send,
 * interfaces), so they agree on option syntax and exit codes (cli.md: 2 usage,
 * 4 missing capture permission, 1 anything else).
 */
import { UsageError } from '../errors';

export { EXIT_OTHER, EXIT_PERMISSION, EXIT_USAGE, reportFailure, UsageError } from '../errors';

export type OptionKind = 'flag' | 'value' | 'list';

export interface ParsedOptions {
  flags: Set<string>;
  values: Map<string, string>;
  lists: Map<string, string[]>;
  positional: string[];
}

/** `spec` maps each option (and its short alias) to its kind; `aliases` maps short names to long ones. */
export function parseOptions(argv: readonly string[], spec: Record<string, OptionKind>, aliases: Record<string, string> = {}): ParsedOptions {
  const parsed: ParsedOptions = { flags: new Set(), values: new Map(), lists: new Map(), positional: [] };
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index];
    if (!argument.startsWith('-') || argument === '-') {
      parsed.positional.push(argument);
      continue;
    }
    const equals = argument.indexOf('=');
    const rawName = argument.startsWith('--') && equals > 0 ? argument.slice(0, equals) : argument;
    const name = aliases[rawName] ?? rawName;
    const kind = spec[name];
    if (!kind) throw new UsageError(`unknown option ${rawName}`);
    if (kind === 'flag') {
      if (rawName !== argument) throw new UsageError(`${rawName} takes no value`);
      parsed.flags.add(name);
      continue;
    }
    const value = rawName !== argument ? argument.slice(equals + 1) : argv[++index];
    if (value === undefined) throw new UsageError(`${rawName} needs a value`);
    if (kind === 'value') parsed.values.set(name, value);
    else parsed.lists.set(name, [...(parsed.lists.get(name) ?? []), value]);
  }
  return parsed;
}

export function positiveInteger(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) throw new UsageError(`${option} needs a positive integer, not "${text}"`);
  return Number(text);
}

export function nonNegativeNumber(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) throw new UsageError(`${option} needs a non-negative number, not "${text}"`);
  return value;
}
