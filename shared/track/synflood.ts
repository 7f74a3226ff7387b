/**
 * SYN-flood / half-open detection per server endpoint over a sliding capture-time window.
 *
 * A half-open connection is one whose SYN was answered by a SYN+ACK but whose final ACK
 * has not come (the server holds a SYN_RECEIVED entry for it). A flood is many of them,
 * at one server endpoint, within the window, from many sources, while few attempts
 * complete. A busy but healthy server completes nearly every handshake within one RTT,
 * so its half-open count stays small and its completion ratio high.
 */
import { grown } from './store';

export interface SynFloodOptions {
  /** Sliding window, in seconds of capture time. */
  windowSeconds: number;
  /** Half-open connections inside the window needed to alert. */
  minHalfOpen: number;
  /** Distinct source addresses among those half-open connections. */
  minSources: number;
  /** Alert only while completed / attempted handshakes in the window is at most this. */
  maxCompletionRatio: number;
}

/** Documented defaults: 64 half-open from 16+ sources within 10 s, with at most 25 % completing. */
export const DEFAULT_SYN_FLOOD_OPTIONS: SynFloodOptions = {
  windowSeconds: 10,
  minHalfOpen: 64,
  minSources: 16,
  maxCompletionRatio: 0.25,
};

export interface SynFloodAlert {
  type: 'alert';
  kind: 'syn-flood';
  /** "198.18.2.20:80" or "[2001:db8::1]:443". */
  target: string;
  /** Peak number of half-open connections inside the window during the episode. */
  half_open: number;
  /** Distinct sources among the half-open connections at that peak. */
  sources: number;
  first_frame: number;
  last_frame: number;
  /** Evidence at the peak: attempts and completed handshakes inside the window, and their ratio. */
  attempts: number;
  completed: number;
  completion_ratio: number;
  window_seconds: number;
  /** Up to 10 of the sources and of the SYN frames of half-open connections, from the alert on. */
  sample_sources: string[];
  sample_frames: number[];
}

/** Exact for IPv4 (address·65536 + port), a 52-bit hash for IPv6: keys never need formatting. */
export type EndpointKey = number;

/** Names the current connection's target and source, asked only when an alert needs text. */
export interface SynFloodDescriber {
  target(): string;
  source(): string;
}

const SAMPLE_SIZE = 10;
/** Distinct-source counts this many entries large are pruned of their zero counts. */
const SOURCE_PRUNE_SIZE = 4096;

/**
 * One target endpoint's window. Its half-open connections form a queue in time order (capture
 * time only moves forward), addressed by a running position the tracker keeps with the
 * connection: leaving the set clears an entry in place, and expiry pops from the front. A busy
 * server opens and completes thousands of handshakes a second, so nothing here allocates per
 * connection (a Map churned by insert/delete rebuilt its table every few connections).
 */
class TargetWindow {
  readonly attemptTimes: number[] = [];
  attemptHead = 0;
  readonly completionTimes: number[] = [];
  completionHead = 0;
  entryTime = new Float64Array(16);
  entrySynFrame = new Float64Array(16);
  entrySource = new Int32Array(16);
  entryLive = new Uint8Array(16);
  /** Running position of entry index 0; positions below it have left the queue. */
  entryBase = 0;
  /** Index of the oldest entry that may be live, and one past the newest. */
  entryHead = 0;
  entryEnd = 0;
  halfOpen = 0;
  /** Half-open connections per source address; zero counts are kept (pruned now and then), never deleted one by one. */
  readonly sourceCounts = new Map<number, number>();
  sources = 0;
  alert: SynFloodAlert | null = null;
  lastTime = 0;

  push(time: number, synFrame: number, source: number): number {
    if (this.entryEnd === this.entryTime.length) this.makeRoom();
    const index = this.entryEnd++;
    this.entryTime[index] = time;
    this.entrySynFrame[index] = synFrame;
    this.entrySource[index] = source;
    this.entryLive[index] = 1;
    this.halfOpen++;
    const count = this.sourceCounts.get(source) ?? 0;
    if (count === 0) this.sources++;
    this.sourceCounts.set(source, count + 1);
    return this.entryBase + index;
  }

