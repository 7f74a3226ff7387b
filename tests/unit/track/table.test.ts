/**
 * The flow table's bounds (cap, eviction, summaries kept or handed over), the output shapes
 * of cli.md, the text ladder, and robustness against hostile segment sequences.
 */
import { describe, expect, it } from 'vitest';
import { createPacketSummary, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, type PacketSummary } from '../../../shared/wire/summary';
import { connectionToJson, renderConnection, TCP_STATE_NAMES, Tracker, type ConnectionSummary } from '../../../shared/track';
import { Conversation, tempFile, trackFile, writeCapture } from './scenario';

function segment(s: PacketSummary, src: number, dst: number, sport: number, dport: number, flags: number, seq: number, ack: number, payload = 0): PacketSummary {
  s.ipVersion = 4;
  s.protocol = 6;
  s.transportOffset = 34;
  s.tcpHeaderLength = 20;
  s.fragment = false;
  s.srcWords[0] = src;
  s.dstWords[0] = dst;
  s.srcPort = sport;
  s.dstPort = dport;
  s.tcpFlags = flags;
  s.seq = seq >>> 0;
  s.ack = ack >>> 0;
  s.window = 1000;
  s.windowScale = -1;
  s.payloadOffset = 54;
  s.payloadLength = payload;
  return s;
}

const FRAME = new Uint8Array(1514);
const CLIENT = 0xc6120001; // 198.18.0.1
const SERVER = 0xc6120002;

/** A full short connection on client port `port`, starting at `t` seconds. */
function connection(tracker: Tracker, s: PacketSummary, frame: number, port: number, t: number, serverPort = 80): number {
  const sp = serverPort;
  tracker.track(frame++, t, 0, segment(s, CLIENT, SERVER, port, sp, TCP_SYN, 100, 0), FRAME, false);
  tracker.track(frame++, t, 1000, segment(s, SERVER, CLIENT, sp, port, TCP_SYN | TCP_ACK, 500, 101), FRAME, false);
  tracker.track(frame++, t, 2000, segment(s, CLIENT, SERVER, port, sp, TCP_ACK, 101, 501), FRAME, false);
  tracker.track(frame++, t, 3000, segment(s, CLIENT, SERVER, port, sp, TCP_FIN | TCP_ACK, 101, 501), FRAME, false);
  tracker.track(frame++, t, 4000, segment(s, SERVER, CLIENT, sp, port, TCP_FIN | TCP_ACK, 501, 102), FRAME, false);
  tracker.track(frame++, t, 5000, segment(s, CLIENT, SERVER, port, sp, TCP_ACK, 102, 502), FRAME, false);
  return frame;
}

