import { LINKTYPE_ETHERNET, LINKTYPE_RAW } from './linktypes';

/** The IP packet inside an Ethernet frame (VLAN tags skipped) or a raw-IP one, or null when it carries none. */
export function ipPacketOf(frame: Uint8Array, linkType: number): Uint8Array | null {
  if (linkType === LINKTYPE_RAW) return frame;
  if (linkType !== LINKTYPE_ETHERNET) return null;
  let offset = 12;
  while (offset + 2 <= frame.length) {
    const type = (frame[offset] << 8) | frame[offset + 1];
    if (type === 0x8100 || type === 0x88a8) {
      offset += 4;
      continue;
    }
    return type === 0x0800 || type === 0x86dd ? frame.subarray(offset + 2) : null;
  }
  return null;
}
