/**
 * Kernel-RST suppression rules, with the real helper and real iptables inside a network
 * namespace of this test's own (a veth pair, one end with 198.18.5.1/24 and 2001:db8:5::1/64;
 * nothing is sent anywhere). Rules must not outlive their helper, must be limited to the
 * member's own traffic from a local address, and must be capped.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperClient } from '../../../electron/engine/helper-client';
import { MAX_RULES_PER_HELPER, MAX_RULES_TOTAL, processStartTime } from '../../../electron/helper/firewall';
import { buildHelper, canUseNamespaces, hasIptables } from '../../integration/capture/support';

const ns = `priv-rst-${randomBytes(3).toString('hex')}`;
const LOCAL = '198.18.5.1';
const PEER = '198.18.5.2';
const NOBODY = 65534;

function inNs(command: string, args: string[]): string {
  const result = spawnSync('ip', ['netns', 'exec', ns, command, ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** Our rules in the namespace's OUTPUT chains (both families). */
function taggedRules(): string[] {
  return [...inNs('iptables', ['-S', 'OUTPUT']).split('\n'), ...inNs('ip6tables', ['-S', 'OUTPUT']).split('\n')].filter((line) => line.includes('handshake-helper'));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<boolean> {
  for (let waited = 0; waited < timeoutMs; waited += 50) {
    if (condition()) return true;
    await sleep(50);
  }
  return condition();
}

const ip6Works = spawnSync('ip6tables', ['-S', 'OUTPUT'], { stdio: 'ignore' }).status === 0;

describe.skipIf(!canUseNamespaces || !hasIptables || !ip6Works)('kernel-RST suppression rules (real iptables in a namespace)', () => {
  let helperPath = '';
  const helpers: HelperClient[] = [];
  const start = () => {
    const helper = new HelperClient({ helperPath, launcher: ['ip', 'netns', 'exec', ns] });
    helpers.push(helper);
    return helper;
  };

  beforeAll(() => {
    helperPath = buildHelper();
    spawnSync('ip', ['netns', 'add', ns]);
    inNs('ip', ['link', 'set', 'lo', 'up']);
    inNs('ip', ['link', 'add', 'd0', 'type', 'veth', 'peer', 'name', 'd1']);
    inNs('ip', ['addr', 'add', `${LOCAL}/24`, 'dev', 'd0']);
    inNs('ip', ['addr', 'add', '2001:db8:5::1/64', 'dev', 'd0', 'nodad']);
    inNs('ip', ['link', 'set', 'd0', 'up']);
    inNs('ip', ['link', 'set', 'd1', 'up']);
  });

  afterAll(async () => {
    for (const helper of helpers) await helper.stop().catch(() => undefined);
    spawnSync('ip', ['netns', 'del', ns]);
    rmSync(helperPath, { force: true });
  });

  it('tags each rule with its owner, and removes a SIGKILLed helper\'s rules when the next helper starts', async () => {
    const victim = start();
    await victim.hello();
    await victim.suppressKernelRst({ src: LOCAL, dst: PEER, sport: 41001, dport: 443 });
    await victim.suppressKernelRst({ src: '2001:db8:5::1', dst: '2001:db8:5::2', sport: 41002, dport: 443 });
    const rules = taggedRules();
    expect(rules).toHaveLength(2);
    const pid = victim.pid!;
    for (const rule of rules) expect(rule.replaceAll('"', '')).toContain(`--comment handshake-helper:uid=0:pid=${pid}:start=${processStartTime(pid)}`);

    // A helper that is alive keeps its rules when another one starts.
    const bystander = start();
    await bystander.hello();
    await sleep(500);
    expect(taggedRules()).toHaveLength(2);
    await bystander.stop();

    victim.kill('SIGKILL');
    await victim.waitForExit();
    expect(taggedRules()).toHaveLength(2); // nothing could remove them

    const next = start();
    await next.hello();
    expect(await waitFor(() => taggedRules().length === 0)).toBe(true);
    await next.stop();
  });

  it('removes leftovers of the older tag form (handshake-helper:PID) whose process is gone', async () => {
    // A pid that surely runs no process: above the kernel's pid_max.
    inNs('iptables', ['-I', 'OUTPUT', '-p', 'tcp', '--tcp-flags', 'RST', 'RST', '-s', LOCAL, '--sport', '41003', '-m', 'comment', '--comment', 'handshake-helper:99999999', '-j', 'DROP']);
    expect(taggedRules()).toHaveLength(1);
    const helper = start();
    await helper.hello();
    expect(await waitFor(() => taggedRules().length === 0)).toBe(true);
    await helper.stop();
  });

  it('refuses a source address that no local interface has, with the reason', async () => {
    const helper = start();
    try {
      await expect(helper.suppressKernelRst({ src: '198.18.9.9', dst: PEER, sport: 41004, dport: 443 })).rejects.toMatchObject({
        code: 'rst-refused',
        message: expect.stringMatching(/198\.18\.9\.9 is not an address of this host's interfaces/),
      });
      expect(taggedRules()).toHaveLength(0);
    } finally {
      await helper.stop();
    }
  });

  it("refuses a tuple whose source port is another user's socket", async () => {
    // uid 65534 listens on LOCAL:41005 inside the namespace; the helper here runs as root.
    let listener: ChildProcess | null = null;
    const helper = start();
    try {
      listener = spawn('ip', ['netns', 'exec', ns, 'setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, '-e', `require('net').createServer().listen(41005, '${LOCAL}', () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => listener!.stdout!.once('data', () => resolve()));
      await expect(helper.suppressKernelRst({ src: LOCAL, dst: PEER, sport: 41005, dport: 443 })).rejects.toMatchObject({
        code: 'rst-refused',
        message: expect.stringMatching(/in use by another user's socket \(uid 65534\)/),
      });
      // The same address with a free port is fine.
      await expect(helper.suppressKernelRst({ src: LOCAL, dst: PEER, sport: 41006, dport: 443 })).resolves.toMatchObject({ ruleId: expect.any(Number) });
    } finally {
      listener?.kill();
      await helper.stop();
    }
    expect(taggedRules()).toHaveLength(0); // the orderly exit removed it
  });

  it(`allows ${MAX_RULES_PER_HELPER} rules per helper and refuses the next`, async () => {
    const helper = start();
    try {
      for (let index = 0; index < MAX_RULES_PER_HELPER; index++) await helper.suppressKernelRst({ src: LOCAL, dst: PEER, sport: 42000 + index, dport: 443 });
      await expect(helper.suppressKernelRst({ src: LOCAL, dst: PEER, sport: 42999, dport: 443 })).rejects.toMatchObject({
        code: 'rst-refused',
        message: expect.stringMatching(new RegExp(`already holds ${MAX_RULES_PER_HELPER} RST rules`)),
      });
      expect(taggedRules()).toHaveLength(MAX_RULES_PER_HELPER);
      // Releasing one makes room again.
      await helper.releaseKernelRst(1);
      await expect(helper.suppressKernelRst({ src: LOCAL, dst: PEER, sport: 42999, dport: 443 })).resolves.toMatchObject({ ruleId: expect.any(Number) });
    } finally {
      await helper.stop();
    }
    expect(taggedRules()).toHaveLength(0);
  });

  it(`refuses once ${MAX_RULES_TOTAL} rules of running helpers exist in the namespace`, async () => {
    // Rules owned by this (running) test process stand in for other live helpers'.
    const tag = `handshake-helper:uid=0:pid=${process.pid}:start=${processStartTime(process.pid)}`;
    try {
      for (let index = 0; index < MAX_RULES_TOTAL; index++)
        inNs('iptables', ['-A', 'OUTPUT', '-p', 'tcp', '--tcp-flags', 'RST', 'RST', '-s', LOCAL, '--sport', String(43000 + index), '-m', 'comment', '--comment', tag, '-j', 'DROP']);
      const helper = start();
      try {
        await helper.hello();
        await sleep(300);
        expect(taggedRules()).toHaveLength(MAX_RULES_TOTAL); // alive owner: not stale
        await expect(helper.suppressKernelRst({ src: LOCAL, dst: PEER, sport: 44000, dport: 443 })).rejects.toMatchObject({
          code: 'rst-refused',
          message: expect.stringMatching(new RegExp(`the most allowed \\(${MAX_RULES_TOTAL}\\)`)),
        });
      } finally {
        await helper.stop();
      }
    } finally {
      inNs('iptables', ['-F', 'OUTPUT']);
    }
  });
});
