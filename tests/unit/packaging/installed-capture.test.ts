/**
 * The installed app captures: in a simulated installed tree (installed-layout.ts: root-owned,
 * the launcher with capabilities), the engine — the same Backend the Electron engine runs, with
 * the helper route the engine picks for a packaged Linux app — is run by an unprivileged user.
 * A member of the capture group starts a capture through the API and it works end to end
 * (frames in the engine's session and in the spool, read back by tshark); a non-member gets
 * the permission help, from both the permission check and the capture start.
 * Traffic: UDP datagrams to 127.0.0.1 only.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleForTest } from '../../support/bundle';
import { AS_MEMBER, AS_NON_MEMBER, cannotSimulate, has, makeInstalledTree, NOBODY, type InstalledTree } from './installed-layout';

const skipReason = cannotSimulate() ?? (has('tshark') ? null : 'needs tshark');

/** The engine side, run as the user under test: prints one JSON line with what happened. */
const ENGINE_SCRIPT = `
  import { createSocket } from 'node:dgram';
  import { Backend } from './electron/engine/backend';
  import { createHelperCaptureProvider } from './electron/engine/helper-capture-provider';
  import { setDefaultHelperLaunch } from './electron/engine/helper-client';
  import { helperRoute } from './electron/engine/helper-route';

  const [resourcesPath, executable, spoolDirectory, portText] = process.argv.slice(2);
  const port = Number(portText);
  const route = helperRoute({ platform: 'linux', execPath: executable, resourcesPath, env: {}, systemNodeRuns: () => true });
  setDefaultHelperLaunch(route);
  const backend = new Backend({ host: 'electron', version: 'test', capture: createHelperCaptureProvider(), spoolDirectory });
  let frames = 0;
  backend.subscribe((event) => { if (event.type === 'stats') frames = Math.max(frames, event.frames); });
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  (async () => {
    const result = { route, permission: null, started: false, error: null, frames: 0 };
    result.permission = await backend.handlers.checkCapturePermission({});
    let session;
    try {
      session = await backend.handlers.startCapture({ interface: 'lo', bpf: 'udp dst port ' + port });
      result.started = true;
    } catch (error) {
      result.error = { code: error.code, message: error.message };
    }
    if (session) {
      const socket = createSocket('udp4');
      for (let sent = 0; sent < 40 && frames < 5; sent++) {
        await new Promise((resolve) => socket.send(Buffer.from('installed ' + sent), port, '127.0.0.1', resolve));
        await sleep(100);
      }
      socket.close();
      await sleep(600);
      result.frames = frames;
      await backend.handlers.stopCapture({ sessionId: session.sessionId });
    }
    process.stdout.write(JSON.stringify(result) + '\\n');
    process.exit(0);
  })();
`;

interface EngineResult {
  route: { launcher?: string[] };
  permission: { ok: boolean; message: string; advice: string; steps: string[] };
  started: boolean;
  error: { code: string; message: string } | null;
  frames: number;
}

function runEngine(asUser: string[], tree: InstalledTree, script: string, spoolDirectory: string, port: number): Promise<EngineResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(asUser[0], [...asUser.slice(1), process.execPath, script, tree.resources, tree.executable, spoolDirectory, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as EngineResult);
      } catch {
        reject(new Error(`engine script ended (${code}) without a result: ${stderr}`));
      }
    });
  });
}

describe.skipIf(skipReason !== null)(`capture from the engine of an installed app${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let tree: InstalledTree;
  let script = '';
  const spools: string[] = [];
  const spoolFor = () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'hs-installed-spool-'));
    chownSync(directory, NOBODY, 100);
    spools.push(directory);
    return directory;
  };

  beforeAll(() => {
    tree = makeInstalledTree('hs-installed-');
    script = bundleForTest('installed-engine', { source: ENGINE_SCRIPT });
  });

  afterAll(() => {
    if (tree) rmSync(tree.base, { recursive: true, force: true });
    if (script) rmSync(script, { force: true });
    for (const directory of spools) rmSync(directory, { recursive: true, force: true });
  });

  it('a member of the capture group captures through the launcher, end to end', async () => {
    const spoolDirectory = spoolFor();
    const port = 40000 + Math.floor(Math.random() * 20000);
    const result = await runEngine(AS_MEMBER, tree, script, spoolDirectory, port);
    expect(result.route.launcher).toEqual([tree.launcher]);
    expect(result.permission, JSON.stringify(result.permission)).toMatchObject({ ok: true });
    expect(result.error).toBeNull();
    expect(result.started).toBe(true);
    expect(result.frames).toBeGreaterThanOrEqual(5);
    // The spool the engine wrote, read by tshark.
    const spool = readdirSync(spoolDirectory).find((name) => name.endsWith('.pcapng'));
    expect(spool).toBeDefined();
    const read = spawnSync('tshark', ['-r', path.join(spoolDirectory, spool!), '-Y', `udp.dstport == ${port}`, '-T', 'fields', '-e', 'data.data'], { encoding: 'utf8' });
    expect(read.status, read.stderr).toBe(0);
    const payloads = read.stdout.split('\n').filter(Boolean).map((hex) => Buffer.from(hex, 'hex').toString());
    expect(payloads.length).toBeGreaterThanOrEqual(5);
    expect(payloads[0]).toMatch(/^installed \d+$/);
  });

  it('a user outside the group gets the permission help, from the check and from a capture start', async () => {
    const result = await runEngine(AS_NON_MEMBER, tree, script, spoolFor(), 40000 + Math.floor(Math.random() * 20000));
    expect(result.permission.ok).toBe(false);
    expect(result.permission.message).toMatch(/may not run the capture launcher/);
    expect(result.permission.steps.join(' ')).toMatch(/usermod -aG handshake-capture/);
    expect(result.started).toBe(false);
    expect(result.error?.code).toBe('permission');
    expect(result.error?.message).toMatch(/may not run the capture launcher .*handshake-capture \(EACCES\)/);
    expect(result.error?.message).toMatch(/usermod -aG handshake-capture/);
  });
});
