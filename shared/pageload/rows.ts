/** The timeline as the workbench's waterfall draws it: one flat row per connection, steps in order. */
import type { PageLoadConnection } from './timeline';

export const PAGE_LOAD_STEPS = ['dns', 'tcp', 'tls', 'quic', 'request', 'waiting', 'response', 'teardown'] as const;
export type PageLoadStepName = (typeof PAGE_LOAD_STEPS)[number];

export interface PageLoadStep {
  name: PageLoadStepName;
  /** Seconds since the capture's first frame. */
  start: number;
  end: number;
  startFrame: number;
  endFrame: number;
}

export interface PageLoadRow {
  kind: 'tcp' | 'quic';
  /** tcp.stream, or the QUIC attempt's number. */
  stream: number;
  client: string;
  server: string;
  host: string | null;
  protocol: string | null;
  reasons: string[];
  steps: PageLoadStep[];
  /** DevTools' names and milliseconds (null: not measurable). */
  durations: { name: string; ms: number | null }[];
  notes: string[];
}

export function pageLoadRows(connections: readonly PageLoadConnection[]): PageLoadRow[] {
  return connections.map((c) => {
    const steps: PageLoadStep[] = [];
    const add = (name: PageLoadStepName, step: PageLoadConnection['steps']['dns']) => {
      if (step) steps.push({ name, start: step[0].time, end: step[1].time, startFrame: step[0].frame, endFrame: step[1].frame });
    };
    add('dns', c.steps.dns);
    add('tcp', c.steps.tcp);
    add('tls', c.steps.tls);
    add('quic', c.steps.quic);
    add('request', c.steps.request);
    if (c.steps.request && c.steps.response) add('waiting', [c.steps.request[1], c.steps.response[0]]);
    add('response', c.steps.response);
    add('teardown', c.steps.teardown);
    const d = c.durations_ms;
    return {
      kind: c.kind,
      stream: c.stream,
      client: c.client,
      server: c.server,
      host: c.host,
      protocol: c.protocol,
      reasons: c.protocol_reasons,
      steps,
      durations: [
        { name: 'DNS', ms: d.dns },
        { name: 'Initial connection', ms: d.initial_connection },
        { name: 'SSL', ms: d.ssl },
        { name: 'Request sent', ms: d.request_sent },
        { name: 'Waiting (TTFB)', ms: d.waiting },
        { name: 'Content download', ms: d.content_download },
        { name: 'Teardown', ms: d.teardown },
      ],
      notes: c.notes,
    };
  });
}
