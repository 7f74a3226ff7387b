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
import { NdjsonWriter } from '../../shared/ndjson/writer';
import type { JsonObject } from '../../shared/track/json';
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
  /** Where a frame's QUIC keys are written before they join its line. */
  private readonly quicKeys = new NdjsonWriter(1 << 12);
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
        this.withQuic(processed, infos);
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
          this.withQuic(processed, infos);
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

  /** The frame's QUIC packets, if any, in its fields and columns. */
  private withQuic(processed: ProcessedFrame, infos: QuicPacketInfo[]): void {
    if (infos.length === 0) return;
    if (this.withFields) {
      const quic = quicFieldsJson(infos);
      const line = processed.json;
      if (line !== null && line.length >= 3 && line[line.length - 2] === 0x7d && !mentionsReplacedKey(line)) {
        // New keys at the end, as Object.assign would add them: the line is extended, not parsed and written again.
        processed.json = this.extendedLine(line, quic);
      } else {
        Object.assign(processed.fields, quic);
        processed.json = null; // the line is now the object's, QUIC keys included
      }
    }
    processed.columns.protocol = infos.some((info) => info.http3.length > 0) ? 'HTTP3' : 'QUIC';
    processed.columns.info = quicInfoText(infos);
  }

  /** `line` ("{…}\n") with `keys`' entries after its own. */
  private extendedLine(line: Uint8Array, keys: JsonObject): Uint8Array {
    const writer = this.quicKeys;
    writer.reset();
    writer.line(keys); // "{…}\n"
    const head = line.length - 2; // up to the closing brace
    const comma = head > 1 ? 1 : 0;
    const extended = new Uint8Array(head + comma + writer.length - 1);
    extended.set(line.subarray(0, head));
    if (comma) extended[head] = 0x2c;
    extended.set(writer.bytes.subarray(1, writer.length), head + comma);
    return extended;
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

/** Keys (opening quote included) a frame's own line may hold that QUIC's keys would replace. */
const REPLACED_KEYS = ['"quic', '"http3', '"tls.', '"_ws.malformed"'].map((key) => Uint8Array.from(key, (c) => c.charCodeAt(0)));

function mentionsReplacedKey(line: Uint8Array): boolean {
  for (let i = line.indexOf(0x22); i >= 0; i = line.indexOf(0x22, i + 1)) {
    for (const key of REPLACED_KEYS) {
      let j = 1;
      while (j < key.length && line[i + j] === key[j]) j++;
      if (j === key.length) return true;
    }
  }
  return false;
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
