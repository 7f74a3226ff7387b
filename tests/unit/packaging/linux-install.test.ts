/**
 * The deb's install scripts and the capture launcher, exercised for real but only inside
 * temporary roots: shellcheck on the scripts as committed and as electron-builder renders
 * them; after-install/after-remove against a DESTDIR root with the real groupadd/groupdel
 * (on that root's /etc/group, never the system's) and the real setcap; and the compiled
 * launcher run as an unprivileged user, which must hand exactly CAP_NET_RAW + CAP_NET_ADMIN
 * to the fixed helper, with a clean environment, and refuse untrusted layouts.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../../..');
const scripts = {
  afterInstall: path.join(root, 'build/linux/after-install.sh'),
  afterRemove: path.join(root, 'build/linux/after-remove.sh'),
  setupCapture: path.join(root, 'build/linux/setup-capture.sh'),
};
const PRODUCT = 'Handshake Workbench';
const EXECUTABLE = 'handshake-workbench';
const CAP_NET_ADMIN_AND_RAW = 0x3000n; // bits 12 and 13
const CAP_SYS_NICE = 1n << 23n;
/** What setup-capture.sh gives the launcher (read from the script, so the test follows it). */
const SCRIPT_CAPABILITIES = /setcap (\S+) "\$launcher"/.exec(readFileSync(path.join(root, 'build/linux/setup-capture.sh'), 'utf8'))?.[1] ?? 'missing from setup-capture.sh';
const NOBODY = 65534;
const NOGROUP = 65534;
const OTHER_GROUP = 100;

const isRoot = process.getuid?.() === 0;
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
const work = mkdtempSync(path.join(tmpdir(), 'hs-packaging-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** electron-builder's template step for deb scripts (FpmTarget writeConfigFile): ${name} macros, unknown ones are an error. */
function renderTemplate(file: string): string {
  const macros: Record<string, string> = { executable: EXECUTABLE, sanitizedProductName: PRODUCT, productFilename: PRODUCT };
  const rendered = readFileSync(file, 'utf8').replace(/\$\{([a-zA-Z]+)\}/g, (_match, name: string) => {
    if (!(name in macros)) throw new Error(`Macro ${name} is not defined`);
    return macros[name];
  });
  const output = path.join(work, `rendered-${path.basename(file)}`);
  writeFileSync(output, rendered, { mode: 0o755 });
  return output;
}

function run(command: string, args: string[], env: Record<string, string> = {}): SpawnSyncReturns<string> {
  return spawnSync(command, args, { encoding: 'utf8', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...env } });
}

let launcherBinary = '';
beforeAll(() => {
  if (!has('cc')) return;
  launcherBinary = path.join(work, 'handshake-capture');
  const build = spawnSync(process.execPath, [path.join(root, 'build/scripts/build-launcher.mjs'), launcherBinary], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`launcher build failed: ${build.stderr}`);
});

describe.skipIf(!has('shellcheck'))('shellcheck', () => {
  for (const [name, file] of Object.entries(scripts)) {
    it(`passes ${name} as committed and as electron-builder renders it`, () => {
      for (const target of [file, renderTemplate(file)]) {
        const check = run('shellcheck', ['--shell=sh', '--severity=style', target]);
        expect(check.status, check.stdout + check.stderr).toBe(0);
      }
    });
  }
});

/** A fake installed app below a DESTDIR root, with a minimal /etc. */
function makeInstalledRoot(withLauncher = true): { destdir: string; appDir: string; launcher: string } {
  const destdir = mkdtempSync(path.join(work, 'root-'));
  mkdirSync(path.join(destdir, 'etc'));
  writeFileSync(path.join(destdir, 'etc/group'), 'root:x:0:\n');
  writeFileSync(path.join(destdir, 'etc/gshadow'), 'root:*::\n');
  writeFileSync(path.join(destdir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(path.join(destdir, 'etc/shadow'), 'root:*:19000:0:99999:7:::\n');
  const appDir = path.join(destdir, 'opt', PRODUCT);
  mkdirSync(path.join(appDir, 'resources/capture'), { recursive: true });
  writeFileSync(path.join(appDir, EXECUTABLE), '#!/bin/sh\n', { mode: 0o755 });
  writeFileSync(path.join(appDir, 'chrome-sandbox'), '', { mode: 0o4755 });
  copyFileSync(scripts.setupCapture, path.join(appDir, 'resources/capture/setup-capture.sh')); // as extraResources ships it
  const launcher = path.join(appDir, 'resources/capture/handshake-capture');
  if (withLauncher) copyFileSync(launcherBinary, launcher);
  return { destdir, appDir, launcher };
}

const groupLines = (destdir: string) => readFileSync(path.join(destdir, 'etc/group'), 'utf8').split('\n').filter((line) => line.startsWith('handshake-capture:'));

describe.skipIf(!isRoot || !has('cc') || !has('setcap') || !has('getcap') || !has('groupadd'))('deb scripts against a temporary root', () => {
  it('sets up the group, the launcher’s mode, owner and capabilities, and the command link — twice the same', () => {
    const systemGroups = readFileSync('/etc/group', 'utf8');
    const { destdir, appDir, launcher } = makeInstalledRoot();
    const afterInstall = renderTemplate(scripts.afterInstall);
    const first = run('sh', [afterInstall, 'configure'], { DESTDIR: destdir });
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/usermod -aG handshake-capture USER/);

    const [groupLine] = groupLines(destdir);
    const gid = Number(groupLine.split(':')[2]);
    const info = statSync(launcher);
    expect(info.mode & 0o7777).toBe(0o750);
    expect([info.uid, info.gid]).toEqual([0, gid]);
    expect(run('getcap', [launcher]).stdout).toMatch(/cap_net_admin,cap_net_raw,cap_sys_nice=p/);
    expect(readlinkSync(path.join(destdir, 'usr/bin', EXECUTABLE))).toBe(`/opt/${PRODUCT}/${EXECUTABLE}`);
    expect(statSync(path.join(appDir, 'chrome-sandbox')).mode & 0o7777).toBe(0o755);

    const second = run('sh', [afterInstall, 'configure'], { DESTDIR: destdir });
    expect(second.status, second.stderr).toBe(0);
    expect(groupLines(destdir)).toEqual([groupLine]); // not added twice, same gid
    expect(statSync(launcher).gid).toBe(gid);
    expect(readFileSync('/etc/group', 'utf8')).toBe(systemGroups); // the running system was not touched
  });

  it('keeps the package installable when the launcher is missing, and says why', () => {
    const { destdir } = makeInstalledRoot(false);
    const result = run('sh', [renderTemplate(scripts.afterInstall), 'configure'], { DESTDIR: destdir });
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/no capture launcher at .*handshake-capture; live capture will need pkexec/);
    expect(groupLines(destdir)).toEqual([]);
  });

  it('after-remove drops the command link, and the group only on purge', () => {
    const { destdir } = makeInstalledRoot();
    expect(run('sh', [renderTemplate(scripts.afterInstall), 'configure'], { DESTDIR: destdir }).status).toBe(0);
    const afterRemove = renderTemplate(scripts.afterRemove);
    const link = path.join(destdir, 'usr/bin', EXECUTABLE);

    expect(run('sh', [afterRemove, 'upgrade'], { DESTDIR: destdir }).status).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);

    expect(run('sh', [afterRemove, 'remove'], { DESTDIR: destdir }).status).toBe(0);
    expect(() => lstatSync(link)).toThrow();
    expect(groupLines(destdir)).toHaveLength(1);

    const purge = run('sh', [afterRemove, 'purge'], { DESTDIR: destdir });
    expect(purge.status, purge.stderr).toBe(0);
    expect(groupLines(destdir)).toEqual([]);
  });

  it('setup-capture refuses to guess without an app directory', () => {
    const result = run('sh', [scripts.setupCapture]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/usage: .* APP_DIR/);
  });
});

