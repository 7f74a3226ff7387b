/**
 * `analyze --json` writes each connection straight into bytes (writeConnectionJson). Its lines
 * must be exactly what JSON.stringify gives for the connection object that the other tests
 * check against tshark (connectionToJson), on connections of every shape the tracker makes.
 * The same for `decode --json`'s per-frame tracking keys (FrameAnalysisKeyWriter against
 * frameAnalysisToKeys).
 */
import { describe, expect, it } from 'vitest';
import { NdjsonWriter } from '../../../shared/ndjson/writer';
import { Analysis, connectionToJson, frameAnalysisToKeys, Tracker, writeConnectionJson, type ConnectionSummary, type JsonObject } from '../../../shared/track';
import { FrameAnalysisKeyWriter } from '../../../shared/track/json';
import type { FrameAnalysis } from '../../../shared/track/types';
import { createPacketSummary, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from '../../../shared/wire/summary';
import { decodeUtf8 } from '../../../shared/files/utf8';
import { Conversation, tempFile, trackFile, writeCapture } from './scenario';

function written(c: ConnectionSummary, tls?: JsonObject, http?: JsonObject): string {
  const writer = new NdjsonWriter(64);
  writeConnectionJson(writer, c, tls, http);
  return decodeUtf8(writer.bytes, 0, writer.length);
}

function expected(c: ConnectionSummary, tls?: JsonObject, http?: JsonObject): string {
  const json = connectionToJson(c);
  if (tls !== undefined) json.tls = tls;
  if (http !== undefined) json.http = http;
  return `${JSON.stringify(json)}\n`;
}

/** Random segments between a few IPv4 and IPv6 endpoints: every state, flag mix, and the cap's partial summaries. */
function randomConnections(onFrame?: (fa: FrameAnalysis) => void): ConnectionSummary[] {
  let seed = 7;
  const random = (n: number): number => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed % n;
  };
  const tracker = new Tracker({ maxConnections: 16 });
  const s = createPacketSummary();
  const flagsPool = [TCP_SYN, TCP_SYN | TCP_ACK, TCP_ACK, TCP_ACK | TCP_PSH, TCP_FIN | TCP_ACK, TCP_RST, TCP_RST | TCP_ACK, TCP_SYN | TCP_FIN, 0];
  const frame = new Uint8Array(200).map(() => random(256));
  for (let i = 1; i <= 20000; i++) {
    const v6 = random(2) === 0;
    const fromClient = random(2) === 0;
    const port = 50000 + random(12);
    s.ipVersion = v6 ? 6 : 4;
    s.protocol = 6;
    s.transportOffset = 34;
    s.tcpHeaderLength = 20;
    s.fragment = false;
    const a = [0x20010db8, 0, 0, 1];
    const b = v6 ? [0x20010db8, 0, random(3), 0xffff0002] : [0xc6120002, 0, 0, 0];
    if (!v6) a[0] = 0xc6120001;
    for (let w = 0; w < 4; w++) {
      s.srcWords[w] = fromClient ? a[w] : b[w];
      s.dstWords[w] = fromClient ? b[w] : a[w];
    }
    s.srcPort = fromClient ? port : 443;
    s.dstPort = fromClient ? 443 : port;
    s.tcpFlags = flagsPool[random(flagsPool.length)];
    s.seq = random(2) ? random(4000) : 0xffffff00 + random(512);
    s.ack = random(4000);
    s.payloadLength = random(3) === 0 ? random(3000) : 0;
    s.payloadOffset = 54;
    s.networkOffset = 14;
    s.windowScale = random(20) - 3;
    s.window = random(3) === 0 ? 0 : random(65536);
    const fa = tracker.track(i, 1_700_000_000 + (i >> 4), random(1e9), s, frame, random(10) === 0);
    if (fa && onFrame) onFrame(fa);
  }
  tracker.finish();
  return tracker.connections();
}

