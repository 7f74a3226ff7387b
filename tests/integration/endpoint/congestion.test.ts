/**
 * The endpoint's sender under loss against Linux (issue 12): 1 MiB each way with a Linux peer in
 * a namespace, loss injected by iptables' `statistic` match both ways (this kernel has no
 * sch_netem). Independent oracles: the peer's kernel (sha256 of what it received), tcpdump on
 * the peer's veth (what we put on the wire: bytes sent twice, and when the transfer ended) and
 * iptables' own counters (what its rule dropped of our data).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleForTest } from '../../support/bundle';
import { buildHelper, canUseNamespaces, createVethLab, hasIptables, hasTshark, ndjson, nodeInNamespace, runLiveCli, tsharkFields, type NodeInNamespace, type VethLab } from '../capture/support';
import { peerScript, sha256 } from './peer';

const UNOWNED = '198.18.0.12';
const MIB = 1 << 20;
const LOSS = 0.03;
/** IP (20) + TCP (20) + NOP, NOP, timestamps (12): the header of each of our data segments. */
const DATA_HEADER = 52;
const hasTcpdump = spawnSync('tcpdump', ['--version']).status === 0;
const hasEthtool = spawnSync('ethtool', ['--version']).status === 0;

interface Transfer {
  summary: Record<string, unknown>;
  /** The command's NDJSON records. */
  records: Array<Record<string, unknown>>;
  /** From our SYN to the later of: the peer's ACK of our last byte, our ACK of its last byte (capture clock); Infinity when either never came. */
  seconds: number;
  /** Our payload bytes that the capture shows sent a second time or more. */
  resentBytes: number;
  /** Our payload bytes iptables dropped (its byte count less our data segments' headers). */
  lostBytes: number;
  /** The peer's segments that reached the wire carrying a D-SACK, as Wireshark's dissector judges them. */
  dsacks: number;
}

