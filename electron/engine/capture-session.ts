/**
 * A live capture: one helper process, every frame spooled to a pcapng file on disk the
 * moment its batch arrives (synchronous block appends, so a crash of anything loses
 * nothing already received), then handed to the live analysis and listeners.
 * Memory stays bounded: frames live in the spool, never in an array here.
 */
import { closeSync, fsyncSync, openSync, rmSync, writeSync } from 'node:fs';
import type { CaptureFormat, FrameToWrite, InterfaceToWrite } from '../../shared/files/types';
import { PcapngWriter } from '../../shared/files/writer';
import type { TlsDissector } from '../../shared/tls/dissector';
import { convertCaptureFile } from './capture-file';
import { forEachBatchFrame, forEachBatchFrameAt, MessageType, type BatchType, type HelloResult, type HelperInterface, type OpenResult, type SendLinkMode, type SendResult, type SuppressRstResult } from '../helper/protocol';
import { HelperClient, HelperRequestError, type HelperExit, type HelperLaunchOptions } from './helper-client';
import { LiveTracking, type ConnectionEvent, type LiveConnection, type TrackingStatistics } from './live-tracking';
import type { ProcessedFrame } from '../../shared/pipeline/frame-pipeline';
import { CaptureError } from './capture-errors';

/**
 * Where a session's frames come from: the capture helper (the default), or anything with its
 * shape that delivers frames as helper batches (remote-capture.ts: tcpdump over SSH).
 */
export type CaptureSource = Pick<
  HelperClient,
  'onBatch' | 'onWarning' | 'onExit' | 'pid' | 'hello' | 'open' | 'stop' | 'kill' | 'send' | 'interfaces' | 'suppressKernelRst' | 'releaseKernelRst' | 'endConversations'
>;

export interface CaptureSessionOptions extends HelperLaunchOptions {
  device: string;
  /** A source other than a local capture helper. */
  source?: CaptureSource;
  /** The name its Interface Description Block carries (default: the device; remote: host:iface). */
  interfaceName?: string;
  /** BPF filter; empty or absent for none. */
  filter?: string;
  /** Kernel buffer in bytes; the helper's default is 128 MiB. */
  bufferSize?: number;
  /** Ask the helper to hand over frames as they arrive instead of in batches of up to 8 ms (conversations). */
  immediate?: boolean;
  /** Where the pcapng spool goes; the file is created (truncated) at start. */
  spoolPath: string;
  /** Stop after this many frames; frames past it in the last batch are not kept. */
  maxFrames?: number;
  /** Track connections with the shared core (default true). */
  track?: boolean;
  /** Also fully decode each frame for frame listeners (decode's line and JSON); implies tracking. */
  decode?: boolean;
  /**
   * Record frames this session sends, as the helper reports them, in the spool and tracking.
   * Default on Linux, where the capture socket never sees its own injected frames.
   */
  recordSent?: boolean;
  /** Reads TLS on the tracked connections, decrypting with its key log (see addSecrets). */
  tls?: TlsDissector;
  /**
   * Further capture points recorded into the same session (local interfaces or remote hosts):
   * each gets its own Interface Description Block, frames keep their arrival order, and the
   * session ends when every point has ended. Sending uses the first point only.
   */
  alsoFrom?: CapturePointSpec[];
}

/** One more capture point of a session: a device on a local helper (the default) or another source. */
export interface CapturePointSpec {
  device: string;
  source?: CaptureSource;
  /** Its IDB's name; host:iface for several points. */
  interfaceName: string;
  filter?: string;
  bufferSize?: number;
}

/** A capture point as the session runs it. */
interface Leg {
  readonly helper: CaptureSource;
  readonly interfaceId: number;
  readonly name: string;
  opened: OpenResult | null;
  /**
   * Batches that arrived before the spool knew the interfaces (the helper's first batch can
   * share a read with its open reply, or overtake it). Null once they have been delivered.
   */
  early: Array<{ type: BatchType; payload: Uint8Array }> | null;
  exit: HelperExit | null;
}

/** One captured frame, valid only during the listener call (the bytes are a view into the batch). */
export interface LiveFrame {
  /** 1-based, as in the spool file. */
  number: number;
  tsSec: number;
  tsNsec: number;
  originalLength: number;
  bytes: Uint8Array;
  linkType: number;
}

