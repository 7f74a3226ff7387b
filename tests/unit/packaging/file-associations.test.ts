/**
 * File associations: electron-builder registers the app for .pcap, .pcapng, .cap and .pcap.gz
 * with the MIME types the desktop's shared-mime-info database (and Wireshark's MIME package)
 * give those names, and the main process opens the file it is launched with.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { launchFileFromArgv, LaunchFiles } from '../../../electron/main/launch-file';

const root = path.resolve(__dirname, '../../..');
const require = createRequire(import.meta.url);
const { getConfig } = require('app-builder-lib/out/util/config/config') as {
  getConfig(projectDir: string, configPath: string | null, configFromOptions: null): Promise<{ fileAssociations?: Array<{ ext: string | string[]; mimeType?: string; role?: string; name?: string }> }>;
};

const MIME_PACKAGES = ['/usr/share/mime/packages/freedesktop.org.xml', '/usr/share/mime/packages/org.wireshark.Wireshark.xml'].filter(existsSync);

/** glob pattern → the MIME types that claim it, from the installed shared-mime-info packages. */
function mimeGlobs(): Map<string, Set<string>> {
  const globs = new Map<string, Set<string>>();
  for (const file of MIME_PACKAGES) {
    const xml = readFileSync(file, 'utf8');
    for (const match of xml.matchAll(/<mime-type type="([^"]+)">([\s\S]*?)<\/mime-type>/g)) {
      for (const glob of match[2].matchAll(/<glob pattern="([^"]+)"/g)) {
        const set = globs.get(glob[1]) ?? new Set<string>();
        set.add(match[1]);
        globs.set(glob[1], set);
      }
    }
  }
  return globs;
}

describe('fileAssociations', () => {
  it('cover .pcap, .pcapng, .cap and .pcap.gz as a viewer, each with a MIME type', async () => {
    const config = await getConfig(root, null, null);
    const byExt = new Map<string, { mimeType?: string; role?: string }>();
    for (const association of config.fileAssociations ?? []) for (const ext of [association.ext].flat()) byExt.set(ext, association);
    expect([...byExt.keys()].sort()).toEqual(['cap', 'pcap', 'pcap.gz', 'pcapng']);
    for (const [ext, association] of byExt) {
      expect(association.role, ext).toBe('Viewer');
      expect(association.mimeType, ext).toMatch(/^application\/[a-z0-9.+-]+$/);
    }
  });

  it.skipIf(MIME_PACKAGES.length < 2)('use the MIME types shared-mime-info and Wireshark give those file names', async () => {
    const config = await getConfig(root, null, null);
    const globs = mimeGlobs();
    for (const association of config.fileAssociations ?? []) {
      for (const ext of [association.ext].flat()) expect([...(globs.get(`*.${ext}`) ?? [])], ext).toContain(association.mimeType);
    }
  });
});

describe('the file the app is launched with', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fidelity-launch-'));
  const capture = path.join(dir, 'trace.pcapng');
  writeFileSync(capture, '');

  it('is the first existing non-switch argument, after the app path when unpackaged, resolved against the launch directory', () => {
    expect(launchFileFromArgv(['/opt/Handshake Workbench/handshake-workbench', '--no-sandbox', capture], true, '/', existsSync)).toBe(capture);
    expect(launchFileFromArgv(['/usr/bin/electron', '.', 'trace.pcapng'], false, dir, existsSync)).toBe(capture);
    // Unpackaged, argv[1] is the app path, never a capture.
    expect(launchFileFromArgv(['/usr/bin/electron', capture], false, '/', existsSync)).toBeNull();
    expect(launchFileFromArgv(['handshake-workbench', path.join(dir, 'missing.pcap')], true, '/', existsSync)).toBeNull();
    expect(launchFileFromArgv(['handshake-workbench', '--inspect'], true, '/', existsSync)).toBeNull();
  });

  it('waits for the engine when the OS sends it before the app is ready (macOS open-file), then opens each once', () => {
    const files = new LaunchFiles();
    const opened: string[] = [];
    files.request('/a.pcap');
    files.request('/b.pcapng');
    expect(opened).toEqual([]);
    files.ready((file) => opened.push(file));
    files.request('/c.cap');
    expect(opened).toEqual(['/a.pcap', '/b.pcapng', '/c.cap']);
  });

  it('is wired in the main process: open-file, a second instance\u2019s argv and the first launch all go through it', () => {
    const main = readFileSync(path.join(root, 'electron/main/index.ts'), 'utf8');
    expect(main).toMatch(/app\.on\('open-file'/);
    expect(main).toMatch(/app\.on\('second-instance'/);
    expect(main).toMatch(/launchFileFromArgv\(process\.argv/);
    expect(main).toMatch(/grants\.grant\('open', file\)/);
  });
});
