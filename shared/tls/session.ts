/**
 * One TCP connection's TLS, both directions: records reassembled from the byte stream (across
 * segments, several per segment; the caller's TCP tracking gives each segment's relative
 * sequence number, and shared/reassembly's TCP stream, the one cleartext HTTP and Follow use
 * too, absorbs retransmissions and reordering), decrypted with the
 * key log's secrets (TLS 1.3: RFC 8446 §7; TLS 1.2 AEAD suites: RFC 5246 §6.3, RFC 5288,
 * RFC 7905), and the handshake messages inside read. Hostile input never throws: a stream that
 * stops looking like TLS is dropped, a record that does not decrypt says why.
 */
import { AEAD_KEY_LENGTH, HASH_LENGTH, hkdfExpandLabel, tls12Prf, concatBytes, type TlsAead, type TlsCrypto, type TlsHash } from './crypto';
import { bytesToHex, type KeyLog, type KeyLogLabel } from './keylog';
import type { CertificateInfo } from './x509';
import { parseHandshakeMessage, type TlsHandshakeMessage } from './handshake';
import { StreamAssembler } from '../reassembly/tcp-stream';

export type { TlsHandshakeMessage };

export const ContentType = { CHANGE_CIPHER_SPEC: 20, ALERT: 21, HANDSHAKE: 22, APPLICATION_DATA: 23, HEARTBEAT: 24 } as const;
export const HandshakeType = {
  CLIENT_HELLO: 1,
  SERVER_HELLO: 2,
  NEW_SESSION_TICKET: 4,
  END_OF_EARLY_DATA: 5,
  ENCRYPTED_EXTENSIONS: 8,
  CERTIFICATE: 11,
  SERVER_KEY_EXCHANGE: 12,
  CERTIFICATE_REQUEST: 13,
  SERVER_HELLO_DONE: 14,
  CERTIFICATE_VERIFY: 15,
  CLIENT_KEY_EXCHANGE: 16,
  FINISHED: 20,
  KEY_UPDATE: 24,
} as const;

const RECORD_HEADER = 5;
/** TLSCiphertext may exceed 2^14 by 2048 in TLS 1.2 (RFC 5246 §6.2.3). */
const MAX_RECORD = 16384 + 2048;
/** A handshake message larger than this is not reassembled (certificate chains are far smaller). */
const MAX_HANDSHAKE = 1 << 18;
const TLS13 = 0x0304;
/** SHA-256("HelloRetryRequest"): a ServerHello with this random is a HelloRetryRequest (RFC 8446 §4.1.3). */
const HRR_RANDOM = 'cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c';

export interface TlsAlert {
  level: number;
  description: number;
}

export interface TlsRecord {
  fromClient: boolean;
  /** The record's real content type: the inner one for a decrypted TLS 1.3 record. */
  contentType: number;
  /** The type in the record header (23 for every protected TLS 1.3 record). */
  opaqueType: number;
  version: number;
  length: number;
  /** True when the record was protected. */
  encrypted: boolean;
  /** TLS 1.3 protection: the real type is inside, the header says application_data. */
  innerType: boolean;
  decrypted: boolean;
  /** Why a protected record stayed encrypted. */
  undecryptedReason: string | null;
  handshakes: TlsHandshakeMessage[];
  alerts: TlsAlert[];
  /** Decrypted (or plaintext) application data. */
  appData: Uint8Array | null;
}

interface Cipher {
  aead: TlsAead;
  key: Uint8Array;
  /** TLS 1.3 and ChaCha20: the 12-byte IV the sequence number is XORed into; TLS 1.2 GCM: the 4-byte salt. */
  iv: Uint8Array;
  /** TLS 1.3: the traffic secret, for KeyUpdate. */
  secret: Uint8Array | null;
}

interface SuiteParams {
  aead: TlsAead;
  hash: TlsHash;
  /** TLS 1.2 GCM: explicit 8-byte nonce in each record, 4-byte fixed IV. */
  explicitNonce: boolean;
}

