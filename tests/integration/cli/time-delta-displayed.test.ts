/**
 * `frame.time_delta_displayed` with -Y: seconds since the previous frame the display filter let
 * through, as tshark computes it (tshark -Y … -e frame.time_delta_displayed), on a Scapy-built
 * TCP connection whose frames are 1 ms apart; without a filter it equals frame.time_delta.
 */
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { buildCli, runCliSync } from '../../support/cli';
import { runPythonFile, scapyAvailable, tempDir, tsharkAvailable } from '../../unit/wire/oracle/oracle';

const ready = scapyAvailable && tsharkAvailable;
const directory = ready ? tempDir('delta-displayed-') : '';
if (ready) runPythonFile(path.join(__dirname, '..', '..', 'unit', 'reassembly', 'fragments.py'), [directory]);
const pcap = path.join(directory, 'v4-tcp-shuffled.pcap');

function rows(text: string): number[][] {
  return text.trim().split('\n').map((line) => line.split('\t').map(Number));
}

describe.skipIf(!ready)('frame.time_delta_displayed', () => {
  const cli = ready ? buildCli() : '';
  it.each(['tcp', 'ip.src == 198.18.0.2', 'tcp.flags.fin == 1 || tcp.flags.syn == 1', 'frame.number >= 5'])('-Y %s: as tshark computes it', (filter) => {
    const ours = runCliSync(cli, ['decode', pcap, '-Y', filter, '-e', 'frame.number', '-e', 'frame.time_delta_displayed']);
    expect(ours.code).toBe(0);
    const theirs = spawnSync('tshark', ['-r', pcap, '-Y', filter, '-T', 'fields', '-e', 'frame.number', '-e', 'frame.time_delta_displayed'], { encoding: 'utf8' });
    expect(theirs.status).toBe(0);
    const expected = rows(theirs.stdout);
    expect(expected.length).toBeGreaterThan(1);
    const mine = rows(ours.stdout);
    expect(mine.map((row) => row[0])).toEqual(expected.map((row) => row[0]));
    mine.forEach((row, index) => expect(row[1]).toBeCloseTo(expected[index][1], 9));
  });

  it('without a filter it is frame.time_delta, in --json too', () => {
    const lines = runCliSync(cli, ['decode', pcap, '--json']).stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, number>);
    for (const line of lines) expect(line['frame.time_delta_displayed']).toBe(line['frame.time_delta']);
  });
});