describe.skipIf(!canUseNamespaces || !hasIptables || !hasTcpdump || !hasTshark)('the endpoint\'s sender against Linux, with loss', () => {
  let lab: VethLab;
  let helperPath: string;
  let cli: string;
  let dir: string;
  const peers: NodeInNamespace[] = [];
  const dumps: ChildProcess[] = [];

  beforeAll(() => {
    helperPath = buildHelper();
    cli = bundleForTest('congestion-cli', {
      source: `
        import { runConnect } from './electron/cli/commands/endpoint';
        runConnect(process.argv.slice(3)).then((code) => { process.exitCode = code; });
      `,
    });
    dir = mkdtempSync(path.join(os.tmpdir(), 'hs-congestion-'));
    lab = createVethLab('cong');
    // Segments as the MSS cuts them (no GSO/TSO super-frames), so the capture counts what went on the wire.
    if (hasEthtool) for (const end of [lab.client, lab.server]) lab.exec(end.ns, 'ethtool', ['-K', end.ifname, 'tso', 'off', 'gso', 'off', 'gro', 'off', 'tx', 'off']);
  });
  afterAll(() => {
    for (const peer of peers) peer.stop();
    for (const dump of dumps) dump.kill('SIGKILL');
    lab?.destroy();
    for (const file of [helperPath, cli]) if (file) rmSync(file, { force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** `timeoutS`: the command's --timeout; with `mayFail` a transfer cut short by it is measured, not failed. */
  async function transfer(port: number, extra: string[], timeoutS = 240, mayFail = false): Promise<Transfer> {
    const ours = path.join(dir, `ours-${port}.bin`);
    const theirs = path.join(dir, `theirs-${port}.bin`);
    const got = path.join(dir, `got-${port}.bin`);
    const pcap = path.join(dir, `wire-${port}.pcap`);
    writeFileSync(ours, randomBytes(MIB));
    writeFileSync(theirs, randomBytes(MIB));
    const peer = nodeInNamespace(lab.server.ns, peerScript('server', lab.server.ip, port, theirs));
    peers.push(peer);
    await peer.waitFor(/listening/);
    // tcpdump on the peer's side sees our segments before its INPUT chain drops them.
    const dump = spawn('ip', ['netns', 'exec', lab.server.ns, 'tcpdump', '-i', lab.server.ifname, '--immediate-mode', '-U', '-n', '-s', '128', '-w', pcap, `tcp port ${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    dumps.push(dump);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('tcpdump did not start')), 10_000);
      dump.stderr?.on('data', (text: Buffer) => {
        if (text.toString().includes('listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    // Our data (long packets) and our ACKs are dropped by separate rules, so the first one's counters are our lost data.
    const rules = [
      ['INPUT', '-p', 'tcp', '--dport', String(port), '-m', 'length', '--length', '200:65535'],
      ['INPUT', '-p', 'tcp', '--dport', String(port), '-m', 'length', '--length', '0:199'],
      ['OUTPUT', '-p', 'tcp', '--sport', String(port)],
    ];
    const statistic = ['-m', 'statistic', '--mode', 'random', '--probability', String(LOSS), '-j', 'DROP'];
    for (const rule of rules) lab.exec(lab.server.ns, 'iptables', ['-A', ...rule, ...statistic]);
    try {
      const result = await runLiveCli(cli, helperPath, lab.client.ns, ['connect', `${lab.server.ip}:${port}`, '--local', `${UNOWNED}:${port + 30000}`, '--send-file', ours, '--receive-to', got, '--retransmit', '--min-rto', '200', '--timeout', String(timeoutS), ...extra, '-i', lab.client.ifname, '--json']);
      const records = ndjson(result.stdout);
      const summary = records.find((record) => record.type === 'summary') as Record<string, unknown>;
      if (!mayFail) {
        expect(summary?.ok, result.stdout.slice(-2000) + result.stderr).toBe(true);
        const end = await peer.waitFor(/^end /, 10_000);
        expect(end).toBe(`end ${MIB} ${sha256(readFileSync(ours))}`);
        expect(sha256(readFileSync(got))).toBe(sha256(readFileSync(theirs)));
      }
      const [packets, bytes] = lab.exec(lab.server.ns, 'iptables', ['-L', 'INPUT', '-v', '-x', '-n']).split('\n').filter((line) => line.includes('statistic'))[0].trim().split(/\s+/).map(Number);
      await new Promise((resolve) => setTimeout(resolve, 300));
      dump.kill('SIGINT');
      await new Promise((resolve) => dump.once('exit', resolve));
      return { summary, records, ...readCapture(pcap), lostBytes: bytes - packets * DATA_HEADER };
    } finally {
      for (const rule of rules) lab.exec(lab.server.ns, 'iptables', ['-D', ...rule, ...statistic]);
      peer.stop();
    }
  }

  function readCapture(pcap: string): { seconds: number; resentBytes: number; dsacks: number } {
    const rows = tsharkFields(pcap, ['frame.time_relative', 'ip.src', 'tcp.seq', 'tcp.len', 'tcp.ack', 'tcp.flags.syn']);
    let highest = 0;
    let resentBytes = 0;
    let oursDone: number | null = null;
    let theirsDone: number | null = null;
    for (const [time, source, seq, length, ack] of rows) {
      const start = Number(seq);
      const end = start + Number(length);
      if (source === UNOWNED) {
        if (Number(length) > 0) {
          resentBytes += Math.max(0, Math.min(end, highest) - start);
          highest = Math.max(highest, end);
        }
        if (theirsDone === null && Number(ack) >= MIB + 1) theirsDone = Number(time);
      } else if (oursDone === null && Number(ack) >= MIB + 1) {
        oursDone = Number(time);
      }
    }
    const dsacks = tsharkFields(pcap, ['frame.number'], `ip.src != ${UNOWNED} && tcp.options.sack.dsack_le`).length;
    return { seconds: oursDone === null || theirsDone === null ? Infinity : Math.max(oursDone, theirsDone), resentBytes, dsacks };
  }

  it('with SACK, 1 MiB each way under 3 % loss both ways: bytes sent again stay near the bytes lost, and it ends well before the timer-only sender', async () => {
    const sack = await transfer(7201, []);
    expect((sack.summary.negotiated as { sack: boolean }).sack).toBe(true);
    expect(sack.lostBytes).toBeGreaterThan(5 * 1400); // the loss really happened
    // Every lost byte is sent again; SACK recovery sends little else (the odd segment a timeout or rescue repeats).
    expect(sack.resentBytes).toBeGreaterThanOrEqual(sack.lostBytes * 0.95);
    expect(sack.resentBytes).toBeLessThanOrEqual(sack.lostBytes * 1.5 + 8 * 1448);
    expect(sack.summary.bytes_retransmitted).toBe(sack.resentBytes);
    // The sender said when it entered SACK recovery, with its numbers (ssthresh at least 2·SMSS, RFC 5681 eq. 4).
    const entered = sack.records.filter((record) => record.type === 'sender' && record.recovery === 'sack');
    expect(entered.length).toBeGreaterThan(0);
    for (const record of entered) expect(record.ssthresh as number).toBeGreaterThanOrEqual(2 * 1448);
    // Linux D-SACKs what it received twice (a retransmission whose original only lost its ACK): each is counted, as
    // Wireshark counts the D-SACKs in the capture of what the peer put on the wire.
    expect((sack.summary.sender as { dsacks: number }).dsacks).toBe(sack.dsacks);
    console.log(`D-SACKs: ${sack.dsacks} on the wire, ${(sack.summary.sender as { dsacks: number }).dsacks} counted by the sender (${(sack.summary.sender as { dsack_bytes: number }).dsack_bytes} bytes)`);

    expect(sack.seconds).toBeLessThan(60);
    // The timer-only sender (RFC 6298 alone) is given four times as long (at least 20 s); the capture says whether, and when, it finished.
    const bound = Math.max(20, Math.ceil(4 * sack.seconds));
    const timerOnly = await transfer(7202, ['--congestion', 'none'], bound, true);
    expect(timerOnly.summary.sender).toMatchObject({ cwnd: null });
    expect(timerOnly.records.filter((record) => record.type === 'sender')).toEqual([]);
    expect(timerOnly.records.filter((record) => record.type === 'retransmit').every((record) => record.why === 'timeout')).toBe(true);
    console.log(`1 MiB each way, ${LOSS * 100} % loss: SACK recovery ${sack.seconds.toFixed(2)} s (resent ${sack.resentBytes} B for ${sack.lostBytes} B lost), timer only ${Number.isFinite(timerOnly.seconds) ? `${timerOnly.seconds.toFixed(2)} s` : `not done in ${bound} s`} (resent ${timerOnly.resentBytes} B for ${timerOnly.lostBytes} B lost)`);
    expect(timerOnly.seconds).toBeGreaterThan(2 * sack.seconds);
  }, 600_000);
});

describe('congestion options: usage errors', () => {
  let cli: string;
  beforeAll(() => {
    cli = bundleForTest('congestion-usage-cli', { source: `import { runConnect } from './electron/cli/commands/endpoint'; runConnect(process.argv.slice(2)).then((code) => { process.exitCode = code; });` });
  });
  afterAll(() => rmSync(cli, { force: true }));

  const target = ['198.18.0.2:80', '-i', 'lo', '--local', '198.18.0.11'];
  it.each([
    [['--retransmit', '--congestion', 'cubic'], /--congestion takes newreno or none, not "cubic"/],
    [['--retransmit', '--initial-window', '0'], /--initial-window needs a positive integer, not "0"/],
    [['--retransmit', '--ssthresh', 'lots'], /--ssthresh needs a positive integer, not "lots"/],
    [['--initial-window', '4'], /the congestion options need --retransmit/],
    [['--no-sack-recovery'], /the congestion options need --retransmit/],
  ])('%j is a usage error (exit 2, one line, then the usage)', (args, message) => {
    const result = spawnSync(process.execPath, [cli, ...target, ...args], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    const [first, ...rest] = result.stderr.trimEnd().split('\n');
    expect(first).toMatch(/^handshake connect: /);
    expect(first).toMatch(message);
    expect(rest.every((line) => line.startsWith('  '))).toBe(true);
  });
});
