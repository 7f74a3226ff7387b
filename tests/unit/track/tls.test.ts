/**
 * TLS hellos: messages built by Scapy (an independent encoder), split across TCP segments
 * and TLS records, delivered out of order and retransmitted; fields cross-checked with tshark.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { mergeRange, parseHello, TlsStreamCollector } from '../../../shared/track/tls';
import { Conversation, HAS_TSHARK, tempFile, trackFile, tshark, writeCapture } from './scenario';

const HAS_SCAPY = spawnSync('/usr/bin/python3', ['-c', 'import scapy.layers.tls.all'], { encoding: 'utf8' }).status === 0;

/** Handshake messages (type, length, body) from Scapy, as bytes. */
function scapyHellos(): { client: Uint8Array; server: Uint8Array } {
  const script = `
from scapy.all import raw
from scapy.layers.tls.all import *
ch = TLSClientHello(ciphers=[0x1301, 0x1302, 0xc02f], ext=[
  TLS_Ext_ServerName(servernames=[ServerName(servername=b'www.example.test')]),
  TLS_Ext_ALPN(protocols=[ProtocolName(protocol=b'h2'), ProtocolName(protocol=b'http/1.1')]),
  TLS_Ext_SupportedVersion_CH(versions=[0x0304, 0x0303])])
sh = TLSServerHello(version=0x0303, cipher=0x1301, ext=[
  TLS_Ext_SupportedVersion_SH(version=0x0304),
  TLS_Ext_ALPN(protocols=[ProtocolName(protocol=b'h2')])])
print(raw(ch).hex()); print(raw(sh).hex())`;
  const [client, server] = execFileSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' }).trim().split('\n');
  return { client: Buffer.from(client, 'hex'), server: Buffer.from(server, 'hex') };
}

function record(type: number, fragment: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + fragment.length);
  out.set([type, 3, 1, fragment.length >> 8, fragment.length & 0xff]);
  out.set(fragment, 5);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, at), (at += p.length);
  return out;
}

