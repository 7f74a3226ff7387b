/**
 * Ways a crafted frame leaves the editor: a hex dump text2pcap reads back, a Scapy
 * expression that builds the same bytes, and a pcap file made in the renderer itself.
 */
import { PcapWriter } from '../../../shared/files';
import { toHex } from '../../../shared/wire/bytes';
import type { DecodedFrame, DecodedLayer } from '../../../shared/wire/decode';

/** `od -Ax -tx1` style: 6-digit hex offset, 16 bytes a line; text2pcap and Wireshark's import read it. */
export function hexDump(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += 16) {
    lines.push(`${offset.toString(16).padStart(6, '0')} ${toHex(bytes, ' ', offset, Math.min(bytes.length, offset + 16))}`);
  }
  return `${lines.join('\n')}\n`;
}

function field(layer: DecodedLayer, name: string): number | boolean | string | Uint8Array | undefined {
  return layer.fields.find((f) => f.name === name)?.value;
}
const py = (value: string) => JSON.stringify(value);
const pyBytes = (bytes: Uint8Array) => `bytes.fromhex(${py(toHex(bytes))})`;

/** Scapy's spelling of the TCP options, or null when one has no Scapy name or the padding is not zeros. */
function scapyTcpOptions(layer: DecodedLayer): string[] | null {
  if (layer.tcpPadding && layer.tcpPadding.some((byte) => byte !== 0)) return null;
  const out: string[] = [];
  for (const { spec } of layer.tcpOptions ?? []) {
    switch (spec.kind) {
      case 'mss':
        out.push(`('MSS', ${spec.value})`);
        break;
      case 'wscale':
        out.push(`('WScale', ${spec.shift})`);
        break;
      case 'sack_perm':
        out.push(`('SAckOK', b'')`);
        break;
      case 'sack':
        out.push(`('SAck', (${spec.blocks.flat().join(', ')}${spec.blocks.length ? ',' : ''}))`);
        break;
      case 'timestamp':
        out.push(`('Timestamp', (${spec.tsval}, ${spec.tsecr}))`);
        break;
      case 'nop':
        out.push(`('NOP', None)`);
        break;
      case 'eol':
        out.push(`('EOL', None)`);
        break;
      default:
        return null;
    }
  }
  return out;
}

/**
 * A Scapy expression for the frame. Every field is written out, including checksums and
 * lengths, so Scapy reproduces the bytes exactly — a deliberately wrong checksum stays wrong.
 */
export function scapyExpression(decoded: DecodedFrame): string {
  const parts: string[] = [];
  for (const layer of decoded.layers) {
    if (layer.quoted) break;
    const n = (name: string) => Number(field(layer, name) ?? 0);
    const s = (name: string) => String(field(layer, name) ?? '');
    switch (layer.kind) {
      case 'eth':
        parts.push(`Ether(dst=${py(s('eth.dst'))}, src=${py(s('eth.src'))}, type=0x${n('eth.type').toString(16).padStart(4, '0')})`);
        break;
      case 'vlan':
        parts.push(`Dot1Q(prio=${n('vlan.priority')}, id=${Number(field(layer, 'vlan.dei') === true)}, vlan=${n('vlan.id')}, type=0x${n('vlan.etype').toString(16)})`);
        break;
      case 'ip': {
        const options = layer.ipOptions && layer.ipOptions.length ? `, options=[IPOption(${pyBytes(layer.ipOptions)})]` : '';
        parts.push(
          `IP(version=${n('ip.version')}, ihl=${n('ip.hdr_len') / 4}, tos=0x${n('ip.dsfield').toString(16)}, len=${n('ip.len')}, id=${n('ip.id')}, flags=${n('ip.flags')}, frag=${n('ip.frag_offset')}, ttl=${n('ip.ttl')}, proto=${n('ip.proto')}, chksum=0x${n('ip.checksum').toString(16).padStart(4, '0')}, src=${py(s('ip.src'))}, dst=${py(s('ip.dst'))}${options})`,
        );
        break;
      }
      case 'ipv6':
        parts.push(`IPv6(tc=${n('ipv6.tclass')}, fl=${n('ipv6.flow')}, plen=${n('ipv6.plen')}, nh=${n('ipv6.nxt')}, hlim=${n('ipv6.hlim')}, src=${py(s('ipv6.src'))}, dst=${py(s('ipv6.dst'))})`);
        break;
      case 'tcp': {
        const listed = scapyTcpOptions(layer);
        const head = `TCP(sport=${n('tcp.srcport')}, dport=${n('tcp.dstport')}, seq=${n('tcp.seq_raw')}, ack=${n('tcp.ack_raw')}, dataofs=${n('tcp.hdr_len') / 4}, reserved=${n('tcp.flags.res')}, flags=0x${(n('tcp.flags') & 0x1ff).toString(16)}, window=${n('tcp.window_size_value')}, chksum=0x${n('tcp.checksum').toString(16).padStart(4, '0')}, urgptr=${n('tcp.urgent_pointer')}`;
        if (listed !== null) {
          parts.push(`${head}${listed.length ? `, options=[${listed.join(', ')}]` : ''})`);
        } else {
          // Options Scapy cannot spell (raw kinds, odd padding) ride as bytes behind the fixed header;
          // dataofs and chksum are explicit, so Scapy keeps them as they are.
          const optionBytes = decoded.bytes.slice(layer.offset + 20, Math.min(layer.offset + layer.length, decoded.bytes.length));
          parts.push(`${head})`);
          if (optionBytes.length) parts.push(`Raw(load=${pyBytes(optionBytes)})`);
        }
        break;
      }
      case 'udp':
        parts.push(`UDP(sport=${n('udp.srcport')}, dport=${n('udp.dstport')}, len=${n('udp.length')}, chksum=0x${n('udp.checksum').toString(16).padStart(4, '0')})`);
        break;
      case 'icmp':
        parts.push(`ICMP(type=${n('icmp.type')}, code=${n('icmp.code')}, chksum=0x${n('icmp.checksum').toString(16).padStart(4, '0')}${layer.variant === 'echo' ? `, id=${n('icmp.ident')}, seq=${n('icmp.seq')}` : ''})`);
        break;
      case 'data':
        if (layer.data && layer.data.length) parts.push(`Raw(load=${pyBytes(layer.data)})`);
        break;
      default:
        // Layers Scapy spells differently (SLL, NULL): carry the rest as raw bytes.
        parts.push(`Raw(load=${pyBytes(decoded.bytes.slice(layer.offset))})`);
        return parts.join(' / ');
    }
  }
  if (decoded.trailer && decoded.trailer.length) parts.push(`Padding(load=${pyBytes(decoded.trailer)})`);
  return parts.join(' / ');
}

/** A one-interface pcap (µs timestamps, the moment of export) made in memory. */
export function pcapBytes(frames: readonly Uint8Array[], linkType: number): Uint8Array {
  const chunks: Uint8Array[] = [];
  const writer = new PcapWriter((chunk) => chunks.push(chunk.slice()), { linkType, resolution: 'us' });
  const now = Date.now();
  frames.forEach((data, i) => writer.writeFrame({ tsSeconds: Math.floor(now / 1000), tsNanos: ((now % 1000) * 1000 + i) * 1000, data }));
  const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
