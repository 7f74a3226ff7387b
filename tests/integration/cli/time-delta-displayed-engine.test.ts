/**
 * frame.time_delta_displayed in the workbench engine (the UI's display filter and custom
 * columns): seconds since the previous frame the filter lets through, as tshark computes it
 * with -Y, on the Scapy-built capture the CLI test uses.
 */
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runPythonFile, scapyAvailable, tempDir, tsharkAvailable } from '../../unit/wire/oracle/oracle';
import { openIndexed } from '../../support/engine';

const ready = scapyAvailable && tsharkAvailable;
const directory = ready ? tempDir('delta-displayed-engine-') : '';
if (ready) runPythonFile(path.join(__dirname, '..', '..', 'unit', 'reassembly', 'fragments.py'), [directory]);
const pcap = path.join(directory, 'v4-tcp-shuffled.pcap');

const tshark = (args: string[]) =>
  spawnSync('tshark', ['-r', pcap, ...args], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean).map((line) => line.split('\t').map(Number));

describe.skipIf(!ready)('frame.time_delta_displayed in the engine (skipped without Scapy and tshark)', () => {
  it('as a column and in filters, equal to tshark -Y', async () => {
    const { backend, session } = await openIndexed(pcap);
    try {
      const rows = async (filter: string) => {
        for (let attempt = 0; ; attempt++) {
          const result = await backend.handlers.getRows({ sessionId: session.sessionId, start: 0, count: 1000, filter, columns: ['frame.time_delta_displayed'] });
          if (result.complete || attempt > 200) return result.rows;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      };
      for (const filter of ['', 'ip.src == 198.18.0.2', 'tcp.flags.fin == 1 || tcp.flags.syn == 1', 'frame.number >= 5']) {
        const expected = tshark([...(filter ? ['-Y', filter] : []), '-T', 'fields', '-e', 'frame.number', '-e', 'frame.time_delta_displayed']);
        expect(expected.length).toBeGreaterThan(1);
        const mine = await rows(filter);
        expect({ filter, frames: mine.map((row) => row.number) }).toEqual({ filter, frames: expected.map((row) => row[0]) });
        mine.forEach((row, i) => expect(Number(row.columns?.[0])).toBeCloseTo(expected[i][1], 9));
      }
      // In a filter: tshark's frames where the gap since the previous displayed TCP frame exceeds 1.5 ms.
      const filter = 'tcp && frame.time_delta_displayed > 0.0015';
      const theirs = tshark(['-Y', filter, '-T', 'fields', '-e', 'frame.number']).map((row) => row[0]);
      expect((await rows(filter)).map((row) => row.number)).toEqual(theirs);
    } finally {
      await backend.handlers.closeSession({ sessionId: session.sessionId }).catch(() => undefined);
    }
  });
});
