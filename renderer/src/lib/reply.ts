/**
 * "Craft reply" on a tracked connection: a segment from one side that continues the
 * conversation where the capture left it — the addresses and ports of the peer's last
 * segment turned around, seq = my next sequence number, ack = the peer's next.
 */
import { tcpFrame } from '../../../shared/craft';
import type { FrameSpec } from '../../../shared/craft/spec';
import { getField, getLayer, type DecodedFrame } from '../../../shared/wire/decode';
import { TCP_ACK, TCP_FIN, TCP_SYN } from '../../../shared/wire/summary';

export type ReplyKind = 'ack' | 'rst' | 'fin' | 'keepalive' | 'data';

export const REPLY_KINDS: readonly { kind: ReplyKind; label: string }[] = [
  { kind: 'ack', label: 'Next ACK' },
  { kind: 'rst', label: 'In-window RST' },
  { kind: 'fin', label: 'FIN' },
  { kind: 'keepalive', label: 'Keep-alive probe' },
  { kind: 'data', label: 'Data' },
];

function numberOf(frame: DecodedFrame, name: string): number {
  return Number(getField(frame, name)?.value ?? 0);
}

/** The sequence number after this segment: seq + data + 1 for SYN + 1 for FIN (mod 2^32). */
export function nextSequence(frame: DecodedFrame): number {
  const flags = numberOf(frame, 'tcp.flags');
  return (numberOf(frame, 'tcp.seq_raw') + numberOf(frame, 'tcp.len') + (flags & TCP_SYN ? 1 : 0) + (flags & TCP_FIN ? 1 : 0)) >>> 0;
}

/**
 * Builds the reply. `theirs` is the peer's latest segment (required: it gives addresses,
 * ports and what to acknowledge); `mine` is my own latest segment, when I sent any.
 */
export function craftReply(kind: ReplyKind, theirs: DecodedFrame, mine: DecodedFrame | null): FrameSpec {
  if (!getLayer(theirs, 'tcp')) throw new Error('the peer frame is not TCP');
  const v6 = getLayer(theirs, 'ipv6') !== undefined;
  const text = (name: string) => String(getField(theirs, name)?.value ?? '');
  // Without a segment of my own, the peer's ACK tells which sequence number it expects from me.
  const theirFlags = numberOf(theirs, 'tcp.flags');
  const mySeq = mine ? nextSequence(mine) : theirFlags & TCP_ACK ? numberOf(theirs, 'tcp.ack_raw') : 0;
  const ack = nextSequence(theirs);
  const eth = getLayer(theirs, 'eth');
  const base = {
    linkType: theirs.linkType,
    srcMac: eth ? text('eth.dst') : undefined,
    dstMac: eth ? text('eth.src') : undefined,
    src: text(v6 ? 'ipv6.dst' : 'ip.dst'),
    dst: text(v6 ? 'ipv6.src' : 'ip.src'),
    srcPort: numberOf(theirs, 'tcp.dstport'),
    dstPort: numberOf(theirs, 'tcp.srcport'),
    window: mine ? numberOf(mine, 'tcp.window_size_value') : 502,
  };
  switch (kind) {
    case 'ack':
      return tcpFrame({ ...base, flags: 'A', seq: mySeq, ack });
    case 'rst':
      // RFC 9293 §3.5.3: an RST is accepted when its seq is in the receiver's window; the next expected seq always is.
      return tcpFrame({ ...base, flags: 'R', seq: mySeq, ack: 0, window: 0 });
    case 'fin':
      return tcpFrame({ ...base, flags: 'FA', seq: mySeq, ack });
    case 'keepalive':
      // Linux's probe: seq = next − 1, no data, ACK set (RFC 9293 §3.8.4).
      return tcpFrame({ ...base, flags: 'A', seq: (mySeq - 1) >>> 0, ack });
    case 'data':
      return tcpFrame({ ...base, flags: 'PA', seq: mySeq, ack, payload: 'hello\n' });
  }
}