  /** Takes the entry at `position` out of the half-open set, if it is still in it. */
  clear(position: number): void {
    const index = position - this.entryBase;
    if (index < this.entryHead || index >= this.entryEnd || this.entryLive[index] === 0) return;
    this.entryLive[index] = 0;
    this.halfOpen--;
    const source = this.entrySource[index];
    const count = (this.sourceCounts.get(source) ?? 1) - 1;
    this.sourceCounts.set(source, count);
    if (count === 0) {
      this.sources--;
      if (this.sourceCounts.size >= SOURCE_PRUNE_SIZE && this.sources * 2 < this.sourceCounts.size) {
        for (const [key, left] of this.sourceCounts) if (left === 0) this.sourceCounts.delete(key);
      }
    }
  }

  /** Pops entries older than `since` (still unanswered, but outside the window) and cleared ones. */
  expire(since: number): void {
    while (this.entryHead < this.entryEnd && (this.entryLive[this.entryHead] === 0 || this.entryTime[this.entryHead] < since)) {
      this.clear(this.entryBase + this.entryHead);
      this.entryHead++;
    }
  }

  /** SYN frame of the oldest half-open connection, or -1. */
  oldestSynFrame(): number {
    for (let index = this.entryHead; index < this.entryEnd; index++) if (this.entryLive[index] !== 0) return this.entrySynFrame[index];
    return -1;
  }

  private makeRoom(): void {
    const head = this.entryHead;
    const live = this.entryEnd - head;
    if (head > 0 && live * 2 <= this.entryTime.length) {
      // Slide the queue to the front: positions stay valid through entryBase.
      this.entryTime.copyWithin(0, head, this.entryEnd);
      this.entrySynFrame.copyWithin(0, head, this.entryEnd);
      this.entrySource.copyWithin(0, head, this.entryEnd);
      this.entryLive.copyWithin(0, head, this.entryEnd);
    } else {
      const size = this.entryTime.length * 2;
      this.entryTime = grown(this.entryTime.subarray(head, this.entryEnd), new Float64Array(size));
      this.entrySynFrame = grown(this.entrySynFrame.subarray(head, this.entryEnd), new Float64Array(size));
      this.entrySource = grown(this.entrySource.subarray(head, this.entryEnd), new Int32Array(size));
      this.entryLive = grown(this.entryLive.subarray(head, this.entryEnd), new Uint8Array(size));
    }
    this.entryBase += head;
    this.entryHead = 0;
    this.entryEnd = live;
  }
}

/** Drops queue entries older than `since`; compacts now and then so the arrays don't grow. */
function expireQueue(times: number[], head: number, since: number): number {
  while (head < times.length && times[head] < since) head++;
  if (head > 1024 && head * 2 > times.length) {
    times.splice(0, head);
    return 0;
  }
  return head;
}

/**
 * Targets are named by a small id (targetId), which the tracker keeps with each connection,
 * so a connection's events cost an array index instead of a lookup by endpoint.
 */
export class SynFloodDetector {
  private readonly options: SynFloodOptions;
  private readonly targetIds = new Map<EndpointKey, number>();
  private readonly windows: TargetWindow[] = [];
  private readonly raised: SynFloodAlert[] = [];

  constructor(options: Partial<SynFloodOptions> = {}) {
    this.options = { ...DEFAULT_SYN_FLOOD_OPTIONS, ...options };
  }

  /** The id of server endpoint `key`'s window (created on first use). */
  targetId(key: EndpointKey): number {
    let id = this.targetIds.get(key);
    if (id === undefined) {
      id = this.windows.length;
      this.windows.push(new TargetWindow());
      this.targetIds.set(key, id);
    }
    return id;
  }

