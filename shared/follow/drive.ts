/**
 * Feeds a follower from a frame pipeline: call `frame` for every frame in capture order (the
 * pipeline must have a TLS dissector for 'tls' and an HTTP dissector for 'http2'; 'quic' and
 * 'http3' need a QUIC attempt tracker with the key log, whose work is asynchronous: await
 * `settled()` before `finish()`).
 */
import type { FramePipeline, PipelineFrame } from '../pipeline/frame-pipeline';
import type { QuicAttemptTracker, QuicPacketInfo } from '../quic';
import { endpointText } from '../track/json';
import { StreamFollower, type FollowKind } from './follow';
import { UdpStreams } from './udp-streams';

export class FollowDriver {
  readonly follower: StreamFollower;
  private readonly udpStreams = new UdpStreams();
  private udpEndpoints: { client: string; server: string } | null = null;

  constructor(
    private readonly pipeline: FramePipeline,
    kind: FollowKind,
    private readonly stream: number,
    http2Stream: number | null = null,
    quicStream: number | null = null,
    private readonly quic: QuicAttemptTracker | null = null,
  ) {
    this.follower = new StreamFollower(kind, stream, http2Stream, quicStream);
    if ((kind === 'quic' || kind === 'http3') && !quic) throw new Error(`following ${kind} needs a QUIC tracker`);
  }

  frame(frame: PipelineFrame): void {
    const analysis = this.pipeline.track(frame);
    const time = frame.tsSeconds + frame.tsNanos / 1e9;
    const follower = this.follower;
    const kind = follower.result.kind;
    if (kind === 'udp' || kind === 'quic' || kind === 'http3') {
      this.datagram(frame, time);
      return;
    }
    if (!analysis || analysis.stream !== this.stream) return;
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

  /** UDP frames (an IP datagram reassembled on its last fragment): udp.stream, or the QUIC tracker. */
  private datagram(frame: PipelineFrame, time: number): void {
    const summary = this.pipeline.lastSummary;
    if (summary.protocol !== 17 || summary.fragment || summary.payloadOffset < 0) return;
    const bytes = this.pipeline.lastSummaryBytes;
    if (this.quic) {
      this.quic.queueFrame(frame.frameNumber, frame.tsSeconds, frame.tsNanos, summary, bytes, (infos) => this.quicPackets(infos, frame.frameNumber, time));
      return;
    }
    const udp = this.udpStreams.of(summary);
    if (!udp || udp.stream !== this.stream) return;
    this.udpEndpoints ??= { client: udp.fromFirst ? udp.source : udp.destination, server: udp.fromFirst ? udp.destination : udp.source };
    const end = Math.min(summary.payloadOffset + summary.payloadLength, bytes.length);
    this.follower.udp(udp.fromFirst, bytes.subarray(summary.payloadOffset, Math.max(summary.payloadOffset, end)), frame.frameNumber, time);
  }

  private quicPackets(infos: readonly QuicPacketInfo[], frameNumber: number, time: number): void {
    followQuicPackets(this.follower, this.stream, infos, frameNumber, time);
  }

  /** Resolves once the QUIC tracker has read every frame given so far. */
  async settled(): Promise<void> {
    await this.quic?.settled();
  }

  /** Names node 0 (the client) and node 1 from the tracked connection; returns whether the stream exists. */
  finish(): boolean {
    const result = this.follower.result;
    if (result.kind === 'udp') {
      if (!this.udpEndpoints) return false;
      result.client = this.udpEndpoints.client;
      result.server = this.udpEndpoints.server;
      return true;
    }
    if (result.kind === 'quic' || result.kind === 'http3') {
      const attempt = this.quic!.attempts()[this.stream];
      if (!attempt) return false;
      result.client = attempt.client;
      result.server = attempt.server;
      return true;
    }
    const connection = this.pipeline.tracker.connection(this.stream);
    if (!connection) return false;
    result.client = endpointText(connection.client, connection.ipVersion);
    result.server = endpointText(connection.server, connection.ipVersion);
    return true;
  }
}

/** A datagram's QUIC packets (HTTP/3 frames filled in) to a QUIC or HTTP/3 follower of attempt `connection`. */
export function followQuicPackets(follower: StreamFollower, connection: number, infos: readonly QuicPacketInfo[], frameNumber: number, time: number): void {
  const { kind, quicStream } = follower.result;
  for (const info of infos) {
    if (info.connection !== connection || !info.openedWith) continue;
    const fromClient = info.openedWith === 'client';
    for (const fragment of info.streams) {
      if (fragment.streamId !== quicStream) continue;
      if (kind === 'http3') follower.http3(fromClient, fragment.offset, fragment.data, info.http3, frameNumber, time);
      else follower.quic(fromClient, fragment.offset, fragment.data, frameNumber, time);
    }
  }
}
