/**
 * The TLS key schedule and record protection against published vectors: RFC 8448 §3 (a
 * TLS 1.3 1-RTT handshake trace: traffic secrets, their keys and IVs, and complete records)
 * and the TLS 1.2 P_SHA256 vector from the IETF TLS list (msg03416). Plus the key-log reader.
 */
import { describe, expect, it } from 'vitest';
import { createNodeTlsCrypto } from '../../../electron/engine/tls-crypto';
import { bytesToHex, hexToBytes, hkdfExpandLabel, KeyLog, tls12Prf, TlsConnection, type TlsRecord } from '../../../shared/tls';

const crypto = createNodeTlsCrypto();

// RFC 8448 §3 "Simple 1-RTT Handshake".
const CLIENT_RANDOM = 'cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7';
const SERVER_HS_SECRET = 'b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38';
const CLIENT_HS_SECRET = 'b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21';
const CLIENT_APP_SECRET = '9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5';
const SERVER_APP_SECRET = 'a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643';
const CLIENT_APP_RECORD =
  '1703030043a23f7054b62c94d0affafe8228ba55cbefacea42f914aa66bcab3f2b9819a8a5b46b395bd54a9a20441e2b62974e1f5a6292a2977014bd1e3deae63aeebb21694915e4';
const CLIENT_ALERT_RECORD = '1703030013c9872760655666b74d7ff1153efd6db6d0b0e3';
const APP_PAYLOAD = Array.from({ length: 50 }, (_, i) => i);

describe('RFC 8448 key schedule', () => {
  it('expands the traffic secrets into the trace’s keys and IVs', () => {
    const hex = (secret: string, label: string, length: number) => bytesToHex(hkdfExpandLabel(crypto, 'sha256', hexToBytes(secret), label, length));
    expect(hex(SERVER_HS_SECRET, 'key', 16)).toBe('3fce516009c21727d0f2e4e86ee403bc');
    expect(hex(SERVER_HS_SECRET, 'iv', 12)).toBe('5d313eb2671276ee13000b30');
    expect(hex(CLIENT_HS_SECRET, 'iv', 12)).toBe('5bd3c71b836e0b76bb73265f');
    expect(hex(CLIENT_APP_SECRET, 'key', 16)).toBe('17422dda596ed5d9acd890e3c63f5051');
    expect(hex(CLIENT_APP_SECRET, 'iv', 12)).toBe('5b78923dee08579033e523d9');
    expect(hex(SERVER_HS_SECRET, 'finished', 32)).toBe('008d3b66f816ea559f96b537e885c31fc068bf492c652f01f288a1d8cdc19fc8');
  });

  it('TLS 1.2 PRF (P_SHA256) gives the published output', () => {
    const out = tls12Prf(crypto, 'sha256', hexToBytes('9bbe436ba940f017b17652849a71db35'), 'test label', hexToBytes('a0ba9f936cda311827a6f796ffd5198c'), 100);
    expect(bytesToHex(out)).toBe(
      'e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66',
    );
  });
});

/** A minimal ClientHello carrying `random`, and a TLS 1.3 ServerHello choosing TLS_AES_128_GCM_SHA256. */
function hellos(random: string): { clientHello: Uint8Array; serverHello: Uint8Array } {
  const record = (type: number, body: number[]) => Uint8Array.from([0x16, 3, 1, 0, body.length + 4, type, 0, (body.length >> 8) & 0xff, body.length & 0xff, ...body].map((v, i) => (i === 3 ? (body.length + 4) >> 8 : i === 4 ? (body.length + 4) & 0xff : v)));
  const ch = [3, 3, ...hexToBytes(random), 0, 0, 2, 0x13, 0x01, 1, 0, 0, 7, 0, 43, 0, 3, 2, 3, 4];
  const sh = [3, 3, ...new Array<number>(32).fill(7), 0, 0x13, 0x01, 0, 0, 6, 0, 43, 0, 2, 3, 4];
  return { clientHello: record(1, ch), serverHello: record(2, sh) };
}

