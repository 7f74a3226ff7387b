/**
 * Our lane of the endpoint's conversation, from the endpoint itself: the tracker models both
 * sides from the wire, but for our side the endpoint knows its own RFC 9293 state. The lane
 * records every segment the endpoint sent or took with its state right after, and puts that
 * state on the Connections row and on the ladder's arrows for our side (the peer's stays as
 * tracked). `endpointSide` names the side so the views can say which is which.
 */
import type { ConnectionRow, Ladder, LadderArrow, Side } from '../api/contract';
import { TCP_STATE_NAMES, type TcpState } from '../track/states';
import { tcpFlagsText } from '../wire/info';
import { TCP_ACK } from '../wire/summary';
import type { EndpointSegment, TcpEndpoint } from './endpoint';

interface LaneStep {
  /** Relative to each side's ISN, as the ladder's numbers are. */
  seq: number;
  ack: number | null;
  flags: string;
  length: number;
  state: string;
  /** States entered on this segment, when more than one (FIN_WAIT_2 then TIME_WAIT on a FIN+ACK acknowledging our FIN). */
  passed: string[] | null;
}

/** Steps kept per direction; past it the last known state carries on (a ladder shows 100,000 arrows at most). */
const LANE_LIMIT = 200_000;

/** "198.18.0.1:80" or "[2001:db8::1]:80", as Connections rows and ladders write an endpoint. */
export function endpointName(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

export class EndpointLane {
  private readonly sent: LaneStep[] = [];
  private readonly received: LaneStep[] = [];
  /** The peer, once known (for listen: from its SYN). */
  remote: string | null = null;
  /** Every state entered on the segment that last changed ours, when more than one (for the Connections row). */
  private lastPassed: string[] | null = null;
  /** Our state before the first segment (CLOSED, or LISTEN). */
  private initialState: string;

  constructor(
    readonly local: string,
    private readonly endpoint: TcpEndpoint,
  ) {
    this.initialState = endpoint.stateName;
    endpoint.observer = (direction, segment, state, passed) => this.record(direction, segment, state, passed);
  }

  /** After listen(): the lane starts in LISTEN. */
  restart(): void {
    this.initialState = this.endpoint.stateName;
  }

  private record(direction: 'in' | 'out', segment: EndpointSegment, state: TcpState, passed: readonly TcpState[]): void {
    const names = passed.length > 1 ? passed.map((entered) => TCP_STATE_NAMES[entered]) : null;
    if (passed.length > 0) this.lastPassed = names;
    const steps = direction === 'out' ? this.sent : this.received;
    if (steps.length >= LANE_LIMIT) return;
    const endpoint = this.endpoint;
    const seq = direction === 'out' ? endpoint.relativeSent(segment.seq) : endpoint.relativeReceived(segment.seq);
    let ack: number | null = null;
    if (segment.flags & TCP_ACK) ack = direction === 'out' ? endpoint.relativeReceived(segment.ack) : endpoint.relativeSent(segment.ack);
    steps.push({ seq, ack, flags: tcpFlagsText(segment.flags), length: segment.payload.length, state: TCP_STATE_NAMES[state], passed: names });
  }

  /** Which side of this connection is ours, or null when it is not the endpoint's. */
  sideOf(client: string, server: string): Side | null {
    if (this.remote === null) return null;
    if (client === this.local && server === this.remote) return 'client';
    if (server === this.local && client === this.remote) return 'server';
    return null;
  }

  /** The row with our side's state as the endpoint has it now. */
  row(row: ConnectionRow): ConnectionRow {
    const side = this.sideOf(row.client, row.server);
    if (!side) return row;
    const state = this.endpoint.stateName;
    // The path shown is the endpoint's own, and only while it is still in the state it led to (a timer may have moved it on).
    const passed = this.lastPassed && this.lastPassed[this.lastPassed.length - 1] === state ? { [side === 'client' ? 'clientPassed' : 'serverPassed']: this.lastPassed } : {};
    const { clientPassed, serverPassed, ...rest } = row;
    const tracked = side === 'client' ? (serverPassed ? { serverPassed } : {}) : clientPassed ? { clientPassed } : {};
    return side === 'client' ? { ...rest, ...tracked, ...passed, clientState: state, endpointSide: side } : { ...rest, ...tracked, ...passed, serverState: state, endpointSide: side };
  }

  /** The ladder with our lane's state after each arrow from the endpoint's own record. */
  ladder(ladder: Ladder): Ladder {
    const side = this.sideOf(ladder.client, ladder.server);
    if (!side) return ladder;
    const cursor = { out: 0, in: 0 };
    const finders = { out: new StepFinder(this.sent), in: new StepFinder(this.received) };
    let ours = this.initialState;
    const arrows = ladder.arrows.map((arrow): LadderArrow => {
      const direction = arrow.from === side ? 'out' : 'in';
      const steps = direction === 'out' ? this.sent : this.received;
      const found = finders[direction].find(cursor[direction], arrow);
      let passed: string[] | null = null;
      if (found >= 0) {
        ours = steps[found].state;
        passed = steps[found].passed;
        cursor[direction] = found + 1;
      }
      if (side === 'client') return passed ? { ...arrow, clientState: ours, clientPassed: passed } : { ...arrow, clientState: ours };
      return passed ? { ...arrow, serverState: ours, serverPassed: passed } : { ...arrow, serverState: ours };
    });
    const final = this.endpoint.stateName;
    return side === 'client'
      ? { ...ladder, arrows, initialClientState: this.initialState, finalClientState: final, endpointSide: side }
      : { ...ladder, arrows, initialServerState: this.initialState, finalServerState: final, endpointSide: side };
  }
}

/**
 * The first step at or after a cursor with an arrow's numbers, flags and length, however far
 * ahead (segments the endpoint counted but the wire never carried, a skipped step, are passed over).
 */
class StepFinder {
  private readonly byKey = new Map<string, number[]>();

  constructor(private readonly steps: readonly LaneStep[]) {
    steps.forEach((step, index) => {
      const key = `${step.seq} ${step.length} ${step.flags}`;
      const list = this.byKey.get(key);
      if (list) list.push(index);
      else this.byKey.set(key, [index]);
    });
  }

  find(from: number, arrow: LadderArrow): number {
    const list = this.byKey.get(`${arrow.seq} ${arrow.len} ${arrow.flags}`);
    if (!list) return -1;
    // The first index ≥ from (binary search), then the first whose ACK agrees.
    let low = 0;
    let high = list.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (list[middle] < from) low = middle + 1;
      else high = middle;
    }
    for (let i = low; i < list.length; i++) {
      const step = this.steps[list[i]];
      if (step.ack === null || step.ack === arrow.ack) return list[i];
    }
    return -1;
  }
}
