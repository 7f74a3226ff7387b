/**
 * Two endpoints joined by a simulated wire with a virtual clock: each segment arrives `delayMs`
 * later unless `lose` says otherwise. Time jumps to the next arrival or timer.
 */
import { TcpEndpoint, type EndpointEvent, type EndpointOptions, type EndpointSegment } from '../../../shared/endpoint';

export interface Wire {
  a: TcpEndpoint;
  b: TcpEndpoint;
  now: number;
  /** Every segment put on the wire, with its direction and time. */
  log: Array<{ from: 'a' | 'b'; at: number; segment: EndpointSegment; lost: boolean }>;
  /** Received bytes per side. */
  received: { a: Uint8Array[]; b: Uint8Array[] };
  /** Every event each side reported, in order. */
  events: { a: EndpointEvent[]; b: EndpointEvent[] };
  /** The states one side went through. */
  states(side: 'a' | 'b'): string[];
  run(untilMs: number, stop?: () => boolean): void;
  flush(): void;
}

export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 0x100000000;
  };
}

export function wire(aOptions: EndpointOptions, bOptions: EndpointOptions, settings: { delayMs?: number; lose?: (from: 'a' | 'b', segment: EndpointSegment, index: number) => boolean } = {}): Wire {
  const delay = settings.delayMs ?? 10;
  const a = new TcpEndpoint(aOptions);
  const b = new TcpEndpoint(bOptions);
  const inFlight: Array<{ to: 'a' | 'b'; at: number; segment: EndpointSegment; order: number }> = [];
  let order = 0;
  const state: Wire = {
    a,
    b,
    now: 0,
    log: [],
    received: { a: [], b: [] },
    events: { a: [], b: [] },
    states(side) {
      return this.events[side].flatMap((event) => (event.type === 'state' ? [event.to] : []));
    },
    run(untilMs, stop) {
      for (let guard = 0; guard < 2_000_000; guard++) {
        this.flush();
        if (stop?.()) return;
        const deadlines = [a.nextDeadline(), b.nextDeadline(), ...inFlight.map((item) => item.at)].filter((at): at is number => at !== null);
        if (deadlines.length === 0) return;
        const next = Math.max(this.now, Math.min(...deadlines));
        if (next > untilMs) {
          this.now = untilMs;
          return;
        }
        this.now = next;
        inFlight.sort((x, y) => x.at - y.at || x.order - y.order);
        while (inFlight.length > 0 && inFlight[0].at <= this.now) {
          const item = inFlight.shift() as (typeof inFlight)[number];
          (item.to === 'a' ? a : b).receive(item.segment, this.now);
          // Each arrival is answered before the next is looked at, as the engine's driver does.
          this.flush();
        }
      }
      throw new Error('the simulation did not settle');
    },
    flush() {
      for (let round = 0; round < 1000; round++) {
        let moved = false;
        for (const side of ['a', 'b'] as const) {
          const endpoint = side === 'a' ? a : b;
          for (const segment of endpoint.poll(this.now)) {
            moved = true;
            const index = this.log.length;
            const lost = settings.lose?.(side, segment, index) ?? false;
            this.log.push({ from: side, at: this.now, segment, lost });
            if (!lost) inFlight.push({ to: side === 'a' ? 'b' : 'a', at: this.now + delay, segment, order: order++ });
          }
          for (const event of endpoint.takeEvents()) {
            this.events[side].push(event);
            if (event.type === 'data') this.received[side].push(event.bytes);
          }
        }
        if (!moved) return;
      }
    },
  };
  return state;
}

export function bytesOf(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** Byte-for-byte equality without the test framework's element-wise diff (slow on a megabyte). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}
