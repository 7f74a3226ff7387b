import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import dgram from 'node:dgram';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { HelperClient, HelperRequestError } from '../../../electron/engine/helper-client';
import { MessageType } from '../../../electron/helper/protocol';
import { buildHelper, isRoot } from '../../integration/capture/support';

// The real helper process, driven over its stdio protocol. No traffic is sent anywhere:
// opens use loopback with a filter nothing matches.
describe('the helper process', () => {
  let helperPath: string;
  beforeAll(() => {
    helperPath = buildHelper();
  });
  afterAll(() => rmSync(helperPath, { force: true }));

  it('answers garbage and unknown commands with errors and stays up', async () => {
    const helper = new HelperClient({ helperPath });
    const warnings: string[] = [];
    helper.onWarning = (message) => warnings.push(message);
    try {
      helper.writeRaw(new TextEncoder().encode('\x00\x01 definitely not a frame'));
      await expect(helper.request({ cmd: 'self-destruct' })).rejects.toMatchObject({ code: 'unknown-command' });
      await expect(helper.request({ cmd: 'open', device: '' })).rejects.toMatchObject({ code: 'bad-request' });
      const hello = await helper.hello();
      expect(hello).toMatchObject({ protocol: 1, timestampSource: expect.stringContaining('arrival time') });
      expect(warnings.some((warning) => warning.includes('garbled'))).toBe(true);
    } finally {
      const exit = await helper.stop();
      expect(exit).toMatchObject({ code: 0, reason: null });
    }
  });

  it('refuses to send before a device is open instead of crashing in cap', async () => {
    const helper = new HelperClient({ helperPath });
    try {
      const error = await helper.send({ frames: [new Uint8Array(60)], link: 'as-is' }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(HelperRequestError);
      expect(error).toMatchObject({ code: 'not-open' });
      expect(await helper.stats()).toMatchObject({ framesSent: 0 });
    } finally {
      await helper.stop();
    }
  });

  it('lists interfaces with their link types and MACs from the OS', async () => {
    const helper = new HelperClient({ helperPath });
    try {
      const interfaces = await helper.interfaces();
      const loopback = interfaces.find((entry) => entry.name === 'lo');
      // Linux never hands frames injected on lo to its own stack, so the helper says so up front.
      expect(loopback).toMatchObject({ loopback: true, linkType: 1, mac: '00:00:00:00:00:00', injectRefusal: expect.stringContaining('loopback') });
      expect(loopback?.addresses).toContainEqual(expect.objectContaining({ family: 'IPv4', address: '127.0.0.1' }));
      const any = interfaces.find((entry) => entry.name === 'any');
      if (any) expect(any).toMatchObject({ linkType: 113, injectRefusal: expect.stringContaining('SLL') });
    } finally {
      await helper.stop();
    }
  });

  it.skipIf(!isRoot)('holds one capture per process and explains why a second open is refused', async () => {
    const helper = new HelperClient({ helperPath });
    try {
      const opened = await helper.open('lo', 'udp port 9 and host 127.0.0.9', 4 * 1024 * 1024);
      expect(opened).toMatchObject({ device: 'lo', linkType: 1, linkTypeName: 'ETHERNET' });
      await expect(helper.open('lo', '')).rejects.toMatchObject({ code: 'already-open' });
    } finally {
      await helper.stop();
    }
  });

  it.skipIf(!isRoot)('validates a filter in a throwaway process, reporting libpcap\'s message', async () => {
    const helper = new HelperClient({ helperPath });
    try {
      expect(await helper.validateFilter('tcp port 80 and host 198.18.0.2')).toMatchObject({ valid: true, message: null, linkType: 1 });
      expect(await helper.validateFilter('tcp port', { linkType: 1 })).toMatchObject({ valid: false, message: "can't parse filter expression: syntax error" });
      // The helper itself is still free to open its one capture afterwards.
      await expect(helper.open('lo', 'udp port 9 and host 127.0.0.9', 4 * 1024 * 1024)).resolves.toMatchObject({ device: 'lo' });
    } finally {
      await helper.stop();
    }
  });

  it.skipIf(!isRoot)('a failed open poisons only that helper: retrying is refused, not aborted', async () => {
    const helper = new HelperClient({ helperPath });
    try {
      await expect(helper.open('lo', 'not a filter at all (')).rejects.toMatchObject({ code: 'bad-filter' });
      await expect(helper.open('lo', '')).rejects.toMatchObject({ code: 'open-failed', message: expect.stringContaining('new helper') });
      expect(await helper.hello()).toMatchObject({ protocol: 1 });
    } finally {
      await helper.stop();
    }
  });

  it.skipIf(!isRoot)('keeps draining the kernel ring while its reader is busy: nothing is lost when the parent stops reading for a while', async () => {
    const helper = new HelperClient({ helperPath });
    const port = 20000 + Math.floor(Math.random() * 20000);
    let captured = 0;
    helper.onBatch = (type, payload) => {
      if (type === MessageType.captured) captured += new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint32(0);
    };
    const socket = dgram.createSocket('udp4');
    try {
      // 16 MiB of ring at cap's ~128 KiB per slot: room for about 128 frames, 25 ms of this traffic.
      await helper.open('lo', `udp dst port ${port} and dst host 127.0.0.1`, 16 * 1024 * 1024);
      const stdout = (helper as unknown as { child: ChildProcessWithoutNullStreams }).child.stdout;
      stdout.pause(); // a parent busy elsewhere (a long GC, a big request) for half a second
      const datagrams = 2500;
      const payload = Buffer.alloc(64, 0x61);
      for (let sent = 0; sent < datagrams; sent += 50) {
        for (let k = 0; k < 50; k++) socket.send(payload, port, '127.0.0.1');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      stdout.resume();
      const stats = await helper.stats();
      await vi.waitFor(() => expect(captured).toBe(datagrams), { timeout: 5000 });
      expect(stats).toMatchObject({ framesCaptured: datagrams, framesDropped: 0 });
    } finally {
      socket.close();
      await helper.stop();
    }
  });

  it.skipIf(!isRoot || process.platform !== 'linux')('runs ahead of everything else where it may: every thread at nice -10 and SCHED_RR 1 as root, normal and saying so where it may not', async () => {
    // The kernel's view of each thread: nice (field 19), rt_priority (40) and policy (41) of /proc/PID/task/TID/stat.
    const threads = (pid: number) =>
      readdirSync(`/proc/${pid}/task`).map((tid) => {
        const fields = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
        return { tid: Number(tid), nice: Number(fields[16]), rtPriority: Number(fields[37]), policy: Number(fields[38]) };
      });
    const helper = new HelperClient({ helperPath });
    try {
      const hello = await helper.hello();
      // Real-time from the open on (after the warm-up); nice -10 from the start.
      for (const thread of threads(helper.pid as number)) expect(thread).toEqual({ tid: thread.tid, nice: -10, rtPriority: 0, policy: 0 });
      await helper.open('lo', 'udp dst port 9 and dst host 127.0.0.2');
      const seen = threads(helper.pid as number);
      expect(seen.length).toBeGreaterThan(1); // V8's and libuv's threads are there too
      for (const thread of seen) expect(thread).toEqual({ tid: thread.tid, nice: -10, rtPriority: 1, policy: 2 }); // 2: SCHED_RR
      expect(hello.timestampSource).toContain('captures at real-time priority (SCHED_RR 1)');
    } finally {
      await helper.stop();
    }
    // Without CAP_SYS_NICE the request is refused; the helper carries on at the default priority and says so.
    const unprivileged = new HelperClient({ helperPath, launcher: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all'] });
    try {
      const hello = await unprivileged.hello();
      expect(hello).toMatchObject({ protocol: 1 });
      for (const thread of threads(unprivileged.pid as number)) expect(thread).toEqual({ tid: thread.tid, nice: 0, rtPriority: 0, policy: 0 });
      expect(hello.timestampSource).toContain('normal priority (raising it needs root or CAP_SYS_NICE)');
    } finally {
      await unprivileged.stop();
    }
  });
});
