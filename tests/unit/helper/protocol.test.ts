import { describe, expect, it } from 'vitest';
import {
  BatchBuilder,
  encodeBatch,
  encodeControl,
  forEachBatchFrame,
  MAX_MESSAGE_PAYLOAD,
  MessageReader,
  MessageType,
  validateHelperMessage,
  validateRequest,
  type ReaderItem,
} from '../../../electron/helper/protocol';

// The wire layout is written out by hand here (independent of the encoder) from the
// format the protocol documents: 0xA5, type, u32 BE length, payload.
function handFrame(type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(6 + payload.length);
  out[0] = 0xa5;
  out[1] = type;
  out[2] = (payload.length >>> 24) & 0xff;
  out[3] = (payload.length >>> 16) & 0xff;
  out[4] = (payload.length >>> 8) & 0xff;
  out[5] = payload.length & 0xff;
  out.set(payload, 6);
  return out;
}

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

function pushAll(reader: MessageReader, ...chunks: Uint8Array[]): ReaderItem[] {
  return chunks.flatMap((chunk) => reader.push(chunk));
}

describe('control messages', () => {
  it('encodes with the documented header', () => {
    const encoded = encodeControl({ id: 7, cmd: 'hello' });
    expect(Array.from(encoded)).toEqual(Array.from(handFrame(1, json({ id: 7, cmd: 'hello' }))));
  });

  it('decodes a message split at every possible byte boundary', () => {
    const whole = handFrame(1, json({ id: 1, cmd: 'stats' }));
    for (let cut = 1; cut < whole.length; cut++) {
      const reader = new MessageReader();
      expect(reader.push(whole.subarray(0, cut))).toEqual([]);
      expect(reader.pendingBytes).toBe(cut);
      expect(reader.push(whole.subarray(cut))).toEqual([{ kind: 'control', message: { id: 1, cmd: 'stats' } }]);
    }
  });

  it('decodes several messages delivered one byte at a time', () => {
    const stream = new Uint8Array([...handFrame(1, json({ a: 1 })), ...handFrame(1, json({ b: 2 }))]);
    const reader = new MessageReader();
    const items = Array.from(stream).flatMap((byte) => reader.push(Uint8Array.of(byte)));
    expect(items).toEqual([
      { kind: 'control', message: { a: 1 } },
      { kind: 'control', message: { b: 2 } },
    ]);
  });
});

describe('garbled input never throws and is reported', () => {
  it('reports leading garbage once, then resynchronises on the next header', () => {
    const reader = new MessageReader();
    const items = pushAll(reader, new TextEncoder().encode('hello there, not a frame'), handFrame(1, json({ ok: 1 })));
    expect(items).toEqual([
      { kind: 'error', message: expect.stringContaining('garbled') },
      { kind: 'control', message: { ok: 1 } },
    ]);
  });

  it('rejects an oversized length instead of waiting for (or allocating) it', () => {
    const reader = new MessageReader();
    const header = Uint8Array.of(0xa5, 1, 0xff, 0xff, 0xff, 0xff);
    const items = pushAll(reader, header, handFrame(1, json({ after: true })));
    expect(items[0]).toEqual({ kind: 'error', message: expect.stringContaining(String(MAX_MESSAGE_PAYLOAD)) });
    expect(items.at(-1)).toEqual({ kind: 'control', message: { after: true } });
  });

  it('reports invalid JSON, invalid UTF-8 and unknown types, and keeps going', () => {
    const reader = new MessageReader();
    const items = pushAll(
      reader,
      handFrame(1, new TextEncoder().encode('{not json')),
      handFrame(1, Uint8Array.of(0xc3, 0x28)),
      handFrame(9, Uint8Array.of(1, 2, 3)),
      handFrame(1, json({ fine: 1 })),
    );
    expect(items.map((item) => item.kind)).toEqual(['error', 'error', 'error', 'control']);
    expect(items[0]).toMatchObject({ message: expect.stringContaining('JSON') });
    expect(items[1]).toMatchObject({ message: expect.stringContaining('UTF-8') });
    expect(items[2]).toMatchObject({ message: expect.stringContaining('unknown message type 9') });
  });

  it('survives random bytes', () => {
    const reader = new MessageReader();
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
    for (let round = 0; round < 200; round++) {
      const chunk = Uint8Array.from({ length: 1 + (random() % 64) }, random);
      expect(() => reader.push(chunk)).not.toThrow();
    }
    // Whatever claim the noise left pending is bounded by the protocol's maximum.
    expect(reader.pendingBytes).toBeLessThanOrEqual(MAX_MESSAGE_PAYLOAD + 6);
  });
});

