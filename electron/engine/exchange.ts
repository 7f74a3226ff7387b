/**
 * One crafted send and what came back, the way Scapy's sr1 does it: the one code path behind
 * `handshake send` and the editor's Send button.
 *
 * A helper is started on the device with a filter for the destination (plus ARP/NDP, so the
 * link layer can be resolved), the frame goes out (with the link layer filled in from the
 * interface, the neighbour table, frames seen, or an ARP request / neighbour solicitation when
 * asked), and every reply that matches it (probe.ts) within the wait is kept, as is the local
 * kernel's RST after a crafted SYN. The opt-in remedy for that RST (a firewall rule in the
 * helper) lives exactly as long as the exchange.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FramePipeline } from '../../shared/pipeline/frame-pipeline';
import { formatIpv4, formatIpv6 } from '../../shared/wire/bytes';
import type { JsonFieldValue } from '../../shared/wire/json';
import { ipPacketOf } from '../../shared/wire/ip-packet';
import { LINKTYPE_RAW } from '../../shared/wire/linktypes';
import type { SendResult as HelperSendResult } from '../helper/protocol';
import { CaptureSession, type LiveFrame } from './capture-session';
import type { HelperLaunchOptions } from './helper-client';
import { KERNEL_RST_EXPLANATION, KERNEL_RST_REMEDIES, KernelRstWatch, probeOf, replyKind, type ReplyKind } from './probe';

/** After the first reply to a single probe, how long to keep looking for more (e.g. the kernel's RST). */
export const SETTLE_AFTER_REPLY_MS = 300;
export const DEFAULT_WAIT_MS = 2000;
/** A BPF program no frame passes: a frame that is not IP is only sent. */
const MATCH_NOTHING = 'less 1';

export interface ExchangeRequest extends HelperLaunchOptions {
  device: string;
  /** The peer's address: the capture filter admits its frames (and ICMP, ARP/NDP). Null for a frame that is not IP: sent, nothing awaited. */
  destination: string | null;
  /** The link type of the frame given when it is sent as it is (checked against the device's). */
  linkType?: number;
  /**
   * Builds the packet once the helper runs; `defaultSource` is the interface's own address of
   * the destination's family. With `fillLink` the packet starts at the IP header (raw IP);
   * otherwise it is a whole frame of the device's link type, sent as it is.
   */
  build: (defaultSource: string | undefined) => Uint8Array;
  fillLink: boolean;
  ethSrc?: string;
  ethDst?: string;
  count?: number;
  intervalMs?: number;
  rate?: number;
  waitMs?: number;
  /** Drop this host's outgoing RSTs for the probe's 4-tuple while the exchange lasts. */
  suppressKernelRst?: boolean;
  /** Where the exchange's capture is spooled; a temporary file (removed) when absent. */
  spoolPath?: string;
  onWarning?: (message: string) => void;
  /** Called with each frame the helper reports sent, as it goes (e.g. to mark it as crafted elsewhere). */
  onSent?: (bytes: Uint8Array, linkType: number) => void;
  /** Called with the firewall rule once the kernel's RSTs are suppressed, before anything is sent. */
  onSuppressed?: (rule: string) => void;
}

export interface ExchangeFrame {
  /** decode's summary line for the frame (relative numbers within the exchange). */
  line: string;
  fields: Record<string, JsonFieldValue>;
  bytes: Uint8Array;
  linkType: number;
}

export interface ExchangeReply extends ExchangeFrame {
  kind: ReplyKind;
}

export interface ExchangeOutcome {
  sent: number;
  elapsedMs: number;
  resolvedBy: HelperSendResult['resolvedBy'];
  /** The first frame as it went on the wire (link layer included). */
  sentFrame: ExchangeFrame | null;
  replies: ExchangeReply[];
  /** The local kernel's RST after the peer's SYN+ACK, when it happened (see probe.ts). */
  kernelRst: ExchangeFrame | null;
  explanation: string;
  remedies: string[];
  /** The firewall rule that suppressed the kernel's RSTs, when asked for. */
  suppressionRule: string | null;
  waitMs: number;
  /** Why the helper ended early, when it did. */
  endReason: string | null;
}

export class ExchangeUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExchangeUsageError';
  }
}

export { ipPacketOf };

/** The destination address written in an IP packet. */
export function destinationOfPacket(packet: Uint8Array): string | null {
  const version = packet[0] >> 4;
  if (version === 4 && packet.length >= 20) return formatIpv4(packet, 16);
  if (version === 6 && packet.length >= 40) return formatIpv6(packet, 24);
  return null;
}

function defaultSourceFor(addresses: Array<{ address: string; family: string }>, ipv6: boolean): string | undefined {
  const sameFamily = addresses.filter((address) => (address.family === 'IPv6') === ipv6);
  // A global address when there is one; a link-local one (without its %scope) otherwise.
  return (sameFamily.find((address) => !address.address.startsWith('fe80')) ?? sameFamily[0])?.address.split('%')[0];
}

