/**
 * What the live commands print: per frame, the decode command's summary line or NDJSON
 * object (both come from the shared FramePipeline, so live output matches `handshake
 * decode`), and per connection event, one line for `capture --events`.
 */
import type { ProcessedFrame } from '../../../shared/pipeline/frame-pipeline';
import type { ConnectionEvent } from '../../engine/live-tracking';

export type LivePrintMode = 'text' | 'json' | 'events';

/** decode's line or JSON for a frame the session has processed. */
export function processedText(processed: ProcessedFrame, json: boolean): string {
  return json ? JSON.stringify(processed.fields) : processed.line();
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
