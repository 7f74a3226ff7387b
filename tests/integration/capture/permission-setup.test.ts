/**
 * The Linux remedy the permission message recommends for a source checkout, carried out for
 * real: electron/helper/setup-linux-capture.sh lays out a root-owned helper tree below a
 * temporary DESTDIR (its group goes to DESTDIR/etc/group, never the machine's), and only the
 * capture launcher in it holds capabilities. A member of the group can then capture inside a
 * namespace; a user outside it cannot; and no member can make the capable binary run code of
 * their own (arguments, NODE_OPTIONS, LD_PRELOAD: each would leave a marker file).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureSession } from '../../../electron/engine/capture-session';
import { trustedBase } from '../../unit/packaging/installed-layout';
import { canUseNamespaces, createVethLab, ROOT, type VethLab } from './support';

const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
const missing = ['setcap', 'getcap', 'setpriv', 'cc', 'groupadd'].find((tool) => !has(tool));
const skipReason = !canUseNamespaces
  ? 'needs root and network namespaces'
  : missing
    ? `needs ${missing}`
    : !existsSync(path.join(ROOT, 'out/node/helper.cjs'))
      ? 'out/node/helper.cjs not built'
      : trustedBase() === null
        ? 'no root-owned base directory'
        : null;
const TARGET = '/opt/hw-dev';
const NOBODY = 65534;

describe.skipIf(skipReason !== null)(`the source checkout's capture-permission setup${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let lab: VethLab;
  let destdir = '';
  let launcher = '';
  let gid = 0;
  let setupOutput = '';
  // setpriv still holds root's capabilities when it execs, so `env` does the exec as the user.
  const member = () => ['setpriv', `--reuid=${NOBODY}`, `--regid=${gid}`, '--clear-groups', 'env'];
  const nonMember = ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'env'];

  beforeAll(() => {
    destdir = mkdtempSync(path.join(trustedBase()!, 'hw-dev-setup-'));
    chmodSync(destdir, 0o755);
    mkdirSync(path.join(destdir, 'etc'));
    writeFileSync(path.join(destdir, 'etc/group'), 'root:x:0:\n');
    writeFileSync(path.join(destdir, 'etc/gshadow'), 'root:*::\n');
    writeFileSync(path.join(destdir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    writeFileSync(path.join(destdir, 'etc/shadow'), 'root:*:19000:0:99999:7:::\n');
    const setup = spawnSync('sh', [path.join(ROOT, 'electron/helper/setup-linux-capture.sh'), TARGET], { encoding: 'utf8', env: { ...process.env, DESTDIR: destdir } });
    setupOutput = setup.stdout + setup.stderr;
    if (setup.status !== 0) throw new Error(`setup failed: ${setupOutput}`);
    launcher = path.join(destdir, TARGET, 'resources/capture/handshake-capture');
    const groupLine = readFileSync(path.join(destdir, 'etc/group'), 'utf8')
      .split('\n')
      .find((line) => line.startsWith('handshake-capture:'));
    gid = Number(groupLine?.split(':')[2]);
    lab = createVethLab('perm');
  });
  afterAll(() => {
    lab?.destroy();
    if (destdir) rmSync(destdir, { recursive: true, force: true });
  });

  it('gives capabilities to the launcher alone, runnable by root and the group only', () => {
    expect(setupOutput).toContain(`export HANDSHAKE_HELPER_LAUNCHER=${TARGET}/resources/capture/handshake-capture`);
    const capable = spawnSync('getcap', ['-r', path.join(destdir, TARGET)], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
    expect(capable).toHaveLength(1);
    // Permitted only: the launcher raises each into its ambient set itself (build/linux/setup-capture.sh says why).
    expect(capable[0]).toMatch(/handshake-capture cap_net_admin,cap_net_raw,cap_sys_nice=p$/);
    expect(gid).toBeGreaterThan(0);
  });

  it('lets a member of the group capture through the launcher; a non-member is refused with the permission help', async () => {
    const refused = await CaptureSession.start({
      device: lab.client.ifname,
      spoolPath: path.join(os.tmpdir(), `hw-dev-refused-${process.pid}.pcapng`),
      launcher: ['ip', 'netns', 'exec', lab.client.ns, ...nonMember, launcher],
    }).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'permission', advice: expect.stringMatching(/setup-linux-capture\.sh/) });

    const spoolPath = path.join(os.tmpdir(), `hw-dev-allowed-${process.pid}.pcapng`);
    const session = await CaptureSession.start({
      device: lab.client.ifname,
      filter: 'udp',
      spoolPath,
      launcher: ['ip', 'netns', 'exec', lab.client.ns, ...member(), launcher],
    });
    try {
      expect(session.openInfo).toMatchObject({ device: lab.client.ifname, linkType: 1 });
    } finally {
      await session.stop();
      rmSync(spoolPath, { force: true });
    }
  });

  it('runs no code of a member\'s choosing with the capabilities', () => {
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'hw-dev-inject-'));
    chmodSync(scratch, 0o777);
    try {
      const marker = (name: string) => path.join(scratch, name);
      const payload = path.join(scratch, 'payload.cjs');
      writeFileSync(payload, `require('fs').writeFileSync(${JSON.stringify(marker('require'))}, 'ran')`);
      // A library whose constructor leaves a marker: what dlopen()/LD_PRELOAD would run.
      const library = path.join(scratch, 'inject.so');
      const source = path.join(scratch, 'inject.c');
      writeFileSync(source, `#include <stdio.h>\n__attribute__((constructor)) static void run(void) { FILE *f = fopen("${marker('preload')}", "w"); if (f) fclose(f); }\n`);
      const compiled = spawnSync('cc', ['-shared', '-fPIC', '-o', library, source], { encoding: 'utf8' });
      expect(compiled.status, compiled.stderr).toBe(0);
      const attempts: Array<{ env: string[]; args: string[] }> = [
        { env: [], args: ['-e', `require('fs').writeFileSync(${JSON.stringify(marker('eval'))}, 'ran')`] },
        { env: [], args: [payload] },
        { env: [`NODE_OPTIONS=--require=${payload}`], args: [] },
        { env: [`LD_PRELOAD=${library}`], args: [] },
      ];
      for (const attempt of attempts) {
        // stdin is empty, so the helper (the only thing the launcher runs) ends at once.
        const run = spawnSync(member()[0], [...member().slice(1), ...attempt.env, launcher, ...attempt.args], { encoding: 'utf8', input: '', timeout: 20_000 });
        expect(run.status, run.stderr).toBe(0);
      }
      // The same attempts with the plain node copy run, but without any capability.
      const node = path.join(destdir, TARGET, 'handshake-workbench');
      const status = spawnSync(member()[0], [...member().slice(1), node, '-e', "process.stdout.write(require('fs').readFileSync('/proc/self/status','utf8'))"], { encoding: 'utf8' });
      expect(status.stdout).toMatch(/^CapEff:\s*0+$/m);
      expect(['eval', 'require', 'preload'].filter((name) => existsSync(marker(name)))).toEqual([]);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
