/**
 * The engine's ConversationLink (shared/conversation/runner.ts): the capture helper sends our
 * segments and captures the peer's, filtered to the conversation's 4-tuple; the helper stays
 * the only privileged process.
 *
 * Keeping the local kernel out of the way:
 * - when it does not own the local address, the link answers ARP for that address itself
 *   (as any host would), and the kernel never sees the conversation as its own;
 * - when it does own it, the helper drops the kernel's RSTs for exactly this 4-tuple while
 *   the conversation lives (electron/helper/firewall.ts). Listening, the kernel would reset the
 *   first SYN before anyone could ask, so until the SYN names the peer the rule covers the
 *   listening address (RSTs from ADDR:PORT); then the 4-tuple's rule replaces it.
 *
 * Listening for several connections (`accept` > 1), each SYN from a new peer becomes an
 * AcceptedPeer with a channel of its own (its segments, its MAC, its 4-tuple's RST rule, removed
 * when its conversation ends); the listening address's rule stays until the last one is
 * accepted.
 */
import { writeFileSync } from 'node:fs';
import { PcapngWriter } from '../../shared/files/writer';
import type { ConversationLink, ReceivedPacket } from '../../shared/conversation/runner';
import type { PacketStep } from '../../shared/conversation/script';
import { formatIpv4, formatIpv6, parseIpv4 } from '../../shared/wire/bytes';
import { LINKTYPE_ETHERNET } from '../../shared/wire/linktypes';
import { CaptureSession, type LiveFrame } from './capture-session';
import type { HelperLaunchOptions } from './helper-client';
import type { Address } from '../../shared/conversation/runner';

export interface ConversationLinkOptions extends HelperLaunchOptions {
  device: string;
  local: Address;
  /** The peer; null to listen: the first SYN to `local` names it, and only its segments pass after. */
  remote: Address | null;
  spoolPath: string;
  onWarning?: (message: string) => void;
  /** Every frame the spool receives (captured or sent), e.g. to let a live session follow it. */
  onSpooled?: () => void;
  /** Each segment of the conversation as it went on the wire (link layer included). */
  onSentFrame?: (bytes: Uint8Array) => void;
  /** Listening: how many connections to accept (default 1: the link itself is the one conversation's). */
  accept?: number;
  /** Listening for several: a new peer's SYN, before it is handed to the peer's channel. */
  onAccept?: (peer: AcceptedPeer) => void;
}

/** What a conversation's driver (EndpointSession) needs of the wire: the link itself, or one accepted peer's share of it. */
export interface EndpointChannel {
  readonly remote: Address | null;
  readonly kernelOwnsLocal: boolean;
  readonly suppressionRule: string | null;
  readonly endReason: string | null;
  now(): number;
  interrupt(): void;
  receive(deadline: number): Promise<ReceivedPacket | null>;
  sendPackets(packets: Uint8Array[], comment: string): Promise<number>;
  close(): Promise<void>;
}

interface KeptFrame {
  tsSec: number;
  tsNsec: number;
  bytes: Uint8Array;
  comment: string;
}

/** Frames kept for -w; a conversation this long is a flood, not a script. */
const MAX_KEPT_FRAMES = 200_000;

function sameWords(bytes: Uint8Array, offset: number, address: Uint8Array): boolean {
  for (let i = 0; i < address.length; i++) if (bytes[offset + i] !== address[i]) return false;
  return true;
}

function parseMac(text: string): Uint8Array {
  return Uint8Array.from(text.split(':'), (part) => Number.parseInt(part, 16));
}

/** A conversation the link cannot hold as asked (the CLI's usage error). */
export class ConversationLinkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConversationLinkError';
  }
}

/**
 * Segments waiting for an endpoint's receive(), in arrival order. A waiting receive wakes when
 * a segment comes, when interrupt() asks (it then returns null: the caller has work of its own),
 * or at its deadline.
 */
class Inbox<T> {
  private readonly queue: T[] = [];
  private waiter: (() => void) | null = null;
  private interruptRequested = false;

