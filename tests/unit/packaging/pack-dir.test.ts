/**
 * electron-builder itself, offline: the Linux `dir` target packs the real app with a stand-in
 * Electron distribution (the real one cannot be downloaded here), without the native rebuild
 * (it needs Electron's headers) and without fuses (the stand-in has no fuse wire). The packed
 * tree is read back with @electron/asar and must match what the launcher and the deb scripts
 * expect; after-install then sets up that very tree under a temporary root.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../../..');
const require = createRequire(import.meta.url);
const { build, Platform } = require('electron-builder') as {
  build(options: { projectDir: string; targets: unknown; config: Record<string, unknown> }): Promise<string[]>;
  Platform: { LINUX: { createTarget(type: string): unknown } };
};
const { listPackage } = require('@electron/asar') as { listPackage(archive: string, options?: object): string[] };

const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
const runnable = process.platform === 'linux' && has('cc') && existsSync(path.join(root, 'out/node/helper.cjs'));
const work = mkdtempSync(path.join(tmpdir(), 'hs-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Files under a directory, relative, recursively. */
function filesBelow(directory: string, prefix = ''): string[] {
  if (!existsSync(directory)) return [];
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesBelow(path.join(directory, entry.name), `${prefix}${entry.name}/`) : [`${prefix}${entry.name}`],
  );
}

describe.skipIf(!runnable)('electron-builder --linux dir, offline', () => {
  let appDir = '';

  beforeAll(async () => {
    const launcher = spawnSync(process.execPath, [path.join(root, 'build/scripts/build-launcher.mjs')], { encoding: 'utf8' });
    if (launcher.status !== 0) throw new Error(launcher.stderr);
    const electronDist = path.join(work, 'electron-dist');
    mkdirSync(path.join(electronDist, 'resources'), { recursive: true });
    writeFileSync(path.join(electronDist, 'electron'), '#!/bin/sh\necho stand-in electron\n', { mode: 0o755 });
    writeFileSync(path.join(electronDist, 'chrome-sandbox'), '', { mode: 0o755 });
    writeFileSync(path.join(electronDist, 'LICENSE'), 'stand-in\n');
    const output = path.join(work, 'dist');
    await build({
      projectDir: root,
      targets: Platform.LINUX.createTarget('dir'),
      config: { electronDist, npmRebuild: false, electronFuses: null, directories: { output } },
    });
    appDir = path.join(output, 'linux-unpacked');
  }, 120_000);

  it('names the executable as the launcher expects', () => {
    expect(readFileSync(path.join(appDir, 'handshake-workbench'), 'utf8')).toContain('stand-in electron');
  });

  it('packs every built bundle into app.asar, and no source maps, test or script bundles', () => {
    const packed = new Set(listPackage(path.join(appDir, 'resources/app.asar')).map((entry) => entry.replace(/^[/\\]/, '')));
    const built = ['out/main', 'out/preload', 'out/renderer', 'out/node'].flatMap((dir) => filesBelow(path.join(root, dir), `${dir}/`));
    expect(built).toContain('out/node/helper.cjs');
    for (const file of built) expect(packed.has(file), file).toBe(!file.endsWith('.map'));
    expect([...packed].filter((entry) => /^out\/(test|scripts|capture)\//.test(entry))).toEqual([]);
    expect(packed.has('package.json')).toBe(true);
  });

  it('unpacks the native capture module next to the archive', () => {
    const binding = path.join(appDir, 'resources/app.asar.unpacked/node_modules/cap/build/Release/cap.node');
    expect(statSync(binding).size).toBeGreaterThan(0);
    expect(readFileSync(binding).subarray(0, 4)).toEqual(Buffer.from([0x7f, 0x45, 0x4c, 0x46])); // ELF
  });

  it('ships the capture launcher and its setup script as resources', () => {
    const launcher = path.join(appDir, 'resources/capture/handshake-capture');
    expect(readFileSync(launcher).subarray(0, 4)).toEqual(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
    expect(statSync(launcher).mode & 0o111).not.toBe(0);
    expect(readFileSync(path.join(appDir, 'resources/capture/setup-capture.sh'), 'utf8')).toMatch(/^#!\/bin\/sh/);
  });

  it.skipIf(process.getuid?.() !== 0 || !has('setcap') || !has('groupadd'))('is set up by after-install when installed under /opt', () => {
    const destdir = path.join(work, 'install-root');
    mkdirSync(path.join(destdir, 'etc'), { recursive: true });
    writeFileSync(path.join(destdir, 'etc/group'), 'root:x:0:\n');
    writeFileSync(path.join(destdir, 'etc/gshadow'), 'root:*::\n');
    cpSync(appDir, path.join(destdir, 'opt/Handshake Workbench'), { recursive: true });
    const script = readFileSync(path.join(root, 'build/linux/after-install.sh'), 'utf8')
      .replaceAll('${sanitizedProductName}', 'Handshake Workbench')
      .replaceAll('${executable}', 'handshake-workbench');
    writeFileSync(path.join(work, 'after-install.sh'), script);
    const result = spawnSync('sh', [path.join(work, 'after-install.sh'), 'configure'], { encoding: 'utf8', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', DESTDIR: destdir } });
    expect(result.status, result.stderr).toBe(0);
    const launcher = path.join(destdir, 'opt/Handshake Workbench/resources/capture/handshake-capture');
    expect(statSync(launcher).mode & 0o7777).toBe(0o750);
    expect(spawnSync('getcap', [launcher], { encoding: 'utf8' }).stdout).toMatch(/cap_net_admin,cap_net_raw,cap_sys_nice=p/);
  });
});
