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
