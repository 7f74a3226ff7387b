/**
 * `handshake connect` and `handshake listen` against the Linux kernel in a test namespace: the
 * peer is a Node socket on the real stack, which reports what its kernel delivered (sha256 of the
 * bytes, FIN as 'end', RST as ECONNRESET). Loss is injected in the peer's namespace with
 * iptables' `statistic` match on both directions (this kernel has no sch_netem). Our endpoint
 * uses an address its own kernel does not own, so nothing but the endpoint speaks for it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleForTest } from '../../support/bundle';
import { peerScript, sha256 } from './peer';
import { buildHelper, canUseNamespaces, createVethLab, hasIptables, hasScapy, hasTshark, ndjson, nodeInNamespace, runLiveCli, SCAPY_PYTHON as SCAPY, sleep, startLiveCli, tsharkFields, type NodeInNamespace, type VethLab } from '../capture/support';

const UNOWNED = '198.18.0.11';
const hasEthtool = spawnSync('ethtool', ['--version']).status === 0;

describe.skipIf(!canUseNamespaces)('the user-space endpoint against Linux', () => {
  let lab: VethLab;
  let helperPath: string;
  let cli: string;
  let dir: string;
  let servers: NodeInNamespace[] = [];

  beforeAll(() => {
    helperPath = buildHelper();
    cli = bundleForTest('endpoint-cli', {
      source: `
        import { runConnect, runListen } from './electron/cli/commands/endpoint';
        const [command, ...rest] = process.argv.slice(2);
        (command === 'listen' ? runListen : runConnect)(rest).then((code) => { process.exitCode = code; });
      `,
    });
    dir = mkdtempSync(path.join(os.tmpdir(), 'hs-endpoint-'));
    lab = createVethLab('endp');
    // Segments as the MSS cuts them (no GSO/TSO super-frames), checksums complete.
    if (hasEthtool) for (const end of [lab.client, lab.server]) lab.exec(end.ns, 'ethtool', ['-K', end.ifname, 'tso', 'off', 'gso', 'off', 'gro', 'off', 'tx', 'off']);
  });
  afterAll(() => {
    for (const server of servers) server.stop();
    lab?.destroy();
    for (const file of [helperPath, cli]) if (file) rmSync(file, { force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const run = (args: string[]) => runLiveCli(cli, helperPath, lab.client.ns, [...args, '-i', lab.client.ifname, '--json']);
  const summaryOf = (stdout: string) => ndjson(stdout).find((record) => record.type === 'summary') as Record<string, unknown>;
  const start = (script: string) => {
    const peer = nodeInNamespace(lab.server.ns, script);
    servers.push(peer);
    return peer;
  };
  const loss = (port: number, probability: number) => {
    const rules = [
      ['INPUT', '-p', 'tcp', '--dport', String(port)],
      ['OUTPUT', '-p', 'tcp', '--sport', String(port)],
      ['INPUT', '-p', 'tcp', '--sport', String(port)],
      ['OUTPUT', '-p', 'tcp', '--dport', String(port)],
    ];
    for (const rule of rules) lab.exec(lab.server.ns, 'iptables', ['-A', ...rule, '-m', 'statistic', '--mode', 'random', '--probability', String(probability), '-j', 'DROP']);
    return () => {
      for (const rule of rules) lab.exec(lab.server.ns, 'iptables', ['-D', ...rule, '-m', 'statistic', '--mode', 'random', '--probability', String(probability), '-j', 'DROP']);
    };
  };
  const dropped = () => lab.exec(lab.server.ns, 'iptables', ['-L', '-v', '-x', '-n']).split('\n').filter((line) => line.includes('statistic')).reduce((sum, line) => sum + Number(line.trim().split(/\s+/)[0]), 0);

  it.skipIf(!hasIptables)('active open: 1 MiB each way with 3 % loss both ways, retransmission on; the peer\'s kernel delivers every byte, and so do we', async () => {
    const ours = path.join(dir, 'ours.bin');
    const theirs = path.join(dir, 'theirs.bin');
    const got = path.join(dir, 'got.bin');
    writeFileSync(ours, randomBytes(1 << 20));
    writeFileSync(theirs, randomBytes(1 << 20));
    const port = 7101;
    const peer = start(peerScript('server', lab.server.ip, port, theirs));
    await peer.waitFor(/listening/);
    const removeLoss = loss(port, 0.03);
    try {
      const result = await run(['connect', `${lab.server.ip}:${port}`, '--local', `${UNOWNED}:41001`, '--send-file', ours, '--receive-to', got, '--retransmit', '--min-rto', '200', '--timeout', '240']);
      const summary = summaryOf(result.stdout);
      expect(summary?.ok, result.stdout.slice(-2000) + result.stderr).toBe(true);
      expect(result.code).toBe(0);
      const end = await peer.waitFor(/^end /, 10_000);
      expect(end).toBe(`end ${1 << 20} ${sha256(readFileSync(ours))}`);
      expect(sha256(readFileSync(got))).toBe(sha256(readFileSync(theirs)));
      expect(summary.bytes_received).toBe(1 << 20);
      expect(summary.retransmissions as number).toBeGreaterThan(0);
      expect(dropped()).toBeGreaterThan(10);
      expect(peer.lines).not.toContain('error ECONNRESET');
    } finally {
      removeLoss();
    }
  }, 300_000);

  it.skipIf(!hasIptables)('passive open: a Linux client connects to our listening endpoint; 1 MiB each way with 3 % loss arrives whole', async () => {
    const ours = path.join(dir, 'ours-l.bin');
    const theirs = path.join(dir, 'theirs-l.bin');
    const got = path.join(dir, 'got-l.bin');
    writeFileSync(ours, randomBytes(1 << 20));
    writeFileSync(theirs, randomBytes(1 << 20));
    const port = 7102;
    const removeLoss = loss(port, 0.03);
    try {
      const listening = run(['listen', `${UNOWNED}:${port}`, '--send-file', ours, '--receive-to', got, '--retransmit', '--min-rto', '200', '--timeout', '240']);
      const peer = start(peerScript('client', UNOWNED, port, theirs));
      const result = await listening;
      const summary = summaryOf(result.stdout);
      expect(summary?.ok, result.stdout.slice(-2000) + result.stderr + peer.lines.join('\n')).toBe(true);
      expect(result.code).toBe(0);
      expect(summary.remote).toBe(`${lab.server.ip}:${(summary.remote as string).split(':')[1]}`);
      const end = await peer.waitFor(/^end /, 10_000);
      expect(end).toBe(`end ${1 << 20} ${sha256(readFileSync(ours))}`);
      expect(sha256(readFileSync(got))).toBe(sha256(readFileSync(theirs)));
    } finally {
      removeLoss();
    }
  }, 300_000);

  it('keepalive: our probes (SEQ = SND.NXT − 1) are answered by Linux, so the count never passes 1', async () => {
    const port = 7103;
    const peer = start(peerScript('server', lab.server.ip, port, ''));
    await peer.waitFor(/listening/);
    const result = await run(['connect', `${lab.server.ip}:${port}`, '--local', `${UNOWNED}:41003`, '--keepalive', '0.5', '--close-after', '2.8', '--segments']);
    const records = ndjson(result.stdout);
    expect(summaryOf(result.stdout)?.ok, result.stdout + result.stderr).toBe(true);
    const probes = records.filter((record) => record.type === 'keepalive');
    expect(probes.length).toBeGreaterThanOrEqual(3);
    expect(probes.every((probe) => probe.probe === 1)).toBe(true);
    // Each probe is answered by an ACK from Linux: a '>' segment right after each '<' probe.
    const segments = records.filter((record) => record.type === 'segment');
    const probeLines = segments.filter((record) => record.dir === '<' && /^\. 0:0\(0\)/.test(record.segment as string));
    expect(probeLines.length).toBe(probes.length);
    for (const probe of probeLines) {
      const answer = segments[segments.indexOf(probe) + 1];
      expect(answer?.dir).toBe('>');
      expect(answer?.segment).toMatch(/^\. 1:1\(0\) ack 1 /);
    }
    expect(await peer.waitFor(/^end 0 /)).toBeTruthy();
  }, 60_000);

  it('close with FIN: Linux sees the FIN (end) and the 4-tuple leaves its table; close with RST: Linux sees ECONNRESET', async () => {
    const port = 7104;
    const peer = start(peerScript('server', lab.server.ip, port, ''));
    await peer.waitFor(/listening/);
    const written = path.join(dir, 'fin.pcapng');
    const fin = await run(['connect', `${lab.server.ip}:${port}`, '--local', `${UNOWNED}:41004`, '--send', 'hello', '--close', 'fin', '--close-after', '0.2', '-w', written]);
    expect(summaryOf(fin.stdout)?.ok, fin.stdout + fin.stderr).toBe(true);
    expect(await peer.waitFor(/^end 5 /)).toBe(`end 5 ${sha256(new TextEncoder().encode('hello'))}`);
    expect(peer.lines.filter((line) => line === 'close')).toHaveLength(1);
    const states = ndjson(fin.stdout).filter((record) => record.type === 'state').map((record) => record.to);
    expect(states).toEqual(['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT', 'CLOSED']);
    if (hasTshark) {
      // -w keeps the conversation: tshark sees our SYN first, the 5 bytes, both FINs, and nothing its analysis objects to.
      const rows = tsharkFields(written, ['ip.src', 'tcp.flags.str', 'tcp.len', 'tcp.analysis.flags']);
      expect(rows[0].slice(0, 2)).toEqual([UNOWNED, '··········S·']);
      expect(rows.filter((row) => row[2] === '5')).toHaveLength(1);
      expect(rows.filter((row) => row[1].includes('F'))).toHaveLength(2);
      expect(rows.every((row) => row[3] === '')).toBe(true);
    }
    // ss: the server's side of 41004 is gone (it went LAST_ACK → CLOSED on our ACK).
    expect(lab.exec(lab.server.ns, 'ss', ['-tan', `( sport = :${port} and dport = :41004 )`]).trim().split('\n').slice(1)).toEqual([]);

    const rst = await run(['connect', `${lab.server.ip}:${port}`, '--local', `${UNOWNED}:41005`, '--send', 'bye', '--close', 'rst', '--close-after', '0.2']);
    expect(summaryOf(rst.stdout)?.ok, rst.stdout + rst.stderr).toBe(true);
    expect(await peer.waitFor(/^error ECONNRESET/)).toBeTruthy();
    expect(lab.exec(lab.server.ns, 'ss', ['-tan', `( sport = :${port} and dport = :41005 )`]).trim().split('\n').slice(1)).toEqual([]);
  }, 60_000);

  /** The CLI with a pipe on stdin, as a user at a terminal drives --step: lines are typed as the output asks for them. */
  const interactive = (args: string[]) => {
    const child = spawn(process.execPath, [cli, ...args, '-i', lab.client.ifname], {
      env: { ...process.env, HANDSHAKE_HELPER_PATH: helperPath, HANDSHAKE_HELPER_LAUNCHER: `ip netns exec ${lab.client.ns}` },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const done = new Promise<number | null>((resolve) => child.on('close', resolve));
    let seen = 0;
    return {
      type: (line: string) => child.stdin.write(`${line}\n`),
      get output() {
        return stdout + stderr;
      },
      get stdout() {
        return stdout;
      },
      get stderr() {
        return stderr;
      },
      /** The next output line (after those already taken) that matches. */
      async next(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
        for (let waited = 0; waited < timeoutMs; waited += 20) {
          const lines = stdout.split('\n');
          for (let i = seen; i < lines.length - 1; i++) {
            if (pattern.test(lines[i])) {
              seen = i + 1;
              return lines[i];
            }
          }
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        throw new Error(`no line matched ${pattern}; output:\n${stdout}${stderr}`);
      },
      done,
      interrupt: () => child.kill('SIGINT'),
      kill: () => child.kill('SIGKILL'),
    };
  };

  it('--step from a terminal: the SYN edited (win, options) before it leaves, a data segment skipped then retransmitted, close at the prompt; Linux and tshark see exactly that', async () => {
    const port = 7105;
    const peer = start(peerScript('server', lab.server.ip, port, ''));
    await peer.waitFor(/listening/);
    const written = path.join(dir, 'step.pcapng');
    const session = interactive(['connect', `${lab.server.ip}:${port}`, '--local', `${UNOWNED}:41007`, '--step', '--send', 'hello', '--retransmit', '--min-rto', '300', '-w', written]);
    try {
      expect(await session.next(/^step mode:/)).toMatch(/enter sends/);
      expect(await session.next(/^next /)).toMatch(/^next \(syn\): S 0:0\(0\) win \d+ <mss 1460,sackOK,TS val \d+ ecr 0,nop,wscale 7>$/);
      // Bad edits are refused with a reason, and nothing is sent.
      session.type('set win=70000');
      expect(await session.next(/^ {2}\? /)).toMatch(/win is the 16-bit window field/);
      session.type('frobnicate');
      expect(await session.next(/^ {2}\? /)).toMatch(/unknown command "frobnicate"/);
      session.type('set win=1000 options=<mss 536,nop,nop,sackOK>');
      expect(await session.next(/^next /)).toBe('next (syn, edited): S 0:0(0) win 1000 <mss 536,nop,nop,sackOK>');
      session.type('');
      expect(await session.next(/^sent: /)).toBe('sent: S 0:0(0) win 1000 <mss 536,nop,nop,sackOK>');
      // Linux answers; we offered neither timestamps nor window scaling, so neither is used after: the data (which ACKs the SYN+ACK) has no options.
      expect(await session.next(/^next /)).toMatch(/^next \(data\): P\. 1:6\(5\) ack 1 win \d+ "hello"$/);
      session.type('skip');
      expect(await session.next(/^skipped/)).toMatch(/^skipped \(counted as sent, kept off the wire\): P\. 1:6\(5\) ack 1 win \d+ "hello"$/);
      // Linux never got it: our retransmission timer proposes it again.
      expect(await session.next(/^next /)).toMatch(/^next \(retransmit\): P\. 1:6\(5\) ack 1 win \d+ "hello"$/);
      session.type('');
      await session.next(/^sent: P\. 1:6\(5\)/);
      expect(await peer.waitFor(/^accepted/)).toBeTruthy();
      // Linux's ACK of the 5 bytes leaves nothing to propose; enter now says so.
      await new Promise((resolve) => setTimeout(resolve, 300));
      session.type('');
      expect(await session.next(/^ {2}\? /)).toMatch(/nothing to send now \(ESTABLISHED\)/);
      session.type('close fin');
      expect(await session.next(/^next /)).toMatch(/^next \(fin\): F\. 6:6\(0\) ack 1 win \d+$/);
      session.type('');
      expect(await peer.waitFor(/^end /)).toBe(`end 5 ${sha256(new TextEncoder().encode('hello'))}`);
      // Linux's FIN is acknowledged at the prompt too; TIME_WAIT then ends the command.
      expect(await session.next(/^next /)).toMatch(/^next \(ack\): \. 7:7\(0\) ack 2 win \d+$/);
      session.type('');
      expect(await session.done).toBe(0);
      expect(session.output).toMatch(/^done: .*sent 5 of 5 bytes/m);
    } finally {
      session.kill();
    }
    if (hasTshark) {
      const rows = tsharkFields(written, ['ip.src', 'tcp.flags.str', 'tcp.window_size_value', 'tcp.options.mss_val', 'tcp.len', 'tcp.options.timestamp.tsval']);
      const ours = rows.filter((row) => row[0] === UNOWNED);
      // Our SYN as edited; the data once on the wire (the skipped copy never left); no timestamps anywhere.
      expect(ours[0].slice(1, 4)).toEqual(['··········S·', '1000', '536']);
      expect(ours.filter((row) => row[4] === '5')).toHaveLength(1);
      expect(rows.every((row) => row[5] === '')).toBe(true);
    }
  }, 60_000);

  it('listen --step: the SYN+ACK waits for enter (Linux stays unconnected until then), with the ISN set at the prompt; quit ends with exit 1', async () => {
    const port = 7106;
    const session = interactive(['listen', `${UNOWNED}:${port}`, '--step']);
    try {
      await session.next(/^step mode:/);
      const peer = start(peerScript('client', UNOWNED, port, ''));
      expect(await session.next(/^next /)).toMatch(/^next \(syn-ack\): S\. 0:0\(0\) ack 1 win \d+ <mss 1460,sackOK,TS val \d+ ecr \d+,nop,wscale 7>$/);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(peer.lines).not.toContain('connected');
      session.type('set seq=1000');
      expect(await session.next(/^next /)).toMatch(/^next \(syn-ack, edited\): S\. 1000:1000\(0\) ack 1 /);
      session.type('');
      await session.next(/^sent: S\. 1000:1000/);
      // Linux completes its connect on the edited SYN+ACK.
      expect(await peer.waitFor(/^connected/)).toBeTruthy();
      session.type('quit');
      expect(await session.done).toBe(1);
      expect(session.output).toMatch(/^failed: quit at the prompt/m);
    } finally {
      session.kill();
    }
  }, 60_000);

  const helperRules = () => lab.exec(lab.client.ns, 'iptables', ['-S', 'OUTPUT']).split('\n').filter((line) => line.includes('handshake-helper'));

  it.skipIf(!hasIptables)('listen on an address this host owns: its kernel\'s RSTs are dropped for the listening address, then for exactly the 4-tuple, and the rule is gone after exit', async () => {
    const port = 7107;
    expect(helperRules()).toEqual([]);
    const session = interactive(['listen', `${lab.client.ip}:${port}`, '--send', 'from an owned address', '--close-after', '1.5']);
    try {
      await session.next(/^this host owns /);
      expect(helperRules()).toEqual([expect.stringMatching(new RegExp(`-s ${lab.client.ip}/32 -p tcp -m tcp --sport ${port} --tcp-flags RST RST .*-j DROP`))]);
      const peer = start(peerScript('client', lab.client.ip, port, ''));
      await peer.waitFor(/^connected/);
      // While the conversation lives, the only rule is the 4-tuple's (the Linux client's ephemeral port).
      const local = lab.exec(lab.server.ns, 'ss', ['-tnH', 'state', 'established', `( dport = :${port} )`]).trim().split(/\s+/)[2];
      const clientPort = local?.split(':').pop();
      let rules = helperRules();
      for (let waited = 0; rules.length !== 1 || !rules[0].includes('-d '); waited += 50) {
        if (waited > 5000) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
        rules = helperRules();
      }
      expect(rules).toEqual([expect.stringMatching(new RegExp(`-s ${lab.client.ip}/32 -d ${lab.server.ip}/32 -p tcp -m tcp --sport ${port} --dport ${clientPort} `))]);
      expect(await peer.waitFor(/^end /)).toBe('end 21 ' + sha256(new TextEncoder().encode('from an owned address')));
      expect(await session.done).toBe(0);
      expect(peer.lines).not.toContain('error ECONNRESET');
      expect(peer.lines).not.toContain('error ECONNREFUSED');
    } finally {
      session.kill();
    }
    expect(helperRules()).toEqual([]);
  }, 60_000);

  /** The helper's rules for 4-tuples (with a destination), once they settle to `count`. */
  const tupleRules = async (count: number) => {
    let rules = helperRules();
    for (let waited = 0; waited < 5000 && (rules.length !== count || !rules.every((rule) => rule.includes('-d '))); waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      rules = helperRules();
    }
    return rules;
  };
  const clientPorts = (port: number) =>
    lab
      .exec(lab.server.ns, 'ss', ['-tnH', 'state', 'established', `( dport = :${port} )`])
      .trim()
      .split('\n')
      .map((line) => line.trim().split(/\s+/)[2]?.split(':').pop())
      .filter((text): text is string => Boolean(text))
      .sort();

  it.skipIf(!hasIptables)('listen --connections 2 on an owned address: two Linux clients served at once, each its own conversation and 4-tuple rule, none left after', async () => {
    const port = 7110;
    const payloads = ['one\r\n', 'two two\r\n'];
    const files = payloads.map((text, i) => {
      const file = path.join(dir, `client-${i}.txt`);
      writeFileSync(file, text);
      return file;
    });
    const receiveTo = path.join(dir, 'many');
    const session = interactive(['listen', `${lab.client.ip}:${port}`, '--connections', '2', '--send', 'hello\r\n', '--close-after', '1.5', '--receive-to', receiveTo]);
    try {
      await session.next(/^listening on .* for 2 connections/);
      await session.next(/^this host owns /);
      const first = start(peerScript('client', lab.client.ip, port, files[0]));
      await first.waitFor(/^connected/);
      const second = start(peerScript('client', lab.client.ip, port, files[1]));
      await second.waitFor(/^connected/);
      // Both live: one rule per 4-tuple (each Linux client's port), the listening address's gone.
      const ports = clientPorts(port);
      expect(ports).toHaveLength(2);
      const rules = await tupleRules(2);
      expect(rules.map((rule) => rule.match(/--dport (\d+)/)?.[1]).sort()).toEqual(ports);
      for (const rule of rules) expect(rule).toMatch(new RegExp(`-s ${lab.client.ip}/32 -d ${lab.server.ip}/32 -p tcp -m tcp --sport ${port} `));
      // Each client read our bytes and saw our FIN; each of its bytes reached its own conversation.
      const hello = 'end 7 ' + sha256(new TextEncoder().encode('hello\r\n'));
      expect(await first.waitFor(/^end /)).toBe(hello);
      expect(await second.waitFor(/^end /)).toBe(hello);
      expect(await session.done).toBe(0);
      const received = [readFileSync(`${receiveTo}.1`, 'latin1'), readFileSync(`${receiveTo}.2`, 'latin1')].sort();
      expect(received).toEqual([...payloads].sort());
      expect(session.output).toMatch(/^done: 2 of 2 connections ended as asked/m);
      for (const peer of [first, second]) expect(peer.lines.filter((line) => line.startsWith('error'))).toEqual([]);
    } finally {
      session.kill();
    }
    expect(helperRules()).toEqual([]);
  }, 60_000);

  it('listen --connections 2 --receive-to -: each connection\'s lines on stdout after its peer, status lines on stderr', async () => {
    const port = 7112;
    const payloads = ['GET /one HTTP/1.0\r\nHost: a\r\n\r\n', 'second\nclient\nno line break at the end'];
    const files = payloads.map((text, i) => {
      const file = path.join(dir, `stdout-client-${i}.txt`);
      writeFileSync(file, text);
      return file;
    });
    const session = interactive(['listen', `${UNOWNED}:${port}`, '--connections', '2', '--close-after', '1', '--receive-to', '-']);
    try {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const clients = files.map((file) => start(peerScript('client', UNOWNED, port, file)));
      for (const client of clients) await client.waitFor(/^connected/);
      expect(await session.done).toBe(0);
      const stdout = session.stdout;
      // Every stdout line names its peer; put back together per peer, each is exactly what that client sent.
      const byPeer = new Map<string, string>();
      for (const line of stdout.split(/(?<=\n)/)) {
        const match = /^\[(198\.18\.0\.2:\d+)\] ([\s\S]*)$/.exec(line);
        expect(match, `stdout line ${JSON.stringify(line)}`).not.toBeNull();
        byPeer.set(match?.[1] ?? '', (byPeer.get(match?.[1] ?? '') ?? '') + (match?.[2] ?? ''));
      }
      expect([...byPeer.values()].sort()).toEqual([payloads[0], `${payloads[1]}\n`].sort());
      expect(session.stderr).toMatch(/^done: 2 of 2 connections ended as asked/m);
    } finally {
      session.kill();
    }
  }, 60_000);

  it('listen --connections 2 --step: each peer\'s SYN+ACK waits at its own prompt, "@K" aims a line at connection K', async () => {
    const port = 7113;
    const session = interactive(['listen', `${UNOWNED}:${port}`, '--connections', '2', '--step']);
    try {
      await session.next(/^several connections: "@K LINE"/);
      const first = start(peerScript('client', UNOWNED, port, ''));
      const one = await session.next(/^\[1 198\.18\.0\.2:\d+\] next /);
      expect(one).toMatch(/^\[1 198\.18\.0\.2:\d+\] next \(syn-ack\): S\. 0:0\(0\) ack 1 win \d+ </);
      const second = start(peerScript('client', UNOWNED, port, ''));
      expect(await session.next(/^\[2 198\.18\.0\.2:\d+\] next /)).toMatch(/next \(syn-ack\): S\. 0:0\(0\)/);
      await new Promise((resolve) => setTimeout(resolve, 500));
      // Nothing sent yet: neither Linux client is connected.
      expect(first.lines).not.toContain('connected');
      expect(second.lines).not.toContain('connected');
      session.type('@1 set win=1000');
      expect(await session.next(/^\[1 .*\] next /)).toMatch(/next \(syn-ack, edited\): S\. 0:0\(0\) ack 1 win 1000 /);
      session.type('@1');
      await session.next(/^\[1 .*\] sent: S\. 0:0\(0\) ack 1 win 1000 /);
      await first.waitFor(/^connected/);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(second.lines).not.toContain('connected');
      session.type('@2');
      await session.next(/^\[2 .*\] sent: S\. /);
      await second.waitFor(/^connected/);
      // Connection 1 reset at its prompt: only its Linux client sees it.
      session.type('@1 close rst');
      await session.next(/^\[1 .*\] next \(rst\)/);
      session.type('@1');
      await session.next(/^\[1 .*\] sent: R/);
      await first.waitFor(/^error ECONNRESET/);
      session.type('@3 close');
      await session.next(/^ {2}\? no connection 3 \(2 accepted so far\)/);
      expect(second.lines.filter((line) => line.startsWith('error'))).toEqual([]);
      session.type('quit');
      expect(await session.done).toBe(1);
    } finally {
      session.kill();
    }
  }, 60_000);

  it.skipIf(!hasIptables)('listen --connections 2, interrupted (SIGINT) with both live: both reset by us, every rule removed', async () => {
    const port = 7111;
    const session = interactive(['listen', `${lab.client.ip}:${port}`, '--connections', '2', '--close-after', '60']);
    try {
      await session.next(/^this host owns /);
      const first = start(peerScript('client', lab.client.ip, port, ''));
      await first.waitFor(/^connected/);
      const second = start(peerScript('client', lab.client.ip, port, ''));
      await second.waitFor(/^connected/);
      expect(await tupleRules(2)).toHaveLength(2);
      session.interrupt();
      expect(await session.done).toBe(1);
      expect(session.output).toMatch(/\] failed: interrupted/);
      expect(await first.waitFor(/^error ECONNRESET/)).toBeTruthy();
      expect(await second.waitFor(/^error ECONNRESET/)).toBeTruthy();
    } finally {
      session.kill();
    }
    expect(helperRules()).toEqual([]);
  }, 60_000);

  it.skipIf(!hasIptables)('listen on an owned address, interrupted (SIGINT) mid-conversation: the rule is removed on the way out', async () => {
    const port = 7108;
    const session = interactive(['listen', `${lab.client.ip}:${port}`, '--close-after', '60']);
    try {
      await session.next(/^this host owns /);
      const peer = start(peerScript('client', lab.client.ip, port, ''));
      await peer.waitFor(/^connected/);
      // The listening rule gives way to the 4-tuple's just after the handshake: wait until it has.
      expect(await tupleRules(1)).toHaveLength(1);
      session.interrupt();
      expect(await session.done).toBe(1);
      expect(session.output).toMatch(/interrupted/);
      // Interrupted in ESTABLISHED, the endpoint resets the connection: Linux sees our RST, not its kernel's.
      expect(await peer.waitFor(/^error ECONNRESET/)).toBeTruthy();
    } finally {
      session.kill();
    }
    expect(helperRules()).toEqual([]);
  }, 60_000);

  it.skipIf(!hasScapy || !hasIptables)('PAWS: a segment Scapy sends with a TSval older than the last one is answered with a duplicate ACK and its bytes are not taken', async () => {
    const port = 7120;
    const sport = 40123;
    const receiveTo = path.join(dir, 'paws.bin');
    // Scapy is the peer: its own kernel would reset our SYN+ACK, so its RSTs from that port are dropped.
    const rule = ['OUTPUT', '-p', 'tcp', '--sport', String(sport), '--tcp-flags', 'RST', 'RST', '-j', 'DROP'];
    lab.exec(lab.server.ns, 'iptables', ['-A', ...rule]);
    try {
      const listening = startLiveCli(cli, helperPath, lab.client.ns, ['listen', `${UNOWNED}:${port}`, '-i', lab.client.ifname, '--json', '--receive-to', receiveTo, '--close-after', '30', '--timeout', '8']);
      await sleep(1500);
      const script = `
from scapy.all import *
conf.verb = 0
conf.iface = '${lab.server.ifname}'
ip = IP(src='${lab.server.ip}', dst='${UNOWNED}')
def seg(flags, seq, ack, tsval, tsecr, data=b''):
    return ip/TCP(sport=${sport}, dport=${port}, flags=flags, seq=seq, ack=ack, window=502, options=[('NOP', None), ('NOP', None), ('Timestamp', (tsval, tsecr))])/data
synack = sr1(ip/TCP(sport=${sport}, dport=${port}, flags='S', seq=1000, window=64240, options=[('MSS', 1460), ('SAckOK', b''), ('Timestamp', (5000, 0)), ('NOP', None), ('WScale', 7)]), timeout=5)
ours = synack[TCP].seq + 1
ecr = dict(synack[TCP].options)['Timestamp'][0]
send(seg('A', 1001, ours, 5001, ecr))
for name, seq, tsval, data in [('new', 1001, 6000, b'new'), ('old', 1004, 5500, b'old'), ('next', 1004, 6001, b'end')]:
    answer = sr1(seg('PA', seq, ours, tsval, ecr, data), timeout=5)
    print(name, answer[TCP].ack - 1000, answer[TCP].flags, flush=True)
`;
      const result = spawnSync('ip', ['netns', 'exec', lab.server.ns, SCAPY, '-c', script], { encoding: 'utf8', timeout: 30_000 });
      expect(result.stderr).toBe('');
      // Relative to the peer's ISN: "new" taken (ack 4), "old" dropped with the same ACK, "end" taken (ack 7).
      expect(result.stdout.trim().split('\n')).toEqual(['new 4 A', 'old 4 A', 'next 7 A']);
      const done = await listening.done;
      const summary = summaryOf(done.stdout);
      expect(summary).toMatchObject({ bytes_received: 6, paws_dropped: 1 });
      expect(readFileSync(receiveTo, 'latin1')).toBe('newend');
    } finally {
      lab.exec(lab.server.ns, 'iptables', ['-D', ...rule]);
    }
  }, 60_000);

  it.skipIf(!hasScapy || !hasIptables)('PAWS: with timestamps negotiated, a data segment Scapy sends without TSopt gets no answer and its bytes are not taken (RFC 7323 §3.2)', async () => {
    const port = 7121;
    const sport = 40124;
    const receiveTo = path.join(dir, 'paws-nots.bin');
    const rule = ['OUTPUT', '-p', 'tcp', '--sport', String(sport), '--tcp-flags', 'RST', 'RST', '-j', 'DROP'];
    lab.exec(lab.server.ns, 'iptables', ['-A', ...rule]);
    try {
      const listening = startLiveCli(cli, helperPath, lab.client.ns, ['listen', `${UNOWNED}:${port}`, '-i', lab.client.ifname, '--json', '--receive-to', receiveTo, '--close-after', '30', '--timeout', '8']);
      await sleep(1500);
      const script = `
from scapy.all import *
conf.verb = 0
conf.iface = '${lab.server.ifname}'
ip = IP(src='${lab.server.ip}', dst='${UNOWNED}')
def seg(flags, seq, ack, ts, data=b''):
    options = [('NOP', None), ('NOP', None), ('Timestamp', ts)] if ts else []
    return ip/TCP(sport=${sport}, dport=${port}, flags=flags, seq=seq, ack=ack, window=502, options=options)/data
synack = sr1(ip/TCP(sport=${sport}, dport=${port}, flags='S', seq=1000, window=64240, options=[('MSS', 1460), ('SAckOK', b''), ('Timestamp', (5000, 0)), ('NOP', None), ('WScale', 7)]), timeout=5)
ours = synack[TCP].seq + 1
ecr = dict(synack[TCP].options)['Timestamp'][0]
send(seg('A', 1001, ours, (5001, ecr)))
for name, seq, ts, data in [('new', 1001, (6000, ecr), b'new'), ('bare', 1004, None, b'bad'), ('next', 1004, (6001, ecr), b'end')]:
    answer = sr1(seg('PA', seq, ours, ts, data), timeout=1.5)
    print(name, 'none' if answer is None else answer[TCP].ack - 1000, flush=True)
`;
      const result = spawnSync('ip', ['netns', 'exec', lab.server.ns, SCAPY, '-c', script], { encoding: 'utf8', timeout: 30_000 });
      expect(result.stderr).toBe('');
      // "bare" is dropped silently (no ACK at all); "next", at the same sequence number, is taken.
      expect(result.stdout.trim().split('\n')).toEqual(['new 4', 'bare none', 'next 7']);
      const done = await listening.done;
      const summary = summaryOf(done.stdout);
      expect(summary).toMatchObject({ bytes_received: 6, paws_dropped: 0, no_timestamp_dropped: 1 });
      expect(ndjson(done.stdout).some((record) => record.type === 'dropped' && /no TSopt/.test(String(record.why)))).toBe(true);
      expect(readFileSync(receiveTo, 'latin1')).toBe('newend');
    } finally {
      lab.exec(lab.server.ns, 'iptables', ['-D', ...rule]);
    }
  }, 60_000);

  it('a closed port: the SYN is answered with RST/ACK and the command says "refused" with exit code 1', async () => {
    const result = await run(['connect', `${lab.server.ip}:7199`, '--local', `${UNOWNED}:41006`]);
    const summary = summaryOf(result.stdout);
    expect(result.code).toBe(1);
    expect(summary.closed).toMatch(/refused/);
  }, 30_000);
});

