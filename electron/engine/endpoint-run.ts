/**
 * The user-space TCP endpoint driven through the API: the same EndpointSession as `handshake
 * connect` / `listen`, its frames spooled into a live session (Connections, ladder), its states,
 * data and end sent out as `endpoint-*` events.
 */
import { isIP } from 'node:net';
import { ApiError, type ApiEvent, type EndpointSegmentEdit, type EndpointSegmentView, type OpenEndpointParams, type OpenEndpointResult } from '../../shared/api';
import { applySegmentEdit, segmentLine, type EndpointEvent, type EndpointLane, type EndpointOptions, type EndpointSegment, type SegmentReason } from '../../shared/endpoint';
import { TcpState } from '../../shared/track/states';
import { CaptureError } from './capture-session';
import { ConversationLinkError, type AcceptedPeer, type EndpointChannel, type HelperConversationLink } from './conversation-link';
import { EndpointSession } from './endpoint-session';

export interface EndpointRunHooks {
  emit(event: ApiEvent): void;
  onSpooled(): void;
  onEnd(): void;
  /** A listener serving several peers accepted one: its conversation, under an id of its own. */
  onAccepted?(run: EndpointRun): void;
  /** A conversation's lane (our states from the endpoint) for the session's views. */
  onLane?(lane: EndpointLane): void;
}

/** What the API can ask of an endpoint: a conversation (EndpointRun) or a listener of several (EndpointListenRun). */
export interface EndpointControl {
  readonly lane: EndpointLane | null;
  send(text: string): number;
  close(how: 'fin' | 'rst'): void;
  proposal(): { proposal: EndpointSegmentView | null; state: string };
  step(edit: EndpointSegmentEdit | undefined): Promise<EndpointSegmentView | null>;
  stop(): Promise<void>;
}

function endpointOptions(params: OpenEndpointParams): EndpointOptions {
  return {
    isn: params.isn ?? undefined,
    mss: params.mss ?? undefined,
    windowScale: params.windowScale,
    sackPermitted: params.sack,
    timestamps: params.timestamps,
    retransmit: params.retransmit,
    congestion: { algorithm: params.congestion ?? 'newreno', initialWindow: params.initialWindow ?? undefined, initialSsthresh: params.ssthresh ?? undefined, sackRecovery: params.sackRecovery ?? true, restartAfterIdle: params.idleRestart ?? true },
    keepalive: params.keepaliveSeconds ? { idleMs: params.keepaliveSeconds * 1000, probes: 9 } : null,
    step: params.step,
    timeWaitMs: 1000,
  };
}

function apiError(error: unknown): unknown {
  if (error instanceof ConversationLinkError) return new ApiError('invalid', error.message);
  if (error instanceof CaptureError) return new ApiError(error.code === 'permission' ? 'permission' : error.code === 'no-device' ? 'invalid' : 'failed', error.advice ? `${error.message}. ${error.advice}` : error.message);
  return error;
}

/** Text of received data carried in one event at most (the whole stream is in the session's frames). */
const DATA_TEXT_LIMIT = 4096;
/** The least time (ms) between two routine endpoint-sender events. */
const SENDER_REPORT_MS = 250;

export class EndpointRun implements EndpointControl {
  private ended = false;
  private readonly startedAt: number;

  private constructor(
    readonly endpointId: string,
    private readonly session: EndpointSession<EndpointChannel>,
    private readonly hooks: EndpointRunHooks,
  ) {
    this.startedAt = session.now();
  }

  /** One peer's conversation under a listener: its events wait in `early` until the run exists. */
  static accepted(endpointId: string, peer: AcceptedPeer, params: OpenEndpointParams, local: { address: string; port: number }, hooks: EndpointRunHooks): EndpointRun {
    let total = 0;
    let run: EndpointRun | null = null;
    const early: Array<[EndpointEvent, number]> = [];
    const session = EndpointSession.accepted(peer, {
      local,
      endpoint: endpointOptions(params),
      lane: true,
      onEvent: (event) => {
        total += event.type === 'data' ? event.bytes.length : 0;
        if (run) run.report(event, total);
        else early.push([event, total]);
      },
    });
    run = new EndpointRun(endpointId, session, hooks);
    if (session.lane) hooks.onLane?.(session.lane);
    for (const [event, sofar] of early) run.report(event, sofar);
    void session.finished.then(() => run?.finish(null));
    return run;
  }