export async function exchange(request: ExchangeRequest): Promise<ExchangeOutcome> {
  let session: CaptureSession | null = null;
  let temporaryDirectory: string | null = null;
  let ruleId: number | null = null;
  const warn = request.onWarning ?? (() => {});
  const count = request.count ?? 1;
  const waitMs = request.waitMs ?? DEFAULT_WAIT_MS;
  try {
    let spoolPath = request.spoolPath;
    if (!spoolPath) {
      temporaryDirectory = mkdtempSync(path.join(os.tmpdir(), 'handshake-send-'));
      spoolPath = path.join(temporaryDirectory, 'spool.pcapng');
    }
    const ipv6 = request.destination?.includes(':') ?? false;
    const filter = request.destination === null ? MATCH_NOTHING : ipv6 ? `host ${request.destination} or icmp6` : `host ${request.destination} or icmp or arp`;
    session = await CaptureSession.start({
      device: request.device,
      helperPath: request.helperPath,
      nodePath: request.nodePath,
      launcher: request.launcher,
      // Replies from the destination, ICMP errors about the probe, and ARP/NDP for resolving its MAC.
      filter,
      spoolPath,
      track: false,
    });
    const ownInterface = (await session.interfaces()).find((entry) => entry.name === request.device);
    const packet = request.build(defaultSourceFor(ownInterface?.addresses ?? [], ipv6));
    const packetLinkType = request.fillLink ? LINKTYPE_RAW : (request.linkType ?? session.linkType);
    if (!request.fillLink && packetLinkType !== session.linkType) {
      throw new ExchangeUsageError(`${request.device} takes link type ${session.linkType} (${session.openInfo?.linkTypeName ?? 'unknown'}); this frame is link type ${packetLinkType}`);
    }
    const probe = request.destination === null ? null : probeOf(packet, packetLinkType);
    if (!probe && (request.fillLink || request.destination !== null)) throw new ExchangeUsageError('the frame built is not an IP packet');

    // The distinct frames sent (one per frame given, so few); length first keeps the check cheap.
    const sentCopies: Uint8Array[] = [];
    const isOwnFrame = (bytes: Uint8Array) => sentCopies.some((copy) => copy.length === bytes.length && Buffer.from(copy.buffer, copy.byteOffset, copy.length).equals(bytes));
    const watch = probe && KernelRstWatch.applies(probe) ? new KernelRstWatch(probe, isOwnFrame) : null;
    // Only the frames worth keeping go through the core's pipeline, in capture order, so the
    // exchange reads as decode would show it (relative sequence numbers and all).
    const pipeline = new FramePipeline();
    const describe = (frame: LiveFrame): ExchangeFrame => {
      const processed = pipeline.process({ frameNumber: frame.number, linkType: frame.linkType, tsSeconds: frame.tsSec, tsNanos: frame.tsNsec, originalLength: frame.originalLength, data: frame.bytes });
      return { line: processed.line(), fields: processed.fields, bytes: frame.bytes.slice(), linkType: frame.linkType };
    };
    let firstSent: LiveFrame | null = null;
    let sentFrame: ExchangeFrame | null = null;
    const describeSent = (captured: LiveFrame | null) => {
      if (sentFrame) return;
      const frame = captured ?? firstSent;
      if (frame) sentFrame = describe(frame);
    };
    const replies: ExchangeReply[] = [];
    let kernelRst: ExchangeFrame | null = null;
    let firstReplyAt: number | null = null;

    session.onSent((frame) => {
      if (sentCopies.length < 16 && !isOwnFrame(frame.bytes)) sentCopies.push(frame.bytes.slice());
      firstSent ??= { ...frame, bytes: frame.bytes.slice() };
      request.onSent?.(frame.bytes, frame.linkType);
    });
    session.onFrame((frame) => {
      if (isOwnFrame(frame.bytes)) return describeSent(frame);
      const trapped = watch?.observe(frame.bytes, frame.linkType) ?? false;
      const kind = probe ? replyKind(probe, frame.bytes, frame.linkType) : null;
      if (!trapped && !kind) return;
      describeSent(null);
      const described = describe(frame);
      if (trapped) kernelRst = described;
      if (kind) {
        replies.push({ ...described, kind });
        firstReplyAt ??= Date.now();
      }
    });
    session.onWarning(warn);

    let suppressionRule: string | null = null;
    if (request.suppressKernelRst) {
      if (!watch || !probe) throw new ExchangeUsageError('suppressing the kernel\'s RST applies to a crafted TCP SYN');
      const source = probe.ipVersion === 4 ? formatIpv4(packet, 12) : formatIpv6(packet, 8);
      const destination = probe.ipVersion === 4 ? formatIpv4(packet, 16) : formatIpv6(packet, 24);
      const rule = await session.suppressKernelRst({ src: source, dst: destination, sport: probe.srcPort, dport: probe.dstPort });
      ruleId = rule.ruleId;
      suppressionRule = rule.rule;
      request.onSuppressed?.(rule.rule);
    }

    const result = await session.send({
      frames: [packet],
      link: request.fillLink ? 'fill' : 'as-is',
      count,
      intervalMs: request.intervalMs,
      rate: request.rate,
      ethSrc: request.ethSrc,
      ethDst: request.ethDst,
    });
    await new Promise<void>((resolve) => {
      const started = Date.now();
      const timer = setInterval(() => {
        const settled = count === 1 && firstReplyAt !== null && Date.now() - firstReplyAt >= SETTLE_AFTER_REPLY_MS;
        if (settled || !probe || Date.now() - started >= waitMs || session?.end) {
          clearInterval(timer);
          resolve();
        }
      }, 20);
    });
    describeSent(null);
    return {
      sent: result.sent,
      elapsedMs: result.elapsedMs,
      resolvedBy: result.resolvedBy,
      sentFrame,
      replies,
      kernelRst,
      explanation: KERNEL_RST_EXPLANATION,
      remedies: KERNEL_RST_REMEDIES,
      suppressionRule,
      waitMs,
      endReason: session.end?.reason ?? null,
    };
  } finally {
    if (ruleId !== null && session && !session.end) {
      await session.releaseKernelRst(ruleId).catch((error: unknown) => warn(`could not remove the RST rule: ${String(error)}`));
    }
    // Ending the helper also removes any rule it still holds.
    if (session && !session.end) await session.stop();
    if (temporaryDirectory) rmSync(temporaryDirectory, { recursive: true, force: true });
  }
}
