/**
 * The session's flow graph (shared/flowgraph) from the index columns: every tracked TCP frame, or
 * those a display filter passed. The last graph is kept per filter and column mode, so scrolling
 * the view asks only for windows of rows.
 */
import type { FlowGraphPage, FlowNodes, FlowExport } from '../../shared/api';
import { FlowGraph, flowExport, type FlowFormat } from '../../shared/flowgraph';
import type { Tracker } from '../../shared/track/tracker';
import type { FrameIndex } from './frame-index';
import type { FrameSelection } from './statistics';

const TCP = 6;
/** Rows an export from the UI holds at most (the CLI streams any number). */
export const FLOW_EXPORT_ROWS = 20_000;

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

/** The export of the first FLOW_EXPORT_ROWS rows; the states of many connections are read in one pass over the tracker. */
export function flowGraphExport(graph: FlowGraph, tracker: Tracker, format: FlowFormat): FlowExport {
  const rows = Math.min(graph.length, FLOW_EXPORT_ROWS);
  const streams = new Set<number>();
  for (const row of graph.rows(0, rows)) if (row.stream >= 0) streams.add(row.stream);
  if (streams.size > 64) {
    for (const connection of tracker.eachConnection()) if (streams.has(connection.stream)) graph.setStates(connection.stream, connection.states);
  }
  const truncated = rows < graph.length;
  const text = flowExport(graph, format, {
    count: rows,
    truncatedNote: truncated ? `first ${rows} of ${graph.length} rows; handshake flow FILE writes them all` : undefined,
  });
  return { text, rows, truncated };
}
