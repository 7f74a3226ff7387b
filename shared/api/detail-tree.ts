/**
 * Turns a decoded frame into the detail tree the renderer shows: one node per layer,
 * one per field (labels from the field registry), bit fields drawn as Wireshark draws
 * them (`.... ..1. = Syn (SYN): Set`), TCP options grouped, checksum/malformed/analysis
 * findings as expert notes. Used by the engine for captured frames and by the editor
 * for the frame being built, so both read the same.
 */
import type { DecodedField, DecodedFrame, DecodedLayer } from '../wire/decode';
import { LAYER_DEFS, type FieldDef } from '../wire/fields';
import { toHex } from '../wire/bytes';
import { tcpFlagsText } from '../wire/info';
import { linkTypeName } from '../wire/linktypes';
import type { DetailNode, ExpertNote, Severity } from './contract';

/** What connection tracking adds to a TCP frame's tree. */
export interface TcpTreeExtras {
  stream: number;
  relativeSeq: number;
  relativeAck: number | null;
  nextSeq: number;
  /** tcp.analysis.* names set on this frame, without the prefix. */
  analysis: readonly string[];
  /** The scaled window, when the scale factor is known. */
  windowSize: number | null;
  /** Seconds since the stream's first frame (tcp.time_relative) and its previous one (tcp.time_delta). */
  timeRelative: number;
  timeDelta: number;
  /** tcp.analysis.acks_frame (0: none), ack_rtt in seconds (null: none) and bytes_in_flight (0: none). */
  acksFrame?: number;
  ackRtt?: number | null;
  bytesInFlight?: number;
}

export interface FrameTreeMeta {
  number: number;
  timeEpoch: string;
  /** Seconds since the latest time reference at or before the frame, else since the first frame (frame.time_relative). */
  time: number;
  /** The frame is a time reference (Ctrl+T). */
  timeReference?: boolean;
  tcp?: TcpTreeExtras | null;
  /** The record's captured length is above its file's snaplen (read anyway). */
  aboveSnaplen?: boolean;
  /** Packet comments (pcapng opt_comment), shown first as Wireshark does. */
  comments?: readonly string[];
  /** The interface (capture point) the frame was seen at, as Wireshark's frame.interface_id. */
  capturePoint?: { id: number; name: string };
}

/** Wireshark's wording and severity for each tcp.analysis flag. */
export const ANALYSIS_NOTES: Readonly<Record<string, { message: string; severity: Severity }>> = {
  retransmission: { message: 'This frame is a (suspected) retransmission', severity: 'note' },
  fast_retransmission: { message: 'This frame is a (suspected) fast retransmission', severity: 'note' },
  spurious_retransmission: { message: 'This frame is a (suspected) spurious retransmission', severity: 'note' },
  duplicate_ack: { message: 'Duplicate ACK', severity: 'note' },
  keep_alive: { message: 'TCP keep-alive segment', severity: 'note' },
  keep_alive_ack: { message: 'ACK to a TCP keep-alive segment', severity: 'note' },
  zero_window: { message: 'TCP Zero Window segment', severity: 'warn' },
  zero_window_probe: { message: 'TCP Zero Window Probe', severity: 'note' },
  window_update: { message: 'TCP window update', severity: 'chat' },
  window_full: { message: 'TCP window specified by the receiver is now completely full', severity: 'warn' },
  out_of_order: { message: 'This frame is a (suspected) out-of-order segment', severity: 'warn' },
  lost_segment: { message: 'Previous segment(s) not captured (common at capture start)', severity: 'warn' },
  ack_lost_segment: { message: 'ACKed segment that wasn\'t captured (common at capture start)', severity: 'warn' },
  reused_ports: { message: 'A new tcp session is started with the same ports as an earlier session in this trace', severity: 'note' },
};

const FIELD_DEFS: ReadonlyMap<string, FieldDef> = new Map(
  Object.values(LAYER_DEFS).flatMap((layer) => layer.fields.map((def) => [def.name, def] as const)),
);

const ETHER_TYPES: Readonly<Record<number, string>> = { 0x0800: 'IPv4', 0x86dd: 'IPv6', 0x0806: 'ARP', 0x8100: '802.1Q', 0x88a8: '802.1ad' };
const IP_PROTOCOLS: Readonly<Record<number, string>> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'ICMPv6', 0: 'Hop-by-hop', 43: 'Routing', 44: 'Fragment', 60: 'Destination options' };
const OPTION_NAMES: Readonly<Record<number, string>> = {
  0: 'End of Option List (EOL)',
  1: 'No-Operation (NOP)',
  2: 'Maximum segment size',
  3: 'Window scale',
  4: 'SACK permitted',
  5: 'SACK',
  8: 'Timestamps',
  34: 'TCP Fast Open Cookie',
};

