/**
 * The shared core applied to a live capture: every frame goes through the shared
 * FramePipeline (summary, checksum verdict, tracking, and the full decode when someone
 * prints frames), and what changes comes out as connection events plus running statistics.
 *
 * cap has no drop counter, so losses are shown as the tracker can prove them: sequence
 * gaps ("previous segment not captured", tcp.analysis.lost_segment), per connection and in
 * total. Memory stays bounded: closed and idle connections are evicted from the tracker
 * and from the per-connection tables here.
 */
import { FramePipeline, type PipelineFrame, type ProcessedFrame } from '../../shared/pipeline/frame-pipeline';
import { Analysis } from '../../shared/track/flags';
import type { TlsDissector } from '../../shared/tls/dissector';
import { seqAdd, seqGt } from '../../shared/track/seq';
import { TCP_STATE_NAMES } from '../../shared/track/states';
import type { ConnectionSummary, Endpoint, FrameAnalysis } from '../../shared/track/types';
import { summarize } from '../../shared/wire/summarize';
import { createPacketSummary } from '../../shared/wire/summary';

export type ConnectionEvent =
  | { type: 'opened'; stream: number; frame: number; client: string; server: string }
  | { type: 'state'; stream: number; frame: number; side: 'client' | 'server'; state: string }
  | { type: 'closed'; stream: number; frame: number; client: string; server: string; connState: string; history: string };

export interface TrackingStatistics {
  /** Connections currently open or closing, counted by each endpoint's state. */
  connectionsByState: { client: Record<string, number>; server: Record<string, number> };
  connectionsSeen: number;
  /** "Previous segment not captured": evidence of frames lost before they reached the capture. */
  sequenceGaps: number;
  /** Gaps of the connections still in the table, by tcp.stream (closed ones are folded into the total). */
  sequenceGapsByConnection: Record<number, number>;
}

/** What the live view knows of a connection still open: endpoints, states, and each side's next absolute sequence number. */
export interface LiveConnection {
  stream: number;
  client: string;
  server: string;
  clientState: string;
  serverState: string;
  /** The next sequence number each side will send (raw, mod 2^32), or -1 before it sent anything. */
  clientNextSeq: number;
  serverNextSeq: number;
  gaps: number;
}

/** A live connection with, per side, the raw value of relative sequence 0 (learnt from the side's first frame, -1 before). */
interface LiveEntry {
  connection: LiveConnection;
  clientAnchor: number;
  serverAnchor: number;
}

const FINISHED_STATES = new Set(['CLOSED', 'TIME_WAIT']);

function endpointText(endpoint: Endpoint): string {
  return endpoint.address.includes(':') ? `[${endpoint.address}]:${endpoint.port}` : `${endpoint.address}:${endpoint.port}`;
}

export class LiveTracking {
  private readonly summary = createPacketSummary();
  private readonly pipeline: FramePipeline;
  private readonly live = new Map<number, LiveEntry>();
  private gaps = 0;
  private seen = 0;

  constructor(
    private readonly emit: (event: ConnectionEvent) => void,
    /** Decode every frame too (for printing); otherwise only the fast path runs. */
    private readonly decode: boolean,
    /** Reads (and with its key log decrypts) TLS on the live connections. */
    tls: TlsDissector | null = null,
  ) {
    this.pipeline = new FramePipeline({
      // A live capture runs for as long as the user wants: hand finished connections back.
      onEvict: (connection) => this.forget(connection),
      closedTimeoutSeconds: 10,
      idleTimeoutSeconds: 3600,
    }, tls);
  }

  /** Feeds one frame, in capture order; returns the decoded frame when decoding is on. */
  frame(frame: PipelineFrame): ProcessedFrame | null {
    let processed: ProcessedFrame | null = null;
    let analysis: FrameAnalysis | null;
    if (this.decode) {
      processed = this.pipeline.process(frame);
      analysis = processed.analysis;
    } else {
      analysis = this.pipeline.track(frame);
    }
    if (analysis) this.noteAnalysis(frame, analysis);
    return processed;
  }