  static async start(endpointId: string, params: OpenEndpointParams, spoolPath: string, hooks: EndpointRunHooks): Promise<{ run: EndpointControl; result: Omit<OpenEndpointResult, 'sessionId'> }> {
    if (isIP(params.local) === 0) throw new ApiError('invalid', `local address "${params.local}" is not an IP address`);
    const listening = params.remote === null;
    if (listening !== (params.remotePort === null)) throw new ApiError('invalid', 'give both remote and remotePort to connect, or neither to listen');
    if (!listening && isIP(params.remote as string) !== isIP(params.local)) throw new ApiError('invalid', 'the local and remote addresses must be of the same IP version');
    if (listening && params.localPort === null) throw new ApiError('invalid', 'listening needs localPort');
    const local = { address: params.local, port: params.localPort ?? 40000 + Math.floor(Math.random() * 20000) };
    if (listening && (params.connections ?? 1) > 1) return EndpointListenRun.start(endpointId, params, local, spoolPath, hooks);
    let total = 0;
    let run: EndpointRun | null = null;
    // The session starts (and sends its SYN) before the run exists: its first events wait here.
    const early: Array<[EndpointEvent, number]> = [];
    let session: EndpointSession;
    try {
      session = await EndpointSession.start({
        device: params.interface,
        local,
        remote: listening ? null : { address: params.remote as string, port: params.remotePort as number },
        endpoint: endpointOptions(params),
        lane: true,
        spoolPath,
        onSpooled: () => hooks.onSpooled(),
        onWarning: (message) => hooks.emit({ type: 'capture-error', sessionId: endpointId, message }),
        onEvent: (event) => {
          total += event.type === 'data' ? event.bytes.length : 0;
          if (run) run.report(event, total);
          else early.push([event, total]);
        },
      });
    } catch (error) {
      throw apiError(error);
    }
    run = new EndpointRun(endpointId, session, hooks);
    if (session.lane) hooks.onLane?.(session.lane);
    for (const [event, sofar] of early) run.report(event, sofar);
    void session.finished.then(() => run?.finish(null));
    return {
      run,
      result: { endpointId, local, kernel: session.link.kernelOwnsLocal ? 'rst-suppressed' : 'not-owner', suppressionRule: session.link.suppressionRule },
    };
  }

  /** Our lane's states from the endpoint, for the session's Connections row and ladder. */
  get lane(): EndpointLane | null {
    return this.session.lane;
  }

  private time(at: number): number {
    return Math.max(0, (at - this.startedAt) / 1000);
  }

  private report(event: EndpointEvent, total: number): void {
    const { endpointId } = this;
    switch (event.type) {
      case 'state':
        this.hooks.emit({ type: 'endpoint-state', endpointId, from: event.from, to: event.to, why: event.why, time: this.time(event.at) });
        // The sender line starts at the initial window, before any data goes.
        if (event.to === 'ESTABLISHED' && this.session.endpoint.sender.cwnd !== null) this.reportSender('', event.at);
        break;
      case 'data':
        this.hooks.emit({ type: 'endpoint-data', endpointId, bytes: event.bytes.length, total, text: new TextDecoder().decode(event.bytes.subarray(0, DATA_TEXT_LIMIT)), time: this.time(event.at) });
        break;
      case 'retransmit':
        this.hooks.emit({ type: 'endpoint-note', endpointId, kind: 'retransmit', detail: `${event.seq}:${event.seq + event.length}(${event.length}) (${event.why}; RTO ${Math.round(event.rto)} ms)`, time: this.time(event.at) });
        break;
      case 'keepalive':
        this.hooks.emit({ type: 'endpoint-note', endpointId, kind: 'keepalive', detail: `probe ${event.probe}`, time: this.time(event.at) });
        break;
      case 'peer-fin':
        this.hooks.emit({ type: 'endpoint-note', endpointId, kind: 'peer-fin', detail: 'the peer closed its side', time: this.time(event.at) });
        break;
      case 'reset':
      case 'aborted':
        this.hooks.emit({ type: 'endpoint-note', endpointId, kind: event.type, detail: event.why, time: this.time(event.at) });
        break;
      case 'sender':
        this.reportSender(event.why, event.at);
        break;
      case 'rtt':
        // Once a round trip at most, and at most four times a second: cwnd moves on every ACK.
        // A report held back is sent when its window ends, so the view ends on the latest state.
        if (this.session.endpoint.sender.cwnd === null) break;
        if (event.at - this.senderReportedAt >= SENDER_REPORT_MS) this.reportSender('', event.at);
        else this.senderReportHeld ??= setTimeout(() => this.sendHeldSenderReport(), SENDER_REPORT_MS - (event.at - this.senderReportedAt));
        break;
      case 'dropped':
        // PAWS drops are the peer's doing and worth seeing; the other drops are routine (duplicates, probes).
        if (event.why.startsWith('PAWS')) this.hooks.emit({ type: 'endpoint-note', endpointId, kind: 'paws', detail: event.why, time: this.time(event.at) });
        break;
      default:
        break;
    }
  }

