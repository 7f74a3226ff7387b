// pcapng reading against files from mergecap, editcap, Scapy and a hand-packing Python
// builder (pcapng_builder.py); tshark is the oracle for timestamps, lengths, names, comments.
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCAPY_PACKETS, buildPcapng, haveScapy, haveWiresharkTools, python, readAll, run, seededRandom, tsharkFrames, withTempDir, type BuiltFrame } from './tools';

const canRun = haveScapy && haveWiresharkTools;
const temp = withTempDir('files-pcapng');

const build = (scenario: string, name: string, endian: '<' | '>') => buildPcapng(scenario, temp.file(name), endian);

afterAll(() => temp.cleanup());

describe.skipIf(!canRun)('pcapng reader: hand-packed blocks', () => {
  const files: Array<[string, '<' | '>']> = [
    ['features-le.pcapng', '<'],
    ['features-be.pcapng', '>'],
  ];
  const built = new Map<string, BuiltFrame[]>();
  beforeAll(() => {
    for (const [name, endian] of files) built.set(name, build('features', name, endian));
  });

  for (const [name, endian] of files) {
    it(`reads every block kind (${endian === '<' ? 'little' : 'big'}-endian) as tshark does`, () => {
      const file = temp.file(name);
      const outcome = readAll(readFileSync(file));
      const expected = built.get(name) ?? [];
      expect(outcome.damage).toBeUndefined();

      expect(outcome.frames.map((f) => f.hex)).toEqual(expected.map((e) => e.hex));
      expect(outcome.frames.map((f) => f.comments ?? null)).toEqual(expected.map((e) => e.comments));
      expect(outcome.frames.map((f) => f.flags ?? null)).toEqual(expected.map((e) => e.flags));
      expect(outcome.frames.map((f) => f.recordOffset)).toEqual(expected.map((e) => e.offset));

      const oracle = tsharkFrames(file);
      expect(outcome.frames).toHaveLength(oracle.length);
      outcome.frames.forEach((frame, i) => {
        // An SPB carries no timestamp: tshark prints nothing, the reader says so and reports zero.
        expect(frame.hasTimestamp).toBe(oracle[i].epoch !== '');
        expect(frame.epoch, `frame ${i + 1}`).toBe(oracle[i].epoch === '' ? '0.000000000' : oracle[i].epoch);
        expect([frame.originalLength, frame.capturedLength]).toEqual([oracle[i].len, oracle[i].capLen]);
        expect(frame.comments?.join('|') ?? '').toBe(oracle[i].comment);
      });
      // tshark 4.0 names a second section's interfaces after the first section's, so names are
      // compared for section 0; section 1 is checked against what the builder wrote.
      const firstSection = outcome.frames.slice(0, -1);
      expect(firstSection.map((f) => outcome.interfaces[f.interfaceId].name)).toEqual(oracle.slice(0, -1).map((t) => t.interfaceName));
      expect(firstSection.map((f) => String(f.interfaceId))).toEqual(oracle.slice(0, -1).map((t) => t.interfaceId));
      expect(outcome.frames.map((f) => f.linkType)).toEqual([1, 101, 1, 1, 1, 1, 101]);
    });
  }

  it('exposes section, interface and statistics details as written', () => {
    const outcome = readAll(readFileSync(temp.file('features-be.pcapng')));
    expect(outcome.sections).toMatchObject([
      { format: 'pcapng', index: 0, littleEndian: false, versionMajor: 1, versionMinor: 0, hardware: 'test hardware', os: 'test os', userApplication: 'pcapng_builder.py', comment: 'section comment' },
      { format: 'pcapng', index: 1, littleEndian: false, userApplication: 'second section' },
    ]);
    expect(outcome.interfaces).toMatchObject([
      { id: 0, linkType: 1, snaplen: 262144, name: 'eth-a', description: 'first interface', tsResolution: 9, filter: 'tcp port 443', os: 'Linux' },
      { id: 1, linkType: 101, snaplen: 65535, name: 'raw-b', tsResolution: 3, tsOffset: 100 },
      { id: 2, linkType: 1, snaplen: 0, name: 'pow2', tsResolution: 0x8a },
      // The second SHB resets numbering: its first interface is 0 again.
      { id: 0, linkType: 101, name: 'sec2', tsResolution: 6 },
    ]);
    expect(outcome.statistics).toMatchObject([{ interfaceId: 0, tsSeconds: 1700000003, tsNanos: 0, received: 10, dropped: 1 }]);
    expect(outcome.frames[6].interfaceId).toBe(0);
  });

  it('gives identical frames for random chunk sizes, 1 byte upwards', () => {
    for (const [name] of files) {
      const bytes = readFileSync(temp.file(name));
      const whole = readAll(bytes);
      for (let seed = 1; seed <= 60; seed++) {
        const random = seededRandom(seed);
        const maxChunk = [1, 2, 5, 13, 64, 700][seed % 6];
        expect(readAll(bytes, () => 1 + Math.floor(random() * maxChunk)), `${name} seed ${seed}`).toEqual(whole);
      }
    }
  });

  it('switches byte order at a second section header', () => {
    const little = readFileSync(temp.file('features-le.pcapng'));
    const big = readFileSync(temp.file('features-be.pcapng'));
    const file = temp.file('mixed-order.pcapng');
    writeFileSync(file, Buffer.concat([little, big]));
    const outcome = readAll(readFileSync(file), () => 333);
    expect(outcome.damage).toBeUndefined();
    expect(outcome.sections.map((s) => s.littleEndian)).toEqual([true, true, false, false]);
    const expected = [...(built.get('features-le.pcapng') ?? []), ...(built.get('features-be.pcapng') ?? [])];
    expect(outcome.frames.map((f) => f.hex)).toEqual(expected.map((e) => e.hex));
    expect(outcome.frames.map((f) => [f.originalLength, f.capturedLength])).toEqual(tsharkFrames(file).map((t) => [t.len, t.capLen]));
  });

  it('reports data offsets from which each frame can be re-read', () => {
    const bytes = readFileSync(temp.file('features-le.pcapng'));
    for (const frame of readAll(bytes, () => 9).frames) {
      expect(Buffer.from(bytes.subarray(frame.dataOffset, frame.dataOffset + frame.capturedLength)).toString('hex')).toBe(frame.hex);
    }
  });

  it('limits an SPB to the snaplen of interface 0', () => {
    const expected = build('spb-snaplen', 'spb.pcapng', '<');
    const file = temp.file('spb.pcapng');
    const outcome = readAll(readFileSync(file));
    expect(outcome.damage).toBeUndefined();
    expect(outcome.frames.map((f) => f.hex)).toEqual(expected.map((e) => e.hex));
    expect(outcome.frames.map((f) => [f.originalLength, f.capturedLength])).toEqual(tsharkFrames(file).map((t) => [t.len, t.capLen]));
  });
});