const TLS13_SUITES: Record<number, SuiteParams> = {
  0x1301: { aead: 'aes-128-gcm', hash: 'sha256', explicitNonce: false },
  0x1302: { aead: 'aes-256-gcm', hash: 'sha384', explicitNonce: false },
  0x1303: { aead: 'chacha20-poly1305', hash: 'sha256', explicitNonce: false },
};
const TLS12_SUITES: Record<number, SuiteParams> = {
  0x009c: { aead: 'aes-128-gcm', hash: 'sha256', explicitNonce: true },
  0x009d: { aead: 'aes-256-gcm', hash: 'sha384', explicitNonce: true },
  0x009e: { aead: 'aes-128-gcm', hash: 'sha256', explicitNonce: true },
  0x009f: { aead: 'aes-256-gcm', hash: 'sha384', explicitNonce: true },
  0xc02b: { aead: 'aes-128-gcm', hash: 'sha256', explicitNonce: true },
  0xc02c: { aead: 'aes-256-gcm', hash: 'sha384', explicitNonce: true },
  0xc02f: { aead: 'aes-128-gcm', hash: 'sha256', explicitNonce: true },
  0xc030: { aead: 'aes-256-gcm', hash: 'sha384', explicitNonce: true },
  0xcca8: { aead: 'chacha20-poly1305', hash: 'sha256', explicitNonce: false },
  0xcca9: { aead: 'chacha20-poly1305', hash: 'sha256', explicitNonce: false },
  0xccaa: { aead: 'chacha20-poly1305', hash: 'sha256', explicitNonce: false },
};

/** TLS 1.3 key epochs of one direction, in the order they are used. */
type Epoch = 'early' | 'handshake' | 'application';
const EPOCH_ORDER: readonly Epoch[] = ['early', 'handshake', 'application'];
const EPOCH_LABELS: Record<'client' | 'server', Record<Epoch, KeyLogLabel | null>> = {
  client: { early: 'CLIENT_EARLY_TRAFFIC_SECRET', handshake: 'CLIENT_HANDSHAKE_TRAFFIC_SECRET', application: 'CLIENT_TRAFFIC_SECRET_0' },
  server: { early: null, handshake: 'SERVER_HANDSHAKE_TRAFFIC_SECRET', application: 'SERVER_TRAFFIC_SECRET_0' },
};

class Direction {
  /** The byte stream, in order (shared/reassembly: retransmissions dropped, reordering absorbed, gaps skipped). */
  readonly stream = new StreamAssembler((payload) => looksLikeRecordHeader(payload, 0));
  /**
   * An unfinished record: its first `partialLength` bytes, in a buffer of the record's full size
   * once its header is in (so each byte is copied once), else of the header's.
   */
  partial: Uint8Array = NO_BYTES;
  partialLength = 0;
  /** False until the stream start is found (or when a gap lost the record boundaries). */
  synced = false;
  dead = false;
  handshakeBuffer: Uint8Array = new Uint8Array(0);
  /** TLS 1.2: after this side's ChangeCipherSpec; TLS 1.3: never used. */
  changedCipher = false;
  epoch: Epoch = 'handshake';
  /** Records protected with the current keys so far (the AEAD sequence number). */
  seq = 0;
  cipher: Cipher | null = null;
  /** The cipher could not be built: why. */
  keyProblem: string | null = null;
  /** How many KeyUpdates this side has applied. */
  keyUpdates = 0;
  constructor(readonly name: 'client' | 'server') {}
}

export interface TlsConnectionSummary {
  /** true when every protected record seen was decrypted; otherwise why not (the first reason); null when no record was protected. */
  decrypted: true | string | null;
  decryptedRecords: number;
  undecryptedRecords: number;
  alpnSelected: string | null;
  certificates: CertificateInfo[];
  version: number | null;
  cipherSuite: number | null;
  clientRandom: string | null;
  alerts: { fromClient: boolean; level: number; description: number }[];
}

export class TlsConnection {
  private readonly client = new Direction('client');
  private readonly server = new Direction('server');
  private clientRandom: Uint8Array | null = null;
  /** The client random in the key log's spelling (lower-case hex). */
  private clientRandomHex = '';
  private serverRandom: Uint8Array | null = null;
  private version: number | null = null;
  private suite: number | null = null;
  private params: SuiteParams | null = null;
  private alpnSelected: string | null = null;
  private readonly certificates: CertificateInfo[] = [];
  private readonly alerts: TlsConnectionSummary['alerts'] = [];
  private decryptedRecords = 0;
  private undecryptedRecords = 0;
  private firstProblem: string | null = null;
  /** False once the stream proved not to be TLS. */
  isTls = true;
  /** Whether the last `push` held the start of a record (tshark shows the TLS layer on such frames). */
  startedRecord = false;
  /** What the current `push` completed (the shared empty array until a record completes). */
  private completed: TlsRecord[] = NO_RECORDS;

