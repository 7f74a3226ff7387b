// bench:conversation — reply latency of the user-space endpoint (shared/endpoint through the
// capture helper), next to Scapy's TCP_client automaton doing the same exchange in the same run.
// The exchange: we send 1 byte, a Linux echo server in the peer namespace sends it back, and we
// answer (an ACK, and our next byte). Latency = the peer's data segment → our next segment, both
// from tcpdump's kernel timestamps on our side of the veth (an oracle independent of the helper).
// Figures are printed, not asserted. Target: p99 < 2 ms and ≥ 20× Scapy.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EndpointSession, type ReplyTiming } from '../../electron/engine/endpoint-session';
import { TcpState } from '../../shared/track/states';

// The lab and process helpers of live-lab.mjs, which this bundle (CommonJS, no import.meta) cannot import.
const ROOT = process.cwd();
const SCAPY_PYTHON = '/usr/bin/python3';

interface Lab {
  client: { ns: string; ifname: string; ip: string };
  server: { ns: string; ifname: string; ip: string };
  destroy(): void;
}

function createLab(tag: string): Lab {
  const suffix = randomBytes(3).toString('hex');
  const run = (args: string[]) => execFileSync('ip', args, { encoding: 'utf8' });
  const lab: Lab = {
    client: { ns: `hwb-${tag}-c-${suffix}`, ifname: `bc${suffix}`, ip: '198.18.0.1' },
    server: { ns: `hwb-${tag}-s-${suffix}`, ifname: `bs${suffix}`, ip: '198.18.0.2' },
    destroy() {
      for (const ns of [lab.client.ns, lab.server.ns]) {
        try {
          execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
        } catch {}
      }
    },
  };
  try {
    run(['netns', 'add', lab.client.ns]);
    run(['netns', 'add', lab.server.ns]);
    run(['link', 'add', lab.client.ifname, 'type', 'veth', 'peer', 'name', lab.server.ifname]);
    for (const end of [lab.client, lab.server]) {
      run(['link', 'set', end.ifname, 'netns', end.ns]);
      run(['-n', end.ns, 'addr', 'add', `${end.ip}/24`, 'dev', end.ifname]);
      run(['-n', end.ns, 'link', 'set', end.ifname, 'up']);
    }
  } catch (error) {
    lab.destroy();
    throw error;
  }
  return lab;
}

function startProcess(command: string, args: string[]) {
  const child = spawn(command, args);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const closed = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return {
    closed,
    stop(signal: NodeJS.Signals = 'SIGINT') {
      child.kill(signal);
      return closed;
    },
  };
}

function runToEnd(command: string, args: string[]) {
  return startProcess(command, args).closed;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function table(rows: Array<Array<string | number>>): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => String(row[column]).length)));
  return rows.map((row) => row.map((cell, column) => String(cell).padEnd(widths[column])).join('  ')).join('\n');
}

