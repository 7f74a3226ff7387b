/**
 * The command's contract for bad input (cli.md): exit codes, one-line reasons on stderr, and a
 * damaged file read up to the damage with everything before it printed.
 * Input files are built by Scapy and tshark's editcap, not by the code under test.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, ndjson, ROOT, runCliSync } from '../../support/cli';

const SCAPY = '/usr/bin/python3';
const ready = existsSync(SCAPY) && spawnSync(SCAPY, ['-c', 'import scapy.all']).status === 0;

describe.skipIf(!ready)('handshake decode/analyze with bad input', () => {
  let dir: string;
  let cli: string;
  let good: string;

  beforeAll(() => {
    cli = buildCli();
    dir = mkdtempSync(path.join(os.tmpdir(), 'hw-cli-errors-'));
    good = path.join(dir, 'good.pcap');
    // Ten SYNs to a closed port, each refused: a small, fully known capture.
    execFileSync(SCAPY, ['-c', `
from scapy.all import *
frames = []
for i in range(5):
    syn = Ether(src='02:00:00:00:00:01', dst='02:00:00:00:00:02')/IP(src='198.18.0.1', dst='198.18.0.2')/TCP(sport=40000+i, dport=9, flags='S', seq=1000*i)
    rst = Ether(src='02:00:00:00:00:02', dst='02:00:00:00:00:01')/IP(src='198.18.0.2', dst='198.18.0.1')/TCP(sport=9, dport=40000+i, flags='RA', seq=0, ack=1000*i+1)
    syn.time = 1700000000 + i
    rst.time = 1700000000 + i + 0.0001
    frames += [syn, rst]
wrpcap('${good}', frames)
`]);
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('decodes a good file and exits 0', () => {
    const run = runCliSync(cli, ['decode', good, '--json']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(ndjson(run.stdout).map((frame) => frame['tcp.flags'])).toEqual([2, 0x14, 2, 0x14, 2, 0x14, 2, 0x14, 2, 0x14]);
  });

  it('reads a gzip-compressed capture like the plain one', () => {
    const gz = path.join(dir, 'good.pcap.gz');
    writeFileSync(gz, gzipSync(readFileSync(good)));
    expect(runCliSync(cli, ['decode', gz, '--json']).stdout).toBe(runCliSync(cli, ['decode', good, '--json']).stdout);
  });

  it('exits 3 with a one-line reason for a missing file', () => {
    const run = runCliSync(cli, ['decode', path.join(dir, 'nope.pcap')]);
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/no such file/);
  });

  it('exits 3 for a file that is not a capture', () => {
    const text = path.join(dir, 'notes.txt');
    writeFileSync(text, 'this is not a capture file at all\n');
    const run = runCliSync(cli, ['analyze', text]);
    expect(run.code).toBe(3);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/magic|not a pcap|format/i);
  });

  it('prints every frame before the damage of a truncated file, then says where the damage begins', () => {
    const cut = path.join(dir, 'cut.pcap');
    writeFileSync(cut, readFileSync(good));
    // 24-byte header + 10 records of (16 + 54) bytes: cut into the 8th record.
    truncateSync(cut, 24 + 7 * 70 + 30);
    const run = runCliSync(cli, ['decode', cut, '--json']);
    expect(run.code).toBe(3);
    expect(ndjson(run.stdout).map((frame) => frame['frame.number'])).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/byte 514.*frame 8/);
  });

  it('analyze of a damaged file reports the connections read before the damage', () => {
    const cut = path.join(dir, 'cut2.pcap');
    writeFileSync(cut, readFileSync(good));
    truncateSync(cut, 24 + 4 * 70 + 10);
    const run = runCliSync(cli, ['analyze', cut, '--json']);
    expect(run.code).toBe(3);
    const connections = ndjson(run.stdout);
    expect(connections.map((connection) => connection.conn_state)).toEqual(['REJ', 'REJ']);
  });

  it('exits 2 for usage errors and a bad display filter, naming the problem', () => {
    expect(runCliSync(cli, ['decode']).code).toBe(2);
    expect(runCliSync(cli, ['decode', good, '--bogus']).code).toBe(2);
    expect(runCliSync(cli, ['frobnicate']).code).toBe(2);
    const run = runCliSync(cli, ['decode', good, '-Y', 'tcp.flags.syn == == 1']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/bad display filter at character \d+/);
    expect(runCliSync(cli, ['decode', good, '-Y', 'tcp.no_such_field == 1']).code).toBe(2);
  });

  it('stops quietly when the reader goes away (| head)', () => {
    const many = path.join(dir, 'many.pcapng');
    execFileSync(process.execPath, [path.join(ROOT, 'build/scripts/run-ts.mjs'), path.join(ROOT, 'tests/bench/generate-capture.ts'), many, '50000', '100']);
    const run = spawnSync('sh', ['-c', `"${process.execPath}" "${cli}" decode --json "${many}" | head -n 1`], { encoding: 'utf8' });
    expect(run.stdout.trim().split('\n')[0]).toMatch(/^\{"frame.number":1,/);
    expect(run.stderr).toBe('');
  });
});
