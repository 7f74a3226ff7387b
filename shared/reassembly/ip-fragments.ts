/**
 * IPv4 and IPv6 fragment reassembly (RFC 791 §3.2, RFC 8200 §4.5), in frame order, as Wireshark
 * does it on its single pass:
 * - a datagram is keyed by version, source, destination, identification (and protocol for IPv4);
 * - it is complete when the fragment without "more fragments" has been seen and the bytes from 0
 *   to its end are all covered; the frame that completes it carries the reassembled datagram;
 * - overlapping fragments: fragments are taken in offset order (earlier arrival first at equal
 *   offsets), and a byte already placed is kept, so the first fragment covering a byte wins, as in
 *   Wireshark's reassemble.c; overlap and conflicting overlap (different bytes) are reported;
 * - a second, different tail (another end) is reported as multiple tails, and the first one kept;
 * - a fragment that would make the datagram longer than 65535 bytes is refused ("too long").
 *
 * Memory is bounded: at most `maxDatagrams` incomplete datagrams and `maxHeldBytes` of held
 * fragment bytes (each fragment also counts a fixed overhead); beyond either, the oldest
 * incomplete datagrams are dropped whole. There is no timeout (tshark has none either), so a
 * datagram completed long after it started is still reassembled while it is held.
 */

export const DEFAULT_MAX_DATAGRAMS = 1024;
export const DEFAULT_MAX_HELD_BYTES = 16 * 1024 * 1024;
/** Bytes charged per held fragment beyond its payload, so a flood of tiny fragments is bounded too. */
const FRAGMENT_OVERHEAD = 64;
const MAX_DATAGRAM = 65535;

export interface FragmentPiece {
  frameNumber: number;
  /** Byte offset in the datagram's payload. */
  offset: number;
  length: number;
  /** Its bytes contradict bytes already placed, or it is a second tail: Wireshark lists it as a defragmentation error. */
  error: boolean;
}

export interface ReassembledDatagram {
  version: 4 | 6;
  /** The IP packet as the sender built it: the first fragment's header, lengths fixed, no fragmentation. */
  packet: Uint8Array;
  /** Where the payload starts in `packet`. */
  payloadOffset: number;
  /** Payload length (the datagram's bytes after the IP header). */
  length: number;
  /** Every fragment, in offset order (earlier arrival first at equal offsets). */
  pieces: FragmentPiece[];
  overlap: boolean;
  overlapConflict: boolean;
  multipleTails: boolean;
}

/** What the frame's own fragment did; a reused record, valid until the next call. */
export interface FragmentOutcome {
  /** The datagram this fragment completed, or null. */
  completed: ReassembledDatagram | null;
  /** The fragment made the datagram exceed 65535 bytes and was not held. */
  tooLong: boolean;
}

export interface FragmentInput {
  version: 4 | 6;
  frameNumber: number;
  /** The frame's bytes and where the IP header, the fragment's payload and its end lie in them. */
  bytes: Uint8Array;
  ipOffset: number;
  /**
   * End of the unfragmentable part: the IPv4 header, or the IPv6 header and the extension headers
   * before the Fragment header (the Fragment header itself is left out of the reassembled packet).
   */
  unfragmentableEnd: number;
  /** IPv6: where the next-header byte that names the Fragment header sits; IPv4: -1. */
  nextHeaderAt: number;
  /** The protocol the payload carries (IPv4 protocol, the Fragment header's next header). */
  protocol: number;
  identification: number;
  srcWords: Uint32Array;
  dstWords: Uint32Array;
  fragmentOffset: number;
  more: boolean;
  payloadOffset: number;
  payloadEnd: number;
}

interface HeldFragment {
  frameNumber: number;
  arrival: number;
  offset: number;
  data: Uint8Array;
  /** A tail whose end differs from the first tail's. */
  extraTail: boolean;
}

interface Datagram {
  version: 4 | 6;
  fragments: HeldFragment[];
  /** Bytes before the payload, from the fragment at offset 0 (null until it arrives). */
  header: Uint8Array | null;
  nextHeaderAt: number;
  protocol: number;
  /** The payload length the tail fragment gives, or -1 before it arrives. */
  total: number;
  multipleTails: boolean;
  heldBytes: number;
}

export interface ReassemblerLimits {
  maxDatagrams?: number;
  maxHeldBytes?: number;
}

export class IpReassembler {
  private readonly datagrams = new Map<string, Datagram>();
  private heldBytes = 0;
  private arrivals = 0;
  private readonly maxDatagrams: number;
  private readonly maxHeldBytes: number;
  private readonly outcome: FragmentOutcome = { completed: null, tooLong: false };
  /** Datagrams dropped to stay within the limits (for a note). */
  evicted = 0;

  constructor(limits: ReassemblerLimits = {}) {
    this.maxDatagrams = limits.maxDatagrams ?? DEFAULT_MAX_DATAGRAMS;
    this.maxHeldBytes = limits.maxHeldBytes ?? DEFAULT_MAX_HELD_BYTES;
  }

  /** Incomplete datagrams and fragment bytes held now. */
  get held(): { datagrams: number; bytes: number } {
    return { datagrams: this.datagrams.size, bytes: this.heldBytes };
  }