const MAX_LABEL = 1000;

function node(label: string, offset: number, length: number, field: string | null = null, severity: Severity | null = null, children: DetailNode[] = []): DetailNode {
  return { label: bounded(label), field, offset, length, severity, children };
}

/** `.... ..1.` style picture of the masked bits of a field. */
function bitPicture(bytes: Uint8Array, field: DecodedField): string {
  if (field.mask === undefined) return '';
  const width = field.length * 8;
  let raw = 0;
  for (let i = 0; i < field.length; i++) raw = raw * 256 + (bytes[field.offset + i] ?? 0);
  let text = '';
  for (let bit = width - 1; bit >= 0; bit--) {
    const weight = 2 ** bit;
    const masked = Math.floor(field.mask / weight) % 2 === 1;
    text += masked ? String(Math.floor(raw / weight) % 2) : '.';
    if (bit % 4 === 0 && bit !== 0) text += ' ';
  }
  return `${text} = `;
}

/** Byte values longer than this are shown cut (the hex view has them all). */
const MAX_SHOWN_BYTES = 48;

function formatValue(def: FieldDef | undefined, field: DecodedField): string {
  const value = field.value;
  if (value instanceof Uint8Array) {
    if (value.length === 0) return '<empty>';
    if (value.length <= MAX_SHOWN_BYTES) return toHex(value, ':');
    return `${toHex(value.subarray(0, MAX_SHOWN_BYTES), ':')}… (${value.length} bytes)`;
  }
  if (typeof value === 'boolean') return def?.parent ? (value ? 'Set' : 'Not set') : value ? 'True' : 'False';
  if (typeof value === 'string') return value;
  if (!def) return String(value);
  if (def.name === 'eth.type' || def.name === 'vlan.etype' || def.name === 'sll.etype') {
    return `${ETHER_TYPES[value] ?? 'Unknown'} (0x${value.toString(16).padStart(4, '0')})`;
  }
  if (def.name === 'ip.proto' || def.name === 'ipv6.nxt' || def.name.endsWith('.nxt')) return `${IP_PROTOCOLS[value] ?? 'Unknown'} (${value})`;
  if (def.scale) return `${value} bytes (${value / def.scale})`;
  if (def.name === 'tcp.flags') return `0x${value.toString(16).padStart(3, '0')} (${tcpFlagsText(value)})`;
  if (def.display === 'hex') {
    const digits = Math.max(2, Math.ceil((def.bitWidth > 0 ? def.bitWidth : 16) / 4));
    return `0x${value.toString(16).padStart(digits, '0')}`;
  }
  return String(value);
}

function statusNode(layer: DecodedLayer, field: DecodedField, expert: ExpertNote[]): DetailNode {
  const status = String(field.value);
  const bad = status === 'bad';
  const described: Record<string, string> = {
    good: 'Good',
    bad: 'Bad',
    partial: 'Partial (pseudo-header only: offloaded by the sending host)',
    unverified: 'Unverified (frame truncated)',
  };
  if (bad) expert.push({ severity: 'error', message: `Bad ${layer.protocol.toUpperCase()} checksum`, field: field.name });
  return node(`[Checksum status: ${described[status] ?? status}]`, field.offset, field.length, field.name, bad ? 'error' : null);
}

function fieldNode(bytes: Uint8Array, field: DecodedField): DetailNode {
  const def = FIELD_DEFS.get(field.name);
  const label = def?.label ?? field.name;
  const text = `${bitPicture(bytes, field)}${label}: ${formatValue(def, field)}`;
  return node(def?.scope === 'derived' ? `[${text}]` : text, field.offset, field.length, field.name);
}

/** Any label within the contract's bound, whatever a hostile frame carries. */
function bounded(label: string): string {
  return label.length <= MAX_LABEL ? label : `${label.slice(0, MAX_LABEL - 1)}…`;
}