describe('frame batches', () => {
  it('lays out frames as count, then sec, nsec, original length, captured length and bytes', () => {
    const bytes = Uint8Array.of(0xde, 0xad, 0xbe);
    const encoded = encodeBatch(MessageType.captured, [{ tsSec: 0x01020304, tsNsec: 5, originalLength: 60, bytes }]);
    const payload = [0, 0, 0, 1, 1, 2, 3, 4, 0, 0, 0, 5, 0, 0, 0, 60, 0, 0, 0, 3, 0xde, 0xad, 0xbe];
    expect(Array.from(encoded)).toEqual(Array.from(handFrame(2, Uint8Array.from(payload))));
  });

  it('round-trips through the reader, reusing one builder', () => {
    const builder = new BatchBuilder(MessageType.sent, 16); // tiny, so it must grow
    const frames = [Uint8Array.of(1), new Uint8Array(300).fill(7), new Uint8Array(0)];
    frames.forEach((frame, index) => builder.add(1_700_000_000 + index, 999_999_999, frame.length + 10, frame, frame.length));
    const message = builder.take();
    expect(message).not.toBeNull();
    expect(builder.take()).toBeNull();
    const [item] = new MessageReader().push(message as Uint8Array);
    expect(item.kind).toBe('batch');
    if (item.kind !== 'batch') return;
    expect(item.type).toBe(MessageType.sent);
    const seen: Array<[number, number, number, number[]]> = [];
    expect(forEachBatchFrame(item.payload, (sec, nsec, original, bytes) => seen.push([sec, nsec, original, Array.from(bytes)]))).toBeNull();
    expect(seen).toEqual(frames.map((frame, index) => [1_700_000_000 + index, 999_999_999, frame.length + 10, Array.from(frame)]));
  });

  it('copies only the captured bytes out of a larger capture buffer, small frames and large', () => {
    // The helper adds frames from cap's one 65535-byte buffer, which holds stale bytes past each frame.
    const captureBuffer = new Uint8Array(65535);
    const builder = new BatchBuilder(MessageType.captured, 64);
    const expected: number[][] = [];
    for (const length of [0, 1, 60, 255, 256, 257, 1514, 9000]) {
      captureBuffer.fill(0xee);
      for (let i = 0; i < length; i++) captureBuffer[i] = (i * 7 + length) & 0xff;
      builder.add(1, 2, length, captureBuffer, length);
      expected.push(Array.from(captureBuffer.subarray(0, length)));
    }
    const [item] = new MessageReader().push(builder.take() as Uint8Array);
    if (item.kind !== 'batch') throw new Error(`expected a batch, got ${item.kind}`);
    const seen: number[][] = [];
    expect(forEachBatchFrame(item.payload, (_s, _n, _o, bytes) => seen.push(Array.from(bytes)))).toBeNull();
    expect(seen).toEqual(expected);
  });

  it('keeps the frames before a damaged one and names the damage', () => {
    const good = Uint8Array.of(0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 2, 0xaa, 0xbb);
    const claimsTooMuch = Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 9, 1);
    const seen: number[][] = [];
    const damage = forEachBatchFrame(Uint8Array.from([...good, ...claimsTooMuch]), (_s, _n, _o, bytes) => seen.push(Array.from(bytes)));
    expect(seen).toEqual([[0xaa, 0xbb]]);
    expect(damage).toMatch(/frame 1 bytes truncated/);
  });

  it('rejects captured length above original length, and nanoseconds out of range', () => {
    const capturedAboveOriginal = Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 1, 2);
    expect(forEachBatchFrame(capturedAboveOriginal, () => {})).toMatch(/exceeds original/);
    const badNanoseconds = Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 0, 0x3b, 0x9a, 0xca, 0x00, 0, 0, 0, 0, 0, 0, 0, 0);
    expect(forEachBatchFrame(badNanoseconds, () => {})).toMatch(/nanoseconds/);
    expect(forEachBatchFrame(Uint8Array.of(0, 0), () => {})).toMatch(/shorter/);
  });
});

