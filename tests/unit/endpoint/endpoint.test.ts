/**
 * The endpoint core against RFC 9293's rules (and RFC 5961, 6298, 7323, 2018 where they apply),
 * two endpoints joined by a simulated wire on a virtual clock. The numbers expected are the
 * RFCs' (sequence arithmetic, option layout, timer values), not read from our own output.
 */
import { describe, expect, it } from 'vitest';
import { TcpEndpoint, type EndpointSegment } from '../../../shared/endpoint';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../../../shared/wire/summary';
import { bytesOf, sameBytes, seeded, wire } from './harness';

const SYN_ACK = TCP_SYN | TCP_ACK;

function pattern(length: number, seed: number): Uint8Array {
  const random = seeded(seed);
  return Uint8Array.from({ length }, () => Math.floor(random() * 256));
}

function established(options: Parameters<typeof wire>[2] = {}, a: ConstructorParameters<typeof TcpEndpoint>[0] = {}, b: ConstructorParameters<typeof TcpEndpoint>[0] = {}) {
  const net = wire({ isn: 1000, tsOffset: 5, ...a }, { isn: 900_000, tsOffset: 77, ...b }, options);
  net.b.listen(net.now);
  net.a.open();
  net.run(1000, () => net.a.stateName === 'ESTABLISHED' && net.b.stateName === 'ESTABLISHED');
  return net;
}

describe('opening', () => {
  it('active open: SYN with ISN, MSS/SACK/TS/WS in Linux\'s layout; SYN+ACK answers what was offered; the third segment has the right numbers', () => {
    const net = established();
    const [syn, synAck, ack] = net.log.map((entry) => entry.segment);
    expect(syn.flags).toBe(TCP_SYN);
    expect(syn.seq).toBe(1000);
    expect(syn.options.map((option) => option.kind)).toEqual(['mss', 'sack_perm', 'timestamp', 'nop', 'wscale']);
    expect(syn.options[0]).toEqual({ kind: 'mss', value: 1460 });
    expect(syn.window).toBe(65535); // a SYN's window is never scaled (RFC 7323 §2.2)
    expect(synAck.flags).toBe(SYN_ACK);
    expect(synAck.seq).toBe(900_000);
    expect(synAck.ack).toBe(1001);
    const synTs = syn.options.find((option) => option.kind === 'timestamp');
    const synAckTs = synAck.options.find((option) => option.kind === 'timestamp');
    expect(synAckTs?.kind === 'timestamp' && synTs?.kind === 'timestamp' && synAckTs.tsecr === synTs.tsval).toBe(true);
    expect(ack.flags).toBe(TCP_ACK);
    expect(ack.seq).toBe(1001);
    expect(ack.ack).toBe(900_001);
    // 262144 bytes scaled by 2^7
    expect(ack.window).toBe(2048);
    expect(net.a.negotiated).toEqual({ peerMss: 1460, sack: true, timestamps: true, windowScale: { ours: 7, peers: 7 } });
    expect(net.b.negotiated).toEqual({ peerMss: 1460, sack: true, timestamps: true, windowScale: { ours: 7, peers: 7 } });
    expect(net.states('a')).toEqual(['SYN_SENT', 'ESTABLISHED']);
    expect(net.states('b')).toEqual(['LISTEN', 'SYN_RECEIVED', 'ESTABLISHED']);
  });

  it('a SYN+ACK offers only what the SYN offered; a peer without MSS gets the default 536 (RFC 9293 §3.7.1)', () => {
    const net = established({}, { synOptions: [] }, {});
    const synAck = net.log[1].segment;
    expect(synAck.options.map((option) => option.kind)).toEqual(['mss']);
    expect(net.b.negotiated).toEqual({ peerMss: 536, sack: false, timestamps: false, windowScale: null });
    net.b.write(new Uint8Array(2000));
    net.run(2000);
    const sizes = net.log.filter((entry) => entry.from === 'b' && entry.segment.payload.length > 0).map((entry) => entry.segment.payload.length);
    expect(sizes).toEqual([536, 536, 536, 392]);
  });

  it('the user\'s own SYN options go out verbatim and decide the negotiation', () => {
    const net = established({}, { synOptions: [{ kind: 'mss', value: 1000 }, { kind: 'nop' }, { kind: 'wscale', shift: 3 }] });
    expect(net.log[0].segment.options).toEqual([{ kind: 'mss', value: 1000 }, { kind: 'nop' }, { kind: 'wscale', shift: 3 }]);
    expect(net.b.negotiated).toEqual({ peerMss: 1000, sack: false, timestamps: false, windowScale: { ours: 7, peers: 3 } });
  });

  it('SYN_SENT: an RST that acknowledges our SYN is "connection refused" (§3.10.7.3)', () => {
    const a = new TcpEndpoint({ isn: 5 });
    a.open();
    a.poll(0);
    a.receive({ seq: 0, ack: 6, flags: TCP_RST | TCP_ACK, window: 0, urgent: 0, options: [], payload: new Uint8Array(0) }, 1);
    expect(a.stateName).toBe('CLOSED');
    expect(a.closedReason).toMatch(/refused/);
  });

  it('LISTEN answers a bare ACK with <SEQ=SEG.ACK><CTL=RST> and keeps listening (§3.10.7.2)', () => {
    const b = new TcpEndpoint();
    b.listen(0);
    b.receive({ seq: 7, ack: 12345, flags: TCP_ACK, window: 100, urgent: 0, options: [], payload: new Uint8Array(0) }, 1);
    const [rst] = b.poll(1);
    expect(rst).toMatchObject({ seq: 12345, flags: TCP_RST });
    expect(b.stateName).toBe('LISTEN');
  });

  it('simultaneous open: both SYNs cross, both reach ESTABLISHED through SYN_RECEIVED', () => {
    const net = wire({ isn: 10 }, { isn: 20 });
    net.a.open();
    net.b.open();
    net.run(1000, () => net.a.stateName === 'ESTABLISHED' && net.b.stateName === 'ESTABLISHED');
    for (const side of ['a', 'b'] as const) expect(net.states(side)).toEqual(['SYN_SENT', 'SYN_RECEIVED', 'ESTABLISHED']);
  });
});

