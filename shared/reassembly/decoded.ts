/**
 * Between the reassembler and the rest of the core: a summarized fragment as reassembler input,
 * and a completing frame's decode extended with its reassembled datagram, as Wireshark shows it
 * (the fragment list and lengths under the fragment's IP header, then the upper layers decoded
 * from the reassembled bytes in place of the fragment's own data).
 */
import { decodeFrame, type DecodedFrame, type DecodedLayer } from '../wire/decode';
import { addDerived } from '../wire/decoding';
import { LINKTYPE_RAW } from '../wire/linktypes';
import type { PacketSummary } from '../wire/summary';
import type { FragmentInput, IpReassembler, ReassembledDatagram } from './ip-fragments';

/** A reused input record, so a fragment costs no allocation before it is held. */
const input: FragmentInput = {
  version: 4,
  frameNumber: 0,
  bytes: new Uint8Array(0),
  ipOffset: 0,
  unfragmentableEnd: 0,
  nextHeaderAt: -1,
  protocol: 0,
  identification: 0,
  srcWords: new Uint32Array(4),
  dstWords: new Uint32Array(4),
  fragmentOffset: 0,
  more: false,
  payloadOffset: 0,
  payloadEnd: 0,
};

/**
 * Offers the frame's fragment (`summary.fragment`) to the reassembler; returns the datagram it
 * completed, or null. A fragment the snap length cut is not held: its missing bytes are unknown.
 */
export function reassembleFragment(reassembler: IpReassembler, summary: PacketSummary, frameNumber: number, buffer: Uint8Array, start: number, capturedLength: number, originalLength: number): ReassembledDatagram | null {
  if (!summary.fragment || summary.malformed !== null || originalLength > capturedLength || summary.ipVersion === 0) return null;
  input.version = summary.ipVersion;
  input.frameNumber = frameNumber;
  input.bytes = buffer;
  input.ipOffset = start + summary.networkOffset;
  input.unfragmentableEnd = start + summary.fragmentUnfragmentableEnd;
  input.nextHeaderAt = summary.fragmentNextHeaderAt < 0 ? -1 : start + summary.fragmentNextHeaderAt;
  input.protocol = summary.protocol;
  input.identification = summary.fragmentId;
  input.srcWords.set(summary.srcWords);
  input.dstWords.set(summary.dstWords);
  input.fragmentOffset = summary.fragmentOffset;
  input.more = summary.fragmentMore;
  input.payloadOffset = start + summary.fragmentPayloadOffset;
  input.payloadEnd = start + summary.fragmentPayloadEnd;
  const outcome = reassembler.add(input);
  input.bytes = EMPTY; // hold no reference to the caller's buffer
  return outcome.completed;
}

const EMPTY = new Uint8Array(0);

/**
 * The completing frame's decode with the datagram: `ip.fragment` (the frames, in offset order),
 * counts and lengths on the fragment's IP layer, and the layers above IP decoded from the
 * reassembled bytes (`layer.source` names those bytes) instead of the fragment's data.
 */
export function addReassembledLayers(decoded: DecodedFrame, datagram: ReassembledDatagram): void {
  const kind = datagram.version === 4 ? 'ip' : 'ipv6';
  let index = -1;
  for (let i = decoded.layers.length - 1; i >= 0; i--) {
    if (decoded.layers[i].kind === kind && !decoded.layers[i].quoted) {
      index = i;
      break;
    }
  }
  if (index < 0) return;
  const ip = decoded.layers[index];
  const at = ip.offset;
  // A contradicting fragment is listed as a defragmentation error, not as a fragment (as Wireshark does).
  for (const piece of datagram.pieces) addDerived(ip, piece.error ? `${kind}.fragment.error` : `${kind}.fragment`, piece.frameNumber, at, 0);
  addDerived(ip, `${kind}.fragment.count`, datagram.pieces.length, at, 0);
  if (datagram.overlap) addDerived(ip, `${kind}.fragment.overlap`, true, at, 0);
  if (datagram.overlapConflict) addDerived(ip, `${kind}.fragment.overlap.conflict`, true, at, 0);
  if (datagram.multipleTails) addDerived(ip, `${kind}.fragment.multipletails`, true, at, 0);
  addDerived(ip, `${kind}.reassembled.length`, datagram.length, at, 0);
  addDerived(ip, `${kind}.reassembled.data`, datagram.packet.subarray(datagram.payloadOffset), at, 0);
  const inner = decodeFrame(datagram.packet, LINKTYPE_RAW);
  const above: DecodedLayer[] = inner.layers.slice(1);
  for (const layer of above) layer.source = datagram.packet;
  const next = decoded.layers[index + 1];
  const replaced = next !== undefined && next.kind === 'data' && !next.quoted ? 1 : 0;
  decoded.layers.splice(index + 1, replaced, ...above);
  decoded.malformed ??= inner.malformed;
}