describe('request validation', () => {
  it('accepts each command in its documented shape', () => {
    for (const request of [
      { id: 1, cmd: 'hello' },
      { id: 2, cmd: 'interfaces' },
      { id: 3, cmd: 'open', device: 'eth0', filter: 'tcp', bufferSize: 64 * 1024 * 1024 },
      { id: 3, cmd: 'open', device: 'eth0', filter: 'tcp', immediate: true },
      { id: 4, cmd: 'send', frames: ['AAEC'], link: 'fill', count: 3, intervalMs: 10, ethDst: 'aa:bb:cc:dd:ee:ff' },
      { id: 5, cmd: 'stats' },
      { id: 6, cmd: 'validate-filter', filter: 'tcp port 80', linkType: 1 },
      { id: 7, cmd: 'suppress-rst', src: '198.18.0.1', dst: '198.18.0.2', sport: 40000, dport: 80 },
      // A listening address: RSTs from src:sport to anyone (listen on an owned address).
      { id: 8, cmd: 'suppress-rst', src: '198.18.0.1', sport: 80 },
    ]) {
      expect(validateRequest(request)).toMatchObject({ ok: true, value: request });
    }
  });

  it('names the problem and keeps the id for a reply', () => {
    expect(validateRequest({ id: 9, cmd: 'launch-missiles' })).toEqual({ ok: false, error: expect.stringContaining('unknown command'), id: 9 });
    expect(validateRequest({ id: 9, cmd: 'open', filter: '' })).toMatchObject({ ok: false, id: 9, error: expect.stringContaining('device') });
    expect(validateRequest({ id: 9, cmd: 'send', frames: ['not base64!'], link: 'fill' })).toMatchObject({ ok: false, error: expect.stringContaining('base64') });
    expect(validateRequest({ id: 9, cmd: 'send', frames: ['AA=='], link: 'fill', rate: 5, intervalMs: 5 })).toMatchObject({ ok: false });
    expect(validateRequest({ id: 9, cmd: 'send', frames: ['AA=='], link: 'fill', ethSrc: 'zz' })).toMatchObject({ ok: false });
    expect(validateRequest({ id: 9, cmd: 'open', device: 'lo', filter: '', bufferSize: -1 })).toMatchObject({ ok: false });
    expect(validateRequest({ id: 9, cmd: 'open', device: 'lo', filter: '', immediate: 'yes' })).toMatchObject({ ok: false, error: expect.stringContaining('immediate') });
    expect(validateRequest({ cmd: 'hello' })).toMatchObject({ ok: false, id: null });
    expect(validateRequest({ id: 9, cmd: 'suppress-rst', src: '198.18.0.1', sport: 80, dport: 80 })).toMatchObject({ ok: false, error: expect.stringContaining('dst') });
    expect(validateRequest([1, 2])).toMatchObject({ ok: false, id: null });
    expect(validateRequest(null)).toMatchObject({ ok: false, id: null });
  });

  it('checks helper replies and events', () => {
    expect(validateHelperMessage({ id: 1, ok: true, result: [] })).toMatchObject({ ok: true });
    expect(validateHelperMessage({ id: null, ok: false, error: { code: 'bad-message', message: 'x' } })).toMatchObject({ ok: true });
    expect(validateHelperMessage({ event: 'error', message: 'gone' })).toMatchObject({ ok: true });
    expect(validateHelperMessage({ id: 1, ok: false, error: 'flat string' })).toMatchObject({ ok: false });
    expect(validateHelperMessage({ id: 1 })).toMatchObject({ ok: false });
    expect(validateHelperMessage('text')).toMatchObject({ ok: false });
  });
});