export interface CaptureStatistics extends TrackingStatistics {
  frames: number;
  bytes: number;
  /** Over the last completed second of wall time; 0 at first. */
  framesPerSecond: number;
  elapsedMs: number;
  /** Batches received from the helper. */
  batches: number;
  /** Batches from the helper that were damaged (their intact frames were kept). */
  damagedBatches: number;
  /** Frames per capture point, in Interface Description Block order (one entry for one point). */
  framesByPoint: number[];
}

export interface CaptureEnd {
  frames: number;
  /** Null when the capture was stopped on request; otherwise why it ended. */
  reason: string | null;
  spoolPath: string;
}

export { CaptureError };

/**
 * The spool: the shared pcapng writer, with each helper batch appended by one synchronous
 * write. A batch is on disk before anything else looks at it, and one write per batch
 * (rather than per frame) keeps the spool off the critical path at high frame rates.
 */
class BatchedSpool {
  private readonly fd: number;
  private readonly writer: PcapngWriter;
  private pending: Uint8Array[] = [];
  private open = true;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
    this.writer = new PcapngWriter((chunk) => this.pending.push(chunk), { userApplication: 'Handshake Workbench (live capture)' }, { gather: true });
    this.commit();
  }

  get isOpen(): boolean {
    return this.open;
  }

  addInterface(iface: InterfaceToWrite): void {
    this.writer.addInterface(iface);
    this.commit();
  }

  /** A Decryption Secrets Block (NSS key-log text), on disk at once. */
  addSecrets(text: Uint8Array): void {
    if (!this.open) return;
    this.writer.writeSecrets(text);
    this.commit();
  }

  /** Buffers one frame's block; commit() puts the batch on disk. */
  add(frame: FrameToWrite): void {
    this.writer.writeFrame(frame);
  }

  commit(): void {
    if (!this.open) return;
    this.writer.flush(); // the gathered frames' chunk is valid only until the next frame: written below, now
    if (this.pending.length === 0) return;
    const bytes = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
    this.pending = [];
    for (let offset = 0; offset < bytes.length; ) offset += writeSync(this.fd, bytes, offset, bytes.length - offset);
  }

  close(): void {
    if (!this.open) return;
    this.commit();
    this.open = false;
    fsyncSync(this.fd);
    closeSync(this.fd);
  }
}

function asCaptureError<T>(promise: Promise<T>): Promise<T> {
  return promise.catch((error: unknown) => {
    if (error instanceof HelperRequestError) throw new CaptureError(error.code, error.message, error.advice);
    throw error;
  });
}

export class CaptureSession {
  readonly spoolPath: string;
  readonly device: string;
  readonly filter: string;
  private readonly helper: CaptureSource;
  private readonly legs: Leg[];
  private readonly spool: BatchedSpool;
  private frameCount = 0;
  private readonly framesByPoint: number[];
  private byteCount = 0;
  private batchCount = 0;
  private damagedBatchCount = 0;
  private readonly startedAt = Date.now();
  private rateWindowStart = Date.now();
  private rateWindowFrames = 0;
  private lastRate = 0;
  private ended: CaptureEnd | null = null;
  private readonly endWaiters: Array<(end: CaptureEnd) => void> = [];
  private readonly frameListeners: Array<(frame: LiveFrame, processed: ProcessedFrame | null) => void> = [];
  private readonly sentListeners: Array<(frame: LiveFrame) => void> = [];
  private readonly warningListeners: Array<(message: string) => void> = [];
  private readonly beforeBatchListeners: Array<() => void> = [];
  private readonly maxFrames: number;
  private readonly recordSent: boolean;
  private readonly tracking: LiveTracking | null;
  private readonly connectionListeners: Array<(event: ConnectionEvent) => void> = [];
  helloInfo: HelloResult | null = null;

