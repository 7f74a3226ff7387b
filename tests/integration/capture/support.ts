/**
 * Test scaffolding for live capture: two network namespaces joined by a veth pair with
 * 198.18.0.0/15 addresses (names carry a random suffix, so concurrent test files never
 * collide), a helper bundle built for this run, and Scapy-built frames as the
 * independent oracle for what goes on the wire.
 */
import { execFileSync, spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { bundleForTest } from '../../support/bundle';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const SCAPY_PYTHON = '/usr/bin/python3';

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
export const hasIp = spawnSync('ip', ['-V']).status === 0;
export const hasScapy = existsSync(SCAPY_PYTHON) && spawnSync(SCAPY_PYTHON, ['-c', 'import scapy.all']).status === 0;
export const hasTshark = spawnSync('tshark', ['-v']).status === 0;
export const hasIptables = spawnSync('iptables', ['-V']).status === 0;
/** Namespaces need root with CAP_NET_ADMIN; everything here sends only inside them. */
export const canUseNamespaces = isRoot && hasIp && process.platform === 'linux';

/** Bundles the helper once per test file into out/test, next to node_modules so `cap` resolves. */
export function buildHelper(): string {
  return bundleForTest('helper', 'electron/helper/main.ts');
}

/** Bundles the live commands (capture, send, interfaces) as the `handshake` command runs them. */
export function buildLiveCli(): string {
  return bundleForTest('live-cli', {
    source: `
      import { runCapture } from './electron/cli/commands/capture';
      import { runSend } from './electron/cli/commands/send';
      import { runInterfaces } from './electron/cli/commands/interfaces';
      const commands = { capture: runCapture, send: runSend, interfaces: runInterfaces };
      const [name, ...rest] = process.argv.slice(2);
      commands[name](rest).then((code) => { process.exitCode = code; });
    `,
  });
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface LiveCliRun {
  /** Resolves once stderr matches (e.g. the capture has started). */
  stderrMatches(pattern: RegExp, timeoutMs?: number): Promise<void>;
  done: Promise<CliResult>;
}

/** Starts a live command with its helper inside `ns` (`launcherTail` is appended to the launcher, e.g. setpriv). */
export function startLiveCli(cli: string, helperPath: string, ns: string, args: string[], launcherTail: string[] = []): LiveCliRun {
  const child = spawn(process.execPath, [cli, ...args], {
    env: { ...process.env, HANDSHAKE_HELPER_PATH: helperPath, HANDSHAKE_HELPER_LAUNCHER: ['ip', 'netns', 'exec', ns, ...launcherTail].join(' ') },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<CliResult>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return {
    done,
    async stderrMatches(pattern, timeoutMs = 10_000) {
      for (let waited = 0; !pattern.test(stderr); waited += 25) {
        if (waited >= timeoutMs) throw new Error(`stderr never matched ${pattern}: ${stderr}`);
        await sleep(25);
      }
    },
  };
}

export function runLiveCli(cli: string, helperPath: string, ns: string, args: string[], launcherTail: string[] = []): Promise<CliResult> {
  return startLiveCli(cli, helperPath, ns, args, launcherTail).done;
}

export function ndjson(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function run(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface Endpoint {
  ns: string;
  ifname: string;
  ip: string;
  mac: string;
}

export interface VethLab {
  client: Endpoint;
  server: Endpoint;
  /** Runs a command inside a namespace. */
  exec(ns: string, command: string, args: string[]): string;
  destroy(): void;
}

/** Two namespaces, client 198.18.0.1/24 and server 198.18.0.2/24, joined by a veth pair. */
export function createVethLab(tag: string): VethLab {
  const suffix = randomBytes(3).toString('hex');
  const client: Endpoint = { ns: `hw-${tag}-c-${suffix}`, ifname: `hc${suffix}`, ip: '198.18.0.1', mac: '' };
  const server: Endpoint = { ns: `hw-${tag}-s-${suffix}`, ifname: `hs${suffix}`, ip: '198.18.0.2', mac: '' };
  const lab: VethLab = {
    client,
    server,
    exec: (ns, command, args) => run('ip', ['netns', 'exec', ns, command, ...args]),
    destroy() {
      for (const ns of [client.ns, server.ns]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      spawnSync('ip', ['link', 'del', client.ifname], { stdio: 'ignore' });
    },
  };
  try {
    run('ip', ['netns', 'add', client.ns]);
    run('ip', ['netns', 'add', server.ns]);
    run('ip', ['link', 'add', client.ifname, 'type', 'veth', 'peer', 'name', server.ifname]);
    for (const end of [client, server]) {
      run('ip', ['link', 'set', end.ifname, 'netns', end.ns]);
      run('ip', ['-n', end.ns, 'addr', 'add', `${end.ip}/24`, 'dev', end.ifname]);
      run('ip', ['-n', end.ns, 'link', 'set', end.ifname, 'up']);
      run('ip', ['-n', end.ns, 'link', 'set', 'lo', 'up']);
      end.mac = lab.exec(end.ns, 'cat', [`/sys/class/net/${end.ifname}/address`]).trim();
    }
  } catch (error) {
    lab.destroy();
    throw error;
  }
  return lab;
}

/** Bytes of a Scapy expression (evaluated with `from scapy.all import *`). */
export function scapyBytes(expression: string): Uint8Array {
  const script = `from scapy.all import *\nimport sys\nsys.stdout.write(bytes(${expression}).hex())`;
  const hex = execFileSync(SCAPY_PYTHON, ['-c', script], { encoding: 'utf8' });
  return Uint8Array.from(Buffer.from(hex.trim(), 'hex'));
}

/** Several Scapy expressions in one Python run (each start of Scapy costs most of a second). */
export function scapyMany(expressions: readonly string[]): Uint8Array[] {
  const script = `from scapy.all import *\nimport sys\nfor e in sys.stdin.read().split('\\n'):\n    if e: print(bytes(eval(e)).hex())`;
  const output = execFileSync(SCAPY_PYTHON, ['-c', script], { encoding: 'utf8', input: expressions.join('\n') });
  return output
    .trim()
    .split('\n')
    .map((hex) => Uint8Array.from(Buffer.from(hex, 'hex')));
}

/** tshark's view of a capture file: one row per frame with the requested fields. */
export function tsharkFields(file: string, fields: string[], filter?: string): string[][] {
  const args = ['-r', file, '-T', 'fields', '-E', 'separator=|', ...fields.flatMap((field) => ['-e', field])];
  if (filter) args.push('-Y', filter);
  const output = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return output
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => line.split('|'));
}

export interface NodeInNamespace {
  child: ChildProcessWithoutNullStreams;
  /** Lines the script printed so far. */
  lines: string[];
  /** Resolves with the first line matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  stop(): void;
}

/** Runs a Node script inside a namespace; its stdout lines are collected. */
export function nodeInNamespace(ns: string, script: string): NodeInNamespace {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const watchers: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  let partial = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (text: string) => {
    partial += text;
    const complete = partial.split('\n');
    partial = complete.pop() ?? '';
    for (const line of complete) {
      lines.push(line);
      for (const watcher of watchers.splice(0)) {
        if (watcher.pattern.test(line)) watcher.resolve(line);
        else watchers.push(watcher);
      }
    }
  });
  // stderr lines are kept too (prefixed), so a failing script explains itself in a timeout message.
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => lines.push(...text.split('\n').filter(Boolean).map((line) => `stderr: ${line}`)));
  return {
    child,
    lines,
    waitFor(pattern, timeoutMs = 10_000) {
      const already = lines.find((line) => pattern.test(line));
      if (already) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern} (saw: ${lines.join(' / ')})`)), timeoutMs);
        watchers.push({
          pattern,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
      });
    },
    stop() {
      child.kill('SIGKILL');
    },
  };
}

/** A Node TCP server on `host:port` that reports accepts, data, errors and closes as lines. */
export function tcpServerScript(host: string, port: number): string {
  return `
    const net = require('net');
    const server = net.createServer((socket) => {
      console.log('accepted ' + socket.remotePort);
      socket.on('data', (data) => { console.log('data ' + data.toString()); socket.write('pong:' + data.toString()); });
      socket.on('error', (error) => console.log('error ' + error.code));
      socket.on('end', () => { console.log('end'); socket.end(); });
      socket.on('close', () => console.log('close'));
    });
    server.listen(${port}, '${host}', () => console.log('listening'));
  `;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