describe('data', () => {
  it('segments to the peer\'s MSS less the timestamp option (12 bytes), never past its scaled window, and keeps a runt back (sender SWS avoidance)', () => {
    // B offers MSS 1000 and a 4000-byte window with scale 2 (field 1000); nothing B sends reaches A.
    const net = established({ lose: (from, _segment, index) => from === 'b' && index > 3 }, {}, { mss: 1000, receiveWindow: 4000, windowScale: 2 });
    net.a.write(new Uint8Array(10_000));
    net.run(5000);
    const data = net.log.filter((entry) => entry.from === 'a' && entry.segment.payload.length > 0).map((entry) => entry.segment.payload.length);
    // 4 × 988 fill 3952 of the 4000 bytes; 48 more would be a runt below half the window (RFC 9293 §3.8.6.2.1).
    expect(data).toEqual([988, 988, 988, 988]);
    expect(net.a.sndWnd).toBe(4000);
  });

  it('carries 256 KiB each way in order; the peer\'s window opens as data is taken', () => {
    const net = established();
    const one = pattern(256 * 1024, 1);
    const two = pattern(256 * 1024, 2);
    net.a.write(one);
    net.b.write(two);
    net.run(60_000, () => net.a.unacknowledged === 0 && net.b.unacknowledged === 0);
    expect(sameBytes(bytesOf(net.received.b), one)).toBe(true);
    expect(sameBytes(bytesOf(net.received.a), two)).toBe(true);
  });

  it('holds segments that arrive out of order, acknowledges at once with SACK blocks (RFC 2018), and delivers in order once the gap fills', () => {
    // Segments made by hand carry no TSopt: without timestamps negotiated, they are not dropped for that (RFC 7323 §3.2).
    const net = established({}, { timestamps: false }, {});
    const b = net.b;
    const base = net.a.sndNxt;
    const tsval = (seg: EndpointSegment) => seg;
    const segment = (offset: number, text: string): EndpointSegment => tsval({ seq: (base + offset) >>> 0, ack: b.sndNxt, flags: TCP_ACK, window: 100, urgent: 0, options: [], payload: new TextEncoder().encode(text) });
    b.takeEvents();
    b.receive(segment(5, 'world'), 100);
    const [dupAck] = b.poll(100);
    expect(dupAck.ack).toBe(base);
    expect(dupAck.options).toContainEqual({ kind: 'sack', blocks: [[(base + 5) >>> 0, (base + 10) >>> 0]] });
    b.receive(segment(12, '!!'), 101);
    const [second] = b.poll(101);
    // The block holding the latest arrival comes first.
    expect(second.options).toContainEqual({ kind: 'sack', blocks: [[(base + 12) >>> 0, (base + 14) >>> 0], [(base + 5) >>> 0, (base + 10) >>> 0]] });
    b.receive(segment(0, 'hello'), 102);
    b.receive(segment(10, ', '), 103);
    const [last] = b.poll(103).slice(-1);
    expect(last.ack).toBe((base + 14) >>> 0);
    expect(last.options.some((option) => option.kind === 'sack')).toBe(false);
    const text = b.takeEvents().flatMap((event) => (event.type === 'data' ? [new TextDecoder().decode(event.bytes)] : [])).join('');
    expect(text).toBe('helloworld, !!');
  });

  it('holds at most maxOutOfOrder bytes ahead of a gap; beyond, segments are dropped unacknowledged', () => {
    const net = established({}, { timestamps: false }, { maxOutOfOrder: 100 });
    const base = net.a.sndNxt;
    const b = net.b;
    const at = (offset: number, length: number): EndpointSegment => ({ seq: (base + offset) >>> 0, ack: b.sndNxt, flags: TCP_ACK, window: 100, urgent: 0, options: [], payload: new Uint8Array(length) });
    b.receive(at(10, 80), 1);
    b.receive(at(200, 80), 2);
    expect(b.stats.outOfOrderHeld).toBe(1);
    expect(b.stats.outOfOrderDropped).toBe(1);
    b.receive(at(0, 10), 3);
    expect(b.rcvNxt).toBe((base + 90) >>> 0);
  });

  it('delayed ACK mode acknowledges every second full segment, or after the delay', () => {
    const net = established({}, {}, { ack: 'delayed', ackDelayMs: 40 });
    net.a.write(new Uint8Array(1448 * 4 + 100));
    net.run(5000, () => net.a.unacknowledged === 0);
    const acks = net.log.filter((entry) => entry.from === 'b' && entry.segment.payload.length === 0 && entry.at > 20);
    // 5 segments: ACKs after the 2nd and 4th, then the 5th after 40 ms
    expect(acks).toHaveLength(3);
    expect(acks[2].at - acks[1].at).toBeGreaterThanOrEqual(40);
  });
});

