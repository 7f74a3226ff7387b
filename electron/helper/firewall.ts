/**
 * The opt-in remedy for the local-kernel RST trap: a firewall rule that drops this host's
 * outgoing RSTs for exactly one 4-tuple, added by the (privileged) helper in its own network
 * namespace and removed again when asked or when the helper ends normally.
 * Each rule carries a comment naming the helper's pid, so a leftover one (helper killed
 * with SIGKILL) is recognisable: `iptables -S OUTPUT | grep handshake-helper`.
 */
import { execFileSync } from 'node:child_process';
import { isIP } from 'node:net';

export interface RstTuple {
  src: string;
  dst: string;
  sport: number;
  dport: number;
}

const active = new Map<number, string[]>();
let nextRuleId = 1;

function ruleArguments(tuple: RstTuple): string[] {
  return [
    'OUTPUT',
    '-p', 'tcp', '--tcp-flags', 'RST', 'RST',
    '-s', tuple.src, '--sport', String(tuple.sport),
    '-d', tuple.dst, '--dport', String(tuple.dport),
    '-m', 'comment', '--comment', `handshake-helper:${process.pid}`,
    '-j', 'DROP',
  ];
}

function firewallCommand(tuple: RstTuple): string {
  return isIP(tuple.src) === 6 ? 'ip6tables' : 'iptables';
}

function runFirewall(command: string, args: string[]): void {
  try {
    execFileSync(command, ['-w', '5', ...args], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? `${command} is not installed` : stderr || String(error);
    throw new Error(`${command} ${args[0]} failed: ${reason}`);
  }
}

export function validateTuple(tuple: RstTuple): string | null {
  if (isIP(tuple.src) === 0 || isIP(tuple.dst) === 0 || isIP(tuple.src) !== isIP(tuple.dst)) return 'src and dst must be IP addresses of the same family';
  for (const port of [tuple.sport, tuple.dport]) if (!Number.isInteger(port) || port < 0 || port > 65535) return 'ports must be 0..65535';
  return null;
}

/** Adds the DROP rule; returns an id for removal. Throws with the firewall tool's message. */
export function addRstDropRule(tuple: RstTuple): { ruleId: number; rule: string } {
  const command = firewallCommand(tuple);
  const args = ruleArguments(tuple);
  runFirewall(command, ['-I', ...args]);
  const ruleId = nextRuleId++;
  active.set(ruleId, [command, ...args]);
  return { ruleId, rule: `${command} -I ${args.join(' ')}` };
}

export function removeRstDropRule(ruleId: number): boolean {
  const entry = active.get(ruleId);
  if (!entry) return false;
  active.delete(ruleId);
  const [command, ...args] = entry;
  runFirewall(command, ['-D', ...args]);
  return true;
}

/** Called on every orderly exit of the helper. */
export function removeAllRstDropRules(): void {
  for (const ruleId of [...active.keys()]) {
    try {
      removeRstDropRule(ruleId);
    } catch {
      // Best effort on the way out; the rule's comment names this helper.
    }
  }
}
