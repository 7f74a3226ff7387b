/**
 * End-to-end scaffolding: the browser host started exactly as users start it
 * (`node out/node/host.cjs [FILE] --port 0`, first stdout line = URL with token),
 * Scapy-built captures, and tshark as the oracle.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { canUseNamespaces, createVethLab, nodeInNamespace, type NodeInNamespace, type VethLab } from '../integration/capture/support';

export const ROOT = path.resolve(__dirname, '..', '..');
export const ARTIFACTS = path.join(ROOT, 'tests', 'artifacts');
export const SYSTEM_PYTHON = '/usr/bin/python3';
export const haveScapy = spawnSync(SYSTEM_PYTHON, ['-c', 'import scapy.all']).status === 0;
export const haveTshark = spawnSync('tshark', ['-v']).status === 0;

export interface RunningHost {
  url: string;
  process: ChildProcessWithoutNullStreams;
  stop(): Promise<void>;
}

/** Starts the browser host; resolves with the URL it prints first. */
export function startHost(args: string[] = [], env: Record<string, string> = {}): Promise<RunningHost> {
  const child = spawn(process.execPath, [path.join(ROOT, 'out', 'node', 'host.cjs'), ...args, '--port', '0'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => (stderr += text));
  return new Promise((resolve, reject) => {
    let stdout = '';
    child.stdout.setEncoding('utf8');
    const onData = (text: string) => {
      stdout += text;
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      child.stdout.off('data', onData);
      const url = stdout.slice(0, newline).trim();
      resolve({
        url,
        process: child,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`host exited (${code}) before printing its URL: ${stderr}`)));
  });
}

export interface NamespaceLabHost {
  readonly lab: VethLab;
  readonly host: RunningHost;
  readonly server: NodeInNamespace;
}

/**
 * For the enclosing describe block: two test namespaces joined by a veth pair, a Node server
 * (the script's text, given the server's address) in one, and the browser host whose capture
 * helper runs in the other, where it sees the client's veth end. Skips the block without root.
 */
export function namespaceLabHost(tag: string, serverScript: (serverIp: string) => string): NamespaceLabHost {
  test.skip(!canUseNamespaces, 'needs root with CAP_NET_ADMIN and iproute2 to create test network namespaces');
  let lab: VethLab | null = null;
  let host: RunningHost | null = null;
  let server: NodeInNamespace | null = null;
  test.beforeAll(async () => {
    lab = createVethLab(tag);
    server = nodeInNamespace(lab.server.ns, serverScript(lab.server.ip));
    await server.waitFor(/listening/);
    host = await startHost([], { HANDSHAKE_HELPER_LAUNCHER: `ip netns exec ${lab.client.ns}` });
  });
  test.afterAll(async () => {
    server?.stop();
    await host?.stop();
    lab?.destroy();
  });
  const ready = <T>(value: T | null): T => {
    if (value === null) throw new Error('namespace lab not ready');
    return value;
  };
  return {
    get lab() {
      return ready(lab);
    },
    get host() {
      return ready(host);
    },
    get server() {
      return ready(server);
    },
  };
}

export interface WorkbenchCaptureHost {
  readonly host: RunningHost;
  /** The Scapy-built workbench capture (buildWorkbenchCapture). */
  readonly capture: string;
  readonly dir: string;
}

/** For the enclosing describe block: the browser host, and the workbench capture built in a temporary folder; both gone after. */
export function workbenchCaptureHost(tag: string): WorkbenchCaptureHost {
  let host: RunningHost | null = null;
  let dir = '';
  let capture = '';
  test.beforeAll(async () => {
    dir = tempDir(tag);
    capture = buildWorkbenchCapture(dir);
    host = await startHost();
  });
  test.afterAll(async () => {
    await host?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return {
    get host() {
      if (host === null) throw new Error('browser host not started');
      return host;
    },
    get capture() {
      return capture;
    },
    get dir() {
      return dir;
    },
  };
}

export function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

export function tempDir(tag: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `hs-e2e-${tag}-`));
}

/** The workbench capture from tests/fixtures (Scapy-built), written into `dir`. */
export function buildWorkbenchCapture(dir: string): string {
  const file = path.join(dir, 'workbench.pcap');
  run(SYSTEM_PYTHON, [path.join(ROOT, 'tests', 'fixtures', 'scripts', 'workbench_capture.py'), file]);
  return file;
}

export function tsharkFrameNumbers(file: string, filter: string): number[] {
  return run('tshark', ['-r', file, '-Y', filter, '-T', 'fields', '-e', 'frame.number'])
    .split('\n')
    .filter(Boolean)
    .map(Number);
}

/** tshark's PDML position and size of the first occurrence of `field` in frame `number`. */
export function pdmlField(file: string, number: number, field: string): { pos: number; size: number } {
  const pdml = run('tshark', ['-r', file, '-Y', `frame.number == ${number}`, '-T', 'pdml']);
  const match = new RegExp(`<field name="${field.replace(/\./g, '\\.')}"[^>]*size="(\\d+)" pos="(\\d+)"`).exec(pdml);
  if (!match) throw new Error(`${field} not in tshark's PDML of frame ${number}`);
  return { size: Number(match[1]), pos: Number(match[2]) };
}

/**
 * Opens a capture through the open bar and waits until the new session is adopted. The host
 * outlives pages, so a new page first shows the last session an earlier test left open; rows
 * seen before this returns may belong to it and vanish when the new session replaces it.
 */
export async function openCapture(page: Page, file: string): Promise<void> {
  await page.getByTestId('open-path').fill(file);
  await page.getByTestId('open-button').click();
  await expect(page.locator('.notice[role=status]')).toHaveText(`opened ${path.basename(file)}`);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
}

/** Offsets of the hex bytes currently highlighted in the hex view inside `scope`. */
export async function litOffsets(page: Page, scope: string): Promise<number[]> {
  return page.locator(`${scope} [data-testid=hex-view] .byte.lit`).evaluateAll((nodes) => nodes.map((node) => Number((node as HTMLElement).dataset.offset)));
}

/** tcpdump in a namespace, writing every frame at once (`--immediate-mode -U`), stopped with SIGINT. */
export function startTcpdump(ns: string, ifname: string, file: string, filter: string): { ready: Promise<void>; stop(): Promise<void> } {
  const child: ChildProcessWithoutNullStreams = spawn('ip', ['netns', 'exec', ns, 'tcpdump', '-i', ifname, '--immediate-mode', '-U', '-w', file, filter], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      stderr += text;
      if (stderr.includes('listening on')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`tcpdump exited (${code}): ${stderr}`)));
  });
  return {
    ready,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGINT');
      }),
  };
}