function layerTitle(layer: DecodedLayer, meta: FrameTreeMeta): string {
  const value = (name: string) => layer.fields.find((f) => f.name === name)?.value;
  const base = LAYER_DEFS[layer.kind].label;
  const prefix = layer.quoted ? '[Quoted] ' : '';
  switch (layer.kind) {
    case 'eth':
      return `${prefix}${base}, Src: ${String(value('eth.src'))}, Dst: ${String(value('eth.dst'))}`;
    case 'ip':
      return `${prefix}${base}, Src: ${String(value('ip.src'))}, Dst: ${String(value('ip.dst'))}`;
    case 'ipv6':
      return `${prefix}${base}, Src: ${String(value('ipv6.src'))}, Dst: ${String(value('ipv6.dst'))}`;
    case 'tcp': {
      const tcp = layer.quoted ? null : meta.tcp;
      const seq = tcp ? tcp.relativeSeq : Number(value('tcp.seq_raw'));
      const ack = !value('tcp.flags.ack') ? '' : tcp && tcp.relativeAck !== null ? `, Ack: ${tcp.relativeAck}` : `, Ack: ${String(value('tcp.ack_raw'))}`;
      return `${prefix}${base}, Src Port: ${String(value('tcp.srcport'))}, Dst Port: ${String(value('tcp.dstport'))}, Seq: ${seq}${ack}, Len: ${String(value('tcp.len') ?? 0)}`;
    }
    case 'udp':
      return `${prefix}${base}, Src Port: ${String(value('udp.srcport'))}, Dst Port: ${String(value('udp.dstport'))}`;
    case 'data':
      return `Data (${layer.length} bytes)`;
    default:
      return `${prefix}${base}`;
  }
}

