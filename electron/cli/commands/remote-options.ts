/** The options that point `capture` and `interfaces` at a remote host over SSH (engine/remote-capture.ts). */
import { CaptureError } from '../../engine/capture-session';
import { HelperClient } from '../../engine/helper-client';
import { parseRemoteTarget, remoteLinkType, type RemoteOptions } from '../../engine/remote-capture';
import { linkTypeName } from '../../../shared/wire/linktypes';
import { UsageError, type OptionKind, type ParsedOptions } from './live-options';

export const REMOTE_OPTIONS: Record<string, OptionKind> = {
  '--remote': 'value',
  '--sudo': 'flag',
  '--remote-tool': 'value',
  '--ssh-config': 'value',
  '--include-own-ssh': 'flag',
};

const REMOTE_ONLY = ['--sudo', '--remote-tool', '--ssh-config', '--include-own-ssh'];

/** The remote capture the options ask for, or null for a local one. */
export function remoteOptions(options: ParsedOptions): RemoteOptions | null {
  const remote = options.values.get('--remote');
  if (remote === undefined) {
    const stray = REMOTE_ONLY.find((name) => options.flags.has(name) || options.values.has(name));
    if (stray) throw new UsageError(`${stray} needs --remote HOST`);
    return null;
  }
  const tool = options.values.get('--remote-tool') ?? 'tcpdump';
  if (tool !== 'tcpdump' && tool !== 'dumpcap') throw new UsageError(`--remote-tool is tcpdump or dumpcap, not "${tool}"`);
  let target;
  try {
    target = parseRemoteTarget(remote);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  return {
    target,
    tool,
    sudo: options.flags.has('--sudo'),
    sshConfig: options.values.get('--ssh-config'),
    includeOwnSsh: options.flags.has('--include-own-ssh'),
  };
}

/**
 * Before a remote capture starts: asks the remote tcpdump for the interface's link type (which
 * also surfaces an unreachable host, a missing tool, sudo or permission problems as one clear
 * error), then compiles the BPF filter locally for that link type. The local check needs a local
 * capture helper with a device of that link type; without one, the remote tool checks the filter
 * when it starts, and its refusal is reported the same way.
 */
export async function prepareRemoteCapture(remote: RemoteOptions, device: string, filter: string): Promise<void> {
  const linkType = await remoteLinkType(remote, device);
  if (filter.trim() === '' || linkType === null) return;
  const helper = new HelperClient();
  try {
    const result = await helper.validateFilter(filter, { linkType });
    if (!result.valid) throw new CaptureError('bad-filter', `the capture filter is not valid BPF for ${linkTypeName(linkType)}: ${result.message ?? 'refused by libpcap'}`);
  } catch (error) {
    if (error instanceof CaptureError) throw error;
  } finally {
    await helper.stop();
  }
}
