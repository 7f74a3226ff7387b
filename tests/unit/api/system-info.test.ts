import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch, methodValidators } from '../../../shared/api';
import { Backend } from '../../../electron/engine/backend';
import { createHelperCaptureProvider } from '../../../electron/engine/helper-capture-provider';
import { checkCapturePermission, collectSystemInfo, linuxInstall, permissionOutcome } from '../../../electron/engine/system-info';
import { HelperClient } from '../../../electron/engine/helper-client';
import { mappedLibpcapPath, versionFromLibpcapFileName, versionFromLibraryBytes } from '../../../electron/helper/library-versions';
import { validateRequest } from '../../../electron/helper/protocol';
import { buildHelper, isRoot, ROOT } from '../../integration/capture/support';

const haveSetpriv = spawnSync('setpriv', ['--version']).status === 0;
const DROP_PRIVILEGES = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all'];

/** Debian's idea of the installed libpcap: the package version without epoch and revision ("1.10.3-1" → "1.10.3"). */
function debianLibpcapVersion(): string | null {
  const result = spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'libpcap0.8'], { encoding: 'utf8' });
  if (result.status !== 0 || !result.stdout) return null;
  return result.stdout.replace(/^\d+:/, '').replace(/-[^-]*$/, '');
}
const debianLibpcap = process.platform === 'linux' ? debianLibpcapVersion() : null;

/** The versioned libpcap file in the multiarch directory, named by the package, not by our code. */
function libpcapFileVersion(): string | null {
  const dir = '/usr/lib/x86_64-linux-gnu';
  if (!existsSync(dir)) return null;
  const file = readdirSync(dir).find((name) => /^libpcap\.so\.\d+\.\d+\.\d+$/.test(name));
  return file ? file.slice('libpcap.so.'.length) : null;
}

describe('libpcap version from the mapped library', () => {
  it('takes the version from the resolved file name of the mapped libpcap', () => {
    const maps = [
      '7f04d8000000-7f04d8021000 rw-p 00000000 00:00 0 ',
      '7f04d806f000-7f04d8075000 r--p 00000000 fe:00 5595235    /usr/lib/x86_64-linux-gnu/libpcap.so.0.8',
      '7f04d8075000-7f04d809c000 r-xp 00006000 fe:00 5595235    /usr/lib/x86_64-linux-gnu/libpcap.so.0.8',
    ].join('\n');
    // The ABI name is a symlink; the resolver stands in for realpath.
    const resolved = mappedLibpcapPath(maps, (file) => file.replace('libpcap.so.0.8', 'libpcap.so.1.10.4'));
    expect(resolved).toBe('/usr/lib/x86_64-linux-gnu/libpcap.so.1.10.4');
    expect(versionFromLibpcapFileName(resolved ?? '')).toBe('1.10.4');
  });

  it('says nothing rather than guessing from an ABI name or an unmapped library', () => {
    expect(versionFromLibpcapFileName('/usr/lib/libpcap.so.0.8')).toBeNull();
    expect(versionFromLibpcapFileName('/usr/lib/libpcap.so.1')).toBeNull();
    expect(mappedLibpcapPath('55d0c0a00000-55d0c0a21000 r--p 00000000 fe:00 12  /usr/bin/node\n')).toBeNull();
    // libpcap-something-else.so is not libpcap.
    expect(mappedLibpcapPath('7f00-7f01 r--p 0 fe:00 1  /usr/lib/libpcapng.so.1.2.3\n')).toBeNull();
  });
});

describe('libpcap version from the text compiled into the library', () => {
  const systemLibpcap = '/usr/lib/x86_64-linux-gnu/libpcap.so.0.8';

  it.skipIf(!existsSync(systemLibpcap) || debianLibpcap === null)('reads the installed libpcap as dpkg knows it', () => {
    expect(versionFromLibraryBytes(readFileSync(systemLibpcap))).toBe(debianLibpcap);
  });

  it('reads Npcap\'s form and ignores a format string or a library without the text', () => {
    const npcap = new TextEncoder().encode('\x00\x01MZ\x00Npcap version 1.79, based on libpcap version 1.10.4\x00rest');
    expect(versionFromLibraryBytes(npcap)).toBe('Npcap 1.79 (libpcap 1.10.4)');
    expect(versionFromLibraryBytes(new TextEncoder().encode('\x00libpcap version %s\x00'))).toBeNull();
    expect(versionFromLibraryBytes(new Uint8Array(4096))).toBeNull();
  });
});

describe('Linux permission steps for the way this copy was installed', () => {
  const denied = { ok: false, device: 'lo', message: 'no permission to capture on lo: socket: Operation not permitted', permission: true };

  it('tells the AppImage, the packaged .deb and a source checkout apart', () => {
    expect(linuxInstall({ APPIMAGE: '/home/u/Handshake.AppImage' }, '/tmp/.mount_Hands/resources/app.asar/out/main')).toBe('appimage');
    expect(linuxInstall({}, '/opt/Handshake Workbench/resources/app.asar/out/main')).toBe('deb');
    expect(linuxInstall({}, path.join(ROOT, 'out', 'main'))).toBe('source');
  });

  it('puts the step for this installation first and keeps the others', () => {
    const appImage = permissionOutcome(denied, 'linux', 'appimage').steps;
    expect(appImage[0]).toMatch(/AppImage.*setup-capture\.sh/);
    const fromSource = permissionOutcome(denied, 'linux', 'source').steps;
    expect(fromSource[0]).toMatch(/pkexec/);
    const deb = permissionOutcome(denied, 'linux', 'deb').steps;
    expect(deb[0]).toMatch(/usermod -aG handshake-capture/);
    for (const steps of [appImage, fromSource, deb]) {
      expect(steps).toHaveLength(4);
      expect(steps[3]).toMatch(/Never setcap the Electron binary/);
    }
  });
});

