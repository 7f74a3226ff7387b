/**
 * Removing packet protection from long-header packets: header protection (RFC 9001 §5.4,
 * AES-based mask §5.4.3), packet number recovery (RFC 9000 §17.1, Appendix A.3) and the
 * AEAD (RFC 9001 §5.3). Retry integrity (§5.8) is checked here too. Inputs are never
 * modified: the unprotected header is built in a copy.
 */
import type { QuicCrypto } from './crypto';
import type { QuicPacketHeader } from './header';
import type { PacketProtectionKeys } from './keys';
import { versionConstants } from './versions';

const SAMPLE_LENGTH = 16;
const TAG_LENGTH = 16;
/** The sample is taken as if the packet number were 4 bytes long (§5.4.2). */
const SAMPLE_SKIP = 4;

export interface OpenedPacket {
  packetNumber: number;
  packetNumberLength: number;
  /** The header with protection removed: the AEAD's associated data. */
  header: Uint8Array;
  /** Decrypted frames. */
  payload: Uint8Array;
  /** Long-header reserved bits (0x0c) after unmasking; must be zero (RFC 9000 §17.2). */
  reservedBits: number;
}

export interface UnmaskedHeader {
  header: Uint8Array;
  packetNumberLength: number;
  truncatedPacketNumber: number;
}

/** Removes header protection with `hpKey`; null when the packet is too short to sample. */
export async function removeHeaderProtection(
  crypto: QuicCrypto,
  bytes: Uint8Array,
  packet: QuicPacketHeader,
  hpKey: Uint8Array,
): Promise<UnmaskedHeader | null> {
  const pnOffset = packet.packetNumberOffset;
  if (pnOffset < 0) return null;
  const sampleOffset = pnOffset + SAMPLE_SKIP;
  if (sampleOffset + SAMPLE_LENGTH > packet.end) return null;
  const mask = await crypto.aesEcbEncryptBlock(hpKey, bytes.subarray(sampleOffset, sampleOffset + SAMPLE_LENGTH));
  const firstByte = bytes[packet.start] ^ (mask[0] & 0x0f); // long header: the low 4 bits are protected
  const packetNumberLength = (firstByte & 0x03) + 1;
  const header = bytes.slice(packet.start, pnOffset + packetNumberLength);
  header[0] = firstByte;
  let truncatedPacketNumber = 0;
  for (let i = 0; i < packetNumberLength; i++) {
    const index = pnOffset - packet.start + i;
    header[index] ^= mask[1 + i];
    truncatedPacketNumber = truncatedPacketNumber * 256 + header[index];
  }
  return { header, packetNumberLength, truncatedPacketNumber };
}

/**
 * The full packet number closest to `largestSeen + 1` whose low bits match the truncated
 * value (RFC 9000 Appendix A.3). `largestSeen` is -1 before any packet of that space.
 */
export function decodePacketNumber(largestSeen: number, truncated: number, lengthBytes: number): number {
  const expected = largestSeen + 1;
  const window = 2 ** (lengthBytes * 8);
  const halfWindow = window / 2;
  const candidate = Math.floor(expected / window) * window + truncated;
  if (candidate <= expected - halfWindow && candidate < 2 ** 62 - window) return candidate + window;
  if (candidate > expected + halfWindow && candidate >= window) return candidate - window;
  return candidate;
}

/** The AEAD nonce: the IV XORed with the packet number, left-padded to the IV length (§5.3). */
export function packetNonce(iv: Uint8Array, packetNumber: number): Uint8Array {
  const nonce = iv.slice();
  let rest = packetNumber;
  for (let i = nonce.length - 1; i >= 0 && rest > 0; i--) {
    nonce[i] ^= rest % 256;
    rest = Math.floor(rest / 256);
  }
  return nonce;
}

/** Removes header protection and decrypts; a string says why it could not. */
export async function openPacket(
  crypto: QuicCrypto,
  bytes: Uint8Array,
  packet: QuicPacketHeader,
  keys: PacketProtectionKeys,
  largestSeen = -1,
): Promise<OpenedPacket | string> {
  const unmasked = await removeHeaderProtection(crypto, bytes, packet, keys.hp);
  if (!unmasked) return 'packet too short for a header-protection sample';
  const payloadStart = packet.packetNumberOffset + unmasked.packetNumberLength;
  if (packet.end - payloadStart < TAG_LENGTH) return 'packet too short for the AEAD tag';
  const packetNumber = decodePacketNumber(largestSeen, unmasked.truncatedPacketNumber, unmasked.packetNumberLength);
  const payload = await crypto.aes128GcmDecrypt(keys.key, packetNonce(keys.iv, packetNumber), unmasked.header, bytes.subarray(payloadStart, packet.end));
  if (!payload) return 'AEAD authentication failed';
  return {
    packetNumber,
    packetNumberLength: unmasked.packetNumberLength,
    header: unmasked.header,
    payload,
    reservedBits: (unmasked.header[0] >>> 2) & 0x03,
  };
}

/**
 * Checks a Retry packet's integrity tag against the Destination Connection ID of the
 * client's Initial it answers (RFC 9001 §5.8): the tag is an AES-128-GCM tag over the
 * "Retry Pseudo-Packet" with an empty plaintext, so opening it succeeds exactly when it is valid.
 */
export async function verifyRetryIntegrity(crypto: QuicCrypto, bytes: Uint8Array, packet: QuicPacketHeader, originalDcid: Uint8Array): Promise<boolean> {
  const constants = versionConstants(packet.version);
  if (!constants || !packet.retryIntegrityTag) return false;
  const tagStart = packet.end - TAG_LENGTH;
  const pseudoPacket = new Uint8Array(1 + originalDcid.length + (tagStart - packet.start));
  pseudoPacket[0] = originalDcid.length;
  pseudoPacket.set(originalDcid, 1);
  pseudoPacket.set(bytes.subarray(packet.start, tagStart), 1 + originalDcid.length);
  const opened = await crypto.aes128GcmDecrypt(constants.retryKey, constants.retryNonce, pseudoPacket, packet.retryIntegrityTag);
  return opened !== null;
}