describe('flow table bounds', () => {
  it('at the cap, evicts the least recently active connection, marks it partial (x) and keeps its summary', () => {
    const tracker = new Tracker({ maxConnections: 3 });
    const s = createPacketSummary();
    let frame = 1;
    // Five connections opened, none closed: the first two must make room.
    for (let i = 0; i < 5; i++) {
      tracker.track(frame++, 100 + i, 0, segment(s, CLIENT, SERVER, 40000 + i, 80, TCP_SYN, 1, 0), FRAME, false);
    }
    expect(tracker.stats()).toMatchObject({ connections: 5, active: 3, capEvictions: 2 });
    const all = tracker.connections();
    expect(all.map((c) => c.stream)).toEqual([0, 1, 2, 3, 4]);
    expect(all.map((c) => c.partial)).toEqual([true, true, false, false, false]);
    expect(all[0].history).toBe('Sx');
    // The evicted tuple coming back is a new stream: nothing is merged into the wrong connection.
    tracker.track(frame++, 106, 0, segment(s, SERVER, CLIENT, 80, 40000, TCP_SYN | TCP_ACK, 9, 2), FRAME, false);
    expect(tracker.stats().connections).toBe(6);
  });

  it('keeps every connection intact while its storage grows past the initial 65,536 rows (fourfold, on demand)', () => {
    // An MSL of 60 s keeps every sampled connection's TIME_WAIT running at the end, so all compare alike.
    const tracker = new Tracker({ mslSeconds: 60 });
    const s = createPacketSummary();
    // One handshake left open across the growth, finished once 70,000 other connections exist.
    tracker.track(1, 100, 0, segment(s, CLIENT, SERVER, 9999, 443, TCP_SYN, 7000, 0), FRAME, false);
    tracker.track(2, 100, 1000, segment(s, SERVER, CLIENT, 443, 9999, TCP_SYN | TCP_ACK, 9000, 7001), FRAME, false);
    let frame = 3;
    for (let i = 0; i < 70000; i++) frame = connection(tracker, s, frame, 10000 + (i % 50000), 200 + (i >> 10), i < 50000 ? 80 : 8080);
    tracker.track(frame, 300, 0, segment(s, CLIENT, SERVER, 9999, 443, TCP_ACK, 7001, 9001), FRAME, false);
    tracker.finish();
    expect(tracker.stats()).toMatchObject({ connections: 70001, active: 70001, capEvictions: 0 });
    const all = tracker.connections();
    expect(all[0]).toMatchObject({ stream: 0, history: 'ShA', handshake: expect.objectContaining({ complete: true, synAckAcksIsn: true, finalAckAcksIsn: true }) });
    expect(all[0].finalState).toEqual({ client: 'ESTABLISHED', server: 'ESTABLISHED' });
    expect(all[0].handshake.frames).toEqual([1, 2, frame]);
    const reference = all[1];
    // A sample, dense around the first growth (slot 65,535 is the last of the initial rows).
    for (let i = 1; i < all.length; i += i > 65500 && i < 65600 ? 1 : 97) {
      const c = all[i];
      expect(c.stream).toBe(i);
      expect(c.client.port).toBe(10000 + ((i - 1) % 50000));
      expect(c.server.port).toBe(i - 1 < 50000 ? 80 : 8080);
      expect(c.history).toBe(reference.history);
      expect(c.finalState).toEqual(reference.finalState);
      const shifted = (records: { state: string; frame: number | null }[]) => records.map((r) => `${r.state}@${r.frame === null ? '-' : r.frame + (i - 1) * 6}`);
      expect(c.states.client.map((r) => `${r.state}@${r.frame ?? '-'}`)).toEqual(shifted(reference.states.client));
      expect(c.states.server.map((r) => `${r.state}@${r.frame ?? '-'}`)).toEqual(shifted(reference.states.server));
      expect(c.handshake.frames).toEqual(reference.handshake.frames.map((f) => f + (i - 1) * 6));
    }
  });

  it('with onEvict, hands over closed connections after closedTimeoutSeconds and idle ones after idleTimeoutSeconds', () => {
    const evicted: ConnectionSummary[] = [];
    const tracker = new Tracker({ onEvict: (c) => evicted.push(c), closedTimeoutSeconds: 5, idleTimeoutSeconds: 60, mslSeconds: 1 });
    const s = createPacketSummary();
    let frame = connection(tracker, s, 1, 41000, 1000); // closes at t=1000; client TIME_WAIT ends at 1002
    tracker.track(frame++, 1000, 9000, segment(s, CLIENT, SERVER, 41001, 80, TCP_SYN, 7, 0), FRAME, false); // left unanswered
    tracker.track(frame++, 1004, 0, segment(s, CLIENT, SERVER, 41002, 80, TCP_SYN, 7, 0), FRAME, false);
    expect(evicted).toEqual([]);
    tracker.track(frame++, 1010, 0, segment(s, CLIENT, SERVER, 41003, 80, TCP_SYN, 7, 0), FRAME, false);
    expect(evicted.map((c) => c.client.port)).toEqual([41000]);
    expect(evicted[0].finalState).toEqual({ client: 'CLOSED', server: 'CLOSED' });
    tracker.track(frame++, 1065, 0, segment(s, CLIENT, SERVER, 41004, 80, TCP_SYN, 7, 0), FRAME, false);
    expect(evicted.map((c) => c.client.port)).toEqual([41000, 41001, 41002]);
    expect(tracker.stats()).toMatchObject({ evicted: 3, active: 2 });
    // Handed-over connections are not kept: memory stays bounded.
    expect(tracker.connections().map((c) => c.client.port)).toEqual([41003, 41004]);
  });
});

