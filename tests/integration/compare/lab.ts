/**
 * A three-namespace path for comparing captures: client ─ router ─ server, each link a veth pair
 * with offloads off, and tcpdump recording at the client's and the server's interface (the two
 * capture points). The router either relays Ethernet frames in user space with a delay and
 * chosen drops (tests/fixtures/scripts/delay_relay.py; client and server share one subnet), or
 * routes with iptables rewriting on the way (SNAT, MSS clamp, TTL, an injected RST).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../support/bundle';

export const PYTHON = '/usr/bin/python3';
export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
export const hasTool = (command: string, args: string[] = ['--version']): boolean => spawnSync(command, args, { stdio: 'ignore' }).status === 0;
export const labMissing = (): string | null => {
  if (!isRoot || process.platform !== 'linux') return 'needs root on Linux (network namespaces)';
  for (const [tool, args] of [['ip', ['-V']], ['tcpdump', ['--version']], ['ethtool', ['--version']], ['iptables', ['-V']], ['tshark', ['-v']], ['editcap', ['-h']]] as const) {
    if (!hasTool(tool, [...args])) return `${tool} is not installed`;
  }
  if (!existsSync(PYTHON)) return `${PYTHON} is missing`;
  return null;
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const run = (command: string, args: string[]): string => execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

export interface PathLab {
  client: { ns: string; ifname: string; ip: string };
  server: { ns: string; ifname: string; ip: string };
  router: { ns: string; toClient: string; toServer: string };
  exec(ns: string, command: string, args: string[]): string;
  /** Starts tcpdump at both points; resolves once both are listening. */
  startCaptures(aFile: string, bFile: string): Promise<() => Promise<void>>;
  destroy(): void;
}

