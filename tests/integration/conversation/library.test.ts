/**
 * The shipped scripts (shared/conversation/library) run by `handshake run` against the real
 * Linux kernel in a test namespace: each holds, and its mutated twin fails at the mutated line
 * with the difference named. The peer's kernel is the oracle; our endpoint uses an address its
 * own kernel does not own, so nothing but the script speaks for it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHelper, canUseNamespaces, createVethLab, hasIptables, hasTshark, nodeInNamespace, runLiveCli, tsharkFields, type NodeInNamespace, type VethLab } from '../capture/support';
import { spawn } from 'node:child_process';
import { buildAnalyzeCli, buildRunCli, LIBRARY, parseRun, peerServersScript, runScript, UNOWNED_LOCAL } from './support';

const PORTS = { silent: 9001, closed: 9002, halfClose: 9003, keepalive: 9004, hello: 9006, closeAtOnce: 9007, echo: 9009 };

interface Case {
  script: string;
  port: number;
  /** A change to one line of the script, and what the failure must say. */
  mutation: { from: string; to: string; reason: RegExp };
  tolerance?: number;
}

const CASES: Case[] = [
  { script: 'handshake-data.pkt', port: PORTS.silent, mutation: { from: '> .  1:1(0) ack 19', to: '> .  1:1(0) ack 18', reason: /ack 19 instead of 18/ } },
  { script: 'closed-port.pkt', port: PORTS.closed, mutation: { from: '> R. 0:0(0) ack 1 win 0', to: '> S. 0:0(0) ack 1 win 0', reason: /flags R\. instead of S\./ } },
  { script: 'half-close.pkt', port: PORTS.halfClose, mutation: { from: 'ack 2 "late"', to: 'ack 2 "LATE"', reason: /payload differs/ } },
  { script: 'keepalive.pkt', port: PORTS.keepalive, mutation: { from: '> .  0:0(0) ack 1', to: '> .  1:1(0) ack 1', reason: /seq 0 instead of 1/ } },
  { script: 'challenge-ack.pkt', port: PORTS.silent, mutation: { from: '+0     > .  1:1(0) ack 1\n+0.6', to: '+0     > R  1:1(0)\n+0.6', reason: /flags \. instead of R/ } },
  { script: 'zero-window-probe.pkt', port: PORTS.hello, mutation: { from: '+0.1~+2    > .  0:0(0) ack 1', to: '+0.1~+2    > P. 1:6(5) ack 1', reason: /flags \. instead of P\./ } },
  { script: 'syn-in-time-wait.pkt', port: PORTS.closeAtOnce, mutation: { from: '+0         > .  2:2(0) ack 2\n+0.6       < S  100000', to: '+0         > S. 0:0(0) ack 1\n+0.6       < S  100000', reason: /flags \. instead of S\./ } },
];

