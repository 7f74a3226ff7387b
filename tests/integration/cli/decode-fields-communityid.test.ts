/**
 * decode -e skips the Community ID's SHA-1 unless it is asked for: asked as a field or used by
 * the display filter, it is still there, equal to tshark's `--enable-protocol communityid`, on
 * fragmented captures too (an IPv4 fragment is hashed without ports, an IPv6 fragment has none,
 * the frame completing a datagram has the reassembled one's).
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { buildCli, runCliSync } from '../../support/cli';
import { runPythonFile, scapyAvailable, tempDir, tsharkAvailable } from '../../unit/wire/oracle/oracle';

const ready = scapyAvailable && tsharkAvailable;
const directory = ready ? tempDir('communityid-fields-') : '';
if (ready) runPythonFile(path.join(__dirname, '..', '..', 'unit', 'reassembly', 'fragments.py'), [directory]);
const pcap = path.join(directory, 'v4-tcp-shuffled.pcap');

describe.skipIf(!ready)('decode -e and communityid', () => {
  const cli = ready ? buildCli() : '';
  const theirs = (file = pcap) =>
    spawnSync('tshark', ['-r', file, '--enable-protocol', 'communityid', '-T', 'fields', '-e', 'frame.number', '-e', 'communityid'], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n');

  it.each(ready ? readdirSync(directory).filter((name) => name.endsWith('.pcap')) : [])('%s: as a field, tshark\'s values', (name) => {
    const file = path.join(directory, name);
    const run = runCliSync(cli, ['decode', file, '-e', 'frame.number', '-e', 'communityid']);
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split('\n')).toEqual(theirs(file));
  });

  it('in the filter only: it still selects', () => {
    const [first] = theirs();
    const id = first.split('\t')[1];
    const run = runCliSync(cli, ['decode', pcap, '-Y', `communityid == "${id}"`, '-e', 'frame.number']);
    const expected = theirs().filter((line) => line.endsWith(`\t${id}`)).map((line) => line.split('\t')[0]);
    expect(expected.length).toBeGreaterThan(3);
    expect(run.stdout.trim().split('\n')).toEqual(expected);
  });
});
