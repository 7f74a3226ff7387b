/**
 * Follow Stream for the workbench: shared/follow fed from a session's frame index. Only the
 * followed connection's frames are read (the index knows each frame's tcp.stream; UDP, QUIC and
 * HTTP/3 read the frames outside TCP, numbering conversations as they go), through a pipeline
 * of their own, so a followed TCP stream is that pipeline's stream 0. A follower is kept per
 * stream and continues where it stopped, so a live capture's new frames cost only themselves;
 * it starts again when the session's key log grew (records may now decrypt).
 */
import { FollowDriver, formatFollow, StreamFollower, UdpStreams, type FollowedStream, type FollowFormat, type FollowKind } from '../../shared/follow';
import { HttpDissector } from '../../shared/http';
import { FramePipeline, type PipelineFrame } from '../../shared/pipeline/frame-pipeline';
import { QuicAttemptTracker, type QuicPacketInfo } from '../../shared/quic';
import { TlsDissector, type KeyLog } from '../../shared/tls';
import { createNodeTlsCrypto } from './tls-crypto';
import { createNodeQuicCrypto, createNodeQuicTlsCrypto } from './quic-crypto';
import type { FrameIndex } from './frame-index';
import { udpConversationFilter } from './quic-attempts';

export interface FollowTarget {
  kind: FollowKind;
  stream: number;
  http2Stream: number | null;
  quicStream?: number | null;
  /** UDP, QUIC, HTTP/3: the stream of this frame index instead of `stream`. */
  atFrame?: number | null;
}

/** What `follow` needs of a target once `atFrame` is resolved. */
interface ResolvedTarget {
  kind: FollowKind;
  stream: number;
  http2Stream: number | null;
  quicStream: number | null;
}

const overUdp = (kind: FollowKind) => kind === 'udp' || kind === 'quic' || kind === 'http3';

interface Follower {
  target: ResolvedTarget;
  pipeline: FramePipeline;
  tls: TlsDissector;
  quic: QuicAttemptTracker | null;
  driver: FollowDriver;
  /** The next frame index not yet looked at. */
  next: number;
  /** Key-log secrets known when it started. */
  secrets: number;
  generation: number;
}

/** Followers kept at once (each may hold up to MAX_FOLLOW_BYTES). */
const KEPT = 3;
const BATCH = 512;

export class SessionFollows {
  private readonly followers: Follower[] = [];
  private generations = 0;

  constructor(
    private readonly index: FrameIndex,
    private readonly keyLog: KeyLog,
    private readonly readFrames: (indices: number[]) => Map<number, Uint8Array>,
  ) {}

  /** Resolutions of `atFrame` targets (the frames before it fix the numbering, which a live capture only extends). */
  private readonly resolved = new Map<string, ResolvedTarget | null>();

  /**
   * The stream's turns over every frame indexed so far; `generation` changes when it was rebuilt
   * from the start. `target` is the stream followed (resolved from `atFrame`), null when that
   * frame belongs to no such stream.
   */
  async follow(request: FollowTarget): Promise<{ followed: FollowedStream; generation: number; exists: boolean; why: string | null; target: ResolvedTarget | null; filter: string | null }> {
    const target = await this.resolve(request);
    if (!target) return { followed: new StreamFollower(request.kind, request.stream).result, generation: 0, exists: false, why: null, target: null, filter: null };
    const wanted = target;
    let follower = this.followers.find((f) => f.target.kind === wanted.kind && f.target.stream === wanted.stream && f.target.http2Stream === wanted.http2Stream && f.target.quicStream === wanted.quicStream);
    if (follower && follower.secrets !== this.keyLog.counts.secrets) {
      this.followers.splice(this.followers.indexOf(follower), 1);
      follower = undefined;
    }
    if (!follower) {
      follower = this.start(wanted);
      this.followers.unshift(follower);
      this.followers.length = Math.min(this.followers.length, KEPT);
    }
    this.advance(follower);
    await follower.driver.settled();
    const exists = follower.driver.finish();
    const followed = follower.driver.follower.result;
    if (!overUdp(wanted.kind)) followed.stream = wanted.stream;
    let filter: string | null = null;
    if (exists && overUdp(wanted.kind)) {
      filter = udpConversationFilter(followed.client, followed.server);
      if (wanted.kind !== 'udp') filter += ` && quic.stream.stream_id == ${wanted.quicStream}`;
    }
    return { followed, generation: follower.generation, exists, why: exists ? this.why(follower) : null, target: exists ? wanted : null, filter };
  }

  /** The whole followed stream as a file's content: tshark's text, or for raw the bytes themselves. */
  async content(target: FollowTarget, format: FollowFormat, direction: 'both' | 'client' | 'server'): Promise<Uint8Array | string> {
    const { followed } = await this.follow(target);
    const chunks = direction === 'both' ? followed.chunks : followed.chunks.filter((c) => c.fromClient === (direction === 'client'));
    const shown = { ...followed, chunks };
    if (format !== 'raw') return formatFollow(shown, format);
    let length = 0;
    for (const chunk of chunks) length += chunk.bytes.length;
    const bytes = new Uint8Array(length);
    let at = 0;
    for (const chunk of chunks) {
      bytes.set(chunk.bytes, at);
      at += chunk.bytes.length;
    }
    return bytes;
  }