describe.skipIf(!canRun)('pcapng reader: files from Wireshark tools and Scapy', () => {
  let packetHex: string[] = [];
  beforeAll(() => {
    packetHex = python(`${SCAPY_PACKETS}
import sys
wrpcap(sys.argv[1], pkts, nano=True)
for p in pkts: print(bytes(p).hex())
`, temp.file('ether.pcap')).trim().split('\n');
    // A raw-IP capture (LINKTYPE_RAW) from text2pcap, to merge with the Ethernet one.
    const dump = ['000000 45 00 00 1c 00 01 00 00 40 11 00 00 c6 12 00 01 c6 12 00 02 13 88 13 89 00 08 00 00', '1700000000.5'];
    writeFileSync(temp.file('raw.txt'), `${dump[1]}\n${dump[0]}\n${dump[1].replace('.5', '.75')}\n${dump[0]}\n`);
    run('text2pcap', ['-q', '-n', '-l', '101', '-t', '%s.', temp.file('raw.txt'), temp.file('raw.pcapng')]);
    run('mergecap', ['-F', 'pcapng', '-w', temp.file('merged.pcapng'), temp.file('ether.pcap'), temp.file('raw.pcapng')]);
    run('editcap', ['-a', '1:comment on one', '-a', '3:comment on three', temp.file('merged.pcapng'), temp.file('commented.pcapng')]);
  });

  it('reads a mergecap file with two interfaces of different link types', () => {
    const file = temp.file('merged.pcapng');
    const outcome = readAll(readFileSync(file));
    expect(outcome.damage).toBeUndefined();
    expect(outcome.interfaces.map((i) => i.linkType).sort()).toEqual([1, 101]);
    const oracle = tsharkFrames(file);
    // tshark calls an unnamed pcapng interface "unknown".
    expect(outcome.frames.map((f) => [f.epoch, f.originalLength, f.capturedLength, String(f.interfaceId), outcome.interfaces[f.interfaceId].name ?? 'unknown'])).toEqual(
      oracle.map((t) => [t.epoch, t.len, t.capLen, t.interfaceId, t.interfaceName]),
    );
    const etherFrames = outcome.frames.filter((f) => f.linkType === 1).map((f) => f.hex);
    expect(etherFrames).toEqual(packetHex);
    expect(outcome.frames.filter((f) => f.linkType === 101)).toHaveLength(2);
  });

  it('reads comments added by editcap -a', () => {
    const file = temp.file('commented.pcapng');
    const outcome = readAll(readFileSync(file));
    const oracle = tsharkFrames(file);
    expect(outcome.frames.map((f) => f.comments?.join('|') ?? '')).toEqual(oracle.map((t) => t.comment));
    expect(outcome.frames[0].comments).toEqual(['comment on one']);
    expect(outcome.frames[2].comments).toEqual(['comment on three']);
    expect(outcome.frames.filter((f) => f.comments !== undefined)).toHaveLength(2);
  });

  it('reads a pcapng written by Scapy (microsecond resolution, EPB comments)', () => {
    const file = temp.file('scapy.pcapng');
    python(`${SCAPY_PACKETS}
import sys
from scapy.utils import PcapNgWriter
w = PcapNgWriter(sys.argv[1])
for i, p in enumerate(pkts):
    if i == 2: p.comment = b'scapy comment'
    w.write(p)
w.close()
`, file);
    const outcome = readAll(readFileSync(file));
    expect(outcome.damage).toBeUndefined();
    const oracle = tsharkFrames(file);
    expect(outcome.frames.map((f) => [f.epoch, f.originalLength, f.capturedLength, f.comments?.join('|') ?? ''])).toEqual(
      oracle.map((t) => [t.epoch, t.len, t.capLen, t.comment]),
    );
    expect(outcome.frames.map((f) => f.hex)).toEqual(packetHex);
  });
});