describe('closing', () => {
  it('we close first: FIN_WAIT_1 → FIN_WAIT_2 → TIME_WAIT → CLOSED after 2MSL; the peer still sends after our FIN (half-close)', () => {
    const net = established({}, { timeWaitMs: 500 });
    net.a.close('fin', net.now);
    net.run(net.now + 100);
    expect(net.a.stateName).toBe('FIN_WAIT_2');
    expect(net.b.stateName).toBe('CLOSE_WAIT');
    net.b.write(new TextEncoder().encode('after your FIN'));
    net.b.close('fin', net.now);
    net.run(net.now + 100);
    expect(new TextDecoder().decode(bytesOf(net.received.a))).toBe('after your FIN');
    expect(net.a.stateName).toBe('TIME_WAIT');
    expect(net.b.stateName).toBe('CLOSED');
    net.run(net.now + 1000);
    expect(net.a.stateName).toBe('CLOSED');
    expect(net.states('a')).toEqual(['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT', 'CLOSED']);
    expect(net.states('b')).toEqual(['LISTEN', 'SYN_RECEIVED', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED']);
  });

  it('FIN after queued data: the FIN\'s sequence number follows the last byte', () => {
    const net = established();
    net.a.write(new Uint8Array(3000));
    net.a.close('fin', net.now);
    net.run(net.now + 200);
    const fin = net.log.find((entry) => entry.from === 'a' && entry.segment.flags & TCP_FIN);
    expect(fin?.segment.seq).toBe((1001 + 3000) >>> 0);
    expect(bytesOf(net.received.b)).toHaveLength(3000);
  });

  it('simultaneous close: both FINs cross, both go through CLOSING to TIME_WAIT', () => {
    const net = established({}, { timeWaitMs: 100_000 }, { timeWaitMs: 100_000 });
    net.a.close('fin', net.now);
    net.b.close('fin', net.now);
    net.run(net.now + 100);
    for (const side of ['a', 'b'] as const) expect(net.states(side).slice(-3)).toEqual(['FIN_WAIT_1', 'CLOSING', 'TIME_WAIT']);
  });

  it('close with RST: <SEQ=SND.NXT><CTL=RST>, and the peer closes on it', () => {
    const net = established();
    net.a.close('rst', net.now);
    net.run(net.now + 100);
    const rst = net.log.find((entry) => entry.segment.flags & TCP_RST);
    expect(rst?.segment.seq).toBe(1001);
    expect(net.a.stateName).toBe('CLOSED');
    expect(net.b.stateName).toBe('CLOSED');
    expect(net.b.closedReason).toMatch(/reset/);
  });

  it('an in-window RST not at RCV.NXT and a SYN on an established connection get challenge ACKs (RFC 5961 §3.2, §4)', () => {
    const net = established({}, { timestamps: false });
    const b = net.b;
    const rcvNxt = b.rcvNxt;
    b.receive({ seq: (rcvNxt + 10) >>> 0, ack: 0, flags: TCP_RST, window: 0, urgent: 0, options: [], payload: new Uint8Array(0) }, net.now);
    const [challenge] = b.poll(net.now);
    expect(challenge).toMatchObject({ flags: TCP_ACK, seq: b.sndNxt, ack: rcvNxt });
    expect(b.stateName).toBe('ESTABLISHED');
    b.receive({ seq: 424242, ack: 0, flags: TCP_SYN, window: 0, urgent: 0, options: [], payload: new Uint8Array(0) }, net.now);
    const [challenge2] = b.poll(net.now);
    expect(challenge2).toMatchObject({ flags: TCP_ACK, ack: rcvNxt });
    expect(b.stateName).toBe('ESTABLISHED');
  });
});

describe('keepalive', () => {
  it('an idle connection is probed with SEQ = SND.NXT − 1 and no data; the peer answers with an ACK, which resets the count', () => {
    const net = established({}, { keepalive: { idleMs: 1000, intervalMs: 200, probes: 3 } });
    // Idle time counts from the last segment heard: B's SYN+ACK, which reached A at 20 ms.
    const start = 20;
    net.run(start + 2500);
    const probes = net.log.filter((entry) => entry.from === 'a' && entry.at > start);
    expect(probes.length).toBeGreaterThanOrEqual(2);
    expect(probes[0].segment).toMatchObject({ seq: 1000, ack: net.a.rcvNxt, flags: TCP_ACK });
    expect(probes[0].segment.payload.length).toBe(0);
    expect(probes[0].at - start).toBeGreaterThanOrEqual(1000);
    const answers = net.log.filter((entry) => entry.from === 'b' && entry.at > start);
    expect(answers[0].segment).toMatchObject({ seq: net.b.sndNxt, ack: 1001, flags: TCP_ACK });
    expect(net.a.stateName).toBe('ESTABLISHED');
  });

  it('a dead peer: after the probes go unanswered the connection is given up with an RST', () => {
    let dead = false;
    const net = established({ lose: () => dead }, { keepalive: { idleMs: 1000, intervalMs: 200, probes: 3 } });
    dead = true;
    const start = 20;
    net.run(start + 10_000);
    const sent = net.log.filter((entry) => entry.from === 'a' && entry.at > start).map((entry) => [entry.segment.flags, Math.round(entry.at - start)]);
    expect(sent).toEqual([[TCP_ACK, 1000], [TCP_ACK, 1200], [TCP_ACK, 1400], [TCP_RST | TCP_ACK, 1600]]);
    expect(net.a.stateName).toBe('CLOSED');
    expect(net.a.closedReason).toMatch(/keepalive/);
  });
});

describe('retransmission', () => {
  it('is off by default: a lost segment is never sent again and no timer is left', () => {
    const net = established({ lose: (from, segment) => from === 'a' && segment.payload.length > 0 });
    net.a.write(new Uint8Array(100));
    net.run(net.now + 120_000);
    expect(net.log.filter((entry) => entry.from === 'a' && entry.segment.payload.length > 0)).toHaveLength(1);
    expect(net.a.nextDeadline()).toBeNull();
  });

  it('on: RTO from RFC 6298, doubled on each expiry, and Karn: no RTT sample from a retransmitted segment', () => {
    let dataSent = 0;
    // Handshake RTT 20 ms → RTO = max(1 s, 20 + 4·10) = 1 s. The first two copies of the data are lost.
    const net = established({ lose: (from, segment) => from === 'a' && segment.payload.length > 0 && ++dataSent <= 2 }, { retransmit: true });
    expect(net.a.rtt.srtt).toBe(20);
    const start = net.now;
    const seen = net.events.a.length;
    net.a.write(new Uint8Array(100));
    net.run(start + 10_000, () => net.a.unacknowledged === 0);
    const copies = net.log.filter((entry) => entry.from === 'a' && entry.segment.payload.length > 0).map((entry) => entry.at - start);
    expect(copies).toEqual([0, 1000, 3000]);
    const events = net.events.a.slice(seen);
    expect(events.filter((event) => event.type === 'retransmit').map((event) => event.type === 'retransmit' && event.rto)).toEqual([2000, 4000]);
    expect(events.some((event) => event.type === 'rtt')).toBe(false);
    // The backed-off RTO stays until a fresh sample (Karn).
    expect(net.a.rtt.rto).toBe(4000);
    net.a.write(new Uint8Array(10));
    net.run(net.now + 1000, () => net.a.unacknowledged === 0);
    expect(net.a.rtt.rto).toBe(1000);
  });

  it('on: the third duplicate ACK retransmits at once (RFC 5681 fast retransmit)', () => {
    let dropped = false;
    const net = established({ lose: (from, segment) => from === 'a' && segment.payload.length > 0 && !dropped && (dropped = true) }, { retransmit: true, mss: 100, timestamps: false });
    const start = net.now;
    net.a.write(new Uint8Array(1000));
    net.run(start + 5000, () => net.a.unacknowledged === 0);
    const retransmits = net.events.a.filter((event) => event.type === 'retransmit');
    expect(retransmits).toHaveLength(1);
    expect(retransmits[0]).toMatchObject({ why: 'fast', seq: 1 });
    expect(net.now - start).toBeLessThan(100);
  });

  it('on: a SYN that is lost goes again after 1 s, then 2 s', () => {
    let synCount = 0;
    const net = wire({ isn: 1, retransmit: true }, {}, { lose: (from, segment) => from === 'a' && segment.flags === TCP_SYN && ++synCount <= 2 });
    net.b.listen(0);
    net.a.open();
    net.run(10_000, () => net.a.stateName === 'ESTABLISHED');
    expect(net.log.filter((entry) => entry.segment.flags === TCP_SYN).map((entry) => entry.at)).toEqual([0, 1000, 3000]);
    // RFC 6298 §5.7: data then starts with an RTO of 3 s.
    expect(net.a.rtt.rto).toBe(3000);
  });

  it('1 MiB each way across a wire that loses 5 % of segments in both directions arrives whole', () => {
    const random = seeded(42);
    const net = established({ lose: () => random() < 0.05 }, { retransmit: true, rto: { minRtoMs: 200 } }, { retransmit: true, rto: { minRtoMs: 200 } });
    const one = pattern(1 << 20, 3);
    const two = pattern(1 << 20, 4);
    net.a.write(one);
    net.b.write(two);
    net.run(600_000, () => net.a.unacknowledged === 0 && net.b.unacknowledged === 0);
    expect(sameBytes(bytesOf(net.received.b), one)).toBe(true);
    expect(sameBytes(bytesOf(net.received.a), two)).toBe(true);
    expect(net.a.stats.retransmissions).toBeGreaterThan(10);
  });
});

describe('the user\'s hand', () => {
  it('fixes the ISN, the window field and the ACK number: step mode proposes, the edit is what goes out and is bookkept', () => {
    const a = new TcpEndpoint({ step: true, isn: 4242, windowField: 333 });
    a.open();
    expect(a.poll(0)).toEqual([]);
    const proposal = a.proposal(0);
    expect(proposal?.reason).toBe('syn');
    expect(proposal?.segment).toMatchObject({ seq: 4242, flags: TCP_SYN, window: 333 });
    const edited = { ...(proposal as { segment: EndpointSegment }).segment, window: 1234, options: [{ kind: 'mss' as const, value: 536 }] };
    const sent = a.step(0, edited);
    expect(sent?.window).toBe(1234);
    expect(a.stateName).toBe('SYN_SENT');
    a.receive({ seq: 7000, ack: 4243, flags: SYN_ACK, window: 5000, urgent: 0, options: [{ kind: 'mss', value: 1400 }], payload: new Uint8Array(0) }, 5);
    expect(a.stateName).toBe('ESTABLISHED');
    // What was negotiated follows the SYN that really went out (MSS only).
    expect(a.negotiated.timestamps).toBe(false);
    const ack = a.proposal(5);
    expect(ack).toMatchObject({ reason: 'ack', segment: { seq: 4243, ack: 7001, flags: TCP_ACK, window: 333 } });
    a.step(5, { ...(ack as { segment: EndpointSegment }).segment, ack: 7000 });
    // An ACK short of RCV.NXT leaves the ACK owed.
    expect(a.proposal(5)?.reason).toBe('ack');
  });

  it('manual ACK mode acknowledges nothing by itself', () => {
    const net = established({}, {}, { ack: 'manual' });
    net.a.write(new Uint8Array(100));
    net.run(net.now + 100);
    expect(net.log.filter((entry) => entry.from === 'b' && entry.at > 30)).toHaveLength(0);
    net.b.acknowledge();
    net.run(net.now + 100);
    expect(net.a.unacknowledged).toBe(0);
  });
});

describe('PAWS (RFC 7323 §5.3)', () => {
  /** A segment from b to a at a's RCV.NXT with the given TSval, as b would send it. */
  function fromPeer(net: ReturnType<typeof established>, tsval: number, flags: number, text: string): EndpointSegment {
    return { seq: net.a.rcvNxt, ack: net.a.sndNxt, flags, window: 2048, urgent: 0, options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', tsval, tsecr: 0 }], payload: new TextEncoder().encode(text) };
  }
  const lastTsval = (net: ReturnType<typeof established>) => {
    const ts = [...net.log].reverse().find((entry) => entry.from === 'b')?.segment.options.find((option) => option.kind === 'timestamp');
    return ts?.kind === 'timestamp' ? ts.tsval : NaN;
  };

  it('a segment whose TSval is older than TS.Recent is answered with an ACK and dropped; a newer one is taken', () => {
    const net = established();
    const recent = lastTsval(net);
    const rcvNxt = net.a.rcvNxt;
    net.a.receive(fromPeer(net, (recent - 1) >>> 0, TCP_ACK | 0x08, 'old'), net.now);
    const [answer] = net.a.poll(net.now);
    expect(answer.flags).toBe(TCP_ACK);
    expect(answer.ack).toBe(rcvNxt);
    expect(net.a.rcvNxt).toBe(rcvNxt);
    expect(net.a.stats).toMatchObject({ pawsDropped: 1, bytesReceived: 0 });
    // TSval equal to TS.Recent is not older (§5.3 R1 drops only SEG.TSval < TS.Recent).
    net.a.receive(fromPeer(net, recent, TCP_ACK | 0x08, 'new'), net.now);
    net.a.poll(net.now);
    expect(net.a.stats).toMatchObject({ pawsDropped: 1, bytesReceived: 3 });
  });

  it('with timestamps negotiated, a segment without TSopt is dropped silently (RFC 7323 §3.2); an RST without one still resets', () => {
    const net = established();
    const rcvNxt = net.a.rcvNxt;
    const bare = { ...fromPeer(net, 0, TCP_ACK | 0x08, 'bare'), options: [] };
    net.a.receive(bare, net.now);
    // No ACK answers it, no byte is taken.
    expect(net.a.poll(net.now)).toEqual([]);
    expect(net.a.rcvNxt).toBe(rcvNxt);
    expect(net.a.stats).toMatchObject({ noTimestampDropped: 1, pawsDropped: 0, bytesReceived: 0 });
    expect(net.a.takeEvents().some((event) => event.type === 'dropped' && /no TSopt/.test(event.why))).toBe(true);
    net.a.receive(fromPeer(net, lastTsval(net), TCP_ACK | 0x08, 'with'), net.now);
    net.a.poll(net.now);
    expect(net.a.stats).toMatchObject({ noTimestampDropped: 1, bytesReceived: 4 });
    net.a.receive({ ...fromPeer(net, 0, TCP_RST, ''), ack: 0, options: [] }, net.now);
    expect(net.a.stateName).toBe('CLOSED');
  });

  it('without timestamps negotiated, segments without TSopt are taken', () => {
    const net = established({}, { timestamps: false });
    net.a.receive({ ...fromPeer(net, 0, TCP_ACK | 0x08, 'bare'), options: [] }, net.now);
    net.a.poll(net.now);
    expect(net.a.stats).toMatchObject({ noTimestampDropped: 0, bytesReceived: 4 });
  });

  it('modular comparison: a TSval just past a 2^32 wrap is newer, and an RST is not checked', () => {
    const net = established({}, { tsOffset: 0xffffff00 }, { tsOffset: 0xfffffff0 });
    const recent = lastTsval(net);
    net.a.receive(fromPeer(net, (recent + 0x20) >>> 0, TCP_ACK | 0x08, 'new'), net.now);
    net.a.poll(net.now);
    expect(net.a.stats).toMatchObject({ pawsDropped: 0, bytesReceived: 3 });
    // An old TSval on an RST at RCV.NXT: still a reset (R1 leaves RSTs out).
    net.a.receive({ ...fromPeer(net, (recent - 100) >>> 0, TCP_RST, ''), ack: 0 }, net.now);
    expect(net.a.stateName).toBe('CLOSED');
  });
});
