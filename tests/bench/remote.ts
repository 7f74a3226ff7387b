/**
 * bench:remote. Remote capture over SSH at a fixed frame rate: tcpreplay sends UDP frames on the
 * loopback of a test namespace where a real sshd runs, while `handshake capture --remote` and the
 * plain baseline `ssh HOST tcpdump -U -w - > file` capture the same frames at the same time over
 * two SSH sessions. Prints, for each, the frames received out of those sent (the target is none
 * lost at 50,000 frames/s), with the rate tcpreplay actually reached.
 *
 * usage: remote.ts [RATE=50000] [SECONDS=5]
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSshLab, missingSshTool } from '../support/ssh-lab';
import { ROOT } from './bench-capture';

const rate = Number(process.argv[2] ?? 50_000);
const seconds = Number(process.argv[3] ?? 5);
const frames = Math.round(rate * seconds);
const missing = ['tcpreplay', 'tcpdump', 'capinfos'].find((tool) => spawnSync('which', [tool]).status !== 0) ?? missingSshTool;
if (missing) {
  console.error(`bench:remote needs ${missing}`);
  process.exit(1);
}
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const namespace = `hw-bench-remote-${process.pid}`;
const dir = mkdtempSync(path.join(os.tmpdir(), 'hw-bench-remote-'));
chmodSync(dir, 0o755);
const cli = path.join(ROOT, 'electron', 'cli', 'bin.cjs');
const inNamespace = (command: string, args: string[]) => ['netns', 'exec', namespace, command, ...args];

/** Frames in a capture file, as capinfos counts them. */
function countFrames(file: string): number {
  const out = spawnSync('capinfos', ['-M', '-c', file], { encoding: 'utf8' }).stdout;
  return Number(/Number of packets:\s+(\d+)/.exec(out)?.[1] ?? 0);
}

async function main(): Promise<void> {
  spawnSync('ip', ['netns', 'add', namespace]);
  try {
    spawnSync('ip', ['-n', namespace, 'link', 'set', 'lo', 'up']);
    const ssh = createSshLab(dir, namespace, '127.0.0.1');
    await ssh.startSshd(22);
    const config = ssh.clientConfig('bench.conf', 'bench', 'root', 22);
    // The frames: UDP to a port nothing listens on, 100-byte payloads, built once by tcpdump's own writer (Scapy).
    const traffic = path.join(dir, 'traffic.pcap');
    const made = spawnSync('/usr/bin/python3', ['-c', `from scapy.all import *\nwrpcap(${JSON.stringify(traffic)}, [Ether()/IP(src='127.0.0.1', dst='127.0.0.1')/UDP(sport=40000, dport=9999)/Raw(b'x'*100)] * ${frames})`]);
    if (made.status !== 0) throw new Error(`scapy failed: ${made.stderr}`);
    const ours = path.join(dir, 'ours.pcapng');
    const baseline = path.join(dir, 'baseline.pcap');
    const filter = 'udp port 9999';
    const capture = spawn('ip', inNamespace(process.execPath, [cli, 'capture', '--remote', 'bench', '--ssh-config', config, '-i', 'lo', '-f', filter, '-w', ours, '--events']), { stdio: ['ignore', 'ignore', 'pipe'] });
    let captureLog = '';
    capture.stderr.on('data', (chunk: Buffer) => (captureLog += chunk.toString()));
    const output = openSync(baseline, 'w');
    const plain = spawn('ip', inNamespace('ssh', ['-F', config, '-T', 'bench', `tcpdump -i lo -U --immediate-mode -s 0 -w - '${filter}'`]), { stdio: ['ignore', output, 'pipe'] });
    let plainLog = '';
    plain.stderr?.on('data', (chunk: Buffer) => (plainLog += chunk.toString()));
    for (let waited = 0; !(/remote filter/.test(captureLog) && /listening on/.test(plainLog)); waited += 100) {
      if (waited > 30_000) throw new Error(`captures did not start:\n${captureLog}\n${plainLog}`);
      await sleep(100);
    }
    await sleep(1000);
    const replay = spawnSync('ip', inNamespace('tcpreplay', ['-i', 'lo', `--pps=${rate}`, traffic]), { encoding: 'utf8' });
    const reached = /Rated: [\d.]+ Bps, [\d.]+ Mbps, ([\d.]+) pps/.exec(replay.stdout)?.[1] ?? '?';
    const sent = Number(/Actual: (\d+) packets/.exec(replay.stdout)?.[1] ?? frames);
    await sleep(3000);
    capture.kill('SIGINT');
    plain.kill('SIGTERM');
    await Promise.all([new Promise((resolve) => capture.once('close', resolve)), new Promise((resolve) => plain.once('close', resolve))]);
    const ourFrames = countFrames(ours);
    const baselineFrames = countFrames(baseline);
    const line = (name: string, got: number) => `${name.padEnd(46)} ${String(got).padStart(9)} of ${sent} frames  (${(((sent - got) / sent) * 100).toFixed(2)} % lost)`;
    console.log(`bench:remote  ${sent} UDP frames on loopback via tcpreplay at ${rate}/s (reached ${reached} pps), captured over ssh at the same time`);
    console.log(line('handshake capture --remote', ourFrames));
    console.log(line('ssh host tcpdump -U -w - > file (baseline)', baselineFrames));
    console.log(`target: none lost at 50,000 frames/s — ${ourFrames >= sent ? 'met' : 'not met'} in this run`);
    ssh.stop();
  } finally {
    spawnSync('ip', ['netns', 'del', namespace]);
    rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  spawnSync('ip', ['netns', 'del', namespace]);
  process.exit(1);
});
