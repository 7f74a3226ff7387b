// Hostile and damaged files: each kind of damage gives a CaptureFileError at the right
// place, with every frame before it delivered. Damage is applied to files built by
// Scapy and by pcapng_builder.py, at offsets those tools report.
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureReader } from '../../../shared/files';
import { SCAPY_PACKETS, buildPcapng, haveScapy, haveTshark, python, readAll, tsharkFrames, withTempDir, type BuiltFrame } from './tools';

const temp = withTempDir('files-damage');
afterAll(() => temp.cleanup());

/** Copies `bytes` and lets `edit` change the copy through a little-endian-capable view. */
function mutated(bytes: Uint8Array, edit: (view: DataView, copy: Uint8Array) => void): Uint8Array {
  const copy = new Uint8Array(bytes);
  edit(new DataView(copy.buffer), copy);
  return copy;
}

describe('damage independent of any tool', () => {
  it('rejects bad magic with no frames', () => {
    const outcome = readAll(new TextEncoder().encode('GET / HTTP/1.1\r\nHost: example\r\n\r\n'));
    expect(outcome.frames).toEqual([]);
    expect(outcome.damage).toMatchObject({ kind: 'bad-magic', offset: 0, frameNumber: 1 });
    expect(outcome.damage?.message).toContain('not a pcap or pcapng file');
  });

  it('reports an empty file and a file shorter than a magic number', () => {
    expect(readAll(new Uint8Array(0)).damage).toMatchObject({ kind: 'empty', offset: 0 });
    expect(readAll(Uint8Array.of(0xd4, 0xc3)).damage).toMatchObject({ kind: 'bad-magic', offset: 0 });
  });

  it('says so when handed gzip bytes directly', () => {
    expect(readAll(Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0)).damage?.reason).toContain('gzip');
  });

  it('keeps failing after damage instead of resuming mid-stream', () => {
    const reader = new CaptureReader({ onFrame: () => undefined });
    expect(() => reader.push(Uint8Array.of(1, 2, 3, 4))).toThrow(/magic/);
    expect(() => reader.push(Uint8Array.of(0xd4, 0xc3, 0xb2, 0xa1))).toThrow(/magic/);
    expect(() => reader.end()).toThrow(/magic/);
  });
});

describe('handler errors', () => {
  it('propagates an exception from onFrame and refuses to resume at an unknown position', () => {
    const pcap = new Uint8Array(24 + 2 * 17);
    const view = new DataView(pcap.buffer);
    view.setUint32(0, 0xa1b2c3d4, true);
    view.setUint16(4, 2, true);
    view.setUint16(6, 4, true);
    view.setUint32(20, 1, true);
    for (const at of [24, 41]) {
      view.setUint32(at + 8, 1, true);
      view.setUint32(at + 12, 1, true);
    }
    const reader = new CaptureReader({ onFrame: () => { throw new TypeError('consumer bug'); } });
    expect(() => reader.push(pcap)).toThrow(TypeError);
    expect(() => reader.push(new Uint8Array(4))).toThrow(/cannot continue/);
  });
});

