/**
 * What `compare A B` relies on when B is read in a worker thread: a point rebuilt from its
 * transferred columns (structured clone, as postMessage does) compares exactly as the original;
 * and the typed hash table behind pairing answers as a Map would, collisions and all.
 */
import { describe, expect, it } from 'vitest';
import { CapturePoint, compareCapturePoints } from '../../../shared/compare';
import { KeyTable } from '../../../shared/compare/key-table';
import { Conversation } from '../track/scenario';

function pointOf(frames: Array<{ bytes: Uint8Array; tsSeconds: number; tsNanos: number }>, skip: Set<number> = new Set(), shift = 0): CapturePoint {
  const point = new CapturePoint();
  frames.forEach((frame, n) => {
    if (skip.has(n)) return;
    point.add({ frameNumber: n + 1, linkType: 1, tsSeconds: frame.tsSeconds + shift, tsNanos: frame.tsNanos, originalLength: frame.bytes.length, capturedLength: frame.bytes.length, buffer: frame.bytes, bufferOffset: 0 });
  });
  point.finish();
  return point;
}

describe('a compare point across threads', () => {
  it('compares the same after a round trip through its transferable form', () => {
    const frames: Array<{ bytes: Uint8Array; tsSeconds: number; tsNanos: number }> = [];
    for (let c = 0; c < 40; c++) {
      const conversation = new Conversation({ address: '198.18.13.1', port: 42000 + c, isn: 1000 * c }, { address: '198.18.13.2', port: 80, isn: 7 + c }, frames, c * 1e6);
      conversation.send('c', 'S').send('s', 'SA').send('c', 'A').send('c', 'PA', { payload: 'x'.repeat(100 + c) }).send('s', 'A').send('c', 'FA').send('s', 'FA').send('c', 'A');
    }
    // Reusing ports with a new ISN is a new connection at both points.
    new Conversation({ address: '198.18.13.1', port: 42000, isn: 555555 }, { address: '198.18.13.2', port: 80, isn: 9 }, frames, 60e6).send('c', 'S').send('s', 'SA');
    const a = pointOf(frames);
    const b = pointOf(frames, new Set([3, 50, 101]), 0.5);
    const { data, transfer } = b.finished();
    const cloned = structuredClone(data, { transfer });
    expect(b.seq.byteLength).toBe(0); // transferred, not copied
    const rebuilt = CapturePoint.fromFinished(cloned);
    expect(rebuilt.connections.map((c) => [c.endpoints, c.isn, c.end - c.first])).toEqual(pointOf(frames, new Set([3, 50, 101]), 0.5).connections.map((c) => [c.endpoints, c.isn, c.end - c.first]));
    const viaThread = compareCapturePoints(a, rebuilt);
    const direct = compareCapturePoints(pointOf(frames), pointOf(frames, new Set([3, 50, 101]), 0.5));
    expect(viaThread.connections).toEqual(direct.connections);
    expect(viaThread.summary).toEqual(direct.summary);
    // The oracle: the three frames left out of B are the losses, and there are 41 connections.
    expect(direct.summary).toMatchObject({ lost: 3, connections: { paired: 41 } });
  });
});

describe('KeyTable', () => {
  it('finds what a Map of the same keys finds, with keys that collide in the low bits', () => {
    const table = new KeyTable(5000);
    const reference = new Map<string, number>();
    for (let n = 0; n < 5000; n++) {
      const key: [number, number, number] = [n % 7, (n * 65536) >>> 0, 0xffffffff - (n % 3)];
      const slot = table.slot(key[0], key[1], key[2], n);
      if (!reference.has(key.join())) reference.set(key.join(), n);
      expect(table.value(slot)).toBe(reference.get(key.join()));
    }
    expect(table.find(7, 0, 0)).toBe(-1);
    expect(table.value(table.find(1, 65536, 0xffffffff - 1))).toBe(1);
  });

  it('keeps -1 as a value (a chain head with nothing yet) and tells it from an empty slot', () => {
    const table = new KeyTable(4);
    const slot = table.slot(0, 0, 0, -1);
    expect(table.find(0, 0, 0)).toBe(slot);
    expect(table.value(slot)).toBe(-1);
    table.setValue(slot, 7);
    expect(table.value(table.find(0, 0, 0))).toBe(7);
    expect(table.find(0, 0, 1)).toBe(-1);
  });

  it('refuses more keys than its capacity instead of probing forever', () => {
    const table = new KeyTable(2);
    table.slot(1, 1, 1, 0);
    table.slot(2, 2, 2, 0);
    table.slot(2, 2, 2, 0); // an existing key is no new entry
    expect(() => table.slot(3, 3, 3, 0)).toThrow(RangeError);
  });
});