describe('connect / listen usage errors', () => {
  let cli: string;
  beforeAll(() => {
    cli = bundleForTest('endpoint-usage-cli', {
      source: `
        import { runConnect, runListen } from './electron/cli/commands/endpoint';
        const [command, ...rest] = process.argv.slice(2);
        (command === 'listen' ? runListen : runConnect)(rest).then((code) => { process.exitCode = code; });
      `,
    });
  });
  afterAll(() => rmSync(cli, { force: true }));

  const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

  it.each([
    [['connect', '198.18.0.2:80', '--local', '198.18.0.11'], /-i IFACE is required/],
    [['connect', '198.18.0.2:80', '-i', 'lo'], /--local ADDR\[:PORT\] is required/],
    [['connect', '198.18.0.2', '-i', 'lo', '--local', '198.18.0.11'], /needs a port/],
    [['connect', '198.18.0.2:80', '-i', 'lo', '--local', '198.18.0.11', '--close', 'maybe'], /--close takes fin or rst/],
    [['connect', '198.18.0.2:80', '-i', 'lo', '--local', '198.18.0.11', '--wscale', '15'], /--wscale must be 0..14/],
    [['connect', '198.18.0.2:80', '-i', 'lo', '--local', '::1'], /same IP version/],
    [['listen', '198.18.0.11:80', '-i', 'lo', '--local', '198.18.0.1'], /not --local/],
  ])('%j is a usage error (exit 2, one line, then the usage)', (args, message) => {
    const result = run(args);
    expect(result.status).toBe(2);
    const [first, ...rest] = result.stderr.trimEnd().split('\n');
    expect(first).toMatch(new RegExp(`^handshake (connect|listen): `));
    expect(first).toMatch(message);
    expect(rest.every((line) => line.startsWith('  '))).toBe(true);
  });

  it('an unreadable --send-file is exit 3', () => {
    const result = run(['connect', '198.18.0.2:80', '-i', 'lo', '--local', '198.18.0.11', '--send-file', '/nonexistent/file']);
    expect(result.status).toBe(3);
    expect(result.stderr).toMatch(/^handshake connect: \/nonexistent\/file: no such file/);
  });
});
