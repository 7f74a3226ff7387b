/**
 * Tunnels over UDP: VXLAN (RFC 7348, port 4789) and Geneve (RFC 8926, port 6081, with options).
 * Both carry an Ethernet frame (Geneve may name another protocol type), whose inner IP/TCP is
 * decoded and tracked like any other.
 */
import { readU16 } from '../bytes';
import { addDerived, addOptionField, flag, openLayer, readHeader, type Decoding } from '../decoding';
import { MALFORMED } from '../malformed';
import { NEXT_ETHERNET, resetStep, type HeaderStep } from '../step';

export const VXLAN_HEADER_LENGTH = 8;
export const GENEVE_HEADER_LENGTH = 8;

export function parseVxlan(bytes: Uint8Array, offset: number, end: number, step: HeaderStep): void {
  resetStep(step, end);
  if (end - offset < VXLAN_HEADER_LENGTH) {
    step.length = end - offset;
    step.malformed = MALFORMED.vxlanTruncated;
    return;
  }
  step.length = VXLAN_HEADER_LENGTH;
  step.next = NEXT_ETHERNET;
}

export function decodeVxlan(decoding: Decoding, offset: number, end: number, step: HeaderStep): void {
  parseVxlan(decoding.bytes, offset, end, step);
  const layer = openLayer(decoding, 'vxlan', offset, step.length, false);
  readHeader(decoding, layer, offset + step.length);
  if (step.malformed) flag(decoding, layer, step.malformed);
}

/** Options run for the header's option length (in 4-byte words); each is class, type, length in words, data. */
export function parseGeneve(bytes: Uint8Array, offset: number, end: number, step: HeaderStep, visit?: (at: number, length: number) => void): void {
  resetStep(step, end);
  if (end - offset < GENEVE_HEADER_LENGTH) {
    step.length = end - offset;
    step.malformed = MALFORMED.geneveTruncated;
    return;
  }
  const length = GENEVE_HEADER_LENGTH + (bytes[offset] & 0x3f) * 4;
  if (offset + length > end) {
    step.length = end - offset;
    step.malformed = MALFORMED.geneveTruncated;
    return;
  }
  step.length = length;
  step.next = readU16(bytes, offset + 2);
  const optionsEnd = offset + length;
  for (let at = offset + GENEVE_HEADER_LENGTH; at + 4 <= optionsEnd; ) {
    const optionLength = 4 + (bytes[at + 3] & 0x1f) * 4;
    if (at + optionLength > optionsEnd) {
      step.malformed = MALFORMED.geneveTruncated;
      return;
    }
    visit?.(at, optionLength);
    at += optionLength;
  }
}

export function decodeGeneve(decoding: Decoding, offset: number, end: number, step: HeaderStep): void {
  const { bytes } = decoding;
  const layer = openLayer(decoding, 'geneve', offset, GENEVE_HEADER_LENGTH, false);
  readHeader(decoding, layer, Math.min(end, offset + GENEVE_HEADER_LENGTH));
  parseGeneve(bytes, offset, end, step, (at, length) => {
    addOptionField(decoding, layer, 'geneve.option.class', at, at + length);
    addOptionField(decoding, layer, 'geneve.option.type', at, at + length);
    addOptionField(decoding, layer, 'geneve.option.type.critical', at, at + length);
    addDerived(layer, 'geneve.option.length', length, at + 3, 1);
    if (length > 4) addDerived(layer, 'geneve.option.unknown.data', bytes.slice(at + 4, at + length), at + 4, length - 4);
  });
  layer.length = step.length;
  if (step.malformed) flag(decoding, layer, step.malformed);
}
