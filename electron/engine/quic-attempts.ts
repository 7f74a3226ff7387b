/**
 * QUIC connection attempts of a session, for the connections view: every UDP frame the
 * session indexes is offered to shared/quic's attempt tracker (Initial keys from the client's
 * DCID, RFC 9001 §5.2, through node:crypto). The tracker's work is asynchronous, so a query
 * first waits for the frames queued so far.
 */
import type { QuicAttemptRow } from '../../shared/api';
import type { CaptureFrame } from '../../shared/files';
import { QuicAttemptTracker, quicVersionName, type QuicAttempt } from '../../shared/quic';
import { summarizeAt } from '../../shared/wire/summarize';
import { createPacketSummary } from '../../shared/wire/summary';
import type { FrameIndex } from './frame-index';
import { createNodeQuicCrypto } from './quic-crypto';

const UDP = 17;
/** The contract bounds strings and lists; a hostile hello must not make the list unsendable. */
const MAX_TEXT = 255;
const MAX_ALPN = 64;

const clip = (text: string) => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text);

/** "198.18.0.1:443" or "[2001:db8::1]:443" (cli.md's endpoint form) → address and port. */
function splitEndpoint(endpoint: string): { address: string; port: string; v6: boolean } {
  const colon = endpoint.lastIndexOf(':');
  const host = endpoint.slice(0, colon);
  const v6 = host.startsWith('[');
  return { address: v6 ? host.slice(1, -1) : host, port: endpoint.slice(colon + 1), v6 };
}

/** Wireshark's UDP conversation filter for the two endpoints. */
export function udpConversationFilter(a: string, b: string): string {
  return [a, b]
    .map(splitEndpoint)
    .map((end) => `${end.v6 ? 'ipv6.addr' : 'ip.addr'} == ${end.address} && udp.port == ${end.port}`)
    .join(' && ');
}

export class SessionQuicAttempts {
  private readonly tracker = new QuicAttemptTracker(createNodeQuicCrypto());
  private readonly summary = createPacketSummary();

  /** Called for every indexed frame, after the index knows its protocol; only UDP is looked at. */
  ingest(i: number, frame: CaptureFrame, index: FrameIndex): void {
    if (index.protocol[i] !== UDP) return;
    summarizeAt(frame.buffer, frame.bufferOffset, frame.capturedLength, frame.linkType, this.summary, frame.originalLength);
    const bytes = frame.buffer.subarray(frame.bufferOffset, frame.bufferOffset + frame.capturedLength);
    this.tracker.queueFrame(i + 1, frame.tsSeconds, frame.tsNanos, this.summary, bytes);
  }

  /** The attempts seen in the frames indexed so far, in order of first appearance. */
  async rows(index: FrameIndex): Promise<QuicAttemptRow[]> {
    await this.tracker.settled();
    return this.tracker.attempts().map((attempt) => toRow(attempt, index));
  }
}

function toRow(attempt: QuicAttempt, index: FrameIndex): QuicAttemptRow {
  const hello = attempt.clientHello;
  const packets = Object.values(attempt.packets).reduce((sum, n) => sum + n, 0);
  const time = (frameNumber: number) => (frameNumber - 1 < index.count ? index.relativeTime(frameNumber - 1) : 0);
  return {
    id: attempt.id,
    client: attempt.client,
    server: attempt.server,
    directionGuessed: attempt.directionGuessed,
    version: quicVersionName(attempt.version),
    dcid: attempt.originalDcid,
    sni: hello && hello.serverName !== null ? clip(hello.serverName) : null,
    alpn: (hello?.alpn ?? []).slice(0, MAX_ALPN).map(clip),
    packets,
    initials: attempt.packets.initial,
    // Retry and Version Negotiation come only from servers; a server SCID only from its Initial or Handshake.
    serverAnswered: attempt.serverScid !== null || attempt.retry !== null || attempt.versionNegotiation !== null || attempt.serverHello !== null,
    start: time(attempt.firstFrame),
    end: time(attempt.lastFrame),
    firstFrame: attempt.firstFrame - 1,
    lastFrame: attempt.lastFrame - 1,
    filter: udpConversationFilter(attempt.client, attempt.server),
  };
}
