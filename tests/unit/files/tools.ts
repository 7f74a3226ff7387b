// Test helpers for capture-file tests: external oracles (Scapy, text2pcap, editcap,
// mergecap, tshark) and a reader harness that copies every emitted frame.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CaptureFileError, CaptureReader, formatEpoch, type CaptureInterface, type CaptureSection, type InterfaceStatistics } from '../../../shared/files';

/** Debian's python3 has Scapy; the pyenv one on PATH does not. */
export const SYSTEM_PYTHON = '/usr/bin/python3';

const toolWorks = (command: string, args: string[]): boolean => {
  const result = spawnSync(command, args, { stdio: 'ignore' });
  return result.error === undefined && result.status === 0;
};
export const haveTshark = toolWorks('tshark', ['-v']);
export const haveWiresharkTools = haveTshark && toolWorks('editcap', ['-h']) && toolWorks('mergecap', ['-h']) && toolWorks('text2pcap', ['-v']);
export const haveScapy = toolWorks(SYSTEM_PYTHON, ['-c', 'import scapy.all']);

export function run(command: string, args: string[], input?: string): { stdout: string; stderr: string } {
  const result = spawnSync(command, args, { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return { stdout: result.stdout, stderr: result.stderr };
}

export function python(script: string, ...args: string[]): string {
  return run(SYSTEM_PYTHON, ['-c', script, ...args]).stdout;
}

/** tshark's notice about running as root is not a warning about the file. */
export function significantStderr(stderr: string): string {
  return stderr
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('Running as user'))
    .join('\n');
}

export interface TsharkFrame {
  epoch: string;
  len: number;
  capLen: number;
  interfaceId: string;
  interfaceName: string;
  comment: string;
}

/** The oracle: what tshark says about each frame. Fails the test if tshark warns. */
export function tsharkFrames(file: string): TsharkFrame[] {
  const { stdout, stderr } = run('tshark', [
    '-r', file, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=|',
    '-e', 'frame.time_epoch', '-e', 'frame.len', '-e', 'frame.cap_len', '-e', 'frame.interface_id', '-e', 'frame.interface_name', '-e', 'frame.comment',
  ]);
  if (significantStderr(stderr) !== '') throw new Error(`tshark warned: ${stderr}`);
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [epoch, len, capLen, interfaceId, interfaceName, comment] = line.split('\t');
      return { epoch, len: Number(len), capLen: Number(capLen), interfaceId, interfaceName, comment: unescapeTsharkField(comment) };
    });
}

/** tshark -T fields escapes control characters and backslashes in strings. */
function unescapeTsharkField(text: string): string {
  return text.replace(/\\([\\nrt])/g, (_match, char: string) => ({ n: '\n', r: '\r', t: '\t' })[char] ?? char);
}

export interface ReadFrame {
  frameNumber: number;
  interfaceId: number;
  linkType: number;
  epoch: string;
  hasTimestamp: boolean;
  capturedLength: number;
  originalLength: number;
  hex: string;
  comments: string[] | undefined;
  flags: number | undefined;
  recordOffset: number;
  dataOffset: number;
}

export interface ReadOutcome {
  frames: ReadFrame[];
  interfaces: CaptureInterface[];
  sections: CaptureSection[];
  statistics: InterfaceStatistics[];
  damage: CaptureFileError | undefined;
}

const toHex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

/** Feeds `bytes` to a CaptureReader in chunks whose sizes `nextChunkSize` picks; copies every frame. */
export function readAll(bytes: Uint8Array, nextChunkSize: () => number = () => bytes.length || 1): ReadOutcome {
  const outcome: ReadOutcome = { frames: [], interfaces: [], sections: [], statistics: [], damage: undefined };
  const reader = new CaptureReader({
    onFrame(frame) {
      outcome.frames.push({
        frameNumber: frame.frameNumber,
        interfaceId: frame.interfaceId,
        linkType: frame.linkType,
        epoch: formatEpoch(frame.tsSeconds, frame.tsNanos),
        hasTimestamp: frame.hasTimestamp,
        capturedLength: frame.capturedLength,
        originalLength: frame.originalLength,
        hex: toHex(frame.data),
        comments: frame.comments === undefined ? undefined : [...frame.comments],
        flags: frame.flags,
        recordOffset: frame.recordOffset,
        dataOffset: frame.dataOffset,
      });
    },
    onInterface: (iface) => outcome.interfaces.push({ ...iface }),
    onSection: (section) => outcome.sections.push({ ...section }),
    onStatistics: (stats) => outcome.statistics.push({ ...stats }),
  });
  try {
    let position = 0;
    while (position < bytes.length) {
      const size = Math.max(1, nextChunkSize());
      reader.push(bytes.subarray(position, position + size));
      position += size;
    }
    reader.end();
  } catch (error) {
    if (!(error instanceof CaptureFileError)) throw error;
    outcome.damage = error;
  }
  return outcome;
}

export function withTempDir(prefix: string): { dir: string; file: (name: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), `${prefix}-`));
  return { dir, file: (name) => path.join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Deterministic PRNG so a failing fuzz/chunk case can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Scapy script prefix that builds a varied list `pkts` (IPv4/IPv6 TCP, different sizes,
 * nanosecond timestamps) and prints each frame's hex on its own line.
 */
export const SCAPY_PACKETS = `
from scapy.all import Ether, IP, IPv6, TCP, UDP, Raw, EDecimal, wrpcap
pkts = []
for i in range(12):
    l3 = IP(src='198.18.0.1', dst='198.18.0.2') if i % 3 else IPv6(src='2001:db8::1', dst='2001:db8::2')
    l4 = TCP(sport=40000 + i, dport=443, flags='S' if i == 0 else 'PA', seq=1000 + i, options=[('MSS', 1460)]) if i % 4 else UDP(sport=5353, dport=53)
    p = Ether(src='02:00:00:00:00:01', dst='02:00:00:00:00:02') / l3 / l4 / Raw(bytes((i * 7 + k) % 256 for k in range((i * 97) % 1200)))
    p.time = EDecimal('1700000000.000000001') + EDecimal(i) * EDecimal('1.000123457')
    pkts.append(p)
`;

export interface BuiltFrame {
  hex: string;
  comments: string[] | null;
  flags: number | null;
  /** Byte offset of the frame's block in the file. */
  offset: number;
}

/** Runs pcapng_builder.py (hand-packed blocks) and returns what it says it wrote. */
export function buildPcapng(scenario: string, file: string, endian: '<' | '>'): BuiltFrame[] {
  const builder = path.join(import.meta.dirname, 'pcapng_builder.py');
  const out = run(SYSTEM_PYTHON, [builder, scenario, file, endian]).stdout;
  return out.trim().split('\n').map((line) => JSON.parse(line) as BuiltFrame);
}
