/**
 * bench:compare. `handshake compare` of two 1,000,000-frame captures of the same traffic: the
 * benchmark capture as point A, and as point B the same file with its clock shifted by 0.25 s
 * and 1,000 frames removed (editcap). Prints wall time and the command's peak RSS
 * (target: under 5 s and 500 MB), next to tshark computing its TCP conversation table
 * (-q -z conv,tcp) over the same two files in the same run.
 *
 * usage: compare.ts [FRAMES=1000000]
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchCapture, BENCH_DATA, ROOT } from './bench-capture';

const frames = Number(process.argv[2] ?? 1_000_000);
const a = benchCapture(frames);
const b = path.join(BENCH_DATA, `bench-${frames}-b.pcapng`);
if (!existsSync(b)) {
  const made = spawnSync('editcap', ['-t', '0.25', a, b, '5001-6000'], { stdio: 'inherit' });
  if (made.status !== 0) throw new Error('editcap failed');
}
// The command as users run it (built by npm run build:node, which bench:compare runs first).
const cli = path.join(ROOT, 'electron', 'cli', 'bin.cjs');

/**
 * Runs a command with stdout discarded; wall seconds, peak RSS (VmHWM) in MB, and CPU seconds (user + system, all
 * threads, as last sampled: within 20 ms of the end). On a busy machine the CPU time says more than the wall time.
 */
function measure(command: string, args: string[]): Promise<{ seconds: number; peakMb: number; cpuSeconds: number; code: number | null; tail: string }> {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let peakKb = 0;
    let cpuTicks = 0;
    const ticksPerSecond = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
    let tail = '';
    child.stdout.on('data', (chunk: Buffer) => (tail = (tail + chunk.toString()).slice(-2000)));
    const sample = setInterval(() => {
      try {
        const match = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (match) peakKb = Math.max(peakKb, Number(match[1]));
        // utime and stime: fields 14 and 15 of /proc/PID/stat, counted after the command name's closing parenthesis.
        const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
        cpuTicks = Math.max(cpuTicks, Number(fields[11]) + Number(fields[12]));
      } catch {
        // exited between samples
      }
    }, 20);
    child.on('close', (code) => {
      clearInterval(sample);
      resolve({ seconds: Number(process.hrtime.bigint() - started) / 1e9, peakMb: peakKb / 1024, cpuSeconds: cpuTicks / ticksPerSecond, code, tail });
    });
  });
}

async function main(): Promise<void> {
  const ours = await measure(process.execPath, [cli, 'compare', a, b, '--json']);
  if (ours.code !== 0) throw new Error(`compare exited with ${ours.code}`);
  const summary = JSON.parse(ours.tail.trim().split('\n').at(-1) ?? '{}') as { connections?: { paired: number }; frames?: { paired: number }; clock_offset?: number };
  const tshark = await measure('tshark', ['-q', '-z', 'conv,tcp', '-r', a]);
  const tsharkB = await measure('tshark', ['-q', '-z', 'conv,tcp', '-r', b]);
  const tsharkSeconds = tshark.seconds + tsharkB.seconds;
  console.log(`compare of two ${frames.toLocaleString('en')}-frame captures (B: clock +0.25 s, 1,000 frames removed); load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`);
  console.log(`  handshake compare   ${ours.seconds.toFixed(2)} s, peak RSS ${ours.peakMb.toFixed(0)} MB, CPU ${ours.cpuSeconds.toFixed(2)} s   (target < 5 s, < 500 MB)`);
  console.log(`    paired ${summary.connections?.paired} connections, ${summary.frames?.paired} segments; clock offset ${summary.clock_offset} s`);
  console.log(
    `  tshark -z conv,tcp  ${tsharkSeconds.toFixed(2)} s over both files (reference: its TCP conversation table only), peak RSS ${Math.max(tshark.peakMb, tsharkB.peakMb).toFixed(0)} MB, CPU ${(tshark.cpuSeconds + tsharkB.cpuSeconds).toFixed(2)} s`,
  );
}

void main();
