/** `handshake interfaces [--json]`: what the capture helper can capture on and send from. */
import { linkTypeName } from '../../../shared/wire/linktypes';
import { HelperClient } from '../../engine/helper-client';
import { listRemoteInterfaces } from '../../engine/remote-capture';
import { parseOptions, reportFailure } from './live-options';
import { remoteOptions, REMOTE_OPTIONS } from './remote-options';

const USAGE = 'usage: handshake interfaces [--json] [--remote [USER@]HOST[:PORT] [--sudo] [--ssh-config FILE]]';

export async function runInterfaces(argv: readonly string[]): Promise<number> {
  let helper: HelperClient | null = null;
  try {
    const options = parseOptions(argv, { '--json': 'flag', '--help': 'flag', ...REMOTE_OPTIONS }, { '-h': '--help' });
    if (options.flags.has('--help')) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const remote = remoteOptions(options);
    let interfaces;
    if (remote) {
      interfaces = await listRemoteInterfaces(remote);
    } else {
      helper = new HelperClient();
      interfaces = await helper.interfaces();
    }
    if (options.flags.has('--json')) {
      for (const entry of interfaces) process.stdout.write(`${JSON.stringify(entry)}\n`);
      return 0;
    }
    for (const entry of interfaces) {
      const link = entry.linkType === null ? 'link type unknown' : `${linkTypeName(entry.linkType)} (${entry.linkType})`;
      const flags = [entry.loopback ? 'loopback' : null, entry.up ? 'up' : 'down'].filter(Boolean).join(', ');
      process.stdout.write(`${entry.name}${entry.description ? ` — ${entry.description}` : ''}\n`);
      process.stdout.write(`    ${link}; ${flags}${entry.mac ? `; MAC ${entry.mac}` : ''}\n`);
      for (const address of entry.addresses) process.stdout.write(`    ${address.family} ${address.address}${address.netmask ? ` / ${address.netmask}` : ''}\n`);
      if (entry.injectRefusal) process.stdout.write(`    cannot send: ${entry.injectRefusal}\n`);
    }
    return 0;
  } catch (error) {
    return reportFailure('interfaces', error, USAGE);
  } finally {
    await helper?.stop();
  }
}
