/**
 * Records longer than the file header's snaplen: libpcap and tshark read them (other tools
 * write such files), so decode, analyze and the engine read them too, with a note; only the
 * hard 256 KiB limit is damage. The file is Scapy's, with its header's snaplen patched down.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEvent } from '../../../shared/api';
import { Backend } from '../../../electron/engine/backend';
import { buildCli, ndjson, runCli } from '../../support/cli';
import { haveScapy, haveTshark, python, run } from '../../unit/files/tools';

const SNAPLEN = 128;

describe.skipIf(!haveScapy || !haveTshark)('a capture whose records exceed its snaplen', () => {
  let directory: string;
  let file: string;
  let cli: string;
  /** tshark's frame.cap_len for each frame. */
  let oracle: number[];

  beforeAll(() => {
    directory = mkdtempSync(path.join(os.tmpdir(), 'hw-live-snaplen-'));
    file = path.join(directory, 'small-snaplen.pcap');
    python(
      `from scapy.all import *
import sys
pkts = [Ether()/IP(src='198.18.0.1', dst='198.18.0.2')/TCP(sport=40000, dport=80, flags='S', seq=1)]
pkts.append(Ether()/IP(src='198.18.0.2', dst='198.18.0.1')/TCP(sport=80, dport=40000, flags='SA', seq=7, ack=2))
pkts.append(Ether()/IP(src='198.18.0.1', dst='198.18.0.2')/TCP(sport=40000, dport=80, flags='A', seq=2, ack=8))
pkts.append(Ether()/IP(src='198.18.0.1', dst='198.18.0.2')/TCP(sport=40000, dport=80, flags='PA', seq=2, ack=8)/Raw(b'x' * 400))
pkts.append(Ether()/IP(src='198.18.0.2', dst='198.18.0.1')/TCP(sport=80, dport=40000, flags='A', seq=8, ack=402))
wrpcap(sys.argv[1], pkts)`,
      file,
    );
    const bytes = readFileSync(file);
    bytes.writeUInt32LE(SNAPLEN, 16); // the pcap header's snaplen
    writeFileSync(file, bytes);
    oracle = run('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.cap_len']).stdout.split('\n').filter(Boolean).map(Number);
    cli = buildCli();
  }, 60_000);
  afterAll(() => {
    rmSync(directory, { recursive: true, force: true });
    rmSync(cli, { force: true });
  });

  it('decode prints every frame tshark reads, with a note instead of an error', async () => {
    expect(oracle).toHaveLength(5);
    expect(oracle[3]).toBeGreaterThan(SNAPLEN);
    const result = await runCli(cli, ['decode', file, '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(ndjson(result.stdout).map((frame) => frame['frame.cap_len'])).toEqual(oracle);
    expect(result.stderr).toBe(`handshake decode: note: 1 frame (first: frame 4) captured more bytes than the file's snaplen ${SNAPLEN}; read anyway, as libpcap does\n`);
  });

  it('analyze tracks the connection through the long frame', async () => {
    const result = await runCli(cli, ['analyze', file, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const [connection] = ndjson(result.stdout);
    expect(connection).toMatchObject({ type: 'connection', frames: 5 });
  });

  it('the engine indexes every frame and gives the long one an expert note', async () => {
    const backend = new Backend({ host: 'browser', version: 'test' });
    const events: ApiEvent[] = [];
    const unsubscribe = backend.subscribe((event) => events.push(event));
    try {
      const session = await backend.openFile(file);
      for (let waited = 0; !events.some((event) => event.type === 'progress' && event.done) && waited < 10_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
      const done = events.find((event) => event.type === 'progress' && event.done);
      expect(done).toMatchObject({ frames: oracle.length, error: null });
      const long = await backend.handlers.getFrame({ sessionId: session.sessionId, index: 3 });
      expect(long.expert).toContainEqual(expect.objectContaining({ severity: 'warn', field: 'frame.cap_len', message: expect.stringContaining('above the snap length') }));
      const short = await backend.handlers.getFrame({ sessionId: session.sessionId, index: 2 });
      expect(short.expert.some((note) => note.field === 'frame.cap_len')).toBe(false);
    } finally {
      unsubscribe();
      await backend.dispose();
    }
  });
});
