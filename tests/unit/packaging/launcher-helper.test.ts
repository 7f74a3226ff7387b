/**
 * The packaged Linux capture path end to end, in a throw-away layout shaped like the deb's:
 * an unprivileged member of the capture group starts the real capture helper through the
 * compiled launcher (with `cap_net_raw,cap_net_admin=eip`) and captures on loopback; the same
 * user starting the helper directly is refused. Node stands in for Electron (the launcher
 * passes ELECTRON_RUN_AS_NODE=1, which Node ignores), and app.asar is a plain directory.
 * Traffic: UDP datagrams to 127.0.0.1 only.
 */
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperClient, HelperRequestError } from '../../../electron/engine/helper-client';

const root = path.resolve(__dirname, '../../..');
const builtHelper = path.join(root, 'out/node/helper.cjs');
const NOBODY = 65534;
const NOGROUP = 65534;
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;

/** A root-owned base directory that no one else can write, as the launcher requires of every ancestor. */
function trustedBase(): string | null {
  for (const base of ['/run', '/var/lib']) {
    const info = existsSync(base) ? statSync(base) : null;
    if (info && info.uid === 0 && (info.mode & 0o022) === 0) return base;
  }
  return null;
}

/** Every ancestor of Node's real path must be trusted too, since it plays the Electron binary. */
function nodeIsTrusted(): boolean {
  let current = realpathSync(process.execPath);
  for (;;) {
    const info = statSync(current);
    if (info.uid !== 0 || (info.mode & 0o022) !== 0) return false;
    if (current === '/') return true;
    current = path.dirname(current);
  }
}

const base = trustedBase();
const runnable =
  process.getuid?.() === 0 && has('setpriv') && has('setcap') && has('cc') && base !== null && existsSync(builtHelper) && nodeIsTrusted() && existsSync(path.join(root, 'node_modules/cap'));

describe.skipIf(!runnable)('the capture helper through the packaged launcher, as an unprivileged user', () => {
  let layout = '';
  let launcher = '';
  let helperInAsar = '';
  const asNobody = ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOGROUP}`, '--clear-groups', 'env'];

  beforeAll(() => {
    layout = mkdtempSync(path.join(base!, 'hs-launcher-helper-'));
    chmodSync(layout, 0o755);
    const resources = path.join(layout, 'app/resources');
    mkdirSync(path.join(resources, 'capture'), { recursive: true, mode: 0o755 });
    mkdirSync(path.join(resources, 'app.asar/out/node'), { recursive: true, mode: 0o755 });
    mkdirSync(path.join(resources, 'app.asar/node_modules'), { mode: 0o755 });
    symlinkSync(realpathSync(process.execPath), path.join(layout, 'app/handshake-workbench'));
    helperInAsar = path.join(resources, 'app.asar/out/node/helper.cjs');
    copyFileSync(builtHelper, helperInAsar);
    symlinkSync(path.join(root, 'node_modules/cap'), path.join(resources, 'app.asar/node_modules/cap'));
    launcher = path.join(resources, 'capture/handshake-capture');
    const build = spawnSync(process.execPath, [path.join(root, 'build/scripts/build-launcher.mjs'), launcher], { encoding: 'utf8' });
    if (build.status !== 0) throw new Error(build.stderr);
    chownSync(launcher, 0, NOGROUP);
    chmodSync(launcher, 0o750);
    const setcap = spawnSync('setcap', ['cap_net_raw,cap_net_admin=eip', launcher], { encoding: 'utf8' });
    if (setcap.status !== 0) throw new Error(setcap.stderr);
  });

  afterAll(() => {
    if (layout) rmSync(layout, { recursive: true, force: true });
  });

  it('is refused capture when it starts the helper directly', async () => {
    const helper = new HelperClient({ launcher: asNobody, nodePath: process.execPath, helperPath: helperInAsar });
    try {
      await helper.hello();
      const failure = await helper.open('lo', 'udp port 9').then(
        () => null,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(HelperRequestError);
      expect((failure as HelperRequestError).code).toBe('permission');
    } finally {
      await helper.stop();
    }
  });

  it('captures loopback traffic when started through the launcher', async () => {
    // The client appends node and script paths; the launcher ignores them and runs its own fixed pair.
    const helper = new HelperClient({ launcher: [...asNobody, launcher], nodePath: process.execPath, helperPath: helperInAsar });
    const socket = createSocket('udp4');
    try {
      await helper.hello();
      const port = 40000 + Math.floor(Math.random() * 20000);
      await helper.open('lo', `udp dst port ${port}`);
      let captured = 0;
      for (let attempt = 0; attempt < 30 && captured < 3; attempt++) {
        await new Promise<void>((resolve) => socket.send(Buffer.from(`probe ${attempt}`), port, '127.0.0.1', () => resolve()));
        await new Promise((resolve) => setTimeout(resolve, 100));
        captured = (await helper.stats()).framesCaptured;
      }
      expect(captured).toBeGreaterThanOrEqual(3);
    } finally {
      socket.close();
      await helper.stop();
    }
  });
});
