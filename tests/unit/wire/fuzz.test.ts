/**
 * Fuzz: 100,000 mutated frames (bit flips, truncations, lying length fields, overwritten and
 * appended bytes, wrong link types) from a seeded generator, through decodeFrame and summarize.
 *
 * For every frame: nothing throws; the decoder never reports its own error; the frame is flagged
 * exactly when one of its layers failed (and names the first failure); the fast path agrees with
 * the decoder. A frame left unflagged must re-encode from its decoded spec to the same bytes,
 * which shows nothing was mis-read or dropped.
 */
import { describe, expect, it } from 'vitest';
import { encodeFrame } from '../../../shared/craft/encode';
import { specFromDecoded } from '../../../shared/craft/from-decoded';
import { toHex } from '../../../shared/wire/bytes';
import { decodeFrame } from '../../../shared/wire/decode';
import { LAYER_ORDER } from '../../../shared/wire/fields';
import { MALFORMED } from '../../../shared/wire/malformed';
import { embeddedSummaryDisagreements, summaryDisagreements } from './support/agreement';
import { SeededRandom } from './support/random';
import { baseFrames, mutate } from './support/mutated-frames';

const FRAMES = 100_000;
const CRAFTABLE: ReadonlySet<string> = new Set(LAYER_ORDER);
const SEED = 0xc0ffee;
describe(`fuzz: ${FRAMES} mutated frames (seed ${SEED})`, () => {
  it('never throws, flags exactly the failed frames, agrees with the fast path, and re-encodes what it accepts', () => {
    const random = new SeededRandom(SEED);
    const bases = baseFrames(random);
    let flagged = 0;
    const reasons = new Map<string, number>();
    for (let i = 0; i < FRAMES; i++) {
      const { bytes, linkType } = mutate(random, random.pick(bases));
      const label = `frame ${i} (link type ${linkType}): ${toHex(bytes)}`;
      const decoded = decodeFrame(bytes, linkType);
      const failedLayers = decoded.layers.filter((layer) => layer.malformed !== null);
      if (decoded.malformed !== null) {
        flagged++;
        reasons.set(decoded.malformed, (reasons.get(decoded.malformed) ?? 0) + 1);
        expect(decoded.malformed.startsWith(MALFORMED.decoderError), label).toBe(false);
        expect(failedLayers[0]?.malformed, label).toBe(decoded.malformed);
      } else {
        expect(failedLayers, label).toEqual([]);
        if (decoded.layers.some((layer) => !CRAFTABLE.has(layer.kind))) continue; // link types and tunnels the encoder does not build
        const again = encodeFrame(specFromDecoded(decoded));
        if (toHex(again) !== toHex(bytes)) expect(toHex(again), label).toBe(toHex(bytes));
      }
      const disagreements = summaryDisagreements(bytes, linkType, decoded);
      if (disagreements.length > 0) expect(disagreements.join('; '), label).toBe('');
      const embedded = embeddedSummaryDisagreements(bytes, linkType);
      if (embedded.length > 0) expect(embedded.join('; '), `${label} inside a larger array`).toBe('');
    }
    // The mutations must exercise both outcomes and many failure kinds.
    expect(flagged).toBeGreaterThan(FRAMES * 0.1);
    expect(flagged).toBeLessThan(FRAMES * 0.9);
    expect(reasons.size).toBeGreaterThan(12);
  });
});
