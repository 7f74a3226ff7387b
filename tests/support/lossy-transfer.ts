/**
 * A real Linux bulk transfer with loss, recorded as pcap: two namespaces joined by a veth pair
 * (offloads off, so the capture holds MSS-sized segments), the client's kernel sending `bytes`
 * to a Node sink in the server namespace. iptables `statistic` drops a share of the client's
 * data segments at the server, after the capture point on the client's veth (tshark sees
 * retransmissions, dup ACKs and SACK blocks). A drop before the tap cannot be made this way:
 * the sender's own stack hears of an OUTPUT drop and sends the segment again, so the capture
 * shows no gap; `withoutFrames` makes one the way a capture loses frames. Everything is removed
 * afterwards, whatever happens.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { createVethLab, nodeInNamespace, sleep } from '../integration/capture/support';

export const canRecordTransfer =
  typeof process.getuid === 'function' &&
  process.getuid() === 0 &&
  process.platform === 'linux' &&
  spawnSync('ip', ['-V']).status === 0 &&
  spawnSync('iptables', ['-V']).status === 0 &&
  spawnSync('tcpdump', ['--version']).status === 0 &&
  spawnSync('ethtool', ['--version']).status === 0;

export const TRANSFER_SKIP_REASON = 'needs root, ip, iptables, tcpdump and ethtool (network namespaces)';

export interface TransferOptions {
  bytes: number;
  /** Share of the client's segments dropped after the capture point (the server never gets them). */
  lossAfterTap?: number;
  port?: number;
}

/** Records the transfer into `file` (pcap). `tag` names the namespaces (keep it short). */
export async function recordLossyTransfer(tag: string, file: string, options: TransferOptions): Promise<void> {
  const port = options.port ?? 5001;
  const lab = createVethLab(tag);
  let server: ReturnType<typeof nodeInNamespace> | null = null;
  let tcpdump: ReturnType<typeof spawn> | null = null;
  try {
    for (const end of [lab.client, lab.server]) lab.exec(end.ns, 'ethtool', ['-K', end.ifname, 'tso', 'off', 'gso', 'off', 'gro', 'off']);
    if (options.lossAfterTap) {
      lab.exec(lab.server.ns, 'iptables', ['-A', 'INPUT', '-p', 'tcp', '--dport', String(port), '-m', 'length', '--length', '100:65535', '-m', 'statistic', '--mode', 'random', '--probability', String(options.lossAfterTap), '-j', 'DROP']);
    }
    server = nodeInNamespace(
      lab.server.ns,
      `require('net').createServer((s) => { let n = 0; s.on('data', (d) => { n += d.length; }); s.on('end', () => { console.log('received ' + n); s.end(); }); }).listen(${port}, '${lab.server.ip}', () => console.log('listening'));`,
    );
    await server.waitFor(/listening/);
    tcpdump = spawn('ip', ['netns', 'exec', lab.client.ns, 'tcpdump', '--immediate-mode', '-U', '-i', lab.client.ifname, '-s', '256', '-w', file, 'tcp', 'port', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let tcpdumpErr = '';
    tcpdump.stderr?.on('data', (d: Buffer) => (tcpdumpErr += d.toString()));
    for (let i = 0; i < 100 && !tcpdumpErr.includes('listening on'); i++) await sleep(50);
    const client = nodeInNamespace(
      lab.client.ns,
      `const s = require('net').connect(${port}, '${lab.server.ip}', () => { const chunk = Buffer.alloc(65536, 7); let left = ${options.bytes}; const pump = () => { while (left > 0) { const n = Math.min(left, chunk.length); left -= n; if (!s.write(n === chunk.length ? chunk : chunk.subarray(0, n))) { s.once('drain', pump); return; } } s.end(); }; pump(); }); s.on('close', () => console.log('closed'));`,
    );
    try {
      await client.waitFor(/closed/, 120_000);
    } finally {
      client.stop();
    }
    await server.waitFor(new RegExp(`received ${options.bytes}`), 20_000);
    await sleep(300);
  } finally {
    if (tcpdump) {
      const exited = new Promise((resolve) => tcpdump?.once('exit', resolve));
      tcpdump.kill('SIGINT');
      await Promise.race([exited, sleep(3000)]);
    }
    server?.stop();
    lab.destroy();
  }
  if (!existsSync(file) || statSync(file).size < 1000) throw new Error(`tcpdump wrote no capture to ${file}`);
}

/** A copy of `file` without some frames (editcap -d), as a capture that missed them: every `every`-th data segment of the client. */
export function withoutFrames(file: string, out: string, every: number): number[] {
  const data = execFileSync('tshark', ['-r', file, '-Y', 'tcp.len > 0 && tcp.dstport == 5001', '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map(Number);
  const dropped = data.filter((_, i) => i > 0 && i % every === 0);
  execFileSync('editcap', [file, out, ...dropped.map(String)]);
  return dropped;
}
