// The Node adapter: streamed reads (plain and gzip), synchronous block-by-block writing
// that survives a SIGKILL, "save as" conversion, and re-reading frames by offset.
// tshark (which reads gzip itself) and gzip(1) are the oracles.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureFileFrameReader, convertCaptureFile, createCaptureFileWriter, readCaptureFile } from '../../../electron/engine/capture-file';
import { formatEpoch, type CaptureFrame } from '../../../shared/files';
import { SCAPY_PACKETS, buildPcapng, haveScapy, haveWiresharkTools, python, run, tsharkFrames, withTempDir, type BuiltFrame } from './tools';

const canRun = haveScapy && haveWiresharkTools;
const temp = withTempDir('files-node');
const repoRoot = path.resolve(import.meta.dirname, '../../..');
let built: BuiltFrame[] = [];
let scapyHex: string[] = [];

interface Copied {
  epoch: string;
  len: number;
  capLen: number;
  hex: string;
  dataOffset: number;
  comment: string;
}

const copy = (frame: CaptureFrame): Copied => ({
  epoch: formatEpoch(frame.tsSeconds, frame.tsNanos),
  len: frame.originalLength,
  capLen: frame.capturedLength,
  hex: Buffer.from(frame.data).toString('hex'),
  dataOffset: frame.dataOffset,
  comment: frame.comments?.join('|') ?? '',
});

async function readFrames(file: string, chunkSize?: number) {
  const frames: Copied[] = [];
  const result = await readCaptureFile(file, { onFrame: (frame) => frames.push(copy(frame)) }, { chunkSize });
  return { frames, result };
}

beforeAll(() => {
  if (!canRun) return;
  built = buildPcapng('features', temp.file('features.pcapng'), '<');
  scapyHex = python(`${SCAPY_PACKETS}
import sys
wrpcap(sys.argv[1], pkts, nano=True)
for p in pkts: print(bytes(p).hex())
`, temp.file('scapy.pcap')).trim().split('\n');
  run('gzip', ['-k', temp.file('features.pcapng')]);
  run('gzip', ['-k', temp.file('scapy.pcap')]);
});
afterAll(() => temp.cleanup());

