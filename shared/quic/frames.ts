/**
 * The frames an Initial or Handshake packet may carry (RFC 9000 §12.4 table 3, §19):
 * PADDING, PING, ACK, CRYPTO and CONNECTION_CLOSE. Any other type there is a protocol
 * violation, so parsing stops with a reason instead of guessing at its layout.
 */
import { decodeUtf8 } from '../files/utf8';
import { readVarint } from './varint';

export type QuicFrame =
  | { type: 'padding'; length: number }
  | { type: 'ping' }
  | { type: 'ack'; largestAcknowledged: number; ackDelay: number; rangeCount: number; firstRange: number; ecn: boolean }
  | { type: 'crypto'; offset: number; data: Uint8Array }
  | { type: 'connection-close'; errorCode: number; frameType: number | null; reason: string; application: boolean };

export interface ParsedFrames {
  frames: QuicFrame[];
  error: string | null;
}

const FRAME_PADDING = 0x00;
const FRAME_PING = 0x01;
const FRAME_ACK = 0x02;
const FRAME_ACK_ECN = 0x03;
const FRAME_CRYPTO = 0x06;
const FRAME_CONNECTION_CLOSE = 0x1c;
const FRAME_CONNECTION_CLOSE_APP = 0x1d;

/** Walks the decrypted payload of an Initial or Handshake packet. */
export function parseHandshakeFrames(payload: Uint8Array): ParsedFrames {
  const frames: QuicFrame[] = [];
  const end = payload.length;
  let pos = 0;
  const varint = (): number | null => {
    const read = readVarint(payload, pos, end);
    if (!read) return null;
    pos += read.length;
    return read.value;
  };
  const fail = (what: string): ParsedFrames => ({ frames, error: `${what} at payload byte ${pos}` });

  while (pos < end) {
    const frameStart = pos;
    const type = varint();
    if (type === null) return fail('truncated frame type');
    switch (type) {
      case FRAME_PADDING: {
        while (pos < end && payload[pos] === FRAME_PADDING) pos++;
        frames.push({ type: 'padding', length: pos - frameStart });
        break;
      }
      case FRAME_PING:
        frames.push({ type: 'ping' });
        break;
      case FRAME_ACK:
      case FRAME_ACK_ECN: {
        const largestAcknowledged = varint();
        const ackDelay = varint();
        const rangeCount = varint();
        const firstRange = varint();
        if (largestAcknowledged === null || ackDelay === null || rangeCount === null || firstRange === null) return fail('truncated ACK frame');
        // Each further range is two varints of at least one byte; a count that cannot fit is hostile.
        if (rangeCount > (end - pos) / 2) return fail(`ACK Range Count ${rangeCount} cannot fit`);
        for (let i = 0; i < rangeCount * 2; i++) if (varint() === null) return fail('truncated ACK range');
        if (type === FRAME_ACK_ECN) for (let i = 0; i < 3; i++) if (varint() === null) return fail('truncated ACK ECN counts');
        frames.push({ type: 'ack', largestAcknowledged, ackDelay, rangeCount, firstRange, ecn: type === FRAME_ACK_ECN });
        break;
      }
      case FRAME_CRYPTO: {
        const offset = varint();
        const length = varint();
        if (offset === null || length === null) return fail('truncated CRYPTO frame');
        if (length > end - pos) return fail(`CRYPTO data of ${length} bytes runs past the payload`);
        frames.push({ type: 'crypto', offset, data: payload.subarray(pos, pos + length) });
        pos += length;
        break;
      }
      case FRAME_CONNECTION_CLOSE:
      case FRAME_CONNECTION_CLOSE_APP: {
        const errorCode = varint();
        const frameType = type === FRAME_CONNECTION_CLOSE ? varint() : null;
        const reasonLength = varint();
        if (errorCode === null || reasonLength === null || (type === FRAME_CONNECTION_CLOSE && frameType === null)) return fail('truncated CONNECTION_CLOSE frame');
        if (reasonLength > end - pos) return fail('CONNECTION_CLOSE reason runs past the payload');
        const reason = decodeUtf8(payload, pos, pos + reasonLength);
        pos += reasonLength;
        frames.push({ type: 'connection-close', errorCode, frameType, reason, application: type === FRAME_CONNECTION_CLOSE_APP });
        break;
      }
      default:
        pos = frameStart;
        return fail(`frame type 0x${type.toString(16)} is not allowed in Initial or Handshake packets`);
    }
  }
  return { frames, error: null };
}
