/**
 * Custom columns, sorting, time references and packet comments through the engine's API,
 * against tshark reading the same files (-T fields, -Y) and editcap writing the comments.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { methodValidators, ROW_MARK } from '../../../shared/api';
import { Backend } from '../../../electron/engine/backend';
import { haveScapy, haveTshark, run, SYSTEM_PYTHON } from '../files/tools';
import { openIndexed } from '../../support/engine';

const ready = haveScapy && haveTshark;
const SCRIPT = path.resolve(__dirname, '../../fixtures/scripts/workbench_capture.py');

function tsharkFields(file: string, fields: string[], filter?: string): string[][] {
  const args = ['-r', file, ...(filter ? ['-Y', filter] : []), '-T', 'fields', '-E', 'separator=|', '-e', 'frame.number', ...fields.flatMap((f) => ['-e', f])];
  return run('tshark', args)
    .stdout.split('\n')
    .filter(Boolean)
    .map((line) => line.split('|'));
}

describe.skipIf(!ready)('packet-list columns in the engine (tshark as the oracle)', () => {
  let dir = '';
  let plain = '';
  let commented = '';
  let backend: Backend;

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hs-columns-test-'));
    plain = path.join(dir, 'workbench.pcap');
    run(SYSTEM_PYTHON, [SCRIPT, plain]);
    commented = path.join(dir, 'commented.pcapng');
    // editcap writes the comments: an independent pcapng writer (a second -a for one frame replaces the first).
    run('editcap', ['-F', 'pcapng', '-a', '2:handshake, second step', '-a', '6:second one', '-a', '11:ünïcode ✓', plain, commented]);
    backend = new Backend({ host: 'browser', version: 'test' });
  });
  afterAll(async () => {
    await backend?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('custom columns carry each frame’s field values as tshark -T fields prints them', async () => {
    const { session } = await openIndexed(plain, backend);
    const fields = ['ip.ttl', 'tcp.srcport', 'tcp.flags.syn', 'tcp.window_size_value', 'udp.length', 'eth.src', 'ipv6.src', 'tcp.options.mss_val'];
    const result = await backend.handlers.getRows({ sessionId: session.sessionId, start: 0, count: 100, filter: '', columns: fields });
    const oracle = tsharkFields(plain, fields);
    expect(result.rows.length).toBe(oracle.length);
    result.rows.forEach((row, i) => {
      expect([String(row.number), ...(row.columns ?? [])], `frame ${row.number}`).toEqual(oracle[i].map((value) => (value === 'True' ? '1' : value === 'False' ? '0' : value)));
    });
    // Paged: a later page has the same values.
    const page = await backend.handlers.getRows({ sessionId: session.sessionId, start: 10, count: 3, filter: 'tcp', columns: ['tcp.srcport'] });
    const tcp = tsharkFields(plain, ['tcp.srcport'], 'tcp');
    expect(page.rows.map((row) => [String(row.number), row.columns?.[0]])).toEqual(tcp.slice(10, 13).map((f) => [f[0], f[1]]));
    // A name no dissector defines is refused with the reason, and the contract bounds the count.
    await expect(backend.handlers.getRows({ sessionId: session.sessionId, start: 0, count: 5, filter: '', columns: ['tcp.nosuch'] })).rejects.toThrow(/not a display-filter field/);
    expect(() => methodValidators.getRows.params({ sessionId: 's1', start: 0, count: 5, filter: '', columns: Array(33).fill('ip.ttl') }, 'params')).toThrow();
  });

  it('sorting by a column orders the displayed frames as the values sort, ties in capture order, and findRow follows it', async () => {
    const { session } = await openIndexed(plain, backend);
    const oracle = tsharkFields(plain, ['frame.len', 'tcp.srcport', 'ip.src'], 'tcp');
    const sorted = async (column: string, descending: boolean) =>
      (await backend.handlers.getRows({ sessionId: session.sessionId, start: 0, count: 100, filter: 'tcp', sort: { column, descending } })).rows.map((row) => String(row.number));
    const numeric = (at: number, sign: number) => [...oracle].sort((a, b) => sign * (Number(a[at]) - Number(b[at])) || Number(a[0]) - Number(b[0])).map((f) => f[0]);
    expect(await sorted('length', false)).toEqual(numeric(1, 1));
    expect(await sorted('length', true)).toEqual(numeric(1, -1));
    expect(await sorted('tcp.srcport', true)).toEqual(numeric(2, -1));
    expect(await sorted('number', true)).toEqual(oracle.map((f) => f[0]).reverse());
    const order = await sorted('tcp.srcport', true);
    const { position } = await backend.handlers.findRow({ sessionId: session.sessionId, filter: 'tcp', index: Number(order[4]) - 1, sort: { column: 'tcp.srcport', descending: true } });
    expect(position).toBe(4);
  });

  it('time references: the Time column counts from the latest reference, which carries TIME_REF', async () => {
    const { session } = await openIndexed(plain, backend);
    const times = tsharkFields(plain, ['frame.time_relative']).map((f) => Number(f[1]));
    const sessionId = session.sessionId;
    expect((await backend.handlers.setTimeReference({ sessionId, index: 3, on: true })).references).toBe(1);
    expect((await backend.handlers.setTimeReference({ sessionId, index: 9, on: true })).references).toBe(2);
    const rows = (await backend.handlers.getRows({ sessionId, start: 0, count: 100, filter: '' })).rows;
    for (const row of rows) {
      const i = row.index;
      const reference = i >= 9 ? 9 : i >= 3 ? 3 : -1;
      expect(row.time, `frame ${row.number}`).toBeCloseTo(reference < 0 ? times[i] : times[i] - times[reference], 6);
      expect((row.marks & ROW_MARK.TIME_REF) !== 0).toBe(i === 3 || i === 9);
    }
    // frame.time_relative follows Wireshark's rule too ("Time since reference or first frame"): as a
    // custom column and in the detail tree, where a reference frame says it is one.
    const custom = (await backend.handlers.getRows({ sessionId, start: 0, count: 100, filter: '', columns: ['frame.time_relative'] })).rows;
    for (const row of custom) {
      const i = row.index;
      const reference = i >= 9 ? 9 : i >= 3 ? 3 : -1;
      expect(Number(row.columns?.[0]), `frame ${row.number} frame.time_relative`).toBeCloseTo(reference < 0 ? times[i] : times[i] - times[reference], 6);
    }
    const treeLines = async (index: number) => {
      const detail = await backend.handlers.getFrame({ sessionId, index });
      return detail.tree[0].children.map((n) => n.label);
    };
    expect(await treeLines(9)).toContain('This is a Time Reference frame');
    expect(await treeLines(9)).toContain('Time since reference or first frame: 0.000000000 seconds');
    const eleventh = (await treeLines(11)).find((label) => label.startsWith('Time since reference'));
    expect(Number(/: ([\d.]+) seconds/.exec(eleventh ?? '')?.[1])).toBeCloseTo(times[11] - times[9], 6);
    expect(await treeLines(2)).not.toContain('This is a Time Reference frame');
    expect((await backend.handlers.setTimeReference({ sessionId, index: 9, on: false })).references).toBe(1);
    expect((await backend.handlers.setTimeReference({ sessionId, index: null, on: false })).references).toBe(0);
    const after = (await backend.handlers.getRows({ sessionId, start: 12, count: 1, filter: '' })).rows[0];
    expect(after.time).toBeCloseTo(times[12], 6);
  });

  it("time references: a referenced frame stays in the packet list whatever the display filter says (Wireshark's rule), and only there", async () => {
    const { session } = await openIndexed(plain, backend);
    const sessionId = session.sessionId;
    const filter = 'tcp.flags.syn == 1';
    const matching = tsharkFields(plain, [], filter).map((f) => Number(f[0]) - 1);
    const all = tsharkFields(plain, []).map((f) => Number(f[0]) - 1);
    const outside = all.find((i) => i > matching[0] && !matching.includes(i));
    expect(outside, 'a frame the filter hides, after its first match').toBeDefined();
    const reference = outside as number;
    const listed = async () => (await backend.handlers.getRows({ sessionId, start: 0, count: 1000, filter })).rows.map((row) => row.index);
    expect(await listed()).toEqual(matching);
    await backend.handlers.setTimeReference({ sessionId, index: reference, on: true });
    const withReference = [...matching, reference].sort((a, b) => a - b);
    expect(await listed()).toEqual(withReference);
    expect((await backend.handlers.findRow({ sessionId, filter, index: reference })).position).toBe(withReference.indexOf(reference));
    // Export Specified Packets ▸ displayed writes it too (tshark counts the file).
    const target = path.join(dir, 'displayed-with-reference.pcapng');
    const exported = await backend.handlers.exportPackets({ sessionId, path: target, format: 'pcapng', range: 'displayed', filter, indices: [], overwrite: true });
    expect(exported.frames).toBe(withReference.length);
    expect(tsharkFields(target, []).length).toBe(withReference.length);
    // Statistics limited to the filter and Find use the filter alone.
    const found = await backend.handlers.findFrame({ sessionId, filter, displayFilter: filter, from: matching[0], backward: false });
    expect(found.index).toBe(matching.find((i) => i > matching[0]) ?? matching[0]);
    // Cleared: the filter alone decides again.
    await backend.handlers.setTimeReference({ sessionId, index: reference, on: false });
    expect(await listed()).toEqual(matching);
  });

  it('packet comments: read from pcapng, a Comment column, frame.comment in the tree and the filter; edits saved as tshark reads them', async () => {
    const { session } = await openIndexed(commented, backend);
    const sessionId = session.sessionId;
    const rows = (await backend.handlers.getRows({ sessionId, start: 0, count: 100, filter: '', columns: ['frame.comment'] })).rows;
    const oracle = tsharkFields(commented, ['frame.comment']);
    rows.forEach((row, i) => {
      expect(row.comment ?? '', `frame ${row.number}`).toBe(oracle[i][1]);
      expect(row.columns?.[0]).toBe(oracle[i][1]);
      expect((row.marks & ROW_MARK.COMMENTED) !== 0).toBe(oracle[i][1] !== '');
    });
    for (const filter of ['frame.comment', 'frame.comment contains "second"', 'frame.comment == "second one"', 'frame.comment matches "^ün"', '!frame.comment']) {
      const ours = (await backend.handlers.getRows({ sessionId, start: 0, count: 100, filter })).rows.map((row) => String(row.number));
      expect(ours, filter).toEqual(tsharkFields(commented, [], filter).map((f) => f[0]));
    }
    const detail = await backend.handlers.getFrame({ sessionId, index: 5 });
    expect(detail.comments).toEqual([oracle[5][1]]);
    expect(detail.tree[0].label).toBe('Packet comments');
    expect(detail.tree[0].children.map((node) => [node.field, node.label])).toEqual([['frame.comment', 'second one']]);

    // Edit one, delete one, add one; the filter sees the new text at once.
    await backend.handlers.setComments({ sessionId, index: 1, comments: ['edited in the workbench'] });
    await backend.handlers.setComments({ sessionId, index: 5, comments: [] });
    expect((await backend.handlers.setComments({ sessionId, index: 14, comments: ['new "quoted", comment'] })).commented).toBe(3);
    const matched = (await backend.handlers.getRows({ sessionId, start: 0, count: 100, filter: 'frame.comment contains "workbench"' })).rows.map((row) => row.number);
    expect(matched).toEqual([2]);
    await expect(backend.handlers.setComments({ sessionId, index: 1, comments: ['x'.repeat(70_000)] })).rejects.toThrow(/65535 bytes/);

    const saved = path.join(dir, 'edited.pcapng');
    await backend.handlers.saveAs({ sessionId, path: saved, format: 'pcapng' });
    const read = tsharkFields(saved, ['frame.comment']).filter((f) => f[1] !== '');
    expect(read).toEqual([
      ['2', 'edited in the workbench'],
      ['11', 'ünïcode ✓'],
      ['15', 'new "quoted", comment'],
    ]);
    // Export Specified Packets keeps them too.
    const exported = path.join(dir, 'exported.pcapng');
    await backend.handlers.exportPackets({ sessionId, path: exported, format: 'pcapng', range: 'selected', filter: '', indices: [1, 5, 14] });
    expect(tsharkFields(exported, ['frame.comment']).map((f) => f[1])).toEqual(['edited in the workbench', '', 'new "quoted", comment']);
  });
});
