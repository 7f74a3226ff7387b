/**
 * The CLI over link types it does and does not decode: an unknown link type is named in Info and
 * in one stderr note, and `analyze` says how many frames could not be read for TCP instead of
 * printing nothing; a tunnelled capture is analysed as tshark sees it (one stream per inner
 * connection). Captures come from the Scapy-built encapsulation corpus.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, ndjson, runCliSync } from '../../support/cli';
import { loadEncapCorpus, runTshark, scapyAvailable, tsharkAvailable } from '../../unit/wire/oracle/oracle';

describe.skipIf(!scapyAvailable || !tsharkAvailable)('handshake decode/analyze over other link types', () => {
  let dir: string;
  let cli: string;

  beforeAll(() => {
    cli = buildCli();
    dir = mkdtempSync(path.join(os.tmpdir(), 'hw-cli-link-'));
    loadEncapCorpus(dir);
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('names an undecoded link type in Info and in one stderr note, and exits 0', () => {
    const run = runCliSync(cli, ['decode', path.join(dir, 'unknown.pcap')]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Link type 147 (LINKTYPE_USER0) is not decoded');
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringContaining('link type 147 (LINKTYPE_USER0) is not decoded; 1 frame')]);
  });

  it('analyze says how many frames could not be read for TCP', () => {
    const text = runCliSync(cli, ['analyze', path.join(dir, 'unknown.pcap')]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('1 frame could not be read for TCP: link type 147 (LINKTYPE_USER0) is not decoded');
    const json = runCliSync(cli, ['analyze', path.join(dir, 'unknown.pcap'), '--json']);
    expect(ndjson(json.stdout)).toEqual([{ type: 'unread', frames: 1, link_types: [{ link_type: 147, name: 'LINKTYPE_USER0', frames: 1 }] }]);
  });

  it.each(['vxlan', 'geneve', 'gre', 'erspan', 'mpls', 'wlan', 'pppoe', 'nflog', 'pktap'])('%s: analyze finds the connections tshark finds', (file) => {
    const pcap = path.join(dir, `${file}.pcap`);
    const streams = new Set(runTshark(['-r', pcap, '-T', 'fields', '-e', 'tcp.stream']).split('\n').filter(Boolean));
    const run = runCliSync(cli, ['analyze', pcap, '--json']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const connections = ndjson(run.stdout).filter((line) => line.type === 'connection');
    expect(connections.length).toBe(streams.size);
  });
});
