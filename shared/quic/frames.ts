/**
 * QUIC frames (RFC 9000 §19, RFC 9221 DATAGRAM) from a decrypted packet payload. Initial and
 * Handshake packets may carry only PADDING, PING, ACK, CRYPTO and CONNECTION_CLOSE (§12.4
 * table 3); any other type there is a protocol violation, so parsing stops with a reason
 * instead of guessing at its layout. An unknown type stops parsing too (its length is unknown).
 */
import { decodeUtf8 } from '../files/utf8';
import { toHex } from '../wire/bytes';
import { readVarint } from './varint';

export type QuicFrame =
  | { type: 'padding'; frameType: number; length: number }
  | { type: 'ping'; frameType: number }
  | { type: 'ack'; frameType: number; largestAcknowledged: number; ackDelay: number; rangeCount: number; firstRange: number; ecn: boolean }
  | { type: 'reset-stream'; frameType: number; streamId: number; errorCode: number; finalSize: number }
  | { type: 'stop-sending'; frameType: number; streamId: number; errorCode: number }
  | { type: 'crypto'; frameType: number; offset: number; data: Uint8Array }
  | { type: 'new-token'; frameType: number; token: string }
  | { type: 'stream'; frameType: number; streamId: number; offset: number; data: Uint8Array; fin: boolean }
  | { type: 'max-data'; frameType: number; maximum: number }
  | { type: 'max-stream-data'; frameType: number; streamId: number; maximum: number }
  | { type: 'max-streams'; frameType: number; maximum: number }
  | { type: 'data-blocked'; frameType: number; limit: number }
  | { type: 'stream-data-blocked'; frameType: number; streamId: number; limit: number }
  | { type: 'streams-blocked'; frameType: number; limit: number }
  | { type: 'new-connection-id'; frameType: number; sequence: number; retirePriorTo: number; connectionId: string; resetToken: string }
  | { type: 'retire-connection-id'; frameType: number; sequence: number }
  | { type: 'path-challenge'; frameType: number; data: string }
  | { type: 'path-response'; frameType: number; data: string }
  | { type: 'connection-close'; frameType: number; errorCode: number; closedFrameType: number | null; reason: string; application: boolean }
  | { type: 'handshake-done'; frameType: number }
  | { type: 'datagram'; frameType: number; length: number };

export interface ParsedFrames {
  frames: QuicFrame[];
  error: string | null;
}

/** Which frames a packet type may carry: Initial/Handshake are restricted (RFC 9000 §12.4). */
export type FrameLevel = 'handshake' | 'application';

const HANDSHAKE_ALLOWED = new Set([0x00, 0x01, 0x02, 0x03, 0x06, 0x1c]);

/** Wireshark's Info-column word for each frame (packet-quic.c). */
export function frameInfoName(frame: QuicFrame): string {
  switch (frame.type) {
    case 'ack':
      return frame.ecn ? 'ACK_ECN' : 'ACK';
    case 'reset-stream':
      return 'RS';
    case 'stop-sending':
      return 'SS';
    case 'new-token':
      return 'NT';
    case 'stream':
      return `STREAM(${frame.streamId})`;
    case 'max-data':
      return 'MD';
    case 'max-stream-data':
      return 'MSD';
    case 'max-streams':
      return 'MS';
    case 'data-blocked':
      return 'DB';
    case 'stream-data-blocked':
      return 'SDB';
    case 'streams-blocked':
      return 'SB';
    case 'new-connection-id':
      return 'NCI';
    case 'retire-connection-id':
      return 'RC';
    case 'path-challenge':
      return 'PC';
    case 'path-response':
      return 'PR';
    case 'connection-close':
      return 'CC';
    case 'handshake-done':
      return 'DONE';
    default:
      return frame.type.toUpperCase();
  }
}

