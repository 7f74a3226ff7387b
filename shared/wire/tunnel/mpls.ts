/**
 * MPLS label stacks (RFC 3032): one 4-byte entry per layer, as Wireshark shows them. After the
 * bottom of the stack the payload has no type field: the first nibble tells IPv4 (4) from IPv6
 * (6); anything else (a pseudowire control word) is shown as data.
 */
import { flag, openLayer, readHeader, type Decoding } from '../decoding';
import { ETHERTYPE_MPLS } from '../linktypes';
import { MALFORMED } from '../malformed';
import { etherTypeByVersion, resetStep, type HeaderStep } from '../step';

export const MPLS_ENTRY_LENGTH = 4;

export function parseMpls(bytes: Uint8Array, offset: number, end: number, step: HeaderStep): void {
  resetStep(step, end);
  if (end - offset < MPLS_ENTRY_LENGTH) {
    step.length = end - offset;
    step.malformed = MALFORMED.mplsTruncated;
    return;
  }
  step.length = MPLS_ENTRY_LENGTH;
  const bottom = (bytes[offset + 2] & 0x01) !== 0;
  step.next = bottom ? etherTypeByVersion(bytes, offset + MPLS_ENTRY_LENGTH, end) : ETHERTYPE_MPLS;
}

export function decodeMpls(decoding: Decoding, offset: number, end: number, step: HeaderStep): void {
  parseMpls(decoding.bytes, offset, end, step);
  const layer = openLayer(decoding, 'mpls', offset, step.length, false);
  readHeader(decoding, layer, offset + step.length);
  if (step.malformed) flag(decoding, layer, step.malformed);
}
