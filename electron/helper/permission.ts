/** Recognising libpcap's permission errors, and telling the user how to fix them on their OS. */

const PERMISSION_PATTERNS = [
  /operation not permitted/i,
  /permission denied/i,
  /don't have permission/i,
  /\/dev\/bpf/i,
  /access is denied/i,
  /npcap|wpcap|packet\.dll/i,
];

export function isPermissionMessage(message: string): boolean {
  return PERMISSION_PATTERNS.some((pattern) => pattern.test(message));
}

export interface PermissionGuide {
  /** What capture needs on this OS, in one sentence. */
  need: string;
  /** Concrete things to do, one per step, most common installation first. */
  steps: string[];
}

/** How this copy was installed on Linux; each grants capture differently. */
export type LinuxInstall = 'deb' | 'appimage' | 'source';

const LINUX_STEPS: Record<LinuxInstall, string> = {
  deb:
    'Installed from the .deb: add yourself to the capture group (`sudo usermod -aG handshake-capture $USER`, then log in again); ' +
    'its launcher holds the capabilities and runs nothing but the helper.',
  appimage: 'From the AppImage: run its one-time `setup-capture.sh` (see build/README.md).',
  source:
    'From source: `sudo sh electron/helper/setup-linux-capture.sh`, join the handshake-capture group and set ' +
    'HANDSHAKE_HELPER_LAUNCHER as it says (a root-owned copy of the helper that only the capture launcher runs), ' +
    'or start the helper through polkit with HANDSHAKE_HELPER_LAUNCHER=pkexec.',
};

/**
 * What capture needs on `platform` and the steps that grant it; permissionAdvice() is the
 * same text as one paragraph. On Linux, `install` (when known) puts that installation's step first.
 */
export function permissionGuide(platform: NodeJS.Platform = process.platform, install?: LinuxInstall): PermissionGuide {
  switch (platform) {
    case 'linux': {
      const order: LinuxInstall[] = ['deb', 'appimage', 'source'];
      if (install) order.sort((a, b) => Number(b === install) - Number(a === install));
      return {
        need: 'Capture needs CAP_NET_RAW and CAP_NET_ADMIN, held by the capture helper alone.',
        steps: [...order.map((kind) => LINUX_STEPS[kind]), 'Never setcap the Electron binary or a node binary: any code they run would hold the capabilities.'],
      };
    }
    case 'darwin':
      return {
        need: 'Capture needs read/write access to the /dev/bpf* devices.',
        steps: [
          'Install the ChmodBPF launch daemon (Wireshark ships one).',
          "Add your user to the 'access_bpf' group, then log in again.",
        ],
      };
    case 'win32':
      return {
        need: 'Capture needs Npcap.',
        steps: [
          'Install Npcap (https://npcap.com) with "WinPcap API-compatible mode" ticked.',
          'No administrator rights are needed after that.',
        ],
      };
    default:
      return { need: 'Capture needs permission to open raw packet capture devices on this system.', steps: [] };
  }
}

/** One paragraph saying what to do on this OS. */
export function permissionAdvice(platform: NodeJS.Platform = process.platform): string {
  const guide = permissionGuide(platform);
  return [guide.need, ...guide.steps].join(' ');
}

/** libpcap messages that come from activating the device, as opposed to compiling the filter. */
export function isActivationMessage(message: string): boolean {
  return /^(socket|bind|setsockopt|ioctl|SIOC|can't mmap|mmap|That device|No such device|.*doesn't exist)/i.test(message) || isPermissionMessage(message);
}
