/**
 * `handshake capture --remote` and `interfaces --remote` against a real sshd (Debian's
 * openssh-server) running in the server namespace with its own config and test keys, reached by
 * the system's ssh client from the client namespace. The oracles: tshark reading the file the
 * remote capture wrote, tcpdump capturing the same exchange locally (paired by `compare`), and
 * the failures each broken setup really produces.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, ndjson, runCli } from '../../support/cli';
import { createVethLab, canUseNamespaces, hasTshark, type VethLab } from '../capture/support';
import { createSshLab, type SshLab } from '../../support/ssh-lab';

const tools = ['/usr/sbin/sshd', '/usr/bin/ssh', '/usr/bin/ssh-keygen', '/usr/bin/sudo', '/usr/sbin/useradd'];
const missingTool = tools.find((tool) => !existsSync(tool));
const skipReason = !canUseNamespaces ? 'needs root and network namespaces' : !hasTshark ? 'tshark is not installed' : missingTool ? `${missingTool} is not installed` : null;
const TEST_USER = `hwssh${process.pid % 100000}`;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(skipReason !== null)(`remote capture over SSH${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let lab: VethLab;
  let dir: string;
  let cli: string;
  const config = (name: string) => path.join(dir, name);

  /** Runs the command inside the client namespace, where ssh reaches the server's sshd. */
  const handshake = (args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const child = spawn('ip', ['netns', 'exec', lab.client.ns, process.execPath, cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });

  let ssh: SshLab;
  const sshConfig = (name: string, host: string, user: string, port: number, knownHosts?: string): string => ssh.clientConfig(name, host, user, port, knownHosts);

  beforeAll(async () => {
    cli = buildCli();
    dir = mkdtempSync(path.join(tmpdir(), 'hw-remote-'));
    chmodSync(dir, 0o755);
    lab = createVethLab('ssh');
    ssh = createSshLab(dir, lab.server.ns, lab.server.ip);
    // An unprivileged account for the permission cases (no sudo rule, so sudo wants a password).
    execFileSync('useradd', ['--no-create-home', '--home-dir', dir, '--shell', '/bin/sh', TEST_USER]);
    execFileSync('usermod', ['--password', '*', TEST_USER]); // key login only, but not "locked"
    await ssh.startSshd(22);
    // The same host with a PATH where no capture tool is found.
    await ssh.startSshd(2222, ['SetEnv PATH=/nonexistent']);
  }, 60_000);

  afterAll(() => {
    ssh?.stop();
    lab?.destroy();
    spawnSync('userdel', [TEST_USER], { stdio: 'ignore' });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists the remote interfaces with their addresses', async () => {
    const run = await handshake(['interfaces', '--remote', 'lab', '--ssh-config', sshConfig('root.conf', 'lab', 'root', 22), '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const interfaces = ndjson(run.stdout) as Array<{ name: string; addresses: Array<{ address: string }> }>;
    const server = interfaces.find((entry) => entry.name === lab.server.ifname);
    expect(server?.addresses.map((a) => a.address)).toContain(lab.server.ip);
  });

  it('captures on the remote host into the local pipeline, leaving its own SSH connection out, paired with a local capture by compare', async () => {
    const remoteFile = config('remote.pcapng');
    const localFile = config('local.pcap');
    const cfg = sshConfig('root.conf', 'lab', 'root', 22);
    const capture = spawn('ip', ['netns', 'exec', lab.client.ns, process.execPath, cli, 'capture', '--remote', 'lab', '--ssh-config', cfg, '-i', lab.server.ifname, '-w', remoteFile, '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    capture.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    capture.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const local = spawn('ip', ['netns', 'exec', lab.client.ns, 'tcpdump', '-i', lab.client.ifname, '--immediate-mode', '-U', '-w', localFile, 'tcp port 8000'], { stdio: ['ignore', 'ignore', 'pipe'] });
    for (let waited = 0; !/remote filter:/.test(stderr); waited += 100) {
      if (waited > 20_000 || capture.exitCode !== null) throw new Error(`remote capture did not start: ${stderr}`);
      await sleep(100);
    }
    expect(stderr).toMatch(/capturing on lab:\S+ \(Ethernet\) over ssh/);
    // The filter applied remotely names the capture's own SSH connection (excluded by default).
    expect(stderr).toMatch(new RegExp(`remote filter: not \\(host ${lab.client.ip.replace(/\./g, '\\.')} and host ${lab.server.ip.replace(/\./g, '\\.')} and tcp port \\d+ and tcp port 22\\)`));
    await sleep(500);
    // A real HTTP exchange between the namespaces.
    const server = spawn('ip', ['netns', 'exec', lab.server.ns, '/usr/bin/python3', '-m', 'http.server', '--bind', lab.server.ip, '8000'], { stdio: 'ignore', cwd: dir });
    await sleep(800);
    lab.exec(lab.client.ns, '/usr/bin/python3', ['-c', `import urllib.request; urllib.request.urlopen('http://${lab.server.ip}:8000/').read()`]);
    await sleep(1000);
    server.kill('SIGTERM');
    // Frames sent just before the stop are still in the capture (the remote tool hands over its last block first).
    lab.exec(lab.client.ns, '/usr/bin/python3', ['-c', `import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nfor i in range(3): s.sendto(b'last', ('${lab.server.ip}', 9))`]);
    capture.kill('SIGINT');
    local.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => capture.on('close', resolve));
    expect(stderr).not.toMatch(/error|Error/);
    expect(code).toBe(0);
    const lastFrames = execFileSync('tshark', ['-r', remoteFile, '-Y', 'udp.dstport == 9 && !icmp'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
    expect(lastFrames).toHaveLength(3);
    // The remote tcpdump's own count at its exit: every frame it captured is in the file, as tshark counts it.
    const counted = /tcpdump on lab:\S+ says: (\d+) packets captured, \d+ packets received by filter, (\d+) packets dropped by kernel/.exec(stderr);
    expect(counted, stderr).not.toBeNull();
    const inFile = execFileSync('tshark', ['-r', remoteFile, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' }).trim().split('\n').length;
    expect(Number(counted![1])).toBe(inFile);
    expect(counted![2]).toBe('0');
    // The incoming stream was kept beside the file while it was read, and is gone now.
    expect(readdirSync(dir).filter((name) => name.startsWith('handshake-remote-'))).toEqual([]);
    // The file holds the exchange, and no frame of the capture's own SSH session.
    const fields = execFileSync('tshark', ['-r', remoteFile, '-T', 'fields', '-e', 'tcp.srcport', '-e', 'tcp.dstport', '-e', 'http.request.method'], { encoding: 'utf8' });
    expect(fields).toMatch(/\tGET/);
    expect(fields.split('\n').filter((line) => /(^|\t)22(\t|$)/.test(line))).toEqual([]);
    const idb = execFileSync('tshark', ['-r', remoteFile, '-T', 'fields', '-e', 'frame.interface_name', '-c', '1'], { encoding: 'utf8' }).trim();
    expect(idb).toBe(`lab:${lab.server.ifname}`);
    // The live pipeline decoded it as it came (decode --json lines).
    expect(ndjson(stdout).some((frame) => frame['tcp.dstport'] === 8000)).toBe(true);
    // Seen from both ends: the local tcpdump and the remote capture pair up.
    const compared = await runCli(cli, ['compare', localFile, remoteFile, '--json']);
    const pairs = ndjson(compared.stdout).filter((o) => o.type === 'comparison');
    expect(pairs).toHaveLength(1);
    expect(pairs[0]).toMatchObject({ lost: [], injected: [], server: `${lab.server.ip}:8000` });
  }, 60_000);

  it('records a local interface and the remote host in one session: one pcapng, one interface per point, compared from that one file', async () => {
    const file = config('two-points.pcapng');
    const cfg = sshConfig('root.conf', 'lab', 'root', 22);
    const capture = spawn(
      'ip',
      ['netns', 'exec', lab.client.ns, process.execPath, cli, 'capture', '-i', lab.client.ifname, '-i', `ssh://lab/${lab.server.ifname}`, '--ssh-config', cfg, '-f', 'tcp port 8001', '-w', file, '--events'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    capture.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    capture.stdout.resume();
    for (let waited = 0; !/remote filter/.test(stderr); waited += 100) {
      if (waited > 20_000 || capture.exitCode !== null) throw new Error(`capture did not start: ${stderr}`);
      await sleep(100);
    }
    expect(stderr).toMatch(/capturing at 2 points at once/);
    await sleep(500);
    const server = spawn('ip', ['netns', 'exec', lab.server.ns, '/usr/bin/python3', '-m', 'http.server', '--bind', lab.server.ip, '8001'], { stdio: 'ignore', cwd: dir });
    await sleep(800);
    lab.exec(lab.client.ns, '/usr/bin/python3', ['-c', `import urllib.request; urllib.request.urlopen('http://${lab.server.ip}:8001/').read()`]);
    await sleep(1000);
    server.kill('SIGTERM');
    capture.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => capture.on('close', resolve));
    expect(code, stderr).toBe(0);
    // tshark reads two interfaces, named host:iface, each holding the whole exchange.
    const lines = execFileSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.interface_name', '-e', 'tcp.flags.str'], { encoding: 'utf8' }).trim().split('\n');
    const names = [...new Set(lines.map((line) => line.split('\t')[0]))].sort();
    const localName = execFileSync('ip', ['netns', 'exec', lab.client.ns, 'hostname'], { encoding: 'utf8' }).trim();
    expect(names).toEqual([`${localName}:${lab.client.ifname}`, `lab:${lab.server.ifname}`].sort());
    const perPoint = (name: string) => lines.filter((line) => line.startsWith(`${name}\t`)).length;
    expect(perPoint(`lab:${lab.server.ifname}`)).toBe(perPoint(`${localName}:${lab.client.ifname}`));
    expect(stderr).toMatch(new RegExp(`${localName}:${lab.client.ifname} \\d+, lab:${lab.server.ifname} \\d+\\)`));
    // One file, two points: compare pairs every segment, nothing lost, nothing injected.
    const compared = await runCli(cli, ['compare', file, '--json']);
    expect(compared.code, compared.stderr).toBe(0);
    const pairs = ndjson(compared.stdout).filter((o) => o.type === 'comparison');
    expect(pairs).toHaveLength(1);
    expect(pairs[0]).toMatchObject({ lost: [], injected: [], server: `${lab.server.ip}:8001` });
    const summary = ndjson(compared.stdout).at(-1) as { a: string; b: string };
    expect([summary.a, summary.b]).toEqual([`${localName}:${lab.client.ifname}`, `lab:${lab.server.ifname}`]);
  }, 60_000);

  const failures: Array<[string, () => string[], RegExp, number]> = [
    ['the host is unreachable', () => ['--remote', 'root@198.18.0.77', '--ssh-config', sshConfig('plain.conf', 'nothing', 'root', 22)], /^handshake capture: root@198\.18\.0\.77 is unreachable: .*(No route to host|timed out)/, 1],
    ['the host key is unknown', () => ['--remote', 'lab', '--ssh-config', sshConfig('nokey.conf', 'lab', 'root', 22, '/dev/null')], /^handshake capture: lab's host key is not known to ssh/, 1],
    ['tcpdump is missing', () => ['--remote', 'lab', '--ssh-config', sshConfig('nopath.conf', 'lab', 'root', 2222)], /^handshake capture: tcpdump is not installed on lab/, 1],
    ['sudo wants a password', () => ['--remote', 'lab', '--sudo', '--ssh-config', sshConfig('user.conf', 'lab', TEST_USER, 22)], /^handshake capture: sudo on lab wants a password/, 4],
    ['the remote user may not capture', () => ['--remote', 'lab', '--ssh-config', sshConfig('user.conf', 'lab', TEST_USER, 22)], /^handshake capture: lab: no permission to capture on /, 4],
  ];
  for (const [name, args, message, exitCode] of failures) {
    it(`says in one line when ${name} (exit ${exitCode})`, async () => {
      const run = await handshake(['capture', ...args(), '-i', lab?.server.ifname ?? 'eth0', '-c', '1']);
      expect(run.stderr.split('\n')[0]).toMatch(message);
      expect(run.code).toBe(exitCode);
    }, 30_000);
  }
});
