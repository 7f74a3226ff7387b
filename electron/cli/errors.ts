/** Exit codes and error reporting for the file commands (cli.md: 2 usage, 3 bad input file, 1 other). */
import { EXIT_OTHER, EXIT_USAGE, UsageError } from './commands/live-options';

export { UsageError };
export const EXIT_BAD_INPUT = 3;

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

export function reportCommandFailure(command: string, error: unknown, usage: string): number {
  if (error instanceof UsageError) {
    process.stderr.write(`handshake ${command}: ${error.message}\n${usage}\n`);
    return EXIT_USAGE;
  }
  if (error instanceof InputFileError) {
    process.stderr.write(`handshake ${command}: ${error.message}\n`);
    return EXIT_BAD_INPUT;
  }
  process.stderr.write(`handshake ${command}: ${error instanceof Error ? error.message : String(error)}\n`);
  return EXIT_OTHER;
}