describe.skipIf(!haveScapy)('pcap damage', () => {
  let pcap: Uint8Array;
  let hex: string[];
  /** Offset of each record header, and the file header's snaplen, as Python computed them. */
  let offsets: number[];

  beforeAll(() => {
    const lines = python(`${SCAPY_PACKETS}
import sys
wrpcap(sys.argv[1], pkts, nano=True)
pos = 24
for p in pkts:
    print(pos, bytes(p).hex())
    pos += 16 + len(bytes(p))
`, temp.file('base.pcap')).trim().split('\n');
    pcap = new Uint8Array(readFileSync(temp.file('base.pcap')));
    offsets = lines.map((line) => Number(line.split(' ')[0]));
    hex = lines.map((line) => line.split(' ')[1]);
  });

  it('stops at a 4 GB captured length without allocating it', () => {
    const bytes = mutated(pcap, (view) => view.setUint32(offsets[3] + 8, 0xffffffff, true));
    const before = process.memoryUsage().arrayBuffers;
    const outcome = readAll(bytes, () => 1); // byte by byte: the carry-over must not size itself from the header
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
    expect(outcome.frames.map((f) => f.hex)).toEqual(hex.slice(0, 3));
    expect(outcome.damage).toMatchObject({ kind: 'caplen-too-large', offset: offsets[3], frameNumber: 4 });
    expect(outcome.damage?.reason).toContain('4294967295');
  });

  it('stops at a captured length above 256 KiB even when the snaplen is 0', () => {
    const bytes = mutated(pcap, (view) => {
      view.setUint32(16, 0, true);
      view.setUint32(offsets[1] + 8, 300_000, true);
    });
    const outcome = readAll(bytes);
    expect(outcome.frames).toHaveLength(1);
    expect(outcome.damage).toMatchObject({ kind: 'caplen-too-large', offset: offsets[1], frameNumber: 2 });
  });

  // libpcap and tshark read a record longer than the header's snaplen (other tools write such
  // files); it is kept and flagged, and only the hard limit (256 KiB) is damage.
  it.skipIf(!haveTshark)('reads frames longer than the snaplen as tshark does, and flags them', () => {
    const snaplen = 300;
    const bytes = mutated(pcap, (view) => view.setUint32(16, snaplen, true));
    writeFileSync(temp.file('small-snaplen.pcap'), bytes);
    const oracle = tsharkFrames(temp.file('small-snaplen.pcap'));
    const above: number[] = [];
    const reader = new CaptureReader({ onFrame: (frame) => frame.exceededSnaplen > 0 && above.push(frame.frameNumber) });
    reader.push(bytes);
    reader.end();
    const outcome = readAll(bytes);
    expect(outcome.damage).toBeUndefined();
    expect(outcome.frames.map((f) => f.hex)).toEqual(hex);
    expect(outcome.frames.map((f) => f.capturedLength)).toEqual(oracle.map((f) => f.capLen));
    const longer = hex.flatMap((h, index) => (h.length / 2 > snaplen ? [index + 1] : []));
    expect(longer.length).toBeGreaterThan(0);
    expect(above).toEqual(longer);
    expect(reader.framesAboveSnaplen).toEqual({ frames: longer.length, first: longer[0], snaplen });
  });

  it('keeps every complete frame of a file cut inside its last record', () => {
    const last = offsets.length - 1;
    for (const cut of [offsets[last] + 3, offsets[last] + 16, pcap.length - 1]) {
      const outcome = readAll(pcap.subarray(0, cut), () => 5);
      expect(outcome.frames.map((f) => f.hex)).toEqual(hex.slice(0, last));
      expect(outcome.damage).toMatchObject({ kind: 'truncated', offset: offsets[last], frameNumber: last + 1 });
    }
  });

  it('reports a file cut inside its header as truncated', () => {
    expect(readAll(pcap.subarray(0, 10)).damage).toMatchObject({ kind: 'truncated', offset: 0, frameNumber: 1 });
  });

  it('rejects an unknown pcap version', () => {
    const outcome = readAll(mutated(pcap, (view) => view.setUint16(4, 3, true)));
    expect(outcome.damage).toMatchObject({ kind: 'bad-header', offset: 0 });
  });
});

