/**
 * A frame's DNS messages as `decode --json` keys with Wireshark's display-filter names. A field
 * that occurs once is a scalar, several times an array (answers, TTLs, ALPN ids).
 */
import { toHex } from '../wire/bytes';
import type { JsonFieldValue, JsonScalar } from '../wire/json';
import type { DnsFrameMessage } from './dissector';
import { displayName } from './message';

/** Every key this module may write (the display filter's known names). */
export const DNS_FIELD_NAMES: readonly string[] = [
  'dns',
  'dns.id',
  'dns.flags',
  'dns.flags.response',
  'dns.flags.opcode',
  'dns.flags.authoritative',
  'dns.flags.truncated',
  'dns.flags.recdesired',
  'dns.flags.recavail',
  'dns.flags.z',
  'dns.flags.authenticated',
  'dns.flags.checkdisable',
  'dns.flags.rcode',
  'dns.count.queries',
  'dns.count.answers',
  'dns.count.auth_rr',
  'dns.count.add_rr',
  'dns.qry.name',
  'dns.qry.name.len',
  'dns.count.labels',
  'dns.qry.type',
  'dns.qry.class',
  'dns.resp.name',
  'dns.resp.type',
  'dns.resp.class',
  'dns.resp.ttl',
  'dns.resp.len',
  'dns.a',
  'dns.aaaa',
  'dns.cname',
  'dns.ns',
  'dns.ptr.domain_name',
  'dns.rr.udp_payload_size',
  'dns.svcb.svcpriority',
  'dns.svcb.targetname',
  'dns.svcb.svcparam.key',
  'dns.svcb.svcparam.mandatory.key',
  'dns.svcb.svcparam.alpn',
  'dns.svcb.svcparam.port',
  'dns.svcb.svcparam.ipv4hint.ip',
  'dns.svcb.svcparam.ipv6hint.ip',
  'dns.svcb.svcparam.echconfig',
  'dns.response_in',
  'dns.response_to',
  'dns.time',
  'dns.unsolicited',
  'dns.retransmission',
  'dns.retransmit_request_in',
  'dns.dname',
  'dns.length',
  'dns.resp.ext_rcode',
  'dns.resp.edns0_version',
  'dns.resp.z',
  'dns.svcb.svcparam',
  'dns.svcb.svcparam.value.length',
];

/** Writes the messages' keys into `out`. `inStream` marks a TCP segment that carried part of a message. */
export function dnsMessagesToFields(messages: readonly DnsFrameMessage[], out: Record<string, JsonFieldValue>, inStream = messages.length > 0): void {
  if (!inStream) return;
  out.dns = true;
  if (messages.length === 0) return;
  const lists = new Map<string, JsonScalar[]>();
  const add = (key: string, value: JsonScalar) => {
    let list = lists.get(key);
    if (!list) lists.set(key, (list = []));
    list.push(value);
  };
  for (const entry of messages) {
    const m = entry.message;
    if (entry.tcp) add('dns.length', m.length);
    add('dns.id', m.id);
    if (entry.responseIn !== undefined) add('dns.response_in', entry.responseIn);
    if (entry.responseTo !== undefined) add('dns.response_to', entry.responseTo);
    if (entry.latency !== undefined) add('dns.time', Number(entry.latency.toFixed(9)));
    if (entry.unsolicited) add('dns.unsolicited', true);
    if (entry.retransmission) {
      add('dns.retransmission', true);
      if (entry.retransmitOf !== undefined) add('dns.retransmit_request_in', entry.retransmitOf);
    }
    if (m.length < 12) continue;
    add('dns.flags', m.flags);
    add('dns.flags.response', m.response);
    add('dns.flags.opcode', m.opcode);
    // As Wireshark: AA, RA and the rcode belong to responses; AD and CD show on both.
    if (m.response) add('dns.flags.authoritative', m.authoritative);
    add('dns.flags.truncated', m.truncated);
    add('dns.flags.recdesired', m.recursionDesired);
    if (m.response) add('dns.flags.recavail', m.recursionAvailable);
    add('dns.flags.z', m.z);
    add('dns.flags.authenticated', m.authenticated);
    add('dns.flags.checkdisable', m.checkingDisabled);
    if (m.response) add('dns.flags.rcode', m.rcode);
    add('dns.count.queries', m.counts.questions);
    add('dns.count.answers', m.counts.answers);
    add('dns.count.auth_rr', m.counts.authority);
    add('dns.count.add_rr', m.counts.additional);
    for (const q of m.questions) {
      const name = displayName(q.name);
      add('dns.qry.name', name);
      add('dns.qry.name.len', q.name === '.' ? 6 : q.name.length);
      add('dns.count.labels', q.name === '.' ? 0 : q.name.split('.').length);
      add('dns.qry.type', q.type);
      add('dns.qry.class', q.class);
    }
    for (const r of m.records) {
      add('dns.resp.name', displayName(r.name));
      add('dns.resp.type', r.type);
      if (r.opt) {
        add('dns.rr.udp_payload_size', r.opt.udpPayloadSize);
        add('dns.resp.ext_rcode', r.opt.extendedRcode);
        add('dns.resp.edns0_version', r.opt.version);
        add('dns.resp.z', r.opt.flags);
        add('dns.resp.len', r.dataLength);
        continue;
      }
      add('dns.resp.class', r.class);
      add('dns.resp.ttl', r.ttl);
      add('dns.resp.len', r.dataLength);
      if (r.type === 1 && r.address) add('dns.a', r.address);
      if (r.type === 28 && r.address) add('dns.aaaa', r.address);
      if (r.target !== undefined) add(r.type === 5 ? 'dns.cname' : r.type === 2 ? 'dns.ns' : r.type === 12 ? 'dns.ptr.domain_name' : 'dns.dname', displayName(r.target));
      if (r.svcb) {
        add('dns.svcb.svcpriority', r.svcb.priority);
        add('dns.svcb.targetname', displayName(r.svcb.target));
        for (const p of r.svcb.params) {
          add('dns.svcb.svcparam', true);
          add('dns.svcb.svcparam.key', p.key);
          add('dns.svcb.svcparam.value.length', p.length);
          for (const key of p.mandatory ?? []) add('dns.svcb.svcparam.mandatory.key', key);
          for (const id of p.alpn ?? []) add('dns.svcb.svcparam.alpn', id);
          if (p.port !== undefined) add('dns.svcb.svcparam.port', p.port);
          for (const ip of p.ipv4hint ?? []) add('dns.svcb.svcparam.ipv4hint.ip', ip);
          for (const ip of p.ipv6hint ?? []) add('dns.svcb.svcparam.ipv6hint.ip', ip);
          if (p.ech) add('dns.svcb.svcparam.echconfig', toHex(p.ech, ':'));
        }
      }
    }
  }
  for (const [key, values] of lists) out[key] = values.length === 1 ? values[0] : values;
  const malformed = dnsMalformed(messages);
  if (malformed !== null && out['_ws.malformed'] === undefined) out['_ws.malformed'] = malformed;
}

/** The first reason a frame's DNS could not be read, for `_ws.malformed`. */
export function dnsMalformed(messages: readonly DnsFrameMessage[]): string | null {
  for (const { message } of messages) {
    if (message.malformed) return `DNS: ${message.malformed}`;
    for (const record of message.records) if (record.error) return `DNS: ${record.error}`;
  }
  return null;
}
