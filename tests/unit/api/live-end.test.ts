/**
 * A live session reads the capture's last bytes: frames written to the spool just before the
 * capture ends (endLive) are indexed, even when a read that found nothing new was under way then.
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileSession } from '../../../electron/engine/session';

/** A classic pcap (Ethernet) of these frames, 1 ms apart. */
function pcap(frames: Buffer[]): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20);
  return Buffer.concat([header, ...frames.flatMap((frame, i) => {
    const record = Buffer.alloc(16);
    record.writeUInt32LE(1_700_000_000, 0);
    record.writeUInt32LE(i * 1000, 4);
    record.writeUInt32LE(frame.length, 8);
    record.writeUInt32LE(frame.length, 12);
    return [record, frame];
  })]);
}

describe('a live session at the end of its capture', () => {
  it('indexes frames appended right before endLive()', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'live-end-'));
    try {
      const frames = Array.from({ length: 50 }, (_, i) => Buffer.concat([Buffer.from('020000000002020000000001080045000020000000004011', 'hex'), Buffer.alloc(2), Buffer.from([198, 18, 0, 1, 198, 18, 0, 2]), Buffer.from([0x9c, 0x40, 0x9c, 0x41, 0, 12, 0, 0]), Buffer.from([i, i, i, i])]));
      const bytes = pcap(frames);
      const spool = path.join(dir, 'spool.pcap');
      // 20 frames first (24-byte header, 16 + 46 bytes a frame).
      const cut = 24 + 20 * (16 + 46);
      writeFileSync(spool, bytes.subarray(0, cut));
      for (let round = 0; round < 5; round++) {
        const session = new FileSession(`live${round}`, spool, () => undefined);
        await session.openLive();
        for (let waited = 0; session.index.count < 20 && waited < 5000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
        expect(session.index.count).toBe(20);
        appendFileSync(spool, bytes.subarray(cut));
        session.endLive();
        await session.whenIndexed();
        expect(session.index.count).toBe(50);
        await session.close();
        writeFileSync(spool, bytes.subarray(0, cut));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