  push(item: T): void {
    this.queue.push(item);
    this.wake();
  }

  interrupt(): void {
    this.interruptRequested = true;
    this.wake();
  }

  /** The next segment, or null at `deadline` (seconds on `now`'s clock), once `ended()`, or on an interrupt. */
  async next(deadline: number, now: () => number, ended: () => boolean): Promise<T | null> {
    for (;;) {
      const next = this.queue.shift();
      if (next) return next;
      const remaining = (deadline - now()) * 1000;
      if (remaining <= 0 || ended()) return null;
      if (this.interruptRequested) {
        this.interruptRequested = false;
        return null;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.waiter = null;
          resolve();
        }, remaining);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }
}

export class HelperConversationLink implements ConversationLink, EndpointChannel {
  private readonly inbox = new Inbox<ReceivedPacket & { kept: number; number: number }>();
  /** Spool frame numbers (1-based) of the segment last sent and of the peer's segment last handed to the runner. */
  lastSentNumber: number | null = null;
  lastReceivedNumber: number | null = null;
  private sentAwaitingNumber: Uint8Array | null = null;
  /** Index in `kept` of the peer frame last handed to the runner. */
  private lastHandedOut = -1;
  private readonly kept: KeptFrame[] = [];
  private ethDst: string | null = null;
  private ethSrc: string | null = null;
  private lastSent: { tsSec: number; tsNsec: number } | null = null;
  private ruleId: number | null = null;
  /** Listening on an owned address: the rule for ADDR:PORT, until the 4-tuple's replaces it. */
  private listeningRuleId: number | null = null;
  /** The 4-tuple's rule being put in place (close() waits for it). */
  private narrowing: Promise<void> | null = null;
  /** Script line of the segment being sent, for the frame comments of -w. */
  private sendingComment = '';
  kernelOwnsLocal = false;
  suppressionRule: string | null = null;
  answeredArp = 0;
  /** The peer: given, or learned from the first SYN when listening. */
  remote: Address | null;
  private remoteBytes: Uint8Array | null = null;
  /** Listening for several: the peers accepted and still held, by "address|port". */
  private readonly peers = new Map<string, AcceptedPeer>();
  /** Peers accepted so far (ended ones included). */
  accepted = 0;
  /** RST rules go in and out one at a time, in order (the listening rule leaves after the last peer's is in). */
  private ruleChain: Promise<void> = Promise.resolve();
  /** Sends go to the helper one request at a time (several peers' loops share the link). */
  private sendChain: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly session: CaptureSession,
    private readonly options: ConversationLinkOptions,
  ) {
    this.remote = options.remote;
  }

  static async open(options: ConversationLinkOptions): Promise<HelperConversationLink> {
    const { local, remote } = options;
    const ipv6 = local.address.includes(':');
    const segments = remote ? `tcp and host ${remote.address} and port ${remote.port}` : `tcp and dst host ${local.address} and dst port ${local.port}`;
    const filter = `(${segments}) or ${ipv6 ? 'icmp6' : 'arp'}`;
    const session = await CaptureSession.start({ ...options, filter, spoolPath: options.spoolPath, track: false, immediate: true });
    const link = new HelperConversationLink(session, options);
    try {
      await link.prepare();
    } catch (error) {
      await link.close();
      throw error;
    }
    return link;
  }

  private async prepare(): Promise<void> {
    const { local, remote, device } = this.options;
    const interfaces = await this.session.interfaces();
    this.kernelOwnsLocal = interfaces.some((entry) => entry.addresses.some((address) => address.address.split('%')[0] === local.address));
    this.ethSrc = interfaces.find((entry) => entry.name === device)?.mac ?? null;
    if (this.kernelOwnsLocal && !remote) {
      // The kernel would answer the peer's SYN with RST before the endpoint could.
      const rule = await this.session.suppressKernelRst({ src: local.address, sport: local.port });
      this.listeningRuleId = rule.ruleId;
      this.suppressionRule = rule.rule;
    }
    if (this.kernelOwnsLocal && remote) {
      const rule = await this.session.suppressKernelRst({ src: local.address, dst: remote.address, sport: local.port, dport: remote.port });
      this.ruleId = rule.ruleId;
      this.suppressionRule = rule.rule;
    }
    const localBytes = local.address.includes(':') ? null : parseIpv4(local.address);
    this.remoteBytes = remote && !remote.address.includes(':') ? parseIpv4(remote.address) : null;
    this.session.onFrame((frame) => {
      // The helper's report of a sent frame reaches the spool (and this listener) right after onSent.
      const sent = this.sentAwaitingNumber;
      if (sent && sent.length === frame.bytes.length && sent.every((byte, i) => byte === frame.bytes[i])) {
        this.lastSentNumber = frame.number;
        this.sentAwaitingNumber = null;
      }
      this.onFrame(frame, localBytes);
      this.options.onSpooled?.();
    });
    this.session.onSent((frame) => {
      this.options.onSpooled?.();
      // ARP of our own (introduction, answers) is not part of the conversation.
      if (!this.sendingComment) return;
      this.lastSent = { tsSec: frame.tsSec, tsNsec: frame.tsNsec };
      this.sentAwaitingNumber = frame.bytes.slice();
      this.options.onSentFrame?.(frame.bytes);
      this.keep(frame, this.sendingComment);
    });
    this.session.onWarning((message) => this.options.onWarning?.(message));
    if (!this.kernelOwnsLocal && localBytes && this.remoteBytes) await this.introduce(localBytes, this.remoteBytes);
  }

  /**
   * Asks the peer for its MAC from our (unowned) address: the peer's kernel records us as a
   * neighbour on the way, so its first answer is not held up by an ARP round of its own.
   */
  private async introduce(local: Uint8Array, remote: Uint8Array): Promise<void> {
    if (!this.ethSrc) return;
    const mac = parseMac(this.ethSrc);
    const request = new Uint8Array(42);
    request.fill(0xff, 0, 6);
    request.set(mac, 6);
    request.set([0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01], 12);
    request.set(mac, 22);
    request.set(local, 28);
    request.set(remote, 38);
    for (let attempt = 0; attempt < 3 && !this.ethDst; attempt++) {
      await this.session.send({ frames: [request], link: 'as-is' });
      const until = this.now() + 1;
      while (!this.ethDst && this.now() < until && !this.session.end) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    if (!this.ethDst) this.options.onWarning?.(`no ARP reply from ${this.remote?.address ?? 'the peer'}: is it on this link?`);
  }

  private keep(frame: LiveFrame, comment: string): void {
    if (this.kept.length < MAX_KEPT_FRAMES) this.kept.push({ tsSec: frame.tsSec, tsNsec: frame.tsNsec, bytes: frame.bytes.slice(), comment });
  }

  private onFrame(frame: LiveFrame, local: Uint8Array | null): void {
    const remote = this.remoteBytes;
    const bytes = frame.bytes;
    if (frame.linkType !== LINKTYPE_ETHERNET || bytes.length < 14) return;
    const type = (bytes[12] << 8) | bytes[13];
    if (type === 0x0806) {
      // The peer's reply to our introduction gives its MAC.
      if (bytes.length >= 42 && ((bytes[20] << 8) | bytes[21]) === 2 && remote && sameWords(bytes, 28, remote)) {
        this.ethDst ??= Array.from(bytes.subarray(22, 28), (byte) => byte.toString(16).padStart(2, '0')).join(':');
      }
      this.answerArp(bytes, local);
      return;
    }
    const ipOffset = 14;
    const packet = bytes.subarray(ipOffset);
    let ports: number;
    if (type === 0x0800) {
      if (!local || packet.length < 20 || packet[9] !== 6) return;
      if ((remote && !sameWords(packet, 12, remote)) || !sameWords(packet, 16, local)) return;
      ports = (packet[0] & 0x0f) * 4;
    } else if (type === 0x86dd) {
      if (packet.length < 44 || packet[6] !== 6) return;
      ports = 40;
    } else {
      return;
    }
    if (packet.length < ports + 14) return;
    const sourcePort = (packet[ports] << 8) | packet[ports + 1];
    if (((packet[ports + 2] << 8) | packet[ports + 3]) !== this.options.local.port) return;
    if (this.acceptsMany) {
      this.toPeer(frame, packet, type === 0x0800 ? formatIpv4(packet, 12) : formatIpv6(packet, 8), sourcePort, (packet[ports + 13] & 0x12) === 0x02);
      return;
    }
    if (this.remote) {
      if (sourcePort !== this.remote.port) return;
    } else {
      // Listening: the first SYN (without ACK) names the peer.
      if ((packet[ports + 13] & 0x12) !== 0x02) return;
      this.remote = { address: type === 0x0800 ? formatIpv4(packet, 12) : formatIpv6(packet, 8), port: sourcePort };
      if (type === 0x0800) this.remoteBytes = packet.slice(12, 16);
      if (this.listeningRuleId !== null) this.narrowing = this.narrowRule(this.remote);
    }
    this.ethDst ??= Array.from(bytes.subarray(6, 12), (byte) => byte.toString(16).padStart(2, '0')).join(':');
    this.keep(frame, 'from the peer (not in the script)');
    this.inbox.push({ packet: packet.slice(), time: frame.tsSec + frame.tsNsec / 1e9, kept: this.kept.length - 1, number: frame.number });
  }

  private get acceptsMany(): boolean {
    return this.options.remote === null && (this.options.accept ?? 1) > 1;
  }

  /** Listening for several: a known peer's segment goes to its channel; a new peer's SYN is accepted while there is room. */
  private toPeer(frame: LiveFrame, packet: Uint8Array, address: string, port: number, syn: boolean): void {
    const key = `${address}|${port}`;
    let peer = this.peers.get(key);
    if (!peer) {
      const limit = this.options.accept ?? 1;
      if (!syn || this.accepted >= limit) return;
      this.accepted++;
      const mac = Array.from(frame.bytes.subarray(6, 12), (byte) => byte.toString(16).padStart(2, '0')).join(':');
      const created = new AcceptedPeer(this, { address, port }, mac, () => this.peers.delete(key));
      peer = created;
      this.peers.set(key, created);
      if (this.kernelOwnsLocal) {
        const last = this.accepted >= limit;
        this.ruleChain = this.ruleChain.then(async () => {
          await created.protect(this.session, this.options.local);
          // The last peer's rule is in: nobody else is waited for, so the listening address's rule goes.
          if (last && this.listeningRuleId !== null) {
            const listening = this.listeningRuleId;
            this.listeningRuleId = null;
            await this.session.releaseKernelRst(listening).catch((error: unknown) => this.options.onWarning?.(`could not remove the listening RST rule: ${String(error)}`));
          }
        });
        created.protecting = this.ruleChain;
      }
      this.options.onAccept?.(created);
    }
    this.keep(frame, `from ${address}:${port}`);
    peer.push({ packet: packet.slice(), time: frame.tsSec + frame.tsNsec / 1e9 });
  }

  /** Answers "who has LOCAL?" when the kernel does not own LOCAL: our endpoint is a host of its own. */
  private answerArp(frame: Uint8Array, local: Uint8Array | null): void {
    if (this.kernelOwnsLocal || !local || !this.ethSrc || frame.length < 42) return;
    if (((frame[20] << 8) | frame[21]) !== 1 || !sameWords(frame, 38, local)) return;
    const mac = parseMac(this.ethSrc);
    const reply = new Uint8Array(42);
    reply.set(frame.subarray(6, 12), 0);
    reply.set(mac, 6);
    reply.set([0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x02], 12);
    reply.set(mac, 22);
    reply.set(local, 28);
    reply.set(frame.subarray(22, 32), 32); // the asker's MAC and IP
    this.answeredArp++;
    void this.session.send({ frames: [reply], link: 'as-is' }).catch((error: unknown) => this.options.onWarning?.(`could not answer ARP for ${this.options.local.address}: ${String(error)}`));
  }

  /** The peer is known: its 4-tuple's rule goes in first, then the listening address's comes out, so no RST slips between. */
  private async narrowRule(remote: Address): Promise<void> {
    const { local } = this.options;
    try {
      const rule = await this.session.suppressKernelRst({ src: local.address, sport: local.port, dst: remote.address, dport: remote.port });
      this.ruleId = rule.ruleId;
      this.suppressionRule = rule.rule;
      const listening = this.listeningRuleId;
      this.listeningRuleId = null;
      if (listening !== null) await this.session.releaseKernelRst(listening);
    } catch (error) {
      this.options.onWarning?.(`could not narrow the RST rule to ${remote.address}:${remote.port} (the listening address's rule stays until the end): ${String(error)}`);
    }
  }

  now(): number {
    return (performance.timeOrigin + performance.now()) / 1000;
  }

  sleepUntil(time: number): Promise<void> {
    const delay = (time - this.now()) * 1000;
    return delay <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, delay));
  }

  /** Wakes a receive() that is waiting, which then returns null (the caller has work of its own). */
  interrupt(): void {
    this.inbox.interrupt();
  }

  /** One accepted peer's conversation ended by us: the helper owes it no RST when it goes. */
  async endConversation(peer: Address): Promise<void> {
    await this.session.endConversations({ dst: peer.address, dport: peer.port }).catch(() => undefined);
  }

  /** Several packets in one helper request; resolves with the time the last one left. `ethDst`: an accepted peer's MAC. */
  sendPackets(packets: Uint8Array[], comment: string, ethDst?: string): Promise<number> {
    const sending = this.sendChain.then(() => this.sendNow(packets, comment, ethDst));
    this.sendChain = sending.catch(() => undefined);
    return sending;
  }

  private async sendNow(packets: Uint8Array[], comment: string, ethDst: string | undefined): Promise<number> {
    this.sendingComment = comment;
    this.lastSent = null;
    let result;
    try {
      result = await this.session.send({ frames: packets, link: 'fill', ethSrc: this.ethSrc ?? undefined, ethDst: ethDst ?? this.ethDst ?? undefined, conversation: true });
    } finally {
      this.sendingComment = '';
    }
    if (!ethDst) this.ethDst ??= result.ethDst;
    const sent = this.lastSent as { tsSec: number; tsNsec: number } | null;
    return sent ? sent.tsSec + sent.tsNsec / 1e9 : this.now();
  }

  async send(packet: Uint8Array, step: PacketStep | null): Promise<number> {
    this.sendingComment = step ? `script line ${step.line}: ${step.text}` : 'cleanup: RST at the end of the script';
    this.lastSent = null;
    this.lastSentNumber = null;
    let result;
    try {
      result = await this.session.send({ frames: [packet], link: 'fill', ethSrc: this.ethSrc ?? undefined, ethDst: this.ethDst ?? undefined, conversation: true });
    } finally {
      this.sendingComment = '';
    }
    this.ethDst ??= result.ethDst;
    const sent = this.lastSent as { tsSec: number; tsNsec: number } | null;
    return sent ? sent.tsSec + sent.tsNsec / 1e9 : this.now();
  }

  async receive(deadline: number): Promise<ReceivedPacket | null> {
    const next = await this.inbox.next(deadline, () => this.now(), () => this.session.end !== null);
    if (!next) return null;
    this.lastHandedOut = next.kept;
    this.lastReceivedNumber = next.number;
    return { packet: next.packet, time: next.time };
  }

  /** Why the helper ended early, when it did. */
  get endReason(): string | null {
    return this.session.end?.reason ?? null;
  }

  /** The exchange as pcapng, each frame's script line in its comment. */
  writePcapng(path: string): number {
    const chunks: Uint8Array[] = [];
    const writer = new PcapngWriter((chunk) => chunks.push(chunk.slice()), { userApplication: 'Handshake Workbench (handshake run)' });
    writer.addInterface({ linkType: LINKTYPE_ETHERNET, snaplen: 65535, name: this.options.device });
    const ordered = [...this.kept].sort((a, b) => a.tsSec - b.tsSec || a.tsNsec - b.tsNsec);
    for (const frame of ordered) writer.writeFrame({ tsSeconds: frame.tsSec, tsNanos: frame.tsNsec, data: frame.bytes, comment: frame.comment });
    writeFileSync(path, Buffer.concat(chunks));
    return ordered.length;
  }

  /** Names the script line the peer frame last handed to the runner was held against (for -w). */
  labelLastReceived(comment: string): void {
    const frame = this.kept[this.lastHandedOut];
    if (frame) frame.comment = comment;
  }

  async close(): Promise<void> {
    await this.narrowing;
    await this.ruleChain;
    for (const peer of [...this.peers.values()]) await peer.close();
    for (const ruleId of [this.ruleId, this.listeningRuleId]) {
      if (ruleId === null || this.session.end) continue;
      await this.session.releaseKernelRst(ruleId).catch((error: unknown) => this.options.onWarning?.(`could not remove the RST rule: ${String(error)}`));
    }
    this.ruleId = null;
    this.listeningRuleId = null;
    // Ended by us, not by the engine vanishing: the helper owes none of them an RST.
    if (!this.session.end) await this.session.endConversations().catch(() => undefined);
    if (!this.session.end) await this.session.stop();
  }
}

