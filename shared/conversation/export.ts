/**
 * A captured connection as a conversation script: one side's segments become `<` lines (to
 * inject), the other's `>` lines (to expect), with the relative timing seen, in the numbers a
 * script uses (sequence numbers relative to each side's ISN, acks to the other's). Replayed
 * with `handshake run` against another server, the exchange is re-enacted and its answers checked.
 */
import { formatSegment, FLAG_SYN, type ScriptOption, type SegmentView } from './script';
import { decodeSegment, type DecodedSegment } from './runner';

export interface CapturedPacket {
  /** Seconds (any epoch; only differences are used). */
  time: number;
  /** The IP packet. */
  packet: Uint8Array;
  /** 1-based frame number in the capture, for the line comments. */
  frame: number;
}

export interface ExportedScript {
  text: string;
  /** "ADDR:PORT" of our side and of the peer, as in the capture. */
  ours: string;
  peer: string;
  lines: number;
}

function endpoint(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function formatTime(delta: number): string {
  return `+${Math.max(0, delta).toFixed(6).replace(/\.?0+$/, '') || '0'}`;
}

/**
 * A captured segment as a script line's segment: sequence numbers relative to its sender's
 * ISN (`ownBase`), acks and SACK blocks to the receiver's (`otherBase`). What we send is
 * replayed as it was; what the peer sends is held to flags, numbers, length and options.
 */
export function scriptView(segment: DecodedSegment, fromUs: boolean, ownBase: number, otherBase: number): SegmentView {
  const options: ScriptOption[] = segment.options.map((option) =>
    option.kind === 'sack' ? { kind: 'sack', blocks: option.blocks.map(([left, right]) => [(left - otherBase) >>> 0, (right - otherBase) >>> 0] as [number, number]) } : option,
  );
  return {
    flags: segment.flags,
    seqStart: (segment.seq - ownBase) >>> 0,
    length: segment.payload.length,
    ack: segment.flags & 0x10 ? (segment.ack - otherBase) >>> 0 : null,
    window: fromUs ? segment.window : null,
    options,
    payload: fromUs ? segment.payload : null,
  };
}

/**
 * `ours` names the side that becomes `<` lines (its "ADDR:PORT"); by default the side that
 * sent the first SYN, or the first packet's sender when there is none.
 */
export function scriptFromCapture(packets: readonly CapturedPacket[], options: { ours?: string; title?: string } = {}): ExportedScript {
  const segments = packets
    .map((captured) => ({ captured, segment: decodeSegment(captured.packet) }))
    .filter((entry): entry is { captured: CapturedPacket; segment: NonNullable<ReturnType<typeof decodeSegment>> } => entry.segment !== null);
  if (segments.length === 0) throw new Error('no TCP segments to export');
  const senderOf = (entry: (typeof segments)[number]) => endpoint(entry.segment.source, entry.segment.srcPort);
  const receiverOf = (entry: (typeof segments)[number]) => endpoint(entry.segment.destination, entry.segment.dstPort);
  const firstSyn = segments.find((entry) => (entry.segment.flags & (FLAG_SYN | 0x10)) === FLAG_SYN);
  const ours = options.ours ?? senderOf(firstSyn ?? segments[0]);
  const peerEntry = segments.find((entry) => senderOf(entry) !== ours) ?? segments.find((entry) => senderOf(entry) === ours);
  const peer = peerEntry ? (senderOf(peerEntry) === ours ? receiverOf(peerEntry) : senderOf(peerEntry)) : '';
  if (!segments.some((entry) => senderOf(entry) === ours || receiverOf(entry) === ours)) throw new Error(`${ours} is not an end of this connection`);

  // Each side's ISN: its SYN's sequence number, or one below its first segment's when the capture starts mid-connection.
  const isnOf = (side: string): number => {
    const syn = segments.find((entry) => senderOf(entry) === side && entry.segment.flags & FLAG_SYN);
    if (syn) return syn.segment.seq;
    const first = segments.find((entry) => senderOf(entry) === side);
    return first ? (first.segment.seq - 1) >>> 0 : 0;
  };
  const ourIsn = isnOf(ours);
  const peerIsn = isnOf(peer);
  const lines = [
    `// ${options.title ?? `A captured connection between ${ours} (our side, < lines) and ${peer} (the peer, > lines), with the timing seen`}.`,
    `// Exported by handshake analyze --script; run it with: handshake run FILE -i IFACE --local ADDR --remote ${peer}`,
  ];
  let previous = segments[0].captured.time;
  for (const { captured, segment } of segments) {
    const fromUs = endpoint(segment.source, segment.srcPort) === ours;
    const view = scriptView(segment, fromUs, fromUs ? ourIsn : peerIsn, fromUs ? peerIsn : ourIsn);
    lines.push(`${formatTime(captured.time - previous).padEnd(10)} ${fromUs ? '<' : '>'} ${formatSegment(view, Number.POSITIVE_INFINITY)}   // frame ${captured.frame}`);
    previous = captured.time;
  }
  return { text: `${lines.join('\n')}\n`, ours, peer, lines: segments.length };
}
