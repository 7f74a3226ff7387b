/**
 * The electron-builder configuration, checked offline the way electron-builder itself would:
 * loaded by its own loader, validated against its own schema, and every file it names present.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../../..');
const require = createRequire(import.meta.url);
// The same modules the `electron-builder` command uses to read and check its configuration.
const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
  getConfig(projectDir: string, configPath: string | null, configFromOptions: null): Promise<BuilderConfig>;
  validateConfiguration(config: BuilderConfig, logger: unknown): Promise<void>;
};
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };

type ExtraResource = { from: string; to: string };
interface BuilderConfig {
  [key: string]: unknown;
  appId?: string;
  productName?: string;
  executableName?: string;
  /** getConfig normalises `files` into file sets. */
  files?: Array<{ filter: string[] }>;
  asar?: boolean;
  asarUnpack?: string[];
  npmRebuild?: boolean;
  electronFuses?: Record<string, boolean>;
  win?: { icon?: string; target?: Array<{ target: string }> };
  nsis?: { installerIcon?: string; uninstallerIcon?: string; include?: string };
  mac?: { icon?: string; hardenedRuntime?: boolean; entitlements?: string; entitlementsInherit?: string; target?: Array<{ target: string }> };
  linux?: { icon?: string; target?: string[]; extraResources?: ExtraResource[] };
  deb?: { afterInstall?: string; afterRemove?: string; depends?: string[] };
}

const loadConfig = () => getConfig(root, null, null);
const hasTool = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;

