/** The Protocol and Info columns for a frame's DNS messages, in tshark's wording. */
import type { DnsFrameMessage } from './dissector';
import { displayName, type DnsRecord } from './message';
import { dnsOpcodeName, dnsRcodeName, dnsTypeName } from './names';

function recordText(record: DnsRecord): string {
  const type = dnsTypeName(record.type);
  if (record.type === 41) return 'OPT';
  return record.summary ? `${type} ${record.summary}` : type;
}

export function dnsInfoText(messages: readonly DnsFrameMessage[]): { protocol: string; info: string } {
  const parts = messages.map(({ message: m }) => {
    const words = [`${dnsOpcodeName(m.opcode)}${m.response ? ' response' : ''}`, `0x${m.id.toString(16).padStart(4, '0')}`];
    if (m.response && m.rcode !== 0) words.push(dnsRcodeName(m.rcode));
    for (const q of m.questions) words.push(`${dnsTypeName(q.type)} ${displayName(q.name)}`);
    for (const r of m.records) words.push(recordText(r));
    return words.join(' ');
  });
  return { protocol: 'DNS', info: parts.join(', ') };
}
