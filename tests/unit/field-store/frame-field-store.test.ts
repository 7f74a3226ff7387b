/**
 * FrameFieldStore: a frame's fields come back exactly as given (every JSON scalar kind, arrays,
 * strings interned or not, non-ASCII text), looked up among many frames; a QUIC 1-RTT frame's
 * fields take a few dozen bytes.
 */
import { describe, expect, it } from 'vitest';
import { FrameFieldStore } from '../../../shared/field-store';
import type { JsonObject } from '../../../shared/track/json';

describe('FrameFieldStore', () => {
  it('gives back each frame\'s fields exactly, and null for frames without any', () => {
    const store = new FrameFieldStore();
    const samples: JsonObject[] = [
      { quic: true, 'quic.header_form': [0], 'quic.dcid': ['5e5e5e5e5e5e5e5e'], 'quic.key_phase': [false], 'quic.packet_number': [2 ** 53 - 1] },
      { n: -7, d: 0.125, z: -0, big: -(2 ** 40), nil: null, nested: [[1, 'a'], { k: 'v' }] },
      { text: 'x'.repeat(100), unicode: 'Grüße, 日本 😀', lone: '\ud800', empty: '', list: [] },
    ];
    for (let frame = 0; frame < 30_000; frame++) store.append(frame * 3, samples[frame % 3]);
    expect(store.size).toBe(30_000);
    for (const frame of [0, 3, 6, 29_999 * 3, 45_000]) expect(store.get(frame)).toEqual(samples[(frame / 3) % 3]);
    expect(Object.is((store.get(3) as JsonObject).z, -0)).toBe(true);
    expect(store.get(1)).toBeNull();
    expect(store.get(-1)).toBeNull();
    expect(store.get(90_000)).toBeNull();
    // Frames come in order: an earlier or repeated one is not kept.
    store.append(5, { late: true });
    expect(store.get(5)).toBeNull();
  });

  it('past its table of shapes, a record carries its own shape', () => {
    const store = new FrameFieldStore(2);
    const records: JsonObject[] = [{ a: 1 }, { b: [true, 'x'] }, { c: { d: -3.5 } }, { e: null, f: ['ü'.repeat(70)] }];
    records.forEach((record, frame) => store.append(frame, record));
    records.forEach((record, frame) => expect(store.get(frame)).toEqual(record));
  });

  it('a 1-RTT STREAM+ACK frame\'s fields take under 40 bytes', () => {
    const store = new FrameFieldStore();
    const frames = 10_000;
    for (let frame = 0; frame < frames; frame++) {
      store.append(frame, {
        quic: true,
        'quic.header_form': [0],
        'quic.dcid': ['5e5e5e5e5e5e5e5e'],
        'quic.key_phase': [true],
        'quic.packet_number': [100_000 + frame],
        'quic.frame_type': [2, 14],
        'quic.ack.largest_acknowledged': [5000 + frame],
        'quic.ack.ack_delay': [25],
        'quic.ack.ack_range_count': [0],
        'quic.ack.first_ack_range': [3],
        'quic.stream.stream_id': [0],
        'quic.stream.offset': [1_200 * frame],
        'quic.stream.length': [1_150],
        'quic.stream.fin': [false],
      });
    }
    expect(store.bytes / frames).toBeLessThan(40);
  });
});
