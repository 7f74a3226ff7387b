/**
 * Handshake, 0-RTT and 1-RTT packet protection from an NSS key log (RFC 9001 §5): the TLS
 * traffic secrets of the connection's client random give "quic key", "quic iv" and "quic hp"
 * for the negotiated suite (AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305); header protection is
 * AES-ECB or ChaCha20 (§5.4.3, §5.4.4); 1-RTT key updates follow the Key Phase bit with
 * "quic ku" (§6). Synchronous, over the same injected primitives as TLS record decryption.
 */
import { AEAD_KEY_LENGTH, HASH_LENGTH, hkdfExpandLabel, type TlsAead, type TlsCrypto, type TlsHash } from '../tls/crypto';
import type { KeyLog, KeyLogLabel } from '../tls/keylog';
import type { QuicPacketHeader } from './header';
import { decodePacketNumber, packetNonce, type OpenedPacket } from './protection';

export type HeaderProtectionCipher = 'aes-128-ecb' | 'aes-256-ecb' | 'chacha20';

/** TlsCrypto plus the header-protection mask: the engine gives node:crypto's. */
export interface QuicTlsCrypto extends TlsCrypto {
  /** The 16-byte header-protection sample in, at least 5 mask bytes out (RFC 9001 §5.4.1). */
  headerMask(cipher: HeaderProtectionCipher, key: Uint8Array, sample: Uint8Array): Uint8Array;
}

/** The 1-RTT key generation each side has reached, for a reader that keeps its own. */
export type KeyGenerationCursor = Record<'client' | 'server', number>;

export type ProtectedLevel = 'handshake' | '0-rtt' | '1-rtt';
export type Side = 'client' | 'server';

interface Suite {
  aead: TlsAead;
  hash: TlsHash;
  hp: HeaderProtectionCipher;
}

/** RFC 9001 §5.3: QUIC uses the TLS 1.3 suites; CCM (0x1304) has no ECB mask here, so it is not decrypted. */
const SUITES: Record<number, Suite> = {
  0x1301: { aead: 'aes-128-gcm', hash: 'sha256', hp: 'aes-128-ecb' },
  0x1302: { aead: 'aes-256-gcm', hash: 'sha384', hp: 'aes-256-ecb' },
  0x1303: { aead: 'chacha20-poly1305', hash: 'sha256', hp: 'chacha20' },
};

const SECRET_LABELS: Record<ProtectedLevel, Record<Side, KeyLogLabel | null>> = {
  handshake: { client: 'CLIENT_HANDSHAKE_TRAFFIC_SECRET', server: 'SERVER_HANDSHAKE_TRAFFIC_SECRET' },
  '0-rtt': { client: 'CLIENT_EARLY_TRAFFIC_SECRET', server: null },
  '1-rtt': { client: 'CLIENT_TRAFFIC_SECRET_0', server: 'SERVER_TRAFFIC_SECRET_0' },
};

const SAMPLE_LENGTH = 16;
const TAG_LENGTH = 16;
/** Generations of 1-RTT keys kept per side; a peer updating keys without end is not followed further. */
const MAX_KEY_UPDATES = 1024;

interface Keys {
  secret: Uint8Array;
  key: Uint8Array;
  iv: Uint8Array;
}

interface LevelKeys {
  hp: Uint8Array;
  /** Keys by generation (1-RTT key updates; one generation elsewhere). */
  generations: Keys[];
  /** Generation of the last packet opened, and its Key Phase bit. */
  current: number;
}

export class QuicPacketKeys {
  private clientRandom: string | null = null;
  private suite: number | null = null;
  private readonly levels = new Map<string, LevelKeys>();
  /** Key updates seen per side (1-RTT generations past the first). */
  readonly keyUpdates: Record<Side, number> = { client: 0, server: 0 };

  constructor(
    private readonly crypto: QuicTlsCrypto,
    private readonly keyLog: KeyLog | null,
  ) {}

  /** From the ClientHello: selects the key log's secrets. */
  setClientRandom(hex: string): void {
    this.clientRandom ??= hex;
  }

  /** From the ServerHello. */
  setCipherSuite(suite: number): void {
    if (this.suite === null) this.suite = suite;
  }

  get cipherSuite(): number | null {
    return this.suite;
  }

  /** Why packets of this level and side cannot be opened, or null when the keys are there. */
  missing(level: ProtectedLevel, side: Side): string | null {
    const keys = this.levelKeys(level, side);
    return typeof keys === 'string' ? keys : null;
  }

