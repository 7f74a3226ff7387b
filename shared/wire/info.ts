/**
 * The summary line's Source, Destination, Protocol and Info columns, worded the way Wireshark
 * words them (`51234 → 443 [SYN] Seq=0 Win=64240 Len=0 MSS=1460 SACK_PERM WS=128`).
 */
import { getField, getLayer, type DecodedFrame, type DecodedLayer } from './decode';
import { linkTypeRegistryName } from './linktypes';
import { PPPOE_CODE_NAMES } from './link/ppp';
import { wlanFlagsText, wlanTypeName } from './link/wlan';
import { MALFORMED } from './malformed';
import { TCP_ACK, TCP_AE, TCP_CWR, TCP_ECE, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG } from './summary';

export interface SummaryColumns {
  source: string;
  destination: string;
  protocol: string;
  info: string;
}

/** What connection tracking knows and the bare frame does not. */
export interface InfoContext {
  /** Sequence and acknowledgment numbers relative to each side's ISN; raw numbers are shown otherwise. */
  relativeSeq?: number;
  relativeAck?: number;
  /** The window after scaling. */
  window?: number;
}

/** Wireshark's flag names, in its order (lowest bit first). */
const FLAG_NAMES: ReadonlyArray<readonly [number, string]> = [
  [TCP_FIN, 'FIN'],
  [TCP_SYN, 'SYN'],
  [TCP_RST, 'RST'],
  [TCP_PSH, 'PSH'],
  [TCP_ACK, 'ACK'],
  [TCP_URG, 'URG'],
  [TCP_ECE, 'ECE'],
  [TCP_CWR, 'CWR'],
  [TCP_AE, 'AE'],
];

const TCP_RESERVED_BITS = 0xe00;

/** `SYN, ACK` for 0x012; `<None>` when no flag is set; `Reserved` last when a reserved bit is set. */
export function tcpFlagsText(flags: number): string {
  const names = FLAG_NAMES.filter(([bit]) => (flags & bit) !== 0).map(([, name]) => name);
  if (flags & TCP_RESERVED_BITS) names.push('Reserved');
  return names.length > 0 ? names.join(', ') : '<None>';
}

const IP_PROTOCOL_NAMES: Readonly<Record<number, string>> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'ICMPv6' };

const PROTOCOL_COLUMN: Readonly<Record<string, string>> = {
  eth: 'Ethernet',
  vlan: '802.1Q',
  sll: 'SLL',
  sll2: 'SLL',
  null: 'NULL',
  ip: 'IPv4',
  ipv6: 'IPv6',
  tcp: 'TCP',
  udp: 'UDP',
  icmp: 'ICMP',
  icmpv6: 'ICMPv6',
  data: 'DATA',
  radiotap: '802.11',
  wlan: '802.11',
  llc: 'LLC',
  ppp: 'PPP',
  pppoe: 'PPPoES',
  nflog: 'NFLOG',
  pktap: 'PKTAP',
  chdlc: 'CHDLC',
  ipoib: 'IPoIB',
  juniper: 'Juniper',
  vxlan: 'VXLAN',
  geneve: 'Geneve',
  gre: 'GRE',
  erspan: 'ERSPAN',
  mpls: 'MPLS',
};

export const ICMP_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'Echo (ping) reply',
  3: 'Destination unreachable',
  4: 'Source quench (flow control)',
  5: 'Redirect',
  8: 'Echo (ping) request',
  9: 'Router advertisement',
  10: 'Router solicitation',
  11: 'Time-to-live exceeded',
  12: 'Parameter problem',
  13: 'Timestamp request',
  14: 'Timestamp reply',
};

export const ICMP_UNREACHABLE_CODES: Readonly<Record<number, string>> = {
  0: 'Network unreachable',
  1: 'Host unreachable',
  2: 'Protocol unreachable',
  3: 'Port unreachable',
  4: 'Fragmentation needed',
  5: 'Source route failed',
  6: 'Destination network unknown',
  7: 'Destination host unknown',
  8: 'Source host isolated',
  9: 'Network administratively prohibited',
  10: 'Host administratively prohibited',
  11: 'Network unreachable for TOS',
  12: 'Host unreachable for TOS',
  13: 'Communication administratively filtered',
  14: 'Host precedence violation',
  15: 'Precedence cutoff in effect',
};

