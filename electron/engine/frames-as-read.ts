/**
 * Frames read again from the file as indexing first saw them, for reading TLS and QUIC again
 * once a key log is attached: IP fragments go through shared/reassembly again, and the frame that
 * completes a datagram stands for the whole datagram (raw IP), as it did when it was indexed.
 */
import { reassembleFragment } from '../../shared/reassembly/decoded';
import { IpReassembler } from '../../shared/reassembly/ip-fragments';
import { LINKTYPE_RAW } from '../../shared/wire/linktypes';
import { summarizeAt } from '../../shared/wire/summarize';
import { createPacketSummary } from '../../shared/wire/summary';
import type { FrameIndex } from './frame-index';

export interface FrameAsRead {
  index: number;
  bytes: Uint8Array;
  linkType: number;
  originalLength: number;
}

const BATCH = 512;

/** `indices` in capture order (fragments included: they are held until their datagram completes). */
export function* framesAsRead(indices: readonly number[], index: FrameIndex, readFrames: (batch: number[]) => Map<number, Uint8Array>): Generator<FrameAsRead> {
  const reassembler = new IpReassembler();
  const summary = createPacketSummary();
  for (let at = 0; at < indices.length; at += BATCH) {
    const batch = indices.slice(at, at + BATCH);
    const bytes = readFrames(batch);
    for (const i of batch) {
      const frame = bytes.get(i);
      if (!frame) continue;
      const originalLength = index.originalLength[i];
      summarizeAt(frame, 0, frame.length, index.linkType[i], summary, originalLength);
      if (summary.fragment) {
        const datagram = reassembleFragment(reassembler, summary, i + 1, frame, 0, frame.length, originalLength);
        if (datagram) yield { index: i, bytes: datagram.packet, linkType: LINKTYPE_RAW, originalLength: datagram.packet.length };
        continue;
      }
      yield { index: i, bytes: new Uint8Array(frame), linkType: index.linkType[i], originalLength };
    }
  }
}
