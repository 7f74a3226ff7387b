/**
 * bench:decode -- quic (or bench:analyze -- quic): the command line on a QUIC-heavy capture. One
 * HTTP/3 connection of 102,512 frames with its TLS secrets embedded, built (once, cached under
 * tests/bench/data) as tests/integration/quic/engine-filter-whole.test.ts builds it:
 * build_long_quic.py (python3, Scapy, cryptography), then `editcap --inject-secrets`.
 *
 * Prints, each measured in this run by /usr/bin/time (output to /dev/null): `handshake decode`,
 * `decode --json` and `analyze --json` beside `tshark -r` and `tshark -T ek` on the same file,
 * with wall time, CPU time (user+sys: the machine is often shared) and peak RSS.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const CLIENT_PACKETS = 100_500;
const root = path.resolve(__dirname, '../..');
const dataDir = path.join(root, 'tests', 'bench', 'data');
const builder = path.join(root, 'tests', 'integration', 'quic', 'build_long_quic.py');

/** A capture of build_long_quic.py with `packets` client packets and its secrets embedded, built once. */
function ensureQuicCapture(packets: number): string {
  const target = path.join(dataDir, `quic-h3-${packets}.pcapng`);
  if (existsSync(target)) return target;
  mkdirSync(dataDir, { recursive: true });
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'bench-quic-'));
  try {
    const pcap = path.join(scratch, 'long.pcap');
    const keylog = path.join(scratch, 'keys.txt');
    const built = spawnSync('/usr/bin/python3', [builder, pcap, keylog, String(packets)], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (built.status !== 0) throw new Error('build_long_quic.py failed (it needs python3 with Scapy and cryptography)');
    const injected = spawnSync('editcap', ['--inject-secrets', `tls,${keylog}`, pcap, target], { stdio: 'inherit' });
    if (injected.status !== 0) throw new Error('editcap --inject-secrets failed (editcap comes with Wireshark)');
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return target;
}

interface Timing {
  wall: number;
  cpu: number;
  rssMb: number;
}

/** Wall and CPU seconds and peak RSS of a shell command, its output to /dev/null. */
function timed(command: string): Timing | null {
  const run = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', 'sh', '-c', `${command} > /dev/null 2>/dev/null`], { encoding: 'utf8' });
  const match = /([\d.]+) ([\d.]+) ([\d.]+) (\d+)\s*$/.exec(run.stderr ?? '');
  if (run.status !== 0 || !match) return null;
  return { wall: Number(match[1]), cpu: Number(match[2]) + Number(match[3]), rssMb: Number(match[4]) / 1024 };
}

export function quicBench(): void {
  const file = ensureQuicCapture(CLIENT_PACKETS);
  const warmup = ensureQuicCapture(2000);
  const bundle = path.join(root, 'out', 'node', 'handshake.cjs');
  if (!existsSync(bundle)) spawnSync(process.execPath, [path.join(root, 'build/scripts/build-node.mjs')], { stdio: 'inherit' });
  const launcher = path.join(root, 'electron', 'cli', 'bin.cjs');
  // The first run of each command after a build writes its code cache: not what later runs cost.
  for (const command of ['decode', 'analyze']) spawnSync(process.execPath, [launcher, command, warmup, '--json'], { stdio: 'ignore' });
  const cli = `'${process.execPath}' '${launcher}'`;
  console.log(`bench QUIC on ${file} (${(statSync(file).size / 1e6).toFixed(1)} MB, one HTTP/3 connection, secrets embedded), output to /dev/null:`);
  const runs: Array<[string, string]> = [
    ['handshake decode', `${cli} decode '${file}'`],
    ['tshark -r', `tshark -n -r '${file}'`],
    ['handshake decode --json', `${cli} decode '${file}' --json`],
    ['tshark -T ek', `tshark -n -r '${file}' -T ek`],
    ['handshake analyze --json', `${cli} analyze '${file}' --json`],
  ];
  const results = new Map<string, Timing | null>();
  for (const [label, command] of runs) {
    const result = timed(command);
    results.set(label, result);
    console.log(result ? `${label.padEnd(26)} ${result.wall.toFixed(2).padStart(6)} s wall  ${result.cpu.toFixed(2).padStart(6)} s CPU  peak RSS ${result.rssMb.toFixed(0)} MB` : `${label.padEnd(26)} failed or not available`);
  }
  const ratio = (ours: string, theirs: string) => {
    const a = results.get(ours);
    const b = results.get(theirs);
    return a && b ? `${(b.cpu / a.cpu).toFixed(1)}×` : 'n/a';
  };
  console.log(`ratio by CPU time: decode ${ratio('handshake decode', 'tshark -r')} tshark -r, decode --json ${ratio('handshake decode --json', 'tshark -T ek')} tshark -T ek`);
}