describe('system info and the capture-permission check with the real helper', () => {
  let helperPath: string;
  beforeAll(() => {
    helperPath = buildHelper();
  });
  afterAll(() => rmSync(helperPath, { force: true }));

  it.skipIf(debianLibpcap === null)('reports the cap it loads and the libpcap the helper mapped (dpkg and the library file agree)', async () => {
    const backend = new Backend({ host: 'browser', version: '0.1.0', capture: createHelperCaptureProvider({ helperPath }) });
    const raw = await dispatch(backend.handlers, 'systemInfo', null);
    const info = methodValidators.systemInfo.result(raw);
    const capManifest = JSON.parse(readFileSync(path.join(ROOT, 'node_modules', 'cap', 'package.json'), 'utf8')) as { version: string };
    expect(info).toMatchObject({
      app: '0.1.0',
      electron: null,
      node: process.versions.node,
      cap: capManifest.version,
      libpcap: debianLibpcap,
      platform: 'linux',
      timestampSource: expect.stringContaining('arrival time'),
    });
    const fromFile = libpcapFileVersion();
    if (fromFile) expect(info.libpcap).toBe(fromFile);
    await backend.dispose();
  });

  it('says "unknown" for cap and libpcap when the helper cannot start', async () => {
    const info = await collectSystemInfo('0.1.0', createHelperCaptureProvider({ helperPath, launcher: ['/nonexistent/launcher'] }));
    expect(info).toMatchObject({ cap: 'unknown', libpcap: 'unknown', timestampSource: expect.stringContaining('did not answer') });
    expect(() => methodValidators.systemInfo.result(info)).not.toThrow();
  });

  it.skipIf(!isRoot)('as root, the helper opens a test capture and the check passes', async () => {
    const result = await checkCapturePermission(createHelperCaptureProvider({ helperPath }));
    expect(result).toMatchObject({ ok: true, platform: process.platform, advice: '', steps: [] });
    expect(result.message).toMatch(/Capture works/);
  });

  it.skipIf(!isRoot || !haveSetpriv || process.platform !== 'linux')(
    'with privileges dropped, the check fails with libpcap\'s reason and the Linux steps',
    async () => {
      const backend = new Backend({ host: 'browser', version: '0.1.0', capture: createHelperCaptureProvider({ helperPath, launcher: DROP_PRIVILEGES }) });
      const result = methodValidators.checkCapturePermission.result(await dispatch(backend.handlers, 'checkCapturePermission', null));
      expect(result.ok).toBe(false);
      expect(result.platform).toBe('linux');
      // libpcap's own words for a raw socket without CAP_NET_RAW.
      expect(result.message).toMatch(/Operation not permitted/);
      expect(result.advice).toMatch(/CAP_NET_RAW/);
      const steps = result.steps.join('\n');
      expect(steps).toMatch(/usermod -aG handshake-capture/);
      expect(steps).toMatch(/setup-capture\.sh/);
      expect(steps).toMatch(/pkexec/);
      await backend.dispose();
    },
  );

  it.skipIf(!isRoot)('a probe on a missing interface is a failure, but not a permission one (no setup steps)', async () => {
    const helper = new HelperClient({ helperPath });
    try {
      const probe = await helper.probePermission('hs-none0');
      expect(probe).toMatchObject({ ok: false, device: 'hs-none0', permission: false });
      expect(probe.message).toMatch(/hs-none0/);
      // The probe ran in a throwaway child: this helper can still open its one capture.
      await expect(helper.open('lo', 'udp port 9 and host 127.0.0.9', 4 * 1024 * 1024)).resolves.toMatchObject({ device: 'lo' });
    } finally {
      await helper.stop();
    }
  });

  it('the helper refuses a malformed probe request', () => {
    expect(validateRequest({ id: 1, cmd: 'probe-permission', device: 42 })).toMatchObject({ ok: false, id: 1 });
    expect(validateRequest({ id: 2, cmd: 'probe-permission', device: 'x'.repeat(300) })).toMatchObject({ ok: false });
    expect(validateRequest({ id: 3, cmd: 'probe-permission' })).toMatchObject({ ok: true, value: { cmd: 'probe-permission' } });
  });

  it('a launcher that cannot run gives a failed check with the setup steps, not a crash', async () => {
    const result = await checkCapturePermission(createHelperCaptureProvider({ helperPath, launcher: ['/nonexistent/launcher'] }));
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/could not run/);
    expect(result.steps.length).toBeGreaterThan(0);
  });

  it('without a capture provider the answer says capture is unavailable', async () => {
    expect(await checkCapturePermission(undefined)).toMatchObject({ ok: false, steps: [], message: expect.stringContaining('not available') });
    expect(await collectSystemInfo('0.1.0', undefined)).toMatchObject({ cap: 'unknown', libpcap: 'unknown' });
  });
});
