/**
 * QUIC beside TCP in the file commands: frames carrying QUIC long-header packets go through
 * the QUIC attempt tracker (Initial keys derived from the client's DCID, RFC 9001 §5.2), whose
 * work is asynchronous for Initials; output stays in file order by chaining frames behind pending QUIC ones.
 */
import { keepJson, type ProcessedFrame } from '../../shared/pipeline/frame-pipeline';
import { QuicAttemptTracker, quicFieldsJson, quicInfoText, type QuicPacketInfo } from '../../shared/quic';
import type { PacketSummary } from '../../shared/wire/summary';
import type { KeyLog } from '../../shared/tls/keylog';
import { createNodeQuicCrypto, createNodeQuicTlsCrypto } from '../engine/quic-crypto';

const UDP = 17;

export class OrderedQuicOutput {
  readonly tracker: QuicAttemptTracker;

  /** `keyLog`: the TLS secrets that open Handshake and 1-RTT packets (the same log TLS over TCP reads). */
  constructor(keyLog: KeyLog | null = null) {
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
    // Only UDP frames read the frame's object (a pipeline writing JSON lines builds it on demand).
    const number = this.examines(summary) ? processed.fields['frame.number'] : undefined;
    if (typeof number === 'number') {
      const [seconds, nanos] = splitEpoch(processed.fields['frame.time_epoch']);
      // Nothing waiting: a datagram that needs no Initial keys is analyzed and emitted now, without copies.
      const infos = this.pending === 0 ? this.tracker.observeFrameNow(number, seconds, nanos, summary, bytes) : null;
      if (infos !== null) {
        withQuic(processed, infos);
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
          withQuic(processed, infos);
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
function withQuic(processed: ProcessedFrame, infos: QuicPacketInfo[]): void {
  if (infos.length === 0) return;
  Object.assign(processed.fields, quicFieldsJson(infos));
  processed.json = null; // the line is now the object's, QUIC keys included
  processed.columns.protocol = infos.some((info) => info.http3.length > 0) ? 'HTTP3' : 'QUIC';
  processed.columns.info = quicInfoText(infos);
}

function splitEpoch(text: unknown): [number, number] {
  const [seconds, fraction = '0'] = String(text).split('.');
  return [Number(seconds), Number(fraction.padEnd(9, '0').slice(0, 9))];
}