describe.skipIf(!canUseNamespaces)('handshake run: the shipped scripts against Linux', () => {
  let lab: VethLab;
  let helperPath: string;
  let cli: string;
  let analyzeCli: string;
  let servers: NodeInNamespace;
  let dir: string;

  beforeAll(async () => {
    helperPath = buildHelper();
    cli = buildRunCli();
    analyzeCli = buildAnalyzeCli();
    dir = mkdtempSync(path.join(os.tmpdir(), 'hs-run-'));
    lab = createVethLab('run');
    // Linux's default receive buffer limit (tcp_rmem max 6 MiB) gives window scale 7; this host's may differ.
    lab.exec(lab.server.ns, 'sysctl', ['-q', '-w', 'net.ipv4.tcp_rmem=4096 131072 6291456']);
    servers = nodeInNamespace(lab.server.ns, peerServersScript(lab.server.ip, PORTS));
    for (const port of [PORTS.silent, PORTS.halfClose, PORTS.keepalive, PORTS.hello, PORTS.closeAtOnce, PORTS.echo]) await servers.waitFor(new RegExp(`listening ${port}`));
  });
  afterAll(() => {
    servers?.stop();
    lab?.destroy();
    rmSync(helperPath, { force: true });
    rmSync(cli, { force: true });
    rmSync(analyzeCli, { force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  let nextLocalPort = 41000;
  const run = (script: string, port: number, extra: string[] = [], tolerance = 50) =>
    runScript(cli, helperPath, lab.client.ns, [script, '-i', lab.client.ifname, '--local', `${UNOWNED_LOCAL}:${nextLocalPort++}`, '--remote', `${lab.server.ip}:${port}`, '--tolerance', String(tolerance), '--json', ...extra]);

  for (const testCase of CASES) {
    it(`${testCase.script} holds against Linux, and its mutated twin fails with the difference`, async () => {
      const file = path.join(LIBRARY, testCase.script);
      const source = readFileSync(file, 'utf8');
      expect(source.split('\n')[0]).toMatch(/^\/\/ \S/);
      const result = await run(file, testCase.port, [], testCase.tolerance);
      const { steps, summary } = parseRun(result.stdout);
      expect(summary.reason, result.stdout + result.stderr).toBeNull();
      expect(result.code).toBe(0);
      expect(steps.every((step) => step.ok)).toBe(true);
      expect(summary.skipped).toEqual([]);

      expect(source).toContain(testCase.mutation.from);
      const twin = path.join(dir, `twin-${testCase.script}`);
      writeFileSync(twin, source.replace(testCase.mutation.from, testCase.mutation.to));
      const mutatedLine = source.slice(0, source.indexOf(testCase.mutation.from) + testCase.mutation.from.indexOf('>')).split('\n').length;
      const failed = await run(twin, testCase.port, [], testCase.tolerance);
      const outcome = parseRun(failed.stdout);
      expect(failed.code, failed.stdout + failed.stderr).toBe(1);
      expect(outcome.summary.failed_line).toBe(mutatedLine);
      expect(outcome.summary.reason).toMatch(testCase.mutation.reason);
      const failedStep = outcome.steps.find((step) => !step.ok);
      expect(failedStep?.line).toBe(mutatedLine);
      expect(failedStep?.actual).not.toBeNull();
    }, 60_000);
  }

  it('the endpoint\'s states follow RFC 9293 through a half-close, and -w keeps each frame with its script line as comment (tshark reads it)', async () => {
    const pcap = path.join(dir, 'half-close.pcapng');
    const result = await run(path.join(LIBRARY, 'half-close.pkt'), PORTS.halfClose, ['-w', pcap]);
    const { steps } = parseRun(result.stdout);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(steps.map((step) => step.state)).toEqual(['SYN_SENT', 'ESTABLISHED', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'FIN_WAIT_2', 'FIN_WAIT_2', 'TIME_WAIT', 'TIME_WAIT']);
    if (!hasTshark) return;
    const rows = tsharkFields(pcap, ['tcp.flags.str', 'frame.comment', 'tcp.analysis.flags']);
    expect(rows).toHaveLength(9);
    expect(rows[0][1]).toMatch(/^script line 3: 0 +< S/);
    expect(rows[5][1]).toMatch(/^script line 8: .*"late"/);
    // tshark's own tracking finds nothing wrong with the conversation the endpoint held.
    expect(rows.every((row) => row[2] === '')).toBe(true);
  }, 60_000);

  it('a SYN with cookies forced (net.ipv4.tcp_syncookies=2 in the peer\'s namespace) completes: the peer counts one cookie sent and one validated', async () => {
    const nstat = () => {
      const text = lab.exec(lab.server.ns, 'cat', ['/proc/net/netstat']);
      const [names, values] = text.split('\n').filter((line) => line.startsWith('TcpExt:'));
      const table = Object.fromEntries(names.split(/\s+/).slice(1).map((name, i) => [name, Number(values.split(/\s+/)[i + 1])]));
      return { sent: table.SyncookiesSent, recv: table.SyncookiesRecv };
    };
    lab.exec(lab.server.ns, 'sysctl', ['-q', '-w', 'net.ipv4.tcp_syncookies=2']);
    try {
      const before = nstat();
      const result = await run(path.join(LIBRARY, 'syn-cookies.pkt'), PORTS.silent);
      const { summary } = parseRun(result.stdout);
      expect(summary.reason, result.stdout + result.stderr).toBeNull();
      expect(result.code).toBe(0);
      expect(summary.negotiated).toMatchObject({ mss: 1460, sack: true, timestamps: true, windowScale: { ours: 7, peers: 7 } });
      const after = nstat();
      expect(after.sent - before.sent).toBe(1);
      expect(after.recv - before.recv).toBe(1);
    } finally {
      lab.exec(lab.server.ns, 'sysctl', ['-q', '-w', 'net.ipv4.tcp_syncookies=1']);
    }
  }, 60_000);

  it('simultaneous open: the peer connects to our endpoint while our SYN goes to it; both reach ESTABLISHED', async () => {
    const localPort = 42500;
    const peerPort = 9008;
    const started = runScript(cli, helperPath, lab.client.ns, [
      path.join(LIBRARY, 'simultaneous-open.pkt'), '-i', lab.client.ifname, '--local', `${UNOWNED_LOCAL}:${localPort}`, '--remote', `${lab.server.ip}:${peerPort}`, '--tolerance', '50', '--json', '--wait', '8',
    ]);
    // The peer: an active open from the remote port to our endpoint, retried until the helper listens.
    const client = nodeInNamespace(
      lab.server.ns,
      `const net = require('net');
       const attempt = () => {
         const s = net.connect({ host: '${UNOWNED_LOCAL}', port: ${localPort}, localAddress: '${lab.server.ip}', localPort: ${peerPort} });
         s.on('connect', () => console.log('connected'));
         s.on('data', (d) => console.log('data ' + d));
         s.on('error', (e) => { console.log('error ' + e.code); setTimeout(attempt, 300); });
       };
       setTimeout(attempt, 1500);`,
    );
    try {
      const result = await started;
      const { steps, summary } = parseRun(result.stdout);
      expect(summary.reason, result.stdout + result.stderr + client.lines.join('\n')).toBeNull();
      expect(result.code).toBe(0);
      expect(steps.map((step) => step.state)).toEqual(['CLOSED', 'SYN_RECEIVED', 'ESTABLISHED', 'ESTABLISHED', 'ESTABLISHED', 'ESTABLISHED', 'ESTABLISHED']);
      // The peer's application saw the connection open and our data arrive.
      await client.waitFor(/data hello/);
    } finally {
      client.stop();
    }
  }, 60_000);

  it('runs a packetdrill-style server test unchanged: its system calls, %{ }% block and shell lines are reported as skipped, its packet lines run', async () => {
    const script = path.join(dir, 'packetdrill-style.pkt');
    writeFileSync(
      script,
      [
        '// Passive open with data: the kernel under test listens, we connect and send, it ACKs.',
        '`sysctl -q net.ipv4.tcp_timestamps=0`',
        '0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3',
        '+0  setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0',
        '+0  bind(3, ..., ...) = 0',
        '+0  listen(3, 1) = 0',
        '',
        '+0  < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>',
        '+0  > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 7>',
        '+.1 < . 1:1(0) ack 1 win 257',
        '+0  accept(3, ..., ...) = 4',
        '+0  < P. 1:1001(1000) ack 1 win 257',
        '+0~+.2 > . 1:1(0) ack 1001',
        '%{ assert tcpi_rto > 0 }%',
      ].join('\n'),
    );
    const result = await run(script, PORTS.silent);
    const { steps, summary } = parseRun(result.stdout);
    expect(summary.reason, result.stdout + result.stderr).toBeNull();
    expect(result.code).toBe(0);
    expect(steps.map((step) => step.line)).toEqual([8, 9, 10, 12, 13]);
    expect(summary.skipped.map((entry) => [entry.line, entry.reason])).toEqual([
      [2, 'shell command'],
      [3, 'system call'],
      [4, 'system call'],
      [5, 'system call'],
      [6, 'system call'],
      [11, 'system call'],
      [14, 'python block'],
    ]);
    // Without --json the skipped lines are said too, never dropped silently.
    const text = await runScript(cli, helperPath, lab.client.ns, [script, '-i', lab.client.ifname, '--local', `${UNOWNED_LOCAL}:${nextLocalPort++}`, '--remote', `${lab.server.ip}:${PORTS.silent}`, '--tolerance', '50']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('skipped line 3 (system call): 0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3');
    expect(text.stdout).toContain('every expectation held');
  }, 60_000);

  it('exit codes: 2 with file:line:column for a syntax error and for usage errors, 4 without capture permission, 1 naming expected beside actual', async () => {
    const bad = path.join(dir, 'bad.pkt');
    writeFileSync(bad, '0 < S 0:0(0) win 65535\n+0 > S. 0:0(0) ack 1 <mss 1460,wsc 7>\n');
    const syntax = await run(bad, PORTS.silent);
    expect(syntax.code).toBe(2);
    expect(syntax.stderr.trim()).toBe(`handshake run: ${bad}:2:32: unknown TCP option "wsc" (mss, sackOK, TS val N ecr N, nop, eol, wscale N, sack a:b)`);
    const usage = await runScript(cli, helperPath, lab.client.ns, [bad, '-i', lab.client.ifname, '--local', UNOWNED_LOCAL]);
    expect(usage.code).toBe(2);
    expect(usage.stderr.split('\n')[0]).toBe('handshake run: --remote ADDR:PORT is required: the peer under test');
    const denied = await runLiveCliDenied([path.join(LIBRARY, 'closed-port.pkt'), '-i', lab.client.ifname, '--local', UNOWNED_LOCAL, '--remote', `${lab.server.ip}:${PORTS.closed}`]);
    expect(denied.code).toBe(4);
    expect(denied.stderr).toMatch(/how to fix/);
    const failed = await runScript(cli, helperPath, lab.client.ns, [
      path.join(LIBRARY, 'closed-port.pkt'), '-i', lab.client.ifname, '--local', `${UNOWNED_LOCAL}:${nextLocalPort++}`, '--remote', `${lab.server.ip}:${PORTS.silent}`, '--tolerance', '50',
    ]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/expected  > R\. 0:0\(0\) ack 1 win 0\n\s+actual    > S\. 0:0\(0\) ack 1 win \d+ <mss 1460>\n\s+why       flags S\. instead of R\./);
  }, 60_000);

  it.skipIf(!hasIptables)('from an address this kernel owns, its RSTs for the 4-tuple are dropped while the script runs, and the rule is gone afterwards', async () => {
    const localPort = nextLocalPort++;
    const result = await runScript(cli, helperPath, lab.client.ns, [
      path.join(LIBRARY, 'handshake-data.pkt'), '-i', lab.client.ifname, '--local', `${lab.client.ip}:${localPort}`, '--remote', `${lab.server.ip}:${PORTS.silent}`, '--tolerance', '50', '--json',
    ]);
    const { summary } = parseRun(result.stdout);
    // Had the client's kernel reset the SYN+ACK, the peer would answer our data with an RST instead of its ACK.
    expect(summary.reason, result.stdout + result.stderr).toBeNull();
    expect(result.code).toBe(0);
    expect((summary as unknown as { kernel: string }).kernel).toBe('rst-suppressed');
    expect(lab.exec(lab.client.ns, 'iptables', ['-S', 'OUTPUT'])).not.toContain(`--sport ${localPort}`);
  }, 60_000);

  it.skipIf(!hasTshark)('a connection captured by tcpdump, exported with analyze --script, replays against the server and holds', async () => {
    const capture = path.join(dir, 'echo.pcap');
    const tcpdump = spawn('ip', ['netns', 'exec', lab.client.ns, 'tcpdump', '-i', lab.client.ifname, '--immediate-mode', '-U', '-w', capture, 'tcp port 9009'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let tcpdumpErr = '';
    tcpdump.stderr.on('data', (chunk: Buffer) => (tcpdumpErr += chunk.toString()));
    try {
      for (let waited = 0; !/listening on/.test(tcpdumpErr); waited += 50) {
        if (waited > 10_000) throw new Error(`tcpdump did not start: ${tcpdumpErr}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const client = nodeInNamespace(
        lab.client.ns,
        `const s = require('net').connect(${PORTS.echo}, '${lab.server.ip}', () => s.write('ping\\r\\n'));
         s.on('data', (d) => { console.log('got ' + d); setTimeout(() => s.end(), 50); }); s.on('error', (e) => console.log('error ' + e.code));
         s.on('close', () => console.log('closed'));`,
      );
      await client.waitFor(/got pong:ping/);
      await client.waitFor(/closed/);
      client.stop();
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      tcpdump.kill('SIGINT');
      await new Promise((resolve) => tcpdump.once('close', resolve));
    }
    const frames = tsharkFields(capture, ['ip.src', 'tcp.len']);
    expect(frames.length, `tcpdump: ${tcpdumpErr}`).toBeGreaterThanOrEqual(8);
    const exported = await runLiveCli(analyzeCli, helperPath, lab.client.ns, [capture, '--script', '0']);
    expect(exported.code, exported.stderr).toBe(0);
    const scriptFile = path.join(dir, 'echo.pkt');
    writeFileSync(scriptFile, exported.stdout);
    // Independent count: one script line per TCP frame tshark sees in the capture, directions by source address.
    const packetLines = exported.stdout.split('\n').filter((line) => /^\+\S+\s+[<>]/.test(line));
    expect(packetLines).toHaveLength(frames.length);
    packetLines.forEach((line, index) => expect(line.includes(' < '), line).toBe(frames[index][0] === lab.client.ip));
    expect(exported.stdout).toContain('"ping\\r\\n"');
    // Replayed from another address and port against the same server: the answers hold.
    const replay = await run(scriptFile, PORTS.echo, [], 100);
    const { summary } = parseRun(replay.stdout);
    expect(summary.reason, exported.stdout + replay.stdout + replay.stderr).toBeNull();
    expect(replay.code).toBe(0);
  }, 60_000);

  function runLiveCliDenied(args: string[]) {
    return runLiveCli(cli, helperPath, lab.client.ns, args, ['setpriv', '--inh-caps=-all', '--bounding-set=-all']);
  }
});
