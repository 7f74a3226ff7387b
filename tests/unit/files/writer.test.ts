// Writers: files must open in tshark without warnings, with frames, timestamps,
// interface names/link types and comments intact (tshark and capinfos as oracles),
// and read back through our reader. Each frame is one sink chunk, so any prefix of
// the chunks is a valid file.
import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { PcapngWriter, PcapWriter, type FrameToWrite } from '../../../shared/files';
import { haveTshark, readAll, run, significantStderr, tsharkFrames, withTempDir } from './tools';

const temp = withTempDir('files-writer');
afterAll(() => temp.cleanup());

function collect(): { chunks: Uint8Array[]; sink: (chunk: Uint8Array) => void; bytes: () => Uint8Array } {
  const chunks: Uint8Array[] = [];
  return { chunks, sink: (chunk) => chunks.push(chunk), bytes: () => new Uint8Array(Buffer.concat(chunks)) };
}

/** An Ethernet/IPv4/UDP frame of `size` bytes (contents only need to be recognisable). */
function etherFrame(size: number, fill: number): Uint8Array {
  const frame = new Uint8Array(size).fill(fill);
  frame.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00], 0);
  return frame;
}

const RAW_IPV4 = Uint8Array.from(Buffer.from('4500001c0001000040110000c6120001c612000213881389000800000', 'hex').subarray(0, 28));

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

function capinfos(file: string): string {
  const { stdout, stderr } = run('capinfos', [file]);
  expect(significantStderr(stderr)).toBe('');
  return stdout;
}

const frames: FrameToWrite[] = [
  { tsSeconds: 1700000000, tsNanos: 1, data: etherFrame(60, 0x11) },
  { tsSeconds: 1700000000, tsNanos: 999_999_999, data: etherFrame(1514, 0x22) },
  { tsSeconds: 1700000123, tsNanos: 456_789_012, data: etherFrame(100, 0x33), originalLength: 9000 },
  { tsSeconds: 0, tsNanos: 0, data: etherFrame(14, 0x44) },
  { tsSeconds: 4294967295, tsNanos: 123, data: etherFrame(64, 0x55) },
];
const nanoEpoch = (f: FrameToWrite) => `${f.tsSeconds}.${String(f.tsNanos).padStart(9, '0')}`;
const microEpoch = (f: FrameToWrite) => `${f.tsSeconds}.${String(Math.floor(f.tsNanos / 1000)).padStart(6, '0')}000`;

describe.skipIf(!haveTshark)('pcap writer', () => {
  for (const resolution of ['ns', 'us'] as const) {
    it(`writes a ${resolution} pcap that tshark reads without warnings`, () => {
      const out = collect();
      const writer = new PcapWriter(out.sink, { linkType: 1, resolution });
      for (const frame of frames) writer.writeFrame(frame);
      const file = temp.file(`out-${resolution}.pcap`);
      writeFileSync(file, out.bytes());

      const epoch = resolution === 'ns' ? nanoEpoch : microEpoch;
      expect(tsharkFrames(file).map((t) => [t.epoch, t.len, t.capLen])).toEqual(
        frames.map((f) => [epoch(f), f.originalLength ?? f.data.length, f.data.length]),
      );
      const info = capinfos(file);
      expect(info).toMatch(/File encapsulation:\s+Ethernet/);
      expect(info).toMatch(resolution === 'ns' ? /precision:\s+nanoseconds/ : /precision:\s+microseconds/);

      const back = readAll(out.bytes());
      expect(back.damage).toBeUndefined();
      expect(back.frames.map((f) => [f.epoch, f.hex, f.originalLength])).toEqual(frames.map((f) => [epoch(f), hex(f.data), f.originalLength ?? f.data.length]));
    });
  }

  it('refuses frames it cannot store faithfully', () => {
    const writer = new PcapWriter(() => undefined, { linkType: 1, snaplen: 100 });
    expect(() => writer.writeFrame({ tsSeconds: 1, tsNanos: 0, data: new Uint8Array(101) })).toThrow(/snaplen 100/);
    expect(() => writer.writeFrame({ tsSeconds: 1, tsNanos: 1_000_000_000, data: new Uint8Array(1) })).toThrow(RangeError);
    expect(() => writer.writeFrame({ tsSeconds: -1, tsNanos: 0, data: new Uint8Array(1) })).toThrow(RangeError);
    expect(() => writer.writeFrame({ tsSeconds: 1, tsNanos: 0, data: new Uint8Array(10), originalLength: 5 })).toThrow(/original length/);
    expect(() => writer.writeFrame({ tsSeconds: 1, tsNanos: 0, data: new Uint8Array(10), linkType: 101 })).toThrow(/one link type/);
    expect(() => new PcapWriter(() => undefined, { linkType: 70000 })).toThrow(/link type/);
  });
});