  constructor(
    private readonly crypto: TlsCrypto,
    private readonly keyLog: KeyLog | null,
    /** Where unfinished records are held: a dissector shares one among its connections. */
    private readonly buffers: RecordBuffers = new RecordBuffers(),
  ) {}

  /**
   * Adds one segment's payload; `seq` is its relative sequence number (any consistent origin).
   * Returns the records this segment completed, in stream order.
   */
  push(fromClient: boolean, seq: number, payload: Uint8Array): TlsRecord[] {
    const dir = fromClient ? this.client : this.server;
    this.startedRecord = false;
    if (dir.dead || payload.length === 0) return NO_RECORDS;
    this.completed = NO_RECORDS;
    dir.stream.push(seq, payload, fromClient ? this.deliverClient : this.deliverServer);
    const completed = this.completed;
    this.completed = NO_RECORDS;
    return completed;
  }

  /** The in-order bytes the reassembly releases (one function per direction, made once: not a closure per segment). */
  private readonly deliverClient = (bytes: Uint8Array, gap: boolean, position: number): void => this.deliver(this.client, bytes, gap, position);
  private readonly deliverServer = (bytes: Uint8Array, gap: boolean, position: number): void => this.deliver(this.server, bytes, gap, position);

  private deliver(dir: Direction, bytes: Uint8Array, gap: boolean, position: number): void {
    if (dir.dead) return;
    if (gap) {
      // A gap that never filled: continue after it, looking for a record boundary again.
      clearPartial(dir);
      dir.handshakeBuffer = new Uint8Array(0);
      dir.synced = false;
    }
    this.consume(dir, bytes, position === 0);
  }

  /** A record the current `push` completed. */
  private complete(record: TlsRecord): void {
    if (this.completed === NO_RECORDS) this.completed = [];
    this.completed.push(record);
  }

  /** `atStart`: these bytes sit at stream position 0 (a caller numbering from 0 gives the stream's first byte there). */
  private consume(dir: Direction, bytes: Uint8Array, atStart: boolean): void {
    if (dir.dead) return;
    let at = 0;
    if (dir.partialLength > 0) {
      // Finish the record these bytes continue (a stream with a partial record is synced).
      if (dir.partialLength < RECORD_HEADER) {
        at = Math.min(RECORD_HEADER - dir.partialLength, bytes.length);
        dir.partial.set(bytes.subarray(0, at), dir.partialLength);
        dir.partialLength += at;
        if (dir.partialLength < RECORD_HEADER) return;
        if (!looksLikeRecordHeader(dir.partial, 0)) {
          this.markNotTls(dir);
          return;
        }
        const whole = this.buffers.take(dir.partial[0], RECORD_HEADER + ((dir.partial[3] << 8) | dir.partial[4]));
        whole.set(dir.partial.subarray(0, RECORD_HEADER));
        dir.partial = whole;
      }
      const take = Math.min(dir.partial.length - dir.partialLength, bytes.length - at);
      dir.partial.set(bytes.subarray(at, at + take), dir.partialLength);
      dir.partialLength += take;
      at += take;
      if (dir.partialLength < dir.partial.length) return;
      const bytesOfRecord = dir.partial;
      clearPartial(dir);
      const record = this.record(dir, bytesOfRecord);
      this.complete(record);
      // A protected record's bytes are only read (decryption writes new memory): its buffer can hold the next record.
      if (record.encrypted) this.buffers.give(bytesOfRecord);
      if (dir.dead) return;
    } else if (!dir.synced) {
      // The start of a stream, or the first segment after a gap: it must begin with a record header.
      if (!looksLikeRecordHeader(bytes, 0)) {
        if (atStart || this.clientRandom === null) this.markNotTls(dir);
        return;
      }
      dir.synced = true;
    }
    for (;;) {
      if (at < bytes.length) this.startedRecord = true;
      if (bytes.length - at < RECORD_HEADER) break;
      if (!looksLikeRecordHeader(bytes, at)) {
        this.markNotTls(dir);
        return;
      }
      const length = (bytes[at + 3] << 8) | bytes[at + 4];
      if (bytes.length - at < RECORD_HEADER + length) break;
      this.complete(this.record(dir, bytes.subarray(at, at + RECORD_HEADER + length)));
      at += RECORD_HEADER + length;
    }
    if (at < bytes.length) {
      // The rest starts a record: kept (a copy: the caller's view is reused) until it is whole.
      const rest = bytes.length - at;
      const size = rest >= RECORD_HEADER ? RECORD_HEADER + ((bytes[at + 3] << 8) | bytes[at + 4]) : RECORD_HEADER;
      dir.partial = this.buffers.take(bytes[at], size);
      dir.partial.set(bytes.subarray(at));
      dir.partialLength = rest;
    }
  }

