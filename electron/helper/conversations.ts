/**
 * The TCP conversations an engine holds through this helper (sends marked `conversation`), so
 * that an engine killed without a word (SIGKILL) does not leave its peers half-open: the helper
 * sees stdin end with conversations still live and resets each one, with SEQ = our next sequence
 * number (RFC 9293 §3.10.7.4: an RST whose SEQ is RCV.NXT is accepted at once, also under RFC
 * 5961), before its RST rules go. An engine that ends a conversation itself says so first
 * (`end-conversations`), or has sent its RST, and nothing more goes out for it.
 */
import { formatIpv4, formatIpv6, parseIpv6 } from '../../shared/wire/bytes';
import { internetChecksum, pseudoHeaderSum } from '../../shared/wire/checksum';

const TCP = 6;
const RST_ACK = 0x14;
const SYN = 0x02;
const FIN = 0x01;
const RST = 0x04;
/** A listener serves at most 64 peers; far more tuples would be a flood, not conversations. */
const MAX_CONVERSATIONS = 4096;

interface Live {
  /** The RST to send: the last segment's IP header and a bare TCP header, SEQ = SND.NXT. */
  rst: Uint8Array;
  next: number;
  dst: string;
  dport: number;
  ethSrc: string | null;
  ethDst: string | null;
}

/** Where a TCP segment sits in an IP packet (no IPv6 extension headers: the endpoint sends none), or null. */
function tcpOffset(packet: Uint8Array): number | null {
  const version = packet[0] >> 4;
  if (version === 4 && packet.length >= 20 && packet[9] === TCP) {
    const offset = (packet[0] & 0x0f) * 4;
    return offset >= 20 && packet.length >= offset + 20 ? offset : null;
  }
  if (version === 6 && packet.length >= 60 && packet[6] === TCP) return 40;
  return null;
}

/** The address at `at` as RFC 5952 text, so an IPv6 address compares by its text whatever the engine wrote. */
function addressText(packet: Uint8Array, at: number, length: number): string {
  return length === 4 ? formatIpv4(packet, at) : formatIpv6(packet, at);
}

/** `text` in the form addressText gives, or itself when it is not an address. */
function canonicalAddress(text: string): string {
  if (!text.includes(':')) return text;
  try {
    return formatIpv6(parseIpv6(text));
  } catch {
    return text;
  }
}

/** seq a is after b, modulo 2^32. */
const after = (a: number, b: number) => ((a - b) | 0) > 0;

export class LiveConversations {
  private readonly live = new Map<string, Live>();

  get size(): number {
    return this.live.size;
  }

  /** Notes one IP packet the engine sent on a conversation (link 'fill'), with the MACs it went with. */
  note(packet: Uint8Array, ethSrc: string | null, ethDst: string | null): void {
    const tcp = tcpOffset(packet);
    if (tcp === null) return;
    const v4 = packet[0] >> 4 === 4;
    const addressLength = v4 ? 4 : 16;
    const srcAt = v4 ? 12 : 8;
    const dst = addressText(packet, srcAt + addressLength, addressLength);
    const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
    const sport = view.getUint16(tcp);
    const dport = view.getUint16(tcp + 2);
    const key = `${addressText(packet, srcAt, addressLength)} ${sport} ${dst} ${dport}`;
    const flags = packet[tcp + 13];
    if (flags & RST) {
      this.live.delete(key);
      return;
    }
    const ipEnd = v4 ? Math.min(packet.length, view.getUint16(2)) : Math.min(packet.length, 40 + view.getUint16(4));
    const payload = Math.max(0, ipEnd - tcp - (packet[tcp + 12] >> 4) * 4);
    const next = (view.getUint32(tcp + 4) + payload + (flags & SYN ? 1 : 0) + (flags & FIN ? 1 : 0)) >>> 0;
    const known = this.live.get(key);
    // A retransmission does not move SND.NXT back.
    if (known && after(known.next, next)) return;
    if (!known && this.live.size >= MAX_CONVERSATIONS) return;
    const ack = flags & 0x10 ? view.getUint32(tcp + 8) : 0;
    this.live.set(key, { rst: resetOf(packet, tcp, next, ack, v4), next, dst, dport, ethSrc: ethSrc ?? known?.ethSrc ?? null, ethDst: ethDst ?? known?.ethDst ?? null });
  }

  /** The engine ended these itself: all of them, or the one with peer dst:dport. Returns how many. */
  end(peer?: { dst: string; dport: number }): number {
    if (!peer) {
      const count = this.live.size;
      this.live.clear();
      return count;
    }
    const dst = canonicalAddress(peer.dst);
    let count = 0;
    for (const [key, entry] of this.live) {
      if (entry.dport === peer.dport && entry.dst === dst) {
        this.live.delete(key);
        count++;
      }
    }
    return count;
  }

  /** The RSTs owed to every conversation still live, and forgets them. */
  takeResets(): Array<{ packet: Uint8Array; ethSrc: string | null; ethDst: string | null }> {
    const resets = [...this.live.values()].map((entry) => ({ packet: entry.rst, ethSrc: entry.ethSrc, ethDst: entry.ethDst }));
    this.live.clear();
    return resets;
  }
}

function resetOf(packet: Uint8Array, tcp: number, seq: number, ack: number, v4: boolean): Uint8Array {
  const rst = new Uint8Array(tcp + 20);
  rst.set(packet.subarray(0, tcp));
  const view = new DataView(rst.buffer);
  rst.set(packet.subarray(tcp, tcp + 4), tcp); // ports
  view.setUint32(tcp + 4, seq);
  view.setUint32(tcp + 8, ack);
  rst[tcp + 12] = 5 << 4;
  rst[tcp + 13] = RST_ACK;
  if (v4) {
    view.setUint16(2, rst.length);
    view.setUint16(10, 0);
    view.setUint16(10, internetChecksum(rst, 0, tcp));
    view.setUint16(tcp + 16, internetChecksum(rst, tcp, tcp + 20, pseudoHeaderSum(rst, 12, 16, 4, TCP, 20)));
  } else {
    view.setUint16(4, 20);
    view.setUint16(tcp + 16, internetChecksum(rst, tcp, tcp + 20, pseudoHeaderSum(rst, 8, 24, 16, TCP, 20)));
  }
  return rst;
}
