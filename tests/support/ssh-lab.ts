/**
 * A real sshd (Debian's openssh-server) in a test namespace, with its own config, host key and
 * client key, for remote-capture tests: nothing in the user's ~/.ssh is read or written.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const SSH_TOOLS = ['/usr/sbin/sshd', '/usr/bin/ssh', '/usr/bin/ssh-keygen'];
export const missingSshTool = SSH_TOOLS.find((tool) => !existsSync(tool)) ?? null;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface SshLab {
  /** Starts an sshd listening on ADDRESS:PORT inside the namespace; extra lines go into its config. */
  startSshd(port: number, extra?: string[]): Promise<void>;
  /** Writes an ssh client config for `host` (an alias) reaching the server as `user`; returns its path. */
  clientConfig(name: string, host: string, user: string, port: number, knownHosts?: string): string;
  /** The known_hosts file that trusts the server's host key on ports 22 and 2222. */
  readonly knownHosts: string;
  stop(): void;
}

/** Keys and configs live in `dir` (which must be readable by sshd: mode 755). */
export function createSshLab(dir: string, namespace: string, address: string): SshLab {
  const file = (name: string) => path.join(dir, name);
  const sshds: ChildProcess[] = [];
  mkdirSync('/run/sshd', { recursive: true });
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file('host_key')]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file('client_key')]);
  writeFileSync(file('authorized_keys'), readFileSync(file('client_key.pub')));
  chmodSync(file('authorized_keys'), 0o644);
  const hostKey = readFileSync(file('host_key.pub'), 'utf8');
  writeFileSync(file('known_hosts'), `${address} ${hostKey}[${address}]:2222 ${hostKey}`);
  return {
    knownHosts: file('known_hosts'),
    startSshd(port, extra = []) {
      const config = file(`sshd-${port}.conf`);
      writeFileSync(
        config,
        [
          `ListenAddress ${address}:${port}`,
          `HostKey ${file('host_key')}`,
          `AuthorizedKeysFile ${file('authorized_keys')}`,
          `PidFile ${file(`sshd-${port}.pid`)}`,
          'StrictModes no',
          'UsePAM no',
          'PasswordAuthentication no',
          'KbdInteractiveAuthentication no',
          'PermitRootLogin prohibit-password',
          ...extra,
          '',
        ].join('\n'),
      );
      const child = spawn('ip', ['netns', 'exec', namespace, '/usr/sbin/sshd', '-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
      sshds.push(child);
      let log = '';
      child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
      return (async () => {
        for (let waited = 0; waited < 10_000; waited += 100) {
          if (child.exitCode !== null) throw new Error(`sshd exited: ${log}`);
          if (/Server listening/.test(log)) return;
          await sleep(100);
        }
        throw new Error(`sshd did not start: ${log}`);
      })();
    },
    clientConfig(name, host, user, port, knownHosts = file('known_hosts')) {
      const config = file(name);
      writeFileSync(
        config,
        [
          `Host ${host}`,
          `  HostName ${address}`,
          `  Port ${port}`,
          `  User ${user}`,
          `  IdentityFile ${file('client_key')}`,
          '  IdentitiesOnly yes',
          `  UserKnownHostsFile ${knownHosts}`,
          '  StrictHostKeyChecking yes',
          '',
        ].join('\n'),
      );
      return config;
    },
    stop() {
      for (const child of sshds) child.kill('SIGTERM');
    },
  };
}
