/**
 * QUIC long headers (RFC 9000 §17.2, RFC 8999 invariants) and the split of one UDP
 * datagram into its coalesced packets (RFC 9000 §12.2). Nothing here needs keys: the
 * packet number and payload stay protected until `protection.ts` opens them.
 */
import { readU32 } from '../wire/bytes';
import { readVarint } from './varint';
import { QUIC_VERSION_NEGOTIATION, versionConstants } from './versions';

export type QuicPacketType = 'initial' | '0-rtt' | 'handshake' | 'retry' | 'version-negotiation' | 'short' | 'unknown-version';

export interface QuicPacketHeader {
  type: QuicPacketType;
  /** Where the packet starts and ends (exclusive) in the datagram. */
  start: number;
  end: number;
  firstByte: number;
  /** 0 for Version Negotiation; -1 for a short-header packet. */
  version: number;
  dcid: Uint8Array;
  scid: Uint8Array;
  /** Initial: the address-validation token. Retry: the Retry Token. Empty otherwise. */
  token: Uint8Array;
  /** The Length field (packet number + payload), or -1 where the type has none. */
  length: number;
  /** Offset of the (protected) packet number, or -1. */
  packetNumberOffset: number;
  /** Version Negotiation: the versions the server supports. */
  supportedVersions: number[];
  /** Retry: the 16-byte Retry Integrity Tag. */
  retryIntegrityTag: Uint8Array | null;
  /** The capture's snap length cut the packet: the header is whole, the rest is missing. */
  truncated?: boolean;
}

export interface ParsedDatagram {
  packets: QuicPacketHeader[];
  /** Why parsing stopped early, or null when every byte was accounted for. */
  error: string | null;
}

const LONG_HEADER = 0x80;
const FIXED_BIT = 0x40;
const MAX_CID_V1 = 20;
const RETRY_TAG_LENGTH = 16;
const EMPTY = new Uint8Array(0);

function typeFromBits(version: number, bits: number): QuicPacketType {
  const constants = versionConstants(version);
  if (!constants) return 'unknown-version';
  const { initial, zeroRtt, handshake } = constants.typeBits;
  return bits === initial ? 'initial' : bits === zeroRtt ? '0-rtt' : bits === handshake ? 'handshake' : 'retry';
}

/** Parses the long-header packet at `start`; returns the header or a reason. */
export function parseLongHeader(bytes: Uint8Array, start: number, datagramEnd: number, cut = false): QuicPacketHeader | string {
  if (start + 7 > datagramEnd) return 'long header truncated before the connection IDs';
  const firstByte = bytes[start];
  const version = readU32(bytes, start + 1);
  let pos = start + 5;
  const dcidLength = bytes[pos++];
  const cidLimit = versionConstants(version) ? MAX_CID_V1 : 255;
  if (dcidLength > cidLimit) return `Destination Connection ID length ${dcidLength} exceeds ${cidLimit}`;
  if (pos + dcidLength + 1 > datagramEnd) return 'Destination Connection ID runs past the datagram';
  const dcid = bytes.subarray(pos, pos + dcidLength);
  pos += dcidLength;
  const scidLength = bytes[pos++];
  if (scidLength > cidLimit) return `Source Connection ID length ${scidLength} exceeds ${cidLimit}`;
  if (pos + scidLength > datagramEnd) return 'Source Connection ID runs past the datagram';
  const scid = bytes.subarray(pos, pos + scidLength);
  pos += scidLength;

  const header: QuicPacketHeader = {
    type: 'unknown-version',
    start,
    end: datagramEnd,
    firstByte,
    version,
    dcid,
    scid,
    token: EMPTY,
    length: -1,
    packetNumberOffset: -1,
    supportedVersions: [],
    retryIntegrityTag: null,
  };

  if (version === QUIC_VERSION_NEGOTIATION) {
    header.type = 'version-negotiation';
    const listLength = datagramEnd - pos;
    if (listLength === 0 || listLength % 4 !== 0) return `Version Negotiation list of ${listLength} bytes is not a non-empty multiple of 4`;
    for (; pos < datagramEnd; pos += 4) header.supportedVersions.push(readU32(bytes, pos));
    return header;
  }
  header.type = typeFromBits(version, (firstByte >>> 4) & 3);
  if (header.type === 'unknown-version') return header; // only the invariants are known (RFC 8999)
  if (header.type === 'retry') {
    if (datagramEnd - pos < RETRY_TAG_LENGTH) return 'Retry packet shorter than its integrity tag';
    header.token = bytes.subarray(pos, datagramEnd - RETRY_TAG_LENGTH);
    header.retryIntegrityTag = bytes.subarray(datagramEnd - RETRY_TAG_LENGTH, datagramEnd);
    return header;
  }
  if (header.type === 'initial') {
    const tokenLength = readVarint(bytes, pos, datagramEnd);
    if (!tokenLength) return 'Initial Token Length runs past the datagram';
    pos += tokenLength.length;
    if (tokenLength.value > datagramEnd - pos) return `Initial token of ${tokenLength.value} bytes runs past the datagram`;
    header.token = bytes.subarray(pos, pos + tokenLength.value);
    pos += tokenLength.value;
  }
  const length = readVarint(bytes, pos, datagramEnd);
  if (!length) return 'Length field runs past the datagram';
  pos += length.length;
  if (length.value > datagramEnd - pos) {
    // Cut by the snap length (not lying): the header still names the connection, as tshark shows it.
    if (!cut) return `Length ${length.value} runs past the datagram (${datagramEnd - pos} bytes left)`;
    header.length = length.value;
    header.packetNumberOffset = pos;
    header.end = datagramEnd;
    header.truncated = true;
    return header;
  }
  header.length = length.value;
  header.packetNumberOffset = pos;
  header.end = pos + length.value;
  return header;
}

