/**
 * `handshake analyze --expert` against `tshark -q -z expert` on a Scapy-built capture full of
 * TCP analysis events (tests/fixtures/scripts/expert_capture.py), count by count after
 * mapping tshark's summaries to our kinds (tests/support/tshark-stats.ts names the notes we
 * do not make).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, ndjson, ROOT, runCliSync } from '../../support/cli';
import { tsharkExpert, tsharkExpertCounts } from '../../support/tshark-stats';

const ready =
  spawnSync('/usr/bin/python3', ['-c', 'import scapy.all'], { stdio: 'ignore' }).status === 0 && spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0;

describe.skipIf(!ready)('analyze --expert', () => {
  let dir: string;
  let cli: string;
  let capture: string;

  beforeAll(() => {
    cli = buildCli();
    dir = mkdtempSync(path.join(os.tmpdir(), 'hw-cli-expert-'));
    capture = path.join(dir, 'expert.pcap');
    execFileSync('/usr/bin/python3', [path.join(ROOT, 'tests/fixtures/scripts/expert_capture.py'), capture]);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('counts every kind as tshark -z expert does, with the same severities', () => {
    const run = runCliSync(cli, ['analyze', capture, '--expert', '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const groups = ndjson(run.stdout);
    const ours = Object.fromEntries(groups.map((g) => [g.kind as string, g.count as number]));
    const theirs = tsharkExpertCounts(capture);
    // The capture really holds the events the test is about.
    for (const kind of ['retransmission', 'fast-retransmission', 'dup-ack', 'lost-segment', 'zero-window', 'window-update', 'keep-alive', 'keep-alive-ack', 'reused-ports', 'rst', 'bad-checksum', 'syn', 'syn-ack', 'fin']) {
      expect(theirs[kind], kind).toBeGreaterThan(0);
    }
    expect(ours).toEqual(theirs);

    // Severities as tshark files them.
    const severityOf = new Map(groups.map((g) => [g.kind as string, g.severity as string]));
    const summaries = tsharkExpert(capture);
    for (const line of summaries) {
      if (line.protocol !== 'TCP') continue;
      const kind = groups.find((g) => line.summary.startsWith(String(g.summary)) || (g.kind === 'dup-ack' && line.summary.startsWith('Duplicate ACK')));
      if (kind) expect(severityOf.get(kind.kind as string), line.summary).toBe(line.severity);
    }

    // Frames named: the retransmissions are the frames tshark flags.
    const flagged = execFileSync('tshark', ['-r', capture, '-Y', 'tcp.analysis.retransmission', '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .filter(Boolean)
      .map(Number);
    expect(groups.find((g) => g.kind === 'retransmission')?.frames).toEqual(flagged);
  });

  it('prints the text report in tshark\'s sections', () => {
    const run = runCliSync(cli, ['analyze', capture, '--expert']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Errors \(1\)\n=============\n/);
    expect(run.stdout).toContain('Connection reset (RST)');
    expect(run.stdout).toMatch(/Notes \(\d+\)/);
  });
});