describe('writeConnectionJson', () => {
  it('writes JSON.stringify(connectionToJson(c)) for random connections, with and without tls and http parts', () => {
    const connections = randomConnections();
    expect(connections.length).toBeGreaterThan(100);
    const tls: JsonObject = { sni: 'caf\u00e9.example "quoted"', decrypted: null, certificates: [], alerts: [{ from: 'server', level: 'fatal', description: 'x\ny' }] };
    const http: JsonObject = { version: 'HTTP/1.1', requests: [{ method: 'GET', path: '/\u2603', status: 200 }] };
    for (const c of connections) {
      expect(written(c)).toBe(expected(c));
      expect(written(c, tls, http)).toBe(expected(c, tls, http));
    }
  });

  it('writes a whole lifecycle, a refused attempt and a TLS hello the same way', () => {
    const frames: Conversation['frames'] = [];
    const hello = Uint8Array.from([0x16, 0x03, 0x01, 0x00, 0x2d, 0x01, 0x00, 0x00, 0x29, 0x03, 0x03, ...new Uint8Array(32), 0x00, 0x00, 0x02, 0x13, 0x01, 0x01, 0x00]);
    new Conversation({ address: '198.18.0.1', port: 40000, isn: 1000 }, { address: '198.18.0.2', port: 443, isn: 5000 }, frames)
      .send('c', 'S').send('s', 'SA').send('c', 'A').send('c', 'PA', { payload: hello }).send('s', 'A')
      .send('c', 'FA').send('s', 'FA').send('c', 'A');
    new Conversation({ address: '2001:db8::1', port: 40001, isn: 1 }, { address: '2001:db8::2', port: 80, isn: 2 }, frames, 5e8).send('c', 'S').send('s', 'RA');
    const { connections } = trackFile(writeCapture(frames, tempFile('writer.pcapng')));
    expect(connections).toHaveLength(2);
    for (const c of connections) expect(written(c)).toBe(expected(c));
  });
});

/** What FrameAnalysisKeyWriter writes for `fa` in an object that has `preset` already, or null when it refuses. */
function keysWritten(writer: NdjsonWriter, keys: FrameAnalysisKeyWriter, fa: FrameAnalysis, preset?: string): string | null {
  writer.reset();
  writer.begin();
  if (preset !== undefined) writer.field(preset, 1);
  if (!keys.write(fa)) return null;
  writer.end();
  return decodeUtf8(writer.bytes, 0, writer.length);
}

describe('FrameAnalysisKeyWriter', () => {
  it("writes frameAnalysisToKeys' keys, in order, with the same values, for every frame of random and lossy connections", () => {
    const writer = new NdjsonWriter(64);
    const keys = new FrameAnalysisKeyWriter(writer);
    let frames = 0;
    let refused = 0;
    const seen = new Set<string>();
    const check = (fa: FrameAnalysis): void => {
      if (fa.tls !== null) return; // frames with TLS hello keys are written from the object
      const object = frameAnalysisToKeys(fa);
      expect(keysWritten(writer, keys, fa)).toBe(`${JSON.stringify(object)}\n`);
      for (const key in object) seen.add(key);
      frames++;
      // A key the object has already (a decoded layer wrote it): refused, the pipeline then writes the frame from its object.
      if (fa.analysis & Analysis.DUPLICATE_ACK) {
        expect(keysWritten(writer, keys, fa, 'tcp.analysis.duplicate_ack_frame')).toBeNull();
        refused++;
      }
    };
    randomConnections(check);
    // Loss, duplicate ACKs, retransmissions and reordering (as analysis.test.ts checks against tshark).
    const c = new Conversation({ address: '198.18.1.1', port: 45000, isn: 3_000_000 }, { address: '198.18.1.2', port: 8080, isn: 9_000_000 });
    c.send('c', 'S').send('s', 'SA').send('c', 'A');
    const s1 = c.nextSeq('c');
    const data = new Uint8Array(100).fill(0x61);
    c.send('c', 'PA', { payload: data }).send('c', 'PA', { payload: data, seq: s1 + 200 });
    for (let i = 0; i < 4; i++) c.send('s', 'A', { ack: s1 + 100, dt: 0.002 });
    c.send('c', 'PA', { payload: data, seq: s1 + 100, dt: 0.005 }).send('s', 'A', { ack: s1 + 300 });
    c.send('c', 'PA', { payload: data, seq: s1 + 300 }).send('c', 'PA', { payload: data, seq: s1 + 300, dt: 1 }).send('s', 'A', { ack: s1 + 400 });
    trackFile(writeCapture(c.frames, tempFile('key-writer.pcapng')), {}, check);
    expect(frames).toBeGreaterThan(10000);
    expect(refused).toBeGreaterThan(0);
    // Every optional key was reached.
    for (const key of ['tcp.analysis.flags', 'tcp.analysis.duplicate_ack_num', 'tcp.analysis.acks_frame', 'tcp.analysis.ack_rtt', 'tcp.analysis.initial_rtt', 'tcp.analysis.bytes_in_flight', 'tcp.analysis.push_bytes_sent']) expect(seen).toContain(key);
  });
});