  private markNotTls(dir: Direction): void {
    dir.dead = true;
    dir.stream.clear();
    clearPartial(dir);
    if (this.clientRandom === null && this.decryptedRecords === 0) this.isTls = false;
  }

  private record(dir: Direction, bytes: Uint8Array): TlsRecord {
    const opaqueType = bytes[0];
    const version = (bytes[1] << 8) | bytes[2];
    const fragment = bytes.subarray(RECORD_HEADER);
    const record: TlsRecord = {
      fromClient: dir === this.client,
      contentType: opaqueType,
      opaqueType,
      version,
      length: fragment.length,
      encrypted: false,
      innerType: false,
      decrypted: false,
      undecryptedReason: null,
      handshakes: NO_HANDSHAKES,
      alerts: NO_ALERTS,
      appData: null,
    };
    let plaintext: Uint8Array | null = fragment;
    if (this.isProtected(dir, opaqueType)) {
      record.encrypted = true;
      record.innerType = this.version === TLS13 || (this.version === null && this.clientRandom !== null);
      const opened = this.decrypt(dir, bytes);
      if (typeof opened === 'string') {
        record.undecryptedReason = opened;
        this.undecryptedRecords++;
        this.firstProblem ??= opened;
        plaintext = null;
      } else {
        record.decrypted = true;
        this.decryptedRecords++;
        record.contentType = opened.type;
        plaintext = opened.plaintext;
      }
    }
    if (plaintext === null) return record;
    switch (record.contentType) {
      case ContentType.HANDSHAKE:
        this.handshakeBytes(dir, plaintext, record);
        break;
      case ContentType.ALERT:
        if (plaintext.length >= 2) record.alerts = [];
        for (let i = 0; i + 2 <= plaintext.length; i += 2) {
          const alert = { level: plaintext[i], description: plaintext[i + 1] };
          record.alerts.push(alert);
          this.alerts.push({ fromClient: record.fromClient, ...alert });
        }
        break;
      case ContentType.CHANGE_CIPHER_SPEC:
        if (this.version !== TLS13) {
          dir.changedCipher = true;
          dir.seq = 0;
        }
        break;
      case ContentType.APPLICATION_DATA:
        record.appData = plaintext;
        break;
    }
    return record;
  }

  private isProtected(dir: Direction, opaqueType: number): boolean {
    // Application data is never sent in the clear (and in TLS 1.3, or 0-RTT before the
    // ServerHello, every protected record says application_data); TLS 1.2 protects every
    // record after the sender's ChangeCipherSpec.
    if (opaqueType === ContentType.APPLICATION_DATA) return true;
    return this.version !== TLS13 && dir.changedCipher;
  }

  // ------------------------------------------------------------ decryption

  private decrypt(dir: Direction, record: Uint8Array): { type: number; plaintext: Uint8Array } | string {
    if (this.clientRandom === null) return 'no ClientHello seen (the capture starts after it): the client random that selects the keys is unknown';
    if (this.keyLog === null || this.keyLog.size === 0) return 'no TLS secrets: no key log given (--tls-keylog FILE) and none embedded in the file';
    if (this.version === TLS13 || this.version === null) return this.decrypt13(dir, record);
    return this.decrypt12(dir, record);
  }

