/**
 * The "Domain Name System" subtree of the detail pane, with Wireshark's labels and field names.
 * `base` is where the message starts in the frame (its bytes light up in the hex view), or -1
 * for a message reassembled from several TCP segments.
 */
import type { DetailNode } from '../api/contract';
import { toHex } from '../wire/bytes';
import type { DnsFrameMessage } from './dissector';
import { displayName, type DnsMessage, type DnsQuestion, type DnsRecord, type DnsSvcParam } from './message';
import { dnsClassName, dnsOpcodeName, dnsRcodeName, dnsTypeName, svcParamKeyName } from './names';

type Place = (offset: number, length: number) => { offset: number; length: number };

function makeNode(place: Place) {
  return (label: string, field: string | null, at: number, length: number, children: DetailNode[] = [], severity: DetailNode['severity'] = null): DetailNode => ({
    label,
    field,
    ...place(at, length),
    severity,
    children,
  });
}

const bit = (flags: number, mask: number, width = 16): string => {
  let s = '';
  for (let b = width - 1; b >= 0; b--) {
    s += (1 << b) & mask ? ((flags >> b) & 1 ? '1' : '0') : '.';
    if (b % 4 === 0 && b > 0) s += ' ';
  }
  return s;
};

function flagNodes(m: DnsMessage, node: ReturnType<typeof makeNode>): DetailNode[] {
  const f = m.flags;
  const out = [
    node(`${bit(f, 0x8000)} = Response: Message is a ${m.response ? 'response' : 'query'}`, 'dns.flags.response', 2, 2),
    node(`${bit(f, 0x7800)} = Opcode: ${dnsOpcodeName(m.opcode)} (${m.opcode})`, 'dns.flags.opcode', 2, 2),
  ];
  if (m.response) out.push(node(`${bit(f, 0x0400)} = Authoritative: Server is ${m.authoritative ? '' : 'not '}an authority for domain`, 'dns.flags.authoritative', 2, 2));
  out.push(node(`${bit(f, 0x0200)} = Truncated: Message is ${m.truncated ? '' : 'not '}truncated`, 'dns.flags.truncated', 2, 2));
  out.push(node(`${bit(f, 0x0100)} = Recursion desired: ${m.recursionDesired ? 'Do' : "Don't do"} query recursively`, 'dns.flags.recdesired', 2, 2));
  if (m.response) out.push(node(`${bit(f, 0x0080)} = Recursion available: Server can${m.recursionAvailable ? '' : 'not'} do recursive queries`, 'dns.flags.recavail', 2, 2));
  out.push(node(`${bit(f, 0x0040)} = Z: reserved (${m.z ? 1 : 0})`, 'dns.flags.z', 2, 2));
  out.push(node(`${bit(f, 0x0020)} = Answer authenticated: Answer/authority portion was ${m.authenticated ? '' : 'not '}authenticated by the server`, 'dns.flags.authenticated', 2, 2));
  out.push(node(`${bit(f, 0x0010)} = Non-authenticated data: ${m.checkingDisabled ? 'Acceptable' : 'Unacceptable'}`, 'dns.flags.checkdisable', 2, 2));
  if (m.response) out.push(node(`${bit(f, 0x000f)} = Reply code: ${dnsRcodeName(m.rcode)} (${m.rcode})`, 'dns.flags.rcode', 2, 2));
  return out;
}

function questionNode(q: DnsQuestion, node: ReturnType<typeof makeNode>): DetailNode {
  const name = displayName(q.name);
  const nameLength = q.length - 4;
  return node(`${name}: type ${dnsTypeName(q.type)}, class ${dnsClassName(q.class)}`, null, q.offset, q.length, [
    node(`Name: ${name}`, 'dns.qry.name', q.offset, nameLength),
    node(`[Name Length: ${q.name === '.' ? 6 : q.name.length}]`, 'dns.qry.name.len', q.offset, nameLength),
    node(`[Label Count: ${q.name === '.' ? 0 : q.name.split('.').length}]`, 'dns.count.labels', q.offset, nameLength),
    node(`Type: ${dnsTypeName(q.type)} (${q.type})`, 'dns.qry.type', q.offset + nameLength, 2),
    node(`Class: ${dnsClassName(q.class)} (0x${q.class.toString(16).padStart(4, '0')})`, 'dns.qry.class', q.offset + nameLength + 2, 2),
  ]);
}

