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
import type { FieldInput, FrameSpec, Ipv6ExtHeaderSpec, LayerKind, LayerSpec, TcpOptionSpec } from '../../../shared/craft/spec';
import { formatIpv4, formatIpv6, formatMac, toHex } from '../../../shared/wire/bytes';
import { decodeFrame } from '../../../shared/wire/decode';
import { headerFields, icmpVariant, icmpv6Variant, type FieldDef } from '../../../shared/wire/fields';
import { frameFieldsJson } from '../../../shared/wire/json';
import { loadRandomCorpus, scapyAvailable, type CorpusEntry } from '../wire/oracle/oracle';
import { summaryDisagreements } from '../wire/support/agreement';
import { SeededRandom } from '../wire/support/random';

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

/** A random value inside the field's range, in the form a caller would give it. */
function randomValue(random: SeededRandom, def: FieldDef): FieldInput {
  switch (def.type) {
    case 'bool':
      return random.below(2) === 1;
    case 'mac':
      return formatMac(random.bytes(6));
    case 'ipv4':
      return formatIpv4(random.bytes(4));
    case 'ipv6':
      return random.below(2) === 0 ? formatIpv6(random.bytes(16)) : random.bytes(16);
    case 'bytes':
      return random.bytes(def.bitWidth / 8);
    default: {
      const scale = def.scale ?? 1;
      const max = (def.max ?? 0) / scale;
      return Math.floor(random.next() * (max + 1)) * scale;
    }
  }
}

/** Fields the frame's structure depends on stay automatic or fixed so the frame stays well-formed. */
const STRUCTURAL: ReadonlySet<string> = new Set(['ip.version', 'ipv6.version', 'ip.flags', 'ip.frag_offset', 'icmp.type', 'icmpv6.type', 'sll.unused']);

function randomLayer(random: SeededRandom, kind: LayerKind, extra: Partial<LayerSpec> = {}, fixed: Record<string, FieldInput> = {}): LayerSpec {
  const fields: Record<string, FieldInput> = { ...fixed };
  const variant = kind === 'icmp' ? icmpVariant(Number(fixed['icmp.type'])) : kind === 'icmpv6' ? icmpv6Variant(Number(fixed['icmpv6.type'])) : undefined;
  for (const def of headerFields(kind, variant)) {
    if (def.auto || def.parent || STRUCTURAL.has(def.name) || def.name in fields) continue;
    if (random.below(4) > 0) fields[def.name] = randomValue(random, def);
  }
  return { layer: kind, fields, ...extra };
}

function randomTcpOptions(random: SeededRandom): TcpOptionSpec[] {
  const pool: Array<() => TcpOptionSpec> = [
    () => ({ kind: 'nop' }),
    () => ({ kind: 'mss', value: random.below(65536) }),
    () => ({ kind: 'wscale', shift: random.below(15) }),
    () => ({ kind: 'sack_perm' }),
    () => ({ kind: 'timestamp', tsval: random.below(2 ** 32), tsecr: random.below(2 ** 32) }),
    () => ({ kind: 'sack', blocks: [[random.below(2 ** 32), random.below(2 ** 32)]] }),
    () => ({ kind: 'tfo', cookie: random.bytes(random.pick([0, 4, 8])) }),
    () => ({ kind: 'tfo', cookie: random.bytes(4), experimental: true }),
    () => ({ kind: 'raw', type: random.pick([6, 7, 9, 19, 28, 29, 30, 77, 253]), data: random.bytes(random.below(5)) }),
  ];
  const options: TcpOptionSpec[] = [];
  let room = 40;
  for (let count = random.below(6); count > 0; count--) {
    const option = random.pick(pool)();
    const size = option.kind === 'nop' ? 1 : option.kind === 'mss' ? 4 : option.kind === 'wscale' ? 3 : option.kind === 'sack_perm' ? 2 : option.kind === 'timestamp' ? 10 : option.kind === 'sack' ? 10 : option.kind === 'tfo' ? 2 + option.cookie.length + (option.experimental ? 2 : 0) : option.kind === 'raw' ? 2 + option.data.length : 1;
    if (size > room) break;
    room -= size;
    options.push(option);
  }
  return options;
}

function randomExtHeaders(random: SeededRandom): Ipv6ExtHeaderSpec[] {
  const exts: Ipv6ExtHeaderSpec[] = [];
  for (let count = random.below(3); count > 0; count--) {
    const type = random.pick([0, 60, 43, 44]);
    if (type === 44) exts.push({ type, body: Uint8Array.from([0, 0, ...random.bytes(4)]) }); // offset 0, M 0: an atomic fragment
    else if (type === 43) exts.push({ type, body: Uint8Array.from([0, 0, 0, 0, 0, 0]) }); // type 0, no segments left
    else exts.push({ type, body: Uint8Array.from([1, 4, 0, 0, 0, 0]) }); // one PadN option
  }
  return exts;
}

function randomSpec(random: SeededRandom): FrameSpec {
  const layers: LayerSpec[] = [];
  const link = random.pick(['eth', 'eth', 'sll', 'sll2', 'null', 'raw'] as const);
  let linkType = 1;
  if (link === 'eth') {
    layers.push(randomLayer(random, 'eth'));
    for (let tags = random.below(3); tags > 0; tags--) layers.push(randomLayer(random, 'vlan'));
  } else if (link === 'sll' || link === 'sll2') {
    layers.push(randomLayer(random, link));
    linkType = link === 'sll' ? 113 : 276;
  } else if (link === 'null') {
    layers.push({ layer: 'null', fields: {} });
    linkType = 0;
  } else {
    linkType = 101;
  }
  const v6 = random.below(2) === 1;
  if (v6) layers.push(randomLayer(random, 'ipv6', { extHeaders: randomExtHeaders(random) }));
  else {
    const options = random.below(4) === 0 ? Uint8Array.from([1, 1, 148, 4, 0, 0, 1, 0]) : undefined; // NOPs, router alert, NOP, EOL
    layers.push(randomLayer(random, 'ip', options ? { ipOptions: options } : {}, { 'ip.flags.df': random.below(2) === 1 }));
  }
  const transport = random.pick(['tcp', 'tcp', 'udp', 'icmp'] as const);
  if (transport === 'tcp') layers.push(randomLayer(random, 'tcp', { tcpOptions: randomTcpOptions(random) }));
  else if (transport === 'udp') layers.push(randomLayer(random, 'udp'));
  else if (v6) layers.push(randomLayer(random, 'icmpv6', {}, { 'icmpv6.type': random.pick([128, 129]) }));
  else layers.push(randomLayer(random, 'icmp', {}, { 'icmp.type': random.pick([0, 8]) }));
  if (random.below(2) === 1) layers.push({ layer: 'data', fields: {}, data: random.bytes(1 + random.below(64)) });
  return { linkType, layers };
}

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
