// bench:capture — the highest offered rate of small frames at which our capture (helper +
// engine session with connection tracking on, spooling to pcapng) loses nothing, next to
// tcpdump's on the same veth pair. tcpreplay offers the frames from the other namespace.
// Figures are printed side by side, not asserted. Target: ≥ 0.8× tcpdump's lossless rate.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLab, HANDSHAKE, runToEnd, SCAPY_PYTHON, sleep, startProcess, table } from './live-lab.mjs';

const RATES = (process.env.BENCH_CAPTURE_RATES ?? '20000,50000,100000,150000,0').split(',').map(Number); // 0 = --topspeed
const SECONDS = Number(process.env.BENCH_CAPTURE_SECONDS ?? 1);
const FILTER = 'tcp dst port 9';

if (!existsSync(HANDSHAKE)) throw new Error(`${HANDSHAKE} is missing: run npm run build:node`);
const lab = createLab('cap');
const directory = mkdtempSync(path.join(os.tmpdir(), 'hw-bench-capture-'));

async function waitFor(process_, pattern, timeoutMs = 10_000) {
  for (let waited = 0; waited < timeoutMs; waited += 50) {
    if (pattern.test(process_.output())) return;
    await sleep(50);
  }
  throw new Error(`capture did not start: ${process_.output().slice(0, 400)}`);
}

/** Offers `count` frames at `rate` pps (0: as fast as tcpreplay goes); returns the rate tcpreplay reports. */
async function offer(frameFile, rate, count) {
  const pace = rate > 0 ? [`--pps=${rate}`] : ['--topspeed'];
  const result = await runToEnd('ip', ['netns', 'exec', lab.client.ns, 'tcpreplay', ...pace, '--preload-pcap', `--loop=${count}`, '-i', lab.client.ifname, frameFile]);
  const match = /([\d.]+) pps/.exec(result.stdout + result.stderr);
  return match ? Math.round(Number(match[1])) : Number.NaN;
}

async function trialOurs(frameFile, rate, count) {
  const file = path.join(directory, 'ours.pcapng');
  const capture = startProcess('ip', ['netns', 'exec', lab.server.ns, process.execPath, HANDSHAKE, 'capture', '-i', lab.server.ifname, '-f', FILTER, '--events', '-w', file, ...(process.env.BENCH_CAPTURE_BUFFER_MIB ? ['--buffer-size', process.env.BENCH_CAPTURE_BUFFER_MIB] : [])]);
  await waitFor(capture, /capturing on/);
  const achieved = await offer(frameFile, rate, count);
  await sleep(1500); // past TPACKET_V3's block timeout, so a non-immediate reader has seen every frame
  const { stderr } = await capture.stop('SIGINT');
  const match = /handshake capture: (\d+) frames/.exec(stderr);
  return { achieved, captured: match ? Number(match[1]) : Number.NaN };
}

async function trialTcpdump(frameFile, rate, count) {
  const file = path.join(directory, 'tcpdump.pcap');
  // -B is in KiB: 256 MiB, the same kernel buffer our helper asks for by default.
  const capture = startProcess('ip', ['netns', 'exec', lab.server.ns, 'tcpdump', '-i', lab.server.ifname, '-B', '262144', '-w', file, FILTER]);
  await waitFor(capture, /listening on/);
  const achieved = await offer(frameFile, rate, count);
  await sleep(1500); // past TPACKET_V3's block timeout, so a non-immediate reader has seen every frame
  const { stderr } = await capture.stop('SIGINT');
  const match = /(\d+) packets? captured/.exec(stderr);
  return { achieved, captured: match ? Number(match[1]) : Number.NaN };
}

try {
  const frameFile = path.join(directory, 'segment.pcap');
  // A 60-byte TCP segment (tracking has work to do), built by Scapy, to an address in the test range nobody
  // owns: the peer's kernel drops it without answering, so only the offered frames cross the link.
  execFileSync(SCAPY_PYTHON, [
    '-c',
    `from scapy.all import *\nwrpcap(${JSON.stringify(frameFile)}, Ether(src='${lab.client.mac}',dst='${lab.server.mac}')/IP(src='${lab.client.ip}',dst='198.18.0.99')/TCP(sport=40000,dport=9,flags='A',seq=1,ack=1))`,
  ]);
  const rows = [['offered pps', 'frames', 'ours: achieved pps', 'ours captured', 'tcpdump: achieved pps', 'tcpdump captured']];
  let oursBest = 0;
  let tcpdumpBest = 0;
  let oursLost = false;
  let tcpdumpLost = false;
  for (const rate of RATES) {
    const count = Math.max(5000, Math.round((rate || 150_000) * SECONDS));
    const ours = await trialOurs(frameFile, rate, count);
    const theirs = await trialTcpdump(frameFile, rate, count);
    if (ours.captured === count) oursBest = Math.max(oursBest, ours.achieved);
    else oursLost = true;
    if (theirs.captured === count) tcpdumpBest = Math.max(tcpdumpBest, theirs.achieved);
    else tcpdumpLost = true;
    rows.push([rate || 'topspeed', count, ours.achieved, `${ours.captured}${ours.captured === count ? '' : ' (loss)'}`, theirs.achieved, `${theirs.captured}${theirs.captured === count ? '' : ' (loss)'}`]);
  }
  console.log(`bench:capture — ${os.cpus().length} CPUs, 60-byte TCP segments over a veth pair, ${SECONDS} s per rung, 256 MiB kernel buffers`);
  console.log('"achieved pps" is what tcpreplay managed while the capture ran: on a small machine the capture competes with it for CPU.');
  console.log(table(rows));
  console.log(
    table([
      ['highest lossless rate', 'pps', 'ours ÷ tcpdump', 'target'],
      ['handshake capture (tracking on)', oursBest, tcpdumpBest > 0 ? (oursBest / tcpdumpBest).toFixed(2) : 'n/a', '≥ 0.8'],
      ['tcpdump', tcpdumpBest, '', ''],
    ]),
  );
  for (const [name, lost] of [['handshake capture', oursLost], ['tcpdump', tcpdumpLost]]) {
    if (!lost) console.log(`${name} lost nothing at any rung: its figure is a lower bound set by the sender.`);
  }
} finally {
  lab.destroy();
  rmSync(directory, { recursive: true, force: true });
}
