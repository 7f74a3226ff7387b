/**
 * The capture file the app was launched with: a file manager's "Open with", a double click on
 * an associated .pcap/.pcapng/.cap/.pcap.gz (electron-builder.yml fileAssociations) or a
 * command line. Linux and Windows pass it as an argument (to a second instance too); macOS sends
 * it with the open-file event instead. Free of Electron imports so it can be tested as a module.
 */
import path from 'node:path';

/**
 * The first argument after the executable (and, unpackaged, after the app path) that is not a
 * switch and names an existing file, resolved against the launching directory; null if none.
 */
export function launchFileFromArgv(argv: readonly string[], packaged: boolean, cwd: string, exists: (file: string) => boolean): string | null {
  for (const arg of argv.slice(packaged ? 1 : 2)) {
    if (arg.startsWith('-')) continue;
    const resolved = path.resolve(cwd, arg);
    if (exists(resolved)) return resolved;
  }
  return null;
}

/**
 * Holds files the OS asked to open until the engine can take them (macOS sends open-file
 * before the app is ready when a double click starts it), then hands each to `open`.
 */
export class LaunchFiles {
  private pending: string[] = [];
  private opener: ((file: string) => void) | null = null;

  request(file: string): void {
    if (this.opener) this.opener(file);
    else this.pending.push(file);
  }

  ready(open: (file: string) => void): void {
    this.opener = open;
    const queued = this.pending;
    this.pending = [];
    for (const file of queued) open(file);
  }
}
