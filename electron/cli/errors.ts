/**
 * Exit codes and error reporting for every `handshake` command (cli.md: 2 usage, 3 bad input
 * file, 4 no capture permission, 1 other). An error is one line that stands on its own
 * (`handshake COMMAND: reason`); hints (usage, how to fix, where in a filter) follow on
 * indented lines.
 */
import { CaptureError, HelperRequestError } from '../engine/capture-errors';

export const EXIT_USAGE = 2;
export const EXIT_BAD_INPUT = 3;
export const EXIT_PERMISSION = 4;
export const EXIT_OTHER = 1;

/** Bad arguments (exit code 2). `hints` follow the message; the usage line follows them unless `showUsage` is false. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly hints: readonly string[] = [],
    readonly showUsage = true,
  ) {
    super(message);
  }
}

/** The input file is unreadable or invalid (exit code 3). */
export class InputFileError extends Error {}

/** Turns an fs failure on opening/reading FILE into a one-line InputFileError. */
export function openFailure(file: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return new InputFileError(`${file}: no such file`);
  if (code === 'EACCES' || code === 'EPERM') return new InputFileError(`${file}: permission denied`);
  if (code === 'EISDIR') return new InputFileError(`${file}: is a directory`);
  if (code !== undefined) return new InputFileError(`${file}: ${(error as Error).message}`);
  return error instanceof Error ? error : new Error(String(error));
}

/** Writes `handshake COMMAND: first line of message`, then each further line and hint indented. */
export function writeError(command: string | null, message: string, hints: readonly string[] = []): void {
  const [first, ...rest] = message.split('\n');
  const more = [...rest, ...hints.flatMap((hint) => hint.split('\n'))];
  const lines = [`handshake${command ? ` ${command}` : ''}: ${first}`, ...more.map((line) => `  ${line}`)];
  process.stderr.write(`${lines.join('\n')}\n`);
}

/** Reports any failure of a command and returns its exit code. */
export function reportFailure(command: string, error: unknown, usage: string): number {
  if (error instanceof UsageError) {
    writeError(command, error.message, error.showUsage ? [...error.hints, usage] : error.hints);
    return EXIT_USAGE;
  }
  if (error instanceof InputFileError) {
    writeError(command, error.message);
    return EXIT_BAD_INPUT;
  }
  if (error instanceof CaptureError || error instanceof HelperRequestError) {
    writeError(command, error.message, error.advice ? [`how to fix: ${error.advice}`] : []);
    if (error.code === 'permission') return EXIT_PERMISSION;
    if (error.code === 'bad-filter') return EXIT_USAGE;
    return EXIT_OTHER;
  }
  writeError(command, error instanceof Error ? error.message : String(error));
  return EXIT_OTHER;
}

/** The file commands' name for reportFailure. */
export const reportCommandFailure = reportFailure;
