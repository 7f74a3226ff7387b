/**
 * What the engine keeps to derive late QUIC trees again (electron/engine/quic-derived.ts): the
 * HTTP/3 frames and TLS messages a frame completed come back exactly, packet by packet (every
 * kind of HTTP/3 item, non-ASCII header values included); read cursors come back as kept; the
 * cache of derived trees never holds more than its capacity.
 */
import { describe, expect, it } from 'vitest';
import { CHECKPOINT_EVERY, CompletedItems, DerivedLru, ReadCheckpoints } from '../../../electron/engine/quic-derived';
import { describePacket, parseDatagram, type QuicPacketInfo } from '../../../shared/quic';
import type { Http3FrameInfo } from '../../../shared/http3/session';

/** A record of a short-header packet, as the tracker gives it before HTTP/3 and TLS are filled in. */
function packet(): QuicPacketInfo {
  const bytes = new Uint8Array(40);
  bytes[0] = 0x40;
  return describePacket(parseDatagram(bytes, false, 8).packets[0]);
}

const ITEMS: Http3FrameInfo[] = [
  { kind: 'stream-type', streamId: 2, side: 'client', streamType: 0 },
  { kind: 'frame', streamId: 3, side: 'server', frameType: 4, length: 9, settings: [[1, 4096], [6, 0x4000_0000_0]] },
  { kind: 'frame', streamId: 0, side: 'client', frameType: 1, length: 30, headers: [[':method', 'GET'], [':path', '/ü?q=日本'], ['user-agent', '']] },
  { kind: 'frame', streamId: 3, side: 'server', frameType: 7, length: 1, goawayId: 0 },
  { kind: 'frame', streamId: 4, side: 'client', frameType: 1, length: 5, error: 'QPACK: blocked on the dynamic table' },
  { kind: 'frame', streamId: 0, side: 'server', frameType: 0, length: 16_000 },
];

describe('CompletedItems', () => {
  it('gives back each packet its HTTP/3 frames and TLS messages, and nothing to frames that had none', () => {
    const completed = new CompletedItems();
    const first = [packet(), packet()];
    first[0].http3 = ITEMS.slice(0, 2);
    first[1].http3 = ITEMS.slice(2);
    first[1].handshakes = [{ type: 4, length: 40, ticketLifetime: 7200 }];
    completed.remember(10, first);
    completed.remember(11, [packet()]);
    const again = [packet(), packet()];
    completed.restore(10, again);
    expect(again.map((info) => info.http3)).toEqual([ITEMS.slice(0, 2), ITEMS.slice(2)]);
    expect(again[1].handshakes).toEqual([{ type: 4, length: 40, ticketLifetime: 7200 }]);
    const none = [packet()];
    completed.restore(11, none);
    expect(none[0].http3).toEqual([]);
    expect(none[0].handshakes).toEqual([]);
  });
});

describe('ReadCheckpoints', () => {
  it('starts block 0 fresh and gives back each kept cursor; an unkept block is null', () => {
    const checkpoints = new ReadCheckpoints();
    const cursor = (n: number) => ({ initial: { client: n, server: n + 1 }, protected: { handshake: { client: n + 2, server: -1 }, application: { client: 2 ** 40 + n, server: n + 5 } }, generation: { client: n % 3, server: 1 } });
    for (let k = 0; k < 9; k++) checkpoints.add(1, cursor(k * CHECKPOINT_EVERY));
    expect(checkpoints.cursor(1, 0)).toEqual({ initial: { client: -1, server: -1 }, protected: { handshake: { client: -1, server: -1 }, application: { client: -1, server: -1 } }, generation: { client: 0, server: 0 } });
    for (let k = 0; k < 9; k++) expect(checkpoints.cursor(1, k + 1)).toEqual(cursor(k * CHECKPOINT_EVERY));
    expect(checkpoints.cursor(1, 10)).toBeNull();
    expect(checkpoints.cursor(0, 1)).toBeNull();
    expect(checkpoints.bytes).toBe(9 * 64);
  });
});

describe('DerivedLru', () => {
  it('keeps at most its capacity, dropping the least recently used', () => {
    const lru = new DerivedLru(4);
    for (let i = 0; i < 4; i++) lru.set(i, []);
    lru.get(0);
    lru.set(4, []);
    expect(lru.size).toBe(4);
    expect(lru.get(1)).toBeUndefined();
    expect(lru.get(0)).toEqual([]);
    for (let i = 5; i < 1000; i++) lru.set(i, []);
    expect(lru.size).toBe(4);
  });
});
