/**
 * Which `cap` and which libpcap this helper actually runs with, for the About box.
 * cap does not expose pcap_lib_version(), so the libpcap version comes from the library
 * file itself: the text pcap_lib_version() returns is a string constant compiled into it,
 * and on Linux the versioned file name is a second witness. When nothing honest can be
 * found the answer says so.
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

/**
 * The version in the pcap_lib_version() text found in a library's bytes: "libpcap version
 * 1.10.3 (with TPACKET_V3)" → "1.10.3"; Npcap's "Npcap version 1.79, based on libpcap version
 * 1.10.4" → "Npcap 1.79 (libpcap 1.10.4)"; null when the text is not there.
 */
export function versionFromLibraryBytes(bytes: Uint8Array): string | null {
  // latin1 maps every byte to one character, so the ASCII text survives among binary data.
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const match = /(?:Npcap version (\d[\w.-]*), based on )?libpcap version (\d+\.\d+(?:\.\d+)?)/.exec(text);
  if (!match) return null;
  return match[1] ? `Npcap ${match[1]} (libpcap ${match[2]})` : match[2];
}

function versionFromLibraryFile(file: string): string | null {
  try {
    return versionFromLibraryBytes(readFileSync(file));
  } catch {
    return null;
  }
}

const MACOS_SYSTEM_LIBPCAP = '/usr/lib/libpcap.A.dylib';
const NPCAP_LIBRARY = 'C:\\Windows\\System32\\Npcap\\wpcap.dll';

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
      return versionFromLibraryFile(file) ?? versionFromLibpcapFileName(file) ?? `${UNKNOWN_VERSION} (${file})`;
    }
    case 'darwin':
      // Since macOS 11 the system library lives in the dyld shared cache, not as a file.
      return (existsSync(MACOS_SYSTEM_LIBPCAP) ? versionFromLibraryFile(MACOS_SYSTEM_LIBPCAP) : null) ?? 'system libpcap (version unknown)';
    case 'win32':
      if (!existsSync(NPCAP_LIBRARY)) return UNKNOWN_VERSION;
      return versionFromLibraryFile(NPCAP_LIBRARY) ?? 'Npcap (version unknown)';
    default:
      return UNKNOWN_VERSION;
  }
}