const ICMP_TIME_EXCEEDED_CODES: Readonly<Record<number, string>> = {
  0: 'Time to live exceeded in transit',
  1: 'Fragment reassembly time exceeded',
};

export const ICMPV6_TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'Destination Unreachable',
  2: 'Packet Too Big',
  3: 'Time Exceeded',
  4: 'Parameter Problem',
  128: 'Echo (ping) request',
  129: 'Echo (ping) reply',
  130: 'Multicast Listener Query',
  131: 'Multicast Listener Report',
  132: 'Multicast Listener Done',
  133: 'Router Solicitation',
  134: 'Router Advertisement',
  135: 'Neighbor Solicitation',
  136: 'Neighbor Advertisement',
  137: 'Redirect',
  // Wireshark adds a detail in parentheses to some of these (the command, subject or code); the name is the same.
  138: 'Router Renumbering',
  139: 'Node Information Query',
  140: 'Node Information Reply',
  141: 'Inverse Neighbor Discovery Solicitation',
  142: 'Inverse Neighbor Discovery Advertisement',
  143: 'Multicast Listener Report Message v2',
  144: 'Home Agent Address Discovery Request',
  145: 'Home Agent Address Discovery Reply',
  146: 'Mobile Prefix Solicitation',
  147: 'Mobile Prefix Advertisement',
  148: 'Certification Path Solicitation',
  149: 'Certification Path Advertisement',
  150: 'Experimental Mobility',
  151: 'Multicast Router Advertisement',
  152: 'Multicast Router Solicitation',
  153: 'Multicast Router Termination',
  154: 'FMIPv6',
  155: 'RPL Control',
  156: 'Locator Update',
  157: 'Duplicate Address Request',
  158: 'Duplicate Address Confirmation',
  159: 'MPL Control Message',
  160: 'Extended Echo request',
  161: 'Extended Echo reply',
};

const ICMPV6_UNREACHABLE_CODES: Readonly<Record<number, string>> = {
  0: 'No route to destination',
  1: 'Administratively prohibited',
  2: 'Beyond scope of source address',
  3: 'Address unreachable',
  4: 'Port unreachable',
  5: 'Source address failed ingress/egress policy',
  6: 'Reject route to destination',
};

const ICMPV6_TIME_EXCEEDED_CODES: Readonly<Record<number, string>> = {
  0: 'hop limit exceeded in transit',
  1: 'fragment reassembly time exceeded',
};

function numberField(layer: DecodedLayer, name: string): number {
  const value = layer.fields.find((field) => field.name === name)?.value;
  return typeof value === 'number' ? value : 0;
}

function stringField(frame: DecodedFrame, name: string): string | undefined {
  const value = getField(frame, name)?.value;
  return typeof value === 'string' ? value : undefined;
}

function hex4(value: number): string {
  return `0x${value.toString(16).padStart(4, '0')}`;
}

function tcpInfo(tcp: DecodedLayer, context: InfoContext): string {
  const flags = numberField(tcp, 'tcp.flags');
  const parts = [`${numberField(tcp, 'tcp.srcport')} → ${numberField(tcp, 'tcp.dstport')} [${tcpFlagsText(flags)}]`];
  parts.push(`Seq=${context.relativeSeq ?? numberField(tcp, 'tcp.seq_raw')}`);
  if (flags & TCP_ACK) parts.push(`Ack=${context.relativeAck ?? numberField(tcp, 'tcp.ack_raw')}`);
  parts.push(`Win=${context.window ?? numberField(tcp, 'tcp.window_size_value')}`);
  if (flags & TCP_URG) parts.push(`Urg=${numberField(tcp, 'tcp.urgent_pointer')}`);
  parts.push(`Len=${numberField(tcp, 'tcp.len')}`);
  for (const option of tcp.tcpOptions ?? []) {
    const spec = option.spec;
    switch (spec.kind) {
      case 'mss':
        parts.push(`MSS=${spec.value}`);
        break;
      case 'sack_perm':
        parts.push('SACK_PERM');
        break;
      case 'timestamp':
        parts.push(`TSval=${spec.tsval}`, `TSecr=${spec.tsecr}`);
        break;
      case 'wscale':
        parts.push(`WS=${2 ** Math.min(spec.shift, 14)}`);
        break;
      case 'sack':
        for (const [left, right] of spec.blocks) parts.push(`SLE=${left}`, `SRE=${right}`);
        break;
      case 'tfo':
        parts.push(spec.cookie.length === 0 ? 'TFO=R' : 'TFO=C');
        break;
      default:
    }
  }
  return parts.join(' ');
}

