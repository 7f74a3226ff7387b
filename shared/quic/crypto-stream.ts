/**
 * Rebuilds the start of one direction's CRYPTO stream at one encryption level from frames
 * that may arrive in any order, repeated, or spread over several packets and datagrams
 * (browsers deliberately shuffle and split their ClientHello). TLS handshake messages are
 * then framed (type, 24-bit length) and hellos handed to the shared TLS hello parser.
 */
import { mergeRange, parseHello, TlsHandshakeType, type TlsHello } from '../track/tls';

const HANDSHAKE_HEADER = 4;
/** Enough for a post-quantum ClientHello with room to spare; bytes past it are ignored. */
export const DEFAULT_CRYPTO_LIMIT = 64 * 1024;

export class CryptoStreamAssembler {
  private buffer = new Uint8Array(2048);
  /** Received [start, end) ranges, sorted and merged. */
  private ranges: number[] = [];
  private messagePos = 0;
  /** Types of the complete handshake messages seen, in stream order. */
  readonly messageTypes: number[] = [];
  hello: TlsHello | null = null;
  /** Set when a frame reached past the limit, or a message could not be parsed. */
  problem: string | null = null;
  /** Whole messages not yet taken by `takeMessages`. */
  private completed: { type: number; body: Uint8Array }[] = [];

  constructor(private readonly limit = DEFAULT_CRYPTO_LIMIT) {}

  /** Bytes available from offset 0 without a gap. */
  get contiguousLength(): number {
    return this.ranges[0] === 0 ? this.ranges[1] : 0;
  }

  /** Adds CRYPTO frame data found at stream `offset`; returns a hello if this completed one. */
  push(offset: number, data: Uint8Array): TlsHello | null {
    if (data.length === 0) return null;
    const end = Math.min(offset + data.length, this.limit);
    if (offset + data.length > this.limit) this.problem ??= `CRYPTO data beyond ${this.limit} bytes ignored`;
    if (end <= offset) return null;
    this.ensureCapacity(end);
    this.buffer.set(data.subarray(0, end - offset), offset);
    this.addRange(offset, end);
    return this.readMessages();
  }

  /** The handshake messages completed since the last call, in stream order. */
  takeMessages(): { type: number; body: Uint8Array }[] {
    const messages = this.completed;
    this.completed = [];
    return messages;
  }

  private ensureCapacity(size: number): void {
    if (size <= this.buffer.length) return;
    let capacity = this.buffer.length;
    while (capacity < size) capacity *= 2;
    const grown = new Uint8Array(Math.min(capacity, this.limit));
    grown.set(this.buffer);
    this.buffer = grown;
  }

  private addRange(start: number, end: number): void {
    this.ranges = mergeRange(this.ranges, start, end);
  }

  private readMessages(): TlsHello | null {
    const available = this.contiguousLength;
    let completed: TlsHello | null = null;
    while (this.messagePos + HANDSHAKE_HEADER <= available) {
      const pos = this.messagePos;
      const type = this.buffer[pos];
      const length = (this.buffer[pos + 1] << 16) | (this.buffer[pos + 2] << 8) | this.buffer[pos + 3];
      if (pos + HANDSHAKE_HEADER + length > available) {
        if (pos + HANDSHAKE_HEADER + length > this.limit) this.problem ??= `handshake message of ${length} bytes exceeds the ${this.limit}-byte budget`;
        break;
      }
      this.messageTypes.push(type);
      this.completed.push({ type, body: this.buffer.slice(pos + HANDSHAKE_HEADER, pos + HANDSHAKE_HEADER + length) });
      if ((type === TlsHandshakeType.CLIENT_HELLO || type === TlsHandshakeType.SERVER_HELLO) && !this.hello) {
        const hello = parseHello(type, this.buffer, pos + HANDSHAKE_HEADER, length);
        if (hello) {
          this.hello = hello;
          completed = hello;
        } else {
          this.problem ??= `malformed ${type === TlsHandshakeType.CLIENT_HELLO ? 'ClientHello' : 'ServerHello'}`;
        }
      }
      this.messagePos = pos + HANDSHAKE_HEADER + length;
    }
    return completed;
  }
}