  private decrypt13(dir: Direction, record: Uint8Array): { type: number; plaintext: Uint8Array } | string {
    if (this.version === null) dir.epoch = 'early';
    const params = this.version === null ? this.earlyParams() : this.params;
    if (!params) return `cipher suite 0x${(this.suite ?? 0).toString(16).padStart(4, '0')} is not supported for decryption`;
    const aad = record.subarray(0, RECORD_HEADER);
    const ciphertext = record.subarray(RECORD_HEADER);
    // The current keys first; then, in case the message that switched epochs was not seen
    // (lost, or its own keys missing), the later epochs' keys from their first record.
    let problem: string | null = null;
    for (let index = EPOCH_ORDER.indexOf(dir.epoch); index < EPOCH_ORDER.length; index++) {
      const epoch = EPOCH_ORDER[index];
      const current = epoch === dir.epoch;
      if (!current && this.version === null) break;
      let cipher = current ? dir.cipher : null;
      if (!cipher) {
        const made = this.cipher13(dir, epoch, params, current ? dir.keyUpdates : 0);
        if (typeof made === 'string') {
          problem ??= made;
          continue;
        }
        cipher = made;
        if (current) dir.cipher = made;
      }
      const seq = current ? dir.seq : 0;
      const opened = this.crypto.aeadOpen(params.aead, cipher.key, nonceFor(cipher.iv, seq), aad, ciphertext);
      if (!opened) {
        problem ??= `${EPOCH_LABELS[dir.name][epoch]} does not decrypt this record (wrong or mismatched key log?)`;
        continue;
      }
      if (!current) {
        this.setEpoch(dir, epoch);
        dir.cipher = cipher;
      }
      dir.seq++;
      let end = opened.length;
      while (end > 0 && opened[end - 1] === 0) end--;
      if (end === 0) return 'decrypted record has no content type';
      return { type: opened[end - 1], plaintext: opened.subarray(0, end - 1) };
    }
    dir.seq++; // keep the sequence in step in case the secret arrives later
    return problem ?? 'not decrypted';
  }

  private setEpoch(dir: Direction, epoch: Epoch): void {
    dir.epoch = epoch;
    dir.seq = 0;
    dir.cipher = null;
    dir.keyUpdates = 0;
  }

  /** Before the ServerHello (0-RTT), the suite is unknown: try the client's first offer. */
  private earlyParams(): SuiteParams | null {
    return this.params ?? TLS13_SUITES[0x1301];
  }

  private cipher13(dir: Direction, epoch: Epoch, params: SuiteParams, keyUpdates: number): Cipher | string {
    const label = EPOCH_LABELS[dir.name][epoch];
    if (!label) return 'the server sends no early data';
    const random = this.clientRandomHex;
    const secret = this.keyLog!.get(random, label);
    if (!secret) return `missing ${label} for client random ${random}`;
    if (secret.length !== HASH_LENGTH[params.hash]) return `${label} has ${secret.length} bytes, the suite's hash needs ${HASH_LENGTH[params.hash]}`;
    let current = secret;
    for (let i = 0; i < keyUpdates; i++) current = hkdfExpandLabel(this.crypto, params.hash, current, 'traffic upd', HASH_LENGTH[params.hash]);
    return this.trafficCipher(params, current);
  }

  private trafficCipher(params: SuiteParams, secret: Uint8Array): Cipher {
    return {
      aead: params.aead,
      key: hkdfExpandLabel(this.crypto, params.hash, secret, 'key', AEAD_KEY_LENGTH[params.aead]),
      iv: hkdfExpandLabel(this.crypto, params.hash, secret, 'iv', 12),
      secret,
    };
  }

  private decrypt12(dir: Direction, record: Uint8Array): { type: number; plaintext: Uint8Array } | string {
    const params = this.params;
    if (!params) return `cipher suite 0x${(this.suite ?? 0).toString(16).padStart(4, '0')} is not supported for decryption (AEAD suites only)`;
    const seq = dir.seq++;
    if (!dir.cipher) {
      if (dir.keyProblem) return dir.keyProblem;
      const random = this.clientRandomHex;
      const master = this.keyLog!.get(random, 'CLIENT_RANDOM');
      if (!master) return `missing CLIENT_RANDOM for client random ${random}`;
      if (!this.serverRandom) return 'no ServerHello seen: the server random is unknown';
      const keyLength = AEAD_KEY_LENGTH[params.aead];
      const ivLength = params.explicitNonce ? 4 : 12;
      const block = tls12Prf(this.crypto, params.hash, master, 'key expansion', concatBytes(this.serverRandom, this.clientRandom!), 2 * (keyLength + ivLength));
      const isClient = dir === this.client;
      const key = block.slice(isClient ? 0 : keyLength, isClient ? keyLength : 2 * keyLength);
      const ivAt = 2 * keyLength + (isClient ? 0 : ivLength);
      dir.cipher = { aead: params.aead, key, iv: block.slice(ivAt, ivAt + ivLength), secret: null };
    }
    const type = record[0];
    let nonce: Uint8Array;
    let ciphertext = record.subarray(RECORD_HEADER);
    if (params.explicitNonce) {
      if (ciphertext.length < 8 + 16) return 'record too short for its AEAD';
      nonce = concatBytes(dir.cipher.iv, ciphertext.subarray(0, 8));
      ciphertext = ciphertext.subarray(8);
    } else {
      nonce = nonceFor(dir.cipher.iv, seq);
    }
    if (ciphertext.length < 16) return 'record too short for its AEAD';
    const plainLength = ciphertext.length - 16;
    const aad = new Uint8Array(13);
    writeSeq(aad, 0, seq);
    aad[8] = type;
    aad[9] = record[1];
    aad[10] = record[2];
    aad[11] = plainLength >>> 8;
    aad[12] = plainLength & 0xff;
    const opened = this.crypto.aeadOpen(params.aead, dir.cipher.key, nonce, aad, ciphertext);
    if (!opened) return 'CLIENT_RANDOM does not decrypt this record (wrong or mismatched key log?)';
    return { type, plaintext: opened };
  }