export interface EndpointForm {
  mode: 'connect' | 'listen';
  local: string;
  localPort?: number;
  remote?: string;
  remotePort?: number;
  connections?: number;
  step?: boolean;
  retransmit?: boolean;
}

/** Opens the workbench's Endpoint view on `iface` and fills its form; the test then opens (or first changes more). */
export async function fillEndpointForm(page: Page, url: string, iface: string, form: EndpointForm): Promise<void> {
  await page.goto(url);
  await expect(page.getByTestId('iface').locator(`option[value="${iface}"]`)).toHaveCount(1);
  await page.getByTestId('iface').selectOption(iface);
  await page.getByTestId('view-endpoint').click();
  await page.getByTestId(`endpoint-${form.mode}-mode`).check();
  await page.getByTestId('endpoint-local').fill(form.local);
  if (form.localPort !== undefined) await page.getByTestId('endpoint-local-port').fill(String(form.localPort));
  if (form.remote !== undefined) await page.getByTestId('endpoint-remote').fill(form.remote);
  if (form.remotePort !== undefined) await page.getByTestId('endpoint-remote-port').fill(String(form.remotePort));
  if (form.connections !== undefined) await page.getByTestId('endpoint-connections').fill(String(form.connections));
  if (form.step) await page.getByTestId('endpoint-step-mode').check();
  if (form.retransmit) await page.getByTestId('endpoint-retransmit').check();
}