describe.skipIf(!haveTshark)('pcapng writer', () => {
  function writeSample(sink: (chunk: Uint8Array) => void): void {
    const writer = new PcapngWriter(sink, { comment: 'written by the test', os: 'Linux', hardware: 'x86_64' });
    const eth = writer.addInterface({ linkType: 1, name: 'veth-test0', description: 'test veth', filter: 'tcp port 443' });
    const raw = writer.addInterface({ linkType: 101, name: 'tun-test', resolution: 'us', snaplen: 65535 });
    writer.writeFrame({ ...frames[0], interfaceId: eth, comment: 'a first comment' });
    writer.writeFrame({ tsSeconds: 1700000001, tsNanos: 123_456_789, data: RAW_IPV4, interfaceId: raw, flags: 2 });
    writer.writeFrame({ ...frames[1], interfaceId: eth, comments: ['one', 'two, with comma ☃'] });
    writer.writeFrame({ ...frames[2], interfaceId: eth });
    writer.writeFrame({ ...frames[4], interfaceId: eth });
  }

  it('writes a file tshark and capinfos read without warnings, keeping names, link types, comments and ns timestamps', () => {
    const out = collect();
    writeSample(out.sink);
    const file = temp.file('out.pcapng');
    writeFileSync(file, out.bytes());

    expect(tsharkFrames(file)).toEqual([
      { epoch: nanoEpoch(frames[0]), len: 60, capLen: 60, interfaceId: '0', interfaceName: 'veth-test0', comment: 'a first comment' },
      // The µs interface keeps 123456 µs of the 123456789 ns given.
      { epoch: '1700000001.123456000', len: 28, capLen: 28, interfaceId: '1', interfaceName: 'tun-test', comment: '' },
      { epoch: nanoEpoch(frames[1]), len: 1514, capLen: 1514, interfaceId: '0', interfaceName: 'veth-test0', comment: 'one|two, with comma ☃' },
      { epoch: nanoEpoch(frames[2]), len: 9000, capLen: 100, interfaceId: '0', interfaceName: 'veth-test0', comment: '' },
      { epoch: nanoEpoch(frames[4]), len: 64, capLen: 64, interfaceId: '0', interfaceName: 'veth-test0', comment: '' },
    ]);
    const info = capinfos(file);
    expect(info).toMatch(/Capture comment:\s+written by the test/);
    expect(info).toMatch(/Interface #0 info:\s+Name = veth-test0\s+Description = test veth\s+Encapsulation = Ethernet/);
    expect(info).toMatch(/Interface #0 info:[\s\S]*Time precision = nanoseconds \(9\)[\s\S]*Filter string = tcp port 443/);
    expect(info).toMatch(/Interface #1 info:\s+Name = tun-test\s+Encapsulation = Raw IP[\s\S]*Time precision = microseconds \(6\)/);
    const flags = run('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.packet_flags_direction']).stdout.split('\n');
    expect(Number(flags[1])).toBe(2); // outbound, as written

    const back = readAll(out.bytes());
    expect(back.damage).toBeUndefined();
    expect(back.interfaces.map((i) => [i.name, i.linkType, i.tsResolution, i.filter])).toEqual([
      ['veth-test0', 1, 9, 'tcp port 443'],
      ['tun-test', 101, 6, undefined],
    ]);
    expect(back.frames.map((f) => f.hex)).toEqual([frames[0].data, RAW_IPV4, frames[1].data, frames[2].data, frames[4].data].map(hex));
    expect(back.frames[2].comments).toEqual(['one', 'two, with comma ☃']);
    expect(back.frames[1].flags).toBe(2);
  });

  it('hands the sink one complete block per call, so every prefix is a valid file', () => {
    const out = collect();
    writeSample(out.sink);
    // SHB, two IDBs, five EPBs.
    expect(out.chunks).toHaveLength(8);
    for (let count = 3; count <= out.chunks.length; count++) {
      const prefix = new Uint8Array(Buffer.concat(out.chunks.slice(0, count)));
      const outcome = readAll(prefix);
      expect(outcome.damage).toBeUndefined();
      expect(outcome.frames).toHaveLength(count - 3);
      if (count === 3 || count === 6) {
        const file = temp.file(`prefix-${count}.pcapng`);
        writeFileSync(file, prefix);
        expect(tsharkFrames(file)).toHaveLength(count - 3);
      }
    }
  });

  it('gathers plain frames into one chunk per flush, byte for byte what one block per call gives', () => {
    // A live capture's spool: frames of a batch gathered, written with one call per batch.
    const write = (writer: PcapngWriter, flushEvery: number) => {
      const eth = writer.addInterface({ linkType: 1, name: 'veth-test0' });
      for (let i = 0; i < 40; i++) {
        // Odd lengths after long ones: the reused buffer's padding must come out zero.
        const frame: FrameToWrite = { tsSeconds: 1700000000 + i, tsNanos: i * 7919, data: etherFrame(i % 2 === 0 ? 200 + i : 61 + (i % 4), 0xa0 + i), interfaceId: eth };
        if (i % 9 === 4) frame.comment = `comment ${i}`; // blocks with options go out on their own, in order
        if (i % 13 === 6) frame.flags = 1;
        writer.writeFrame(frame);
        if (i % flushEvery === flushEvery - 1) writer.flush();
        if (i === 20) writer.addInterface({ linkType: 101, name: 'later' });
      }
      writer.flush();
    };
    const plain = collect();
    write(new PcapngWriter(plain.sink), 1);
    for (const flushEvery of [1, 3, 7, 100]) {
      const chunks: Uint8Array[] = [];
      write(new PcapngWriter((chunk) => chunks.push(chunk.slice()), {}, { gather: true }), flushEvery);
      expect(hex(new Uint8Array(Buffer.concat(chunks))), `flush every ${flushEvery}`).toBe(hex(plain.bytes()));
      if (flushEvery === 100) expect(chunks.length).toBeLessThan(20);
    }
    const file = temp.file('gathered.pcapng');
    writeFileSync(file, plain.bytes());
    expect(tsharkFrames(file)).toHaveLength(40);
  });

  it('lets interfaces be added after frames were written (a capture that grows)', () => {
    const out = collect();
    const writer = new PcapngWriter(out.sink);
    writer.addInterface({ linkType: 1, name: 'first' });
    writer.writeFrame({ ...frames[0], interfaceId: 0 });
    const later = writer.addInterface({ linkType: 101, name: 'later' });
    writer.writeFrame({ tsSeconds: 1700000002, tsNanos: 5, data: RAW_IPV4, interfaceId: later });
    const file = temp.file('grown.pcapng');
    writeFileSync(file, out.bytes());
    expect(tsharkFrames(file).map((t) => [t.interfaceName, t.epoch])).toEqual([
      ['first', nanoEpoch(frames[0])],
      ['later', '1700000002.000000005'],
    ]);
  });

  it('refuses a frame for an interface that was never added', () => {
    const writer = new PcapngWriter(() => undefined);
    expect(() => writer.writeFrame({ tsSeconds: 1, tsNanos: 0, data: new Uint8Array(1) })).toThrow(/interface 0 was not added/);
    writer.addInterface({ linkType: 1 });
    expect(() => writer.writeFrame({ interfaceId: 0, linkType: 113, tsSeconds: 1, tsNanos: 0, data: new Uint8Array(1) })).toThrow(/link type/);
  });
});