  private levelKeys(level: ProtectedLevel, side: Side): LevelKeys | string {
    const id = `${level}/${side}`;
    const known = this.levels.get(id);
    if (known) return known;
    const label = SECRET_LABELS[level][side];
    if (!label) return 'a server sends no 0-RTT packets';
    if (this.clientRandom === null) return 'no ClientHello seen: the client random that selects the keys is unknown';
    // 0-RTT comes before the ServerHello: its suite is the one the client's early secret was made for, most often AES-128-GCM.
    const suiteId = this.suite ?? (level === '0-rtt' ? 0x1301 : null);
    if (suiteId === null) return 'no ServerHello seen: the cipher suite is unknown';
    const suite = SUITES[suiteId];
    if (!suite) return `cipher suite 0x${suiteId.toString(16).padStart(4, '0')} is not supported for QUIC decryption`;
    if (!this.keyLog || this.keyLog.size === 0) return 'no TLS secrets: no key log given (--tls-keylog FILE) and none embedded in the file';
    const secret = this.keyLog.get(this.clientRandom, label);
    if (!secret) return `missing ${label} for client random ${this.clientRandom}`;
    if (secret.length !== HASH_LENGTH[suite.hash]) return `${label} has ${secret.length} bytes, the suite's hash needs ${HASH_LENGTH[suite.hash]}`;
    const hpLength = suite.hp === 'aes-128-ecb' ? 16 : 32;
    const keys: LevelKeys = {
      hp: hkdfExpandLabel(this.crypto, suite.hash, secret, 'quic hp', hpLength),
      generations: [this.expand(suite, secret)],
      current: 0,
    };
    this.levels.set(id, keys);
    return keys;
  }

  private expand(suite: Suite, secret: Uint8Array): Keys {
    return {
      secret,
      key: hkdfExpandLabel(this.crypto, suite.hash, secret, 'quic key', AEAD_KEY_LENGTH[suite.aead]),
      iv: hkdfExpandLabel(this.crypto, suite.hash, secret, 'quic iv', 12),
    };
  }

  /**
   * Removes header protection and decrypts one Handshake, 0-RTT or 1-RTT packet sent by `side`.
   * `largestSeen` is the largest packet number of its number space so far. A string says why not.
   * `cursor`: a reader of its own (reading a connection again) keeps its own 1-RTT generation in it
   * and leaves this object's untouched.
   */
  open(level: ProtectedLevel, side: Side, bytes: Uint8Array, packet: QuicPacketHeader, largestSeen: number, cursor?: KeyGenerationCursor): (OpenedPacket & { keyPhase: number | null }) | string {
    const keys = this.levelKeys(level, side);
    if (typeof keys === 'string') return keys;
    const suite = SUITES[this.suite ?? 0x1301];
    const pnOffset = packet.packetNumberOffset;
    if (pnOffset < 0 || pnOffset + 4 + SAMPLE_LENGTH > packet.end) return 'packet too short for a header-protection sample';
    const mask = this.crypto.headerMask(suite.hp, keys.hp, bytes.subarray(pnOffset + 4, pnOffset + 4 + SAMPLE_LENGTH));
    const short = packet.type === 'short';
    const firstByte = bytes[packet.start] ^ (mask[0] & (short ? 0x1f : 0x0f));
    const packetNumberLength = (firstByte & 0x03) + 1;
    const header = bytes.slice(packet.start, pnOffset + packetNumberLength);
    header[0] = firstByte;
    let truncated = 0;
    for (let i = 0; i < packetNumberLength; i++) {
      const index = pnOffset - packet.start + i;
      header[index] ^= mask[1 + i];
      truncated = truncated * 256 + header[index];
    }
    const payloadStart = pnOffset + packetNumberLength;
    if (packet.end - payloadStart < TAG_LENGTH) return 'packet too short for the AEAD tag';
    const packetNumber = decodePacketNumber(largestSeen, truncated, packetNumberLength);
    const ciphertext = bytes.subarray(payloadStart, packet.end);
    const keyPhase = short ? (firstByte >>> 2) & 1 : null;
    // 1-RTT: the Key Phase bit names the generation's parity; try the current one, then the next (an update), then the previous (reordering).
    const order = short ? candidateGenerations(cursor ? cursor[side] : keys.current, keyPhase!) : [0];
    for (const generation of order) {
      const generationKeys = this.generation(keys, suite, generation);
      if (!generationKeys) continue;
      const payload = this.crypto.aeadOpen(suite.aead, generationKeys.key, packetNonce(generationKeys.iv, packetNumber), header, ciphertext);
      if (!payload) continue;
      if (cursor) cursor[side] = Math.max(cursor[side], generation);
      else if (generation > keys.current) {
        keys.current = generation;
        this.keyUpdates[side] = Math.max(this.keyUpdates[side], generation);
      }
      const reservedBits = short ? (firstByte >>> 3) & 0x03 : (firstByte >>> 2) & 0x03;
      return { packetNumber, packetNumberLength, header, payload, reservedBits, keyPhase };
    }
    return `${SECRET_LABELS[level][side]} does not decrypt this packet (wrong or mismatched key log?)`;
  }

  /** The keys of a 1-RTT generation, deriving updates ("quic ku", RFC 9001 §6.1) on demand. */
  private generation(keys: LevelKeys, suite: Suite, generation: number): Keys | null {
    if (generation < 0 || generation > MAX_KEY_UPDATES) return null;
    while (keys.generations.length <= generation) {
      const previous = keys.generations[keys.generations.length - 1];
      keys.generations.push(this.expand(suite, hkdfExpandLabel(this.crypto, suite.hash, previous.secret, 'quic ku', HASH_LENGTH[suite.hash])));
    }
    return keys.generations[generation];
  }
}

function candidateGenerations(current: number, keyPhase: number): number[] {
  return (current & 1) === keyPhase ? [current, current - 2] : [current + 1, current - 1];
}