/**
 * Splits a UDP payload into its QUIC packets. Long-header packets with a Length field may
 * be followed by more; Retry, Version Negotiation, unknown versions and a short-header
 * packet run to the end of the datagram.
 */
/**
 * `cut`: the capture's snap length cut the datagram, so a packet running past its end is shown by its header.
 * `shortDcidLength`: the DCID length a short-header packet of this connection has; -1 when the
 * datagram is not known to belong to a connection (then it must start with a long header).
 */
export function parseDatagram(bytes: Uint8Array, cut = false, shortDcidLength = -1): ParsedDatagram {
  const packets: QuicPacketHeader[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    if ((bytes[pos] & LONG_HEADER) === 0) {
      if (packets.length === 0 && shortDcidLength < 0) return { packets, error: 'not a long-header packet' };
      // Within a known connection the fixed bit may be greased (RFC 9287); elsewhere it must be set.
      if ((bytes[pos] & FIXED_BIT) === 0 && (shortDcidLength < 0 || bytes.subarray(pos).every((byte) => byte === 0))) {
        // Senders may pad a datagram with zeros after its packets; anything else is not QUIC.
        if (bytes.subarray(pos).every((byte) => byte === 0)) break;
        return { packets, error: `${bytes.length - pos} bytes after the last packet are not a QUIC packet` };
      }
      packets.push(shortHeader(bytes, pos, Math.max(0, shortDcidLength))); // the DCID length is known only to the endpoints
      break;
    }
    const header = parseLongHeader(bytes, pos, bytes.length, cut);
    if (typeof header === 'string') return { packets, error: `packet at byte ${pos}: ${header}` };
    packets.push(header);
    if (header.end <= pos) return { packets, error: `packet at byte ${pos} has no length` };
    pos = header.end;
  }
  return { packets, error: null };
}

/**
 * A short-header (1-RTT) packet from `start` to the end of the datagram (RFC 9000 §17.3).
 * Its DCID has no length field: pass the length the connection uses, or 0 when unknown.
 */
export function shortHeader(bytes: Uint8Array, start: number, dcidLength: number): QuicPacketHeader {
  const dcidEnd = Math.min(start + 1 + dcidLength, bytes.length);
  return {
    type: 'short',
    start,
    end: bytes.length,
    firstByte: bytes[start],
    version: -1,
    dcid: bytes.subarray(start + 1, dcidEnd),
    scid: EMPTY,
    token: EMPTY,
    length: -1,
    packetNumberOffset: dcidEnd < bytes.length ? dcidEnd : -1,
    supportedVersions: [],
    retryIntegrityTag: null,
  };
}

const HTTPS_PORT = 443;

/**
 * Whether a UDP payload is worth handing to the QUIC analyzer. Any port when the version is
 * one we know (v1, v2, Version Negotiation) and the header parses; on port 443 any version
 * whose invariant header parses.
 */
export function looksLikeQuic(payload: Uint8Array, srcPort: number, dstPort: number, cut = false): boolean {
  if (payload.length < 7 || (payload[0] & LONG_HEADER) === 0) return false;
  const header = parseLongHeader(payload, 0, payload.length, cut);
  if (typeof header === 'string') return false;
  if (header.type !== 'unknown-version') {
    // The fixed bit is 1 in every v1/v2 packet we can read (RFC 9000 §17.2; RFC 9287 greasing needs a prior handshake).
    return header.type === 'version-negotiation' || (payload[0] & FIXED_BIT) !== 0;
  }
  return srcPort === HTTPS_PORT || dstPort === HTTPS_PORT;
}
