/**
 * bench:decode and bench:analyze. Generates (once, cached under tests/bench/data) a
 * 1,000,000-frame mixed IPv4/IPv6 TCP capture, then streams it through the core and prints
 * frames/s and peak RSS next to tshark on the same file, measured in the same run.
 *
 *   decode:  link/IP/TCP headers of every frame into the engine's typed-array index
 *            (target ≥ 2,000,000 frames/s, ≥ 20× tshark, peak RSS < 250 MB);
 *   analyze: the same plus connection tracking and TCP analysis of every frame
 *            (target ≥ 1,000,000 frames/s, ≥ 40× tshark, peak RSS < 400 MB).
 *
 * Then the command-line path, each run by /usr/bin/time for wall time and peak RSS, output to /dev/null:
 *   decode:  `handshake decode --json` against `tshark -T ek` and `-T json` (target ≥ 10× -T ek), and
 *            `handshake decode -e` with 15 fields against `tshark -T fields` with the same 15 (target ≥ 20×);
 *   analyze: `handshake analyze --json` against `tshark -T fields -e tcp.stream -e tcp.analysis.flags` (target ≥ 15×);
 *   peak RSS of each of ours < 250 MB.
 *
 * usage: decode.ts decode|analyze [FRAMES=1000000]
 *        decode.ts decode|analyze quic   (the command line on a QUIC-heavy capture: quic.ts)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { FrameIndex } from '../../electron/engine/frame-index';
import { readCaptureFile } from '../../electron/engine/capture-file';
import type { CaptureFrame } from '../../shared/files';
import { FramePipeline } from '../../shared/pipeline/frame-pipeline';
import { createPacketSummary } from '../../shared/wire/summary';
import { summarizeAt } from '../../shared/wire/summarize';
import { quicBench } from './quic';

const mode = process.argv[2] === 'analyze' ? 'analyze' : 'decode';
const frames = Number(process.argv[3] ?? 1_000_000);
const root = path.resolve(__dirname, '../..');
const dataDir = path.join(root, 'tests', 'bench', 'data');
const file = path.join(dataDir, `bench-${frames}.pcapng`);

let peakRss = 0;
const sampleRss = () => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
};

function ensureCapture(target = file, count = frames): void {
  if (existsSync(target)) return;
  mkdirSync(dataDir, { recursive: true });
  const generator = spawnSync(process.execPath, [path.join(root, 'build/scripts/run-ts.mjs'), path.join(root, 'tests/bench/generate-capture.ts'), target, String(count)], {
    stdio: 'inherit',
  });
  if (generator.status !== 0) throw new Error('capture generator failed');
}

/** Headers of every frame into the index columns, as the engine's indexer does. */
async function decodeIntoIndex(): Promise<{ frames: number; extra: string }> {
  const index = new FrameIndex(1 << 16);
  const summary = createPacketSummary();
  const onFrame = (frame: CaptureFrame) => {
    // The bytes where the reader holds them (as the engine's indexer gets them): no view per frame.
    summarizeAt(frame.buffer, frame.bufferOffset, frame.capturedLength, frame.linkType, summary, frame.originalLength);
    const i = index.appendFrame(frame);
    index.protocol[i] = summary.protocol < 0 ? 255 : summary.protocol;
    index.tcpFlags[i] = summary.tcpFlags;
    index.srcPort[i] = summary.srcPort;
    index.dstPort[i] = summary.dstPort;
    index.relSeq[i] = summary.seq;
    index.relAck[i] = summary.ack;
    index.payloadLength[i] = summary.payloadLength;
    index.window[i] = summary.window;
  };
  const result = await readCaptureFile(file, { onFrame });
  if (result.damage) throw result.damage;
  return { frames: index.count, extra: '' };
}

