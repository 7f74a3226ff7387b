/**
 * The ladder's readability fixes, held against tshark: a refused SYN's RST is part of the
 * (refused) handshake, not a teardown; a duplicate ACK names its ordinal and the frame it
 * duplicates, as tcp.analysis.duplicate_ack_num/_frame; a line under an arrow never
 * overprints the next arrow's label.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Backend } from '../../../electron/engine/backend';
import { ARROW_DROP, LADDER_LINE, layoutLadder, type ArrowRow } from '../../../renderer/src/lib/ladder-layout';
import { haveScapy, haveTshark, run, SYSTEM_PYTHON } from '../files/tools';
import { openIndexed } from '../../support/engine';

const ready = haveScapy && haveTshark;
const FIXTURES = path.resolve(__dirname, '../../fixtures/scripts');

function tsharkFields(file: string, filter: string, fields: string[]): string[][] {
  return run('tshark', ['-r', file, '-Y', filter, '-T', 'fields', '-E', 'separator=|', '-e', 'frame.number', ...fields.flatMap((f) => ['-e', f])])
    .stdout.split('\n')
    .filter(Boolean)
    .map((line) => line.split('|'));
}

describe.skipIf(!ready)('ladder readability (Scapy captures, tshark as the oracle)', () => {
  let dir = '';
  let backend: Backend;
  let workbench = '';
  let expert = '';

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hs-ladder-fixes-'));
    workbench = path.join(dir, 'workbench.pcap');
    expert = path.join(dir, 'expert.pcap');
    run(SYSTEM_PYTHON, [path.join(FIXTURES, 'workbench_capture.py'), workbench]);
    run(SYSTEM_PYTHON, [path.join(FIXTURES, 'expert_capture.py'), expert]);
    backend = new Backend({ host: 'browser', version: 'test' });
  });
  afterAll(async () => {
    await backend?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a SYN answered by RST: the RST is banded with the refused handshake, not as a teardown', async () => {
    const { session } = await openIndexed(workbench, backend);
    // tshark: the stream whose SYN got an RST (and no SYN+ACK).
    const rst = tsharkFields(workbench, 'tcp.flags.reset == 1', ['tcp.stream']);
    const syns = new Set(tsharkFields(workbench, 'tcp.flags.syn == 1 && tcp.flags.ack == 1', ['tcp.stream']).map((f) => f[1]));
    const refused = rst.find((f) => !syns.has(f[1]));
    expect(refused, 'the capture has a refused connection').toBeDefined();
    const ladder = await backend.handlers.getLadder({ sessionId: session.sessionId, stream: Number(refused![1]), limit: 1000 });
    expect(ladder.refused).toBe(true);
    const arrow = ladder.arrows.find((a) => a.number === Number(refused![0]));
    expect(arrow?.phase).toBe('handshake');
    expect(ladder.arrows.every((a) => a.phase !== 'teardown')).toBe(true);
    const layout = layoutLadder(ladder, { width: 1000, clientX: 300, serverX: 780 }, false);
    expect(layout.bands.map((band) => band.label)).toEqual(['refused']);
    // A connection that was closed normally still has a teardown band.
    const normal = await backend.handlers.getLadder({ sessionId: session.sessionId, stream: 0, limit: 1000 });
    expect(normal.refused).toBeUndefined();
    expect(layoutLadder(normal, { width: 1000, clientX: 300, serverX: 780 }, false).bands.map((band) => band.label)).toEqual(['handshake', 'teardown']);
  });

  it('duplicate ACKs name their ordinal and the frame they duplicate, as tshark does', async () => {
    const { session } = await openIndexed(expert, backend);
    const oracle = tsharkFields(expert, 'tcp.analysis.duplicate_ack', ['tcp.stream', 'tcp.analysis.duplicate_ack_num', 'tcp.analysis.duplicate_ack_frame']);
    expect(oracle.length).toBeGreaterThan(0);
    for (const [frame, stream, ordinal, of] of oracle) {
      const ladder = await backend.handlers.getLadder({ sessionId: session.sessionId, stream: Number(stream), limit: 1000 });
      const arrow = ladder.arrows.find((a) => a.number === Number(frame));
      expect([arrow?.duplicateAckNumber, arrow?.duplicateAckOf], `frame ${frame}`).toEqual([Number(ordinal), Number(of)]);
      const row = layoutLadder(ladder, { width: 1000, clientX: 300, serverX: 780 }, false).rows.find((r): r is ArrowRow => r.kind === 'arrow' && r.arrow.number === Number(frame));
      expect(row?.analysis).toContain(`duplicate ack #${ordinal} of frame ${of}`);
    }
  });

  it('a keep-alive’s analysis line ends above the next arrow’s label', async () => {
    const { session } = await openIndexed(expert, backend);
    const keepAlive = tsharkFields(expert, 'tcp.analysis.keep_alive', ['tcp.stream']);
    expect(keepAlive.length).toBeGreaterThan(0);
    const ladder = await backend.handlers.getLadder({ sessionId: session.sessionId, stream: Number(keepAlive[0][1]), limit: 1000 });
    const rows = layoutLadder(ladder, { width: 1000, clientX: 300, serverX: 780 }, false).rows.filter((r): r is ArrowRow => r.kind === 'arrow');
    const at = rows.findIndex((r) => r.arrow.number === Number(keepAlive[0][0]));
    expect(rows[at].analysis).toContain('keep alive');
    // Baselines as LadderView draws them: the analysis line under the arrow, the next label above its arrow (11 px text).
    const analysisBaseline = rows[at].y + ARROW_DROP + 11 + (rows[at].hello ? LADDER_LINE : 0);
    const nextLabelTop = rows[at + 1].y - 4 - 11;
    expect(nextLabelTop).toBeGreaterThan(analysisBaseline);
  });
});