function layerNode(bytes: Uint8Array, layer: DecodedLayer, meta: FrameTreeMeta, expert: ExpertNote[]): DetailNode {
  const children: DetailNode[] = [];
  const parents = new Map<string, DetailNode>();
  const optionNodes: DetailNode[] = [];
  const tcp = layer.kind === 'tcp' && !layer.quoted ? meta.tcp : null;
  for (const field of layer.fields) {
    const def = FIELD_DEFS.get(field.name);
    if (field.name.endsWith('.checksum.status')) {
      children.push(statusNode(layer, field, expert));
      continue;
    }
    if (field.name === 'ip.bogus_ip_length') {
      // Wireshark's wording: the frame holds fewer bytes than ip.len claims (and was not cut by the snap length).
      const message = `IPv4 total length exceeds packet length (${bytes.length - layer.offset} bytes)`;
      expert.push({ severity: 'error', message, field: 'ip.bogus_ip_length' });
      children.push(node(`[Expert: ${message}]`, field.offset, field.length, 'ip.bogus_ip_length', 'error'));
      continue;
    }
    const built = fieldNode(bytes, field);
    if (tcp && tcp.relativeAck !== null && (field.name === 'tcp.options.sack_le' || field.name === 'tcp.options.sack_re') && typeof field.value === 'number') {
      // SACK edges acknowledge the peer's sequence numbers: relative to its ISN as tcp.ack is, the raw edge beside it.
      const ackRaw = layer.fields.find((f) => f.name === 'tcp.ack_raw')?.value;
      if (typeof ackRaw === 'number' && layer.fields.some((f) => f.name === 'tcp.flags.ack' && f.value === true)) {
        const relative = (field.value - ((ackRaw - tcp.relativeAck) >>> 0)) >>> 0;
        built.label = bounded(`${def?.label ?? field.name}: ${relative}    (relative)    [raw: ${field.value}]`);
      }
    }
    if (def?.parent && parents.has(def.parent)) {
      parents.get(def.parent)?.children.push(built);
      continue;
    }
    if (def?.scope === 'option' && layer.tcpOptions) {
      const option = layer.tcpOptions.find((o) => field.offset >= o.offset && field.offset < o.offset + Math.max(1, o.length));
      const holder = option ? optionNodes[layer.tcpOptions.indexOf(option)] : undefined;
      if (holder) {
        holder.children.push(built);
        continue;
      }
    }
    if (field.name === 'tcp.option_kind' && layer.tcpOptions) {
      // The first field of each option opens that option's node.
      const option = layer.tcpOptions.find((o) => o.offset === field.offset);
      if (option) {
        const optionNode = node(`TCP Option - ${OPTION_NAMES[option.kind] ?? `Kind ${option.kind}`}`, option.offset, Math.max(1, option.length), null, null, [built]);
        optionNodes[layer.tcpOptions.indexOf(option)] = optionNode;
        continue;
      }
    }
    if (def?.name === 'tcp.options.sack_perm' || def?.name === 'tcp.options.wscale.multiplier') {
      const owner = optionNodes.find((n) => n !== undefined && field.offset >= n.offset && field.offset < n.offset + n.length);
      if (owner) {
        owner.children.push(built);
        continue;
      }
    }
    children.push(built);
    if (def && !def.parent) parents.set(def.name, built);
    if (tcp && field.name === 'tcp.seq_raw') {
      children.push(node(`Sequence number: ${tcp.relativeSeq}    (relative sequence number)`, field.offset, field.length, 'tcp.seq'));
      children.push(node(`[Next sequence number: ${tcp.nextSeq}    (relative sequence number)]`, field.offset, field.length, 'tcp.nxtseq'));
    }
    if (field.name === 'tcp.ack_raw' && typeof field.value === 'number' && field.value !== 0 && layer.fields.some((f) => f.name === 'tcp.flags.ack' && f.value === false)) {
      // Wireshark's note: the field is shown as it is, not relative, since no ACK makes it meaningful.
      const message = 'The acknowledgment number field is nonzero while the ACK flag is not set';
      expert.push({ severity: 'note', message, field: 'tcp.ack.nonzero' });
      children.push(node(`Acknowledgment number: ${field.value}`, field.offset, field.length, 'tcp.ack', 'note', [node(`[Expert: ${message}]`, field.offset, field.length, 'tcp.ack.nonzero', 'note')]));
    } else if (tcp && field.name === 'tcp.ack_raw' && tcp.relativeAck !== null) {
      children.push(node(`Acknowledgment number: ${tcp.relativeAck}    (relative ack number)`, field.offset, field.length, 'tcp.ack'));
    }
    if (tcp && field.name === 'tcp.window_size_value' && tcp.windowSize !== null) {
      children.push(node(`[Calculated window size: ${tcp.windowSize}]`, field.offset, field.length, 'tcp.window_size'));
    }
  }
  const options = optionNodes.filter((n): n is DetailNode => n !== undefined);
  if (options.length > 0) {
    const start = options[0].offset;
    const end = Math.max(...options.map((n) => n.offset + n.length));
    const insertAt = children.findIndex((n) => n.field === 'tcp.options.padding' || n.field === 'tcp.len');
    const group = node(`Options: (${end - start} bytes), ${options.map((n) => n.label.replace('TCP Option - ', '')).join(', ')}`, start, end - start, null, null, options);
    children.splice(insertAt < 0 ? children.length : insertAt, 0, group);
  }
  if (tcp) {
    children.unshift(node(`[Stream index: ${tcp.stream}]`, -1, 0, 'tcp.stream'));
    // Wireshark's [SEQ/ACK analysis] lines first, then the flags' expert notes.
    const lines: DetailNode[] = [];
    if (tcp.acksFrame) {
      lines.push(node(`[This is an ACK to the segment in frame: ${tcp.acksFrame}]`, -1, 0, 'tcp.analysis.acks_frame'));
      if (tcp.ackRtt) lines.push(node(`[The RTT to ACK the segment was: ${tcp.ackRtt.toFixed(9)} seconds]`, -1, 0, 'tcp.analysis.ack_rtt'));
    }
    if (tcp.bytesInFlight) lines.push(node(`[Bytes in flight: ${tcp.bytesInFlight}]`, -1, 0, 'tcp.analysis.bytes_in_flight'));
    const notes = tcp.analysis.map((name) => {
      const note = ANALYSIS_NOTES[name] ?? { message: name, severity: 'note' as Severity };
      expert.push({ severity: note.severity, message: note.message, field: `tcp.analysis.${name}` });
      return node(`[Expert: ${note.message}]`, -1, 0, `tcp.analysis.${name}`, note.severity);
    });
    if (lines.length > 0 || notes.length > 0) {
      const severity: Severity | null = notes.some((n) => n.severity === 'warn') ? 'warn' : notes.length > 0 ? 'note' : null;
      children.push(node('[SEQ/ACK analysis]', -1, 0, 'tcp.analysis', severity, [...lines, ...notes]));
    }
    children.push(
      node('[Timestamps]', -1, 0, null, null, [
        node(`[Time since first frame in this TCP stream: ${tcp.timeRelative.toFixed(9)} seconds]`, -1, 0, 'tcp.time_relative'),
        node(`[Time since previous frame in this TCP stream: ${tcp.timeDelta.toFixed(9)} seconds]`, -1, 0, 'tcp.time_delta'),
      ]),
    );
  }
  if (layer.cutShort) {
    // Wireshark's wording; a note, not an error: the capture's snap length, not the packet, is short.
    expert.push({ severity: 'note', message: 'Packet size limited during capture: TCP truncated', field: null });
    children.push(node('[Packet size limited during capture: TCP truncated]', layer.offset, layer.length, null, 'note'));
  }
  if (layer.malformed) {
    expert.push({ severity: 'error', message: `Malformed ${LAYER_DEFS[layer.kind].label}: ${layer.malformed}`, field: '_ws.malformed' });
    children.push(node(`[Malformed: ${layer.malformed}]`, layer.offset, layer.length, '_ws.malformed', 'error'));
  }
  const severity: Severity | null = layer.malformed || children.some((c) => c.severity === 'error') ? 'error' : null;
  const title = layer.kind === 'data' ? `Data (${layer.data?.length ?? layer.length} bytes)` : layerTitle(layer, meta);
  return node(title, layer.offset, layer.length, layer.protocol, severity, children);
}

