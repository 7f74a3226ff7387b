import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureSession, type LiveFrame } from '../../../electron/engine/capture-session';
import { bundleForTest } from '../../support/bundle';
import { hasTshark, tsharkFields } from '../../integration/capture/support';

/**
 * A scripted stand-in for the helper that answers `open` with frame batches around its reply,
 * in the orderings a busy interface produces: a batch in the same write as the open reply
 * (the reader hands it over before the awaiting code resumes), or even a batch ahead of it.
 * Each frame is a 60-byte Ethernet frame whose last two bytes carry its sequence number.
 */
const FAKE_HELPER = `
  import { encodeBatch, encodeControl, MessageReader, MessageType } from './electron/helper/protocol';
  const ordering = process.env.FAKE_ORDERING;
  const reader = new MessageReader();
  let next = 1;
  const batch = (count) => {
    const frames = [];
    for (let i = 0; i < count; i++, next++) {
      const bytes = new Uint8Array(60);
      bytes.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x88, 0xb5]);
      bytes[58] = next >> 8; bytes[59] = next & 0xff;
      frames.push({ tsSec: 1700000000, tsNsec: next * 1000, originalLength: 60, bytes });
    }
    return encodeBatch(MessageType.captured, frames);
  };
  const join = (...parts) => Buffer.concat(parts.map((part) => Buffer.from(part)));
  process.stdin.on('data', (chunk) => {
    for (const item of reader.push(chunk)) {
      if (item.kind !== 'control') continue;
      const { id, cmd } = item.message;
      if (cmd === 'hello') {
        process.stdout.write(encodeControl({ id, ok: true, result: { protocol: 1, version: 'fake', pid: process.pid, platform: process.platform, timestampSource: 'scripted', capVersion: 'fake', libpcapVersion: 'fake' } }));
      } else if (cmd === 'open') {
        const reply = encodeControl({ id, ok: true, result: { device: 'fake0', linkType: 1, linkTypeName: 'Ethernet', bufferSize: 1 } });
        if (ordering === 'same-write') process.stdout.write(join(reply, batch(5), batch(5)));
        else if (ordering === 'before-reply') process.stdout.write(join(batch(3), reply, batch(4)));
        else if (ordering === 'then-exit') { process.stdout.write(join(reply, batch(6)), () => process.exit(0)); return; }
        setTimeout(() => process.stdout.write(batch(10)), 50);
      }
    }
  });
  process.stdin.on('end', () => process.exit(0));
`;

describe('a capture session whose first batches race the open reply', () => {
  let fakeHelper: string;
  let directory: string;
  beforeAll(() => {
    fakeHelper = bundleForTest('fake-helper', { source: FAKE_HELPER });
    directory = mkdtempSync(path.join(os.tmpdir(), 'hw-live-early-'));
  });
  afterAll(() => {
    rmSync(fakeHelper, { force: true });
    rmSync(directory, { recursive: true, force: true });
  });

  async function capture(ordering: string, expected: number): Promise<{ spool: string; seen: number[]; frames: number }> {
    const spool = path.join(directory, `${ordering}.pcapng`);
    process.env.FAKE_ORDERING = ordering;
    try {
      const session = await CaptureSession.start({ device: 'fake0', spoolPath: spool, helperPath: fakeHelper, launcher: [] });
      const seen: number[] = [];
      session.onFrame((frame: LiveFrame) => seen.push((frame.bytes[58] << 8) | frame.bytes[59]));
      if (ordering !== 'then-exit') {
        for (let waited = 0; session.statistics().frames < expected && waited < 5000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
        await session.stop();
      }
      const end = await session.waitForEnd();
      return { spool, seen, frames: end.frames };
    } finally {
      delete process.env.FAKE_ORDERING;
    }
  }

  it.each([
    ['same-write', 20],
    ['before-reply', 17],
  ])('keeps every frame, in order, when they come %s', async (ordering, expected) => {
    const { spool, seen, frames } = await capture(ordering, expected);
    const numbers = Array.from({ length: expected }, (_, index) => index + 1);
    expect(frames).toBe(expected);
    // Listeners attached right after start() still see the early frames, in order.
    expect(seen).toEqual(numbers);
    if (!hasTshark) return;
    const rows = tsharkFields(spool, ['frame.number', 'eth.type', 'frame.len']);
    expect(rows).toHaveLength(expected);
    expect(rows.every(([, type, length]) => type === '0x88b5' && length === '60')).toBe(true);
    const warnings = spawnSync('tshark', ['-r', spool], { encoding: 'utf8' }).stderr.split('\n').filter((line) => line && !line.includes('Running as user'));
    expect(warnings).toEqual([]);
  });

  it('spools the early frames of a helper that ends right after its first batch', async () => {
    const { spool, frames } = await capture('then-exit', 6);
    expect(frames).toBe(6);
    if (hasTshark) expect(tsharkFields(spool, ['frame.number'])).toHaveLength(6);
  });
});