  // ------------------------------------------------------------ handshake messages

  private handshakeBytes(dir: Direction, plaintext: Uint8Array, record: TlsRecord): void {
    let buffer = dir.handshakeBuffer.length > 0 ? concatBytes(dir.handshakeBuffer, plaintext) : plaintext;
    let at = 0;
    while (buffer.length - at >= 4) {
      const type = buffer[at];
      const length = (buffer[at + 1] << 16) | (buffer[at + 2] << 8) | buffer[at + 3];
      if (length > MAX_HANDSHAKE) {
        buffer = new Uint8Array(0);
        at = 0;
        break;
      }
      if (buffer.length - at < 4 + length) break;
      const body = buffer.subarray(at + 4, at + 4 + length);
      if (record.handshakes === NO_HANDSHAKES) record.handshakes = [];
      record.handshakes.push(this.handshakeMessage(dir, type, body));
      at += 4 + length;
    }
    dir.handshakeBuffer = at === buffer.length ? new Uint8Array(0) : buffer.slice(at);
  }

  private handshakeMessage(dir: Direction, type: number, body: Uint8Array): TlsHandshakeMessage {
    const message = parseHandshakeMessage(type, body, this.version === TLS13);
    switch (type) {
      case HandshakeType.CLIENT_HELLO:
      case HandshakeType.SERVER_HELLO: {
        const hello = message.hello;
        if (body.length >= 34) {
          const random = body.slice(2, 34);
          if (type === HandshakeType.CLIENT_HELLO) {
            if (this.clientRandom === null) {
              this.clientRandom = random; // after a HelloRetryRequest the key log still names the first random
              this.clientRandomHex = bytesToHex(random);
            }
          } else if (bytesToHex(random) !== HRR_RANDOM && hello) {
            this.serverRandom = random;
            this.version = hello.supportedVersions[0] ?? hello.legacyVersion;
            this.suite = hello.cipherSuites[0] ?? null;
            this.params = this.suite === null ? null : ((this.version === TLS13 ? TLS13_SUITES : TLS12_SUITES)[this.suite] ?? null);
            if (hello.alpn.length > 0) this.alpnSelected = hello.alpn[0];
            if (this.version === TLS13) {
              // The server's next records use its handshake keys; the client's too, unless it sent 0-RTT.
              this.setEpoch(this.server, 'handshake');
              if (this.client.epoch !== 'early' || this.client.seq === 0) this.setEpoch(this.client, 'handshake');
            }
          }
        }
        break;
      }
      case HandshakeType.ENCRYPTED_EXTENSIONS:
        if (message.alpn && message.alpn.length > 0) this.alpnSelected = message.alpn[0];
        break;
      case HandshakeType.CERTIFICATE:
        if (dir === this.server) for (const certificate of message.certificates ?? []) this.certificates.push(certificate.info);
        break;
      case HandshakeType.FINISHED:
        // TLS 1.3: this side's next records use its application traffic keys.
        if (this.version === TLS13) this.setEpoch(dir, 'application');
        break;
      case HandshakeType.END_OF_EARLY_DATA:
        if (this.version === TLS13) this.setEpoch(dir, 'handshake');
        break;
      case HandshakeType.KEY_UPDATE:
        if (this.version === TLS13) this.keyUpdate(dir);
        break;
    }
    return message;
  }

