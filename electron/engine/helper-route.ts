/**
 * How the Electron engine starts the capture helper, per OS and per installation. The helper
 * must run under the runtime its native `cap` module was built for:
 *
 * | installation | runs the helper | cap built for | capture permission |
 * |---|---|---|---|
 * | Linux deb, extracted AppImage set up by setup-capture.sh | `resources/capture/handshake-capture` (the launcher: Electron as Node, ambient CAP_NET_RAW+CAP_NET_ADMIN, seccomp) | Electron (electron-builder's npmRebuild) | membership of `handshake-capture` |
 * | AppImage run from its mount, macOS, Windows | the app's Electron binary as Node (ELECTRON_RUN_AS_NODE=1) on `app.asar/out/node/helper.cjs` | Electron | Linux: none (the permission help says what to do); macOS: read/write on /dev/bpf* (ChmodBPF, `access_bpf`); Windows: Npcap |
 * | source checkout (`npm start`, `npx handshake`) | the system `node` | that node (`npm install`) | HANDSHAKE_HELPER_LAUNCHER (pkexec, or the development launcher from setup-linux-capture.sh) |
 *
 * HANDSHAKE_HELPER_NODE / _PATH / _LAUNCHER, when set, still win (helper-client.ts).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { HelperLaunchOptions } from './helper-client';

export interface HelperRouteContext {
  platform: NodeJS.Platform;
  /** The Electron binary (process.execPath inside Electron). */
  execPath: string;
  /** Electron's process.resourcesPath; undefined outside Electron. */
  resourcesPath: string | undefined;
  env: NodeJS.ProcessEnv;
  /** Whether a `node` on PATH runs (only asked for a source checkout). */
  systemNodeRuns: () => boolean;
  exists?: (file: string) => boolean;
}

/** Where electron-builder puts the Linux capture launcher (electron-builder.yml, extraResources). */
export function launcherPath(resourcesPath: string): string {
  return path.join(resourcesPath, 'capture', 'handshake-capture');
}

/** True for a packaged app: electron-builder's app.asar next to Electron's resources (a source run has only default_app.asar). */
export function isPackaged(resourcesPath: string | undefined, exists: (file: string) => boolean = existsSync): boolean {
  return resourcesPath !== undefined && exists(path.join(resourcesPath, 'app.asar'));
}

export function helperRoute(context: HelperRouteContext): HelperLaunchOptions {
  const exists = context.exists ?? existsSync;
  const electronAsNode: HelperLaunchOptions = { nodePath: context.execPath, env: { ELECTRON_RUN_AS_NODE: '1' } };
  if (isPackaged(context.resourcesPath, exists)) {
    const resources = context.resourcesPath!;
    const helperPath = path.join(resources, 'app.asar', 'out', 'node', 'helper.cjs');
    const launcher = launcherPath(resources);
    // Inside a running AppImage the launcher sits on a user-owned nosuid mount: its capabilities
    // do not apply and it refuses the layout, so the helper runs without privileges and the
    // permission help points to the one-time extraction.
    if (context.platform === 'linux' && !context.env.APPIMAGE && exists(launcher)) {
      // The launcher ignores the node and script arguments the client appends and runs its own.
      return { launcher: [launcher], nodePath: context.execPath, helperPath };
    }
    return { ...electronAsNode, helperPath };
  }
  // A source checkout: `npm install` built cap for the system node.
  return context.systemNodeRuns() ? { nodePath: 'node' } : electronAsNode;
}
