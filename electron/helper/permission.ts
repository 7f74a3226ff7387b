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

/** One paragraph saying what to do on this OS. */
export function permissionAdvice(platform: NodeJS.Platform = process.platform): string {
  switch (platform) {
    case 'linux':
      return (
        'Capture needs CAP_NET_RAW and CAP_NET_ADMIN, held by the capture helper alone. Installed from the .deb: ' +
        'add yourself to the capture group (`sudo usermod -aG handshake-capture $USER`, then log in again); its ' +
        'launcher holds the capabilities and runs nothing but the helper. From the AppImage: run its one-time ' +
        '`setup-capture.sh` (see build/README.md). From source: start the helper through polkit with ' +
        'HANDSHAKE_HELPER_LAUNCHER=pkexec, or `sudo sh electron/helper/setup-linux-capture.sh` and set ' +
        'HANDSHAKE_HELPER_NODE as it says (that gives a dedicated node copy the capabilities for one group: ' +
        'for a development machine only). Never setcap the Electron binary.'
      );
    case 'darwin':
      return (
        'Capture needs read/write access to the /dev/bpf* devices. Install the ChmodBPF launch daemon ' +
        "(Wireshark ships one) and add your user to the 'access_bpf' group, then log in again."
      );
    case 'win32':
      return 'Capture needs Npcap installed with "WinPcap API-compatible mode" ticked (https://npcap.com). No administrator rights are needed after that.';
    default:
      return 'Capture needs permission to open raw packet capture devices on this system.';
  }
}

/** libpcap messages that come from activating the device, as opposed to compiling the filter. */
export function isActivationMessage(message: string): boolean {
  return /^(socket|bind|setsockopt|ioctl|SIOC|can't mmap|mmap|That device|No such device|.*doesn't exist)/i.test(message) || isPermissionMessage(message);
}