export function createPathLab(mode: 'relay' | 'routed'): PathLab {
  const suffix = randomBytes(3).toString('hex');
  const client = { ns: `hw-cmp-c-${suffix}`, ifname: `cc${suffix}`, ip: mode === 'relay' ? '198.18.40.1' : '198.18.41.1' };
  const server = { ns: `hw-cmp-s-${suffix}`, ifname: `cs${suffix}`, ip: mode === 'relay' ? '198.18.40.2' : '198.18.42.2' };
  const router = { ns: `hw-cmp-r-${suffix}`, toClient: `rc${suffix}`, toServer: `rs${suffix}` };
  const children: ChildProcess[] = [];
  const lab: PathLab = {
    client,
    server,
    router,
    exec: (ns, command, args) => run('ip', ['netns', 'exec', ns, command, ...args]),
    async startCaptures(aFile, bFile) {
      const start = (ns: string, ifname: string, file: string): Promise<ChildProcess> =>
        new Promise((resolve, reject) => {
          const child = spawn('ip', ['netns', 'exec', ns, 'chrt', '-f', '20', 'tcpdump', '-i', ifname, '-B', '8192', '--immediate-mode', '-U', '-s', '0', '-n', '-w', file, 'tcp'], { stdio: ['ignore', 'ignore', 'pipe'] });
          children.push(child);
          let stderr = '';
          child.stderr?.on('data', (chunk: Buffer) => {
            stderr += chunk.toString();
            if (/listening on/.test(stderr)) resolve(child);
          });
          child.on('exit', () => reject(new Error(`tcpdump in ${ns} exited: ${stderr}`)));
        });
      const captures = await Promise.all([start(client.ns, client.ifname, aFile), start(server.ns, server.ifname, bFile)]);
      return async () => {
        // Both tcpdumps run in immediate mode (otherwise frames wait in a kernel block for up to a
        // second and are dropped on interrupt); still, on a loaded machine they lag: wait until
        // both files have stopped growing.
        for (let stable = 0, waited = 0, sizes = ''; stable < 3 && waited < 15_000; waited += 200) {
          await sleep(200);
          const now = [aFile, bFile].map((file) => (existsSync(file) ? statSync(file).size : -1)).join(',');
          stable = now === sizes ? stable + 1 : 0;
          sizes = now;
        }
        await Promise.all(
          captures.map(
            (child) =>
              new Promise<void>((resolve) => {
                child.removeAllListeners('exit');
                child.on('exit', () => resolve());
                child.kill('SIGINT');
              }),
          ),
        );
      };
    },
    destroy() {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
      for (const ns of [client.ns, server.ns, router.ns]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    },
  };
  try {
    for (const ns of [client.ns, server.ns, router.ns]) run('ip', ['netns', 'add', ns]);
    run('ip', ['link', 'add', client.ifname, 'netns', client.ns, 'type', 'veth', 'peer', 'name', router.toClient, 'netns', router.ns]);
    run('ip', ['link', 'add', server.ifname, 'netns', server.ns, 'type', 'veth', 'peer', 'name', router.toServer, 'netns', router.ns]);
    const up = (ns: string, ifname: string): void => {
      // Re-sent frames must carry full checksums: no offloads anywhere on the path.
      lab.exec(ns, 'ethtool', ['-K', ifname, 'tx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off']);
      lab.exec(ns, 'ip', ['link', 'set', ifname, 'up']);
    };
    for (const [ns, ifname] of [[client.ns, client.ifname], [server.ns, server.ifname], [router.ns, router.toClient], [router.ns, router.toServer]]) up(ns, ifname);
    for (const ns of [client.ns, server.ns, router.ns]) lab.exec(ns, 'ip', ['link', 'set', 'lo', 'up']);
    if (mode === 'relay') {
      lab.exec(client.ns, 'ip', ['addr', 'add', `${client.ip}/24`, 'dev', client.ifname]);
      lab.exec(server.ns, 'ip', ['addr', 'add', `${server.ip}/24`, 'dev', server.ifname]);
      for (const ifname of [router.toClient, router.toServer]) lab.exec(router.ns, 'ip', ['link', 'set', ifname, 'promisc', 'on']);
    } else {
      lab.exec(client.ns, 'ip', ['addr', 'add', `${client.ip}/24`, 'dev', client.ifname]);
      lab.exec(client.ns, 'ip', ['route', 'add', 'default', 'via', '198.18.41.254']);
      lab.exec(server.ns, 'ip', ['addr', 'add', `${server.ip}/24`, 'dev', server.ifname]);
      lab.exec(server.ns, 'ip', ['route', 'add', 'default', 'via', '198.18.42.254']);
      lab.exec(router.ns, 'ip', ['addr', 'add', '198.18.41.254/24', 'dev', router.toClient]);
      lab.exec(router.ns, 'ip', ['addr', 'add', '198.18.42.254/24', 'dev', router.toServer]);
      lab.exec(router.ns, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    }
  } catch (error) {
    lab.destroy();
    throw error;
  }
  return lab;
}

export const DELAY_RELAY = path.join(ROOT, 'tests', 'fixtures', 'scripts', 'delay_relay.py');

/** Starts the relay in the router; resolves with a function that stops it and returns the drops it logged. */
/** `dropPort`: count and drop only segments to that port (an ssh session through the relay passes untouched). */
export async function startRelay(lab: PathLab, delayMs: number, dropFrom: string, dropNth: number[], dropPort?: number): Promise<() => Promise<Array<{ seq: number; len: number }>>> {
  // Real-time priority: on a loaded machine an ordinary process adds milliseconds of its own.
  const child = spawn('ip', ['netns', 'exec', lab.router.ns, 'chrt', '-f', '20', PYTHON, DELAY_RELAY, lab.router.toClient, lab.router.toServer, '--delay-ms', String(delayMs), '--drop-from', dropFrom, '--drop-nth', dropNth.join(','), ...(dropPort ? ['--drop-port', String(dropPort)] : [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  for (let waited = 0; !stdout.startsWith('ready'); waited += 20) {
    if (waited > 10_000 || child.exitCode !== null) throw new Error(`relay did not start: ${stderr}`);
    await sleep(20);
  }
  return async () => {
    await new Promise<void>((resolve) => {
      child.on('exit', () => resolve());
      child.kill('SIGTERM');
    });
    return stdout
      .split('\n')
      .slice(1)
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as { seq: number; len: number });
  };
}

/**
 * A TCP exchange: the client sends `upload` bytes ending in "END\n", the server answers with
 * `download` bytes; then the client sends `after` (if any) and both close.
 */
export function exchange(lab: PathLab, port: number, upload: number, download: number, after = ''): Promise<{ client: string; server: string }> {
  const serverCode = `
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('${lab.server.ip}', ${port})); s.listen(1); print('listening', flush=True)
c, _ = s.accept(); data = b''
while not data.endswith(b'END\\n'):
    chunk = c.recv(65536)
    if not chunk: break
    data += chunk
c.sendall(b'x' * ${download})
c.settimeout(3)
try:
    while c.recv(65536): pass
except Exception: pass
c.close(); print('received', len(data), flush=True)
`;
  const clientCode = `
import socket, time
c = socket.create_connection(('${lab.server.ip}', ${port}))
c.sendall(b'y' * (${upload} - 4) + b'END\\n')
got = 0
while got < ${download}:
    chunk = c.recv(65536)
    if not chunk: break
    got += len(chunk)
${after ? `time.sleep(0.1)\ntry:\n    c.sendall(b${JSON.stringify(after)})\n    c.recv(100)\nexcept Exception as e:\n    print('after:', type(e).__name__, flush=True)` : ''}
c.close(); print('got', got, flush=True)
`;
  return new Promise((resolve, reject) => {
    const server = spawn('ip', ['netns', 'exec', lab.server.ns, PYTHON, '-c', serverCode], { stdio: ['ignore', 'pipe', 'pipe'] });
    let serverOut = '';
    let started = false;
    const serverDone = new Promise<void>((done) => server.on('exit', () => done()));
    server.stdout.on('data', (chunk: Buffer) => {
      serverOut += chunk.toString();
      if (!started && serverOut.includes('listening')) {
        started = true;
        const client = spawn('ip', ['netns', 'exec', lab.client.ns, PYTHON, '-c', clientCode], { stdio: ['ignore', 'pipe', 'pipe'] });
        let clientOut = '';
        client.stdout.on('data', (c: Buffer) => (clientOut += c.toString()));
        client.stderr.on('data', (c: Buffer) => (clientOut += c.toString()));
        client.on('exit', () => void serverDone.then(() => resolve({ client: clientOut, server: serverOut })));
      }
    });
    server.stderr.on('data', (chunk: Buffer) => (serverOut += chunk.toString()));
    setTimeout(() => reject(new Error(`exchange timed out: ${serverOut}`)), 30_000).unref();
  });
}
