/**
 * Link types and tunnels against tshark: captures built with Scapy (and by hand where Scapy has
 * no layer) over 802.11/radiotap, PPP, PPP-in-HDLC, PPPoE, NFLOG, PKTAP, Cisco HDLC, IPoIB, SLL2,
 * Juniper Ethernet, VXLAN, Geneve, GRE, ERSPAN II/III, MPLS, QinQ, IP-in-IP and 6in4.
 *
 * For every frame: every decoder field tshark also knows must have tshark's value (first
 * occurrence for single values, all occurrences for lists), and the frame must be tracked as
 * tshark tracks it: the same tcp.stream and the same Info (HTTP dissection off, so both show TCP).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileFilter } from '../../../shared/filter';
import { isKnownField } from '../../../shared/filter/known-fields';
import { FramePipeline, processedFieldSource } from '../../../shared/pipeline/frame-pipeline';
import { decodeFrame } from '../../../shared/wire/decode';
import { frameFieldsJson } from '../../../shared/wire/json';
import { loadEncapCorpus, normalise, runTshark, NOT_COMPARABLE, scapyAvailable, tempDir, TSHARK_NAME, tsharkColumns, tsharkFieldNames, tsharkAvailable, type EncapFrame } from './oracle/oracle';

const ready = scapyAvailable && tsharkAvailable;
const directory = ready ? tempDir('wire-encap-') : '';
const frames: EncapFrame[] = ready ? loadEncapCorpus(directory) : [];
const files = [...new Set(frames.map((frame) => frame.file))].filter((file) => file !== 'unknown');

/** Fields tshark fills differently for reasons unrelated to these layers. */
const SKIP = new Set([...NOT_COMPARABLE, 'frame.len', 'frame.cap_len', 'frame.time_relative', 'frame.time_delta']);

describe.skipIf(!ready)('link types and tunnels agree with tshark', () => {
  it.each(files)('%s: every field both print', (file) => {
    const pcap = path.join(directory, `${file}.pcap`);
    expect(readFileSync(pcap).length).toBeGreaterThan(24);
    const entries = frames.filter((frame) => frame.file === file);
    const ours = entries.map((entry) => frameFieldsJson(decodeFrame(entry.bytes, entry.linkType), { number: 1, timeEpoch: '0' }));
    const known = tsharkFieldNames();
    const keys = [...new Set(ours.flatMap((json) => Object.keys(json)))].filter((key) => !SKIP.has(key) && known.has(TSHARK_NAME[key] ?? key));
    const scalarKeys = keys.filter((key) => ours.every((json) => !Array.isArray(json[key])));
    const arrayKeys = keys.filter((key) => !scalarKeys.includes(key));
    const scalarRows = tsharkColumns(pcap, scalarKeys.map((key) => TSHARK_NAME[key] ?? key), 'f');
    const arrayRows = tsharkColumns(pcap, arrayKeys.map((key) => TSHARK_NAME[key] ?? key), 'a');
    expect(scalarRows.length).toBe(entries.length);
    let compared = 0;
    entries.forEach((entry, index) => {
      const json = ours[index];
      expect.soft(json['_ws.malformed'], `${entry.name}: malformed`).toBeUndefined();
      const check = (key: string, text: string | undefined): void => {
        const mine = json[key];
        if (mine === undefined || text === undefined || text === '') return;
        if (key === 'ip.version' && json['ipv6.version'] !== undefined) return; // tshark 4.0 also puts ip.version on IPv6 (the fidelity work's subject)
        expect.soft(mine, `${entry.name}: ${key} (tshark "${text}")`).toEqual(normalise(mine, text, key));
        compared++;
      };
      scalarKeys.forEach((key, column) => check(key, scalarRows[index]?.[column]));
      arrayKeys.forEach((key, column) => check(key, arrayRows[index]?.[column]));
    });
    expect(compared).toBeGreaterThan(entries.length * 8);
  });

  it.each(files)('%s: tracked as tshark tracks it (tcp.stream, ports, Info)', (file) => {
    const pcap = path.join(directory, `${file}.pcap`);
    const entries = frames.filter((frame) => frame.file === file);
    const rows = tsharkColumns(pcap, ['tcp.stream', 'tcp.srcport', 'tcp.dstport', '_ws.col.Info'], 'f', ['--disable-protocol', 'http']);
    expect(rows.length).toBe(entries.length);
    const pipeline = new FramePipeline();
    entries.forEach((entry, index) => {
      const processed = pipeline.process({ frameNumber: index + 1, linkType: entry.linkType, tsSeconds: 1000 + index, tsNanos: 0, originalLength: entry.frameLength, data: entry.bytes });
      const [stream, srcPort, dstPort, info = ""] = rows[index];
      if (rows[index].length < 4) console.log("ROW", entry.name, JSON.stringify(rows[index]));
      if (stream !== '') {
        expect.soft(processed.fields['tcp.stream'], `${entry.name}: tcp.stream`).toBe(Number(stream));
        expect.soft(processed.fields['tcp.srcport'], `${entry.name}: tcp.srcport`).toBe(Number(srcPort));
        expect.soft(processed.fields['tcp.dstport'], `${entry.name}: tcp.dstport`).toBe(Number(dstPort));
      } else {
        expect.soft(processed.analysis, `${entry.name}: not tracked`).toBeNull();
      }
      expect.soft(processed.columns.info.trim(), `${entry.name}: Info`).toBe(info.trim());
    });
  });
});

