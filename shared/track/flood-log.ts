/**
 * SYN-flood events of a tracker that sees only part of a capture's connections, recorded with
 * their frame numbers so that one detector can replay every part's events in frame order and
 * raise exactly the alerts a single tracker of the whole capture would.
 */
import { formatAddress, formatEndpoint } from './tracker';
import type { EndpointKey, SynFloodAlert, SynFloodDescriber, SynFloodDetector, SynFloodSink } from './synflood';

const ATTEMPT = 0;
const SYN_ACK = 1;
const RESOLVED = 2;
/** Numbers per event: kind, frame, target, then three that depend on the kind. */
const EVENT = 6;
/** Words per SYN+ACK event's endpoints: IP version, client and server address, server port. */
const ENDPOINTS = 10;

/** A recorder's events as plain typed arrays (what crosses threads). */
export interface SynFloodLog {
  events: Float64Array;
  /** Endpoint key of each target id the recorder handed out. */
  targetKeys: Float64Array;
  /** ENDPOINTS words per SYN+ACK event, in event order. */
  endpoints: Uint32Array;
}

export class SynFloodRecorder implements SynFloodSink {
  private events = new Float64Array(EVENT * 1024);
  private count = 0;
  private readonly targetIds = new Map<EndpointKey, number>();
  private readonly keys: number[] = [];
  private endpoints = new Uint32Array(ENDPOINTS * 256);
  private synAcks = 0;

  /** `frame()`: the frame being tracked (the tracker's `currentFrame`). */
  constructor(private readonly frame: () => number) {}

  targetId(key: EndpointKey): number {
    let id = this.targetIds.get(key);
    if (id === undefined) {
      id = this.keys.length;
      this.keys.push(key);
      this.targetIds.set(key, id);
    }
    return id;
  }

  attempt(target: number): void {
    this.push(ATTEMPT, target, 0, 0, 0);
  }

  /** Returns the event's own number, which `resolved` gets back and the replay maps to the detector's position. */
  synAckSent(target: number, source: number, synFrame: number, _frame: number, _time: number, describe: SynFloodDescriber): number {
    const id = this.synAcks++;
    if ((id + 1) * ENDPOINTS > this.endpoints.length) {
      const grown = new Uint32Array(this.endpoints.length * 2);
      grown.set(this.endpoints);
      this.endpoints = grown;
    }
    describe.endpoints?.(this.endpoints.subarray(id * ENDPOINTS, id * ENDPOINTS + ENDPOINTS));
    this.push(SYN_ACK, target, source, synFrame, id);
    return id;
  }

  resolved(target: number, position: number, completed: boolean): void {
    this.push(RESOLVED, target, position, completed ? 1 : 0, 0);
  }

  alerts(): readonly SynFloodAlert[] {
    return [];
  }

  log(): SynFloodLog {
    return { events: this.events.slice(0, this.count * EVENT), targetKeys: Float64Array.from(this.keys), endpoints: this.endpoints.slice(0, this.synAcks * ENDPOINTS) };
  }

  private push(kind: number, target: number, a: number, b: number, c: number): void {
    if ((this.count + 1) * EVENT > this.events.length) {
      const grown = new Float64Array(this.events.length * 2);
      grown.set(this.events);
      this.events = grown;
    }
    const e = this.events;
    const at = this.count++ * EVENT;
    e[at] = kind;
    e[at + 1] = this.frame();
    e[at + 2] = target;
    e[at + 3] = a;
    e[at + 4] = b;
    e[at + 5] = c;
  }
}

/**
 * Feeds every log's events to `detector` in frame order (a frame's events all come from one log,
 * in the order recorded). `latestTime(frame)`: the capture time a single tracker would have held
 * at that frame (the latest timestamp of any TCP frame up to it).
 */
export function replaySynFloodLogs(detector: SynFloodDetector, logs: readonly SynFloodLog[], latestTime: (frame: number) => number): void {
  const next = logs.map(() => 0);
  const targets = logs.map((log) => Array.from(log.targetKeys, (key) => detector.targetId(key)));
  const positions = logs.map((log) => new Float64Array(log.endpoints.length / ENDPOINTS));
  let words: Uint32Array = new Uint32Array(ENDPOINTS);
  const describer: SynFloodDescriber = {
    target: () => formatEndpoint(words[0], words, 5, words[9]),
    source: () => formatAddress(words[0], words, 1),
  };
  for (;;) {
    let pick = -1;
    for (let i = 0; i < logs.length; i++) {
      if (next[i] * EVENT >= logs[i].events.length) continue;
      if (pick < 0 || logs[i].events[next[i] * EVENT + 1] < logs[pick].events[next[pick] * EVENT + 1]) pick = i;
    }
    if (pick < 0) return;
    const e = logs[pick].events;
    const at = next[pick]++ * EVENT;
    const frame = e[at + 1];
    const target = targets[pick][e[at + 2]];
    const time = latestTime(frame);
    if (e[at] === ATTEMPT) detector.attempt(target, time);
    else if (e[at] === SYN_ACK) {
      const id = e[at + 5];
      words = logs[pick].endpoints.subarray(id * ENDPOINTS, id * ENDPOINTS + ENDPOINTS);
      positions[pick][id] = detector.synAckSent(target, e[at + 3], e[at + 4], frame, time, describer);
    } else {
      const id = e[at + 3];
      detector.resolved(target, id < 0 ? -1 : positions[pick][id], e[at + 4] === 1, time);
    }
  }
}
