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
import { templateFrame, TEMPLATE_NAMES } from '../../../shared/craft/templates';
import { toHex } from '../../../shared/wire/bytes';
import { decodeFrame } from '../../../shared/wire/decode';
import { LAYER_ORDER } from '../../../shared/wire/fields';
import { MALFORMED } from '../../../shared/wire/malformed';
import { encapsulations } from './support/encapsulated';
import { embeddedSummaryDisagreements, summaryDisagreements } from './support/agreement';
import { SeededRandom } from './support/random';
import { randomSpec } from './support/random-spec';

const FRAMES = 100_000;
const CRAFTABLE: ReadonlySet<string> = new Set(LAYER_ORDER);
const SEED = 0xc0ffee;
const LINK_TYPES = [0, 1, 101, 108, 113, 228, 229, 276, 147, 9, 50, 104, 127, 178, 239, 242, 258];
const LENGTH_FIELDS = new Set(['ip.hdr_len', 'ip.len', 'ipv6.plen', 'tcp.hdr_len', 'udp.length', 'ip.opt.len', 'tcp.option_len', 'ipv6.hopopts.len', 'ipv6.dstopts.len', 'ipv6.routing.len', 'ipv6.nxt', 'ip.proto', 'eth.type', 'vlan.etype', 'sll.etype', 'ip.version', 'ipv6.version']);

interface Base {
  bytes: Uint8Array;
  linkType: number;
  lengthFields: Array<{ offset: number; length: number; mask?: number }>;
}

function baseFrames(random: SeededRandom): Base[] {
  const specs = [...TEMPLATE_NAMES.map((name) => templateFrame(name)), ...TEMPLATE_NAMES.map((name) => templateFrame(name, { src: '2001:db8::1', dst: '2001:db8::2' }))];
  for (let i = 0; i < 300; i++) specs.push(randomSpec(random));
  const frames = specs.map((spec) => ({ bytes: encodeFrame(spec), linkType: spec.linkType ?? 1 }));
  // The same packets carried over the other link types and tunnels (decode-only layers).
  for (const frame of frames.slice(0, 60)) {
    const decoded = decodeFrame(frame.bytes, frame.linkType);
    const ip = decoded.layers.find((layer) => layer.kind === 'ip' || layer.kind === 'ipv6');
    if (ip) frames.push(...encapsulations(frame.bytes.slice(ip.offset)));
  }
  return frames.map(({ bytes, linkType }) => {
    const decoded = decodeFrame(bytes, linkType);
    const lengthFields = decoded.layers.flatMap((layer) => layer.fields.filter((field) => LENGTH_FIELDS.has(field.name)));
    return { bytes, linkType, lengthFields };
  });
}

function mutate(random: SeededRandom, base: Base): { bytes: Uint8Array; linkType: number } {
  let bytes = base.bytes.slice();
  let linkType = base.linkType;
  for (let steps = 1 + random.below(2); steps > 0; steps--) {
    switch (random.below(6)) {
      case 0: // bit flips, mostly in the headers
        for (let flips = 1 + random.below(4); flips > 0; flips--) {
          const at = random.below(Math.min(bytes.length, 96) || 1);
          if (at < bytes.length) bytes[at] ^= 1 << random.below(8);
        }
        break;
      case 1: // truncation
        bytes = bytes.slice(0, random.below(bytes.length + 1));
        break;
      case 2: {
        // a length (or type) field lies
        if (base.lengthFields.length === 0) break;
        const field = random.pick(base.lengthFields);
        for (let i = 0; i < field.length && field.offset + i < bytes.length; i++) {
          const mask = field.mask === undefined ? 0xff : (field.mask >>> ((field.length - 1 - i) * 8)) & 0xff;
          bytes[field.offset + i] = (bytes[field.offset + i] & ~mask) | (random.below(256) & mask);
        }
        break;
      }
      case 3: {
        // a run of random bytes
        const at = random.below(bytes.length || 1);
        for (let i = at; i < Math.min(bytes.length, at + 1 + random.below(8)); i++) bytes[i] = random.below(256);
        break;
      }
      case 4: {
        // random bytes appended
        const longer = new Uint8Array(bytes.length + 1 + random.below(32));
        longer.set(bytes);
        longer.set(random.bytes(longer.length - bytes.length), bytes.length);
        bytes = longer;
        break;
      }
      default:
        linkType = random.pick(LINK_TYPES);
    }
  }
  return { bytes, linkType };
}

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
