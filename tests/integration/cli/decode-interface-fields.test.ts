/**
 * frame.interface_id and frame.interface_name in `decode -e` and `decode -Y`, against tshark on a
 * multi-interface pcapng that mergecap made from three single-interface captures (two named, as
 * `capture` names its points host:iface, and one without a name, which tshark calls "unknown").
 * A pcap file has no interfaces: both fields are absent, as in tshark. The workbench's engine (its
 * display filter and detail tree) is held against tshark on the same file.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCaptureFileWriter } from '../../../electron/engine/capture-file';
import { buildCli, runCliSync } from '../../support/cli';
import { openIndexed } from '../../support/engine';
import type { DetailNode } from '../../../shared/api';
import { Conversation, HAS_TSHARK, tempFile, writeCapture } from '../../unit/track/scenario';

const HAS_MERGECAP = spawnSync('mergecap', ['-v']).status === 0;
const missing = !HAS_TSHARK ? 'tshark is not installed' : !HAS_MERGECAP ? 'mergecap is not installed' : null;
const FIELDS = ['frame.number', 'frame.interface_id', 'frame.interface_name', 'tcp.srcport'];

let cli = '';
let merged = '';
let pcap = '';

function tshark(file: string, args: string[]): string {
  return execFileSync('tshark', ['-r', file, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

describe.skipIf(missing !== null)(`decode: frame.interface_id and frame.interface_name${missing ? ` (skipped: ${missing})` : ''}`, () => {
  beforeAll(() => {
    cli = buildCli();
    const dir = path.dirname(tempFile('x'));
    const points: Array<{ name: string | undefined; port: number; start: number }> = [
      { name: 'client:veth0', port: 41000, start: 0 },
      { name: 'server:eth0', port: 41001, start: 0.005 },
      { name: undefined, port: 41002, start: 0.0075 },
    ];
    const files = points.map(({ name, port, start }, n) => {
      const frames: Array<{ bytes: Uint8Array; tsSeconds: number; tsNanos: number }> = [];
      new Conversation({ address: '198.18.12.1', port, isn: 100 }, { address: '198.18.12.2', port: 80, isn: 900 }, frames, start * 1e6)
        .send('c', 'S').send('s', 'SA').send('c', 'A').send('c', 'PA', { payload: 'hi' }).send('s', 'A');
      const file = path.join(dir, `point-${n}.pcapng`);
      const writer = createCaptureFileWriter(file, 'pcapng', { interfaces: [{ linkType: 1, ...(name ? { name } : {}) }] });
      for (const f of frames) writer.writeFrame({ interfaceId: 0, tsSeconds: f.tsSeconds, tsNanos: f.tsNanos, data: f.bytes });
      writer.close();
      return file;
    });
    merged = path.join(dir, 'merged.pcapng');
    execFileSync('mergecap', ['-w', merged, ...files]);
    const all: Array<{ bytes: Uint8Array; tsSeconds: number; tsNanos: number }> = [];
    new Conversation({ address: '198.18.12.1', port: 41003, isn: 1 }, { address: '198.18.12.2', port: 80, isn: 2 }, all).send('c', 'S').send('s', 'SA');
    pcap = writeCapture(all, path.join(dir, 'plain.pcap'), 'pcap');
  }, 300_000);

  it('prints them with -e line for line as tshark -T fields does, the frames of three interfaces interleaved', () => {
    const args = FIELDS.flatMap((f) => ['-e', f]);
    const ours = runCliSync(cli, ['decode', merged, ...args]);
    expect(ours.code).toBe(0);
    const theirs = tshark(merged, ['-T', 'fields', ...args]);
    expect(ours.stdout).toBe(theirs);
    // The oracle itself saw three interfaces, interleaved in time, one of them unnamed.
    const ids = theirs.trim().split('\n').map((line) => line.split('\t')[1]);
    expect(new Set(ids)).toEqual(new Set(['0', '1', '2']));
    expect(ids.slice(0, 3)).not.toEqual(['0', '0', '0']);
    expect(theirs).toContain('\tunknown\t');
  });

  it('selects frames by them with -Y as tshark -Y does', () => {
    for (const filter of ['frame.interface_id == 1', 'frame.interface_name == "server:eth0"', 'frame.interface_name contains "client"', 'frame.interface_id != 0 && tcp.flags.syn == 1', 'frame.interface_name == "unknown"']) {
      const ours = runCliSync(cli, ['decode', merged, '-Y', filter, '-e', 'frame.number']);
      expect(ours.code, filter).toBe(0);
      const theirs = tshark(merged, ['-Y', filter, '-T', 'fields', '-e', 'frame.number']);
      expect(theirs.trim(), `${filter}: tshark selects something`).not.toBe('');
      expect(ours.stdout, filter).toBe(theirs);
    }
  });

  it('the workbench filters on them and shows them in the detail tree as tshark does, the unnamed interface as "unknown"', async () => {
    const { backend, session } = await openIndexed(merged);
    try {
      for (const filter of ['frame.interface_id == 2', 'frame.interface_name == "server:eth0"', 'frame.interface_name == "unknown"', 'frame.interface_name contains "client"']) {
        const rows = await backend.handlers.getRows({ sessionId: session.sessionId, start: 0, count: 1000, filter });
        const theirs = tshark(merged, ['-Y', filter, '-T', 'fields', '-e', 'frame.number']).trim().split('\n').map(Number);
        expect(rows.rows.map((row) => row.index + 1), filter).toEqual(theirs);
      }
      const [unnamed] = tshark(merged, ['-Y', 'frame.interface_id == 2', '-T', 'fields', '-e', 'frame.number']).trim().split('\n').map(Number);
      const flat = (nodes: DetailNode[]): DetailNode[] => nodes.flatMap((node) => [node, ...flat(node.children)]);
      const tree = flat((await backend.handlers.getFrame({ sessionId: session.sessionId, index: unnamed - 1 })).tree);
      expect(tree.find((node) => node.field === 'frame.interface_name')?.label).toBe('Interface name: unknown');
    } finally {
      await backend.handlers.closeSession({ sessionId: session.sessionId });
    }
  });

  it('leaves them absent for a pcap file, which has no interfaces, as tshark does', () => {
    const args = ['-e', 'frame.number', '-e', 'frame.interface_id', '-e', 'frame.interface_name'];
    const ours = runCliSync(cli, ['decode', pcap, ...args]);
    expect(ours.stdout).toBe(tshark(pcap, ['-T', 'fields', ...args]));
    expect(runCliSync(cli, ['decode', pcap, '-Y', 'frame.interface_id == 0']).stdout).toBe('');
  });
});
