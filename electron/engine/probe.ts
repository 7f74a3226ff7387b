/**
 * Matching replies to crafted frames the way Scapy's sr1 does, and spotting the local
 * kernel's RST that kills a hand-made handshake (Scapy #3215, gopacket #391).
 *
 * A reply to a TCP probe comes from the probe's destination to its source with the ports
 * swapped and, when it carries an ACK, acknowledges exactly what the probe consumed; an RST
 * without ACK must carry the probe's ack as its seq. An ICMP error matches when the datagram
 * it quotes is the probe's (addresses, protocol and ports).
 */
import { summarize } from '../../shared/wire/summarize';
import { createPacketSummary, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type PacketSummary } from '../../shared/wire/summary';
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP } from '../../shared/wire/linktypes';

export interface Probe {
  ipVersion: 4 | 6;
  src: Uint32Array;
  dst: Uint32Array;
  protocol: number;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  tcpFlags: number;
  payloadLength: number;
}

export type ReplyKind = 'reply' | 'icmp-error';

const scratch = createPacketSummary();

function wordsEqual(a: Uint32Array, b: Uint32Array, version: 4 | 6): boolean {
  const count = version === 4 ? 1 : 4;
  for (let index = 0; index < count; index++) if (a[index] !== b[index]) return false;
  return true;
}

/** The probe a crafted frame makes, or null when it is not IP with TCP/UDP/ICMP. */
export function probeOf(bytes: Uint8Array, linkType: number): Probe | null {
  summarize(bytes, linkType, scratch);
  if (scratch.ipVersion === 0 || scratch.fragment) return null;
  return {
    ipVersion: scratch.ipVersion,
    src: scratch.srcWords.slice(),
    dst: scratch.dstWords.slice(),
    protocol: scratch.protocol,
    srcPort: scratch.srcPort,
    dstPort: scratch.dstPort,
    seq: scratch.seq,
    ack: scratch.ack,
    tcpFlags: scratch.tcpFlags,
    payloadLength: Math.max(0, scratch.payloadLength),
  };
}

/** Sequence space a TCP segment consumes: its payload, plus one each for SYN and FIN. */
export function sequenceSpace(flags: number, payloadLength: number): number {
  return payloadLength + (flags & TCP_SYN ? 1 : 0) + (flags & TCP_FIN ? 1 : 0);
}

function isReversed(probe: Probe, summary: PacketSummary): boolean {
  return (
    summary.ipVersion === probe.ipVersion &&
    wordsEqual(summary.srcWords, probe.dst, probe.ipVersion) &&
    wordsEqual(summary.dstWords, probe.src, probe.ipVersion) &&
    summary.srcPort === probe.dstPort &&
    summary.dstPort === probe.srcPort
  );
}

function tcpAnswers(probe: Probe, summary: PacketSummary): boolean {
  if (summary.tcpFlags & TCP_ACK) return summary.ack === ((probe.seq + sequenceSpace(probe.tcpFlags, probe.payloadLength)) >>> 0);
  if (summary.tcpFlags & TCP_RST) return (probe.tcpFlags & TCP_ACK) !== 0 && summary.seq === probe.ack;
  // A bare SYN back is the other half of a simultaneous open.
  return (summary.tcpFlags & TCP_SYN) !== 0 && (probe.tcpFlags & TCP_SYN) !== 0;
}

/** The datagram an ICMP error quotes is the probe: addresses, protocol and the first 4 transport bytes. */
function quotesProbe(probe: Probe, bytes: Uint8Array, summary: PacketSummary): boolean {
  const quoted = summary.transportOffset + 8;
  if (probe.ipVersion === 4) {
    if (quoted + 20 > bytes.length || bytes[quoted] >> 4 !== 4) return false;
    const headerLength = (bytes[quoted] & 0x0f) * 4;
    if (bytes[quoted + 9] !== probe.protocol || !matchesWords(bytes, quoted + 12, probe.src, 1) || !matchesWords(bytes, quoted + 16, probe.dst, 1)) return false;
    return portsMatch(probe, bytes, quoted + headerLength);
  }
  if (quoted + 40 > bytes.length || bytes[quoted] >> 4 !== 6) return false;
  if (bytes[quoted + 6] !== probe.protocol || !matchesWords(bytes, quoted + 8, probe.src, 4) || !matchesWords(bytes, quoted + 24, probe.dst, 4)) return false;
  return portsMatch(probe, bytes, quoted + 40);
}

