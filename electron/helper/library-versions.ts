/**
 * Which `cap` and which libpcap this helper actually runs with, for the About box.
 * cap does not expose pcap_lib_version(), so the libpcap version comes from the library
 * file the process mapped; when nothing honest can be found the answer says so.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';

export const UNKNOWN_VERSION = 'unknown';

/** cap's version from the package.json next to the module this process loads. */
export function capVersion(): string {
  try {
    // createRequire keeps the lookup at run time (the bundler leaves it alone), from where the helper lives.
    const load = createRequire(__filename);
    const manifest = JSON.parse(readFileSync(load.resolve('cap/package.json'), 'utf8')) as { version?: unknown };
    return typeof manifest.version === 'string' ? manifest.version : UNKNOWN_VERSION;
  } catch {
    return UNKNOWN_VERSION;
  }
}

/**
 * The libpcap shared object named in a /proc/<pid>/maps text, after `resolve` (symlinks
 * followed); null when none is mapped.
 */
export function mappedLibpcapPath(maps: string, resolve: (file: string) => string = realpathSync): string | null {
  for (const line of maps.split('\n')) {
    const slash = line.indexOf('/');
    if (slash < 0) continue;
    const file = line.slice(slash);
    if (/\/libpcap\.so[^/]*$/.test(file)) {
      try {
        return resolve(file);
      } catch {
        return file;
      }
    }
  }
  return null;
}

/** "libpcap.so.1.10.3" → "1.10.3"; a soname without the full version (libpcap.so.0.8 is Debian's ABI name) → null. */
export function versionFromLibpcapFileName(file: string): string | null {
  const match = /libpcap\.so\.(\d+\.\d+\.\d+)$/.exec(file);
  return match ? match[1] : null;
}

/** The libpcap version this process uses, as far as it can be told without pcap_lib_version(). */
export function libpcapVersion(platform: NodeJS.Platform = process.platform): string {
  switch (platform) {
    case 'linux': {
      let maps: string;
      try {
        maps = readFileSync('/proc/self/maps', 'utf8');
      } catch {
        return UNKNOWN_VERSION;
      }
      const file = mappedLibpcapPath(maps);
      if (!file) return UNKNOWN_VERSION;
      return versionFromLibpcapFileName(file) ?? `${UNKNOWN_VERSION} (${file})`;
    }
    case 'darwin':
      // The system library lives in the dyld shared cache and names no version in its file name.
      return 'system libpcap (version unknown)';
    case 'win32':
      return existsSync('C:\\Windows\\System32\\Npcap\\wpcap.dll') ? 'Npcap (version unknown)' : UNKNOWN_VERSION;
    default:
      return UNKNOWN_VERSION;
  }
}