/**
 * One accepted peer's share of a listening link: its segments (in arrival order), its MAC for
 * our answers, and, when the kernel owns our address, the RST rule for exactly its 4-tuple,
 * removed when its conversation is closed (or with the link).
 */
export class AcceptedPeer implements EndpointChannel {
  private readonly inbox = new Inbox<ReceivedPacket>();
  private ruleId: number | null = null;
  private closed = false;
  suppressionRule: string | null = null;
  /** The rule being put in place (close() waits for it). */
  protecting: Promise<void> | null = null;

  constructor(
    private readonly link: HelperConversationLink,
    readonly remote: Address,
    private readonly mac: string,
    private readonly forget: () => void,
  ) {}

  get kernelOwnsLocal(): boolean {
    return this.link.kernelOwnsLocal;
  }

  get endReason(): string | null {
    return this.link.endReason;
  }

  /** Drops the kernel's RSTs for exactly this 4-tuple. */
  async protect(session: CaptureSession, local: Address): Promise<void> {
    if (this.closed) return;
    const rule = await session.suppressKernelRst({ src: local.address, sport: local.port, dst: this.remote.address, dport: this.remote.port });
    this.ruleId = rule.ruleId;
    this.suppressionRule = rule.rule;
    this.session = session;
  }

  private session: CaptureSession | null = null;

  push(packet: ReceivedPacket): void {
    if (this.closed) return;
    this.inbox.push(packet);
  }

  now(): number {
    return this.link.now();
  }

  interrupt(): void {
    this.inbox.interrupt();
  }

  receive(deadline: number): Promise<ReceivedPacket | null> {
    return this.inbox.next(deadline, () => this.now(), () => Boolean(this.link.endReason) || this.closed);
  }

  sendPackets(packets: Uint8Array[], comment: string): Promise<number> {
    return this.link.sendPackets(packets, comment, this.mac);
  }

  /** The conversation is over: its rule goes, and later segments of its 4-tuple are not its any more. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.forget();
    this.interrupt();
    await this.protecting;
    const ruleId = this.ruleId;
    this.ruleId = null;
    if (!this.link.endReason) await this.link.endConversation(this.remote);
    if (ruleId !== null && this.session && !this.link.endReason) {
      await this.session.releaseKernelRst(ruleId).catch(() => undefined);
    }
  }
}
