/**
 * tcp.analysis.acks_frame, ack_rtt, bytes_in_flight and push_bytes_sent on a real Linux transfer
 * with loss on both sides of the capture point: every frame's values equal tshark's, together
 * with the relative numbers, windows and analysis flags the graphs are drawn from.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canRecordTransfer, recordLossyTransfer, TRANSFER_SKIP_REASON, withoutFrames } from '../../support/lossy-transfer';
import { compareWithTshark, HAS_TSHARK, trackFile, tshark } from '../../unit/track/scenario';

const dir = mkdtempSync(path.join(tmpdir(), 'flight-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe(`a Linux bulk transfer with loss (${canRecordTransfer && HAS_TSHARK ? 'recorded here' : `skipped: ${TRANSFER_SKIP_REASON}, and tshark`})`, () => {
  it.skipIf(!canRecordTransfer || !HAS_TSHARK)('every frame agrees with tshark on acks_frame, ack_rtt, bytes_in_flight, push_bytes_sent and the rest', async () => {
    const file = path.join(dir, 'transfer.pcap');
    await recordLossyTransfer('flt', file, { bytes: 3_000_000, lossAfterTap: 0.02 });
    if (process.env.FLIGHT_KEEP) copyFileSync(file, process.env.FLIGHT_KEEP);
    // The same transfer as a capture that missed some of the client's segments (gaps before the tap).
    const gapped = path.join(dir, 'gapped.pcap');
    expect(withoutFrames(file, gapped, 150).length).toBeGreaterThan(5);
    for (const capture of [file, gapped]) {
      const tracked = trackFile(capture);
      const { ours, theirs } = compareWithTshark(capture, tracked);
      expect(ours.length).toBeGreaterThan(1500);
      for (let i = 0; i < ours.length; i++) expect([capture, i + 1, ours[i]]).toEqual([capture, i + 1, theirs[i]]);
    }
    // The captures hold what the fields are about (so the comparison above is not vacuous).
    const rows = tshark(file, ['tcp.analysis.ack_rtt', 'tcp.analysis.bytes_in_flight', 'tcp.analysis.retransmission', 'tcp.options.sack_le', 'tcp.analysis.push_bytes_sent']);
    const count = (field: string) => rows.filter((r) => r[field] !== '').length;
    expect(count('tcp.analysis.ack_rtt')).toBeGreaterThan(100);
    expect(count('tcp.analysis.bytes_in_flight')).toBeGreaterThan(1000);
    expect(count('tcp.analysis.push_bytes_sent')).toBeGreaterThan(1000);
    expect(count('tcp.analysis.retransmission')).toBeGreaterThan(3);
    expect(count('tcp.options.sack_le')).toBeGreaterThan(3);
    expect(tshark(gapped, ['tcp.analysis.lost_segment']).filter((r) => r['tcp.analysis.lost_segment'] !== '').length).toBeGreaterThan(5);
  }, 240_000);
});
