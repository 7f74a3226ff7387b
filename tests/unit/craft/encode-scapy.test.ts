/**
 * The encoder against Scapy: each corpus frame is described with only its non-automatic fields,
 * and the encoder must compute lengths, protocol numbers, data offsets, option padding and
 * checksums to the same bytes Scapy built. Then the other round-trip law on the same frames.
 */
import { describe, expect, it } from 'vitest';
import { encodeFrame } from '../../../shared/craft/encode';
import { specFromDecoded } from '../../../shared/craft/from-decoded';
import { toHex } from '../../../shared/wire/bytes';
import { decodeFrame } from '../../../shared/wire/decode';
import { loadCorpus, scapyAvailable, type CorpusEntry } from '../wire/oracle/oracle';

const corpus: CorpusEntry[] = scapyAvailable ? loadCorpus() : [];
const cases = corpus.map((entry) => [entry.name, entry] as const);

describe.skipIf(!scapyAvailable)('encodeFrame computes what Scapy computes', () => {
  it.each(cases)('%s', (_name, entry) => {
    // A checksum built on purpose as bad, partial or absent is given explicitly, as its maker did.
    const spec = structuredClone(entry.spec);
    for (const [statusKey, status] of Object.entries(entry.status)) {
      if (status === 'good') continue;
      const checksumName = statusKey.replace('.status', '');
      const layer = spec.layers.find((candidate) => checksumName.startsWith(`${candidate.layer}.`));
      if (layer) layer.fields[checksumName] = entry.expect[checksumName] as number;
    }
    expect(toHex(encodeFrame(spec))).toBe(toHex(entry.bytes));
  });
});

describe.skipIf(!scapyAvailable)('encode(specFromDecoded(decode(b))) reproduces b', () => {
  it.each(cases)('%s', (_name, entry) => {
    const decoded = decodeFrame(entry.bytes, entry.linkType);
    expect(toHex(encodeFrame(specFromDecoded(decoded)))).toBe(toHex(entry.bytes));
  });
});