  private senderReportedAt = -Infinity;
  private senderReportHeld: ReturnType<typeof setTimeout> | null = null;

  private sendHeldSenderReport(): void {
    if (this.senderReportHeld === null) return;
    clearTimeout(this.senderReportHeld);
    this.senderReportHeld = null;
    this.reportSender('', this.session.now());
  }

  private reportSender(why: string, at: number): void {
    const state = this.session.endpoint.sender;
    if (this.senderReportHeld !== null) {
      clearTimeout(this.senderReportHeld);
      this.senderReportHeld = null;
    }
    this.senderReportedAt = at;
    this.hooks.emit({ type: 'endpoint-sender', endpointId: this.endpointId, cwnd: state.cwnd, ssthresh: state.ssthresh, pipe: state.pipe, flight: state.flight, recovery: state.recovery, dsacks: state.dsacks, dsackBytes: state.dsackBytes, why, time: this.time(at) });
  }

  private check(): void {
    if (this.ended) throw new ApiError('invalid', `endpoint ${this.endpointId} has ended`);
  }

  send(text: string): number {
    this.check();
    const bytes = new TextEncoder().encode(text);
    try {
      this.session.write(bytes);
    } catch (error) {
      throw new ApiError('invalid', error instanceof Error ? error.message : String(error));
    }
    return bytes.length;
  }

  close(how: 'fin' | 'rst'): void {
    this.check();
    this.session.close(how);
  }

  private view(segment: EndpointSegment, reason: SegmentReason | string): EndpointSegmentView {
    const endpoint = this.session.endpoint;
    const seq = endpoint.relativeSent(segment.seq);
    const ack = segment.flags & 0x10 ? (segment.ack - (endpoint.irs ?? 0)) >>> 0 : null;
    const text = segmentLine(endpoint, segment, true);
    return { reason, text, seq, ack, flags: segment.flags, window: segment.window, length: segment.payload.length };
  }

  proposal(): { proposal: EndpointSegmentView | null; state: string } {
    this.check();
    const proposal = this.session.proposal();
    return { proposal: proposal ? this.view(proposal.segment, proposal.reason) : null, state: this.session.endpoint.stateName };
  }

  async step(edit: EndpointSegmentEdit | undefined): Promise<EndpointSegmentView | null> {
    this.check();
    const endpoint = this.session.endpoint;
    const proposal = this.session.proposal();
    if (!proposal) return null;
    const segment = applySegmentEdit(endpoint, proposal.segment, edit ?? {});
    const sent = await this.session.step(segment);
    return sent ? this.view(sent, proposal.reason) : null;
  }

  /** Once the endpoint is CLOSED (or stopped): the helper ends, the session stops growing, the end is reported. */
  finish(error: string | null): Promise<void> {
    this.finishing ??= this.end(error);
    return this.finishing;
  }

  private finishing: Promise<void> | null = null;

  private async end(error: string | null): Promise<void> {
    this.ended = true;
    const endpoint = this.session.endpoint;
    let failure = error ?? this.session.endReason;
    await this.session.stop().catch((caught: unknown) => {
      failure ??= caught instanceof Error ? caught.message : String(caught);
    });
    const reason = endpoint.closedReason ?? `stopped in ${endpoint.stateName}`;
    this.sendHeldSenderReport();
    this.hooks.onEnd();
    this.hooks.emit({
      type: 'endpoint-end',
      endpointId: this.endpointId,
      ok: failure === null && endpoint.state === TcpState.CLOSED && /both FINs|2MSL timeout|we reset/.test(reason),
      reason,
      bytesSent: endpoint.stats.bytesAcked,
      bytesReceived: endpoint.stats.bytesReceived,
      retransmissions: endpoint.stats.retransmissions,
      error: failure,
    });
  }

  /** The user (or the engine) gives up on the conversation: a live one is reset first (EndpointSession.reset). */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (!this.ended) await this.session.reset().catch(() => undefined);
      await this.finish(null);
    })();
    return this.stopping;
  }

  private stopping: Promise<void> | null = null;
}

/**
 * Listening for several peers: one helper link accepts up to `connections` of them, each a
 * conversation of its own (an EndpointRun under its own id, announced by `endpoint-accepted`).
 * The listener ends when every one it was to accept has ended, or when stopped.
 */
export class EndpointListenRun implements EndpointControl {
  readonly lane = null;
  private ended = false;
  private readonly children: EndpointRun[] = [];
  private readonly results: Array<{ ok: boolean; bytesSent: number; bytesReceived: number; retransmissions: number }> = [];
  private readonly watch: ReturnType<typeof setInterval>;
  private readonly startedAt = performance.now();