/** Display filters reaching inner and tunnel fields, against tshark -Y on the same captures. */
const FILTERS: ReadonlyArray<readonly [string, string]> = [
  ['vxlan', 'ip.addr == 198.18.1.1'],
  ['vxlan', 'ip.addr == 198.18.0.2 && tcp.flags.syn == 1'],
  ['vxlan', 'ip.src == 198.18.1.1 && ip.src == 198.18.0.2'],
  ['vxlan', 'vxlan.vni == 200'],
  ['vxlan', 'vxlan && ipv6'],
  ['geneve', 'geneve.vni == 0x123456'],
  ['geneve', 'geneve.option.class == 0xffff'],
  ['gre', 'gre.key == 0xabcd'],
  ['gre', 'gre && eth.src == 02:00:00:00:02:0a'],
  ['erspan', 'erspan.spanid == 6'],
  ['mpls', 'mpls.label == 1000'],
  ['mpls', 'mpls.label == 16 && mpls.label == 1001'],
  ['ipip', 'ip.addr == 198.18.1.2 && ipv6.addr == 2001:db8::2'],
  ['qinq', 'vlan.id == 42 && ieee8021ad.id == 300'],
  ['pppoe', 'pppoes && ip.dst == 198.18.0.2'],
  ['wlan', 'wlan.fc.protected == 1'],
  ['nflog', 'nflog.prefix == "lab" && ipv6'],
];

describe.skipIf(!ready)('display filters reach inner and tunnel fields as tshark -Y does', () => {
  it.each(FILTERS)('%s: %s', (file, text) => {
    const pcap = path.join(directory, `${file}.pcap`);
    const expected = runTshark(['-r', pcap, '-Y', text, '-T', 'fields', '-e', 'frame.number']).split('\n').filter(Boolean).map(Number);
    const compiled = compileFilter(text, { isField: isKnownField });
    if (!compiled.ok) throw new Error(`${text}: ${compiled.error.message}`);
    const pipeline = new FramePipeline();
    const matched: number[] = [];
    frames
      .filter((frame) => frame.file === file)
      .forEach((entry, index) => {
        const processed = pipeline.process({ frameNumber: index + 1, linkType: entry.linkType, tsSeconds: 1000 + index, tsNanos: 0, originalLength: entry.frameLength, data: entry.bytes });
        if (compiled.filter.test(processedFieldSource(processed))) matched.push(index + 1);
      });
    expect(expected.length).toBeGreaterThan(0);
    expect(matched).toEqual(expected);
  });
});
