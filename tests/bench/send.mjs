// bench:send — frames/s out of `handshake send -c 100000`, next to `tcpreplay --topspeed` on the
// same frame and Scapy's sendp on 10,000 frames, all on one veth pair inside test namespaces.
// Figures are printed side by side, not asserted. Targets: ≥ 0.5× tcpreplay, ≥ 50× Scapy.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLab, HANDSHAKE, runToEnd, SCAPY_PYTHON, table } from './live-lab.mjs';

const COUNT = Number(process.env.BENCH_SEND_COUNT ?? 100_000);
const SCAPY_COUNT = Number(process.env.BENCH_SCAPY_COUNT ?? 10_000);
// An address in the test range that nobody owns: the peer's kernel drops the frames, so no replies load the link.
const SINK = '198.18.0.99';

if (!existsSync(HANDSHAKE)) throw new Error(`${HANDSHAKE} is missing: run npm run build:node`);
const lab = createLab('send');
const directory = mkdtempSync(path.join(os.tmpdir(), 'hw-bench-send-'));
try {
  const inClient = (command, args) => runToEnd('ip', ['netns', 'exec', lab.client.ns, command, ...args]);
  const frameArgs = ['--template', 'syn', '--set', `ip.dst=${SINK}`, '--set', 'tcp.dstport=9', '--set', `eth.dst=${lab.server.mac}`, '--wait', '0'];

  // 1. Ours. The command reports the helper's own send-loop time.
  const ours = await inClient(process.execPath, [HANDSHAKE, 'send', '-i', lab.client.ifname, ...frameArgs, '-c', String(COUNT)]);
  const oursMatch = /sent (\d+) frames .* in ([\d.]+) ms, (\d+) frames\/s/.exec(ours.stdout);
  if (!oursMatch) throw new Error(`handshake send failed: ${ours.stderr || ours.stdout}`);
  const oursRate = Number(oursMatch[3]);

  // The very frame we sent, for the other tools: one send with -w, then the first SYN of that file as pcap.
  const spool = path.join(directory, 'one.pcapng');
  const single = path.join(directory, 'one.pcap');
  await inClient(process.execPath, [HANDSHAKE, 'send', '-i', lab.client.ifname, ...frameArgs, '--wait', '300', '-w', spool]);
  await runToEnd('tshark', ['-r', spool, '-Y', `ip.dst == ${SINK}`, '-c', '1', '-F', 'pcap', '-w', single]);

  // 2. tcpreplay, preloaded, looping the one frame.
  const replay = await inClient('tcpreplay', ['--topspeed', '--preload-pcap', `--loop=${COUNT}`, '-i', lab.client.ifname, single]);
  const replayMatch = /Rated: [\d.]+ Bps, [\d.]+ Mbps, ([\d.]+) pps/.exec(replay.stdout + replay.stderr);
  const replayRate = replayMatch ? Number(replayMatch[1]) : Number.NaN;

  // 3. Scapy sendp (Debian's python3-scapy), 10,000 frames.
  const scapyScript = [
    'from scapy.all import *',
    'import time',
    `frame = rdpcap(${JSON.stringify(single)})[0]`,
    'start = time.time()',
    `sendp(frame, iface=${JSON.stringify(lab.client.ifname)}, count=${SCAPY_COUNT}, verbose=False)`,
    `print(${SCAPY_COUNT} / (time.time() - start))`,
  ].join('\n');
  const scapy = await inClient(SCAPY_PYTHON, ['-c', scapyScript]);
  const scapyRate = Number(scapy.stdout.trim().split('\n').pop());

  const ratio = (value) => (Number.isFinite(value) && value > 0 ? (oursRate / value).toFixed(2) : 'n/a');
  console.log(`bench:send — ${os.cpus().length} CPUs, veth pair between two namespaces, 1 frame of ${frameLength(single)} bytes repeated`);
  console.log(
    table([
      ['sender', 'frames', 'frames/s', 'ours ÷ this', 'target'],
      ['handshake send -c', COUNT, oursRate, '1.00', ''],
      ['tcpreplay --topspeed', COUNT, Math.round(replayRate), ratio(replayRate), '≥ 0.5'],
      ['scapy sendp', SCAPY_COUNT, Math.round(scapyRate), ratio(scapyRate), '≥ 50'],
    ]),
  );
  if (!replayMatch) console.log(`(tcpreplay output not understood: ${(replay.stdout + replay.stderr).trim().slice(0, 300)})`);
} finally {
  lab.destroy();
  rmSync(directory, { recursive: true, force: true });
}

function frameLength(file) {
  const text = execFileSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.len'], { encoding: 'utf8' });
  return Number(text.trim().split('\n')[0]);
}
