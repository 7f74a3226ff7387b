/**
 * Runs the user-space TCP endpoint (shared/endpoint) on a real link: the capture helper
 * captures the peer's segments (filtered to the conversation) and sends ours, the helper staying
 * the only privileged process. The link (conversation-link.ts) fills the link layer, answers ARP
 * for an address the kernel does not own, and otherwise has the helper drop the kernel's RSTs
 * for exactly this 4-tuple while the session lives (removed when it stops).
 *
 * The loop: wait for a segment or the endpoint's next timer, hand every segment that has
 * arrived to the endpoint, and send what it answers in one helper request.
 */
import { EndpointLane, endpointName, TcpEndpoint, type EndpointEvent, type EndpointOptions, type EndpointSegment, type Proposal, type SegmentReason } from '../../shared/endpoint';
import { packetOf, segmentOf } from '../../shared/endpoint/packet';
import type { Address } from '../../shared/conversation/runner';
import { TcpState } from '../../shared/track/states';
import { HelperConversationLink, type AcceptedPeer, type EndpointChannel } from './conversation-link';
import type { HelperLaunchOptions } from './helper-client';

/** What drives one conversation, whatever its channel. */
export interface ConversationOptions {
  local: Address;
  /** The peer to connect to; null to listen on `local` for one connection. */
  remote: Address | null;
  endpoint: EndpointOptions;
  /** Keep our lane's states from the endpoint for the Connections view and the ladder (the UI's endpoint). */
  lane?: boolean;
  onEvent?: (event: EndpointEvent) => void;
  /** Every segment in and out, as the endpoint saw it (time in ms on the session clock). */
  onSegment?: (direction: 'in' | 'out', segment: EndpointSegment, at: number, reason: SegmentReason | null) => void;
  /** Where an answer's time went (bench:conversation prints it): each an absolute time in ms. */
  onReplyTiming?: (timing: ReplyTiming) => void;
}

export interface EndpointSessionOptions extends HelperLaunchOptions, ConversationOptions {
  device: string;
  spoolPath: string;
  onWarning?: (message: string) => void;
  /** Every frame the spool receives (a live session follows it). */
  onSpooled?: () => void;
  /** Listening: how many connections the link accepts (more than one: each comes to `onAccept` for a session of its own). */
  accept?: number;
  onAccept?: (peer: AcceptedPeer) => void;
}

export interface ReplyTiming {
  /** The helper stamped the peer's segment on arrival. */
  arrived: number;
  /** The endpoint took it (the engine's loop). */
  handled: number;
  /** Our answer went to the helper. */
  requested: number;
  /** The helper stamped our answer as sent. */
  sent: number;
}

/** How long the loop sleeps when the endpoint has no timer (a write or close wakes it sooner). */
const IDLE_WAIT_MS = 1000;

export class EndpointSession<Channel extends EndpointChannel = HelperConversationLink> {
  readonly endpoint: TcpEndpoint;
  readonly lane: EndpointLane | null;
  private stopped = false;
  private readonly loopDone: Promise<void>;
  private loopError: unknown = null;

  private constructor(
    readonly link: Channel,
    private readonly options: ConversationOptions,
  ) {
    this.endpoint = new TcpEndpoint(options.endpoint);
    this.lane = options.lane ? new EndpointLane(endpointName(options.local.address, options.local.port), this.endpoint) : null;
    if (options.remote) this.endpoint.open();
    else this.endpoint.listen(this.now());
    this.lane?.restart();
    this.nameLaneRemote();
    this.loopDone = this.loop().catch((error: unknown) => {
      this.loopError = error;
    });
  }

  static async start(options: EndpointSessionOptions): Promise<EndpointSession> {
    const link = await HelperConversationLink.open({ ...options, onWarning: options.onWarning });
    return new EndpointSession(link, options);
  }

  /** A conversation with one peer a listening link accepted: the endpoint listens and takes its SYN. */
  static accepted(peer: AcceptedPeer, options: Omit<ConversationOptions, 'remote'>): EndpointSession<AcceptedPeer> {
    return new EndpointSession(peer, { ...options, remote: null });
  }

  /**
   * Listens on a link that accepts `accept` connections; each new peer's conversation is handed
   * to `onAccept` (make it with `accepted`). The link itself carries no conversation.
   */
  static async listenMany(options: Omit<EndpointSessionOptions, 'remote'> & { accept: number; onAccept: (peer: AcceptedPeer) => void }): Promise<HelperConversationLink> {
    return HelperConversationLink.open({ ...options, remote: null });
  }

  /** The session clock in ms (the link's, which also stamps the captured frames). */
  now(): number {
    return this.link.now() * 1000;
  }

  /** Our address and port. */
  get local(): Address {
    return this.options.local;
  }

  get remote(): Address | null {
    return this.link.remote;
  }

  /** Why the helper ended, when it did. */
  get endReason(): string | null {
    return this.link.endReason;
  }

  /** The lane's peer, once the link knows it (for listen: from its SYN). */
  private nameLaneRemote(): void {
    const remote = this.link.remote;
    if (this.lane && this.lane.remote === null && remote) this.lane.remote = endpointName(remote.address, remote.port);
  }

  write(bytes: Uint8Array): void {
    this.endpoint.write(bytes);
    this.link.interrupt();
  }

