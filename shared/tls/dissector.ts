/**
 * TLS over every TCP connection of a capture, keyed by the tracker's `tcp.stream`: feed each
 * TCP segment in capture order; get back the TLS records it completed.
 */
import type { TlsCrypto } from './crypto';
import type { KeyLog } from './keylog';
import { NO_RECORDS, RecordBuffers, TlsConnection, type TlsConnectionSummary, type TlsRecord } from './session';
import { StreamSet } from '../track/stream-set';

/** Connections above this count are dropped oldest first (a long live capture). */
const DEFAULT_MAX_CONNECTIONS = 100_000;

export class TlsDissector {
  private readonly connections = new Map<number, TlsConnection>();
  /** Whether the last segment belonged to a TLS stream (even when it completed no record). */
  lastInStream = false;
  /** Streams known not to be TLS (a bit each: most streams of a capture). */
  private readonly notTls = new StreamSet();
  private readonly recordBuffers = new RecordBuffers();

  constructor(
    private readonly crypto: TlsCrypto,
    /** Secrets; may grow while frames arrive (a key log followed during capture). */
    readonly keyLog: KeyLog | null,
    private readonly maxConnections = DEFAULT_MAX_CONNECTIONS,
  ) {}

  /** Whether the stream is known not to be TLS: its later segments need not be handed over. */
  skips(stream: number): boolean {
    return this.notTls.has(stream);
  }

  /** One TCP segment's payload, with its relative sequence number (`tcp.seq`). */
  segment(stream: number, fromClient: boolean, seq: number, payload: Uint8Array): TlsRecord[] {
    this.lastInStream = false;
    if (payload.length === 0 || this.notTls.has(stream)) return NO_RECORDS;
    let connection = this.connections.get(stream);
    if (!connection) {
      // A TLS stream's bytes start with a record header: content type 20-24, version 3.x.
      if (payload[0] < 20 || payload[0] > 24 || (payload.length > 1 && payload[1] !== 3)) {
        this.notTls.add(stream);
        return NO_RECORDS;
      }
      if (this.connections.size >= this.maxConnections) {
        const oldest = this.connections.keys().next().value;
        if (oldest !== undefined) this.connections.delete(oldest);
      }
      connection = new TlsConnection(this.crypto, this.keyLog, this.recordBuffers);
      this.connections.set(stream, connection);
    }
    const records = connection.push(fromClient, seq, payload);
    if (!connection.isTls) {
      this.connections.delete(stream);
      this.notTls.add(stream);
      return records;
    }
    this.lastInStream = records.length > 0 || connection.startedRecord;
    return records;
  }

  /** Whether the stream is followed as TLS (its application data then comes decrypted, not as TCP payload). */
  isTlsStream(stream: number): boolean {
    return this.connections.has(stream);
  }

  summary(stream: number): TlsConnectionSummary | null {
    return this.connections.get(stream)?.summary() ?? null;
  }

  /** The negotiated version (0x0304 for TLS 1.3), or null before a ServerHello. */
  versionOf(stream: number): number | null {
    return this.connections.get(stream)?.negotiatedVersion ?? null;
  }

  streams(): IterableIterator<number> {
    return this.connections.keys();
  }
}
