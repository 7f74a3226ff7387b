/**
 * QUIC beside TCP in the file commands: frames carrying QUIC long-header packets go through
 * the QUIC attempt tracker (Initial keys derived from the client's DCID, RFC 9001 §5.2), whose
 * work is asynchronous for Initials; output stays in file order by chaining frames behind pending QUIC ones.
 */
import { keepJson, type ProcessedFrame } from '../../shared/pipeline/frame-pipeline';
import { QuicAttemptTracker, quicFieldsJson, quicInfoText, type QuicPacketInfo } from '../../shared/quic';
import type { PacketSummary } from '../../shared/wire/summary';
import type { KeyLog } from '../../shared/tls/keylog';
import { formatEpoch } from '../../shared/files/timestamp';
import { createNodeQuicCrypto, createNodeQuicTlsCrypto } from '../engine/quic-crypto';

const UDP = 17;

export class OrderedQuicOutput {
  readonly tracker: QuicAttemptTracker;

  /**
   * `keyLog`: the TLS secrets that open Handshake and 1-RTT packets (the same log TLS over TCP reads).
   * `withFields`: whether the output reads frames' fields (JSON, -e, a filter) or only their columns.
   */
  constructor(
    keyLog: KeyLog | null = null,
    private readonly withFields = true,
  ) {
    this.tracker = new QuicAttemptTracker(createNodeQuicCrypto(), { keyLog, tlsCrypto: createNodeQuicTlsCrypto() });
  }
  /** Whether `frame` hands the frame to QUIC analysis (which may add keys): UDP with a payload. */
  examines(summary: PacketSummary): boolean {
    return summary.protocol === UDP && summary.payloadOffset >= 0;
  }

  private chain: Promise<void> = Promise.resolve();
  private pending = 0;

  /**
   * Hands `emit` the frame once any QUIC analysis of it is done, in file order. `summary` is the
   * pipeline's record of this frame (read synchronously here).
   */
  frame(processed: ProcessedFrame, summary: PacketSummary, bytes: Uint8Array, emit: (processed: ProcessedFrame) => void): void {
    if (this.examines(summary)) {
      const number = processed.frameNumber;
      const [seconds, nanos] = frameTime(processed);
      // Nothing waiting: a datagram that needs no Initial keys is analyzed and emitted now, without copies.
      const infos = this.pending === 0 ? this.tracker.observeFrameNow(number, seconds, nanos, summary, bytes) : null;
      if (infos !== null) {
        withQuic(processed, infos, this.withFields);
        emit(processed);
        return;
      }
      keepJson(processed);
      const copy = bytes.slice();
      const snapshot: PacketSummary = { ...summary, srcWords: summary.srcWords.slice(), dstWords: summary.dstWords.slice(), sackLeft: summary.sackLeft.slice(), sackRight: summary.sackRight.slice() };
      this.pending++;
      this.chain = this.chain
        .then(() => this.tracker.observeFrame(number, seconds, nanos, snapshot, copy))
        .then((infos) => {
          withQuic(processed, infos, this.withFields);
          emit(processed);
        })
        .finally(() => this.pending--);
      return;
    }
    if (this.pending === 0) emit(processed);
    else {
      keepJson(processed);
      this.chain = this.chain.then(() => emit(processed));
    }
  }

  /** True while frames wait behind QUIC analysis. */
  get busy(): boolean {
    return this.pending > 0;
  }

  /** Resolves when every frame has been emitted. */
  async settled(): Promise<void> {
    await this.chain;
  }
}

/** The frame's QUIC packets, if any, in its fields and columns. */
function withQuic(processed: ProcessedFrame, infos: QuicPacketInfo[], withFields: boolean): void {
  if (infos.length === 0) return;
  if (withFields) {
    Object.assign(processed.fields, quicFieldsJson(infos));
    processed.json = null; // the line is now the object's, QUIC keys included
  }
  processed.columns.protocol = infos.some((info) => info.http3.length > 0) ? 'HTTP3' : 'QUIC';
  processed.columns.info = quicInfoText(infos);
}

/** The frame's time as frame.time_epoch gives it (9 fraction digits; a reader's odd value is read back from that text, as before). */
function frameTime(processed: ProcessedFrame): [number, number] {
  const { tsSeconds, tsNanos } = processed;
  if (Number.isInteger(tsSeconds) && Number.isInteger(tsNanos) && tsNanos >= 0 && tsNanos < 1e9) return [tsSeconds, tsNanos];
  return splitEpoch(formatEpoch(tsSeconds, tsNanos));
}

function splitEpoch(text: unknown): [number, number] {
  const [seconds, fraction = '0'] = String(text).split('.');
  return [Number(seconds), Number(fraction.padEnd(9, '0').slice(0, 9))];
}
