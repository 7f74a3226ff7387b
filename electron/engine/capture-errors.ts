/**
 * The capture engine's error classes, in a module of their own so that a command which only
 * reports them (every CLI command, through cli/errors.ts) does not load the capture session and
 * helper client with their Node modules at start-up.
 */
import type { HelperErrorCode } from '../helper/protocol';

export class CaptureError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly advice?: string,
  ) {
    super(message);
    this.name = 'CaptureError';
  }
}

export class HelperRequestError extends Error {
  constructor(
    readonly code: HelperErrorCode | 'helper-exited',
    message: string,
    readonly advice?: string,
  ) {
    super(message);
    this.name = 'HelperRequestError';
  }
}
