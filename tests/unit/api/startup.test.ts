/**
 * What the engine does before a window asks: the interface list and the permission check
 * prefetched (each costs a helper process), and a warm-up on a generated capture.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { dispatch, methodValidators, type InterfaceInfo } from '../../../shared/api';
import { Backend } from '../../../electron/engine/backend';
import type { CaptureProvider } from '../../../electron/engine/capture-provider';
import { warmUpEngine, writeWarmUpCapture } from '../../../electron/engine/warm-up';

const haveTshark = spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0;

function countingProvider(): { provider: CaptureProvider; calls: string[] } {
  const calls: string[] = [];
  let generation = 0;
  const provider: CaptureProvider = {
    listInterfaces: async (): Promise<InterfaceInfo[]> => {
      calls.push('interfaces');
      generation++;
      return [{ name: `veth${generation}`, description: '', addresses: [], mac: null, loopback: false, linkType: 1, linkTypeName: 'EN10MB' }];
    },
    validateBpf: async () => ({ ok: true, message: null }),
    send: async () => ({ sent: 0, resolvedBy: null, frame: null, replies: [], waitMs: 0, kernelRst: null, suppressionRule: null }),
    probePermission: async () => {
      calls.push('permission');
      return { ok: true, device: 'veth', message: null, permission: false, platform: process.platform };
    },
  };
  return { provider, calls };
}

describe('prefetched capture probes', () => {
  afterEach(() => vi.useRealTimers());

  it('asks the helper once at start, hands that answer to the first request, and asks afresh after', async () => {
    const { provider, calls } = countingProvider();
    const backend = new Backend({ host: 'browser', version: 'test', capture: provider, prefetchCaptureProbes: true });
    // Interfaces first, the permission probe after it: never two helpers starting together.
    await vi.waitFor(() => expect(calls).toEqual(['interfaces', 'permission']));
    const first = methodValidators.listInterfaces.result(await dispatch(backend.handlers, 'listInterfaces', null));
    expect(first.interfaces.map((i) => i.name)).toEqual(['veth1']);
    const permission = methodValidators.checkCapturePermission.result(await dispatch(backend.handlers, 'checkCapturePermission', null));
    expect(permission.ok).toBe(true);
    expect(calls).toEqual(['interfaces', 'permission']);
    // A refresh (a new interface, a fixed permission) must see the system as it is now.
    const second = methodValidators.listInterfaces.result(await dispatch(backend.handlers, 'listInterfaces', null));
    expect(second.interfaces.map((i) => i.name)).toEqual(['veth2']);
    await dispatch(backend.handlers, 'checkCapturePermission', null);
    expect(calls).toEqual(['interfaces', 'permission', 'interfaces', 'permission']);
    await backend.dispose();
  });

  it('does not hand out an answer that has gone stale', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { provider, calls } = countingProvider();
    const backend = new Backend({ host: 'browser', version: 'test', capture: provider, prefetchCaptureProbes: true });
    vi.setSystemTime(Date.now() + 60_000);
    const answer = methodValidators.listInterfaces.result(await dispatch(backend.handlers, 'listInterfaces', null));
    expect(answer.interfaces.map((i) => i.name)).toEqual(['veth2']);
    expect(calls.filter((call) => call === 'interfaces')).toHaveLength(2);
    await backend.dispose();
  });

  it('without the option, nothing runs until asked', async () => {
    const { provider, calls } = countingProvider();
    const backend = new Backend({ host: 'browser', version: 'test', capture: provider });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(calls).toEqual([]);
    await backend.dispose();
  });
});

describe('engine warm-up', () => {
  it.skipIf(!haveTshark)('generates complete IPv4 and IPv6 connections, as tshark reads them', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hw-warm-'));
    try {
      const file = path.join(dir, 'warm.pcapng');
      writeWarmUpCapture(file);
      const lines = execFileSync('tshark', ['-2', '-r', file, '-Y', 'tcp.flags.syn == 1 && tcp.flags.ack == 0', '-T', 'fields', '-e', 'tcp.stream', '-e', 'ipv6.src', '-e', 'tcp.completeness'], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split('\t'));
      expect(lines.length).toBeGreaterThanOrEqual(20);
      expect(lines.some(([, v6]) => v6 !== '')).toBe(true);
      expect(lines.some(([, v6]) => v6 === '')).toBe(true);
      // SYN, SYN-ACK, ACK, DATA, FIN: every connection has handshake, data and FIN teardown.
      for (const [, , completeness] of lines) expect(Number(completeness) & 0x1f).toBe(0x1f);
      const checksums = execFileSync('tshark', ['-r', file, '-o', 'tcp.check_checksum:TRUE', '-Y', 'tcp.checksum.status == 0 || _ws.malformed || _ws.expert.severity >= "warning"', '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' });
      expect(checksums.trim()).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs through a whole session and leaves nothing behind in the temp directory', async () => {
    const before = readdirSync(os.tmpdir()).filter((name) => name.startsWith('handshake-warm-up-'));
    const outcome = await warmUpEngine();
    // 24 connections of 3 + 2×6 + 3 segments and one UDP datagram each.
    expect(outcome).toEqual({ ok: true, frames: 24 * 19, connections: 24 });
    const after = readdirSync(os.tmpdir()).filter((name) => name.startsWith('handshake-warm-up-'));
    expect(after).toEqual(before);
  });
});