const COUNT = Number(process.env.BENCH_CONVERSATION_COUNT ?? 10_000);
const SCAPY_COUNT = Number(process.env.BENCH_SCAPY_COUNT ?? 10_000);
const PORT = 7000;
const OURS = '198.18.0.11';

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Peer data segment → our next segment, per client address, from the capture. */
function latencies(file: string, client: string): number[] {
  const rows = execFileSync('tshark', ['-r', file, '-T', 'fields', '-E', 'separator=,', '-e', 'frame.time_epoch', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'tcp.len', '-e', 'tcp.flags', '-Y', `ip.addr == ${client}`], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  })
    .trim()
    .split('\n')
    .map((line) => line.split(','));
  const out: number[] = [];
  let pending: number | null = null;
  for (const [time, source, , length, flags] of rows) {
    const at = Number(time);
    if (source !== client) {
      // The peer's data (not its FIN) is what we answer.
      pending = Number(length) > 0 && !(Number(flags) & 0x01) ? at : null;
    } else if (pending !== null) {
      out.push((at - pending) * 1000);
      pending = null;
    }
  }
  return out.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const lab = createLab('conv');
  const directory = mkdtempSync(path.join(os.tmpdir(), 'hw-bench-conv-'));
  const inNs = (ns: string, command: string, args: string[]) => execFileSync('ip', ['netns', 'exec', ns, command, ...args], { encoding: 'utf8' });
  let server: ReturnType<typeof startProcess> | null = null;
  try {
    for (const end of [lab.client, lab.server]) {
      try {
        inNs(end.ns, 'ethtool', ['-K', end.ifname, 'tso', 'off', 'gso', 'off', 'gro', 'off']);
      } catch {}
    }
    server = startProcess('ip', [
      'netns', 'exec', lab.server.ns, process.execPath, '-e',
      `require('net').createServer((s) => { s.setNoDelay(true); s.on('data', (d) => s.write(d)); s.on('error', () => {}); s.on('end', () => s.end()); }).listen(${PORT}, '${lab.server.ip}', () => console.log('listening'));`,
    ]);
    await sleep(500);
    const capture = path.join(directory, 'exchange.pcap');
    const tcpdump = startProcess('ip', ['netns', 'exec', lab.client.ns, 'tcpdump', '-i', lab.client.ifname, '--immediate-mode', '-n', '-s', '128', '-w', capture, `tcp port ${PORT}`]);
    await sleep(1000);

    // 1. Ours: the endpoint session in this process, its helper in the client namespace.
    process.env.HANDSHAKE_HELPER_PATH = path.join(ROOT, 'out', 'node', 'helper.cjs');
    process.env.HANDSHAKE_HELPER_LAUNCHER = `ip netns exec ${lab.client.ns}`;
    let received = 0;
    const timings: ReplyTiming[] = [];
    let wake: (() => void) | null = null;
    const session = await EndpointSession.start({
      device: lab.client.ifname,
      local: { address: OURS, port: 40001 },
      remote: { address: lab.server.ip, port: PORT },
      endpoint: {},
      spoolPath: path.join(directory, 'spool.pcapng'),
      onReplyTiming: (timing) => timings.push(timing),
      onEvent: (event) => {
        if (event.type !== 'data') return;
        received += event.bytes.length;
        wake?.();
      },
    });
    const oursStart = performance.now();
    try {
      if (!(await session.waitFor((endpoint) => endpoint.state === TcpState.ESTABLISHED, 10_000))) throw new Error(`no connection: ${session.endpoint.closedReason}`);
      const byte = new Uint8Array([0x78]);
      for (let i = 0; i < COUNT; i++) {
        const got = new Promise<void>((resolve) => (wake = resolve));
        session.write(byte);
        await Promise.race([got, sleep(5000)]);
        if (received !== i + 1) throw new Error(`exchange ${i + 1}: no echo within 5 s`);
      }
      session.close('fin');
      await session.waitFor((endpoint) => endpoint.state === TcpState.CLOSED || endpoint.state === TcpState.TIME_WAIT, 5000);
    } finally {
      await session.stop();
    }
    const oursSeconds = (performance.now() - oursStart) / 1000;

    // 2. Scapy's TCP_client from the client namespace's own address; its kernel's RSTs dropped, as Scapy's docs advise.
    inNs(lab.client.ns, 'iptables', ['-A', 'OUTPUT', '-p', 'tcp', '--tcp-flags', 'RST', 'RST', '-d', lab.server.ip, '-j', 'DROP']);
    const scapyScript = [
      'from scapy.all import *',
      'import time, sys',
      'conf.verb = 0',
      `s = TCP_client.tcplink(Raw, ${JSON.stringify(lab.server.ip)}, ${PORT})`,
      'start = time.time()',
      `for i in range(${SCAPY_COUNT}):`,
      "    s.send(b'x')",
      '    s.recv()',
      'print(time.time() - start)',
      's.close()',
    ].join('\n');
    const scapy = await runToEnd('ip', ['netns', 'exec', lab.client.ns, SCAPY_PYTHON, '-c', scapyScript]);
    if (scapy.code !== 0) console.error(`scapy: ${scapy.stderr.slice(-500)}`);
    const scapySeconds = Number(scapy.stdout.trim().split('\n').pop());
    await sleep(500);
    await tcpdump.stop();

    const ours = latencies(capture, OURS);
    const theirs = latencies(capture, lab.client.ip);
    const row = (name: string, values: number[], seconds: number, ratioTo: number[] | null) => [
      name,
      values.length,
      percentile(values, 50).toFixed(3),
      percentile(values, 99).toFixed(3),
      Number.isFinite(seconds) ? seconds.toFixed(1) : 'n/a',
      ratioTo ? `${(percentile(ratioTo, 99) / percentile(values, 99)).toFixed(1)}× / ${(percentile(ratioTo, 50) / percentile(values, 50)).toFixed(1)}×` : '',
    ];
    console.log(`bench:conversation — ${os.cpus().length} CPUs, veth pair between two namespaces, 1-byte echo exchanges with a Linux server; latency = the peer's data segment → our next segment on the wire (tcpdump's kernel timestamps on our side)`);
    console.log(
      table([
        ['endpoint', 'exchanges', 'p50 ms', 'p99 ms', 'wall s', 'Scapy ÷ ours (p99 / p50)'],
        row('handshake endpoint', ours, oursSeconds, null),
        row('scapy TCP_client', theirs, scapySeconds, null),
      ]),
    );
    // Where our answers' time went, on the helper's and engine's clocks (wall time in each process).
    const spread = (values: number[]) => {
      const sorted = values.sort((a, b) => a - b);
      return [50, 90, 99, 99.9].map((p) => percentile(sorted, p).toFixed(3));
    };
    const legs: Array<[string, (timing: ReplyTiming) => number]> = [
      ['helper → engine (captured frame handed over)', (t) => t.handled - t.arrived],
      ['engine (endpoint answers)', (t) => t.requested - t.handled],
      ['engine → helper (send request to frame sent)', (t) => t.sent - t.requested],
      ['helper arrival → helper sent', (t) => t.sent - t.arrived],
    ];
    console.log(`where ours goes (${timings.length} answers, ms):`);
    console.log(table([['leg', 'p50', 'p90', 'p99', 'p99.9'], ...legs.map(([name, leg]) => [name, ...spread(timings.map(leg))])]));
    console.log(`ours is ${(percentile(theirs, 99) / percentile(ours, 99)).toFixed(1)}× faster than Scapy at p99, ${(percentile(theirs, 50) / percentile(ours, 50)).toFixed(1)}× at p50 (targets: p99 < 2 ms, ≥ 20×)`);
  } finally {
    await server?.stop('SIGKILL');
    lab.destroy();
    // BENCH_KEEP_CAPTURE=FILE keeps the exchange for a look with tshark.
    if (process.env.BENCH_KEEP_CAPTURE) execFileSync('cp', [path.join(directory, 'exchange.pcap'), process.env.BENCH_KEEP_CAPTURE]);
    rmSync(directory, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