function icmpInfo(frame: DecodedFrame, icmp: DecodedLayer): string {
  const v6 = icmp.kind === 'icmpv6';
  const type = numberField(icmp, `${icmp.kind}.type`);
  const code = numberField(icmp, `${icmp.kind}.code`);
  const names = v6 ? ICMPV6_TYPE_NAMES : ICMP_TYPE_NAMES;
  let text = names[type] ?? `Unknown type ${type}`;
  const codes = v6
    ? type === 1
      ? ICMPV6_UNREACHABLE_CODES
      : type === 3
        ? ICMPV6_TIME_EXCEEDED_CODES
        : undefined
    : type === 3
      ? ICMP_UNREACHABLE_CODES
      : type === 11
        ? ICMP_TIME_EXCEEDED_CODES
        : undefined;
  if (codes) text += ` (${codes[code] ?? `code ${code}`})`;
  if (icmp.variant === 'echo') {
    const id = numberField(icmp, v6 ? 'icmpv6.echo.identifier' : 'icmp.ident');
    const seq = numberField(icmp, v6 ? 'icmpv6.echo.sequence_number' : 'icmp.seq');
    const swapped = ((seq & 0xff) << 8) | (seq >>> 8);
    const hops = getField(frame, v6 ? 'ipv6.hlim' : 'ip.ttl')?.value;
    // Wireshark pads the ICMPv4 type name to 20 columns so the identifiers line up; ICMPv6 is not padded.
    text = `${v6 ? text : text.padEnd(20)} id=${hex4(id)}, seq=${seq}${v6 ? '' : `/${swapped}`}, ${v6 ? 'hop limit' : 'ttl'}=${String(hops ?? '?')}`;
  }
  return text;
}

/** `IPv6 fragment (off=40 more=y ident=0x00000009 nxt=6)` for a non-first or non-last fragment. */
function ipv6FragmentInfo(ipv6: DecodedLayer): string {
  const fragment = ipv6.extHeaders?.find((ext) => ext.type === 44);
  if (!fragment) return '';
  const offset = numberField(ipv6, 'ipv6.fraghdr.offset');
  const more = ipv6.fields.some((field) => field.name === 'ipv6.fraghdr.more' && field.value === true);
  if (offset === 0 && !more) return '';
  const ident = numberField(ipv6, 'ipv6.fraghdr.ident').toString(16).padStart(8, '0');
  return `IPv6 fragment (off=${offset * 8} more=${more ? 'y' : 'n'} ident=0x${ident} nxt=${numberField(ipv6, 'ipv6.fraghdr.nxt')})`;
}

/** The frame's innermost (non-quoted) value of a text field: a tunnelled frame's columns show its inner packet, as tshark's do. */
function innermostString(frame: DecodedFrame, name: string): string | undefined {
  for (let i = frame.layers.length - 1; i >= 0; i--) {
    const layer = frame.layers[i];
    if (layer.quoted) continue;
    for (const field of layer.fields) if (field.name === name && typeof field.value === 'string') return field.value;
  }
  return undefined;
}

/** Info of a frame whose top layer is a link or tunnel header, in tshark's words. */
function headerInfo(top: DecodedLayer, protocol: string): string {
  switch (top.kind) {
    case 'wlan': {
      let text = `${wlanTypeName(numberField(top, 'wlan.fc.type_subtype'))}, SN=${numberField(top, 'wlan.seq')}, FN=${numberField(top, 'wlan.frag')}, Flags=${wlanFlagsText(numberField(top, 'wlan.flags'))}`;
      const interval = top.fields.find((field) => field.name === 'wlan.fixed.beacon');
      if (interval) text += `, BI=${String(interval.value)}`;
      const ssid = top.fields.find((field) => field.name === 'wlan.ssid')?.value;
      if (ssid instanceof Uint8Array) text += `, SSID="${String.fromCharCode(...ssid)}"`;
      return text;
    }
    case 'pppoe':
      return top.protocol === 'pppoed' ? PPPOE_CODE_NAMES[numberField(top, 'pppoe.code')] ?? `PPPoE discovery code 0x${numberField(top, 'pppoe.code').toString(16)}` : protocol;
    case 'ipoib':
      return 'IP over Infiniband';
    default:
      return protocol;
  }
}