  private constructor(options: CaptureSessionOptions, helpers: CaptureSource[]) {
    this.spoolPath = options.spoolPath;
    this.device = options.device;
    this.filter = options.filter ?? '';
    this.helper = helpers[0];
    const names = [options.interfaceName ?? options.device, ...(options.alsoFrom ?? []).map((point) => point.interfaceName)];
    this.legs = helpers.map((helper, interfaceId) => ({ helper, interfaceId, name: names[interfaceId], opened: null, early: [], exit: null }));
    this.framesByPoint = this.legs.map(() => 0);
    this.maxFrames = options.maxFrames ?? Number.POSITIVE_INFINITY;
    this.recordSent = options.recordSent ?? process.platform === 'linux';
    this.tracking =
      options.track === false && !options.decode
        ? null
        : new LiveTracking((event) => this.connectionListeners.forEach((listener) => listener(event)), options.decode === true, options.tls ?? null);
    this.spool = new BatchedSpool(options.spoolPath);
    const several = this.legs.length > 1;
    for (const leg of this.legs) {
      leg.helper.onBatch = (type, payload) => this.onBatch(leg, type, payload);
      leg.helper.onWarning = (message) => this.warningListeners.forEach((listener) => listener(several ? `${leg.name}: ${message}` : message));
      leg.helper.onExit = (exit) => this.onHelperExit(leg, exit);
    }
  }

  /** Starts the helper and opens the device; throws CaptureError (code 'permission', 'no-device', 'bad-filter', …). */
  static async start(options: CaptureSessionOptions): Promise<CaptureSession> {
    const points = [
      { device: options.device, source: options.source, filter: options.filter, bufferSize: options.bufferSize, interfaceName: options.interfaceName ?? options.device },
      ...(options.alsoFrom ?? []),
    ];
    const helpers = points.map((point) => point.source ?? new HelperClient(options));
    let session: CaptureSession | null = null;
    try {
      session = new CaptureSession(options, helpers);
      const started = session;
      // Points open together (a remote one takes an SSH round trip); the first failure names its point.
      const hellos = await Promise.all(
        started.legs.map(async (leg, index) => {
          const point = points[index];
          try {
            const hello = await leg.helper.hello();
            leg.opened = await leg.helper.open(point.device, point.filter ?? '', point.bufferSize, index === 0 ? options.immediate : undefined);
            return hello;
          } catch (error) {
            if (points.length === 1) throw error;
            const failure = error instanceof HelperRequestError || error instanceof CaptureError ? error : null;
            const message = `${leg.name}: ${error instanceof Error ? error.message : String(error)}`;
            throw failure ? new CaptureError(failure.code, message, failure.advice) : new Error(message);
          }
        }),
      );
      started.helloInfo = hellos[0];
      for (const [index, leg] of started.legs.entries()) {
        started.spool.addInterface({
          linkType: leg.opened!.linkType,
          snaplen: 65535,
          name: leg.name,
          // The filter actually applied at the point (a remote one's leaves out its own SSH connection).
          filter: leg.opened!.appliedFilter ?? (points[index].filter || undefined),
          description: `live capture; timestamps: ${hellos[index].timestampSource}`,
          os: points[index].source ? undefined : process.platform,
        });
      }
      // Delivered on the next turn, after the caller has attached its listeners; batches
      // arriving meanwhile queue behind them, so order is kept.
      setImmediate(() => started.legs.forEach((leg) => started.deliverEarlyBatches(leg)));
      return session;
    } catch (error) {
      await Promise.all(helpers.map((helper) => helper.stop(1000)));
      if (session) {
        // Nothing was captured: leave no empty file behind.
        session.closeSpool();
        rmSync(options.spoolPath, { force: true });
      }
      if (error instanceof HelperRequestError) throw new CaptureError(error.code, error.message, error.advice);
      throw error;
    }
  }

  /** The first capture point's link type. */
  get linkType(): number {
    return this.legs[0].opened?.linkType ?? -1;
  }

  get openInfo(): OpenResult | null {
    return this.legs[0].opened;
  }

  /** Every capture point: its IDB name and what its open reported. */
  get points(): Array<{ name: string; opened: OpenResult | null }> {
    return this.legs.map((leg) => ({ name: leg.name, opened: leg.opened }));
  }

  get helperPid(): number | undefined {
    return this.helper.pid;
  }

  get end(): CaptureEnd | null {
    return this.ended;
  }

  /**
   * Embeds TLS secrets (NSS key-log lines) in the spool as a Decryption Secrets Block, so the
   * file decrypts on its own (tshark, or `decode` without --tls-keylog); it may precede the
   * frames it decrypts.
   */
  addSecrets(text: Uint8Array): void {
    this.spool.addSecrets(text);
  }

  /** Called before each batch of frames is spooled (a key-log follower reads new secrets then). */
  onBeforeBatch(listener: () => void): void {
    this.beforeBatchListeners.push(listener);
  }

