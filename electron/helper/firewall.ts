/**
 * Kernel-RST suppression: a firewall rule that drops this host's outgoing RSTs for exactly one
 * TCP 4-tuple, so a handshake crafted from a local address (or a user-space TCP endpoint) is
 * not torn down by the kernel, which has no socket for it (Scapy #3215). Only the privileged
 * helper runs this; everything else asks it through the `suppress-rst` / `release-rst`
 * requests (HelperClient.suppressKernelRst / releaseKernelRst, CaptureSession's methods of the
 * same names). The rules live in the helper's network namespace.
 *
 * What a request may get, and why (a group member must not be able to use the helper's
 * CAP_NET_ADMIN to disturb anyone else's traffic):
 * - `src` must be an address of a local interface (the trap exists only for addresses the
 *   kernel owns), `src` and `dst` of one family, ports 1..65535;
 * - no socket of another user may be using `src:sport` (from /proc/net/tcp{,6}: the tuple is
 *   the requester's own traffic, not someone's live connection);
 * - at most MAX_RULES_PER_HELPER rules per helper and MAX_RULES_TOTAL tagged rules in the
 *   namespace, counting other live helpers'.
 * Refusals throw RstRefusedError (protocol code `rst-refused`) with the reason in one sentence;
 * a failing iptables throws a plain Error (`firewall-failed`).
 *
 * Every rule carries the comment `handshake-helper:uid=U:pid=P:start=S` (owner's real uid,
 * the helper's pid and its start time in clock ticks from /proc/P/stat, so a reused pid is not
 * mistaken for the owner). Rules go on `release-rst` and on any orderly helper exit; a helper
 * killed with SIGKILL cannot remove its own, so every helper that starts with CAP_NET_ADMIN
 * removes the tagged rules whose owner no longer runs (removeStaleRstDropRules), including the
 * older `handshake-helper:PID` form.
 */
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import os from 'node:os';
import { parseIpv4, parseIpv6 } from '../../shared/wire/bytes';

/** A 4-tuple; without dst and dport, a listening address (RSTs from src:sport to anyone, while a user-space endpoint listens there). */
export interface RstTuple {
  src: string;
  dst?: string;
  sport: number;
  dport?: number;
}

export const RULE_TAG = 'handshake-helper';
export const MAX_RULES_PER_HELPER = 16;
export const MAX_RULES_TOTAL = 64;

/** A request the helper will not grant; the message says why. */
export class RstRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RstRefusedError';
  }
}

type FirewallCommand = 'iptables' | 'ip6tables';
const COMMANDS: FirewallCommand[] = ['iptables', 'ip6tables'];

const active = new Map<number, { command: FirewallCommand; args: string[] }>();
let nextRuleId = 1;

// ---- Owner tags -------------------------------------------------------------------------

export interface RuleOwner {
  uid: number | null;
  pid: number;
  /** Start time in clock ticks since boot (/proc/PID/stat field 22); null for the old tag form. */
  start: number | null;
}

/** Start time of `pid` in clock ticks since boot, or null when no such process is visible. */
export function processStartTime(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = Number(fields[19]);
    return Number.isFinite(start) ? start : null;
  } catch {
    return null;
  }
}

export function ownerTag(pid = process.pid): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return `${RULE_TAG}:uid=${uid}:pid=${pid}:start=${processStartTime(pid) ?? 0}`;
}

export function parseOwnerTag(comment: string): RuleOwner | null {
  const current = /^handshake-helper:uid=(\d+):pid=(\d+):start=(\d+)$/.exec(comment);
  if (current) return { uid: Number(current[1]), pid: Number(current[2]), start: Number(current[3]) };
  const legacy = /^handshake-helper:(\d+)$/.exec(comment);
  return legacy ? { uid: null, pid: Number(legacy[1]), start: null } : null;
}

/** True while the helper that added a rule still runs (same pid and, when tagged, same start time). */
export function ownerIsAlive(owner: RuleOwner): boolean {
  const start = processStartTime(owner.pid);
  if (start === null) return false;
  return owner.start === null || owner.start === start;
}

// ---- Running iptables -------------------------------------------------------------------