// ------------------------------------------------------------------ the launcher at run time

/** A root-owned directory not writable by others, as the launcher demands of every ancestor. */
function trustedScratch(): string | null {
  for (const base of ['/run', '/var/lib']) {
    try {
      const info = statSync(base);
      if (info.uid === 0 && (info.mode & 0o022) === 0) return base;
    } catch {
      // try the next candidate
    }
  }
  return null;
}
const trustedBase = trustedScratch();
const canRunAsNobody = isRoot && has('setpriv') && has('setcap') && has('cc') && trustedBase !== null;

describe.skipIf(!canRunAsNobody)('the capture launcher run by an unprivileged user', () => {
  let layout = '';
  let launcher = '';
  afterAll(() => {
    if (layout) rmSync(layout, { recursive: true, force: true });
  });

  beforeAll(() => {
    layout = mkdtempSync(path.join(trustedBase!, 'hs-launcher-test-'));
    chmodSync(layout, 0o755);
    const appDir = path.join(layout, 'app');
    mkdirSync(path.join(appDir, 'resources/capture'), { recursive: true, mode: 0o755 });
    // Stands in for Electron: reports what it was given.
    // Stands in for Electron: reports what it was given, and whether the kernel lets it take real-time priority as the helper does.
    writeFileSync(
      path.join(appDir, EXECUTABLE),
      '#!/bin/sh\necho "argv=$*"\ngrep -E "^Cap(Eff|Amb)" /proc/self/status\nif chrt --all-tasks --rr --reset-on-fork --pid 1 $$ 2>/dev/null; then echo realtime=yes; else echo realtime=no; fi\nenv\n',
      { mode: 0o755 },
    );
    writeFileSync(path.join(appDir, 'resources/app.asar'), '');
    launcher = path.join(appDir, 'resources/capture/handshake-capture');
    copyFileSync(launcherBinary, launcher);
    chownSync(launcher, 0, NOGROUP);
    chmodSync(launcher, 0o750);
    const setcap = run('setcap', [SCRIPT_CAPABILITIES, launcher]);
    if (setcap.status !== 0) throw new Error(`setcap: ${setcap.stderr}`);
  });

  /** Runs the launcher as nobody with the given group, through env (so the exec permission check is the kernel's). */
  const runAs = (gid: number, env: string[] = []) =>
    run('setpriv', [`--reuid=${NOBODY}`, `--regid=${gid}`, '--clear-groups', 'env', ...env, launcher, '--ignored', 'argument']);

  const capabilityMask = (output: string, name: string) => BigInt(`0x${output.match(new RegExp(`${name}:\\s*([0-9a-f]+)`))?.[1] ?? '0'}`);

  it('gives a group member exactly CAP_NET_RAW, CAP_NET_ADMIN and CAP_SYS_NICE (real-time priority), for the fixed helper only, with a clean environment', () => {
    const result = runAs(NOGROUP, ['NODE_OPTIONS=--require=/tmp/evil.js', 'LD_PRELOAD=/tmp/evil.so', 'ELECTRON_NO_ASAR=1']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain(`argv=${path.join(layout, 'app/resources/app.asar/out/node/helper.cjs')}\n`);
    expect(capabilityMask(result.stdout, 'CapAmb')).toBe(CAP_NET_ADMIN_AND_RAW | CAP_SYS_NICE);
    expect(capabilityMask(result.stdout, 'CapEff')).toBe(CAP_NET_ADMIN_AND_RAW | CAP_SYS_NICE);
    expect(result.stdout).toContain('realtime=yes\n');
    const environment = result.stdout.split('\n').filter((line) => /^[A-Z_]+=/.test(line) && !line.startsWith('PWD='));
    expect(environment.sort()).toEqual(['ELECTRON_RUN_AS_NODE=1', 'LANG=C.UTF-8', 'PATH=/usr/sbin:/usr/bin:/sbin:/bin']);
  });

  it('an older install (cap_net_raw,cap_net_admin=eip, no CAP_SYS_NICE) still hands over the capture capabilities, and no real-time priority', () => {
    const older = path.join(layout, 'app/resources/capture/handshake-capture-older');
    copyFileSync(launcherBinary, older);
    chownSync(older, 0, NOGROUP);
    chmodSync(older, 0o750);
    try {
      const setcap = run('setcap', ['cap_net_raw,cap_net_admin=eip', older]);
      expect(setcap.status, setcap.stderr).toBe(0);
      const result = run('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOGROUP}`, '--clear-groups', 'env', older]);
      expect(result.status, result.stderr).toBe(0);
      expect(capabilityMask(result.stdout, 'CapAmb')).toBe(CAP_NET_ADMIN_AND_RAW);
      expect(result.stdout).toContain('realtime=no\n');
    } finally {
      rmSync(older, { force: true });
    }
  });

  it('starts, without real-time priority, where the bounding set lacks CAP_SYS_NICE (with the effective bit set, the kernel would refuse to exec it)', () => {
    const result = run('setpriv', ['--bounding-set=-sys_nice', `--reuid=${NOBODY}`, `--regid=${NOGROUP}`, '--clear-groups', 'env', launcher]);
    expect(result.status, result.stderr).toBe(0);
    expect(capabilityMask(result.stdout, 'CapAmb')).toBe(CAP_NET_ADMIN_AND_RAW);
    expect(result.stdout).toContain('realtime=no\n');
  });

  it('cannot be executed by a user outside the capture group', () => {
    const result = runAs(OTHER_GROUP);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/Permission denied/);
    expect(result.stdout).not.toContain('argv=');
  });

  it('refuses to run when a directory above the helper is writable by others', () => {
    const resources = path.join(layout, 'app/resources');
    chmodSync(resources, 0o777);
    try {
      const result = runAs(NOGROUP);
      expect(result.status).toBe(126);
      expect(result.stderr).toContain(`not owned by root or writable by others: ${resources}`);
      expect(result.stdout).not.toContain('argv=');
    } finally {
      chmodSync(resources, 0o755);
    }
  });

  it('still starts the helper, without capabilities and with a warning, when setcap was never run', () => {
    const bare = path.join(layout, 'app/resources/capture/handshake-capture-bare');
    copyFileSync(launcherBinary, bare);
    chownSync(bare, 0, NOGROUP);
    chmodSync(bare, 0o750);
    try {
      const result = run('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOGROUP}`, '--clear-groups', 'env', bare]);
      expect(result.status, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/capture capabilities are not set on this launcher/);
      expect(capabilityMask(result.stdout, 'CapAmb')).toBe(0n);
    } finally {
      rmSync(bare, { force: true });
    }
  });
});