  private get tracker() {
    return this.pipeline.tracker;
  }

  private noteAnalysis(frame: PipelineFrame, analysis: FrameAnalysis): void {
    const number = frame.frameNumber;
    let entry = this.live.get(analysis.stream);
    if (!entry) {
      const summary = this.tracker.connection(analysis.stream);
      const fresh: LiveConnection = {
        stream: analysis.stream,
        clientNextSeq: -1,
        serverNextSeq: -1,
        client: summary ? endpointText(summary.client) : '?',
        server: summary ? endpointText(summary.server) : '?',
        clientState: 'CLOSED',
        serverState: 'CLOSED',
        gaps: 0,
      };
      entry = { connection: fresh, clientAnchor: -1, serverAnchor: -1 };
      this.live.set(analysis.stream, entry);
      this.seen++;
      this.emit({ type: 'opened', stream: analysis.stream, frame: number, client: fresh.client, server: fresh.server });
    }
    const connection = entry.connection;
    // The tracker's numbers are relative to each side's ISN; one raw seq per side anchors them.
    let anchor = analysis.fromClient ? entry.clientAnchor : entry.serverAnchor;
    if (anchor < 0) {
      summarize(frame.data, frame.linkType, this.summary, frame.originalLength);
      anchor = seqAdd(this.summary.seq, -analysis.relativeSeq);
      if (analysis.fromClient) entry.clientAnchor = anchor;
      else entry.serverAnchor = anchor;
    }
    const nextSeq = seqAdd(anchor, analysis.nextSeq);
    if (analysis.fromClient) {
      if (connection.clientNextSeq < 0 || seqGt(nextSeq, connection.clientNextSeq)) connection.clientNextSeq = nextSeq;
    } else if (connection.serverNextSeq < 0 || seqGt(nextSeq, connection.serverNextSeq)) {
      connection.serverNextSeq = nextSeq;
    }
    if (analysis.analysis & Analysis.LOST_SEGMENT) {
      connection.gaps++;
      this.gaps++;
    }
    for (let index = 0; index < analysis.stateChangeCount; index++) {
      const change = analysis.stateChanges[index];
      const state = TCP_STATE_NAMES[change.state];
      if (change.side === 'client') connection.clientState = state;
      else connection.serverState = state;
      this.emit({ type: 'state', stream: analysis.stream, frame: change.frame, side: change.side, state });
    }
    if (analysis.stateChangeCount > 0 && FINISHED_STATES.has(connection.clientState) && FINISHED_STATES.has(connection.serverState)) {
      const summary = this.tracker.connection(analysis.stream);
      this.emit({
        type: 'closed',
        stream: analysis.stream,
        frame: number,
        client: connection.client,
        server: connection.server,
        connState: summary?.connState ?? '',
        history: summary?.history ?? '',
      });
      this.live.delete(analysis.stream);
    }
  }

  statistics(): TrackingStatistics {
    const client: Record<string, number> = {};
    const server: Record<string, number> = {};
    const byConnection: Record<number, number> = {};
    for (const [stream, { connection }] of this.live) {
      client[connection.clientState] = (client[connection.clientState] ?? 0) + 1;
      server[connection.serverState] = (server[connection.serverState] ?? 0) + 1;
      if (connection.gaps > 0) byConnection[stream] = connection.gaps;
    }
    return { connectionsByState: { client, server }, connectionsSeen: this.seen, sequenceGaps: this.gaps, sequenceGapsByConnection: byConnection };
  }

  /** Connections still open or closing, in order of tcp.stream. */
  connections(): LiveConnection[] {
    return [...this.live.values()].map(({ connection }) => ({ ...connection }));
  }

  /** The tracker's full summary of a connection (history, handshake, states…). */
  connectionSummary(stream: number): ConnectionSummary | null {
    return this.tracker.connection(stream);
  }

  private forget(connection: ConnectionSummary): void {
    this.live.delete(connection.stream);
  }
}
