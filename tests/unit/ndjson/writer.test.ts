/**
 * The NDJSON byte writer against V8's JSON.stringify (the oracle): the same bytes, as UTF-8,
 * for every kind of value decode and analyze print, including the awkward ones.
 */
import { describe, expect, it } from 'vitest';
import { NdjsonWriter } from '../../../shared/ndjson/writer';
import { formatEpoch } from '../../../shared/files/timestamp';

const text = (writer: NdjsonWriter) => Buffer.from(writer.bytes.subarray(0, writer.length)).toString('utf8');

const AWKWARD: unknown[] = [
  0, -0, 1, -1, 42, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 40 - 1, 2 ** 40, 123456789012, -(2 ** 32), 4294967295.5, 2 ** 53, 1e21, 1e-7, 0.1 + 0.2, 0.000009672, -3.5, NaN, Infinity, -Infinity,
  '', 'plain', 'quote " and \\ backslash', 'tab\tnew\nline\r\u0001\u001f\u007f', 'exämple ä中 😀', '\ud800 lone', 'lone \udfff',
  true, false, null, [], {}, [1, 'a', null, undefined, () => 1, [2, [3]]], { a: undefined, b: () => 1, c: 1, 'd"e': { f: [true] } },
  new Date(0), { toJSON: () => ({ x: 1 }) }, [0.5, 0.5, 1.5, 0.5, NaN, NaN, 1e-7, 1e-7],
];

describe('NdjsonWriter', () => {
  it.each(AWKWARD.map((value) => [JSON.stringify(value) ?? 'undefined', value]))('line(%s) is JSON.stringify + newline', (_, value) => {
    const writer = new NdjsonWriter(4);
    writer.line(value);
    expect(text(writer)).toBe(`${JSON.stringify(value)}\n`);
  });

  it('random records of scalars and arrays: byte for byte', () => {
    let state = 7;
    const random = () => ((state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const scalar = (): unknown => {
      const r = random();
      if (r < 0.3) return Math.floor(random() * 2 ** (random() * 40));
      if (r < 0.45) return random() * 10 ** Math.floor(random() * 12 - 6);
      if (r < 0.6) return random() < 0.5;
      return String.fromCharCode(...Array.from({ length: Math.floor(random() * 12) }, () => Math.floor(random() ** 3 * 0x3000)));
    };
    const writer = new NdjsonWriter(16);
    let expected = '';
    for (let n = 0; n < 2000; n++) {
      const record: Record<string, unknown> = {};
      for (let k = 0; k < 20; k++) record[`key.${Math.floor(random() * 40)}`] = random() < 0.2 ? [scalar(), scalar()] : scalar();
      writer.line(record);
      expected += `${JSON.stringify(record)}\n`;
    }
    expect(text(writer)).toBe(expected);
  });

  it('begin/field/end, has() per object, rewind and pickedLine', () => {
    const writer = new NdjsonWriter(8);
    writer.begin();
    writer.field('a', 1);
    writer.field('skip', undefined);
    expect(writer.has('a')).toBe(true);
    expect(writer.has('b')).toBe(false);
    writer.field('b', ['x', 2]);
    writer.end();
    const start = writer.begin();
    expect(writer.has('a')).toBe(false);
    writer.field('c', 3);
    writer.rewind(start);
    writer.pickedLine(['z', 'a', 'y'], (name) => ({ a: 'é', y: false })[name]);
    expect(text(writer)).toBe('{"a":1,"b":["x",2]}\n{"a":"é","y":false}\n');
  });

  it.each(AWKWARD.filter((value) => typeof value === 'number').map((value) => [String(value), value as number]))('numberText(%s) is String(value), a -T fields cell', (_, value) => {
    const writer = new NdjsonWriter(2);
    writer.numberText(value);
    expect(text(writer)).toBe(String(value));
  });

  it('times in whole nanoseconds (written without String()) and other floats: String(value) for each of 200,000', () => {
    let state = 11;
    const random = () => ((state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const writer = new NdjsonWriter(2);
    let expected = '';
    for (let n = 0; n < 200_000; n++) {
      const seconds = Math.floor(random() * [1, 2, 1000, 2e6][n % 4]);
      const nanos = Math.floor(random() * 1e9) - (n % 7 === 0 ? Math.floor(random() * 1e9) % 1000 : 0);
      const value = n % 5 === 4 ? random() * 10 ** Math.floor(random() * 16 - 8) : (seconds * 1e9 + (n % 3 === 0 ? nanos - (nanos % 1000) : nanos)) / 1e9;
      writer.numberText(value);
      writer.byte(0x20);
      expected += `${String(value)} `;
    }
    for (const value of [1e-6, 1e-6 - 1e-9, 5e-7, 1e6, 1e6 - 1e-9, 999999.999999999, 0.1, 0.25, 1.000000001, 123.1]) {
      writer.numberText(value);
      writer.byte(0x20);
      expected += `${String(value)} `;
    }
    expect(text(writer)).toBe(expected);
  });

  it('epochText is formatEpoch, the -T fields cell of frame.time_epoch', () => {
    const writer = new NdjsonWriter(2);
    let expected = '';
    for (const [seconds, nanos] of [[0, 0], [1700000000, 2065], [1700000000, 999999999], [2 ** 31 - 1, 1], [2 ** 31, 5], [4102444800, 123456789], [7, 100000000]]) {
      writer.epochText(seconds, nanos);
      writer.byte(0x20);
      expected += `${formatEpoch(seconds, nanos)} `;
    }
    expect(text(writer)).toBe(expected);
  });
});