function matchesWords(bytes: Uint8Array, offset: number, words: Uint32Array, count: number): boolean {
  for (let index = 0; index < count; index++) {
    const at = offset + index * 4;
    const word = ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
    if (word !== words[index]) return false;
  }
  return true;
}

function portsMatch(probe: Probe, bytes: Uint8Array, offset: number): boolean {
  if (probe.protocol !== IPPROTO_TCP && probe.protocol !== IPPROTO_UDP) return true;
  if (offset + 4 > bytes.length) return false;
  return ((bytes[offset] << 8) | bytes[offset + 1]) === probe.srcPort && ((bytes[offset + 2] << 8) | bytes[offset + 3]) === probe.dstPort;
}

function isIcmpError(summary: PacketSummary): boolean {
  if (summary.protocol === IPPROTO_ICMP) return [3, 4, 5, 11, 12].includes(summary.icmpType);
  if (summary.protocol === IPPROTO_ICMPV6) return summary.icmpType >= 1 && summary.icmpType <= 4;
  return false;
}

/** How `bytes` answers `probe`, or null when it does not. */
export function replyKind(probe: Probe, bytes: Uint8Array, linkType: number): ReplyKind | null {
  summarize(bytes, linkType, scratch);
  if (scratch.ipVersion !== probe.ipVersion) return null;
  if (isIcmpError(scratch)) {
    const toProbeSource = wordsEqual(scratch.dstWords, probe.src, probe.ipVersion);
    return toProbeSource && quotesProbe(probe, bytes, scratch) ? 'icmp-error' : null;
  }
  if (scratch.protocol !== probe.protocol || !isReversed(probe, scratch)) return null;
  if (probe.protocol === IPPROTO_TCP) return tcpAnswers(probe, scratch) ? 'reply' : null;
  return 'reply';
}

export const KERNEL_RST_EXPLANATION =
  "your own kernel answered the peer's SYN+ACK with an RST: it owns the source address but has no socket for this " +
  'hand-made connection, so the handshake is killed (the trap described in Scapy #3215).';

export const KERNEL_RST_REMEDIES = [
  'send from a source address this kernel does not own (e.g. from a test network namespace; the peer then needs a neighbour entry for it)',
  're-run with --suppress-kernel-rst: the helper adds a firewall rule dropping this host\'s outgoing RSTs for exactly this 4-tuple and removes it when the command ends',
];

/**
 * Watches the frames that follow a crafted SYN: the peer's SYN+ACK, then an RST in the
 * SYN's direction that the user did not send is the local kernel's.
 */
export class KernelRstWatch {
  synAck: { seq: number; ack: number } | null = null;
  kernelRst = false;

  constructor(
    private readonly syn: Probe,
    /** True for frames the user sent (their captured copies must not count as the kernel's). */
    private readonly isOwnFrame: (bytes: Uint8Array) => boolean,
  ) {}

  static applies(probe: Probe | null): probe is Probe {
    return probe !== null && probe.protocol === IPPROTO_TCP && (probe.tcpFlags & (TCP_SYN | TCP_ACK | TCP_RST)) === TCP_SYN;
  }

  /** Feeds one captured frame; returns true the moment the kernel's RST is recognised. */
  observe(bytes: Uint8Array, linkType: number): boolean {
    if (this.kernelRst) return false;
    if (!this.synAck) {
      if (replyKind(this.syn, bytes, linkType) !== 'reply') return false;
      if ((scratch.tcpFlags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK)) this.synAck = { seq: scratch.seq, ack: scratch.ack };
      return false;
    }
    summarize(bytes, linkType, scratch);
    const sameDirection =
      scratch.ipVersion === this.syn.ipVersion &&
      scratch.protocol === IPPROTO_TCP &&
      wordsEqual(scratch.srcWords, this.syn.src, this.syn.ipVersion) &&
      wordsEqual(scratch.dstWords, this.syn.dst, this.syn.ipVersion) &&
      scratch.srcPort === this.syn.srcPort &&
      scratch.dstPort === this.syn.dstPort;
    if (!sameDirection || (scratch.tcpFlags & TCP_RST) === 0 || this.isOwnFrame(bytes)) return false;
    this.kernelRst = true;
    return true;
  }
}
