/**
 * The fast path must agree with the full decoder on every field both produce; this states that
 * once for the agreement and fuzz tests.
 */
import { expect } from 'vitest';
import { formatIpv4, formatIpv6 } from '../../../../shared/wire/bytes';
import { decodeFrame, type DecodedFrame, type DecodedLayer } from '../../../../shared/wire/decode';
import { summarize, summarizeAt } from '../../../../shared/wire/summarize';
import { createPacketSummary, type PacketSummary } from '../../../../shared/wire/summary';

const summary: PacketSummary = createPacketSummary();
const embeddedSummary: PacketSummary = createPacketSummary();

function value(layer: DecodedLayer | undefined, name: string): unknown {
  return layer?.fields.find((field) => field.name === name)?.value;
}

function wordsToBytes(words: Uint32Array, count: number): Uint8Array {
  const bytes = new Uint8Array(count * 4);
  for (let i = 0; i < count; i++) {
    bytes[i * 4] = words[i] >>> 24;
    bytes[i * 4 + 1] = (words[i] >>> 16) & 0xff;
    bytes[i * 4 + 2] = (words[i] >>> 8) & 0xff;
    bytes[i * 4 + 3] = words[i] & 0xff;
  }
  return bytes;
}

/** The fields where summarize and decodeFrame disagree on this frame, described; empty when they agree. */
export function summaryDisagreements(bytes: Uint8Array, linkType: number, decoded: DecodedFrame = decodeFrame(bytes, linkType)): string[] {
  summarize(bytes, linkType, summary);
  const problems: string[] = [];
  const same = (what: string, fast: unknown, full: unknown): void => {
    if (fast !== full) problems.push(`${what}: summarize ${String(fast)} vs decodeFrame ${String(full)}`);
  };
  same('malformed', summary.malformed, decoded.malformed);
  const own = decoded.layers.filter((layer) => !layer.quoted);
  const ips = own.filter((layer) => layer.kind === 'ip' || layer.kind === 'ipv6');
  const ip = ips[ips.length - 1];
  if (ip && value(ip, ip.kind === 'ip' ? 'ip.dst' : 'ipv6.dst') !== undefined) {
    same('ipVersion', summary.ipVersion, ip.kind === 'ip' ? 4 : 6);
    if (ip.kind === 'ip') {
      same('src', formatIpv4(wordsToBytes(summary.srcWords, 1)), value(ip, 'ip.src'));
      same('dst', formatIpv4(wordsToBytes(summary.dstWords, 1)), value(ip, 'ip.dst'));
      same('ttl', summary.ttl, value(ip, 'ip.ttl'));
      same('protocol', summary.protocol, value(ip, 'ip.proto'));
      if (!ip.malformed) same('fragment', summary.fragment, value(ip, 'ip.flags.mf') === true || (value(ip, 'ip.frag_offset') as number) > 0);
    } else {
      same('src', formatIpv6(wordsToBytes(summary.srcWords, 4)), value(ip, 'ipv6.src'));
      same('dst', formatIpv6(wordsToBytes(summary.dstWords, 4)), value(ip, 'ipv6.dst'));
      same('ttl', summary.ttl, value(ip, 'ipv6.hlim'));
      const exts = ip.extHeaders ?? [];
      if (!ip.malformed) same('protocol', summary.protocol, exts.length > 0 ? exts[exts.length - 1].spec.nxt : value(ip, 'ipv6.nxt'));
      // Any fragment header with an offset or more-fragments makes the packet a fragment.
      const fragmented = exts.some((ext) => ext.type === 44 && (((ext.spec.body[0] << 8) | ext.spec.body[1]) & 0xfff9) !== 0);
      if (!ip.malformed) same('fragment', summary.fragment, fragmented);
    }
  } else {
    same('ipVersion (no complete IP header)', summary.ipVersion === 0 || summary.malformed !== null, true);
  }
  const tcp = own.find((layer) => layer.kind === 'tcp');
  if (tcp && tcp.fields.some((field) => field.name === 'tcp.urgent_pointer')) {
    same('transportOffset', summary.transportOffset, tcp.offset);
    same('srcPort', summary.srcPort, value(tcp, 'tcp.srcport'));
    same('dstPort', summary.dstPort, value(tcp, 'tcp.dstport'));
    same('seq', summary.seq, value(tcp, 'tcp.seq_raw'));
    same('ack', summary.ack, value(tcp, 'tcp.ack_raw'));
    same('tcpFlags', summary.tcpFlags, value(tcp, 'tcp.flags'));
    same('window', summary.window, value(tcp, 'tcp.window_size_value'));
    same('tcpHeaderLength', summary.tcpHeaderLength, value(tcp, 'tcp.hdr_len'));
    if (value(tcp, 'tcp.len') !== undefined) same('payloadLength', summary.payloadLength, value(tcp, 'tcp.len'));
    same('mss', summary.mss, value(tcp, 'tcp.options.mss_val') ?? -1);
    same('windowScale', summary.windowScale, value(tcp, 'tcp.options.wscale.shift') ?? -1);
    same('sackPermitted', summary.sackPermitted, value(tcp, 'tcp.options.sack_perm') === true);
    same('tsval', summary.tsval, value(tcp, 'tcp.options.timestamp.tsval') ?? -1);
    same('tsecr', summary.tsecr, value(tcp, 'tcp.options.timestamp.tsecr') ?? -1);
    const lefts = tcp.fields.filter((field) => field.name === 'tcp.options.sack_le').map((field) => field.value);
    same('sackCount', summary.sackCount, Math.min(lefts.length, 4));
    for (let i = 0; i < summary.sackCount; i++) same(`sackLeft[${i}]`, summary.sackLeft[i], lefts[i]);
  } else {
    same('tcpFlags without a complete TCP header', summary.tcpFlags, 0);
  }
  // The innermost UDP header (a tunnel's own, when nothing inside it got as far as a transport header).
  const udpIndex = own.map((layer) => layer.kind).lastIndexOf('udp');
  const udp = udpIndex >= 0 && !own.slice(udpIndex).some((layer) => layer.kind === 'tcp' || layer.kind === 'icmp' || layer.kind === 'icmpv6') ? own[udpIndex] : undefined;
  if (udp && value(udp, 'udp.checksum') !== undefined) {
    same('udp srcPort', summary.srcPort, value(udp, 'udp.srcport'));
    same('udp dstPort', summary.dstPort, value(udp, 'udp.dstport'));
    if (!udp.malformed) same('udp payloadLength', summary.payloadLength, (value(udp, 'udp.length') as number) - 8);
  }
  const icmp = own.find((layer) => layer.kind === 'icmp' || layer.kind === 'icmpv6');
  if (icmp && !icmp.malformed) {
    same('icmpType', summary.icmpType, value(icmp, `${icmp.kind}.type`));
    same('icmpCode', summary.icmpCode, value(icmp, `${icmp.kind}.code`));
  }
  return problems;
}

