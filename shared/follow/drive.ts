/**
 * Feeds a follower from a frame pipeline: call `frame` for every frame in capture order (the
 * pipeline must have a TLS dissector for 'tls' and an HTTP dissector for 'http2').
 */
import type { FramePipeline, PipelineFrame } from '../pipeline/frame-pipeline';
import { endpointText } from '../track/json';
import { StreamFollower, type FollowKind } from './follow';

export class FollowDriver {
  readonly follower: StreamFollower;

  constructor(
    private readonly pipeline: FramePipeline,
    kind: FollowKind,
    private readonly stream: number,
    http2Stream: number | null = null,
  ) {
    this.follower = new StreamFollower(kind, stream, http2Stream);
  }

  frame(frame: PipelineFrame): void {
    const analysis = this.pipeline.track(frame);
    if (!analysis || analysis.stream !== this.stream) return;
    const time = frame.tsSeconds + frame.tsNanos / 1e9;
    const follower = this.follower;
    const kind = follower.result.kind;
    if (kind === 'tcp') {
      const s = this.pipeline.lastSummary;
      if (s.payloadLength <= 0 || s.payloadOffset < 0) return;
      const data = frame.data;
      const end = Math.min(s.payloadOffset + s.payloadLength, data.length);
      if (end > s.payloadOffset) follower.tcp(analysis.fromClient, analysis.relativeSeq, data.subarray(s.payloadOffset, end), frame.frameNumber, time);
    } else if (kind === 'tls') {
      const appData: Uint8Array[] = [];
      for (const record of this.pipeline.tlsRecords) if (record.contentType === 23 && record.appData) appData.push(record.appData);
      if (appData.length > 0) follower.tls(analysis.fromClient, appData, frame.frameNumber, time);
    } else if (this.pipeline.httpResult) {
      follower.http2(this.pipeline.httpResult.http2, frame.frameNumber, time);
    }
  }

  /** Names node 0 (the client) and node 1 from the tracked connection; returns whether the stream exists. */
  finish(): boolean {
    const connection = this.pipeline.tracker.connection(this.stream);
    if (!connection) return false;
    this.follower.result.client = endpointText(connection.client, connection.ipVersion);
    this.follower.result.server = endpointText(connection.server, connection.ipVersion);
    return true;
  }
}
