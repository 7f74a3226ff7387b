/**
 * DNS over a capture: UDP datagrams to or from port 53, and TCP streams on port 53 with the
 * 2-byte length prefix (RFC 1035 §4.2.2), reassembled across segments. Queries and responses
 * are paired as tshark pairs them (transaction id within one client/server conversation),
 * giving `dns.response_to`, `dns.time` and, once the response is seen, the query's
 * `dns.response_in`. Feed frames in capture order.
 */
import { formatIpv4, formatIpv6 } from '../wire/bytes';
import type { PacketSummary } from '../wire/summary';
import { parseDnsMessage, type DnsMessage } from './message';

export const DNS_PORT = 53;
/** Bytes waiting for the rest of a TCP message, per direction; one message is at most 65535 + 2. */
const MAX_PENDING = 65537;
/** Unanswered queries remembered, oldest forgotten first (a long live capture, a flood). */
const MAX_OPEN_QUERIES = 50_000;

/** A DNS message in a frame, with what pairing learned about it. */
export interface DnsFrameMessage {
  message: DnsMessage;
  frameNumber: number;
  /** Capture time: whole seconds since the epoch and nanoseconds (kept apart so differences stay exact). */
  tsSeconds: number;
  tsNanos: number;
  /** Whether it came over TCP (then `offset` is -1 when the message was reassembled from several segments). */
  tcp: boolean;
  /** Where the message starts in the UDP or TCP payload (after a TCP length prefix), or -1 when reassembled from several segments. */
  offset: number;
  /** The client's and server's `address:port` (the server is the port-53 side). */
  client: string;
  server: string;
  /** On a response: the query's frame and the seconds since it. */
  responseTo?: number;
  latency?: number;
  /** On a query: the response's frame, once seen. */
  responseIn?: number;
  /** A response with no query before it. */
  unsolicited?: boolean;
  /** A query sent again with the same id before any response (tshark's dns.retransmission). */
  retransmission?: boolean;
  retransmitOf?: number;
}

interface Pending {
  nextSeq: number;
  bytes: Uint8Array;
  /** The frame where the buffered bytes began. */
  firstFrame: number;
}

export interface DnsEndpoints {
  srcAddress: string;
  dstAddress: string;
  srcPort: number;
  dstPort: number;
}

/** A summarized frame's addresses and ports, for the dissector's query/response pairing. */
export function dnsEndpointsOf(buffer: Uint8Array, start: number, summary: PacketSummary): DnsEndpoints {
  const v4 = summary.ipVersion === 4;
  const at = start + summary.networkOffset;
  return {
    srcAddress: v4 ? formatIpv4(buffer, at + 12) : formatIpv6(buffer, at + 8),
    dstAddress: v4 ? formatIpv4(buffer, at + 16) : formatIpv6(buffer, at + 24),
    srcPort: summary.srcPort,
    dstPort: summary.dstPort,
  };
}

export class DnsDissector {
  private readonly open = new Map<string, DnsFrameMessage>();
  private readonly tcpPending = new Map<string, Pending>();

  static isDnsPort(srcPort: number, dstPort: number): boolean {
    return srcPort === DNS_PORT || dstPort === DNS_PORT;
  }

  udp(frameNumber: number, tsSeconds: number, tsNanos: number, endpoints: DnsEndpoints, payload: Uint8Array): DnsFrameMessage[] {
    if (!DnsDissector.isDnsPort(endpoints.srcPort, endpoints.dstPort)) return [];
    return [this.pair(frameNumber, tsSeconds, tsNanos, endpoints, parseDnsMessage(payload), false, 0)];
  }