function failure(command: string, args: string[], error: unknown): Error {
  const stderr = (error as { stderr?: Buffer | string }).stderr?.toString().trim();
  const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? `${command} is not installed` : stderr || String(error);
  return new Error(`${command} ${args[0]} failed: ${reason}`);
}

function runFirewall(command: FirewallCommand, args: string[]): string {
  try {
    return execFileSync(command, ['-w', '5', ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000, encoding: 'utf8' });
  } catch (error) {
    throw failure(command, args, error);
  }
}

function runFirewallAsync(command: FirewallCommand, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, ['-w', '5', ...args], { timeout: 10_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(failure(command, args, Object.assign(error, { stderr })));
      else resolve(stdout);
    });
  });
}

interface TaggedRule {
  command: FirewallCommand;
  /** The rule as `-S` prints it, without the leading `-A`. */
  spec: string[];
  owner: RuleOwner;
}

/** Tagged rules in OUTPUT of both tables; a table whose tool is missing or refuses counts as empty. */
async function taggedRules(): Promise<TaggedRule[]> {
  const rules: TaggedRule[] = [];
  for (const command of COMMANDS) {
    let listing: string;
    try {
      listing = await runFirewallAsync(command, ['-S', 'OUTPUT']);
    } catch {
      continue;
    }
    for (const line of listing.split('\n')) {
      // iptables-nft prints the comment in double quotes; ours has no spaces, so unquoting is enough.
      const words = line.trim().split(/\s+/).map((word) => word.replace(/^"(.*)"$/, '$1'));
      if (words[0] !== '-A') continue;
      const commentAt = words.indexOf('--comment');
      const owner = commentAt > 0 ? parseOwnerTag(words[commentAt + 1] ?? '') : null;
      if (owner) rules.push({ command, spec: words.slice(1), owner });
    }
  }
  return rules;
}

/**
 * Removes every tagged rule whose helper no longer runs. Returns how many went. Errors are
 * swallowed: a helper without the permission or without iptables simply has nothing to clean.
 */
export async function removeStaleRstDropRules(): Promise<number> {
  let removed = 0;
  for (const rule of await taggedRules()) {
    if (ownerIsAlive(rule.owner)) continue;
    try {
      await runFirewallAsync(rule.command, ['-D', ...rule.spec]);
      removed++;
    } catch {
      // another helper removed it first, or the table changed: nothing to do
    }
  }
  return removed;
}

// ---- Checking a request -----------------------------------------------------------------

export function validateTuple(tuple: RstTuple): string | null {
  if ((tuple.dst === undefined) !== (tuple.dport === undefined)) return 'give dst and dport together (both absent: the listening address src:sport)';
  if (isIP(tuple.src) === 0) return 'src must be an IP address';
  if (tuple.dst !== undefined && isIP(tuple.dst) !== isIP(tuple.src)) return 'src and dst must be IP addresses of the same family';
  for (const port of tuple.dport === undefined ? [tuple.sport] : [tuple.sport, tuple.dport]) if (!Number.isInteger(port) || port < 1 || port > 65535) return 'ports must be 1..65535';
  return null;
}

function family(address: string): 'ipv4' | 'ipv6' {
  return isIP(address) === 6 ? 'ipv6' : 'ipv4';
}

/** True when `address` is assigned to an interface of this network namespace. */
export function isLocalAddress(address: string): boolean {
  const local = new BlockList();
  for (const entries of Object.values(os.networkInterfaces())) {
    for (const entry of entries ?? []) {
      const bare = entry.address.split('%')[0];
      if (isIP(bare)) local.addAddress(bare, family(bare));
    }
  }
  return local.check(address, family(address));
}

/** `/proc/net/tcp` hex address (32-bit words in host order, little-endian here) → bytes. */
function procAddressBytes(hex: string): number[] {
  const bytes: number[] = [];
  for (let word = 0; word < hex.length; word += 8) {
    const chunk = hex.slice(word, word + 8);
    for (let index = 6; index >= 0; index -= 2) bytes.push(parseInt(chunk.slice(index, index + 2), 16));
  }
  return bytes;
}

function addressBytes(address: string): number[] {
  return [...(isIP(address) === 6 ? parseIpv6(address) : parseIpv4(address))];
}