  /** Every captured frame, after it is in the spool; `processed` is set when the session decodes. */
  onFrame(listener: (frame: LiveFrame, processed: ProcessedFrame | null) => void): void {
    this.frameListeners.push(listener);
  }

  /** Frames the helper sent, reported back with their bytes. */
  onSent(listener: (frame: LiveFrame) => void): void {
    this.sentListeners.push(listener);
  }

  onWarning(listener: (message: string) => void): void {
    this.warningListeners.push(listener);
  }

  /** Connection opened / endpoint state changed / connection closed, as the tracker sees them. */
  onConnection(listener: (event: ConnectionEvent) => void): void {
    this.connectionListeners.push(listener);
  }

  /** Connections still open or closing, with each side's next sequence number. */
  liveConnections(): LiveConnection[] {
    return this.tracking?.connections() ?? [];
  }

  statistics(): CaptureStatistics {
    this.updateRate();
    const tracking = this.tracking?.statistics() ?? { connectionsByState: { client: {}, server: {} }, connectionsSeen: 0, sequenceGaps: 0, sequenceGapsByConnection: {} };
    return {
      ...tracking,
      frames: this.frameCount,
      bytes: this.byteCount,
      framesPerSecond: this.lastRate,
      elapsedMs: Date.now() - this.startedAt,
      batches: this.batchCount,
      damagedBatches: this.damagedBatchCount,
      framesByPoint: [...this.framesByPoint],
    };
  }

  /** Sends frames on the capture's device; the capture records them as they go out. */
  send(options: { frames: Uint8Array[]; link: SendLinkMode; count?: number; intervalMs?: number; rate?: number; ethSrc?: string; ethDst?: string; conversation?: boolean }): Promise<SendResult> {
    return asCaptureError(this.helper.send(options));
  }

  /** The interfaces as the helper (in its network namespace) sees them. */
  interfaces(): Promise<HelperInterface[]> {
    return asCaptureError(this.helper.interfaces());
  }

  /** Opt-in remedy for the local-kernel RST trap; see electron/helper/firewall.ts. */
  /** Without dst and dport: RSTs from the listening address src:sport. */
  suppressKernelRst(tuple: { src: string; dst?: string; sport: number; dport?: number }): Promise<SuppressRstResult> {
    return asCaptureError(this.helper.suppressKernelRst(tuple));
  }

  releaseKernelRst(ruleId: number): Promise<{ removed: boolean }> {
    return asCaptureError(this.helper.releaseKernelRst(ruleId));
  }

  /** The engine ended these conversations itself: the helper sends them no RST when it goes (see electron/helper/conversations.ts). */
  endConversations(peer?: { dst: string; dport: number }): Promise<{ ended: number }> {
    return asCaptureError(this.helper.endConversations(peer));
  }

  /** Resolves when the capture ends, on request or not. */
  waitForEnd(): Promise<CaptureEnd> {
    if (this.ended) return Promise.resolve(this.ended);
    return new Promise((resolve) => this.endWaiters.push(resolve));
  }

  /** Ends the helper process (the only way a cap capture stops) and closes the spool. */
  async stop(): Promise<CaptureEnd> {
    if (!this.ended) await Promise.all(this.legs.filter((leg) => !leg.exit).map((leg) => leg.helper.stop()));
    return this.waitForEnd();
  }

  /** Kills the helper without a goodbye (tests use it to prove the spool survives). */
  killHelper(signal: NodeJS.Signals = 'SIGKILL'): void {
    for (const leg of this.legs) leg.helper.kill(signal);
  }

  /** Streams the spool into a new pcap or pcapng file; only its complete blocks are read. */
  async saveAs(path: string, format: CaptureFormat): Promise<{ frames: number }> {
    const result = await convertCaptureFile(this.spoolPath, path, format);
    return { frames: result.framesWritten };
  }

  private onBatch(leg: Leg, type: BatchType, payload: Uint8Array): void {
    if (leg.early) {
      leg.early.push({ type, payload }); // the reader hands out copies, so keeping them is safe
      return;
    }
    this.processBatch(leg, type, payload);
  }

  private deliverEarlyBatches(leg: Leg): void {
    const queued = leg.early;
    // Until every point is open, the spool does not have all its interfaces.
    if (!queued || this.legs.some((each) => !each.opened)) return;
    leg.early = null;
    for (const { type, payload } of queued) this.processBatch(leg, type, payload);
  }

