/** The options that point `capture` and `interfaces` at a remote host over SSH (engine/remote-capture.ts). */
import { parseRemoteTarget, targetText, type RemoteOptions, type RemoteTarget } from '../../engine/remote-capture';

export { prepareRemoteCapture } from '../../engine/remote-capture';
import { UsageError, type OptionKind, type ParsedOptions } from './live-options';

export const REMOTE_OPTIONS: Record<string, OptionKind> = {
  '--remote': 'value',
  '--sudo': 'flag',
  '--remote-tool': 'value',
  '--ssh-config': 'value',
  '--include-own-ssh': 'flag',
};

const REMOTE_ONLY = ['--sudo', '--remote-tool', '--ssh-config', '--include-own-ssh'];

function parsedTarget(text: string): RemoteTarget {
  try {
    return parseRemoteTarget(text);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** What the remote-only options say, for a target. */
function remoteFor(options: ParsedOptions, target: RemoteTarget): RemoteOptions {
  const tool = options.values.get('--remote-tool') ?? 'tcpdump';
  if (tool !== 'tcpdump' && tool !== 'dumpcap') throw new UsageError(`--remote-tool is tcpdump or dumpcap, not "${tool}"`);
  return {
    target,
    tool,
    sudo: options.flags.has('--sudo'),
    sshConfig: options.values.get('--ssh-config'),
    includeOwnSsh: options.flags.has('--include-own-ssh'),
  };
}

/** The remote capture the options ask for, or null for a local one. */
export function remoteOptions(options: ParsedOptions): RemoteOptions | null {
  const remote = options.values.get('--remote');
  if (remote === undefined) {
    const stray = REMOTE_ONLY.find((name) => options.flags.has(name) || options.values.has(name));
    if (stray) throw new UsageError(`${stray} needs --remote HOST`);
    return null;
  }
  return remoteFor(options, parsedTarget(remote));
}

/** One capture point named on the command line: a local interface, or one on a remote host. */
export interface PointArgument {
  device: string;
  remote: RemoteOptions | null;
}

const SSH_POINT = 'ssh://';

/**
 * The capture points that `-i` (repeatable) names. A plain name is a local interface, or one on
 * --remote's host when that is given; `ssh://[USER@]HOST[:PORT]/IFACE` is an interface on that
 * host (interface names never contain '/'), with --sudo, --remote-tool and --ssh-config applying
 * to every remote point.
 */
export function capturePoints(options: ParsedOptions, interfaces: readonly string[]): PointArgument[] {
  const shared = options.values.get('--remote');
  const anyRemote = shared !== undefined || interfaces.some((name) => name.startsWith(SSH_POINT));
  if (!anyRemote) {
    const stray = REMOTE_ONLY.find((name) => options.flags.has(name) || options.values.has(name));
    if (stray) throw new UsageError(`${stray} needs a remote capture point (--remote HOST, or -i ssh://HOST/IFACE)`);
  }
  const points = interfaces.map((name): PointArgument => {
    if (!name.startsWith(SSH_POINT)) return { device: name, remote: shared === undefined ? null : remoteFor(options, parsedTarget(shared)) };
    const rest = name.slice(SSH_POINT.length);
    const slash = rest.lastIndexOf('/');
    if (slash <= 0 || slash === rest.length - 1) throw new UsageError(`"${name}" is not ssh://[USER@]HOST[:PORT]/IFACE`);
    return { device: rest.slice(slash + 1), remote: remoteFor(options, parsedTarget(rest.slice(0, slash))) };
  });
  const seen = new Set<string>();
  for (const point of points) {
    const key = `${point.remote ? targetText(point.remote.target) : ''}/${point.device}`;
    if (seen.has(key)) throw new UsageError(`the capture point ${point.remote ? `${targetText(point.remote.target)}:` : ''}${point.device} is named twice`);
    seen.add(key);
  }
  return points;
}