export function frameColumns(frame: DecodedFrame, context: InfoContext = {}): SummaryColumns {
  // The innermost IP header of either version gives the addresses (6in4 shows the IPv6 ones).
  const innerIp = lastIpLayer(frame);
  const v6 = innerIp?.kind === 'ipv6';
  const source =
    innermostString(frame, v6 ? 'ipv6.src' : 'ip.src') ?? innermostString(frame, 'ipv6.src') ?? stringField(frame, 'eth.src') ?? stringField(frame, 'sll.src.eth') ?? stringField(frame, 'wlan.sa') ?? '';
  const destination = innermostString(frame, v6 ? 'ipv6.dst' : 'ip.dst') ?? innermostString(frame, 'ipv6.dst') ?? stringField(frame, 'eth.dst') ?? stringField(frame, 'wlan.da') ?? '';
  const own = frame.layers.filter((layer) => !layer.quoted);
  const top = [...own].reverse().find((layer) => layer.kind !== 'data') ?? own[own.length - 1];
  let protocol = top ? (top.protocol === 'pppoed' ? 'PPPoED' : PROTOCOL_COLUMN[top.kind]) : 'UNKNOWN';
  let info = '';
  const tcp = getLayer(frame, 'tcp');
  const udp = lastLayer(frame, 'udp');
  const icmp = getLayer(frame, 'icmp') ?? getLayer(frame, 'icmpv6');
  const ip = lastLayer(frame, 'ip');
  const ipv6 = lastLayer(frame, 'ipv6');
  if (frame.malformed === MALFORMED.unknownLinkType) {
    // Not a broken frame: a link type the decoder does not follow, named so the user knows which.
    return { source, destination, protocol: linkTypeRegistryName(frame.linkType).replace(/^LINKTYPE_/, ''), info: `Link type ${frame.linkType} (${linkTypeRegistryName(frame.linkType)}) is not decoded: ${frame.capturedLength} bytes` };
  }
  if (tcp) info = tcpInfo(tcp, context);
  else if (udp && udp === top) {
    const length = numberField(udp, 'udp.length');
    info = `${numberField(udp, 'udp.srcport')} → ${numberField(udp, 'udp.dstport')} Len=${Math.max(length - 8, 0)}`;
  } else if (icmp) info = icmpInfo(frame, icmp);
  else if (ip && ip === top && (numberField(ip, 'ip.frag_offset') > 0 || ip.fields.some((field) => field.name === 'ip.flags.mf' && field.value === true))) {
    const proto = numberField(ip, 'ip.proto');
    const name = IP_PROTOCOL_NAMES[proto];
    info = `Fragmented IP protocol (proto=${name ? `${name} ` : ''}${proto}, off=${numberField(ip, 'ip.frag_offset') * 8}, ID=${numberField(ip, 'ip.id').toString(16).padStart(4, '0')})`;
  } else if (ipv6 && ipv6 === top && ipv6FragmentInfo(ipv6)) {
    info = ipv6FragmentInfo(ipv6);
  } else if (top) {
    info = top.kind === 'data' ? `${top.length} bytes` : headerInfo(top, protocol);
  }
  if (frame.malformed) {
    info = info ? `${info} [Malformed Packet: ${frame.malformed}]` : `[Malformed Packet: ${frame.malformed}]`;
    if (!top) protocol = 'UNKNOWN';
  } else if (frame.layers.some((layer) => layer.cutShort)) {
    info += '[Packet size limited during capture]'; // tshark's words, appended as it does
  }
  return { source, destination, protocol, info };
}

function lastIpLayer(frame: DecodedFrame): DecodedLayer | undefined {
  for (let i = frame.layers.length - 1; i >= 0; i--) {
    const layer = frame.layers[i];
    if (!layer.quoted && (layer.kind === 'ip' || layer.kind === 'ipv6')) return layer;
  }
  return undefined;
}

function lastLayer(frame: DecodedFrame, kind: DecodedLayer['kind']): DecodedLayer | undefined {
  for (let i = frame.layers.length - 1; i >= 0; i--) if (frame.layers[i].kind === kind && !frame.layers[i].quoted) return frame.layers[i];
  return undefined;
}