  private processBatch(leg: Leg, type: BatchType, payload: Uint8Array): void {
    const linkType = leg.opened?.linkType ?? -1;
    const interfaceId = leg.interfaceId;
    if (type === MessageType.sent) {
      forEachBatchFrame(payload, (tsSec, tsNsec, originalLength, bytes) => {
        for (const listener of this.sentListeners) listener({ number: 0, tsSec, tsNsec, originalLength, bytes, linkType });
      });
      // Linux never loops a packet socket's own injected frames back to it, so the capture
      // would not contain what was sent: the helper's report of them goes into the record instead.
      if (!this.recordSent) return;
    }
    this.batchCount++;
    // Secrets logged before these frames were sent go into the file ahead of them (readers
    // that make one pass, like tshark, apply a DSB only to the frames after it).
    for (const listener of this.beforeBatchListeners) listener();
    const firstNumber = this.frameCount + 1;
    // Spool first: the whole batch goes to disk before anyone looks at it.
    const damage = forEachBatchFrame(payload, (tsSec, tsNsec, originalLength, bytes) => {
      if (this.frameCount >= this.maxFrames || !this.spool.isOpen) return;
      this.spool.add({ interfaceId, tsSeconds: tsSec, tsNanos: tsNsec, data: bytes, originalLength });
      this.frameCount++;
      this.framesByPoint[interfaceId]++;
      this.byteCount += bytes.length;
    });
    this.spool.commit();
    if (damage) {
      this.damagedBatchCount++;
      this.warningListeners.forEach((listener) => listener(`damaged batch from the helper: ${damage}; its intact frames were kept`));
    }
    this.rateWindowFrames += this.frameCount - firstNumber + 1;
    this.updateRate();
    if (this.frameCount >= this.maxFrames) void this.stop();
    if (this.frameListeners.length === 0 && !this.tracking) return;
    // Tracking reads each frame where it lies in the batch; a view is made only for whoever asks.
    const tracked = {
      frameNumber: firstNumber,
      linkType,
      tsSeconds: 0,
      tsNanos: 0,
      originalLength: 0,
      buffer: payload,
      bufferOffset: 0,
      capturedLength: 0,
      get data(): Uint8Array {
        return payload.subarray(this.bufferOffset, this.bufferOffset + this.capturedLength);
      },
    };
    forEachBatchFrameAt(payload, (tsSec, tsNsec, originalLength, at, capturedLength) => {
      if (tracked.frameNumber > this.frameCount) return;
      tracked.tsSeconds = tsSec;
      tracked.tsNanos = tsNsec;
      tracked.originalLength = originalLength;
      tracked.bufferOffset = at;
      tracked.capturedLength = capturedLength;
      const processed = this.tracking?.frame(tracked) ?? null;
      if (this.frameListeners.length > 0) {
        const frame: LiveFrame = { number: tracked.frameNumber, tsSec, tsNsec, originalLength, bytes: tracked.data, linkType };
        for (const listener of this.frameListeners) listener(frame, processed);
      }
      tracked.frameNumber++;
    });
  }

  private updateRate(): void {
    const now = Date.now();
    if (now - this.rateWindowStart >= 1000) {
      this.lastRate = (this.rateWindowFrames * 1000) / (now - this.rateWindowStart);
      this.rateWindowStart = now;
      this.rateWindowFrames = 0;
    }
  }

  private closeSpool(): void {
    this.spool.close();
  }

  private onHelperExit(leg: Leg, exit: HelperExit): void {
    // A helper that ends right after its first batches still gets them on disk (if it never
    // opened a device, there is nothing to record them against and nothing was captured).
    this.deliverEarlyBatches(leg);
    leg.exit = exit;
    const several = this.legs.length > 1;
    if (several && exit.reason) this.warningListeners.forEach((listener) => listener(`${leg.name} stopped: ${exit.reason}; the other capture points go on`));
    if (this.legs.some((each) => !each.exit)) return;
    for (const each of this.legs) this.deliverEarlyBatches(each);
    this.closeSpool();
    const reasons = this.legs.filter((each) => each.exit?.reason).map((each) => (several ? `${each.name}: ${each.exit!.reason}` : each.exit!.reason!));
    this.ended = { frames: this.frameCount, reason: reasons.length > 0 ? reasons.join('; ') : null, spoolPath: this.spoolPath };
    for (const waiter of this.endWaiters.splice(0)) waiter(this.ended);
  }
}
