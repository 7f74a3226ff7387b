/**
 * The round-trip laws over many frames:
 * - on random well-formed frames built by Scapy (seeded): the decoder reads Scapy's field values,
 *   the encoder computes Scapy's lengths and checksums, encode(specFromDecoded(decode(b))) = b,
 *   and the fast path agrees with the decoder;
 * - on random specs (seeded): decode(encode(v)) gives back every value v set.
 */
import { describe, expect, it } from 'vitest';
import { encodeFrame } from '../../../shared/craft/encode';
import { specFromDecoded } from '../../../shared/craft/from-decoded';
import type { FieldInput } from '../../../shared/craft/spec';
import { formatIpv6, toHex } from '../../../shared/wire/bytes';
import { decodeFrame } from '../../../shared/wire/decode';
import { headerFields, type FieldDef } from '../../../shared/wire/fields';
import { frameFieldsJson } from '../../../shared/wire/json';
import { loadRandomCorpus, scapyAvailable, type CorpusEntry } from '../wire/oracle/oracle';
import { summaryDisagreements } from '../wire/support/agreement';
import { SeededRandom } from '../wire/support/random';
import { randomSpec } from '../wire/support/random-spec';

const SCAPY_FRAMES = 400;
const SCAPY_SEED = 20261122;
const scapyFrames: CorpusEntry[] = scapyAvailable ? loadRandomCorpus(SCAPY_FRAMES, SCAPY_SEED) : [];

describe.skipIf(!scapyAvailable)(`${SCAPY_FRAMES} random Scapy frames (seed ${SCAPY_SEED})`, () => {
  it('decode reads every field as Scapy dissects it', () => {
    for (const entry of scapyFrames) {
      const json = frameFieldsJson(decodeFrame(entry.bytes, entry.linkType), { number: 1, timeEpoch: '0' });
      expect(json['_ws.malformed'], entry.name).toBeUndefined();
      for (const [key, want] of Object.entries(entry.expect)) expect(json[key], `${entry.name} ${key} in ${toHex(entry.bytes)}`).toEqual(want);
    }
  });

  it('encode computes the automatic fields to Scapy’s bytes', () => {
    for (const entry of scapyFrames) expect(toHex(encodeFrame(entry.spec)), entry.name).toBe(toHex(entry.bytes));
  });

  it('encode(specFromDecoded(decode(b))) = b', () => {
    for (const entry of scapyFrames) {
      expect(toHex(encodeFrame(specFromDecoded(decodeFrame(entry.bytes, entry.linkType)))), entry.name).toBe(toHex(entry.bytes));
    }
  });

  it('summarize agrees with decodeFrame', () => {
    for (const entry of scapyFrames) expect(summaryDisagreements(entry.bytes, entry.linkType), entry.name).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

const RANDOM_SPECS = 3000;
const SPEC_SEED = 4242;

/** How the decoder shows a value the caller gave (address texts above are already canonical). */
function shown(def: FieldDef, input: FieldInput): unknown {
  if (input instanceof Uint8Array) return def.type === 'ipv6' ? formatIpv6(input) : toHex(input);
  return input;
}

describe(`${RANDOM_SPECS} random specs (seed ${SPEC_SEED}): decode(encode(v)) gives back v`, () => {
  it('every value set is decoded as set, and the frame is well-formed', () => {
    const random = new SeededRandom(SPEC_SEED);
    for (let round = 0; round < RANDOM_SPECS; round++) {
      const spec = randomSpec(random);
      const bytes = encodeFrame(spec);
      const decoded = decodeFrame(bytes, spec.linkType ?? 1);
      const label = `spec #${round}: ${toHex(bytes)}`;
      expect(decoded.malformed, label).toBeNull();
      const own = decoded.layers.filter((layer) => !layer.quoted && layer.kind !== 'data');
      spec.layers
        .filter((layer) => layer.layer !== 'data')
        .forEach((layerSpec, index) => {
          const layer = own[index];
          expect(layer?.kind, label).toBe(layerSpec.layer);
          for (const [name, input] of Object.entries(layerSpec.fields)) {
            if (input === undefined) continue;
            const def = headerFields(layerSpec.layer, layer.variant).find((candidate) => candidate.name === name);
            if (!def) continue;
            const got = layer.fields.find((field) => field.name === name)?.value;
            const gotShown = got instanceof Uint8Array ? toHex(got) : got;
            expect(gotShown, `${label} ${name}`).toEqual(shown(def, input));
          }
          if (layerSpec.tcpOptions) {
            // Automatic padding is zeros, and a zero is an EOL option: it shows up as one.
            const optionBytes = layer.tcpOptions?.reduce((sum, option) => sum + option.length, 0) ?? 0;
            const padded = optionBytes > 0 && layer.tcpOptions?.[layer.tcpOptions.length - 1].kind === 0 && layer.tcpOptions.length === layerSpec.tcpOptions.length + 1;
            const decodedOptions = (layer.tcpOptions ?? []).slice(0, padded ? -1 : undefined).map((option) => option.spec);
            expect(decodedOptions, label).toEqual(layerSpec.tcpOptions);
          }
        });
      const data = spec.layers.find((layer) => layer.layer === 'data');
      if (data?.data) expect(toHex(decoded.layers[decoded.layers.length - 1].data ?? new Uint8Array(0)), label).toBe(toHex(data.data));
      expect(toHex(encodeFrame(specFromDecoded(decoded))), label).toBe(toHex(bytes));
      expect(summaryDisagreements(bytes, spec.linkType ?? 1, decoded), label).toEqual([]);
    }
  });
});
