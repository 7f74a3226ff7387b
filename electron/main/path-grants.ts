/**
 * Which file paths the renderer may hand to the engine. A compromised renderer must not
 * open or write files of its choosing: the main process accepts a path to open only when
 * it came from its own open dialog, its recent-files list or the command line, and a path
 * to write only when its own save dialog returned it (once per dialog); a page-load recording
 * starts only the installed browser (or one chosen in its open dialog), without extra switches. Kept free of
 * Electron imports so it can be tested as a module.
 */
import path from 'node:path';

export type GrantedUse = 'open' | 'save';

export class PathGrants {
  private readonly openable = new Set<string>();
  private readonly writable = new Set<string>();

  /** `recent` is consulted at each check, so the list on disk stays the one source. */
  constructor(private readonly recent: () => readonly string[] = () => []) {}

  grant(use: GrantedUse, filePath: string): void {
    (use === 'open' ? this.openable : this.writable).add(path.resolve(filePath));
  }

  /**
   * Checks one request's params. Returns the params to forward (a save through a granted
   * path carries `overwrite: true`: the native dialog already asked before replacing), or
   * throws an Error saying why the path is refused.
   */
  check(method: string, params: unknown): unknown {
    if (method === 'openFile' || method === 'readScript') {
      const target = path.resolve(pathOf(params));
      if (this.openable.has(target) || this.recent().some((p) => path.resolve(p) === target)) return params;
      throw new Error(`refusing to open ${target}: choose it with File › Open`);
    }
    if (method === 'saveAs' || method === 'exportFrames' || method === 'exportPackets' || method === 'writeScript' || method === 'saveFollow' || method === 'saveFlowGraph') {
      const target = path.resolve(pathOf(params));
      if (!this.writable.delete(target)) throw new Error(`refusing to write ${target}: choose it in the save dialog`);
      return { ...(params as object), overwrite: true };
    }
    if (method === 'recordPageLoad') {
      // The engine starts this program with these arguments, so the renderer may choose neither
      // (a Chromium switch such as --renderer-cmd-prefix runs any command it names).
      const { browser, browserArgs } = (params ?? {}) as { browser?: unknown; browserArgs?: unknown };
      if (browser !== null && browser !== undefined && (typeof browser !== 'string' || !this.openable.has(path.resolve(browser)))) {
        throw new Error(`refusing to start ${String(browser)}: leave Browser empty to use the installed one, or record with handshake browse --browser`);
      }
      if (Array.isArray(browserArgs) && browserArgs.length > 0) throw new Error('refusing browser arguments from the window (a browser switch can start any program): record with handshake browse, or in the browser host');
    }
    return params;
  }
}

function pathOf(params: unknown): string {
  const value = (params as { path?: unknown } | null)?.path;
  if (typeof value !== 'string') throw new Error('params.path: expected a string');
  return value;
}