  private constructor(
    readonly endpointId: string,
    private readonly link: HelperConversationLink,
    private readonly connections: number,
    private readonly hooks: EndpointRunHooks,
  ) {
    // A helper that dies ends the listener too (its conversations end with it).
    this.watch = setInterval(() => {
      if (link.endReason) void this.finish(link.endReason);
    }, 250);
  }

  static async start(endpointId: string, params: OpenEndpointParams, local: { address: string; port: number }, spoolPath: string, hooks: EndpointRunHooks): Promise<{ run: EndpointListenRun; result: Omit<OpenEndpointResult, 'sessionId'> }> {
    const connections = params.connections ?? 1;
    let listener: EndpointListenRun | null = null;
    const waiting: AcceptedPeer[] = [];
    let link: HelperConversationLink;
    try {
      link = await EndpointSession.listenMany({
        device: params.interface,
        local,
        endpoint: endpointOptions(params),
        spoolPath,
        accept: connections,
        onSpooled: () => hooks.onSpooled(),
        onWarning: (message) => hooks.emit({ type: 'capture-error', sessionId: endpointId, message }),
        onAccept: (peer) => {
          if (listener) listener.accept(peer, params, local);
          else waiting.push(peer);
        },
      });
    } catch (error) {
      throw apiError(error);
    }
    listener = new EndpointListenRun(endpointId, link, connections, hooks);
    for (const peer of waiting) listener.accept(peer, params, local);
    return { run: listener, result: { endpointId, local, kernel: link.kernelOwnsLocal ? 'rst-suppressed' : 'not-owner', suppressionRule: link.suppressionRule } };
  }

  private accept(peer: AcceptedPeer, params: OpenEndpointParams, local: { address: string; port: number }): void {
    if (this.ended) {
      // Stopped: a SYN that arrives meanwhile is not served.
      void peer.close();
      return;
    }
    const connectionId = `${this.endpointId}c${this.children.length + 1}`;
    const child = EndpointRun.accepted(connectionId, peer, params, local, {
      ...this.hooks,
      onEnd: () => undefined,
      emit: (event) => {
        this.hooks.emit(event);
        if (event.type === 'endpoint-end') this.childEnded(event);
      },
    });
    this.children.push(child);
    this.hooks.onAccepted?.(child);
    this.hooks.emit({ type: 'endpoint-accepted', endpointId: this.endpointId, connectionId, peer: `${peer.remote.address}:${peer.remote.port}`, time: (performance.now() - this.startedAt) / 1000 });
  }

  private childEnded(event: Extract<ApiEvent, { type: 'endpoint-end' }>): void {
    this.results.push({ ok: event.ok, bytesSent: event.bytesSent, bytesReceived: event.bytesReceived, retransmissions: event.retransmissions });
    if (this.results.length >= this.connections) void this.finish(null);
  }

  private refuse(): never {
    throw new ApiError('invalid', `endpoint ${this.endpointId} listens for ${this.connections} connections: use an accepted connection's id (endpoint-accepted)`);
  }

  send(): number {
    return this.refuse();
  }

  close(): void {
    this.refuse();
  }

  proposal(): { proposal: EndpointSegmentView | null; state: string } {
    return this.refuse();
  }

  step(): Promise<EndpointSegmentView | null> {
    return this.refuse();
  }

  private finish(error: string | null): Promise<void> {
    this.finishing ??= this.end(error);
    return this.finishing;
  }

  private finishing: Promise<void> | null = null;

  private async end(error: string | null): Promise<void> {
    this.ended = true;
    clearInterval(this.watch);
    // Every live peer is reset at once (each waits for its own RST to leave).
    await Promise.all(this.children.map((child) => child.stop()));
    let failure = error;
    await this.link.close().catch((caught: unknown) => {
      failure ??= caught instanceof Error ? caught.message : String(caught);
    });
    this.hooks.onEnd();
    const sum = (key: 'bytesSent' | 'bytesReceived' | 'retransmissions') => this.results.reduce((total, result) => total + result[key], 0);
    this.hooks.emit({
      type: 'endpoint-end',
      endpointId: this.endpointId,
      ok: failure === null && this.results.length === this.connections && this.results.every((result) => result.ok),
      reason: `${this.children.length} of ${this.connections} connections accepted, ${this.results.filter((result) => result.ok).length} ended as asked`,
      bytesSent: sum('bytesSent'),
      bytesReceived: sum('bytesReceived'),
      retransmissions: sum('retransmissions'),
      error: failure,
    });
  }

  stop(): Promise<void> {
    return this.finish(null);
  }
}
