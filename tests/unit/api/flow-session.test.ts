/**
 * The engine's flow graph (getFlowGraph, exportFlowGraph) on a Scapy-built capture of
 * interleaved connections: pages agree with tshark's -z flow,tcp,network comments and frame
 * order, and with the CLI's model (the same shared/flowgraph fed from the index columns instead
 * of the pipeline); results pass the API validators; saveFlowGraph writes every row of any
 * number, and replaces an existing file only when told to.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { methodValidators } from '../../../shared/api';
import { Backend } from '../../../electron/engine/backend';
import { saveFlowGraph } from '../../../electron/engine/flow-graph';
import { FlowGraph, flowExport } from '../../../shared/flowgraph';
import type { Tracker } from '../../../shared/track/tracker';
import { runPythonFile, scapyAvailable, tempDir, tsharkAvailable } from '../wire/oracle/oracle';
import { openIndexed } from '../../support/engine';

const ready = scapyAvailable && tsharkAvailable;
const SCRIPT = path.resolve(__dirname, '../flowgraph/flows.py');

describe.skipIf(!ready)('engine flow graph', () => {
  let backend: Backend;
  let dir: string;
  beforeAll(() => {
    dir = tempDir('flow-session-');
    runPythonFile(SCRIPT, [dir]);
    backend = new Backend({ host: 'browser', version: 'test' });
  });
  afterAll(async () => {
    await backend?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('pages of rows in tshark’s order with its comments, names once, the selected frame’s row', async () => {
    const file = path.join(dir, 'interleaved.pcap');
    const { session } = await openIndexed(file, backend);
    const text = execFileSync('tshark', ['-r', file, '-q', '-z', 'flow,tcp,network'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const comments = text
      .split('\n')
      .filter((line) => /^\d*\s*\|\d+\.\d+\s*\|/.test(line))
      .map((line) => line.slice(line.lastIndexOf('|') + 1).trim());
    const frames = execFileSync('tshark', ['-r', file, '-Y', 'tcp', '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .trim()
      .split('\n')
      .map(Number);
    const first = await backend.handlers.getFlowGraph({ sessionId: session.sessionId, filter: '', nodes: 'addresses', start: 0, count: 7, withNames: true, frameIndex: frames[9] - 1 });
    methodValidators.getFlowGraph.result(first, 'result');
    expect(first.total).toBe(frames.length);
    expect(first.nodes[0]).toBe('198.18.0.1');
    expect(first.position).toBe(9);
    const rest = await backend.handlers.getFlowGraph({ sessionId: session.sessionId, filter: '', nodes: 'addresses', start: 7, count: 1000 });
    expect(rest.nodes).toEqual([]);
    const rows = [...first.rows, ...rest.rows];
    expect(rows.map((r) => r.frame)).toEqual(frames);
    expect(rows.map((r) => r.comment)).toEqual(comments);
    // The first SYN: both ends' states before and after.
    expect([rows[0].senderBefore, rows[0].senderAfter, rows[0].receiverBefore, rows[0].receiverAfter]).toEqual(['CLOSED', 'SYN_SENT', 'LISTEN', 'SYN_RECEIVED']);
    const filtered = await backend.handlers.getFlowGraph({ sessionId: session.sessionId, filter: 'tcp.port == 22', nodes: 'endpoints', start: 0, count: 100, withNames: true });
    expect(filtered.connections).toBe(1);
    expect(filtered.nodes).toEqual(['198.18.0.2:50000', '198.18.0.4:22']);
    const target = path.join(dir, 'all.mmd');
    const saved = await backend.handlers.saveFlowGraph({ sessionId: session.sessionId, filter: '', nodes: 'addresses', format: 'mermaid', path: target });
    methodValidators.saveFlowGraph.result(saved, 'result');
    expect(saved).toMatchObject({ path: target, rows: frames.length });
    const mermaid = readFileSync(target, 'utf8');
    expect(saved.bytes).toBe(Buffer.byteLength(mermaid));
    expect(mermaid.split('\n').filter((line) => /^ {4}N\d+(->>|-x)N\d+: /.test(line))).toHaveLength(frames.length);
    // An existing file is kept unless the user confirmed replacing it.
    await expect(backend.handlers.saveFlowGraph({ sessionId: session.sessionId, filter: 'tcp.port == 22', nodes: 'addresses', format: 'svg', path: target })).rejects.toMatchObject({ code: 'exists' });
    expect(readFileSync(target, 'utf8')).toBe(mermaid);
    await backend.handlers.saveFlowGraph({ sessionId: session.sessionId, filter: 'tcp.port == 22', nodes: 'addresses', format: 'svg', path: target, overwrite: true });
    expect(readFileSync(target, 'utf8')).toMatch(/^<\?xml/);
  });

  it('saves every row of a graph far larger than a page, equal to the export built in one string', async () => {
    const graph = new FlowGraph('addresses');
    const base = { ipVersion: 4 as const, srcAddress: 'a', dstAddress: 'b', srcPort: 1, dstPort: 2, seq: 0, ack: 0, len: 0, stream: -1, fromClient: true, flags: 0x010 };
    const rows = 50_000;
    for (let i = 0; i < rows; i++) graph.add({ ...base, frame: i + 1, time: i });
    const tracker = { eachConnection: function* () {} } as unknown as Tracker;
    const target = path.join(dir, 'big.puml');
    writeFileSync(target, 'old');
    const saved = await saveFlowGraph(graph, tracker, 'plantuml', target, true);
    expect(saved.rows).toBe(rows);
    const text = readFileSync(target, 'utf8');
    expect(text.split('\n').filter((line) => / -> /.test(line))).toHaveLength(rows);
    expect(text).toBe(flowExport(graph, 'plantuml'));
  });
});
