/**
 * Access to the independent oracles: Scapy (Debian's python3-scapy at /usr/bin/python3) and tshark.
 * Tests that need one use `it.skipIf(!scapyAvailable)` so a missing tool shows as skipped, never as passed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { fromHex } from '../../../../shared/wire/bytes';
import type { FrameSpec, LayerSpec, TcpOptionSpec } from '../../../../shared/craft/spec';
import type { JsonFieldValue, JsonScalar } from '../../../../shared/wire/json';

export const PYTHON = '/usr/bin/python3';

function works(command: string, args: string[]): boolean {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return result.status === 0;
}

export const scapyAvailable = works(PYTHON, ['-c', 'import scapy.all']);
export const tsharkAvailable = works('tshark', ['--version']);

/** Runs a Python script (Scapy importable) with optional stdin; returns stdout or throws with stderr. */
export function runPython(script: string, args: string[] = [], input?: string): string {
  const result = spawnSync(PYTHON, ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, input });
  if (result.status !== 0) throw new Error(`python failed: ${result.stderr}`);
  return result.stdout;
}

export function runPythonFile(file: string, args: string[] = []): string {
  const result = spawnSync(PYTHON, [file, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`python failed: ${result.stderr}`);
  return result.stdout;
}

export function runTshark(args: string[]): string {
  const result = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`tshark failed: ${result.stderr}`);
  return result.stdout;
}