  /**
   * A UDP, QUIC or HTTP/3 target given by a frame: reads the frames outside TCP up to it, numbering
   * UDP conversations (or tracking QUIC connections) as tshark does. For QUIC the stream is the
   * given one, else the first the frame carries (HTTP/3: its first request stream), else 0.
   */
  private async resolve(target: FollowTarget): Promise<ResolvedTarget | null> {
    const base = { kind: target.kind, stream: target.stream, http2Stream: target.http2Stream, quicStream: overUdp(target.kind) && target.kind !== 'udp' ? (target.quicStream ?? 0) : null };
    if (target.atFrame === undefined || target.atFrame === null || !overUdp(target.kind)) return base;
    const at = target.atFrame;
    const key = `${target.kind} ${at} ${target.quicStream ?? ''} ${this.keyLog.counts.secrets}`;
    if (this.resolved.has(key)) return this.resolved.get(key)!;
    if (at >= this.index.count) return null;
    const pipeline = new FramePipeline({}, null);
    let result: ResolvedTarget | null = null;
    if (target.kind === 'udp') {
      const streams = new UdpStreams();
      this.scan(at + 1, (frame) => {
        pipeline.track(frame);
        const udp = streams.of(pipeline.lastSummary);
        if (frame.frameNumber === at + 1 && udp) result = { ...base, stream: udp.stream };
      });
    } else {
      const tracker = new QuicAttemptTracker(createNodeQuicCrypto(), { keyLog: this.keyLog, tlsCrypto: createNodeQuicTlsCrypto() });
      let infos: QuicPacketInfo[] = [];
      this.scan(at + 1, (frame) => {
        pipeline.track(frame);
        const summary = pipeline.lastSummary;
        if (summary.protocol !== 17 || summary.fragment) return;
        tracker.queueFrame(frame.frameNumber, frame.tsSeconds, frame.tsNanos, summary, pipeline.lastSummaryBytes, frame.frameNumber === at + 1 ? (found) => (infos = found) : undefined);
      });
      await tracker.settled();
      const packet = infos.find((info) => info.connection !== undefined);
      if (packet) {
        const ids = infos.filter((info) => info.connection === packet.connection).flatMap((info) => info.streams.map((s) => s.streamId));
        const preferred = target.kind === 'http3' ? ids.find((id) => id % 4 === 0) : ids[0];
        result = { ...base, stream: packet.connection!, quicStream: target.quicStream ?? preferred ?? 0 };
      }
    }
    this.resolved.set(key, result);
    return result;
  }

  /** Feeds the frames outside TCP before `end` (an index), in order. */
  private scan(end: number, each: (frame: PipelineFrame) => void): void {
    const index = this.index;
    let batch: number[] = [];
    const flush = () => {
      const bytes = this.readFrames(batch);
      for (const i of batch) {
        const data = bytes.get(i);
        if (data) each({ frameNumber: i + 1, linkType: index.linkType[i], tsSeconds: index.tsSeconds[i], tsNanos: index.tsNanos[i], originalLength: index.originalLength[i], data: data.slice() });
      }
      batch = [];
    };
    for (let i = 0; i < end; i++) {
      if (index.stream[i] >= 0) continue;
      batch.push(i);
      if (batch.length >= BATCH) flush();
    }
    if (batch.length > 0) flush();
  }

  private start(target: ResolvedTarget): Follower {
    const tls = new TlsDissector(createNodeTlsCrypto(), this.keyLog);
    const pipeline = new FramePipeline({}, target.kind === 'tls' || target.kind === 'http2' ? tls : null);
    if (target.kind === 'http2') pipeline.http = new HttpDissector();
    const quic = target.kind === 'quic' || target.kind === 'http3' ? new QuicAttemptTracker(createNodeQuicCrypto(), { keyLog: this.keyLog, tlsCrypto: createNodeQuicTlsCrypto() }) : null;
    // A TCP stream's own frames make up the pipeline's stream 0; UDP and QUIC number over all frames outside TCP.
    const driver = new FollowDriver(pipeline, target.kind, overUdp(target.kind) ? target.stream : 0, target.http2Stream, target.quicStream, quic);
    return { target, pipeline, tls, quic, driver, next: 0, secrets: this.keyLog.counts.secrets, generation: ++this.generations };
  }

  private advance(follower: Follower): void {
    const index = this.index;
    const stream = follower.target.stream;
    const end = index.count;
    let batch: number[] = [];
    const flush = () => {
      const bytes = this.readFrames(batch);
      for (const i of batch) {
        const data = bytes.get(i);
        if (!data) continue;
        follower.driver.frame({
          frameNumber: i + 1,
          linkType: index.linkType[i],
          tsSeconds: index.tsSeconds[i],
          tsNanos: index.tsNanos[i],
          originalLength: index.originalLength[i],
          data: data.slice(),
        });
      }
      batch = [];
    };
    const udp = overUdp(follower.target.kind);
    for (let i = follower.next; i < end; i++) {
      if (udp ? index.stream[i] >= 0 : index.stream[i] !== stream) continue;
      batch.push(i);
      if (batch.length >= BATCH) flush();
    }
    if (batch.length > 0) flush();
    follower.next = end;
  }

  /** Why a TLS or HTTP/2 follow shows nothing, as `handshake follow` says it. */
  private why(follower: Follower): string | null {
    const { kind, http2Stream, quicStream, stream } = follower.target;
    if (kind === 'tcp' || kind === 'udp' || follower.driver.follower.result.chunks.length > 0) return null;
    if (follower.quic) {
      const attempt = follower.quic.attempts()[stream];
      if (!attempt) return null;
      return attempt.tls.decrypted !== true ? `not decrypted: ${attempt.tls.decrypted ?? 'no Handshake or 1-RTT packets'}` : `no data on QUIC stream ${quicStream}`;
    }
    const summary = follower.tls.summary(0);
    if (summary === null) return 'it carries no TLS';
    if (summary.decrypted !== true) return `not decrypted: ${summary.decrypted ?? 'no encrypted records'}`;
    return kind === 'http2' ? `no HTTP/2 stream ${http2Stream} in it` : 'no application data';
  }
}
