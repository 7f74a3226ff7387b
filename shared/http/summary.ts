/** A connection's HTTP for `analyze`: the JSON object and the ladder's request and response arrows. */
import type { JsonObject } from '../track/json';
import type { HttpConnectionSummary } from './dissector';

export function httpSummaryJson(summary: HttpConnectionSummary): JsonObject {
  return {
    version: summary.version,
    requests: summary.exchanges.map((e) => ({
      method: e.method,
      authority: e.authority,
      path: e.path,
      status: e.status,
      request_frame: e.requestFrame,
      response_frame: e.responseFrame,
      ...(e.streamId !== null ? { stream_id: e.streamId } : {}),
    })),
  };
}

const LABEL = 22;
const clip = (text: string) => (text.length > LABEL ? `${text.slice(0, LABEL - 1)}…` : text);

/** One arrow per request and per response (at most `limit` exchanges, so a long connection keeps a readable ladder). */
export function httpLadderSteps(summary: HttpConnectionSummary, limit = 50): { frame: number; fromClient: boolean; label: string }[] {
  const steps: { frame: number; fromClient: boolean; label: string }[] = [];
  for (const e of summary.exchanges.slice(0, limit)) {
    if (e.requestFrame !== null) steps.push({ frame: e.requestFrame, fromClient: true, label: clip(`${e.method ?? '?'} ${e.path ?? ''}`) });
    if (e.responseFrame !== null) steps.push({ frame: e.responseFrame, fromClient: false, label: clip(`${e.status ?? '?'}${e.streamId !== null ? ` [${e.streamId}]` : ''}`) });
  }
  return steps;
}