const createdDirectories: string[] = [];
// Registered while the importing test file is collected, so it runs when that file is done.
afterAll(() => {
  for (const directory of createdDirectories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

/** A fresh temporary directory, removed when the test process exits. */
export function tempDir(prefix: string): string {
  const directory = mkdtempSync(path.join(tmpdir(), prefix));
  createdDirectories.push(directory);
  return directory;
}

type JsonValue = number | boolean | string | JsonValue[] | { [key: string]: JsonValue };

export interface CorpusEntry {
  name: string;
  linkType: number;
  bytes: Uint8Array;
  spec: FrameSpec;
  expect: Record<string, JsonValue>;
  quoted: Record<string, JsonValue>;
  status: Record<string, string>;
}

interface RawOption {
  kind: string;
  [key: string]: JsonValue;
}

function optionFromJson(option: RawOption): TcpOptionSpec {
  switch (option.kind) {
    case 'tfo':
      return { kind: 'tfo', cookie: fromHex(String(option.cookie)), ...(option.experimental ? { experimental: true } : {}) };
    case 'raw':
      return { kind: 'raw', type: Number(option.type), data: fromHex(String(option.data)) };
    case 'sack':
      return { kind: 'sack', blocks: (option.blocks as number[][]).map(([left, right]) => [left, right] as [number, number]) };
    default:
      return option as unknown as TcpOptionSpec;
  }
}

/** The corpus spec uses hex strings where FrameSpec has bytes. */
function specFromJson(json: { linkType: number; layers: Array<Record<string, JsonValue>>; trailer?: string }): FrameSpec {
  const layers = json.layers.map((layer): LayerSpec => {
    const spec: LayerSpec = { layer: layer.layer as LayerSpec['layer'], fields: {} };
    for (const [name, value] of Object.entries(layer.fields as Record<string, JsonValue>)) {
      spec.fields[name] = name === 'sll.unused' || name === 'icmp.unused' || name === 'icmpv6.reserved' ? fromHex(String(value)) : (value as number | string | boolean);
    }
    if (layer.data !== undefined) spec.data = fromHex(String(layer.data));
    if (layer.ipOptions !== undefined) spec.ipOptions = fromHex(String(layer.ipOptions));
    if (layer.tcpOptions !== undefined) spec.tcpOptions = (layer.tcpOptions as unknown as RawOption[]).map(optionFromJson);
    if (layer.extHeaders !== undefined) {
      spec.extHeaders = (layer.extHeaders as Array<Record<string, JsonValue>>).map((ext) => ({
        type: Number(ext.type),
        body: fromHex(String(ext.body)),
        ...(ext.nxt !== undefined ? { nxt: Number(ext.nxt) } : {}),
      }));
    }
    return spec;
  });
  return { linkType: json.linkType, layers, ...(json.trailer ? { trailer: fromHex(json.trailer) } : {}) };
}

export const CORPUS_SCRIPT = path.join(path.dirname(new URL(import.meta.url).pathname), 'corpus.py');

/** The Scapy-built corpus (and, with `pcapDir`, one pcap per link type written there). */
export function loadCorpus(pcapDir?: string): CorpusEntry[] {
  return parseCorpus(runPythonFile(CORPUS_SCRIPT, pcapDir ? [pcapDir] : []));
}

/** `count` random well-formed frames built by Scapy from a seeded generator. */
export function loadRandomCorpus(count: number, seed: number, pcapDir?: string): CorpusEntry[] {
  return parseCorpus(runPythonFile(CORPUS_SCRIPT, ['--random', String(count), String(seed), ...(pcapDir ? [pcapDir] : [])]));
}

function parseCorpus(output: string): CorpusEntry[] {
  return output
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line))
    .map((entry) => ({
      name: entry.name,
      linkType: entry.linkType,
      bytes: fromHex(entry.hex),
      spec: specFromJson(entry.spec),
      expect: entry.expect,
      quoted: entry.quoted,
      status: entry.status,
    }));
}

// ---------------------------------------------------------------------------------------------
// Comparing our JSON with tshark's `-T fields` output

export const TSHARK_PREFERENCES = [
  '-o', 'tcp.relative_sequence_numbers:FALSE',
  '-o', 'tcp.analyze_sequence_numbers:FALSE',
  '-o', 'tcp.check_checksum:TRUE',
  '-o', 'udp.check_checksum:TRUE',
  '-o', 'ip.check_checksum:TRUE',
];

/** Keys whose tshark name differs, and keys tshark has no printable value for. */
export const TSHARK_NAME: Readonly<Record<string, string>> = { 'tcp.options.kinds': 'tcp.option_kind' };
export const NOT_COMPARABLE = new Set(['frame.time_epoch', 'frame.number', 'tcp.options.sack_perm', 'tcp.options.tfo.request', '_ws.malformed']);
const STATUS_BY_NUMBER: Readonly<Record<string, string>> = { '0': 'bad', '1': 'good', '2': 'unverified', '3': 'unverified' };

let knownFieldNames: Set<string> | null = null;
/** Every field name tshark registers (`tshark -G fields`), read once. */
export function tsharkFieldNames(): Set<string> {
  knownFieldNames ??= new Set(
    runTshark(['-G', 'fields'])
      .split('\n')
      .map((line) => line.split('\t')[2])
      .filter(Boolean),
  );
  return knownFieldNames;
}

/** tshark's values of `fields` for every frame of `file`, one row per frame (`extra`: more tshark options). */
export function tsharkColumns(file: string, fields: string[], occurrence: 'f' | 'a', extra: readonly string[] = TSHARK_PREFERENCES): string[][] {
  if (fields.length === 0) return [];
  const args = ['-r', file, '-T', 'fields', '-E', `occurrence=${occurrence}`, '-E', 'aggregator=,', ...extra];
  for (const field of fields) args.push('-e', field);
  // One line per frame, even when a frame has none of the fields (an empty line).
  const lines = runTshark(args).split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((line) => line.split('\t'));
}

/** Brings tshark's text to our JSON's form so the two can be compared as values. */
export function normalise(mine: JsonFieldValue, text: string, key: string): JsonFieldValue {
  const one = (item: string, like: JsonScalar): JsonScalar => {
    if (typeof like === 'number') return /^0x/i.test(item) ? parseInt(item, 16) : Number(item);
    if (typeof like === 'boolean') return item === '1' || item === 'True';
    if (key.endsWith('.status')) return STATUS_BY_NUMBER[item] ?? item;
    if (typeof like === 'string' && /^[0-9a-f]{2}(:[0-9a-f]{2})*$/.test(like)) return item.replace(/:/g, '').replace(/(..)(?!$)/g, '$1:');
    return item;
  };
  if (Array.isArray(mine)) return text.split(',').map((item, index) => one(item, mine[Math.min(index, mine.length - 1)]));
  return one(text, mine);
}


// ---------------------------------------------------------------------------------------------
// The link-type and encapsulation corpus (encap_corpus.py)

export interface EncapFrame {
  /** The pcap (without `.pcap`) the frame was written to, in `directory`. */
  file: string;
  linkType: number;
  name: string;
  bytes: Uint8Array;
  frameLength: number;
}

export const ENCAP_CORPUS_SCRIPT = path.join(path.dirname(new URL(import.meta.url).pathname), 'encap_corpus.py');

/** Builds the corpus with Scapy, writing one pcap per file into `directory`. */
export function loadEncapCorpus(directory: string): EncapFrame[] {
  return runPythonFile(ENCAP_CORPUS_SCRIPT, [directory])
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { file: string; linkType: number; name: string; hex: string; frameLength: number })
    .map((entry) => ({ file: entry.file, linkType: entry.linkType, name: entry.name, bytes: fromHex(entry.hex), frameLength: entry.frameLength }));
}
