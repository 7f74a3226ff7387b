/**
 * The Internet checksum (RFC 1071) and the verification statuses of cli.md.
 * Sums are kept unfolded in a plain number (safe up to 2^53, i.e. any frame) and folded once.
 */

import { pseudoHeaderDestinationOffset } from './ipv6';
import type { PacketSummary } from './summary';

export type ChecksumStatus = 'good' | 'bad' | 'partial' | 'unverified';

let cachedView: DataView | null = null;
/** The array the view was last asked for: the same array object means the same buffer, with no `.buffer` read. */
let cachedArray: Uint8Array | null = null;

/** A DataView over `bytes`' buffer, reused while frames keep arriving in the same buffer. */
function viewOf(bytes: Uint8Array): DataView {
  const view = cachedView;
  if (view !== null && bytes === cachedArray) return view;
  cachedArray = bytes;
  if (view !== null && view.buffer === bytes.buffer) return view;
  cachedView = new DataView(bytes.buffer);
  return cachedView;
}

/**
 * One's-complement sum of big-endian 16-bit words in [start, end); an odd last byte is padded with zero.
 * Adds 32-bit words while it can: 2^32 ≡ 1 (mod 0xffff), so folding the sum later gives the same
 * result as adding 16-bit halves, with half the steps.
 */
export function onesComplementSum(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  let i = start;
  if (end - start >= 64) {
    const view = viewOf(bytes);
    const base = bytes.byteOffset;
    // A frame (≤ 256 KiB) adds at most 2^16 words below 2^32 each: the sums stay exact integers.
    // Four sums, not one: each add (of doubles, a few cycles) waits only for its own sum's
    // previous add, not for every word before it.
    let a = 0;
    let b = 0;
    let c = 0;
    let d = 0;
    for (; i + 15 < end; i += 16) {
      a += view.getUint32(base + i);
      b += view.getUint32(base + i + 4);
      c += view.getUint32(base + i + 8);
      d += view.getUint32(base + i + 12);
    }
    for (; i + 3 < end; i += 4) a += view.getUint32(base + i);
    sum = foldSum(sum + a + b + c + d);
  }
  for (; i + 1 < end; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
  if (i < end) sum += bytes[i] << 8;
  return sum;
}

/** Folds the carries back in until 16 bits remain. */
export function foldSum(sum: number): number {
  let folded = sum;
  while (folded > 0xffff) folded = (folded & 0xffff) + Math.floor(folded / 0x10000);
  return folded;
}

/** The value to store in a checksum field whose own bytes were summed as zero. */
export function internetChecksum(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  return ~foldSum(onesComplementSum(bytes, start, end, initial)) & 0xffff;
}

/**
 * Sum of the TCP/UDP/ICMPv6 pseudo-header: both addresses (4 or 16 bytes each, read from the
 * frame), the protocol number and the upper-layer length (RFC 793 §3.1, RFC 8200 §8.1).
 */
export function pseudoHeaderSum(bytes: Uint8Array, srcOffset: number, dstOffset: number, addressLength: number, protocol: number, upperLength: number): number {
  let sum = onesComplementSum(bytes, srcOffset, srcOffset + addressLength);
  sum = onesComplementSum(bytes, dstOffset, dstOffset + addressLength, sum);
  return sum + protocol + Math.floor(upperLength / 0x10000) + (upperLength & 0xffff);
}

/**
 * Status of a checksum over [start, end) that includes its own field (at `fieldOffset`):
 * - `unverified` when the covered bytes are not all captured (`end` beyond `available`);
 * - `good` when everything sums to 0xffff;
 * - `partial` when the field holds just the folded pseudo-header sum (or its complement): the
 *   sending host left the rest to its NIC (checksum offload), so the captured copy is not wrong;
 * - `bad` otherwise.
 */
export function checksumStatus(bytes: Uint8Array, start: number, end: number, available: number, fieldOffset: number, pseudoSum = -1): ChecksumStatus {
  if (end > available || end > bytes.length) return 'unverified';
  const total = onesComplementSum(bytes, start, end, pseudoSum < 0 ? 0 : pseudoSum);
  if (foldSum(total) === 0xffff) return 'good';
  if (pseudoSum >= 0) {
    const stored = (bytes[fieldOffset] << 8) | bytes[fieldOffset + 1];
    const pseudo = foldSum(pseudoSum);
    if (stored === pseudo || stored === (~pseudo & 0xffff)) return 'partial';
  }
  return 'bad';
}

/**
 * The TCP checksum status of a frame already read by the fast path (`summarize`), without a
 * full decode: what the tracker needs to count bad checksums on every frame.
 */
export function summaryTcpChecksumStatus(bytes: Uint8Array, summary: PacketSummary): ChecksumStatus {
  return summaryTcpChecksumStatusAt(bytes, 0, bytes.length, summary);
}

/** The same for a frame at `frameStart` inside a larger array (see `summarizeAt`): no subarray per frame. */
export function summaryTcpChecksumStatusAt(buffer: Uint8Array, frameStart: number, capturedLength: number, summary: PacketSummary): ChecksumStatus {
  if (summary.protocol !== 6 || summary.transportOffset < 0 || summary.payloadOffset < 0 || summary.malformed !== null) return 'unverified';
  const start = frameStart + summary.transportOffset;
  const end = frameStart + summary.payloadOffset + summary.payloadLength;
  const available = frameStart + capturedLength;
  if (end > available) return 'unverified';
  const ip = frameStart + summary.networkOffset;
  const pseudo =
    summary.ipVersion === 4
      ? pseudoHeaderSum(buffer, ip + 12, ip + 16, 4, 6, end - start)
      : pseudoHeaderSum(buffer, ip + 8, pseudoHeaderDestinationOffset(buffer, ip, end), 16, 6, end - start);
  return checksumStatus(buffer, start, end, available, start + 16, pseudo);
}
