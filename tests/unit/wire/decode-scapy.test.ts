/**
 * The decoder against Scapy: every frame of the corpus is built by Scapy inside the test run,
 * and every field Scapy dissects must decode to the same value (Scapy's own lengths and checksums included).
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../shared/wire/bytes';
import { decodeFrame, type DecodedFrame } from '../../../shared/wire/decode';
import { frameFieldsJson } from '../../../shared/wire/json';
import { loadCorpus, scapyAvailable, type CorpusEntry } from './oracle/oracle';

const corpus: CorpusEntry[] = scapyAvailable ? loadCorpus() : [];

function quotedValue(frame: DecodedFrame, name: string): unknown {
  for (const layer of frame.layers) {
    if (!layer.quoted) continue;
    const field = layer.fields.find((candidate) => candidate.name === name);
    if (field) return field.value;
  }
  return undefined;
}

describe.skipIf(!scapyAvailable)('decodeFrame agrees with Scapy', () => {
  it('has a corpus covering every link type', () => {
    expect(new Set(corpus.map((entry) => entry.linkType))).toEqual(new Set([0, 1, 101, 108, 113, 228, 229, 276]));
  });

  it.each(corpus.map((entry) => [entry.name, entry] as const))('%s', (_name, entry) => {
    const decoded = decodeFrame(entry.bytes, entry.linkType);
    expect(decoded.malformed).toBeNull();
    const json = frameFieldsJson(decoded, { number: 1, timeEpoch: '0.000000000' });
    for (const [key, want] of Object.entries(entry.expect)) {
      expect.soft(json[key], key).toEqual(want);
    }
    for (const [key, want] of Object.entries(entry.quoted)) {
      expect.soft(quotedValue(decoded, key), `quoted ${key}`).toEqual(want);
    }
    for (const [key, want] of Object.entries(entry.status)) {
      expect.soft(json[key], key).toBe(want);
    }
    // Every field points inside the frame, so the hex view can highlight it.
    for (const layer of decoded.layers) {
      for (const field of layer.fields) {
        expect(field.offset + field.length, `${field.name} in ${toHex(entry.bytes)}`).toBeLessThanOrEqual(entry.bytes.length);
      }
    }
  });
});
