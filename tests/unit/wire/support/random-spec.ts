/**
 * Random well-formed FrameSpecs from a seeded generator: random values for every settable field,
 * random TCP options, VLAN tags and IPv6 extension headers; structural fields stay automatic.
 */
import type { FieldInput, FrameSpec, Ipv6ExtHeaderSpec, LayerKind, LayerSpec, TcpOptionSpec } from '../../../../shared/craft/spec';
import { formatIpv4, formatIpv6, formatMac } from '../../../../shared/wire/bytes';
import { headerFields, icmpVariant, icmpv6Variant, type FieldDef } from '../../../../shared/wire/fields';
import type { SeededRandom } from './random';

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

export function randomSpec(random: SeededRandom): FrameSpec {
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

