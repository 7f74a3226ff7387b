/**
 * udp.stream as Wireshark numbers it: one number per pair of UDP endpoints (address and port
 * each side, either direction), from 0 in order of first appearance, for the whole capture.
 */
import { formatEndpoint } from '../track/tracker';
import type { PacketSummary } from '../wire/summary';

export interface UdpStreamOf {
  stream: number;
  /** Sent by node 0: the sender of the conversation's first datagram. */
  fromFirst: boolean;
  source: string;
  destination: string;
}

/** Conversations numbered per capture; past this many, later pairs get no number (a scan must not grow the map without end). */
const MAX_UDP_STREAMS = 1_000_000;

export class UdpStreams {
  private readonly streams = new Map<string, { stream: number; first: string }>();

  /** The frame's udp.stream (null for anything but a whole UDP datagram: other protocols, IP fragments before the last). */
  of(summary: PacketSummary): UdpStreamOf | null {
    if (summary.protocol !== 17 || summary.fragment || summary.transportOffset < 0 || summary.ipVersion === 0) return null;
    const source = formatEndpoint(summary.ipVersion, summary.srcWords, 0, summary.srcPort);
    const destination = formatEndpoint(summary.ipVersion, summary.dstWords, 0, summary.dstPort);
    const key = source < destination ? `${source} ${destination}` : `${destination} ${source}`;
    let known = this.streams.get(key);
    if (!known) {
      if (this.streams.size >= MAX_UDP_STREAMS) return null;
      known = { stream: this.streams.size, first: source };
      this.streams.set(key, known);
    }
    return { stream: known.stream, fromFirst: source === known.first, source, destination };
  }
}
