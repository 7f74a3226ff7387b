/**
 * The checked-in list of Wireshark field names (shared/filter/wireshark-fields.ts) against
 * the tshark installed here: generated from `tshark -G fields`, it must list exactly what
 * that tshark lists for the chosen protocols (or, with another tshark version, nearly so).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isWiresharkField } from '../../../shared/filter';
import { WIRESHARK_FIELDS, WIRESHARK_FIELDS_VERSION } from '../../../shared/filter/wireshark-fields';
import { haveTshark } from '../files/tools';

const GENERATOR = path.resolve(__dirname, '../../../build/scripts/wireshark-fields.mjs');

function listed(): Set<string> {
  const names = new Set<string>();
  for (const [protocol, rest] of Object.entries(WIRESHARK_FIELDS)) {
    names.add(protocol);
    for (const suffix of rest.split(' ')) if (suffix) names.add(`${protocol}.${suffix}`);
  }
  return names;
}

describe('Wireshark field names', () => {
  it('stays small and holds the names users type', () => {
    const names = listed();
    expect(names.size).toBeLessThan(6000);
    for (const name of ['http.host', 'http.request.method', 'dns.qry.name', 'tls.handshake.extensions_server_name', 'tcp.analysis.ack_rtt', 'quic.version', 'x509sat.uTF8String', 'http2.header.name']) {
      expect(isWiresharkField(name), name).toBe(true);
    }
    expect(isWiresharkField('tcp.prot')).toBe(false);
  });

  it.skipIf(!haveTshark)('matches `tshark -G fields` of the installed tshark', async () => {
    const version = /TShark \(Wireshark\) (\S+)/.exec(spawnSync('tshark', ['-v'], { encoding: 'utf8' }).stdout)?.[1];
    const glossary = spawnSync('tshark', ['-G', 'fields'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }).stdout;
    const { listedFields } = (await import(pathToFileURL(GENERATOR).href)) as { listedFields: (text: string) => Record<string, string[]> };
    const fromTshark = new Set(Object.values(listedFields(glossary)).flat());
    const ours = listed();
    const missingInTshark = [...ours].filter((name) => !fromTshark.has(name));
    const missingHere = [...fromTshark].filter((name) => !ours.has(name));
    if (version === WIRESHARK_FIELDS_VERSION) {
      expect(missingInTshark).toEqual([]);
      expect(missingHere).toEqual([]);
    } else {
      // Another Wireshark release renames little; regenerate with build/scripts/wireshark-fields.mjs when this fails.
      expect(missingInTshark.length / ours.size).toBeLessThan(0.05);
    }
  });
});