  add(input: FragmentInput): FragmentOutcome {
    const outcome = this.outcome;
    outcome.completed = null;
    outcome.tooLong = false;
    const length = input.payloadEnd - input.payloadOffset;
    if (length < 0) return outcome;
    if (input.fragmentOffset + length > MAX_DATAGRAM - (input.unfragmentableEnd - input.ipOffset)) {
      outcome.tooLong = true;
      return outcome;
    }
    const key = datagramKey(input);
    let datagram = this.datagrams.get(key);
    if (!datagram) {
      datagram = { version: input.version, fragments: [], header: null, nextHeaderAt: -1, protocol: input.protocol, total: -1, multipleTails: false, heldBytes: 0 };
      this.datagrams.set(key, datagram);
    }
    const data = input.bytes.slice(input.payloadOffset, input.payloadEnd);
    const held: HeldFragment = { frameNumber: input.frameNumber, arrival: this.arrivals++, offset: input.fragmentOffset, data, extraTail: false };
    datagram.fragments.push(held);
    const charged = data.length + FRAGMENT_OVERHEAD;
    datagram.heldBytes += charged;
    this.heldBytes += charged;
    if (input.fragmentOffset === 0 && datagram.header === null) {
      datagram.header = input.bytes.slice(input.ipOffset, input.unfragmentableEnd);
      datagram.protocol = input.protocol; // only the first fragment's next header counts (RFC 8200 §4.5)
      datagram.nextHeaderAt = input.nextHeaderAt < 0 ? -1 : input.nextHeaderAt - input.ipOffset;
    }
    if (!input.more) {
      const end = input.fragmentOffset + length;
      if (datagram.total < 0) datagram.total = end;
      else if (datagram.total !== end) {
        datagram.multipleTails = true;
        held.extraTail = true;
      }
    }
    const completed = datagram.header !== null && datagram.total >= 0 ? assemble(datagram) : null;
    if (completed) {
      this.drop(key, datagram);
      outcome.completed = completed;
      return outcome;
    }
    this.enforceLimits(key);
    return outcome;
  }

  private drop(key: string, datagram: Datagram): void {
    this.datagrams.delete(key);
    this.heldBytes -= datagram.heldBytes;
  }

  /** Drops the oldest incomplete datagrams (never the one just added to, unless it alone is too big). */
  private enforceLimits(current: string): void {
    for (const [key, datagram] of this.datagrams) {
      if (this.datagrams.size <= this.maxDatagrams && this.heldBytes <= this.maxHeldBytes) return;
      if (key === current && this.datagrams.size > 1) continue;
      this.drop(key, datagram);
      this.evicted++;
    }
  }
}

function datagramKey(input: FragmentInput): string {
  const { srcWords: s, dstWords: d } = input;
  return input.version === 4
    ? `4 ${s[0]} ${d[0]} ${input.identification} ${input.protocol}`
    : `6 ${s[0]} ${s[1]} ${s[2]} ${s[3]} ${d[0]} ${d[1]} ${d[2]} ${d[3]} ${input.identification}`;
}

/** The reassembled datagram when the fragments cover 0..total without a hole, else null. */
function assemble(datagram: Datagram): ReassembledDatagram | null {
  const ordered = datagram.fragments.slice().sort((a, b) => a.offset - b.offset || a.arrival - b.arrival);
  let covered = 0;
  for (const fragment of ordered) {
    if (fragment.offset > covered) return null; // a hole
    covered = Math.max(covered, fragment.offset + fragment.data.length);
    if (covered >= datagram.total) break;
  }
  if (covered < datagram.total) return null;
  const header = datagram.header as Uint8Array;
  const total = datagram.total;
  const packet = new Uint8Array(header.length + total);
  packet.set(header, 0);
  const payload = packet.subarray(header.length);
  let placed = 0;
  let overlap = false;
  let overlapConflict = false;
  const pieces: FragmentPiece[] = [];
  for (const fragment of ordered) {
    const { offset, data } = fragment;
    const piece: FragmentPiece = { frameNumber: fragment.frameNumber, offset, length: data.length, error: fragment.extraTail };
    pieces.push(piece);
    const end = Math.min(offset + data.length, total);
    if (offset < placed) {
      overlap = true;
      const shared = Math.min(end, placed);
      for (let i = offset; i < shared; i++) {
        if (payload[i] !== data[i - offset]) {
          overlapConflict = true;
          piece.error = true;
          break;
        }
      }
    }
    if (end > placed) {
      payload.set(data.subarray(Math.max(placed, offset) - offset, end - offset), Math.max(placed, offset));
      placed = end;
    }
  }
  fixHeader(datagram, packet, header.length, total);
  return {
    version: datagram.version,
    packet,
    payloadOffset: header.length,
    length: total,
    pieces,
    overlap,
    overlapConflict,
    multipleTails: datagram.multipleTails,
  };
}

/** Lengths as the unfragmented packet has them, fragmentation fields cleared (IPv4 checksum recomputed). */
function fixHeader(datagram: Datagram, packet: Uint8Array, headerLength: number, total: number): void {
  if (datagram.version === 4) {
    const totalLength = headerLength + total;
    packet[2] = totalLength >>> 8;
    packet[3] = totalLength & 0xff;
    packet[6] &= 0x40; // keep DF, clear MF and the offset
    packet[7] = 0;
    packet[10] = 0;
    packet[11] = 0;
    let sum = 0;
    for (let i = 0; i < headerLength; i += 2) sum += (packet[i] << 8) | packet[i + 1];
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    const checksum = ~sum & 0xffff;
    packet[10] = checksum >>> 8;
    packet[11] = checksum & 0xff;
    return;
  }
  const payloadLength = headerLength - 40 + total;
  packet[4] = (payloadLength >>> 8) & 0xff;
  packet[5] = payloadLength & 0xff;
  if (datagram.nextHeaderAt >= 0) packet[datagram.nextHeaderAt] = datagram.protocol;
}
