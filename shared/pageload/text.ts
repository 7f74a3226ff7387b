/** The page-load timeline as text: one block per connection, a row per step with a bar on a common time scale. */
import type { Milestone, PageLoadConnection, PageLoadSummary } from './timeline';

const BAR_WIDTH = 40;

const msText = (value: number | null): string => (value === null ? '—' : `${value.toFixed(1)} ms`);

export function pageLoadText(connections: readonly PageLoadConnection[], summary: PageLoadSummary): string {
  const lines: string[] = [];
  const protocols = Object.entries(summary.protocols)
    .map(([name, n]) => `${name} ×${n}`)
    .join(', ');
  lines.push(`${summary.connections} connection${summary.connections === 1 ? '' : 's'}${protocols ? ` (${protocols})` : ''}, ${summary.dns_lookups} DNS quer${summary.dns_lookups === 1 ? 'y' : 'ies'}, page load ${msText(summary.page_load_ms)}`);
  const all = connections.flatMap((c) => Object.values(c.steps).flatMap((step) => (step ? step : [])));
  const t0 = all.reduce((a, m) => Math.min(a, m.time), Number.POSITIVE_INFINITY);
  const t1 = all.reduce((a, m) => Math.max(a, m.time), Number.NEGATIVE_INFINITY);
  const span = t1 > t0 ? t1 - t0 : 1;
  const bar = (step: [Milestone, Milestone] | null): string => {
    if (!step) return '';
    const from = Math.round(((step[0].time - t0) / span) * BAR_WIDTH);
    const to = Math.max(from + 1, Math.round(((step[1].time - t0) / span) * BAR_WIDTH));
    return `|${' '.repeat(from)}${'█'.repeat(Math.min(BAR_WIDTH, to) - from)}${' '.repeat(Math.max(0, BAR_WIDTH - Math.min(BAR_WIDTH, to)))}|`;
  };
  const at = (step: [Milestone, Milestone] | null) => (step ? `+${((step[0].time - t0) * 1000).toFixed(1).padStart(7)} ms  frames ${step[0].frame}–${step[1].frame}` : '');
  for (const c of connections) {
    lines.push('');
    lines.push(`${c.kind === 'quic' ? 'QUIC attempt' : 'tcp.stream'} ${c.stream}: ${c.client} → ${c.server}${c.host ? ` (${c.host})` : ''}, ${c.protocol ?? 'protocol unknown'}`);
    for (const reason of c.protocol_reasons) lines.push(`  why: ${reason}`);
    const d = c.durations_ms;
    const rows: Array<[string, number | null, [Milestone, Milestone] | null]> = [
      ['DNS', d.dns, c.steps.dns],
      ['Initial connection', d.initial_connection, c.steps.quic ?? (c.steps.tcp && c.steps.tls ? [c.steps.tcp[0], c.steps.tls[1]] : c.steps.tcp)],
      ['  SSL', d.ssl, c.steps.quic ?? c.steps.tls],
      ['Request sent', d.request_sent, c.steps.request],
      ['Waiting (TTFB)', d.waiting, c.steps.request && c.steps.response ? [c.steps.request[1], c.steps.response[0]] : null],
      ['Content download', d.content_download, c.steps.response],
      ['Teardown', d.teardown, c.steps.teardown],
    ];
    for (const [label, value, step] of rows) lines.push(`  ${label.padEnd(19)}${msText(value).padStart(10)}  ${bar(step)} ${at(step)}`.trimEnd());
    if (c.dns) lines.push(`  DNS: ${c.dns.types.join('+')} ${c.dns.name} → ${c.dns.addresses.join(', ') || 'no address'}${c.dns.https_alpn.length ? ` (HTTPS alpn ${c.dns.https_alpn.join(',')})` : ''}`);
    if (c.tls) lines.push(`  ${c.kind === 'quic' ? 'QUIC' : 'TLS'}: ${c.tls.version ?? 'version unknown'}, ${c.tls.decrypted === true ? 'decrypted' : c.tls.decrypted === null ? 'nothing encrypted seen' : `not decrypted (${c.tls.decrypted})`}`);
    for (const note of c.notes) lines.push(`  note: ${note}`);
  }
  for (const note of summary.notes) lines.push(`note: ${note}`);
  return `${lines.join('\n')}\n`;
}