  close(how: 'fin' | 'rst'): void {
    this.endpoint.close(how, this.now());
    this.link.interrupt();
  }

  acknowledge(): void {
    this.endpoint.acknowledge();
    this.link.interrupt();
  }

  /** Step mode: what the endpoint would send now. */
  proposal(): Proposal | null {
    return this.endpoint.proposal(this.now());
  }

  /** Step mode: sends the proposal, or the caller's edited segment in its place. */
  async step(edited?: EndpointSegment): Promise<EndpointSegment | null> {
    const at = this.now();
    const proposal = this.endpoint.proposal(at);
    const segment = this.endpoint.step(at, edited);
    if (segment) await this.transmit([{ segment, reason: proposal?.reason ?? 'user' }], at);
    this.deliverEvents();
    this.link.interrupt();
    return segment;
  }

  /** Step mode: counts the proposal as sent but keeps it off the wire (as if lost on the way). */
  skip(): EndpointSegment | null {
    const segment = this.endpoint.step(this.now());
    this.deliverEvents();
    this.link.interrupt();
    return segment;
  }

  /** Resolves once `done` holds (checked after every turn of the loop), or false at the timeout. */
  async waitFor(done: (endpoint: TcpEndpoint) => boolean, timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (!done(this.endpoint)) {
      if (this.stopped || this.link.endReason || this.loopError || Date.now() >= until) return done(this.endpoint);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return true;
  }

  private deliverEvents(): void {
    for (const event of this.endpoint.takeEvents()) this.options.onEvent?.(event);
  }

  /** Resolves with the time (s) the helper stamped the last as sent, or null when nothing went. */
  private async transmit(segments: Array<{ segment: EndpointSegment; reason: SegmentReason | null }>, at: number): Promise<number | null> {
    const remote = this.link.remote;
    if (!remote || segments.length === 0) return null;
    const packets = segments.map(({ segment, reason }) => {
      this.options.onSegment?.('out', segment, at, reason);
      return packetOf(segment, this.options.local, remote);
    });
    return this.link.sendPackets(packets, `endpoint: ${[...new Set(segments.map(({ reason }) => reason ?? 'user'))].join(', ')}`);
  }

  private async loop(): Promise<void> {
    const endpoint = this.endpoint;
    while (!this.stopped && !this.link.endReason) {
      let now = this.now();
      const due: Array<{ segment: EndpointSegment; reason: SegmentReason | null }> = [];
      const collect = () => {
        if (this.options.endpoint.step) {
          endpoint.poll(now);
          return;
        }
        // poll() commits as it goes; the reasons are for the caller's log only.
        for (const segment of endpoint.poll(now)) due.push({ segment, reason: null });
      };
      collect();
      this.deliverEvents();
      if (due.length > 0) await this.transmit(due, now);
      due.length = 0;
      if (endpoint.state === TcpState.CLOSED && !this.options.endpoint.step) break;
      const deadline = endpoint.nextDeadline();
      let packet = await this.link.receive(((deadline ?? now + IDLE_WAIT_MS) + 0.05) / 1000);
      const arrived = packet ? packet.time * 1000 : null;
      const handled = this.now();
      // Everything already waiting is taken before answering, each segment answered in turn.
      while (packet) {
        now = this.now();
        const received = segmentOf(packet.packet);
        if (received && !received.badChecksum) {
          this.nameLaneRemote();
          this.options.onSegment?.('in', received.segment, now, null);
          endpoint.receive(received.segment, now);
          collect();
        }
        packet = await this.link.receive(0);
      }
      this.deliverEvents();
      if (due.length > 0) {
        const requested = this.now();
        const sent = await this.transmit(due, now);
        if (arrived !== null && sent !== null) this.options.onReplyTiming?.({ arrived, handled, requested, sent: sent * 1000 });
      }
    }
    this.deliverEvents();
  }

  /**
   * Ends a conversation the user gives up on (Stop, its session closed, the client or the engine
   * gone): a synchronized connection is reset (an RST, in step mode too), so the peer is not left
   * holding it; before the handshake and in TIME_WAIT nothing is sent. Resolves once the RST is on
   * the wire (or after `timeoutMs`); stop() then ends the helper.
   */
  async reset(timeoutMs = 2000): Promise<void> {
    const endpoint = this.endpoint;
    if (this.stopped || this.link.endReason || endpoint.state === TcpState.CLOSED || endpoint.state === TcpState.TIME_WAIT) return;
    const settled = (e: TcpEndpoint) => e.state === TcpState.CLOSED || e.state === TcpState.LISTEN || e.state === TcpState.TIME_WAIT;
    endpoint.close('rst', this.now());
    if (this.options.endpoint.step) {
      // Nobody would step the RST out: it goes now (after an owed reply RST, if any).
      for (let i = 0; i < 3 && !settled(endpoint) && endpoint.proposal(this.now()); i++) await this.step();
    } else {
      this.link.interrupt();
    }
    await this.waitFor(settled, timeoutMs);
    this.deliverEvents();
  }

  /** Ends the loop and the helper (its RST rule goes with it). Sends nothing: close() or reset() first for a FIN or RST. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.link.interrupt();
    await this.loopDone;
    await this.link.close();
    if (this.loopError) throw this.loopError;
  }

  /** The loop's end: the endpoint CLOSED, or the helper gone. */
  get finished(): Promise<void> {
    return this.loopDone;
  }
}