/** Decode and track every frame. */
async function decodeAndTrack(): Promise<{ frames: number; extra: string }> {
  const pipeline = new FramePipeline();
  let tracked = 0;
  const result = await readCaptureFile(file, {
    onFrame: (frame) => {
      if (pipeline.track(frame)) tracked++;
    },
  });
  if (result.damage) throw result.damage;
  pipeline.tracker.finish();
  const stats = pipeline.tracker.stats();
  return { frames: result.frames, extra: `, ${tracked} TCP frames tracked, ${stats.connections} connections` };
}

/** "0m1.230000s" → 1.23 */
function shellSeconds(text: string): number {
  const match = /(\d+)m([\d.]+)s/.exec(text);
  return match ? Number(match[1]) * 60 + Number(match[2]) : Number.NaN;
}

function tshark(): { seconds: number; cpuSeconds: number; frames: number } | null {
  const fields = mode === 'decode'
    ? ['-e', 'ip.src', '-e', 'ipv6.src', '-e', 'tcp.srcport', '-e', 'tcp.dstport', '-e', 'tcp.seq_raw', '-e', 'tcp.ack_raw', '-e', 'tcp.flags', '-e', 'tcp.len']
    : ['-e', 'tcp.stream', '-e', 'tcp.analysis.flags'];
  const started = process.hrtime.bigint();
  // tshark formats every line as it would for a user; `wc -l` counts them and `times` reports
  // tshark's CPU time (this machine is often shared, so CPU seconds compare more fairly than wall time).
  const command = `tshark -n -r '${file}' -T fields ${fields.join(' ')} 2>/dev/null | wc -l; times`;
  const run = spawnSync('sh', ['-c', command], { encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const lines = run.stdout.trim().split('\n');
  if (run.status !== 0 || lines.length < 3) return null;
  const [user, system] = lines[2].trim().split(/\s+/).map(shellSeconds);
  return { seconds, cpuSeconds: user + system, frames: Number(lines[0]) };
}

const CLI_FIELDS = [
  'frame.number', 'frame.time_epoch', 'frame.len', 'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'tcp.srcport', 'tcp.dstport',
  'tcp.stream', 'tcp.seq', 'tcp.ack', 'tcp.len', 'tcp.flags', 'tcp.window_size',
];

/** Wall seconds and peak RSS (MB) of a shell command, its output to /dev/null. */
function timed(command: string): { seconds: number; rssMb: number } | null {
  const run = spawnSync('/usr/bin/time', ['-f', '%e %M', 'sh', '-c', `${command} > /dev/null 2>/dev/null`], { encoding: 'utf8' });
  const match = /([\d.]+) (\d+)\s*$/.exec(run.stderr ?? '');
  if (run.status !== 0 || !match) return null;
  return { seconds: Number(match[1]), rssMb: Number(match[2]) / 1024 };
}

/** The command users run: the launcher (with its code cache) over the bundled CLI (built here if missing). */
function cliBundle(): string {
  const bundle = path.join(root, 'out', 'node', 'handshake.cjs');
  if (!existsSync(bundle)) spawnSync(process.execPath, [path.join(root, 'build/scripts/build-node.mjs')], { stdio: 'inherit' });
  const launcher = path.join(root, 'electron', 'cli', 'bin.cjs');
  // Each command keeps its own code cache, written by its first run after a build (bin.cjs): one
  // run of it on a small capture first, so the timed runs measure what every later run costs.
  const small = path.join(dataDir, 'bench-1000.pcapng');
  ensureCapture(small, 1000);
  spawnSync(process.execPath, [launcher, mode, small, '--json'], { stdio: 'ignore' });
  return launcher;
}

function cliComparison(frames: number): void {
  const cli = `'${process.execPath}' '${cliBundle()}'`;
  const line = (label: string, r: { seconds: number; rssMb: number } | null) =>
    r ? `${label.padEnd(34)} ${r.seconds.toFixed(2).padStart(7)} s  ${Math.round(frames / r.seconds).toLocaleString('en').padStart(10)} frames/s  peak RSS ${r.rssMb.toFixed(0)} MB` : `${label.padEnd(34)} failed or not available`;
  const ratio = (ours: { seconds: number } | null, theirs: { seconds: number } | null) => (ours && theirs ? `${(theirs.seconds / ours.seconds).toFixed(1)}×` : 'n/a');
  console.log(`command line (${frames} frames, output to /dev/null):`);
  if (mode === 'decode') {
    const json = timed(`${cli} decode '${file}' --json`);
    const ek = timed(`tshark -n -r '${file}' -T ek`);
    const tjson = timed(`tshark -n -r '${file}' -T json`);
    const eArgs = CLI_FIELDS.map((f) => `-e ${f}`).join(' ');
    const fields = timed(`${cli} decode '${file}' ${eArgs}`);
    const tfields = timed(`tshark -n -r '${file}' -T fields ${eArgs}`);
    for (const [label, r] of [['handshake decode --json', json], ['tshark -T ek', ek], ['tshark -T json', tjson], ['handshake decode -e (15 fields)', fields], ['tshark -T fields (same 15)', tfields]] as const) console.log(line(label, r));
    console.log(`ratio:     decode --json ${ratio(json, ek)} tshark -T ek (target ≥ 10×), ${ratio(json, tjson)} -T json; decode -e ${ratio(fields, tfields)} tshark -T fields (target ≥ 20×); peak RSS target < 250 MB`);
  } else {
    const ours = timed(`${cli} analyze '${file}' --json`);
    const theirs = timed(`tshark -n -r '${file}' -T fields -e tcp.stream -e tcp.analysis.flags`);
    console.log(line('handshake analyze --json', ours));
    console.log(line('tshark -T fields (stream, flags)', theirs));
    console.log(`ratio:     analyze --json ${ratio(ours, theirs)} tshark (target ≥ 15×); peak RSS target < 250 MB`);
  }
}

async function main(): Promise<void> {
  ensureCapture();
  const megabytes = statSync(file).size / 1e6;
  console.log(`bench:${mode} on ${file} (${megabytes.toFixed(0)} MB)`);
  global.gc?.();
  const timer = setInterval(sampleRss, 25);
  const started = process.hrtime.bigint();
  const cpuStarted = process.cpuUsage();
  const result = mode === 'decode' ? await decodeIntoIndex() : await decodeAndTrack();
  const cpu = process.cpuUsage(cpuStarted);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  clearInterval(timer);
  sampleRss();
  const ours = result.frames / seconds;
  const oursCpu = result.frames / cpuSeconds;
  console.log(
    `handshake: ${result.frames} frames in ${seconds.toFixed(2)} s = ${Math.round(ours).toLocaleString('en')} frames/s ` +
      `(${Math.round(oursCpu).toLocaleString('en')} per CPU-second), peak RSS ${(peakRss / 1e6).toFixed(0)} MB${result.extra}`,
  );
  const reference = tshark();
  if (!reference) {
    console.log('tshark:    not available (install tshark to compare)');
    return;
  }
  const theirs = reference.frames / reference.seconds;
  const theirsCpu = reference.frames / reference.cpuSeconds;
  console.log(
    `tshark:    ${reference.frames} frames in ${reference.seconds.toFixed(2)} s = ${Math.round(theirs).toLocaleString('en')} frames/s ` +
      `(${Math.round(theirsCpu).toLocaleString('en')} per CPU-second)`,
  );
  const target = mode === 'decode' ? { rate: 2_000_000, ratio: 20, rss: 250 } : { rate: 1_000_000, ratio: 40, rss: 400 };
  console.log(
    `ratio:     ${(ours / theirs).toFixed(1)}× tshark by wall time, ${(oursCpu / theirsCpu).toFixed(1)}× by CPU time (targets: ≥ ${target.rate.toLocaleString('en')} frames/s, ≥ ${target.ratio}×, peak RSS < ${target.rss} MB)`,
  );
  cliComparison(result.frames);
}

(process.argv[3] === 'quic' ? Promise.resolve().then(quicBench) : main()).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
