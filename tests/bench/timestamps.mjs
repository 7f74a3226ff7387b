// How late are capture timestamps? `cap` gives none, so the helper stamps each frame on
// arrival. This compares those stamps with the kernel's, taken by tcpdump on the same veth
// for the same frames (matched by a sequence number in the payload), at a steady rate and
// under a heavier load, and separately for the frames that arrive as a capture starts.
//
// usage (root): npm run bench:timestamps [-- RUNS]
// To compare helper builds under the same load, name them (bundles inside the checkout, so they
// find `cap`): TIMESTAMPS_HELPERS=out/a.cjs,out/b.cjs runs every scenario with each in turn.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cli = path.join(root, 'out', 'node', 'handshake.cjs');
const runs = Number(process.argv[2] ?? 2);
const FRAMES = 20_000;
/** Frames after the capture's first one that count as "at capture start". */
const STARTUP_MS = 1000;

if (process.getuid?.() !== 0) {
  console.error('bench:timestamps needs root (it creates network namespaces)');
  process.exit(2);
}
for (const [tool, args] of [['tcpdump', ['--version']], ['tshark', ['-v']], ['ip', ['-V']]]) {
  if (spawnSync(tool, args).status !== 0) {
    console.error(`bench:timestamps needs ${tool}`);
    process.exit(2);
  }
}

const suffix = randomBytes(3).toString('hex');
const nsClient = `hw-tsb-c-${suffix}`;
const nsServer = `hw-tsb-s-${suffix}`;
const ifClient = `tc${suffix}`;
const ifServer = `ts${suffix}`;
const dir = mkdtempSync(path.join(os.tmpdir(), 'hw-bench-ts-'));
const sh = (command, args) => execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function setUp() {
  sh('ip', ['netns', 'add', nsClient]);
  sh('ip', ['netns', 'add', nsServer]);
  sh('ip', ['link', 'add', ifClient, 'type', 'veth', 'peer', 'name', ifServer]);
  for (const [ns, ifname, ip] of [[nsClient, ifClient, '198.18.0.1'], [nsServer, ifServer, '198.18.0.2']]) {
    sh('ip', ['link', 'set', ifname, 'netns', ns]);
    sh('ip', ['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', ifname]);
    sh('ip', ['-n', ns, 'link', 'set', ifname, 'up']);
  }
}

function tearDown() {
  for (const ns of [nsClient, nsServer]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  rmSync(dir, { recursive: true, force: true });
}

/** UDP datagrams to the client, each carrying an 8-byte counter; `perTick` every 10 ms. */
function startSender(perTick) {
  const script = `
    const socket = require('dgram').createSocket('udp4');
    let n = 0;
    socket.bind(0, () => {
      console.log('sending');
      setInterval(() => {
        for (let i = 0; i < ${perTick}; i++) { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(n++)); socket.send(b, 9, '198.18.0.1'); }
      }, 10);
    });`;
  const child = spawn('ip', ['netns', 'exec', nsServer, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => child.stdout.once('data', () => resolve(child)));
}

function startTcpdump(file) {
  const child = spawn('ip', ['netns', 'exec', nsClient, 'tcpdump', '-i', ifClient, '--immediate-mode', '-U', '-n', '--time-stamp-precision=nano', '-B', '65536', '-w', file, 'udp port 9'], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let said = '';
    const timer = setTimeout(() => reject(new Error(`tcpdump did not start: ${said}`)), 10_000);
    child.stderr.on('data', (chunk) => {
      said += chunk.toString();
      if (said.includes('listening on')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
  });
}

/** Payload counter → epoch seconds (as a string, to keep nanoseconds) for every frame of `file`. */
function stamps(file) {
  const out = new Map();
  const text = execFileSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'data.data'], { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] });
  for (const line of text.split('\n')) {
    const [epoch, data] = line.split('\t');
    if (epoch && data) out.set(data.replace(/:/g, ''), epoch);
  }
  return out;
}

/** a − b in milliseconds, for epoch strings with up to 9 decimals. */
function differenceMs(a, b) {
  const parse = (text) => {
    const [seconds, fraction = ''] = text.split('.');
    return [BigInt(seconds), BigInt(fraction.padEnd(9, '0').slice(0, 9))];
  };
  const [as, an] = parse(a);
  const [bs, bn] = parse(b);
  return Number((as - bs) * 1_000_000_000n + (an - bn)) / 1e6;
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))];

const helpers = (process.env.TIMESTAMPS_HELPERS ?? '').split(',').filter(Boolean).map((file) => path.resolve(file));

async function measure(label, perTick, frames = FRAMES, helper = undefined) {
  const slug = label.replace(/[^a-z0-9]+/gi, '-');
  const ours = path.join(dir, `ours-${slug}.pcapng`);
  const kernel = path.join(dir, `kernel-${slug}.pcap`);
  const tcpdump = await startTcpdump(kernel);
  const sender = await startSender(perTick);
  await sleep(300); // the interface is busy before the capture starts
  const capture = spawnSync(process.execPath, [cli, 'capture', '-i', ifClient, '-w', ours, '-c', String(frames), '-f', 'udp port 9'], {
    env: { ...process.env, HANDSHAKE_HELPER_LAUNCHER: `ip netns exec ${nsClient}`, ...(helper ? { HANDSHAKE_HELPER_PATH: helper } : {}) },
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  sender.kill('SIGKILL');
  await sleep(300);
  tcpdump.kill('SIGINT');
  await new Promise((resolve) => tcpdump.once('close', resolve));
  if (capture.status !== 0) throw new Error(`capture failed: ${capture.stderr}`);
  const kernelStamps = stamps(kernel);
  const all = [];
  const startup = [];
  let first = null;
  for (const [counter, epoch] of stamps(ours)) {
    const kernelEpoch = kernelStamps.get(counter);
    if (!kernelEpoch) continue;
    first ??= kernelEpoch;
    const late = differenceMs(epoch, kernelEpoch);
    if (differenceMs(kernelEpoch, first) < STARTUP_MS) startup.push(late);
    else all.push(late);
  }
  all.sort((x, y) => x - y);
  startup.sort((x, y) => x - y);
  const f = (ms) => ms.toFixed(3).padStart(8);
  console.log(
    `${label.padEnd(30)} ${String(all.length).padStart(6)} frames: median ${f(quantile(all, 0.5))} ms, p90 ${f(quantile(all, 0.9))} ms, p99 ${f(quantile(all, 0.99))} ms, max ${f(all.at(-1))} ms | ` +
      `first ${STARTUP_MS} ms (${startup.length} frames): median ${f(quantile(startup, 0.5))} ms, max ${f(startup.at(-1))} ms`,
  );
}

try {
  setUp();
  console.log(`helper arrival stamps minus tcpdump's kernel stamps, ${FRAMES} frames a run (after the first ${STARTUP_MS} ms; the first ${STARTUP_MS} ms apart)`);
  const builds = helpers.length > 0 ? helpers : [undefined];
  const name = (helper) => (helper ? ` ${path.basename(helper, '.cjs')}` : '');
  for (let run = 1; run <= runs; run++) {
    for (const helper of builds) await measure(`light 200/s run ${run}${name(helper)}`, 2, 3000, helper);
    for (const helper of builds) await measure(`steady 2k/s run ${run}${name(helper)}`, 20, FRAMES, helper);
    for (const helper of builds) await measure(`load 20k/s run ${run}${name(helper)}`, 200, FRAMES, helper);
  }
} finally {
  tearDown();
}
