// Mutation fuzzing of the readers: thousands of corrupted copies of real files (from
// Scapy, mergecap and the hand-packing builder). Only CaptureFileError may escape, the
// reader always finishes, frames stay within bounds, and chunking never changes the outcome.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_CAPTURED_LENGTH } from '../../../shared/files';
import { SCAPY_PACKETS, buildPcapng, haveScapy, haveWiresharkTools, python, readAll, run, seededRandom, withTempDir, type ReadOutcome } from './tools';

const canRun = haveScapy && haveWiresharkTools;
const MUTATIONS_PER_FILE = 2500;
const temp = withTempDir('files-fuzz');
const seeds: Array<[string, Uint8Array]> = [];

beforeAll(() => {
  if (!canRun) return;
  python(`${SCAPY_PACKETS}
import sys
wrpcap(sys.argv[1], pkts[:6], nano=True)
wrpcap(sys.argv[2], pkts[:6])
`, temp.file('ns.pcap'), temp.file('us.pcap'));
  run('mergecap', ['-F', 'pcapng', '-w', temp.file('merged.pcapng'), temp.file('ns.pcap'), temp.file('us.pcap')]);
  buildPcapng('features', temp.file('le.pcapng'), '<');
  buildPcapng('features', temp.file('be.pcapng'), '>');
  for (const name of ['ns.pcap', 'us.pcap', 'merged.pcapng', 'le.pcapng', 'be.pcapng']) {
    seeds.push([name, new Uint8Array(readFileSync(temp.file(name)))]);
  }
});
afterAll(() => temp.cleanup());

/** Values that length fields tend to break on. */
const INTERESTING_WORDS = [0, 1, 3, 4, 8, 11, 12, 0x7f, 0xff, 0xffff, 0x10000, 0x40000, 0x40001, 0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff];

function splice(bytes: Uint8Array, at: number, deleteCount: number, inserted: Uint8Array): Uint8Array {
  const tail = bytes.subarray(Math.min(bytes.length, at + deleteCount));
  const result = new Uint8Array(at + inserted.length + tail.length);
  result.set(bytes.subarray(0, at));
  result.set(inserted, at);
  result.set(tail, at + inserted.length);
  return result;
}

function mutate(source: Uint8Array, random: () => number): Uint8Array {
  const pick = (n: number) => Math.floor(random() * n);
  let bytes: Uint8Array = new Uint8Array(source);
  const rounds = 1 + pick(4);
  for (let round = 0; round < rounds; round++) {
    const at = pick(bytes.length);
    switch (pick(6)) {
      case 0: // bit flips
        bytes[at] ^= 1 << pick(8);
        break;
      case 1: // a length-field lie, aligned like the real fields
        if (bytes.length >= 4) new DataView(bytes.buffer).setUint32(Math.min(at & ~3, bytes.length - 4), INTERESTING_WORDS[pick(INTERESTING_WORDS.length)], random() < 0.5);
        break;
      case 2: // truncation
        bytes = bytes.slice(0, at);
        break;
      case 3: // random byte
        bytes[at] = pick(256);
        break;
      case 4: // deletion of a few bytes
        bytes = splice(bytes, at, 1 + pick(8), new Uint8Array(0));
        break;
      default: // insertion of a few bytes
        bytes = splice(bytes, at, 0, Uint8Array.from({ length: 1 + pick(8) }, () => pick(256)));
    }
    if (bytes.length === 0) break;
  }
  return bytes;
}

function checkInvariants(outcome: ReadOutcome, size: number): void {
  for (const frame of outcome.frames) {
    expect(frame.capturedLength).toBeLessThanOrEqual(MAX_CAPTURED_LENGTH);
    expect(frame.hex.length).toBe(frame.capturedLength * 2);
    expect(frame.dataOffset + frame.capturedLength).toBeLessThanOrEqual(size);
    expect(frame.epoch).toMatch(/^-?\d+\.\d{9}$/);
    if (outcome.damage) expect(frame.recordOffset).toBeLessThan(outcome.damage.offset);
  }
  if (outcome.damage) expect(outcome.damage.frameNumber).toBe(outcome.frames.length + 1);
}

describe.skipIf(!canRun)('reader fuzzing', () => {
  it(`survives ${MUTATIONS_PER_FILE} mutations of each seed file, chunked or whole`, () => {
    let damaged = 0;
    let total = 0;
    for (const [name, source] of seeds) {
      const random = seededRandom(name.length * 7919 + source.length);
      for (let i = 0; i < MUTATIONS_PER_FILE; i++) {
        const bytes = mutate(source, random);
        // readAll rethrows anything that is not a CaptureFileError, failing the test with the seed file named.
        const whole = readAll(bytes);
        checkInvariants(whole, bytes.length);
        const chunkSize = 1 + Math.floor(random() * 40);
        const chunked = readAll(bytes, () => chunkSize);
        expect(chunked, `${name} mutation ${i}`).toEqual(whole);
        if (whole.damage) damaged += 1;
        total += 1;
      }
    }
    // The mutations must actually exercise the damage paths.
    expect(damaged).toBeGreaterThan(total / 3);
    expect(total).toBe(MUTATIONS_PER_FILE * seeds.length);
  }, 300_000); // generous: CI machines are shared
});