/** Walks a decrypted payload. `level` 'handshake' is for Initial and Handshake packets. */
export function parseFrames(payload: Uint8Array, level: FrameLevel): ParsedFrames {
  const frames: QuicFrame[] = [];
  const end = payload.length;
  let pos = 0;
  let ok = true;
  const varint = (): number => {
    const read = ok ? readVarint(payload, pos, end) : null;
    if (!read) {
      ok = false;
      return 0;
    }
    pos += read.length;
    return read.value;
  };
  const bytes = (length: number): Uint8Array | null => {
    if (!ok || length > end - pos) {
      ok = false;
      return null;
    }
    pos += length;
    return payload.subarray(pos - length, pos);
  };
  const fail = (what: string): ParsedFrames => ({ frames, error: `${what} at payload byte ${pos}` });

  while (pos < end) {
    const frameStart = pos;
    const frameType = varint();
    if (!ok) return fail('truncated frame type');
    if (level === 'handshake' && !HANDSHAKE_ALLOWED.has(frameType)) {
      pos = frameStart;
      return fail(`frame type 0x${frameType.toString(16)} is not allowed in Initial or Handshake packets`);
    }
    let frame: QuicFrame;
    switch (frameType) {
      case 0x00:
        while (pos < end && payload[pos] === 0x00) pos++;
        frame = { type: 'padding', frameType, length: pos - frameStart };
        break;
      case 0x01:
        frame = { type: 'ping', frameType };
        break;
      case 0x02:
      case 0x03: {
        const largestAcknowledged = varint();
        const ackDelay = varint();
        const rangeCount = varint();
        const firstRange = varint();
        if (!ok) return fail('truncated ACK frame');
        // Each further range is two varints of at least one byte; a count that cannot fit is hostile.
        if (rangeCount > (end - pos) / 2) return fail(`ACK Range Count ${rangeCount} cannot fit`);
        for (let i = 0; i < rangeCount * 2; i++) varint();
        if (!ok) return fail('truncated ACK range');
        if (frameType === 0x03) for (let i = 0; i < 3; i++) varint();
        if (!ok) return fail('truncated ACK ECN counts');
        frame = { type: 'ack', frameType, largestAcknowledged, ackDelay, rangeCount, firstRange, ecn: frameType === 0x03 };
        break;
      }
      case 0x04:
        frame = { type: 'reset-stream', frameType, streamId: varint(), errorCode: varint(), finalSize: varint() };
        break;
      case 0x05:
        frame = { type: 'stop-sending', frameType, streamId: varint(), errorCode: varint() };
        break;
      case 0x06: {
        const offset = varint();
        const length = varint();
        if (!ok) return fail('truncated CRYPTO frame');
        if (length > end - pos) return fail(`CRYPTO data of ${length} bytes runs past the payload`);
        frame = { type: 'crypto', frameType, offset, data: payload.subarray(pos, pos + length) };
        pos += length;
        break;
      }
      case 0x07: {
        const token = bytes(varint());
        frame = { type: 'new-token', frameType, token: token ? toHex(token) : '' };
        break;
      }
      case 0x10:
        frame = { type: 'max-data', frameType, maximum: varint() };
        break;
      case 0x11:
        frame = { type: 'max-stream-data', frameType, streamId: varint(), maximum: varint() };
        break;
      case 0x12:
      case 0x13:
        frame = { type: 'max-streams', frameType, maximum: varint() };
        break;
      case 0x14:
        frame = { type: 'data-blocked', frameType, limit: varint() };
        break;
      case 0x15:
        frame = { type: 'stream-data-blocked', frameType, streamId: varint(), limit: varint() };
        break;
      case 0x16:
      case 0x17:
        frame = { type: 'streams-blocked', frameType, limit: varint() };
        break;
      case 0x18: {
        const sequence = varint();
        const retirePriorTo = varint();
        const idLength = ok && pos < end ? payload[pos++] : 0;
        if (idLength < 1 || idLength > 20) return fail(`NEW_CONNECTION_ID length ${idLength} is not 1–20`);
        const connectionId = bytes(idLength);
        const resetToken = bytes(16);
        frame = { type: 'new-connection-id', frameType, sequence, retirePriorTo, connectionId: connectionId ? toHex(connectionId) : '', resetToken: resetToken ? toHex(resetToken) : '' };
        break;
      }
      case 0x19:
        frame = { type: 'retire-connection-id', frameType, sequence: varint() };
        break;
      case 0x1a:
      case 0x1b: {
        const data = bytes(8);
        frame = { type: frameType === 0x1a ? 'path-challenge' : 'path-response', frameType, data: data ? toHex(data) : '' };
        break;
      }
      case 0x1c:
      case 0x1d: {
        const errorCode = varint();
        const closedFrameType = frameType === 0x1c ? varint() : null;
        const reasonLength = varint();
        if (!ok) return fail('truncated CONNECTION_CLOSE frame');
        if (reasonLength > end - pos) return fail('CONNECTION_CLOSE reason runs past the payload');
        const reason = decodeUtf8(payload, pos, pos + reasonLength);
        pos += reasonLength;
        frame = { type: 'connection-close', frameType, errorCode, closedFrameType, reason, application: frameType === 0x1d };
        break;
      }
      case 0x1e:
        frame = { type: 'handshake-done', frameType };
        break;
      case 0x30:
      case 0x31: {
        const length = frameType === 0x31 ? varint() : end - pos;
        if (bytes(length) === null) return fail('DATAGRAM runs past the payload');
        frame = { type: 'datagram', frameType, length };
        break;
      }
      default:
        if (frameType >= 0x08 && frameType <= 0x0f) {
          // STREAM: bits OFF (0x04), LEN (0x02), FIN (0x01).
          const streamId = varint();
          const offset = frameType & 0x04 ? varint() : 0;
          const length = frameType & 0x02 ? varint() : end - pos;
          if (!ok) return fail('truncated STREAM frame');
          if (length > end - pos) return fail(`STREAM data of ${length} bytes runs past the payload`);
          frame = { type: 'stream', frameType, streamId, offset, data: payload.subarray(pos, pos + length), fin: (frameType & 0x01) !== 0 };
          pos += length;
          break;
        }
        pos = frameStart;
        return fail(`unknown frame type 0x${frameType.toString(16)}`);
    }
    if (!ok) return fail(`truncated ${frameInfoName(frame)} frame`);
    frames.push(frame);
  }
  return { frames, error: null };
}

/** The frames of an Initial or Handshake packet. */
export function parseHandshakeFrames(payload: Uint8Array): ParsedFrames {
  return parseFrames(payload, 'handshake');
}
