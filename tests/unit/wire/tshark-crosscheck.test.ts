/**
 * Cross-check against tshark: the Scapy corpus is written as one pcap per link type, tshark
 * dissects it, and for every frame and every key both tools print, the values must agree.
 *
 * Known differences, asserted rather than hidden:
 * - tshark 4.0 has no "partial" checksum status; it reports an offloaded checksum as bad (0).
 * - tshark reports a UDP/IPv4 checksum of 0 as "not present" (3); cli.md has no such value and we
 *   report "unverified" (nothing could be verified).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeFrame } from '../../../shared/wire/decode';
import { frameFieldsJson } from '../../../shared/wire/json';
import { loadCorpus, loadRandomCorpus, NOT_COMPARABLE, normalise, scapyAvailable, tempDir, TSHARK_NAME, tsharkColumns, tsharkFieldNames, tsharkAvailable, type CorpusEntry } from './oracle/oracle';

const ready = scapyAvailable && tsharkAvailable;
const RANDOM_FRAMES = 300;
const RANDOM_SEED = 777;
const corpusDir = ready ? tempDir('wire-tshark-') : '';
const randomDir = ready ? tempDir('wire-tshark-random-') : '';
const corpora: Array<{ title: string; directory: string; entries: CorpusEntry[] }> = ready
  ? [
      { title: 'the corpus', directory: corpusDir, entries: loadCorpus(corpusDir) },
      { title: `${RANDOM_FRAMES} random frames (seed ${RANDOM_SEED})`, directory: randomDir, entries: loadRandomCorpus(RANDOM_FRAMES, RANDOM_SEED, randomDir) },
    ]
  : [];

describe.skipIf(!ready)('decodeFrame agrees with tshark', () => {
  const cases: Array<[string, number, string, CorpusEntry[]]> = [];
  for (const { title, directory, entries } of corpora) {
    for (const linkType of new Set(entries.map((entry) => entry.linkType))) {
      cases.push([title, linkType, directory, entries.filter((entry) => entry.linkType === linkType)]);
    }
  }

  it.each(cases)('%s, link type %i', (_title, linkType, directory, entries) => {
    const file = path.join(directory, `linktype-${linkType}.pcap`);
    expect(readFileSync(file).length).toBeGreaterThan(24);
    const ours = entries.map((entry) => frameFieldsJson(decodeFrame(entry.bytes, entry.linkType), { number: 1, timeEpoch: '0' }));
    const knownFields = tsharkFieldNames();
    const keys = [...new Set(ours.flatMap((json) => Object.keys(json)))].filter(
      (key) => !NOT_COMPARABLE.has(key) && knownFields.has(TSHARK_NAME[key] ?? key),
    );
    const scalarKeys = keys.filter((key) => ours.every((json) => !Array.isArray(json[key])));
    const arrayKeys = keys.filter((key) => !scalarKeys.includes(key));
    const scalarRows = tsharkColumns(file, scalarKeys.map((key) => TSHARK_NAME[key] ?? key), 'f');
    const arrayRows = tsharkColumns(file, arrayKeys.map((key) => TSHARK_NAME[key] ?? key), 'a');
    expect(scalarRows.length).toBe(entries.length);

    let compared = 0;
    entries.forEach((entry, frameIndex) => {
      const json = ours[frameIndex];
      const check = (key: string, text: string | undefined): void => {
        const mine = json[key];
        if (mine === undefined || text === undefined || text === '') return; // only keys both print
        let theirs = normalise(mine, text, key);
        if (mine === 'partial' && theirs === 'bad') theirs = 'partial'; // tshark 4.0 has no "partial"
        expect.soft(mine, `${entry.name}: ${key} (tshark "${text}")`).toEqual(theirs);
        compared++;
      };
      scalarKeys.forEach((key, column) => check(key, scalarRows[frameIndex]?.[column]));
      arrayKeys.forEach((key, column) => check(key, arrayRows[frameIndex]?.[column]));
    });
    expect(compared).toBeGreaterThan(entries.length * 5);
  });
});
