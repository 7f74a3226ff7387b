/**
 * Mutated frames for fuzzing, from a seeded generator: base frames (every template over IPv4 and
 * IPv6, random specs, the same packets over other link types and tunnels), then bit flips,
 * truncations, lying length fields, overwritten and appended bytes, or a wrong link type.
 */
import { encodeFrame } from '../../../../shared/craft/encode';
import { templateFrame, TEMPLATE_NAMES } from '../../../../shared/craft/templates';
import { decodeFrame } from '../../../../shared/wire/decode';
import { encapsulations } from './encapsulated';
import type { SeededRandom } from './random';
import { randomSpec } from './random-spec';

export const LINK_TYPES = [0, 1, 101, 108, 113, 228, 229, 276, 147, 9, 50, 104, 127, 178, 239, 242, 258];
const LENGTH_FIELDS = new Set(['ip.hdr_len', 'ip.len', 'ipv6.plen', 'tcp.hdr_len', 'udp.length', 'ip.opt.len', 'tcp.option_len', 'ipv6.hopopts.len', 'ipv6.dstopts.len', 'ipv6.routing.len', 'ipv6.nxt', 'ip.proto', 'eth.type', 'vlan.etype', 'sll.etype', 'ip.version', 'ipv6.version']);

export interface Base {
  bytes: Uint8Array;
  linkType: number;
  lengthFields: Array<{ offset: number; length: number; mask?: number }>;
}

export function baseFrames(random: SeededRandom, randomSpecs = 300, encapsulated = 60): Base[] {
  const specs = [...TEMPLATE_NAMES.map((name) => templateFrame(name)), ...TEMPLATE_NAMES.map((name) => templateFrame(name, { src: '2001:db8::1', dst: '2001:db8::2' }))];
  for (let i = 0; i < randomSpecs; i++) specs.push(randomSpec(random));
  const frames = specs.map((spec) => ({ bytes: encodeFrame(spec), linkType: spec.linkType ?? 1 }));
  // The same packets carried over the other link types and tunnels (decode-only layers).
  for (const frame of frames.slice(0, encapsulated)) {
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

export function mutate(random: SeededRandom, base: Base): { bytes: Uint8Array; linkType: number } {
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