/** Owners (uids) of the sockets of this namespace bound to `address:port`, the wildcard address included. */
export function socketOwners(address: string, port: number): number[] {
  const table = isIP(address) === 6 ? 'tcp6' : 'tcp';
  const wanted = addressBytes(address).join('.');
  const owners: number[] = [];
  let text = '';
  try {
    text = readFileSync(`/proc/self/net/${table}`, 'utf8');
  } catch {
    return owners;
  }
  for (const row of text.split('\n').slice(1)) {
    const columns = row.trim().split(/\s+/);
    if (columns.length < 10 || columns[9] === '0') continue; // TIME_WAIT and orphans belong to no one
    const [hexAddress, hexPort] = columns[1].split(':');
    if (parseInt(hexPort, 16) !== port) continue;
    const bytes = procAddressBytes(hexAddress);
    if (bytes.join('.') === wanted || bytes.every((byte) => byte === 0)) owners.push(Number(columns[7]));
  }
  return owners;
}

/** Why this helper will not add a rule for `tuple`, or null when it may. */
export async function refusalReason(tuple: RstTuple, requesterUid: number): Promise<string | null> {
  const invalid = validateTuple(tuple);
  if (invalid) return invalid;
  if (!isLocalAddress(tuple.src))
    return `${tuple.src} is not an address of this host's interfaces: RSTs are suppressed only for traffic from a local address`;
  const others = socketOwners(tuple.src, tuple.sport).filter((uid) => uid !== requesterUid);
  if (others.length > 0) return `${tuple.src}:${tuple.sport} is in use by another user's socket (uid ${others[0]})`;
  if (active.size >= MAX_RULES_PER_HELPER) return `this helper already holds ${MAX_RULES_PER_HELPER} RST rules, the most it may; release one first`;
  const live = (await taggedRules()).filter((rule) => ownerIsAlive(rule.owner));
  if (live.length >= MAX_RULES_TOTAL) return `${live.length} RST rules of running helpers already exist here, the most allowed (${MAX_RULES_TOTAL})`;
  return null;
}

// ---- Adding and removing ----------------------------------------------------------------

function ruleArguments(tuple: RstTuple): string[] {
  return [
    'OUTPUT',
    '-p', 'tcp', '--tcp-flags', 'RST', 'RST',
    '-s', tuple.src, '--sport', String(tuple.sport),
    ...(tuple.dst !== undefined ? ['-d', tuple.dst, '--dport', String(tuple.dport)] : []),
    '-m', 'comment', '--comment', ownerTag(),
    '-j', 'DROP',
  ];
}

let staleCleanup: Promise<unknown> = Promise.resolve();

/** Starts the removal of stale rules (at helper start); requests wait for it. */
export function startStaleRuleCleanup(): void {
  staleCleanup = removeStaleRstDropRules().catch(() => 0);
}

/**
 * Adds the DROP rule for `tuple` after the checks above; returns an id for removal and the
 * rule as added. Throws RstRefusedError (refused) or Error (iptables failed).
 */
export async function addRstDropRule(tuple: RstTuple, requesterUid = typeof process.getuid === 'function' ? process.getuid() : 0): Promise<{ ruleId: number; rule: string }> {
  await staleCleanup;
  const refusal = await refusalReason(tuple, requesterUid);
  if (refusal) throw new RstRefusedError(`RST suppression refused: ${refusal}`);
  const command: FirewallCommand = isIP(tuple.src) === 6 ? 'ip6tables' : 'iptables';
  const args = ruleArguments(tuple);
  runFirewall(command, ['-I', ...args]);
  const ruleId = nextRuleId++;
  active.set(ruleId, { command, args });
  return { ruleId, rule: `${command} -I ${args.join(' ')}` };
}

export function removeRstDropRule(ruleId: number): boolean {
  const entry = active.get(ruleId);
  if (!entry) return false;
  active.delete(ruleId);
  runFirewall(entry.command, ['-D', ...entry.args]);
  return true;
}

/** Called on every orderly exit of the helper (synchronously: the process is about to end). */
export function removeAllRstDropRules(): void {
  for (const ruleId of [...active.keys()]) {
    try {
      removeRstDropRule(ruleId);
    } catch {
      // Best effort on the way out; the next helper to start removes it as stale.
    }
  }
}
