/**
 * The field registry: names are Wireshark's (checked against tshark's own field list), widths and
 * positions fit their headers, and parents cover their bits.
 */
import { describe, expect, it } from 'vitest';
import type { LayerKind } from '../../../shared/craft/spec';
import { FIELD_NAMES, LAYER_DEFS, LAYER_ORDER, SERVICE_TAG_NAMES, findField, headerFields } from '../../../shared/wire/fields';
import { runTshark, tsharkAvailable } from './oracle/oracle';

/** Names that Wireshark has no field for; each is our own, for the editor or exact re-encoding. */
const OUR_OWN_NAMES = new Set(['null.big_endian', 'sll.reserved', 'ip.options', 'tcp.options.padding']);

describe('field registry', () => {
  it.skipIf(!tsharkAvailable)('uses Wireshark display-filter names', () => {
    const wireshark = new Set(
      runTshark(['-G', 'fields'])
        .split('\n')
        .map((line) => line.split('\t')[2])
        .filter(Boolean),
    );
    const unknown = [...FIELD_NAMES, ...Object.values(SERVICE_TAG_NAMES)].filter((name) => !wireshark.has(name) && !OUR_OWN_NAMES.has(name));
    expect(unknown).toEqual([]);
  });

  it('places every header field inside its layer’s fixed header, one name per layer', () => {
    for (const kind of LAYER_ORDER) {
      const layer = LAYER_DEFS[kind];
      const names = layer.fields.map((def) => def.name);
      expect(new Set(names).size, kind).toBe(names.length);
      for (const def of headerFields(kind, 'echo').concat(headerFields(kind, 'rest'))) {
        expect(def.bitOffset + def.bitWidth, def.name).toBeLessThanOrEqual(layer.headerLength * 8);
        expect(def.layer).toBe(kind);
      }
    }
  });

  it('has a parent covering each bit field', () => {
    for (const kind of LAYER_ORDER) {
      for (const def of LAYER_DEFS[kind].fields.filter((candidate) => candidate.parent)) {
        const parent = findField(kind as LayerKind, def.parent ?? '');
        expect(parent, def.name).toBeDefined();
        if (!parent) continue;
        expect(def.bitOffset).toBeGreaterThanOrEqual(parent.bitOffset);
        expect(def.bitOffset + def.bitWidth).toBeLessThanOrEqual(parent.bitOffset + parent.bitWidth);
      }
    }
  });

  it('gives ranges that follow the wire width and scale', () => {
    expect(findField('tcp', 'tcp.hdr_len')).toMatchObject({ min: 0, max: 60, scale: 4, auto: 'data-offset' });
    expect(findField('ip', 'ip.frag_offset')).toMatchObject({ max: 8191 });
    expect(findField('ipv6', 'ipv6.flow')).toMatchObject({ max: 0xfffff });
    expect(findField('tcp', 'tcp.checksum')).toMatchObject({ auto: 'checksum', display: 'hex' });
    // SLL v1 and v2 share names at different positions.
    expect(findField('sll', 'sll.pkttype')?.bitOffset).toBe(0);
    expect(findField('sll2', 'sll.pkttype')?.bitOffset).toBe(80);
  });
});
