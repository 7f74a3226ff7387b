// Shared by bench:capture and bench:send: two network namespaces joined by a veth pair
// (198.18.0.0/15 addresses, random names), always torn down, and small process helpers.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const HANDSHAKE = path.join(ROOT, 'out', 'node', 'handshake.cjs');
export const SCAPY_PYTHON = '/usr/bin/python3';

const run = (command, args, options = {}) => execFileSync(command, args, { encoding: 'utf8', ...options });

export function createLab(tag) {
  const suffix = randomBytes(3).toString('hex');
  const lab = {
    client: { ns: `hwb-${tag}-c-${suffix}`, ifname: `bc${suffix}`, ip: '198.18.0.1', mac: '' },
    server: { ns: `hwb-${tag}-s-${suffix}`, ifname: `bs${suffix}`, ip: '198.18.0.2', mac: '' },
    destroy() {
      for (const ns of [lab.client.ns, lab.server.ns]) {
        try {
          run('ip', ['netns', 'del', ns], { stdio: 'ignore' });
        } catch {}
      }
    },
  };
  try {
    run('ip', ['netns', 'add', lab.client.ns]);
    run('ip', ['netns', 'add', lab.server.ns]);
    run('ip', ['link', 'add', lab.client.ifname, 'type', 'veth', 'peer', 'name', lab.server.ifname]);
    for (const end of [lab.client, lab.server]) {
      run('ip', ['link', 'set', end.ifname, 'netns', end.ns]);
      run('ip', ['-n', end.ns, 'addr', 'add', `${end.ip}/24`, 'dev', end.ifname]);
      run('ip', ['-n', end.ns, 'link', 'set', end.ifname, 'up']);
      end.mac = run('ip', ['netns', 'exec', end.ns, 'cat', `/sys/class/net/${end.ifname}/address`]).trim();
    }
  } catch (error) {
    lab.destroy();
    throw error;
  }
  return lab;
}

/** Runs a command to completion; resolves with its exit code and output. */
export function runToEnd(command, args, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts a long-running command; `stop()` ends it with SIGINT and resolves with its output. */
export function startProcess(command, args, env = {}) {
  const child = spawn(command, args, { env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const closed = new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return {
    output: () => stderr + stdout,
    stop(signal = 'SIGINT') {
      child.kill(signal);
      return closed;
    },
    closed,
  };
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function table(rows) {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => String(row[column]).length)));
  return rows.map((row) => row.map((cell, column) => String(cell).padEnd(widths[column])).join('  ')).join('\n');
}