/**
 * summarizeAt on the frame placed inside a larger array (as a file reader's chunk holds it) must
 * give the same record as summarize on the frame alone: offsets relative to the frame, and no
 * byte read outside it (the surrounding bytes are 0xff, which would change any field read).
 */
export function embeddedSummaryDisagreements(bytes: Uint8Array, linkType: number): string[] {
  const lead = 13;
  const chunk = new Uint8Array(lead + bytes.length + 64).fill(0xff);
  chunk.set(bytes, lead);
  summarize(bytes, linkType, summary);
  summarizeAt(chunk, lead, bytes.length, linkType, embeddedSummary);
  const problems: string[] = [];
  for (const key of Object.keys(summary) as (keyof PacketSummary)[]) {
    const alone = summary[key];
    const embedded = embeddedSummary[key];
    const same = alone instanceof Uint32Array && embedded instanceof Uint32Array ? alone.every((word, i) => word === embedded[i]) : alone === embedded;
    if (!same) problems.push(`${key}: alone ${String(alone)} vs embedded ${String(embedded)}`);
  }
  return problems;
}

export function expectSummaryAgrees(bytes: Uint8Array, linkType: number, label: string): void {
  expect(summaryDisagreements(bytes, linkType), label).toEqual([]);
  expect(embeddedSummaryDisagreements(bytes, linkType), `${label} (inside a larger array)`).toEqual([]);
}