function ttlText(ttl: number): string {
  const units: Array<[number, string]> = [
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  const parts: string[] = [];
  let rest = ttl;
  for (const [size, unit] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n} ${unit}${n === 1 ? '' : 's'}`);
    rest -= n * size;
  }
  return parts.length ? parts.join(', ') : '0 seconds';
}

function svcParamNode(p: DnsSvcParam, node: ReturnType<typeof makeNode>): DetailNode {
  const children: DetailNode[] = [node(`SvcParamKey: ${svcParamKeyName(p.key)} (${p.key})`, 'dns.svcb.svcparam.key', p.offset - 4, 2), node(`SvcParamValue length: ${p.length}`, 'dns.svcb.svcparam.value.length', p.offset - 2, 2)];
  let shown = '';
  if (p.alpn) {
    shown = p.alpn.join(',');
    for (const id of p.alpn) children.push(node(`ALPN: ${id}`, 'dns.svcb.svcparam.alpn', p.offset, p.length));
  }
  if (p.port !== undefined) {
    shown = String(p.port);
    children.push(node(`Port: ${p.port}`, 'dns.svcb.svcparam.port', p.offset, 2));
  }
  for (const [list, field] of [
    [p.ipv4hint, 'dns.svcb.svcparam.ipv4hint.ip'],
    [p.ipv6hint, 'dns.svcb.svcparam.ipv6hint.ip'],
  ] as const) {
    if (!list) continue;
    shown = list.join(',');
    const size = field.includes('ipv4') ? 4 : 16;
    list.forEach((ip, n) => children.push(node(`IP: ${ip}`, field, p.offset + n * size, size)));
  }
  if (p.ech) {
    shown = `${p.ech.length} bytes`;
    children.push(node(`ECHConfig: ${toHex(p.ech)}`, 'dns.svcb.svcparam.echconfig', p.offset, p.length));
  }
  if (p.mandatory) {
    shown = p.mandatory.map(svcParamKeyName).join(',');
    for (const key of p.mandatory) children.push(node(`Mandatory key: ${svcParamKeyName(key)} (${key})`, 'dns.svcb.svcparam.mandatory.key', p.offset, p.length));
  }
  if (p.error) children.push(node(`[${p.error}]`, null, p.offset, p.length, [], 'warn'));
  return node(`SvcParam: ${svcParamKeyName(p.key)}${shown ? `=${shown}` : ''}`, 'dns.svcb.svcparam', p.offset - 4, p.length + 4, children, p.error ? 'warn' : null);
}

function recordNode(r: DnsRecord, node: ReturnType<typeof makeNode>): DetailNode {
  const name = displayName(r.name);
  const type = dnsTypeName(r.type);
  const nameLength = r.length - 10 - r.dataLength;
  const fixed = r.offset + nameLength;
  const data = fixed + 10;
  const children: DetailNode[] = [node(`Name: ${name}`, 'dns.resp.name', r.offset, nameLength), node(`Type: ${type} (${r.type})`, 'dns.resp.type', fixed, 2)];
  let headline = `${name}: type ${type}`;
  if (r.opt) {
    children.push(
      node(`UDP payload size: ${r.opt.udpPayloadSize}`, 'dns.rr.udp_payload_size', fixed + 2, 2),
      node(`Higher bits in extended RCODE: 0x${r.opt.extendedRcode.toString(16).padStart(2, '0')}`, 'dns.resp.ext_rcode', fixed + 4, 1),
      node(`EDNS0 version: ${r.opt.version}`, 'dns.resp.edns0_version', fixed + 5, 1),
      node(`Z: 0x${r.opt.flags.toString(16).padStart(4, '0')}`, 'dns.resp.z', fixed + 6, 2),
      node(`Data length: ${r.dataLength}`, 'dns.resp.len', fixed + 8, 2),
    );
    return node(`${name}: type OPT`, null, r.offset, r.length, children);
  }
  headline += `, class ${dnsClassName(r.class)}`;
  children.push(
    node(`Class: ${dnsClassName(r.class)} (0x${r.class.toString(16).padStart(4, '0')})`, 'dns.resp.class', fixed + 2, 2),
    node(`Time to live: ${r.ttl} (${ttlText(r.ttl)})`, 'dns.resp.ttl', fixed + 4, 4),
    node(`Data length: ${r.dataLength}`, 'dns.resp.len', fixed + 8, 2),
  );
  if (r.address !== undefined) {
    children.push(node(`${r.type === 28 ? 'AAAA Address' : 'Address'}: ${r.address}`, r.type === 28 ? 'dns.aaaa' : 'dns.a', data, r.dataLength));
    headline += `, addr ${r.address}`;
  }
  if (r.target !== undefined) {
    const field = r.type === 5 ? 'dns.cname' : r.type === 2 ? 'dns.ns' : r.type === 12 ? 'dns.ptr.domain_name' : 'dns.dname';
    const label = r.type === 5 ? 'CNAME' : r.type === 2 ? 'Name Server' : r.type === 12 ? 'Domain Name' : 'DNAME';
    children.push(node(`${label}: ${displayName(r.target)}`, field, data, r.dataLength));
    headline += `, ${r.type === 5 ? 'cname' : r.type === 2 ? 'ns' : label.toLowerCase()} ${displayName(r.target)}`;
  } else if (r.summary && r.address === undefined) {
    headline += ` ${r.summary}`;
  }
  if (r.svcb) {
    children.push(node(`SvcPriority: ${r.svcb.priority}`, 'dns.svcb.svcpriority', data, 2), node(`TargetName: ${displayName(r.svcb.target)}`, 'dns.svcb.targetname', data + 2, 0));
    for (const p of r.svcb.params) children.push(svcParamNode(p, node));
  }
  if (r.error) children.push(node(`[Malformed: ${r.error}]`, null, data, r.dataLength, [], 'error'));
  return node(headline, null, r.offset, r.length, children, r.error ? 'error' : null);
}

export function dnsDetailNode(entry: DnsFrameMessage, base: number): DetailNode {
  const place: Place = (offset, length) => (base < 0 ? { offset: -1, length: 0 } : { offset: base + offset, length });
  const node = makeNode(place);
  const m = entry.message;
  const children: DetailNode[] = [];
  if (entry.tcp) children.push(node(`Length: ${m.length}`, 'dns.length', -2, 2));
  children.push(node(`Transaction ID: 0x${m.id.toString(16).padStart(4, '0')}`, 'dns.id', 0, 2));
  if (m.length >= 12) {
    children.push(
      node(`Flags: 0x${m.flags.toString(16).padStart(4, '0')} ${dnsOpcodeName(m.opcode)}${m.response ? ` response, ${dnsRcodeName(m.rcode)}` : ''}`, 'dns.flags', 2, 2, flagNodes(m, node)),
      node(`Questions: ${m.counts.questions}`, 'dns.count.queries', 4, 2),
      node(`Answer RRs: ${m.counts.answers}`, 'dns.count.answers', 6, 2),
      node(`Authority RRs: ${m.counts.authority}`, 'dns.count.auth_rr', 8, 2),
      node(`Additional RRs: ${m.counts.additional}`, 'dns.count.add_rr', 10, 2),
    );
    if (m.questions.length) children.push(node('Queries', null, 12, m.questions.reduce((n, q) => n + q.length, 0), m.questions.map((q) => questionNode(q, node))));
    const titles: Record<DnsRecord['section'], string> = { answer: 'Answers', authority: 'Authoritative nameservers', additional: 'Additional records' };
    for (const section of ['answer', 'authority', 'additional'] as const) {
      const records = m.records.filter((r) => r.section === section);
      if (records.length === 0) continue;
      const start = records[0].offset;
      const end = records[records.length - 1].offset + records[records.length - 1].length;
      children.push(node(titles[section], null, start, end - start, records.map((r) => recordNode(r, node))));
    }
  }
  if (entry.responseIn !== undefined) children.push(node(`[Response In: ${entry.responseIn}]`, 'dns.response_in', 0, 0));
  if (entry.responseTo !== undefined) children.push(node(`[Request In: ${entry.responseTo}]`, 'dns.response_to', 0, 0));
  if (entry.latency !== undefined) children.push(node(`[Time: ${entry.latency.toFixed(9)} seconds]`, 'dns.time', 0, 0));
  if (entry.unsolicited) children.push(node('[Unsolicited: True]', 'dns.unsolicited', 0, 0, [], 'warn'));
  if (entry.retransmission) children.push(node(`[Retransmitted request. Original request in: ${entry.retransmitOf}]`, 'dns.retransmit_request_in', 0, 0, [], 'note'));
  if (m.malformed) children.push(node(`[Malformed Packet: ${m.malformed}]`, null, 0, m.length, [], 'error'));
  return node(`Domain Name System (${m.response ? 'response' : 'query'})`, 'dns', 0, m.length, children, m.malformed ? 'error' : null);
}
