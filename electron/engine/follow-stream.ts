/**
 * Follow Stream for the workbench: shared/follow fed from a session's frame index. Only the
 * followed connection's frames are read (the index knows each frame's tcp.stream), through a
 * pipeline of their own, so the followed stream is that pipeline's stream 0. A follower is kept
 * per stream and continues where it stopped, so a live capture's new frames cost only
 * themselves; it starts again when the session's key log grew (records may now decrypt).
 */
import { FollowDriver, formatFollow, type FollowedStream, type FollowFormat, type FollowKind } from '../../shared/follow';
import { HttpDissector } from '../../shared/http';
import { FramePipeline } from '../../shared/pipeline/frame-pipeline';
import { TlsDissector, type KeyLog } from '../../shared/tls';
import { createNodeTlsCrypto } from './tls-crypto';
import type { FrameIndex } from './frame-index';

export interface FollowTarget {
  kind: FollowKind;
  stream: number;
  http2Stream: number | null;
}

interface Follower {
  target: FollowTarget;
  pipeline: FramePipeline;
  tls: TlsDissector;
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

  /** The stream's turns over every frame indexed so far; `generation` changes when it was rebuilt from the start. */
  follow(target: FollowTarget): { followed: FollowedStream; generation: number; exists: boolean; why: string | null } {
    let follower = this.followers.find((f) => f.target.kind === target.kind && f.target.stream === target.stream && f.target.http2Stream === target.http2Stream);
    if (follower && follower.secrets !== this.keyLog.counts.secrets) {
      this.followers.splice(this.followers.indexOf(follower), 1);
      follower = undefined;
    }
    if (!follower) {
      follower = this.start(target);
      this.followers.unshift(follower);
      this.followers.length = Math.min(this.followers.length, KEPT);
    }
    this.advance(follower);
    const exists = follower.driver.finish();
    const followed = follower.driver.follower.result;
    followed.stream = target.stream;
    return { followed, generation: follower.generation, exists, why: exists ? this.why(follower) : null };
  }

  /** The whole followed stream as a file's content: tshark's text, or for raw the bytes themselves. */
  content(target: FollowTarget, format: FollowFormat, direction: 'both' | 'client' | 'server'): Uint8Array | string {
    const { followed } = this.follow(target);
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

  private start(target: FollowTarget): Follower {
    const tls = new TlsDissector(createNodeTlsCrypto(), this.keyLog);
    const pipeline = new FramePipeline({}, target.kind === 'tcp' ? null : tls);
    if (target.kind === 'http2') pipeline.http = new HttpDissector();
    const driver = new FollowDriver(pipeline, target.kind, 0, target.http2Stream);
    return { target, pipeline, tls, driver, next: 0, secrets: this.keyLog.counts.secrets, generation: ++this.generations };
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
    for (let i = follower.next; i < end; i++) {
      if (index.stream[i] !== stream) continue;
      batch.push(i);
      if (batch.length >= BATCH) flush();
    }
    if (batch.length > 0) flush();
    follower.next = end;
  }

  /** Why a TLS or HTTP/2 follow shows nothing, as `handshake follow` says it. */
  private why(follower: Follower): string | null {
    const { kind, http2Stream } = follower.target;
    if (kind === 'tcp' || follower.driver.follower.result.chunks.length > 0) return null;
    const summary = follower.tls.summary(0);
    if (summary === null) return 'it carries no TLS';
    if (summary.decrypted !== true) return `not decrypted: ${summary.decrypted ?? 'no encrypted records'}`;
    return kind === 'http2' ? `no HTTP/2 stream ${http2Stream} in it` : 'no application data';
  }
}
