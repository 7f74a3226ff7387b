/**
 * A throw-away installed tree shaped like electron-builder's Linux output (`linux-unpacked`,
 * installed under /opt by the deb): root-owned, every directory writable by root alone, the
 * compiled capture launcher in resources/capture with setup-capture.sh's capabilities, mode
 * 0750 root:GROUP. Node stands in for Electron (the launcher passes ELECTRON_RUN_AS_NODE=1,
 * which Node ignores) and app.asar is a plain directory (Node cannot read asar archives).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../../..');
export const BUILT_HELPER = path.join(ROOT, 'out/node/helper.cjs');
export const NOBODY = 65534;
export const NOGROUP = 65534;
/** Runs the rest of a command line as uid 65534 in group 65534 only: a member of the capture group. */
export const AS_MEMBER = ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOGROUP}`, '--clear-groups', 'env'];
/** Uid 65534 in group 100 only: not a member. */
export const AS_NON_MEMBER = ['setpriv', `--reuid=${NOBODY}`, '--regid=100', '--clear-groups', 'env'];

export const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;

/** A root-owned base directory that no one else can write, as the launcher requires of every ancestor. */
export function trustedBase(): string | null {
  for (const base of ['/run', '/var/lib']) {
    const info = existsSync(base) ? statSync(base) : null;
    if (info && info.uid === 0 && (info.mode & 0o022) === 0) return base;
  }
  return null;
}

/** Every ancestor of Node's real path must be trusted too, since it plays the Electron binary. */
function nodeIsTrusted(): boolean {
  let current = realpathSync(process.execPath);
  for (;;) {
    const info = statSync(current);
    if (info.uid !== 0 || (info.mode & 0o022) !== 0) return false;
    if (current === '/') return true;
    current = path.dirname(current);
  }
}

/** Why an installed tree cannot be simulated here, or null when it can. */
export function cannotSimulate(): string | null {
  if (process.getuid?.() !== 0) return 'needs root';
  for (const tool of ['setpriv', 'setcap', 'cc']) if (!has(tool)) return `needs ${tool}`;
  if (trustedBase() === null) return 'no root-owned base directory';
  if (!existsSync(BUILT_HELPER)) return 'out/node/helper.cjs not built (npm run build:node)';
  if (!nodeIsTrusted()) return "node's directory is writable by others";
  if (!existsSync(path.join(ROOT, 'node_modules/cap'))) return 'cap is not installed';
  return null;
}

export interface InstalledTree {
  /** The temporary directory holding it all (remove it afterwards). */
  base: string;
  /** The app directory (/opt/Handshake Workbench in the deb). */
  app: string;
  /** Stand-in for the Electron binary. */
  executable: string;
  resources: string;
  launcher: string;
  helperInAsar: string;
}

export function makeInstalledTree(prefix: string): InstalledTree {
  const base = mkdtempSync(path.join(trustedBase()!, prefix));
  chmodSync(base, 0o755);
  const app = path.join(base, 'app');
  const resources = path.join(app, 'resources');
  mkdirSync(path.join(resources, 'capture'), { recursive: true, mode: 0o755 });
  mkdirSync(path.join(resources, 'app.asar/out/node'), { recursive: true, mode: 0o755 });
  mkdirSync(path.join(resources, 'app.asar/node_modules'), { mode: 0o755 });
  const executable = path.join(app, 'handshake-workbench');
  symlinkSync(realpathSync(process.execPath), executable);
  const helperInAsar = path.join(resources, 'app.asar/out/node/helper.cjs');
  copyFileSync(BUILT_HELPER, helperInAsar);
  symlinkSync(path.join(ROOT, 'node_modules/cap'), path.join(resources, 'app.asar/node_modules/cap'));
  const launcher = path.join(resources, 'capture/handshake-capture');
  const build = spawnSync(process.execPath, [path.join(ROOT, 'build/scripts/build-launcher.mjs'), launcher], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(build.stderr);
  chownSync(launcher, 0, NOGROUP);
  chmodSync(launcher, 0o750);
  // The capabilities setup-capture.sh gives (read from it, so the layout follows the script).
  const capabilities = /setcap (\S+) "\$launcher"/.exec(readFileSync(path.join(ROOT, 'build/linux/setup-capture.sh'), 'utf8'))?.[1];
  if (!capabilities) throw new Error('no setcap line in build/linux/setup-capture.sh');
  const setcap = spawnSync('setcap', [capabilities, launcher], { encoding: 'utf8' });
  if (setcap.status !== 0) throw new Error(setcap.stderr);
  return { base, app, executable, resources, launcher, helperInAsar };
}

/** TCP sockets that `pid` has listening (its fds matched against its own /proc/PID/net/tcp{,6}). */
export function listeningSockets(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]);
    } catch {
      // closed meanwhile
    }
  }
  const listening: string[] = [];
  for (const table of ['tcp', 'tcp6']) {
    const rows = readFileSync(`/proc/${pid}/net/${table}`, 'utf8').split('\n').slice(1);
    for (const row of rows) {
      const columns = row.trim().split(/\s+/);
      // columns: sl local remote st … inode (10th)
      if (columns[3] === '0A' && inodes.has(columns[9])) listening.push(`${table} ${columns[1]}`);
    }
  }
  return listening;
}