describe.skipIf(!haveScapy)('pcapng damage', () => {
  let pcapng: Uint8Array;
  let built: BuiltFrame[];
  const blockLength = (bytes: Uint8Array, offset: number) => new DataView(bytes.buffer, bytes.byteOffset).getUint32(offset + 4, true);

  beforeAll(() => {
    built = buildPcapng('features', temp.file('features.pcapng'), '<');
    pcapng = new Uint8Array(readFileSync(temp.file('features.pcapng')));
  });

  /** Damages the block of frame `index` (0-based) and checks frames before it survive. */
  function expectDamageAtFrame(index: number, bytes: Uint8Array, kind: string, reasonPart: string): void {
    for (const chunk of [bytes.length, 1, 7]) {
      const outcome = readAll(bytes, () => chunk);
      expect(outcome.frames.map((f) => f.hex)).toEqual(built.slice(0, index).map((b) => b.hex));
      expect(outcome.damage).toMatchObject({ kind, offset: built[index].offset, frameNumber: index + 1 });
      expect(outcome.damage?.reason).toContain(reasonPart);
    }
  }

  it('detects a trailing block length that differs from the leading one', () => {
    const at = built[2].offset;
    const bytes = mutated(pcapng, (view) => view.setUint32(at + blockLength(pcapng, at) - 4, blockLength(pcapng, at) + 4, true));
    expectDamageAtFrame(2, bytes, 'bad-block-length', 'trailing block length');
  });

  it('detects a block length that is not a multiple of 4, or below 12', () => {
    const at = built[2].offset;
    expectDamageAtFrame(2, mutated(pcapng, (view) => view.setUint32(at + 4, blockLength(pcapng, at) + 2, true)), 'bad-block-length', 'multiple of 4');
    expectDamageAtFrame(2, mutated(pcapng, (view) => view.setUint32(at + 4, 8, true)), 'bad-block-length', 'below 12');
  });

  it('detects a captured length that does not fit in its block', () => {
    const at = built[1].offset;
    expectDamageAtFrame(1, mutated(pcapng, (view) => view.setUint32(at + 20, 1000, true)), 'bad-block-length', 'does not fit');
  });

  it('detects a 4 GB captured length in an EPB', () => {
    const at = built[5].offset;
    expectDamageAtFrame(5, mutated(pcapng, (view) => view.setUint32(at + 20, 0xfffffff0, true)), 'caplen-too-large', 'exceeds');
  });

  it('detects an EPB that names an interface the section never described', () => {
    const at = built[1].offset;
    expectDamageAtFrame(1, mutated(pcapng, (view) => view.setUint32(at + 8, 7, true)), 'missing-interface', 'interface 7');
  });

  it('detects an option running past the end of its block', () => {
    // Frame 0 carries 60 data bytes, so its first option header starts 28 + 60 bytes into the block.
    const at = built[0].offset + 28 + 60;
    expectDamageAtFrame(0, mutated(pcapng, (view) => view.setUint16(at + 2, 0xfff0, true)), 'bad-option', 'option 1');
  });

  it('keeps everything before a cut inside the last block', () => {
    const last = built.length - 1;
    expectDamageAtFrame(last, pcapng.subarray(0, built[last].offset + 30), 'truncated', 'file ends inside a record');
  });

  it('refuses to gather a metadata block that claims gigabytes', () => {
    // An NRB-like block claiming ~2 GB, followed by plenty of real bytes: bounded, immediate failure.
    const lying = new Uint8Array(16);
    new DataView(lying.buffer).setUint32(0, 4, true);
    new DataView(lying.buffer).setUint32(4, 0x7ffffff0, true);
    const bytes = new Uint8Array(Buffer.concat([pcapng.subarray(0, built[0].offset), lying, new Uint8Array(1 << 20)]));
    const outcome = readAll(bytes, () => 4096);
    expect(outcome.frames).toEqual([]);
    expect(outcome.damage).toMatchObject({ kind: 'bad-block-length', offset: built[0].offset, frameNumber: 1 });
    expect(outcome.damage?.reason).toContain('above the');
  });

  it('rejects a section header with a bad byte-order magic', () => {
    const outcome = readAll(mutated(pcapng, (view) => view.setUint32(8, 0x01020304, true)));
    expect(outcome.frames).toEqual([]);
    expect(outcome.damage).toMatchObject({ kind: 'bad-header', offset: 0, frameNumber: 1 });
  });
});