describe('TLS 1.3 records of the RFC 8448 trace', () => {
  it('opens the client’s application data and close_notify with CLIENT_TRAFFIC_SECRET_0', () => {
    const keys = KeyLog.parse(`CLIENT_TRAFFIC_SECRET_0 ${CLIENT_RANDOM} ${CLIENT_APP_SECRET}\nSERVER_TRAFFIC_SECRET_0 ${CLIENT_RANDOM} ${SERVER_APP_SECRET}\n`);
    const tls = new TlsConnection(crypto, keys);
    const { clientHello, serverHello } = hellos(CLIENT_RANDOM);
    tls.push(true, 1, clientHello);
    tls.push(false, 1, serverHello);
    // Both records in one segment, split across two pushes at an odd place.
    const stream = hexToBytes(CLIENT_APP_RECORD + CLIENT_ALERT_RECORD);
    const first = tls.push(true, 1 + clientHello.length, stream.subarray(0, 30));
    expect(first).toEqual([]);
    const records = tls.push(true, 1 + clientHello.length + 30, stream.subarray(30));
    expect(records.map((r) => [r.opaqueType, r.contentType, r.decrypted])).toEqual([
      [23, 23, true],
      [23, 21, true],
    ]);
    expect([...records[0].appData!]).toEqual(APP_PAYLOAD);
    expect(records[1].alerts).toEqual([{ level: 1, description: 0 }]);
    // The handshake secrets were not given: the records it would have needed were skipped, not guessed.
    expect(tls.summary().decrypted).toBe(true);
  });

  it('reassembles the records from segments cut anywhere (inside a header, a body, at a boundary), in one, two or three pieces', () => {
    const keys = KeyLog.parse(`CLIENT_TRAFFIC_SECRET_0 ${CLIENT_RANDOM} ${CLIENT_APP_SECRET}\n`);
    const stream = hexToBytes(CLIENT_APP_RECORD + CLIENT_ALERT_RECORD);
    const { clientHello, serverHello } = hellos(CLIENT_RANDOM);
    for (let first = 0; first <= stream.length; first++) {
      for (let second = first; second <= stream.length; second += first % 7 === 0 ? 1 : 5) {
        const tls = new TlsConnection(crypto, keys);
        tls.push(true, 1, clientHello);
        tls.push(false, 1, serverHello);
        const records = [];
        for (const [from, to] of [[0, first], [first, second], [second, stream.length]]) {
          if (to > from) records.push(...tls.push(true, 1 + clientHello.length + from, stream.subarray(from, to)));
        }
        expect(records.map((r) => [r.length, r.contentType, r.decrypted]), `cut at ${first}, ${second}`).toEqual([
          [0x43, 23, true],
          [0x13, 21, true],
        ]);
        expect([...records[0].appData!]).toEqual(APP_PAYLOAD);
        expect(records[1].alerts).toEqual([{ level: 1, description: 0 }]);
      }
    }
  });

  it('never throws on hostile streams cut anywhere, and reads them cut as it reads them whole', () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const keys = KeyLog.parse(`CLIENT_TRAFFIC_SECRET_0 ${CLIENT_RANDOM} ${CLIENT_APP_SECRET}\n`);
    const { clientHello, serverHello } = hellos(CLIENT_RANDOM);
    for (let trial = 0; trial < 300; trial++) {
      // Record-looking headers with random lengths and bodies, sometimes a damaged byte anywhere.
      const pieces: number[] = [];
      for (let r = random(6); r >= 0; r--) {
        const length = random(3) === 0 ? random(0x4900) : random(300);
        pieces.push(20 + random(5), 3, random(5), length >> 8, length & 0xff);
        for (let i = 0; i < length; i++) pieces.push(random(256));
      }
      const stream = Uint8Array.from(pieces);
      if (random(2) === 0 && stream.length > 0) stream[random(stream.length)] = random(256);
      const open = () => {
        const tls = new TlsConnection(crypto, keys);
        if (trial % 2 === 0) {
          tls.push(true, 1, clientHello);
          tls.push(false, 1, serverHello);
        }
        return tls;
      };
      const base = trial % 2 === 0 ? 1 + clientHello.length : 1;
      const summarize = (r: TlsRecord) => [r.opaqueType, r.contentType, r.length, r.encrypted, r.decrypted, r.undecryptedReason, r.alerts, r.handshakes.map((h) => h.type)];
      const whole = open().push(true, base, stream.slice()).map(summarize);
      const tls = open();
      const cut: unknown[] = [];
      // Each piece comes in one reused buffer, scribbled over after the push, as a capture reader's would.
      const scratch = new Uint8Array(2000);
      for (let at = 0; at < stream.length; ) {
        const size = Math.min(1 + random(2000), stream.length - at);
        scratch.set(stream.subarray(at, at + size));
        const records = tls.push(true, base + at, scratch.subarray(0, size));
        const described = records.map(summarize);
        scratch.fill(0xee);
        expect(records.map(summarize)).toEqual(described);
        for (const record of records) {
          expect(record.length).toBeLessThanOrEqual(16384 + 2048);
          if (record.encrypted) expect(record.decrypted).toBe(false); // random bytes never pass the tag
        }
        cut.push(...described);
        at += size;
      }
      expect(cut, `trial ${trial}`).toEqual(whole);
    }
  });

  it('gives a stream up whose header, completed across segments, is not TLS', () => {
    const tls = new TlsConnection(crypto, KeyLog.parse(''));
    // A plaintext alert record, then three bytes of a header and two that finish it claiming 0xffff bytes (above 2^14 + 2048).
    expect(tls.push(false, 1, Uint8Array.of(21, 3, 3, 0, 2, 1, 0)).map((r) => r.alerts)).toEqual([[{ level: 1, description: 0 }]]);
    expect(tls.push(false, 8, Uint8Array.of(23, 3, 3))).toEqual([]);
    expect(tls.isTls).toBe(true);
    expect(tls.push(false, 11, Uint8Array.of(0xff, 0xff, 1, 2, 3))).toEqual([]);
    expect(tls.isTls).toBe(false);
  });

  it('names the missing secret when the key log lacks it, and a wrong secret as not decrypting', () => {
    const { clientHello, serverHello } = hellos(CLIENT_RANDOM);
    const missing = new TlsConnection(crypto, KeyLog.parse(`SERVER_TRAFFIC_SECRET_0 ${CLIENT_RANDOM} ${SERVER_APP_SECRET}\n`));
    missing.push(true, 1, clientHello);
    missing.push(false, 1, serverHello);
    const [record] = missing.push(true, 1 + clientHello.length, hexToBytes(CLIENT_APP_RECORD));
    expect(record.decrypted).toBe(false);
    expect(record.undecryptedReason).toBe(`missing CLIENT_HANDSHAKE_TRAFFIC_SECRET for client random ${CLIENT_RANDOM}`);

    const wrong = new TlsConnection(crypto, KeyLog.parse(`CLIENT_TRAFFIC_SECRET_0 ${CLIENT_RANDOM} ${SERVER_APP_SECRET}\n`));
    wrong.push(true, 1, clientHello);
    wrong.push(false, 1, serverHello);
    const [bad] = wrong.push(true, 1 + clientHello.length, hexToBytes(CLIENT_APP_RECORD));
    expect(bad.decrypted).toBe(false);
    expect(wrong.summary().decrypted).toMatch(/missing CLIENT_HANDSHAKE_TRAFFIC_SECRET|does not decrypt/);
  });

  it('without a ClientHello says the client random is unknown', () => {
    const tls = new TlsConnection(crypto, KeyLog.parse(''));
    const [record] = tls.push(true, 1000, hexToBytes(CLIENT_APP_RECORD));
    expect(record.undecryptedReason).toMatch(/no ClientHello seen/);
  });
});

