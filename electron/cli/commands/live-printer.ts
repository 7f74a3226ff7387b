/**
 * What the live commands print per frame: the decode command's summary line (number,
 * relative time, source, destination, protocol, length, Info) or its NDJSON object, built
 * from the shared decoder and column formatter so live output matches `handshake decode`.
 */
import { formatEpoch } from '../../../shared/files/timestamp';
import { decodeFrame } from '../../../shared/wire/decode';
import { frameColumns } from '../../../shared/wire/info';
import { frameFieldsJson, type JsonFieldValue } from '../../../shared/wire/json';
import type { LiveFrame } from '../../engine/capture-session';
import type { ConnectionEvent } from '../../engine/live-tracking';

export type LivePrintMode = 'text' | 'json' | 'events';

/** One summary line in the spirit of tshark's default output. */
export function frameLine(frame: LiveFrame, relativeSeconds: number): string {
  const decoded = decodeFrame(frame.bytes, frame.linkType, { frameLength: frame.originalLength });
  const columns = frameColumns(decoded);
  return [
    String(frame.number).padStart(6),
    relativeSeconds.toFixed(6).padStart(11),
    columns.source,
    '→',
    columns.destination,
    columns.protocol,
    String(frame.originalLength),
    columns.info,
  ].join(' ');
}

/** The `decode --json` object for one live frame. */
export function frameJson(frame: LiveFrame): Record<string, JsonFieldValue> {
  const decoded = decodeFrame(frame.bytes, frame.linkType, { frameLength: frame.originalLength });
  return frameFieldsJson(decoded, { number: frame.number, timeEpoch: formatEpoch(frame.tsSec, frame.tsNsec), len: frame.originalLength, capLen: frame.bytes.length });
}

export interface LivePrinter {
  frame(frame: LiveFrame): void;
  finish(): void;
}

export function createLivePrinter(mode: LivePrintMode, write: (text: string) => void = (text) => process.stdout.write(text)): LivePrinter {
  let first: number | null = null;
  return {
    frame(frame) {
      const seconds = frame.tsSec + frame.tsNsec / 1e9;
      first ??= seconds;
      if (mode === 'json') write(`${JSON.stringify(frameJson(frame))}\n`);
      else if (mode === 'text') write(`${frameLine(frame, seconds - first)}\n`);
    },
    finish() {},
  };
}

/** One line per connection event for `capture --events`. */
export function connectionEventLine(event: ConnectionEvent): string {
  switch (event.type) {
    case 'opened':
      return `opened  stream ${event.stream}  ${event.client} → ${event.server}  (frame ${event.frame})`;
    case 'state':
      return `state   stream ${event.stream}  ${event.side.padEnd(6)} ${event.state}  (frame ${event.frame})`;
    case 'closed':
      return `closed  stream ${event.stream}  ${event.client} → ${event.server}  ${event.connState} ${event.history}  (frame ${event.frame})`;
  }
}
