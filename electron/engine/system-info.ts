/**
 * The About box's versions and the first-run capture-permission check, answered by the
 * engine with the help of a short-lived capture helper (the only process that loads cap).
 */
import type { CapturePermission, SystemInfo } from '../../shared/api';
import { isPermissionMessage, permissionGuide, type LinuxInstall } from '../helper/permission';
import type { ProbePermissionResult } from '../helper/protocol';
import { UNKNOWN_VERSION as UNKNOWN } from '../helper/library-versions';
import type { CaptureProvider } from './capture-provider';
import { HelperRequestError } from './helper-client';

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Platforms the permission guide knows; anything else gets the generic text. */
function asPlatform(name: string): NodeJS.Platform {
  return name as NodeJS.Platform;
}

/**
 * How this copy runs on Linux. The AppImage runtime sets APPIMAGE; otherwise code inside
 * app.asar is a packaged install, and the only other Linux package is the .deb.
 */
export function linuxInstall(env: NodeJS.ProcessEnv = process.env, moduleDirectory: string = __dirname): LinuxInstall {
  if (env.APPIMAGE) return 'appimage';
  if (/[\\/]app\.asar([\\/]|$)/.test(moduleDirectory)) return 'deb';
  return 'source';
}

export async function collectSystemInfo(app: string, provider: CaptureProvider | undefined): Promise<SystemInfo> {
  const base = {
    app,
    electron: process.versions.electron ?? null,
    node: process.versions.node,
    chrome: process.versions.chrome ?? null,
  };
  if (!provider?.describe) {
    return { ...base, cap: UNKNOWN, libpcap: UNKNOWN, platform: process.platform, timestampSource: 'no capture helper in this build' };
  }
  try {
    const hello = await provider.describe();
    return {
      ...base,
      // An older helper without these fields says nothing about them.
      cap: hello.capVersion ?? UNKNOWN,
      libpcap: hello.libpcapVersion ?? UNKNOWN,
      platform: hello.platform,
      timestampSource: hello.timestampSource,
    };
  } catch (error) {
    const reason = messageOf(error);
    return { ...base, cap: UNKNOWN, libpcap: UNKNOWN, platform: process.platform, timestampSource: `unknown: the capture helper did not answer (${reason})` };
  }
}

/**
 * The API answer for one probe: on a permission failure, the remedy for the helper's OS
 * (on Linux, `install`'s step first).
 */
export function permissionOutcome(probe: ProbePermissionResult, platform: string, install?: LinuxInstall): CapturePermission {
  if (probe.ok) return { ok: true, platform, message: `Capture works: a test capture opened on ${probe.device}.`, advice: '', steps: [] };
  // The helper's message already names the device.
  const message = `Test capture failed: ${probe.message ?? `no reason given for ${probe.device}`}`;
  if (!probe.permission) return { ok: false, platform, message, advice: '', steps: [] };
  const guide = permissionGuide(asPlatform(platform), install);
  return { ok: false, platform, message, advice: guide.need, steps: guide.steps };
}

export async function checkCapturePermission(provider: CaptureProvider | undefined): Promise<CapturePermission> {
  const platform = process.platform;
  if (!provider?.probePermission) {
    return { ok: false, platform, message: 'Live capture is not available in this build.', advice: '', steps: [] };
  }
  try {
    const probe = await provider.probePermission();
    // A helper on another host (over SSH) is installed its own way; only a local one is ours to describe.
    const install = probe.platform === 'linux' && platform === 'linux' ? linuxInstall() : undefined;
    return permissionOutcome(probe, probe.platform, install);
  } catch (error) {
    // A helper that cannot start at all is, in practice, a launcher refused (pkexec) or not set up.
    const message = `The capture helper could not run: ${messageOf(error)}`;
    const launcherProblem = error instanceof HelperRequestError && (error.code === 'helper-exited' || error.code === 'permission');
    if (!launcherProblem && !isPermissionMessage(message)) return { ok: false, platform, message, advice: '', steps: [] };
    const guide = permissionGuide(platform, platform === 'linux' ? linuxInstall() : undefined);
    return { ok: false, platform, message, advice: guide.need, steps: guide.steps };
  }
}
