/**
 * Binary frames for typed-array columns (shared/api/binary.ts): a stream graph's result survives
 * the trip exactly (every double bit for bit, non-ASCII text too), goes through the result
 * validator, and a malformed or hostile frame is refused with an error, never a crash.
 */
import { describe, expect, it } from 'vitest';
import { BinaryMessageError, decodeBinaryMessage, encodeBinaryMessage, hasColumns, methodValidators } from '../../../shared/api';
import { ConversationTable, conversationColumns, conversationRows, endpointColumns, endpointRows } from '../../../shared/conversations';

const column = (values: number[]) => Float64Array.from(values);

function graphResult() {
  const n = 1000;
  const time = Float64Array.from({ length: n }, (_, i) => i * 0.000123456789 + 1e-9 / 3);
  return {
    kind: 'response',
    id: 7,
    ok: true,
    result: {
      stream: 3,
      sender: '[2001:db8::1]:40000',
      receiver: 'ünïcode ✓ 😀:443',
      direction: 'client',
      maWindow: 0.05,
      segments: { frame: time.map((_, i) => i + 1), time, seq: time.map((_, i) => i * 1448), end: time.map((_, i) => i * 1448 + 1448), len: time.map(() => 1448), bytesInFlight: time.map(() => 0), throughput: time.map((t) => t * 1e9), retransmission: time.map(() => 0) },
      acks: { frame: column([2, 4]), time: column([0.1, 0.2]), ack: column([1, 2897]), window: column([65535, 65535]), windowEdge: column([65536, 68432]) },
      rtt: { frame: column([]), time: column([]), rtt: column([]), seq: column([]), acksFrame: column([]) },
      sack: { frame: column([4]), time: column([0.2]), left: column([4345]), right: column([5793]) },
    },
  };
}

describe('binary API frames', () => {
  it('carries every column bit for bit, and the result passes the stream-graph validator', () => {
    const message = graphResult();
    expect(hasColumns(message)).toBe(true);
    const frame = encodeBinaryMessage(message);
    // Mostly the columns' own bytes: 8 per number, plus a small header.
    expect(frame.length).toBeLessThan(8 * (8 * 1000 + 20) + 2048);
    const back = decodeBinaryMessage(frame) as ReturnType<typeof graphResult>;
    expect(back.result.receiver).toBe('ünïcode ✓ 😀:443');
    expect(back.result.segments.time).toBeInstanceOf(Float64Array);
    expect(Array.from(back.result.segments.time)).toEqual(Array.from(message.result.segments.time));
    expect(Array.from(back.result.sack.right)).toEqual([5793]);
    expect(back.result.rtt.rtt.length).toBe(0);
    const checked = methodValidators.getStreamGraph.result(back.result, 'result');
    expect(checked.segments.throughput[999]).toBe(message.result.segments.throughput[999]);
  });

  it('decodes a frame at an odd byte offset (a Node Buffer slice) by copying', () => {
    const frame = encodeBinaryMessage(graphResult());
    const shifted = new Uint8Array(frame.length + 1).subarray(1);
    shifted.set(frame);
    const back = decodeBinaryMessage(shifted) as ReturnType<typeof graphResult>;
    expect(Array.from(back.result.segments.seq)).toEqual(Array.from(graphResult().result.segments.seq));
  });

  it('plain results stay JSON (no columns found), and rows in arrays are not searched', () => {
    expect(hasColumns({ kind: 'response', result: { rows: [{ a: 1 }], text: 'x' } })).toBe(false);
  });

  it('refuses malformed frames with a BinaryMessageError', () => {
    const good = encodeBinaryMessage(graphResult());
    const cases: Uint8Array[] = [new Uint8Array(0), new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), good.subarray(0, 12), good.subarray(0, good.length - 8)];
    const header = (text: string) => {
      const bytes = new Uint8Array(8 + text.length + 16);
      bytes.set([0x48, 0x53, 0x42, 0x31]);
      new DataView(bytes.buffer).setUint32(4, text.length, true);
      for (let i = 0; i < text.length; i++) bytes[8 + i] = text.charCodeAt(i);
      return bytes;
    };
    cases.push(header('{"a":{"$f64":[0,1000000]}}'), header('{"a":{"$f64":[3,1]}}'), header('{"a":{"$f64":[-8,1]}}'), header('{"a":{"$f64":"x"}}'));
    for (const frame of cases) expect(() => decodeBinaryMessage(frame)).toThrow(BinaryMessageError);
    // Not JSON inside: a SyntaxError, also caught by the transport.
    expect(() => decodeBinaryMessage(header('{nope'))).toThrow();
  });

  it('a column that is not finite fails the validator', () => {
    const message = graphResult();
    message.result.acks.ack[1] = Number.NaN;
    const back = decodeBinaryMessage(encodeBinaryMessage(message)) as ReturnType<typeof graphResult>;
    expect(() => methodValidators.getStreamGraph.result(back.result, 'result')).toThrow(/acks\.ack\[1\]/);
  });
});

describe('conversation tables as columns', () => {
  const rows = [
    { addressA: '198.18.0.1', portA: 40000, addressB: '198.18.0.2', portB: 443, framesAB: 10, bytesAB: 1500, framesBA: 8, bytesBA: 9000, start: 0.25, duration: 1.5 },
    { addressA: '2001:db8::1', portA: 53, addressB: '198.18.0.1', portB: -1, framesAB: 1, bytesAB: 80, framesBA: 0, bytesBA: 0, start: 2, duration: 0 },
  ];
  const endpoints = [{ address: 'ünïcode', port: -1, txFrames: 3, txBytes: 300, rxFrames: 2, rxBytes: 120 }];

  it('round-trip through a binary frame and the result validator into the same rows', () => {
    const message = { kind: 'response', id: 1, ok: true, result: { conversations: conversationColumns(rows), endpoints: endpointColumns(endpoints) } };
    expect(message.result.conversations.names).toEqual(['198.18.0.1', '198.18.0.2', '2001:db8::1']);
    const back = decodeBinaryMessage(encodeBinaryMessage(message)) as typeof message;
    const checked = methodValidators.getConversations.result(back.result, 'result');
    expect(conversationRows(checked.conversations)).toEqual(rows);
    expect(endpointRows(checked.endpoints)).toEqual(endpoints);
  });

  it('refuses an address index outside the names, a fractional count, and columns of unequal length', () => {
    const bad = [
      () => ({ ...conversationColumns(rows), addressB: Float64Array.from([1, 3]) }),
      () => ({ ...conversationColumns(rows), framesAB: Float64Array.from([1.5, 1]) }),
      () => ({ ...conversationColumns(rows), duration: Float64Array.from([1]) }),
    ];
    for (const make of bad) expect(() => methodValidators.getConversations.result({ conversations: make(), endpoints: endpointColumns(endpoints) }, 'result')).toThrow();
  });
});

describe('ConversationTable columns', () => {
  it('equal the row lists it gives, conversation by conversation and endpoint by endpoint', () => {
    const table = new ConversationTable();
    const names = ['198.18.0.1', '198.18.0.2', '2001:db8::1'];
    let t = 0;
    for (let i = 0; i < 500; i++) {
      const a = i % 3;
      const b = (i * 7 + 1) % 3;
      table.add(i % 40, a, 1000 + (i % 5), b, 443, (t += 0.01), 60 + i);
    }
    const name = (id: number) => names[id];
    expect(conversationRows(table.columns(name))).toEqual(table.conversations(name));
    expect(endpointRows(table.endpointColumns(name))).toEqual(table.endpoints(name));
  });
});