  /** A client's first SYN towards target `target`. */
  attempt(target: number, time: number): void {
    const window = this.windows[target];
    window.attemptTimes.push(time);
    this.advance(window, time);
  }

  /**
   * The server answered a connection with its first SYN+ACK: the connection is half-open.
   * `source` is the client's address (IPv4) or a 32-bit hash of it (IPv6). Returns the entry's
   * position, which `resolved` takes back.
   */
  synAckSent(target: number, source: number, synFrame: number, frame: number, time: number, describe: SynFloodDescriber): number {
    const window = this.windows[target];
    const position = window.push(time, synFrame, source);
    this.advance(window, time);
    this.evaluate(window, frame, synFrame, describe);
    return position;
  }

  /**
   * A connection left the half-open set, or never entered it (`position` -1): its final ACK
   * came (`completed`) or it was reset.
   */
  resolved(target: number, position: number, completed: boolean, time: number): void {
    const window = this.windows[target];
    if (position >= 0) window.clear(position);
    if (completed) window.completionTimes.push(time);
    this.advance(window, time);
  }

  /** Target `target`'s window as it stands: half-open connections, their distinct sources, attempts and completions. */
  windowCounts(target: number): { halfOpen: number; sources: number; attempts: number; completed: number } {
    const window = this.windows[target];
    const { attempts, completed } = this.counts(window);
    return { halfOpen: window.halfOpen, sources: window.sources, attempts, completed };
  }

  alerts(): readonly SynFloodAlert[] {
    return this.raised;
  }

  private advance(window: TargetWindow, time: number): void {
    window.lastTime = Math.max(window.lastTime, time);
    const since = window.lastTime - this.options.windowSeconds;
    window.attemptHead = expireQueue(window.attemptTimes, window.attemptHead, since);
    window.completionHead = expireQueue(window.completionTimes, window.completionHead, since);
    window.expire(since);
    if (window.alert && !this.flooding(window)) window.alert = null; // episode over; a new one raises a new alert
  }

  private counts(window: TargetWindow): { attempts: number; completed: number; ratio: number } {
    const attempts = window.attemptTimes.length - window.attemptHead;
    const completed = window.completionTimes.length - window.completionHead;
    return { attempts, completed, ratio: attempts === 0 ? 1 : completed / attempts };
  }

  private flooding(window: TargetWindow): boolean {
    if (window.halfOpen < this.options.minHalfOpen || window.sources < this.options.minSources) return false;
    return this.counts(window).ratio <= this.options.maxCompletionRatio;
  }

  private evaluate(window: TargetWindow, frame: number, synFrame: number, describe: SynFloodDescriber): void {
    if (!this.flooding(window)) return;
    const { attempts, completed, ratio } = this.counts(window);
    let alert = window.alert;
    if (!alert) {
      const oldest = window.oldestSynFrame();
      alert = {
        type: 'alert',
        kind: 'syn-flood',
        target: describe.target(),
        half_open: 0,
        sources: 0,
        first_frame: oldest < 0 ? frame : oldest,
        last_frame: frame,
        attempts: 0,
        completed: 0,
        completion_ratio: 0,
        window_seconds: this.options.windowSeconds,
        sample_sources: [],
        sample_frames: [],
      };
      window.alert = alert;
      this.raised.push(alert);
    }
    alert.last_frame = frame;
    if (window.halfOpen >= alert.half_open) {
      alert.half_open = window.halfOpen;
      alert.sources = window.sources;
      alert.attempts = attempts;
      alert.completed = completed;
      alert.completion_ratio = Math.round(ratio * 1000) / 1000;
    }
    if (alert.sample_frames.length < SAMPLE_SIZE) {
      const source = describe.source();
      if (!alert.sample_sources.includes(source)) alert.sample_sources.push(source);
      alert.sample_frames.push(synFrame);
    }
  }
}
