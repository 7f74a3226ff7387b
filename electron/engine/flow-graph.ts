/**
 * The session's flow graph (shared/flowgraph) from the index columns: every tracked TCP frame, or
 * those a display filter passed. The last graph is kept per filter and column mode, so scrolling
 * the view asks only for windows of rows.
 */
import { closeSync, writeSync } from 'node:fs';
import { ApiError, type FlowGraphPage, type FlowNodes } from '../../shared/api';
import { FlowGraph, flowChunks, type FlowFormat } from '../../shared/flowgraph';
import type { Tracker } from '../../shared/track/tracker';
import type { FrameIndex } from './frame-index';
import { openWriteTarget } from './safe-target';
import type { FrameSelection } from './statistics';

const TCP = 6;
/** Bytes written between two pauses of a save, so other requests are answered meanwhile. */
const SAVE_SLICE_BYTES = 1 << 20;

export function buildFlowGraph(index: FrameIndex, tracker: Tracker, selection: FrameSelection, nodes: FlowNodes): FlowGraph {
  const graph = new FlowGraph(nodes, (stream) => tracker.connection(stream)?.states ?? null);
  const visit = (i: number) => {
    const ipVersion = index.ipVersion[i];
    if (index.protocol[i] !== TCP || index.stream[i] < 0 || (ipVersion !== 4 && ipVersion !== 6)) return;
    graph.add({
      frame: i + 1,
      time: index.relativeTime(i),
      ipVersion,
      srcAddress: index.addresses[index.srcAddress[i]] ?? '',
      dstAddress: index.addresses[index.dstAddress[i]] ?? '',
      srcPort: index.srcPort[i],
      dstPort: index.dstPort[i],
      flags: index.tcpFlags[i],
      seq: index.relSeq[i],
      ack: index.relAck[i],
      len: index.payloadLength[i],
      stream: index.stream[i],
      fromClient: index.direction[i] === 0,
    });
  };
  if (selection.all) for (let i = 0; i < index.count; i++) visit(i);
  else for (let p = 0; p < selection.length; p++) visit(selection.frames[p]);
  return graph;
}

export function flowGraphPage(graph: FlowGraph, start: number, count: number, frameIndex: number | undefined, withNames: boolean): FlowGraphPage {
  return {
    nodes: withNames ? graph.nodes : [],
    total: graph.length,
    connections: graph.connections,
    start,
    rows: graph.rows(start, count),
    position: frameIndex === undefined ? -1 : graph.rowOfFrame(frameIndex + 1),
  };
}

/**
 * Writes the whole graph in `format` to `path` as the CLI's `handshake flow -o` does, chunk by
 * chunk (each ~64 KB; the graph itself is typed columns), pausing between megabytes. An existing
 * file is replaced only with `overwrite`. The states of many connections are read in one pass over the tracker.
 */
export async function saveFlowGraph(graph: FlowGraph, tracker: Tracker, format: FlowFormat, path: string, overwrite: boolean): Promise<{ path: string; rows: number; bytes: number }> {
  if (graph.connections > 64) for (const connection of tracker.eachConnection()) graph.setStates(connection.stream, connection.states);
  let fd: number;
  try {
    fd = openWriteTarget(path, { overwrite });
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new ApiError('failed', `save flow graph as ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  let bytes = 0;
  let sincePause = 0;
  try {
    for (const chunk of flowChunks(graph, format)) {
      const data = Buffer.from(chunk, 'utf8');
      for (let offset = 0; offset < data.length; ) offset += writeSync(fd, data, offset, data.length - offset);
      bytes += data.length;
      sincePause += data.length;
      if (sincePause >= SAVE_SLICE_BYTES) {
        sincePause = 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  } catch (error) {
    throw new ApiError('failed', `save flow graph as ${path}: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    closeSync(fd);
  }
  return { path, rows: graph.length, bytes };
}