describe('output shapes', () => {
  it('connection objects carry exactly the keys of cli.md, in its order', () => {
    const c = new Conversation({ address: '198.18.5.1', port: 40000, isn: 1 }, { address: '198.18.5.2', port: 443, isn: 2 });
    c.send('c', 'S').send('s', 'SA').send('c', 'A').send('c', 'FA').send('s', 'FA').send('c', 'A');
    const t = trackFile(writeCapture(c.frames, tempFile('shape.pcap'), 'pcap'));
    const json = t.json[0];
    expect(Object.keys(json)).toEqual(['type', 'tcp.stream', 'client', 'server', 'community_id', 'start', 'end', 'frames', 'bytes', 'conn_state', 'history', 'completeness', 'handshake', 'teardown', 'states', 'final_state', 'counts']);
    expect(Object.keys(json.handshake as object)).toEqual(['kind', 'complete', 'frames', 'syn_retransmissions', 'synack_retransmissions', 'initial_rtt', 'data_on_final_ack', 'refused']);
    expect(Object.keys(json.teardown as object)).toEqual(['kind', 'initiator', 'frames', 'half_close_bytes']);
    expect(Object.keys(json.counts as object)).toEqual(['retransmissions', 'fast_retransmissions', 'dup_acks', 'out_of_order', 'keepalives', 'zero_windows', 'window_updates', 'lost_segments', 'bad_checksums']);
    expect(json.start).toMatch(/^\d+\.\d{9}$/);
    const first = (json.states as { client: Array<Record<string, unknown>> }).client[0];
    expect(Object.keys(first)).toEqual(['state', 'frame', 'time']);
    expect(first.time).toMatch(/^\d+\.\d{9}$/);
  });

  it('the text ladder shows each step, its direction and both endpoints\u2019 states', () => {
    const c = new Conversation({ address: '198.18.5.1', port: 40000, isn: 1 }, { address: '198.18.5.2', port: 443, isn: 2 });
    c.send('c', 'S').send('s', 'SA').send('c', 'A').send('c', 'FA').send('s', 'FA').send('c', 'A');
    const t = trackFile(writeCapture(c.frames, tempFile('ladder.pcapng')));
    const text = renderConnection(t.connections[0]);
    const lines = text.split('\n');
    expect(lines[0]).toBe('tcp.stream 0: 198.18.5.1:40000 -> 198.18.5.2:443');
    expect(text).toContain('three-way handshake complete; three-way close by client');
    const steps = lines.filter((l) => /\s\d+\s\s/.test(l) && /-->|<--/.test(l));
    expect(steps).toHaveLength(6);
    expect(steps[0]).toMatch(/^ {2}SYN_SENT\s+-+ SYN -+>\s+1 {2}SYN_RECEIVED$/);
    expect(steps[1]).toMatch(/^ {2}ESTABLISHED\s+<-+ SYN\+ACK -+\s+2 {2}SYN_RECEIVED$/);
    expect(steps[5]).toMatch(/TIME_WAIT\s+-+ ACK -+>\s+6 {2}CLOSED$/);
  });
});

describe('hostile input', () => {
  it('random flags, sequence numbers, lengths and offsets never throw and keep states valid', () => {
    let seed = 99;
    const random = (n: number): number => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed % n;
    };
    const tracker = new Tracker({ maxConnections: 8 });
    const s = createPacketSummary();
    const flagsPool = [TCP_SYN, TCP_SYN | TCP_ACK, TCP_ACK, TCP_ACK | TCP_PSH, TCP_FIN | TCP_ACK, TCP_RST, TCP_RST | TCP_ACK, TCP_SYN | TCP_FIN, TCP_FIN | TCP_RST, 0, 0xfff];
    const frame = new Uint8Array(200).map(() => random(256));
    for (let i = 1; i <= 20000; i++) {
      const fromClient = random(2) === 0;
      const port = 50000 + random(12);
      segment(s, fromClient ? CLIENT : SERVER, fromClient ? SERVER : CLIENT, fromClient ? port : 443, fromClient ? 443 : port, flagsPool[random(flagsPool.length)], random(2) ? random(4000) : 0xffffff00 + random(512), random(4000), random(3) === 0 ? random(70000) : random(40));
      s.payloadOffset = random(3) === 0 ? 250 : 54; // past the end of the captured frame
      s.windowScale = random(20) - 3;
      s.window = random(3) === 0 ? 0 : random(65536);
      const fa = tracker.track(i, 1000 + (i >> 4), random(1e9), s, frame, random(10) === 0);
      expect(fa).not.toBeNull();
      for (let k = 0; k < (fa?.stateChangeCount ?? 0); k++) expect(TCP_STATE_NAMES[fa?.stateChanges[k].state ?? -1]).toBeDefined();
    }
    tracker.finish();
    for (const c of tracker.connections()) {
      expect(() => JSON.stringify(connectionToJson(c))).not.toThrow();
      expect(() => renderConnection(c)).not.toThrow();
      expect(TCP_STATE_NAMES).toContain(c.finalState.client);
    }
  });

  it('ignores what it cannot track: non-TCP, fragments, headers too short', () => {
    const tracker = new Tracker();
    const s = segment(createPacketSummary(), CLIENT, SERVER, 1, 2, TCP_SYN, 0, 0);
    s.protocol = 17;
    expect(tracker.track(1, 0, 0, s, FRAME, false)).toBeNull();
    s.protocol = 6;
    s.fragment = true;
    expect(tracker.track(2, 0, 0, s, FRAME, false)).toBeNull();
    s.fragment = false;
    s.tcpHeaderLength = 12;
    expect(tracker.track(3, 0, 0, s, FRAME, false)).toBeNull();
    expect(tracker.stats().connections).toBe(0);
  });
});
