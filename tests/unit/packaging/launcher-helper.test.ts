/**
 * The packaged Linux capture path end to end, in a throw-away layout shaped like the deb's:
 * an unprivileged member of the capture group starts the real capture helper through the
 * compiled launcher (with setup-capture.sh's capabilities) and captures on loopback, at real-time priority; the same
 * user starting the helper directly is refused. Node stands in for Electron (the launcher
 * passes ELECTRON_RUN_AS_NODE=1, which Node ignores), and app.asar is a plain directory.
 * The member may signal their own helper: SIGUSR1 (Node's "open the inspector") must leave no
 * listening socket and the capture running, and NODE_OPTIONS/NODE_PATH from the caller must
 * not reach it. Traffic: UDP datagrams to 127.0.0.1 only.
 */
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperClient, HelperRequestError } from '../../../electron/engine/helper-client';
import { AS_MEMBER, cannotSimulate, listeningSockets, makeInstalledTree, NOBODY, NOGROUP } from './installed-layout';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const skipReason = cannotSimulate();
const runnable = skipReason === null;

describe.skipIf(!runnable)(`the capture helper through the packaged launcher, as an unprivileged user${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let layout = '';
  let launcher = '';
  let helperInAsar = '';
  const asNobody = AS_MEMBER;

  beforeAll(() => {
    const tree = makeInstalledTree('hs-launcher-helper-');
    ({ launcher, helperInAsar } = tree);
    layout = tree.base;
  });

  afterAll(() => {
    if (layout) rmSync(layout, { recursive: true, force: true });
  });

  it('is refused capture when it starts the helper directly', async () => {
    const helper = new HelperClient({ launcher: asNobody, nodePath: process.execPath, helperPath: helperInAsar });
    try {
      await helper.hello();
      const failure = await helper.open('lo', 'udp port 9').then(
        () => null,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(HelperRequestError);
      expect((failure as HelperRequestError).code).toBe('permission');
    } finally {
      await helper.stop();
    }
  });

  it('captures loopback traffic when started through the launcher', async () => {
    // The client appends node and script paths; the launcher ignores them and runs its own fixed pair.
    const helper = new HelperClient({ launcher: [...asNobody, launcher], nodePath: process.execPath, helperPath: helperInAsar });
    const socket = createSocket('udp4');
    try {
      const hello = await helper.hello();
      // CAP_SYS_NICE from the launcher: the helper says it captures at real-time priority, and once the device is open the kernel agrees.
      expect(hello.timestampSource).toContain('real-time priority (SCHED_RR 1)');
      const port = 40000 + Math.floor(Math.random() * 20000);
      await helper.open('lo', `udp dst port ${port}`);
      const policy = spawnSync('chrt', ['-p', String(helper.pid)], { encoding: 'utf8' });
      expect(policy.stdout).toMatch(/scheduling policy: SCHED_RR\b/);
      expect(policy.stdout).toMatch(/scheduling priority: 1\b/);
      let captured = 0;
      for (let attempt = 0; attempt < 30 && captured < 3; attempt++) {
        await new Promise<void>((resolve) => socket.send(Buffer.from(`probe ${attempt}`), port, '127.0.0.1', () => resolve()));
        await new Promise((resolve) => setTimeout(resolve, 100));
        captured = (await helper.stats()).framesCaptured;
      }
      expect(captured).toBeGreaterThanOrEqual(3);
    } finally {
      socket.close();
      await helper.stop();
    }
  });
  /** Sends `count` UDP datagrams to the capture's port and returns how many frames the helper reports. */
  async function captureSome(helper: HelperClient, port: number, count: number): Promise<number> {
    const socket = createSocket('udp4');
    try {
      const before = (await helper.stats()).framesCaptured;
      let captured = before;
      for (let attempt = 0; attempt < 40 && captured - before < count; attempt++) {
        await new Promise<void>((resolve) => socket.send(Buffer.from(`probe ${attempt}`), port, '127.0.0.1', () => resolve()));
        await sleep(50);
        captured = (await helper.stats()).framesCaptured;
      }
      return captured - before;
    } finally {
      socket.close();
    }
  }

  /** The group member's own `kill -USR1`, sent as that user. */
  function memberSignals(pid: number): void {
    const sent = spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOGROUP}`, '--clear-groups', 'kill', '-USR1', String(pid)], { encoding: 'utf8' });
    expect(sent.status, sent.stderr).toBe(0);
  }

  it('never opens the inspector for SIGUSR1 while the helper is starting', async () => {
    // The window: Node has installed its SIGUSR1 handler (SigCgt bit 9) but the helper's own
    // code has not run yet. Only the launcher's seccomp filter stands in it.
    const catchesUsr1 = (pid: number) => {
      const caught = /^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '0';
      return (BigInt(`0x${caught}`) & 0x200n) !== 0n;
    };
    for (let round = 0; round < 3; round++) {
      const helper = new HelperClient({ launcher: [...asNobody, launcher], nodePath: process.execPath, helperPath: helperInAsar });
      const pid = helper.pid!;
      const seen: string[] = [];
      let signalled = 0;
      try {
        for (let elapsed = 0; elapsed < 3000 && !helper.exit; elapsed += 1) {
          try {
            if (signalled > 0 || catchesUsr1(pid)) {
              process.kill(pid, 'SIGUSR1');
              signalled++;
              seen.push(...listeningSockets(pid));
              if (signalled >= 100) break;
            }
          } catch {
            break; // gone
          }
          await sleep(signalled > 0 ? 5 : 1);
        }
        await sleep(200);
        if (!helper.exit) seen.push(...listeningSockets(pid));
      } finally {
        const exit = await helper.stop();
        expect(exit.stderr).not.toMatch(/Debugger listening/);
      }
      expect(signalled).toBeGreaterThan(0);
      expect(seen).toEqual([]);
    }
  });

  it('ignores the member\'s SIGUSR1: no listening socket, and the capture goes on', async () => {
    const helper = new HelperClient({ launcher: [...asNobody, launcher], nodePath: process.execPath, helperPath: helperInAsar });
    try {
      const pid = helper.pid!;
      await helper.hello();
      const port = 40000 + Math.floor(Math.random() * 20000);
      await helper.open('lo', `udp dst port ${port}`);
      expect(await captureSome(helper, port, 2)).toBeGreaterThanOrEqual(2);
      for (let signal = 0; signal < 5; signal++) {
        memberSignals(pid);
        await sleep(100);
      }
      await sleep(500);
      expect(listeningSockets(pid)).toEqual([]);
      expect(await captureSome(helper, port, 3)).toBeGreaterThanOrEqual(3);
      expect(listeningSockets(pid)).toEqual([]);
      expect(helper.exit).toBeNull();
    } finally {
      const exit = await helper.stop();
      expect(exit.stderr).not.toMatch(/Debugger listening/);
    }
  });

  it('an unprivileged helper started directly ignores SIGUSR1 too (its own handler)', async () => {
    const helper = new HelperClient({ launcher: asNobody, nodePath: process.execPath, helperPath: helperInAsar });
    try {
      await helper.hello();
      for (let signal = 0; signal < 3; signal++) {
        memberSignals(helper.pid!);
        await sleep(100);
      }
      await sleep(400);
      expect(listeningSockets(helper.pid!)).toEqual([]);
      expect((await helper.hello()).pid).toBe(helper.pid);
    } finally {
      await helper.stop();
    }
  });

  it('does not honour NODE_OPTIONS (--inspect, --require) or NODE_PATH from the member', async () => {
    const marker = path.join(layout, 'injected');
    const payload = path.join(layout, 'payload.cjs');
    writeFileSync(payload, `require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran');`, { mode: 0o644 });
    const injected = [`NODE_OPTIONS=--require=${payload} --inspect=127.0.0.1:0`, `NODE_PATH=${layout}`, 'LD_PRELOAD=/nonexistent.so'];
    const helper = new HelperClient({ launcher: [...asNobody, ...injected, launcher], nodePath: process.execPath, helperPath: helperInAsar });
    try {
      const hello = await helper.hello();
      expect(hello.pid).toBe(helper.pid);
      expect(listeningSockets(helper.pid!)).toEqual([]);
      const environment = readFileSync(`/proc/${helper.pid}/environ`, 'utf8').split('\0').filter(Boolean);
      expect(environment.filter((entry) => /^(NODE_|LD_)/.test(entry))).toEqual([]);
    } finally {
      await helper.stop();
    }
    expect(existsSync(marker)).toBe(false);
  });

  it('refuses to run with capture privileges and --inspect or --require however it was started', () => {
    // Root stands in for a hand-made privileged route (e.g. a node copy given capabilities).
    // (--inspect-brk would stop before any of the helper's code runs: only the launcher's fixed argv keeps it out.)
    for (const options of [['--inspect=127.0.0.1:0'], ['--inspect-port=0', '--require', '/dev/null']]) {
      const run = spawnSync(process.execPath, [...options, helperInAsar], { encoding: 'utf8', input: '', timeout: 20_000 });
      expect(run.status, run.stderr).toBe(126);
      expect(run.stderr).toMatch(/refusing to run with capture privileges/);
    }
    for (const injected of [{ NODE_OPTIONS: '--require /dev/null' }, { NODE_PATH: '/tmp' }]) {
      const viaEnvironment = spawnSync(process.execPath, [helperInAsar], { encoding: 'utf8', input: '', timeout: 20_000, env: { ...process.env, ...injected } });
      expect(viaEnvironment.status, viaEnvironment.stderr).toBe(126);
    }
  });
});