export function buildDetailTree(decoded: DecodedFrame, meta: FrameTreeMeta): { tree: DetailNode[]; expert: ExpertNote[] } {
  const expert: ExpertNote[] = [];
  const bytes = decoded.bytes;
  const bits = (n: number) => `${n} bytes (${n * 8} bits)`;
  const point = meta.capturePoint;
  const frame = node(`Frame ${meta.number}: ${bits(decoded.frameLength)} on wire, ${bits(decoded.capturedLength)} captured${point ? ` on interface ${point.name}, id ${point.id}` : ''}`, 0, decoded.capturedLength, 'frame', null, [
    ...(point ? [node(`Interface id: ${point.id} (${point.name})`, -1, 0, 'frame.interface_id', null, [node(`Interface name: ${point.name}`, -1, 0, 'frame.interface_name')])] : []),
    node(`Arrival time (epoch): ${meta.timeEpoch}`, -1, 0, 'frame.time_epoch'),
    ...(meta.timeReference ? [node('This is a Time Reference frame', -1, 0, null)] : []),
    node(`Time since reference or first frame: ${meta.time.toFixed(9)} seconds`, -1, 0, 'frame.time_relative'),
    node(`Frame number: ${meta.number}`, -1, 0, 'frame.number'),
    node(`Frame length: ${bits(decoded.frameLength)}`, -1, 0, 'frame.len'),
    node(`Capture length: ${bits(decoded.capturedLength)}`, -1, 0, 'frame.cap_len'),
    node(`Link type: ${linkTypeName(decoded.linkType)} (${decoded.linkType})`, -1, 0, null),
  ]);
  const tree = [frame];
  if (meta.comments && meta.comments.length > 0) {
    // Wireshark: a "Packet comments" subtree above the frame, one frame.comment per comment, and a comment-level note.
    tree.unshift(node('Packet comments', -1, 0, null, null, meta.comments.map((comment) => node(comment, -1, 0, 'frame.comment'))));
    for (const comment of meta.comments) expert.push({ severity: 'chat', message: comment, field: 'frame.comment' });
  }
  if (meta.aboveSnaplen) {
    const message = `Captured length ${decoded.capturedLength} is above the snap length in the file's header (read anyway, as libpcap does)`;
    expert.push({ severity: 'warn', message, field: 'frame.cap_len' });
    frame.children.push(node(`[${message}]`, -1, 0, 'frame.cap_len', 'warn'));
  }
  for (const layer of decoded.layers) tree.push(layerNode(bytes, layer, meta, expert));
  if (decoded.trailer && decoded.trailer.length > 0) {
    tree.push(node(`Trailer / padding: ${toHex(decoded.trailer, ':')}`, decoded.trailerOffset, decoded.trailer.length, 'eth.trailer'));
  }
  if (decoded.malformed && !decoded.layers.some((layer) => layer.malformed)) {
    expert.push({ severity: 'error', message: `Malformed packet: ${decoded.malformed}`, field: '_ws.malformed' });
    tree.push(node(`[Malformed Packet: ${decoded.malformed}]`, -1, 0, '_ws.malformed', 'error'));
  }
  return { tree, expert };
}