  /**
   * One TCP segment's payload on a port-53 stream with its relative sequence number. Returns the
   * messages it completed; `lastInStream` says whether it carried part of one.
   */
  tcp(frameNumber: number, tsSeconds: number, tsNanos: number, stream: number, fromClient: boolean, seq: number, endpoints: DnsEndpoints, payload: Uint8Array): DnsFrameMessage[] {
    this.lastInStream = false;
    if (!DnsDissector.isDnsPort(endpoints.srcPort, endpoints.dstPort) || payload.length === 0) return [];
    this.lastInStream = true;
    const key = `${stream}/${fromClient ? 'c' : 's'}`;
    let pending = this.tcpPending.get(key);
    let data = payload;
    let dataSeq = seq;
    if (pending) {
      const end = pending.nextSeq;
      if (seq + payload.length <= end) return []; // a retransmission of bytes already taken
      if (seq > end) {
        // A gap: what was buffered can never complete.
        this.tcpPending.delete(key);
        pending = undefined;
      } else {
        data = payload.subarray(end - seq);
        dataSeq = end;
      }
    }
    let buffer: Uint8Array;
    let startsInFrame: boolean;
    if (pending) {
      buffer = new Uint8Array(pending.bytes.length + data.length);
      buffer.set(pending.bytes);
      buffer.set(data, pending.bytes.length);
      startsInFrame = false;
    } else {
      buffer = data;
      startsInFrame = dataSeq === seq;
    }
    const out: DnsFrameMessage[] = [];
    let at = 0;
    const bufferStartSeq = pending ? pending.nextSeq - pending.bytes.length : dataSeq;
    while (buffer.length - at >= 2) {
      const length = (buffer[at] << 8) | buffer[at + 1];
      if (buffer.length - at - 2 < length) break;
      const inFrame = startsInFrame || at >= (pending?.bytes.length ?? 0);
      const frameOffset = inFrame ? at - (pending?.bytes.length ?? 0) + (dataSeq - seq) : -1;
      out.push(this.pair(frameNumber, tsSeconds, tsNanos, endpoints, parseDnsMessage(buffer.subarray(at + 2, at + 2 + length)), true, frameOffset < 0 ? -1 : frameOffset + 2));
      at += 2 + length;
    }
    const rest = buffer.length - at;
    if (rest === 0 || rest > MAX_PENDING) this.tcpPending.delete(key);
    else this.tcpPending.set(key, { nextSeq: bufferStartSeq + buffer.length, bytes: buffer.slice(at), firstFrame: pending?.firstFrame ?? frameNumber });
    return out;
  }

  /** Whether the last TCP segment given belonged to a DNS stream (even if it completed no message). */
  lastInStream = false;

  private pair(frameNumber: number, tsSeconds: number, tsNanos: number, endpoints: DnsEndpoints, message: DnsMessage, tcp: boolean, offset: number): DnsFrameMessage {
    const fromServer = endpoints.srcPort === DNS_PORT && endpoints.dstPort !== DNS_PORT ? true : endpoints.dstPort === DNS_PORT && endpoints.srcPort !== DNS_PORT ? false : message.response;
    const here = `${bracket(endpoints.srcAddress)}:${endpoints.srcPort}`;
    const there = `${bracket(endpoints.dstAddress)}:${endpoints.dstPort}`;
    const client = fromServer ? there : here;
    const server = fromServer ? here : there;
    const entry: DnsFrameMessage = { message, frameNumber, tsSeconds, tsNanos, tcp, offset, client, server };
    if (message.malformed !== null && message.length < 12) return entry;
    const key = `${message.id}|${client}|${server}|${tcp ? 't' : 'u'}`;
    if (!message.response) {
      const earlier = this.open.get(key);
      if (earlier && earlier.responseIn === undefined) {
        entry.retransmission = true;
        entry.retransmitOf = earlier.frameNumber;
      }
      this.open.delete(key);
      if (this.open.size >= MAX_OPEN_QUERIES) {
        const oldest = this.open.keys().next().value;
        if (oldest !== undefined) this.open.delete(oldest);
      }
      this.open.set(key, entry);
    } else {
      const query = this.open.get(key);
      if (query) {
        entry.responseTo = query.frameNumber;
        entry.latency = Math.max(0, tsSeconds - query.tsSeconds + (tsNanos - query.tsNanos) / 1e9);
        query.responseIn ??= frameNumber;
      } else {
        entry.unsolicited = true;
      }
    }
    return entry;
  }
}

function bracket(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}