describe.skipIf(!canRun)('readCaptureFile', () => {
  it('streams a file in bounded reads, giving what tshark shows, at any read size', async () => {
    const file = temp.file('features.pcapng');
    const oracle = tsharkFrames(file);
    for (const chunkSize of [undefined, 7, 64]) {
      const { frames, result } = await readFrames(file, chunkSize);
      expect(result).toMatchObject({ format: 'pcapng', compressed: false, frames: built.length, damage: undefined, bytesParsed: readFileSync(file).length });
      expect(frames.map((f) => f.hex)).toEqual(built.map((b) => b.hex));
      expect(frames.map((f) => [f.epoch, f.len, f.capLen, f.comment])).toEqual(oracle.map((t) => [t.epoch || '0.000000000', t.len, t.capLen, t.comment]));
    }
  });

  it('keeps memory bounded while streaming a file far larger than its read buffer', async () => {
    // 64 MB of 1,000-byte frames, written by Python so the file is not our writer's output.
    const file = temp.file('large.pcap');
    python(`
import struct, sys
record = struct.pack('<IIII', 1700000000, 0, 1000, 1000) + bytes(range(250)) * 4
with open(sys.argv[1], 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    f.write(record * 63000)
`, file);
    const baseline = process.memoryUsage().arrayBuffers;
    let peak = 0;
    let count = 0;
    const result = await readCaptureFile(file, {
      onFrame: () => {
        if (++count % 5000 === 0) peak = Math.max(peak, process.memoryUsage().arrayBuffers - baseline);
      },
    });
    expect(result).toMatchObject({ frames: 63000, damage: undefined });
    // One 1 MiB read buffer plus a small carry-over, not the 64 MB file.
    expect(peak).toBeLessThan(8 * 1024 * 1024);
  });

  it('gives a consumer that holds reading back a small read of frames at a time, and grows reads while it keeps up', async () => {
    // 4,000 frames of 1,016 bytes each (16-byte record header), written by Python.
    const file = temp.file('paced.pcap');
    python(`
import struct, sys
with open(sys.argv[1], 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(4000):
        f.write(struct.pack('<IIII', 1700000000, i, 1000, 1000) + struct.pack('>I', i) + bytes(996))
`, file);
    const runs = async (pause: (delivered: number) => boolean) => {
      const between: number[] = [];
      const order: number[] = [];
      let delivered = 0;
      const result = await readCaptureFile(
        file,
        { onFrame: (frame) => { delivered++; order.push(Buffer.from(frame.data).readUInt32BE(0)); } },
        { whenReady: () => { between.push(delivered); const held = pause(delivered); delivered = 0; return held ? new Promise((resolve) => setTimeout(resolve, 1)) : null; } },
      );
      expect(result).toMatchObject({ frames: 4000, damage: undefined });
      expect(order).toEqual(Array.from({ length: 4000 }, (_, i) => i));
      return between;
    };
    // Always held back (decode waiting on QUIC analysis): never more than 64 KiB of frames at once (64 whole frames, one carried over).
    const held = await runs(() => true);
    expect(Math.max(...held)).toBeLessThanOrEqual(65);
    // Never held back: the first read is that small too, then reads double up to 1 MiB (1,032 frames).
    const free = await runs(() => false);
    expect(free[0]).toBeLessThanOrEqual(65);
    expect(Math.max(...free)).toBeGreaterThan(900);
  });

  it('detects gzip by its magic and decompresses while streaming', async () => {
    for (const name of ['features.pcapng', 'scapy.pcap']) {
      const gz = temp.file(`${name}.gz`);
      const { frames, result } = await readFrames(gz, 512);
      expect(result.compressed).toBe(true);
      expect(result.damage).toBeUndefined();
      // tshark reads the .gz itself.
      expect(frames.map((f) => [f.epoch, f.len, f.capLen])).toEqual(tsharkFrames(gz).map((t) => [t.epoch || '0.000000000', t.len, t.capLen]));
    }
  });

  it('reads a cut-off gzip file up to the damage', async () => {
    const gz = readFileSync(temp.file('scapy.pcap.gz'));
    const cut = temp.file('cut.pcap.gz');
    writeFileSync(cut, gz.subarray(0, Math.floor(gz.length * 0.7)));
    const { frames, result } = await readFrames(cut);
    expect(result.damage?.kind).toMatch(/^(bad-compression|truncated)$/);
    expect(result.damage?.frameNumber).toBe(frames.length + 1);
    expect(frames.map((f) => f.hex)).toEqual(scapyHex.slice(0, frames.length));
    expect(frames.length).toBeLessThan(scapyHex.length);
  });

  it('reports a damaged plain file as a result, after the frames before it', async () => {
    const bytes = readFileSync(temp.file('features.pcapng'));
    const cut = temp.file('cut.pcapng');
    writeFileSync(cut, bytes.subarray(0, built[3].offset + 20));
    const { frames, result } = await readFrames(cut, 16);
    expect(frames.map((f) => f.hex)).toEqual(built.slice(0, 3).map((b) => b.hex));
    expect(result.damage).toMatchObject({ kind: 'truncated', offset: built[3].offset, frameNumber: 4 });
  });

  it('rejects a missing file and an aborted read', async () => {
    await expect(readCaptureFile(temp.file('absent.pcap'), { onFrame: () => undefined })).rejects.toMatchObject({ code: 'ENOENT' });
    const controller = new AbortController();
    let seen = 0;
    const reading = readCaptureFile(temp.file('scapy.pcap'), { onFrame: () => { seen += 1; controller.abort(); } }, { signal: controller.signal, chunkSize: 100 });
    await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toBeGreaterThan(0);
    expect(seen).toBeLessThan(scapyHex.length);
    const gzipController = new AbortController();
    const gzipReading = readCaptureFile(temp.file('scapy.pcap.gz'), { onFrame: () => gzipController.abort() }, { signal: gzipController.signal });
    await expect(gzipReading).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('gives offsets from which CaptureFileFrameReader re-reads each frame', async () => {
    const { frames } = await readFrames(temp.file('scapy.pcap'), 1000);
    const reader = new CaptureFileFrameReader(temp.file('scapy.pcap'));
    try {
      const scratch = new Uint8Array(2048);
      for (const [i, frame] of frames.entries()) {
        expect(Buffer.from(reader.read(frame.dataOffset, frame.capLen, scratch)).toString('hex')).toBe(scapyHex[i]);
      }
      expect(() => reader.read(readFileSync(temp.file('scapy.pcap')).length - 4, 10)).toThrow(/ends before/);
    } finally {
      reader.close();
    }
  });
});

describe.skipIf(!canRun)('createCaptureFileWriter', () => {
  it('writes a pcap tshark reads without warnings', () => {
    const file = temp.file('written.pcap');
    const writer = createCaptureFileWriter(file, 'pcap', { interfaces: [{ linkType: 1, resolution: 'ns' }] });
    scapyHex.forEach((h, i) => writer.writeFrame({ tsSeconds: 1700000000 + i, tsNanos: 7, data: Buffer.from(h, 'hex') }));
    writer.close();
    expect(writer.framesWritten).toBe(scapyHex.length);
    expect(writer.bytesWritten).toBe(readFileSync(file).length);
    expect(tsharkFrames(file).map((t) => [t.epoch, t.capLen])).toEqual(scapyHex.map((h, i) => [`${1700000000 + i}.000000007`, h.length / 2]));
  });

  it('needs a link type before the first pcap frame, and only one', () => {
    const writer = createCaptureFileWriter(temp.file('lazy.pcap'), 'pcap');
    try {
      expect(() => writer.writeFrame({ tsSeconds: 1, tsNanos: 0, data: new Uint8Array(20) })).toThrow(/needs an interface/);
      expect(writer.addInterface({ linkType: 101 })).toBe(0);
      expect(writer.addInterface({ linkType: 101 })).toBe(0);
      expect(() => writer.addInterface({ linkType: 1 })).toThrow(/one link type/);
    } finally {
      writer.close();
    }
  });

  it('leaves a complete file behind a process killed mid-capture', () => {
    const script = temp.file('crash.ts');
    const bundle = temp.file('crash.cjs');
    const spool = temp.file('crash.pcapng');
    writeFileSync(script, `
import { createCaptureFileWriter } from ${JSON.stringify(path.join(repoRoot, 'electron/engine/capture-file.ts'))};
const writer = createCaptureFileWriter(process.argv[2], 'pcapng', { interfaces: [{ linkType: 1, name: 'crash0' }] });
for (let i = 0; i < 50; i++) writer.writeFrame({ tsSeconds: 1700000000 + i, tsNanos: i, data: new Uint8Array(60 + i).fill(i) });
process.kill(process.pid, 'SIGKILL'); // no close(), no exit handlers
`);
    buildSync({ entryPoints: [script], bundle: true, platform: 'node', format: 'cjs', outfile: bundle, logLevel: 'error' });
    const child = spawnSync(process.execPath, [bundle, spool]);
    expect(child.signal).toBe('SIGKILL');
    const oracle = tsharkFrames(spool);
    expect(oracle.map((t) => [t.epoch, t.len, t.interfaceName])).toEqual(
      Array.from({ length: 50 }, (_, i) => [`${1700000000 + i}.${String(i).padStart(9, '0')}`, 60 + i, 'crash0']),
    );
  });
});

describe.skipIf(!canRun)('convertCaptureFile', () => {
  it('saves a multi-section, multi-interface pcapng as one pcapng section', async () => {
    const source = temp.file('features.pcapng');
    const target = temp.file('converted.pcapng');
    const result = await convertCaptureFile(source, target, 'pcapng');
    expect(result).toMatchObject({ framesWritten: built.length, damage: undefined });
    const before = tsharkFrames(source);
    const after = tsharkFrames(target);
    // An SPB has no timestamp; as an EPB it gets zero.
    expect(after.map((t) => [t.epoch, t.len, t.capLen, t.comment])).toEqual(before.map((t) => [t.epoch || '0.000000000', t.len, t.capLen, t.comment]));
    expect(after.map((t) => t.interfaceName)).toEqual(['eth-a', 'raw-b', 'pow2', 'eth-a', 'eth-a', 'eth-a', 'sec2']);
    const { frames } = await readFrames(target);
    expect(frames.map((f) => f.hex)).toEqual(built.map((b) => b.hex));
  });

  it('saves a gzip nanosecond pcap as a microsecond pcap', async () => {
    const target = temp.file('converted-us.pcap');
    await convertCaptureFile(temp.file('scapy.pcap.gz'), target, 'pcap', { resolution: 'us' });
    const source = tsharkFrames(temp.file('scapy.pcap'));
    expect(tsharkFrames(target).map((t) => [t.epoch, t.len])).toEqual(source.map((t) => [`${t.epoch.slice(0, -3)}000`, t.len]));
    expect(run('capinfos', ['-t', '-i', target]).stdout).toMatch(/Wireshark\/tcpdump\/... - pcap/);
  });

  it('refuses to mix link types in a pcap, and to overwrite its source', async () => {
    await expect(convertCaptureFile(temp.file('features.pcapng'), temp.file('mixed.pcap'), 'pcap')).rejects.toThrow(/one link type/);
    await expect(convertCaptureFile(temp.file('scapy.pcap'), temp.file('scapy.pcap'), 'pcapng')).rejects.toThrow(/onto itself/);
    expect(readFileSync(temp.file('scapy.pcap')).length).toBeGreaterThan(24);
  });
});