  /** RFC 8446 §7.2: the sender's next records use application_traffic_secret_N+1. */
  private keyUpdate(dir: Direction): void {
    const params = this.params;
    dir.keyUpdates++;
    dir.seq = 0;
    if (dir.cipher?.secret && params) {
      const next = hkdfExpandLabel(this.crypto, params.hash, dir.cipher.secret, 'traffic upd', HASH_LENGTH[params.hash]);
      dir.cipher = this.trafficCipher(params, next);
    } else {
      dir.cipher = null;
    }
  }

  get negotiatedVersion(): number | null {
    return this.version;
  }

  summary(): TlsConnectionSummary {
    const anyProtected = this.decryptedRecords + this.undecryptedRecords > 0;
    return {
      decrypted: !anyProtected ? null : this.undecryptedRecords === 0 ? true : (this.firstProblem ?? 'not decrypted'),
      decryptedRecords: this.decryptedRecords,
      undecryptedRecords: this.undecryptedRecords,
      alpnSelected: this.alpnSelected,
      certificates: this.certificates.slice(),
      version: this.version,
      cipherSuite: this.suite,
      clientRandom: this.clientRandom ? this.clientRandomHex : null,
      alerts: this.alerts.slice(),
    };
  }
}

const NO_BYTES = new Uint8Array(0);
/** The largest record a stream may hold (`looksLikeRecordHeader` refuses longer ones). */
const RECORD_CAPACITY = RECORD_HEADER + MAX_RECORD;
/** Smaller unfinished records get a buffer of their own size. */
const POOLED_SIZE = 4096;

/**
 * Buffers for records that span segments, each of the largest record's size, passed from a
 * finished protected record to the next unfinished one (of any connection): a record is copied
 * once, into memory that is not allocated and zeroed again for each record.
 */
export class RecordBuffers {
  private readonly free: ArrayBuffer[] = [];

  /**
   * Room for a record of `size` bytes whose header says `type`. Only large application_data
   * records (always protected) are pooled: a clear record's messages may keep views of its
   * bytes, and a small record is not worth a whole buffer.
   */
  take(type: number, size: number): Uint8Array {
    if (type !== ContentType.APPLICATION_DATA || size < POOLED_SIZE) return new Uint8Array(size);
    return new Uint8Array(this.free.pop() ?? new ArrayBuffer(RECORD_CAPACITY), 0, size);
  }

  /** Only a buffer `take` gave, whose bytes nothing reads any more. */
  give(bytes: Uint8Array): void {
    if (bytes.buffer.byteLength === RECORD_CAPACITY && this.free.length < 8) this.free.push(bytes.buffer as ArrayBuffer);
  }
}
/**
 * Shared empty arrays (most segments complete no record, most records hold no handshake or
 * alert): callers read what `push` returns and never add to it.
 */
export const NO_RECORDS: TlsRecord[] = [];
const NO_HANDSHAKES: TlsHandshakeMessage[] = [];
const NO_ALERTS: TlsAlert[] = [];

function clearPartial(dir: Direction): void {
  dir.partial = NO_BYTES;
  dir.partialLength = 0;
}

function looksLikeRecordHeader(data: Uint8Array, at: number): boolean {
  if (data.length - at < 3) return data[at] >= 20 && data[at] <= 24; // judge what there is
  const type = data[at];
  if (type < 20 || type > 24 || data[at + 1] !== 3 || data[at + 2] > 4) return false;
  if (data.length - at < RECORD_HEADER) return true;
  return ((data[at + 3] << 8) | data[at + 4]) <= MAX_RECORD;
}

function writeSeq(out: Uint8Array, at: number, seq: number): void {
  const high = Math.floor(seq / 0x100000000);
  const low = seq >>> 0;
  out[at] = 0;
  out[at + 1] = 0;
  out[at + 2] = (high >>> 8) & 0xff;
  out[at + 3] = high & 0xff;
  out[at + 4] = low >>> 24;
  out[at + 5] = (low >>> 16) & 0xff;
  out[at + 6] = (low >>> 8) & 0xff;
  out[at + 7] = low & 0xff;
}

/** The per-record nonce: the IV XOR the 64-bit sequence number, left-padded (RFC 8446 §5.3, RFC 7905 §2). */
function nonceFor(iv: Uint8Array, seq: number): Uint8Array {
  const nonce = new Uint8Array(iv.length);
  writeSeq(nonce, iv.length - 8, seq);
  for (let i = 0; i < iv.length; i++) nonce[i] ^= iv[i];
  return nonce;
}