/** PNG width and height from the IHDR chunk (PNG spec §11.2.2: bytes 16–23). */
function pngSize(file: string): [number, number] {
  const bytes = readFileSync(file);
  expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

describe('electron-builder configuration', () => {
  it('loads from electron-builder.yml and passes electron-builder’s own schema validation', async () => {
    const config = await loadConfig();
    expect(config).toMatchObject({ productName: 'Handshake Workbench', appId: expect.stringMatching(/^[a-z0-9.-]+$/) });
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('has a validator that really rejects a wrong configuration', async () => {
    const config = await loadConfig();
    const broken = (patch: Record<string, unknown>): BuilderConfig => ({ ...config, ...patch });
    await expect(validateConfiguration(broken({ nsis: { ...config.nsis, oneClik: false } }), new DebugLogger(false))).rejects.toThrow(/configuration\.nsis should be/);
    await expect(validateConfiguration(broken({ npmRebuild: 'yes' }), new DebugLogger(false))).rejects.toThrow(/configuration\.npmRebuild should be a boolean/);
  });

  it('builds an NSIS installer, a hardened dmg, an AppImage and a deb', async () => {
    const config = await loadConfig();
    expect(config.win?.target?.map((t) => t.target)).toEqual(['nsis']);
    expect(config.mac?.target?.map((t) => t.target)).toEqual(['dmg']);
    expect(config.mac?.hardenedRuntime).toBe(true);
    expect(config.linux?.target).toEqual(['AppImage', 'deb']);
  });

  it('unpacks and rebuilds the native capture module, and keeps Node mode for the helper', async () => {
    const config = await loadConfig();
    expect(config.npmRebuild).toBe(true);
    expect(config.asarUnpack?.some((pattern) => path.matchesGlob('node_modules/cap/build/Release/cap.node', pattern))).toBe(true);
    expect(config.electronFuses?.runAsNode).toBe(true);
  });

  it('ships what the app starts from and leaves source maps and test bundles out', async () => {
    const config = await loadConfig();
    const patterns = (config.files ?? []).flatMap((set) => set.filter);
    const included = (file: string) =>
      patterns.filter((p) => !p.startsWith('!')).some((p) => path.matchesGlob(file, p)) && !patterns.filter((p) => p.startsWith('!')).some((p) => path.matchesGlob(file, p.slice(1)));
    const packageJson = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { main: string };
    for (const file of [packageJson.main, 'out/preload/index.cjs', 'out/renderer/index.html', 'out/node/helper.cjs', 'out/node/engine.cjs', 'package.json']) {
      expect(included(file), file).toBe(true);
    }
    for (const file of ['out/node/helper.cjs.map', 'out/test/x.cjs', 'out/capture/handshake-capture', 'shared/wire/decode.ts', 'tests/run.mjs']) {
      expect(included(file), file).toBe(false);
    }
  });

  it('names only files that exist (the launcher after its build step)', async () => {
    const config = await loadConfig();
    const build = spawnSync(process.execPath, [path.join(root, 'build/scripts/build-launcher.mjs')], { encoding: 'utf8' });
    expect(build.status, build.stderr).toBe(0);
    const referenced = [
      config.win?.icon,
      config.nsis?.installerIcon,
      config.nsis?.uninstallerIcon,
      config.nsis?.include,
      config.mac?.icon,
      config.mac?.entitlements,
      config.mac?.entitlementsInherit,
      config.deb?.afterInstall,
      config.deb?.afterRemove,
      ...(config.linux?.extraResources ?? []).map((resource) => resource.from),
    ];
    for (const file of referenced) {
      expect(file, 'a referenced path').toBeTypeOf('string');
      expect(existsSync(path.join(root, file!)), file).toBe(true);
    }
    expect(statSync(path.join(root, config.linux!.icon!)).isDirectory()).toBe(true);
  });

  it('names the executable the Linux capture launcher looks for next to itself', async () => {
    const config = await loadConfig();
    const source = readFileSync(path.join(root, 'build/linux/capture-launcher.c'), 'utf8');
    expect(source.match(/#define APP_EXECUTABLE "([^"]+)"/)?.[1]).toBe(config.executableName);
    expect(config.asar).toBe(true); // the launcher runs resources/app.asar/out/node/helper.cjs
    expect(config.linux?.extraResources?.map((resource) => resource.to)).toContain('capture/handshake-capture');
  });

  it('depends on libpcap (for cap) and libcap2-bin (for setcap) in the deb', async () => {
    const config = await loadConfig();
    expect(config.deb?.depends).toEqual(expect.arrayContaining(['libpcap0.8', 'libcap2-bin', 'libnss3', 'libgtk-3-0']));
  });

  it('grants only the justified macOS entitlements (parsed by Python’s plistlib)', async () => {
    const config = await loadConfig();
    const plist = path.join(root, config.mac!.entitlements!);
    const parsed = spawnSync('/usr/bin/python3', ['-c', 'import json,plistlib,sys; print(json.dumps(plistlib.load(open(sys.argv[1],"rb"))))', plist], { encoding: 'utf8' });
    expect(parsed.status, parsed.stderr).toBe(0);
    expect(JSON.parse(parsed.stdout)).toEqual({
      'com.apple.security.cs.allow-jit': true,
      'com.apple.security.network.client': true,
      'com.apple.security.network.server': true,
    });
  });
});

describe('icons', () => {
  const iconDir = path.join(root, 'build/icons');

  it('has a PNG of every size from 16 to 1024 for Linux, each of its stated size', () => {
    for (const size of [16, 24, 32, 48, 64, 128, 256, 512, 1024]) {
      expect(pngSize(path.join(iconDir, `${size}x${size}.png`)), `${size}px`).toEqual([size, size]);
    }
    expect(readdirSync(iconDir)).toContain('icon.svg');
  });

  it.skipIf(!hasTool('identify'))('has a Windows .ico with 16–256 px images (read by ImageMagick)', () => {
    const listing = spawnSync('identify', ['-format', '%w\n', path.join(iconDir, 'icon.ico')], { encoding: 'utf8' });
    expect(listing.status, listing.stderr).toBe(0);
    expect(listing.stdout.trim().split('\n').map(Number)).toEqual([16, 24, 32, 48, 64, 128, 256]);
  });

  it.skipIf(!hasTool('icns2png'))('has a macOS .icns with every element iconutil writes (listed by libicns)', () => {
    const listing = spawnSync('icns2png', ['-l', path.join(iconDir, 'icon.icns')], { encoding: 'utf8' });
    expect(listing.status, listing.stderr).toBe(0);
    const types = [...listing.stdout.matchAll(/'(\w{4})'/g)].map((match) => match[1]);
    expect(types.sort()).toEqual(['ic07', 'ic08', 'ic09', 'ic10', 'ic11', 'ic12', 'ic13', 'ic14', 'icp4', 'icp5', 'icp6']);
    expect(listing.stdout).toMatch(/'ic10' 1024x1024 32-bit/);
    expect(listing.stdout).toMatch(/'ic09' 512x512 32-bit/);
  });
});

describe.skipIf(!hasTool('makensis'))('the Windows installer pieces, compiled by NSIS', () => {
  it('compiles the installer include and accepts the installer icon', async () => {
    const config = await loadConfig();
    const work = mkdtempSync(path.join(tmpdir(), 'hs-nsis-'));
    try {
      // The same shape electron-builder's template uses: the include at top level, customInstall inside the install section.
      const script = [
        'Unicode true',
        `OutFile "${path.join(work, 'setup.exe')}"`,
        'RequestExecutionLevel user',
        `Icon "${path.join(root, config.nsis!.installerIcon!)}"`,
        `!include "${path.join(root, config.nsis!.include!)}"`,
        'Section',
        '  !insertmacro customInstall',
        'SectionEnd',
      ].join('\n');
      writeFileSync(path.join(work, 'setup.nsi'), script);
      const compiled = spawnSync('makensis', ['-V2', path.join(work, 'setup.nsi')], { encoding: 'utf8' });
      expect(compiled.status, compiled.stdout + compiled.stderr).toBe(0);
      expect(existsSync(path.join(work, 'setup.exe'))).toBe(true);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
