/**
 * Follow Stream for the workbench: shared/follow fed from a session's frame index. Only the
 * followed connection's frames are read (the index knows each frame's tcp.stream; UDP reads the
 * frames outside TCP, numbering conversations as it goes), through a pipeline of their own, so a
 * followed TCP stream is that pipeline's stream 0. QUIC and HTTP/3 reuse the session's QUIC pass
 * (quic-attempts.ts): its connection numbering, its list of each connection's frames and the keys
 * it derived; only the followed connection's datagrams are opened again, in order. A follower is
 * kept per stream and continues where it stopped, so a live capture's new frames cost only
 * themselves; it starts again when the session's key log grew (records may now decrypt).
 */
import { FollowDriver, followQuicPackets, formatFollow, StreamFollower, UdpStreams, type FollowedStream, type FollowFormat, type FollowKind } from '../../shared/follow';
import { HttpDissector } from '../../shared/http';
import { FramePipeline, type PipelineFrame } from '../../shared/pipeline/frame-pipeline';
import type { QuicConnectionReader } from '../../shared/quic';
import { TlsDissector, type KeyLog } from '../../shared/tls';
import { LINKTYPE_RAW } from '../../shared/wire/linktypes';
import { summarizeAt } from '../../shared/wire/summarize';
import { createPacketSummary } from '../../shared/wire/summary';
import { createNodeTlsCrypto } from './tls-crypto';
import type { FrameIndex } from './frame-index';
import { udpConversationFilter, type SessionQuicAttempts } from './quic-attempts';

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
  /** TCP, TLS, HTTP/2, UDP: fed every frame of the stream. */
  driver: FollowDriver | null;
  /** QUIC, HTTP/3: the session's QUIC pass, read again for the followed connection. */
  quic: QuicConnectionReader | null;
  follower: StreamFollower;
  /** The next frame index not yet looked at (QUIC: the next position in the connection's frame list). */
  next: number;
  /** Key-log secrets known when it started, and the session's QUIC pass it reads. */
  secrets: number;
  quicGeneration: number;
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
    private readonly quic: SessionQuicAttempts,
    /** The IP datagram a frame completed by reassembly (its last fragment), or null. */
    private readonly reassembled: (i: number) => Uint8Array | null,
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
    if (follower && (follower.secrets !== this.keyLog.counts.secrets || follower.quicGeneration !== this.quic.generation)) {
      this.followers.splice(this.followers.indexOf(follower), 1);
      follower = undefined;
    }
    if (!follower) {
      follower = this.start(wanted);
      this.followers.unshift(follower);
      this.followers.length = Math.min(this.followers.length, KEPT);
    }
    let exists: boolean;
    if (follower.driver) {
      this.advance(follower, follower.driver);
      await follower.driver.settled();
      exists = follower.driver.finish();
    } else {
      exists = await this.advanceQuic(follower);
    }
    const followed = follower.follower.result;
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
    const key = `${target.kind} ${at} ${target.quicStream ?? ''} ${this.keyLog.counts.secrets} ${this.quic.generation}`;
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
      // The session's QUIC pass numbered the connections and kept each frame's stream IDs.
      const found = await this.quic.connectionAt(at);
      if (found) {
        const preferred = target.kind === 'http3' ? found.streams.find((id) => id % 4 === 0) : found.streams[0];
        result = { ...base, stream: found.connection, quicStream: target.quicStream ?? preferred ?? 0 };
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
    const common = { target, pipeline, tls, next: 0, secrets: this.keyLog.counts.secrets, quicGeneration: this.quic.generation, generation: ++this.generations };
    if (target.kind === 'quic' || target.kind === 'http3') {
      const follower = new StreamFollower(target.kind, target.stream, target.http2Stream, target.quicStream);
      return { ...common, driver: null, quic: this.quic.reader(target.stream), follower };
    }
    // A TCP stream's own frames make up the pipeline's stream 0; UDP numbers over all frames outside TCP.
    const driver = new FollowDriver(pipeline, target.kind, target.kind === 'udp' ? target.stream : 0, target.http2Stream, target.quicStream);
    return { ...common, driver, quic: null, follower: driver.follower };
  }

  private readonly summary = createPacketSummary();

  /** The followed QUIC connection's frames analysed since the last call, opened again; returns whether the connection exists. */
  private async advanceQuic(follower: Follower): Promise<boolean> {
    const reader = follower.quic!;
    await this.quic.settled();
    const frames = this.quic.framesOf(reader.connection);
    const index = this.index;
    while (follower.next < frames.length) {
      const batch = Array.from(frames.subarray(follower.next, follower.next + BATCH));
      const bytes = this.readFrames(batch);
      for (const i of batch) {
        const reassembled = this.reassembled(i);
        const data = reassembled ?? bytes.get(i);
        if (!data) continue;
        summarizeAt(data, 0, data.length, reassembled ? LINKTYPE_RAW : index.linkType[i], this.summary, reassembled ? reassembled.length : index.originalLength[i]);
        const infos = await reader.datagram(i + 1, this.summary, data);
        followQuicPackets(follower.follower, reader.connection, infos, i + 1, index.tsSeconds[i] + index.tsNanos[i] / 1e9);
      }
      follower.next += batch.length;
    }
    const attempt = this.quic.attempt(reader.connection);
    if (!attempt) return false;
    follower.follower.result.client = attempt.client;
    follower.follower.result.server = attempt.server;
    return true;
  }

  private advance(follower: Follower, driver: FollowDriver): void {
    const index = this.index;
    const stream = follower.target.stream;
    const end = index.count;
    let batch: number[] = [];
    const flush = () => {
      const bytes = this.readFrames(batch);
      for (const i of batch) {
        const data = bytes.get(i);
        if (!data) continue;
        driver.frame({
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
    if (kind === 'tcp' || kind === 'udp' || follower.follower.result.chunks.length > 0) return null;
    if (follower.quic) {
      const attempt = this.quic.attempt(stream);
      if (!attempt) return null;
      return attempt.tls.decrypted !== true ? `not decrypted: ${attempt.tls.decrypted ?? 'no Handshake or 1-RTT packets'}` : `no data on QUIC stream ${quicStream}`;
    }
    const summary = follower.tls.summary(0);
    if (summary === null) return 'it carries no TLS';
    if (summary.decrypted !== true) return `not decrypted: ${summary.decrypted ?? 'no encrypted records'}`;
    return kind === 'http2' ? `no HTTP/2 stream ${http2Stream} in it` : 'no application data';
  }
}