describe.skipIf(!HAS_SCAPY)('TLS hellos', () => {
  it('a ClientHello split across records and segments, out of order and retransmitted; a ServerHello with TLS 1.3 selected', () => {
    const { client, server } = scapyHellos();
    // The ClientHello message spans two TLS records; the records span three segments.
    const clientStream = concat(record(22, client.subarray(0, 40)), record(22, client.subarray(40)));
    const pieces = [clientStream.subarray(0, 3), clientStream.subarray(3, 60), clientStream.subarray(60)];
    const serverStream = concat(record(22, server), record(20, new Uint8Array([1])), record(23, new Uint8Array(40).fill(0xee)));
    const c = new Conversation({ address: '198.18.3.1', port: 50123, isn: 77 }, { address: '198.18.3.2', port: 443, isn: 4_000_000_000 });
    c.send('c', 'S').send('s', 'SA').send('c', 'A');
    const base = c.nextSeq('c');
    c.send('c', 'PA', { payload: pieces[0] }) // 4
      .send('c', 'PA', { payload: pieces[2], seq: base + 60 }) // 5: ahead of the missing middle
      .send('c', 'PA', { payload: pieces[1], seq: base + 3, dt: 0.001 }) // 6: completes the hello
      .send('c', 'PA', { payload: pieces[1], seq: base + 3, dt: 0.5 }) // 7: retransmission, nothing new
      .send('s', 'PA', { payload: serverStream }); // 8
    const file = writeCapture(c.frames, tempFile('tls.pcapng'));
    const t = trackFile(file);
    expect(t.json[0].tls).toEqual({
      sni: 'www.example.test',
      alpn_offered: ['h2', 'http/1.1'],
      alpn_selected: 'h2',
      versions_offered: ['TLS 1.3', 'TLS 1.2'],
      version_selected: 'TLS 1.3',
      cipher_selected: 'TLS_AES_128_GCM_SHA256',
    });
    expect(t.keys[5]).toMatchObject({
      'tls.handshake.type': [1],
      'tls.handshake.extensions_server_name': 'www.example.test',
      'tls.handshake.extensions_alpn_str': ['h2', 'http/1.1'],
      'tls.handshake.extensions.supported_version': [0x0304, 0x0303],
      'tls.handshake.ciphersuite': [0x1301, 0x1302, 0xc02f],
    });
    expect(t.keys[6]?.['tls.handshake.type']).toBeUndefined();
    expect(t.keys[7]).toMatchObject({ 'tls.handshake.type': [2], 'tls.handshake.ciphersuite': [0x1301], 'tls.handshake.extensions.supported_version': [0x0304] });
    if (HAS_TSHARK) {
      // tshark reassembles the same hellos (out-of-order reassembly is off by default in 4.0); it
      // must report them on the same frames with the same values.
      const fields = ['frame.number', 'tls.handshake.type', 'tls.handshake.extensions_server_name', 'tls.handshake.extensions_alpn_str', 'tls.handshake.extensions.supported_version', 'tls.handshake.ciphersuite'];
      const rows = tshark(file, fields, true, ['tcp.reassemble_out_of_order:TRUE']).filter((r) => r['tls.handshake.type'] !== '');
      expect(rows.map((r) => r['frame.number'])).toEqual(['6', '8']);
      const clientRow = rows.find((r) => r['tls.handshake.type'] === '1');
      const serverRow = rows.find((r) => r['tls.handshake.type'] === '2');
      expect(clientRow?.['tls.handshake.extensions_server_name']).toBe('www.example.test');
      expect(clientRow?.['tls.handshake.extensions_alpn_str']).toBe('h2,http/1.1');
      expect(clientRow?.['tls.handshake.extensions.supported_version']).toBe('0x0304,0x0303');
      expect(clientRow?.['tls.handshake.ciphersuite']).toBe('0x1301,0x1302,0xc02f');
      expect(serverRow?.['tls.handshake.ciphersuite']).toBe('0x1301');
      expect(serverRow?.['tls.handshake.extensions.supported_version']).toBe('0x0304');
    }
  });

  it('a ClientHello carried in a TCP Fast Open SYN: its data starts one after the ISN', () => {
    const { client } = scapyHellos();
    const c = new Conversation({ address: '198.18.3.5', port: 50200, isn: 0xfffffffe }, { address: '198.18.3.6', port: 443, isn: 9 });
    c.send('c', 'S', { payload: record(22, client), options: [{ kind: 'tfo', cookie: new Uint8Array(8).fill(7) }] }).send('s', 'SA').send('c', 'A');
    const t = trackFile(writeCapture(c.frames, tempFile('tfo-tls.pcapng')));
    expect(t.connections[0].handshake.synWithData).toBe(true);
    expect(t.keys[0]?.['tls.handshake.extensions_server_name']).toBe('www.example.test');
    expect((t.json[0].tls as Record<string, unknown>).sni).toBe('www.example.test');
  });

  it('hostile bytes never throw: mutated hellos and random streams', () => {
    const { client } = scapyHellos();
    let seed = 12345;
    const random = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (let i = 0; i < 3000; i++) {
      const bytes = record(22, client).slice();
      for (let m = 0; m < 1 + random(6); m++) bytes[random(bytes.length)] = random(256);
      const cut = bytes.subarray(0, random(bytes.length + 1));
      expect(() => parseHello(1, cut, 9, cut.length - 9)).not.toThrow();
      const collector = new TlsStreamCollector(256);
      expect(() => {
        for (let at = 0; at < cut.length; at += 7) collector.push(at, cut, at, Math.min(at + 7, cut.length));
        collector.push(random(1000) - 500, cut, 0, cut.length);
      }).not.toThrow();
    }
  });

  it('gives up on a stream that is not TLS and on a hello larger than its budget', () => {
    const http = new TextEncoder().encode('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const notTls = new TlsStreamCollector(1024);
    expect(notTls.push(0, http, 0, http.length)).toBeNull();
    expect(notTls.finished).toBe(true);
    const { client } = scapyHellos();
    const small = new TlsStreamCollector(32);
    const stream = record(22, client);
    small.push(0, stream, 0, stream.length);
    expect(small.finished).toBe(true);
    expect(small.hello).toBeNull();
  });
});

describe('byte-range bookkeeping of stream reassembly', () => {
  it('mergeRange keeps exactly the bytes received, as sorted disjoint ranges (random arrival orders)', () => {
    let seed = 12345;
    const random = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (let round = 0; round < 300; round++) {
      const received = new Uint8Array(200);
      let ranges: number[] = [];
      for (let k = 0; k < 1 + random(12); k++) {
        const start = random(190);
        const end = start + 1 + random(200 - start);
        ranges = mergeRange(ranges, start, end);
        received.fill(1, start, end);
      }
      // The same set of bytes, from the ranges …
      const covered = new Uint8Array(200);
      for (let i = 0; i < ranges.length; i += 2) covered.fill(1, ranges[i], ranges[i + 1]);
      expect(covered).toEqual(received);
      // … as ranges that are sorted, non-empty, and neither overlap nor touch.
      for (let i = 0; i < ranges.length; i += 2) {
        expect(ranges[i]).toBeLessThan(ranges[i + 1]);
        if (i > 0) expect(ranges[i]).toBeGreaterThan(ranges[i - 1]);
      }
    }
  });
});
