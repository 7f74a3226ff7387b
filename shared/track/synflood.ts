/**
 * SYN-flood / half-open detection per server endpoint over a sliding capture-time window.
 *
 * A half-open connection is one whose SYN was answered by a SYN+ACK but whose final ACK
 * has not come (the server holds a SYN_RECEIVED entry for it). A flood is many of them,
 * at one server endpoint, within the window, from many sources, while few attempts
 * complete. A busy but healthy server completes nearly every handshake within one RTT,
 * so its half-open count stays small and its completion ratio high.
 */

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

interface HalfOpen {
  time: number;
  synFrame: number;
  source: EndpointKey;
}

const SAMPLE_SIZE = 10;

class TargetWindow {
  readonly attemptTimes: number[] = [];
  attemptHead = 0;
  readonly completionTimes: number[] = [];
  completionHead = 0;
  /** Keyed by connection id; insertion order is time order. */
  readonly halfOpen = new Map<number, HalfOpen>();
  /**
   * At most the time of the oldest half-open entry (removals only make the true oldest later):
   * while it is inside the window, nothing can have expired and the map need not be walked.
   */
  halfOpenOldestBound = Number.POSITIVE_INFINITY;
  readonly sources = new Map<EndpointKey, number>();
  alert: SynFloodAlert | null = null;
  lastTime = 0;
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

export class SynFloodDetector {
  private readonly options: SynFloodOptions;
  private readonly targets = new Map<EndpointKey, TargetWindow>();
  private readonly raised: SynFloodAlert[] = [];

  constructor(options: Partial<SynFloodOptions> = {}) {
    this.options = { ...DEFAULT_SYN_FLOOD_OPTIONS, ...options };
  }

  /** A client's first SYN towards `target`. */
  attempt(target: EndpointKey, time: number): void {
    const window = this.target(target);
    window.attemptTimes.push(time);
    this.advance(window, time);
  }

  /** The server answered connection `id` with its first SYN+ACK: the connection is half-open. */
  synAckSent(target: EndpointKey, id: number, source: EndpointKey, synFrame: number, frame: number, time: number, describe: SynFloodDescriber): void {
    const window = this.target(target);
    if (window.halfOpen.has(id)) return;
    window.halfOpen.set(id, { time, synFrame, source });
    if (time < window.halfOpenOldestBound) window.halfOpenOldestBound = time;
    window.sources.set(source, (window.sources.get(source) ?? 0) + 1);
    this.advance(window, time);
    this.evaluate(window, frame, synFrame, describe);
  }

  /** Connection `id` left the half-open set: its final ACK came (`completed`) or it was reset. */
  resolved(target: EndpointKey, id: number, completed: boolean, time: number): void {
    const window = this.targets.get(target);
    if (!window) return;
    const entry = window.halfOpen.get(id);
    if (entry) this.removeHalfOpen(window, id, entry);
    if (completed) window.completionTimes.push(time);
    this.advance(window, time);
  }

  alerts(): readonly SynFloodAlert[] {
    return this.raised;
  }

  private target(key: EndpointKey): TargetWindow {
    let window = this.targets.get(key);
    if (!window) {
      window = new TargetWindow();
      this.targets.set(key, window);
    }
    return window;
  }

  private removeHalfOpen(window: TargetWindow, id: number, entry: HalfOpen): void {
    window.halfOpen.delete(id);
    const left = (window.sources.get(entry.source) ?? 1) - 1;
    if (left <= 0) window.sources.delete(entry.source);
    else window.sources.set(entry.source, left);
  }

  private advance(window: TargetWindow, time: number): void {
    window.lastTime = Math.max(window.lastTime, time);
    const since = window.lastTime - this.options.windowSeconds;
    window.attemptHead = expireQueue(window.attemptTimes, window.attemptHead, since);
    window.completionHead = expireQueue(window.completionTimes, window.completionHead, since);
    if (window.halfOpenOldestBound < since) {
      let oldest = Number.POSITIVE_INFINITY;
      for (const [id, entry] of window.halfOpen) {
        if (entry.time >= since) {
          oldest = entry.time; // insertion order is time order
          break;
        }
        this.removeHalfOpen(window, id, entry); // still unanswered, but outside the window
      }
      window.halfOpenOldestBound = oldest;
    }
    if (window.alert && !this.flooding(window)) window.alert = null; // episode over; a new one raises a new alert
  }

  private counts(window: TargetWindow): { attempts: number; completed: number; ratio: number } {
    const attempts = window.attemptTimes.length - window.attemptHead;
    const completed = window.completionTimes.length - window.completionHead;
    return { attempts, completed, ratio: attempts === 0 ? 1 : completed / attempts };
  }

  private flooding(window: TargetWindow): boolean {
    if (window.halfOpen.size < this.options.minHalfOpen || window.sources.size < this.options.minSources) return false;
    return this.counts(window).ratio <= this.options.maxCompletionRatio;
  }

  private evaluate(window: TargetWindow, frame: number, synFrame: number, describe: SynFloodDescriber): void {
    if (!this.flooding(window)) return;
    const { attempts, completed, ratio } = this.counts(window);
    let alert = window.alert;
    if (!alert) {
      const first = window.halfOpen.values().next();
      alert = {
        type: 'alert',
        kind: 'syn-flood',
        target: describe.target(),
        half_open: 0,
        sources: 0,
        first_frame: first.done ? frame : first.value.synFrame,
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
    if (window.halfOpen.size >= alert.half_open) {
      alert.half_open = window.halfOpen.size;
      alert.sources = window.sources.size;
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
