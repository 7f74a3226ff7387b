/**
 * What `handshake capture` prints per frame: the decode command's summary line or NDJSON,
 * or connection events. Kept apart from capture.ts so the printing rules live in one place.
 */
import type { LiveFrame } from '../../engine/capture-session';

export type LivePrintMode = 'text' | 'json' | 'events';

export interface LivePrinter {
  frame(frame: LiveFrame): void;
  finish(): void;
}

export function createLivePrinter(mode: LivePrintMode, linkType: number): LivePrinter {
  let firstMs: number | null = null;
  return {
    frame(frame) {
      const ms = frame.tsSec * 1000 + frame.tsNsec / 1e6;
      firstMs ??= ms;
      if (mode === 'json') {
        const epoch = `${frame.tsSec}.${String(frame.tsNsec).padStart(9, '0')}`;
        process.stdout.write(`${JSON.stringify({ 'frame.number': frame.number, 'frame.time_epoch': epoch, 'frame.len': frame.originalLength, 'frame.cap_len': frame.bytes.length })}\n`);
      } else if (mode === 'text') {
        process.stdout.write(`${String(frame.number).padStart(6)} ${((ms - firstMs) / 1000).toFixed(6)} link ${linkType} ${frame.originalLength}\n`);
      }
    },
    finish() {},
  };
}