describe('KeyLog', () => {
  it('reads every NSS label and counts comments, blanks and bad lines', () => {
    const random = 'ab'.repeat(32);
    const text = [
      '# SSL/TLS secrets log file',
      '',
      `CLIENT_RANDOM ${random} ${'11'.repeat(48)}`,
      `CLIENT_EARLY_TRAFFIC_SECRET ${random} ${'01'.repeat(32)}`,
      `CLIENT_HANDSHAKE_TRAFFIC_SECRET ${random} ${'02'.repeat(32)}`,
      `SERVER_HANDSHAKE_TRAFFIC_SECRET ${random} ${'03'.repeat(48)}`,
      `CLIENT_TRAFFIC_SECRET_0 ${random} ${'04'.repeat(32)}`,
      `SERVER_TRAFFIC_SECRET_0 ${random} ${'05'.repeat(32)}`,
      `EXPORTER_SECRET ${random} ${'06'.repeat(32)}`,
      `EARLY_EXPORTER_SECRET ${random} ${'07'.repeat(32)}`,
      `CLIENT_RANDOM ${random.slice(2)} ${'11'.repeat(48)}`, // short random
      'CLIENT_RANDOM nothex nothex',
      `RSA ${'aa'.repeat(8)} ${'bb'.repeat(48)}`,
      `CLIENT_TRAFFIC_SECRET_0 ${random} ${'04'.repeat(32)}`, // repeated
      `SERVER_TRAFFIC_SECRET_0 ${random.toUpperCase()} ${'05'.repeat(32)}\r`,
    ].join('\n');
    const log = KeyLog.parse(text);
    expect(log.counts).toEqual({ secrets: 8, clients: 1, comments: 1, blank: 1, bad: 2, unknownLabels: 1 });
    expect(bytesToHex(log.get(random, 'SERVER_HANDSHAKE_TRAFFIC_SECRET')!)).toBe('03'.repeat(48));
    expect(log.get(random, 'EARLY_EXPORTER_SECRET')).toBeDefined();
  });

  it('reads tabs, runs of spaces and upper-case hex as single spaces do, and counts a repeated line once even after another secret came between', () => {
    const random = 'ef'.repeat(32);
    const other = '12'.repeat(32);
    const text = [
      `CLIENT_HANDSHAKE_TRAFFIC_SECRET\t${random}\t${'0A'.repeat(32)}`,
      `SERVER_HANDSHAKE_TRAFFIC_SECRET  ${random.toUpperCase()}   ${'0b'.repeat(32)}`,
      `CLIENT_TRAFFIC_SECRET_0 ${random} ${'01'.repeat(32)}`,
      `CLIENT_TRAFFIC_SECRET_0 ${random} ${'02'.repeat(32)}`, // replaces the secret above
      `CLIENT_TRAFFIC_SECRET_0 ${random} ${'01'.repeat(32)}`, // seen before: ignored, the second stays
      `CLIENT_TRAFFIC_SECRET_0 ${random} ${'02'.repeat(32)}`, // the current one again: ignored
      `SERVER_TRAFFIC_SECRET_0 ${other} ${'0g'.repeat(32)}`, // not hex
      `SERVER_TRAFFIC_SECRET_0 ${other} ${'03'.repeat(40)}`, // 40 bytes: no suite's hash
      `CLIENT_RANDOM ${other} ${'04'.repeat(32)}`, // a master secret is 48 bytes
      `FUTURE_SECRET ${other} ${'05'.repeat(32)}`,
      `SERVER_TRAFFIC_SECRET_0 ${other}`,
    ].join('\n');
    const log = KeyLog.parse(text);
    expect(log.counts).toEqual({ secrets: 4, clients: 1, comments: 0, blank: 0, bad: 4, unknownLabels: 1 });
    expect(bytesToHex(log.get(random, 'CLIENT_HANDSHAKE_TRAFFIC_SECRET')!)).toBe('0a'.repeat(32));
    expect(bytesToHex(log.get(random, 'SERVER_HANDSHAKE_TRAFFIC_SECRET')!)).toBe('0b'.repeat(32));
    expect(bytesToHex(log.get(random, 'CLIENT_TRAFFIC_SECRET_0')!)).toBe('02'.repeat(32));
    expect(log.has(other)).toBe(false);
  });

  it('takes appended text line by line, holding a cut line until it is complete', () => {
    const random = 'cd'.repeat(32);
    const log = new KeyLog();
    const line = `CLIENT_RANDOM ${random} ${'22'.repeat(48)}\n`;
    log.append(line.slice(0, 40));
    expect(log.size).toBe(0);
    log.append(line.slice(40));
    expect(log.size).toBe(1);
    expect(log.counts.bad).toBe(0);
  });
});
