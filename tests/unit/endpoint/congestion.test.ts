/**
 * The endpoint's sender when retransmission is on, against RFC 5681, 6582, 6928 and 6675.
 * Expected numbers are worked by hand from the RFCs' rules (written out beside each assertion),
 * with SMSS = 1000 (MSS 1000, no timestamps) so the arithmetic reads plainly; the wire is the
 * harness's, 10 ms each way, every segment ACKed at once by the peer endpoint.
 */
import { describe, expect, it } from 'vitest';
import { cwndAfterAck, dsackBlock, initialWindow, SackScoreboard, SCOREBOARD_LIMIT, setPipe, ssthreshAfterLoss, type EndpointEvent, type EndpointOptions, type EndpointSegment } from '../../../shared/endpoint';
import { TCP_ACK, TCP_SYN } from '../../../shared/wire/summary';
import { bytesOf, sameBytes, seeded, wire } from './harness';

const SMSS = 1000;
const base: EndpointOptions = { retransmit: true, mss: SMSS, timestamps: false };

function pattern(length: number, seed: number): Uint8Array {
  const random = seeded(seed);
  return Uint8Array.from({ length }, () => Math.floor(random() * 256));
}

/** a (the sender under test) and b (the receiver) established; `lose` sees a's data segments by their relative sequence number and copy. */
function established(a: EndpointOptions, lose: (relSeq: number, copy: number, segment: EndpointSegment) => boolean = () => false, b: EndpointOptions = {}) {
  const copies = new Map<number, number>();
  const net = wire({ isn: 1000, tsOffset: 5, ...a }, { isn: 900_000, tsOffset: 77, mss: SMSS, timestamps: false, ...b }, {
    lose: (from, segment) => {
      if (from !== 'a' || segment.payload.length === 0) return false;
      const rel = (segment.seq - 1000) >>> 0;
      const copy = (copies.get(rel) ?? 0) + 1;
      copies.set(rel, copy);
      return lose(rel, copy, segment);
    },
  });
  net.b.listen(net.now);
  net.a.open();
  net.run(1000, () => net.a.stateName === 'ESTABLISHED' && net.b.stateName === 'ESTABLISHED');
  return net;
}

/** a's data segments grouped by the instant they left (one group per flight on this wire). */
function flights(net: ReturnType<typeof established>, from = 0): number[] {
  const times = new Map<number, number>();
  for (const entry of net.log) if (entry.from === 'a' && entry.segment.payload.length > 0 && entry.at >= from) times.set(entry.at, (times.get(entry.at) ?? 0) + 1);
  return [...times.values()];
}

function senderEvents(events: EndpointEvent[]) {
  return events.flatMap((event) => (event.type === 'sender' ? [{ recovery: event.recovery, cwnd: event.cwnd, ssthresh: event.ssthresh }] : []));
}

function retransmissions(events: EndpointEvent[]) {
  return events.flatMap((event) => (event.type === 'retransmit' ? [{ seq: event.seq, why: event.why }] : []));
}

describe('formulas', () => {
  it('RFC 6928 initial window: min(10·SMSS, max(2·SMSS, 14600))', () => {
    expect(initialWindow(1460)).toBe(14_600);
    expect(initialWindow(536)).toBe(5_360);
    expect(initialWindow(4000)).toBe(14_600);
    expect(initialWindow(9000)).toBe(18_000);
    expect(initialWindow(1448, 4)).toBe(5_792);
  });

  it('RFC 5681 eq. (2), (3), (4)', () => {
    expect(cwndAfterAck(10_000, Infinity, 1000, SMSS)).toBe(11_000); // slow start: + min(N, SMSS)
    expect(cwndAfterAck(10_000, Infinity, 3000, SMSS)).toBe(11_000);
    expect(cwndAfterAck(10_000, Infinity, 500, SMSS)).toBe(10_500);
    expect(cwndAfterAck(10_000, 8000, 1000, SMSS)).toBe(10_100); // avoidance: + SMSS·SMSS/cwnd
    expect(cwndAfterAck(2_000_000, 8000, 1000, SMSS)).toBe(2_000_001); // at least one byte
    expect(ssthreshAfterLoss(12_000, SMSS)).toBe(6000);
    expect(ssthreshAfterLoss(3000, SMSS)).toBe(2000); // never below 2·SMSS
  });
});

describe('RFC 6675 scoreboard', () => {
  // Segments of 1000 from offset 0; segments 1, 3, 4 and 6 SACKed (0-based), segment 0 is SND.UNA.
  const board = () => {
    const scoreboard = new SackScoreboard();
    scoreboard.update([[1000, 2000], [3000, 5000], [6000, 7000]], 0, 8000);
    return scoreboard;
  };

  it('merges blocks, drops what the cumulative ACK covers, ignores D-SACK and blocks beyond what was sent', () => {
    const scoreboard = board();
    expect(scoreboard.blocks).toEqual([[1000, 2000], [3000, 5000], [6000, 7000]]);
    expect(scoreboard.update([[2000, 3000], [500, 800], [7000, 9000]], 900, 8000)).toBe(1000);
    expect(scoreboard.blocks).toEqual([[1000, 5000], [6000, 7000]]);
    scoreboard.advance(4000);
    expect(scoreboard.blocks).toEqual([[4000, 5000], [6000, 7000]]);
    expect(scoreboard.highestSacked).toBe(7000);
  });

  it('IsLost: DupThresh discontiguous SACKed ranges above, or more than (DupThresh − 1)·SMSS bytes', () => {
    const scoreboard = board();
    expect(scoreboard.isLost(0, 3, SMSS)).toBe(true); // 3 ranges above, 4000 bytes
    expect(scoreboard.isLost(2000, 3, SMSS)).toBe(true); // 2 ranges, but 3000 bytes > 2000
    expect(scoreboard.isLost(5000, 3, SMSS)).toBe(false); // 1 range, 1000 bytes
    const two = new SackScoreboard();
    two.update([[1000, 3000]], 0, 4000);
    expect(two.isLost(0, 3, SMSS)).toBe(false); // exactly 2·SMSS is not more than 2·SMSS
    two.update([[3000, 3001]], 0, 4000);
    expect(two.isLost(0, 3, SMSS)).toBe(true);
  });

  it('SetPipe: unSACKed octets count once unless lost, once more when at or below HighRxt', () => {
    const scoreboard = board();
    const rule = { dupThresh: 3, smss: SMSS, sack: true, lostBelow: null };
    // Holes: [0,1000) lost; [2000,3000): above it [3000,5000)+[6000,7000) = 3000 > 2000 bytes: lost; [5000,6000): 1000 above, not lost; [7000,8000): not lost.
    expect(setPipe(scoreboard, 0, 8000, 0, rule)).toBe(2000);
    // The first hole retransmitted (HighRxt 1000): it counts again.
    expect(setPipe(scoreboard, 0, 8000, 1000, rule)).toBe(3000);
    expect(scoreboard.holes(0, 8000)).toEqual([[0, 1000], [2000, 3000], [5000, 6000], [7000, 8000]]);
    // Per octet, as the RFC words it, gives the same: every unSACKed octet judged by IsLost on its own.
    let octets = 0;
    for (let offset = 0; offset < 8000; offset++) if (!scoreboard.isSacked(offset) && !scoreboard.isLost(offset, 3, SMSS)) octets++;
    expect(octets).toBe(2000);
    // Without SACK recovery nothing is lost by SACK; after a timeout everything below the recovery point (5500) is.
    expect(setPipe(scoreboard, 0, 8000, 0, { ...rule, sack: false })).toBe(4000);
    expect(setPipe(scoreboard, 0, 8000, 0, { ...rule, sack: false, lostBelow: 5500 })).toBe(1500);
  });

  it('keeps at most SCOREBOARD_LIMIT ranges, forgetting the highest: a peer SACKing every other byte cannot grow it without bound', () => {
    const scoreboard = new SackScoreboard();
    for (let i = 0; i < 5000; i += 4) scoreboard.update([[2 * i + 1, 2 * i + 2], [2 * i + 3, 2 * i + 4], [2 * i + 5, 2 * i + 6], [2 * i + 7, 2 * i + 8]], 0, 1 << 20);
    expect(scoreboard.blocks).toHaveLength(SCOREBOARD_LIMIT);
    expect(scoreboard.blocks[0]).toEqual([1, 2]);
    expect(scoreboard.highestSacked).toBe(2 * SCOREBOARD_LIMIT);
  });
});

describe('slow start and congestion avoidance (RFC 5681 §3.1, RFC 6928)', () => {
  it('the first flight is the initial window, 10 segments; each ACK then opens cwnd by one SMSS, so flights double: 10, 20, 40', () => {
    const net = established(base);
    const start = net.now;
    net.a.write(new Uint8Array(70 * SMSS));
    net.run(start + 5000, () => net.a.unacknowledged === 0);
    expect(flights(net, start).slice(0, 3)).toEqual([10, 20, 40]);
    expect(net.a.sender.recovery).toBe('none');
  });

  it('initialWindow and initialSsthresh are the user\'s: IW 4 gives flights of 4, 8; at ssthresh cwnd grows by SMSS·SMSS/cwnd per ACK', () => {
    const net = established({ ...base, congestion: { initialWindow: 4 } });
    const start = net.now;
    net.a.write(new Uint8Array(12 * SMSS));
    net.run(start + 5000, () => net.a.unacknowledged === 0);
    expect(flights(net, start)).toEqual([4, 8]);

    const avoid = established({ ...base, congestion: { initialSsthresh: 5000 } });
    avoid.a.write(new Uint8Array(10 * SMSS));
    avoid.run(avoid.now + 5000, () => avoid.a.unacknowledged === 0);
    // cwnd starts at 10000 ≥ ssthresh: each of the 10 ACKs adds floor(1000·1000 / cwnd).
    let cwnd = 10_000;
    for (let i = 0; i < 10; i++) cwnd += Math.floor((1000 * 1000) / cwnd);
    expect(avoid.a.sender.cwnd).toBe(cwnd);
    expect(avoid.a.sender.ssthresh).toBe(5000);
  });

  it('a SYN sent twice leaves an initial window of one segment (RFC 6928 §2)', () => {
    let syns = 0;
    const net = wire({ isn: 1, ...base }, { mss: SMSS, timestamps: false }, { lose: (from, segment) => from === 'a' && segment.flags === TCP_SYN && ++syns === 1 });
    net.b.listen(0);
    net.a.open();
    net.run(10_000, () => net.a.stateName === 'ESTABLISHED');
    const start = net.now;
    net.a.write(new Uint8Array(7 * SMSS));
    net.run(start + 5000, () => net.a.unacknowledged === 0);
    expect(flights(net, start)).toEqual([1, 2, 4]);
  });

  it('restart after idle (RFC 5681 §4.1): after more than an RTO without sending, the next flight is min(IW, cwnd); off by choice, it is cwnd', () => {
    for (const restartAfterIdle of [true, false]) {
      const net = established({ ...base, congestion: { restartAfterIdle } });
      net.a.write(new Uint8Array(70 * SMSS));
      net.run(net.now + 5000, () => net.a.unacknowledged === 0);
      expect(net.a.sender.cwnd).toBe(80_000); // IW 10 + one SMSS for each of 70 ACKs
      const later = net.now + 1500; // RTO is 1 s (RFC 6298's minimum)
      net.run(later);
      net.now = later; // nothing is pending, so the clock is moved by hand
      net.a.write(new Uint8Array(30 * SMSS));
      net.run(later + 5000, () => net.a.unacknowledged === 0);
      expect(flights(net, later)[0]).toBe(restartAfterIdle ? 10 : 30);
    }
  });

  it('off when retransmission is off (the user studies the peer): no cwnd, the first flight fills the peer\'s window', () => {
    const net = established({ mss: SMSS, timestamps: false });
    expect(net.a.sender.cwnd).toBeNull();
    const start = net.now;
    net.a.write(new Uint8Array(40 * SMSS));
    net.run(start + 5000, () => net.a.unacknowledged === 0);
    expect(flights(net, start)[0]).toBe(40);
  });
});

describe('fast retransmit and NewReno fast recovery (RFC 5681 §3.2, RFC 6582), without SACK', () => {
  const noSack: EndpointOptions = { ...base, sackPermitted: false };

  it('segment 3 lost: the third duplicate ACK retransmits it with ssthresh = FlightSize/2 and cwnd = ssthresh + 3·SMSS; the full ACK leaves cwnd = min(ssthresh, FlightSize + SMSS)', () => {
    // IW: segments 1–10; the ACKs of 1 and 2 send 11–14 (cwnd 12000). Duplicates from 4 and 5 send 15 and 16 by limited
    // transmit (RFC 3042); the one from 6: FlightSize = 3..16 less those two = 12000, so ssthresh 6000, cwnd 9000, recover = 16.
    // Duplicates 4..13 (from 7–16) inflate it to 19000, letting 17–20 out. The retransmission's ACK covers 16 (recover):
    // FlightSize is 17–20 = 4000, cwnd = min(6000, 4000 + 1000) = 5000.
    const net = established(noSack, (rel, copy) => rel === 2001 && copy === 1);
    const start = net.now;
    net.a.write(new Uint8Array(20 * SMSS));
    net.run(start + 5000, () => net.a.unacknowledged === 0);
    expect(retransmissions(net.events.a)).toEqual([{ seq: 2001, why: 'fast' }]);
    expect(senderEvents(net.events.a)).toEqual([
      { recovery: 'fast', cwnd: 9000, ssthresh: 6000 },
      { recovery: 'none', cwnd: 5000, ssthresh: 6000 },
    ]);
    expect(net.now - start).toBeLessThan(200);
  });

  it('segments 3 and 6 lost: the partial ACK retransmits 6 at once (NewReno), no timeout', () => {
    const net = established(noSack, (rel, copy) => (rel === 2001 || rel === 5001) && copy === 1);
    const start = net.now;
    net.a.write(new Uint8Array(20 * SMSS));
    net.run(start + 5000, () => net.a.unacknowledged === 0);
    expect(retransmissions(net.events.a)).toEqual([{ seq: 2001, why: 'fast' }, { seq: 5001, why: 'partial-ack' }]);
    expect(senderEvents(net.events.a).map((event) => event.recovery)).toEqual(['fast', 'none']);
    expect(net.now - start).toBeLessThan(200);
  });

  it('the timer collapses cwnd to one SMSS and halves ssthresh once; recovery is slow start from SND.UNA: 1, 2, 4 segments', () => {
    // The whole initial window is lost once: no duplicate ACKs, so the 1 s timer fires. FlightSize 10000 → ssthresh 5000.
    const net = established(noSack, (rel, copy) => rel < 10 * SMSS && copy === 1);
    const start = net.now;
    net.a.write(new Uint8Array(10 * SMSS));
    net.run(start + 10_000, () => net.a.unacknowledged === 0);
    expect(senderEvents(net.events.a)[0]).toEqual({ recovery: 'timeout', cwnd: 1000, ssthresh: 5000 });
    expect(flights(net, start + 1)).toEqual([1, 2, 4, 3]);
    expect(retransmissions(net.events.a)[0]).toEqual({ seq: 1, why: 'timeout' });
    expect(retransmissions(net.events.a)).toHaveLength(10);
  });

  it('algorithm none keeps RFC 6298 alone: a lost segment waits for the timer, duplicate ACKs or not', () => {
    const net = established({ ...noSack, congestion: { algorithm: 'none' } }, (rel, copy) => rel === 2001 && copy === 1);
    const start = net.now;
    net.a.write(new Uint8Array(20 * SMSS));
    net.run(start + 5000, () => net.a.unacknowledged === 0);
    expect(retransmissions(net.events.a)).toEqual([{ seq: 2001, why: 'timeout' }]);
    expect(net.now - start).toBeGreaterThanOrEqual(1000);
    expect(net.a.sender.cwnd).toBeNull();
  });
});

describe('limited transmit (RFC 3042; RFC 6675 §5 step 3 with SACK)', () => {
  /** a's data segments that left at `at` ms after `start`, by relative sequence number, in order. */
  const sentAt = (net: ReturnType<typeof established>, at: number) => net.log.filter((entry) => entry.from === 'a' && entry.segment.payload.length > 0 && entry.at === at).map((entry) => (entry.segment.seq - 1000) >>> 0);

  for (const [name, options, recovery] of [
    ['NewReno', { ...base, sackPermitted: false, congestion: { initialWindow: 4 } }, { recovery: 'fast', cwnd: 5500, ssthresh: 2500 }],
    ['SACK', { ...base, congestion: { initialWindow: 4 } }, { recovery: 'sack', cwnd: 2500, ssthresh: 2500 }],
  ] as const) {
    it(`${name}: the first and second duplicate ACKs each send one new segment, cwnd unchanged; the third retransmits with ssthresh from FlightSize without them`, () => {
      // IW 4 (cwnd 4000): segments 1–4 leave at 0; 2 is lost. At 20 ms the ACK of 1 (cwnd 5000) sends 5 and 6 (FlightSize
      // 2..6 = 5000); the duplicates from 3 and 4 each let one new segment out (7, then 8: FlightSize 6000 and 7000, within
      // cwnd + 2·SMSS = 7000; cwnd stays 5000). At 40 ms the duplicate from 5 is the third: FlightSize 7000 less the 2000 sent
      // by limited transmit = 5000, so ssthresh 2500; NewReno's cwnd = 2500 + 3·1000, SACK's = ssthresh. 2 goes again first.
      const net = established(options, (rel, copy) => rel === 1001 && copy === 1);
      const start = net.now;
      net.a.write(new Uint8Array(20 * SMSS));
      net.run(start + 5000, () => net.a.unacknowledged === 0);
      expect(sentAt(net, start)).toEqual([1, 1001, 2001, 3001]);
      expect(sentAt(net, start + 20)).toEqual([4001, 5001, 6001, 7001]);
      expect(sentAt(net, start + 40)[0]).toBe(1001);
      expect(senderEvents(net.events.a)[0]).toEqual(recovery);
      expect(retransmissions(net.events.a)).toEqual([{ seq: 1001, why: 'fast' }]);
    });
  }

  it('needs new data: with nothing more to send, the two duplicates send nothing (the timer resends 2)', () => {
    const net = established({ ...base, sackPermitted: false, congestion: { initialWindow: 4 } }, (rel, copy) => rel === 1001 && copy === 1);
    const start = net.now;
    net.a.write(new Uint8Array(4 * SMSS));
    net.run(start + 5000, () => net.a.unacknowledged === 0);
    expect(sentAt(net, start + 20)).toEqual([]);
    expect(retransmissions(net.events.a)).toEqual([{ seq: 1001, why: 'timeout' }]);
  });

  it('off when retransmission is off: duplicate ACKs send nothing new beyond the peer\'s window, and nothing is resent', () => {
    // No cwnd: the peer's 4000-byte window is the only limit; while segment 1 is missing nothing new fits in it.
    const net = established({ mss: SMSS, timestamps: false, sackPermitted: false }, (rel, copy) => rel === 1 && copy === 1, { receiveWindow: 4000, windowScale: null });
    const start = net.now;
    net.a.write(new Uint8Array(20 * SMSS));
    net.run(start + 500);
    expect(sentAt(net, start)).toEqual([1, 1001, 2001, 3001]);
    expect(sentAt(net, start + 20)).toEqual([]);
    expect(retransmissions(net.events.a)).toEqual([]);
  });
});

describe('D-SACK (RFC 2883)', () => {
  it('the first block is a D-SACK at or below the cumulative ACK, or inside the second block (modulo 2^32)', () => {
    // §4.1.1: ACK 4000 with a first block 3000-3500, already acknowledged.
    expect(dsackBlock([[3000, 3500]], 4000)).toEqual([3000, 3500]);
    // §4.1.3: a duplicate of SACKed data, reported first and inside the block that holds it.
    expect(dsackBlock([[5000, 5500], [4500, 5500]], 4000)).toEqual([5000, 5500]);
    // Plain SACK blocks, and a second block that merely overlaps the first, are not.
    expect(dsackBlock([[5000, 5500], [6000, 6500]], 4000)).toBeNull();
    expect(dsackBlock([[5000, 6000], [5500, 6500]], 4000)).toBeNull();
    expect(dsackBlock([], 4000)).toBeNull();
    // Across the wrap: 0xffffff00–0x50 lies below an ACK of 0x100.
    expect(dsackBlock([[0xffff_ff00, 0x50]], 0x100)).toEqual([0xffff_ff00, 0x50]);
    expect(dsackBlock([[0x200, 0x300]], 0x100)).toBeNull();
  });

  it('a D-SACK is counted as a hint of a spurious retransmission, never as loss: the scoreboard is unchanged and no duplicate ACK is counted', () => {
    // a sends 5 segments (seq 1001–6001); the peer's own ACKs are dropped and ours are written by hand.
    let mute = false;
    const net = wire({ isn: 1000, ...base }, { isn: 900_000, mss: SMSS, timestamps: false }, { lose: (from) => from === 'b' && mute });
    net.b.listen(net.now);
    net.a.open();
    net.run(1000, () => net.a.stateName === 'ESTABLISHED' && net.b.stateName === 'ESTABLISHED');
    mute = true;
    net.a.write(new Uint8Array(5 * SMSS));
    net.run(net.now + 15);
    const template = net.log.filter((entry) => entry.from === 'b').at(-1)?.segment;
    if (!template) throw new Error('no ACK from the peer to copy');
    const ack = (sack: Array<[number, number]>) => net.a.receive({ ...template, flags: TCP_ACK, ack: 2001, payload: new Uint8Array(0), options: [{ kind: 'sack', blocks: sack }] }, net.now);
    const scoreboard = () => (Reflect.get(net.a, 'scoreboard') as SackScoreboard).blocks.map(([start, end]) => [start, end]);
    ack([[3001, 4001]]); // SND.UNA to 2001, segment 3 SACKed (offsets from the ISN: 2001–3001)
    expect(scoreboard()).toEqual([[2001, 3001]]);
    expect(net.a.sender.dsacks).toBe(0);
    // Five ACKs with nothing new but a D-SACK: below the cumulative ACK (1000 bytes), then inside the SACKed block (500 bytes).
    ack([[1001, 2001], [3001, 4001]]);
    for (let i = 0; i < 4; i++) ack([[3001, 3501], [3001, 4001]]);
    expect(scoreboard()).toEqual([[2001, 3001]]);
    expect(net.a.sender).toMatchObject({ dsacks: 5, dsackBytes: 1000 + 4 * 500, recovery: 'none', cwnd: 11_000 });
    net.flush();
    // Counted as duplicates they would have been the third: a fast retransmission. None came.
    expect(retransmissions(net.events.a)).toEqual([]);
    expect(Reflect.get(net.a, 'dupAcks')).toBe(0);
    // A plain duplicate still counts: three of them start recovery.
    for (let i = 0; i < 3; i++) ack([[3001, 4001]]);
    net.flush();
    expect(retransmissions(net.events.a)).toEqual([{ seq: 1001, why: 'fast' }]);
  });
});

describe('SACK-based loss recovery (RFC 6675)', () => {
  it('segments 3, 5 and 7 lost: exactly those three are sent again, nothing after them, within a few RTTs', () => {
    // Duplicates from 4, 6, 8 (the third) enter recovery: FlightSize 3..14 = 12000, so ssthresh = cwnd = 6000 (§5 step 4).
    // Later SACKs mark 5 and 7 lost (more than 2·SMSS SACKed above each); NextSeg sends them as pipe falls below cwnd.
    const net = established(base, (rel, copy) => [2001, 4001, 6001].includes(rel) && copy === 1);
    const start = net.now;
    net.a.write(new Uint8Array(40 * SMSS));
    net.run(start + 5000, () => net.a.unacknowledged === 0);
    expect(net.a.negotiated.sack).toBe(true);
    expect(retransmissions(net.events.a)).toEqual([{ seq: 2001, why: 'fast' }, { seq: 4001, why: 'recovery' }, { seq: 6001, why: 'recovery' }]);
    expect(net.a.stats.bytesRetransmitted).toBe(3 * SMSS);
    expect(senderEvents(net.events.a)).toEqual([
      { recovery: 'sack', cwnd: 6000, ssthresh: 6000 },
      { recovery: 'none', cwnd: 6000, ssthresh: 6000 },
    ]);
    expect(net.now - start).toBeLessThan(200);
  });

  it('the same losses: SACK resends the three holes within one round trip of the first, NewReno one hole per round trip, the timer-only sender one backed-off RTO per hole', () => {
    const lose = (rel: number, copy: number) => [2001, 4001, 6001].includes(rel) && copy === 1;
    const run = (options: EndpointOptions) => {
      const net = established(options, lose);
      const start = net.now;
      net.a.write(new Uint8Array(40 * SMSS));
      net.run(start + 60_000, () => net.a.unacknowledged === 0);
      expect(sameBytes(bytesOf(net.received.b), new Uint8Array(40 * SMSS))).toBe(true);
      const resent = net.events.a.flatMap((event) => (event.type === 'retransmit' ? [event.at - start] : []));
      return { resent, took: net.now - start };
    };
    // RTT 20 ms; segments 1–10 leave at 0, 11–14 at 20 ms (ACKs of 1 and 2), 15 and 16 by limited transmit (the SACKs from 4
    // and 6). The one from 8 enters recovery (FlightSize 3..16 less 15–16 = 12000: cwnd 6000) and resends 3; the SACKs of 9
    // and 10 then mark 5 and 7 lost, but pipe is 1000 (3, resent) + 6000 (11–16) = 7000 ≥ cwnd: 5 and 7 wait for the ACKs
    // of 11–16 at 40 ms to bring pipe down.
    // NewReno learns of 5 from the partial ACK for 3 (40 ms), of 7 from the one for 5 (60 ms).
    const sack = run(base);
    const newReno = run({ ...base, sackPermitted: false });
    expect(sack.resent).toEqual([20, 40, 40]);
    expect(newReno.resent).toEqual([20, 40, 60]);
    expect(sack.took).toBeLessThan(newReno.took);
    // Timer only: all 40 segments left at once, so no new segment gives an RTT sample and Karn keeps the backoff: 1 s, 2 s, 4 s,
    // each restarted by the last ACK that moved SND.UNA (§5.3): the ACK of 2 at 20 ms, of 3's copy at 1040, of 5's at 3060.
    const timerOnly = run({ ...base, congestion: { algorithm: 'none' } });
    expect(timerOnly.resent).toEqual([1020, 3040, 7060]);
  });

  it('a timeout in SACK recovery resends only unSACKed data', () => {
    // Segment 3 lost twice: its fast retransmission is lost too, so the timer fires; segments SACKed before are not sent again.
    const net = established(base, (rel, copy) => rel === 2001 && copy <= 2);
    const start = net.now;
    net.a.write(new Uint8Array(20 * SMSS));
    net.run(start + 10_000, () => net.a.unacknowledged === 0);
    expect(retransmissions(net.events.a)).toEqual([{ seq: 2001, why: 'fast' }, { seq: 2001, why: 'timeout' }]);
    expect(senderEvents(net.events.a).map((event) => event.recovery)).toEqual(['sack', 'timeout', 'none']);
  });

  it('1 MiB each way across a wire losing 5 % of segments both ways: every byte arrives, and the bytes sent again stay near the bytes lost', () => {
    const random = seeded(42);
    let lostData = 0;
    const net = wire({ isn: 1, retransmit: true, rto: { minRtoMs: 200 } }, { isn: 2, retransmit: true, rto: { minRtoMs: 200 } }, {
      lose: (_from, segment) => {
        const lost = random() < 0.05;
        if (lost) lostData += segment.payload.length;
        return lost;
      },
    });
    net.b.listen(0);
    net.a.open();
    net.run(1000, () => net.a.stateName === 'ESTABLISHED');
    const one = pattern(1 << 20, 3);
    const two = pattern(1 << 20, 4);
    net.a.write(one);
    net.b.write(two);
    net.run(600_000, () => net.a.unacknowledged === 0 && net.b.unacknowledged === 0);
    expect(sameBytes(bytesOf(net.received.b), one)).toBe(true);
    expect(sameBytes(bytesOf(net.received.a), two)).toBe(true);
    const resent = net.a.stats.bytesRetransmitted + net.b.stats.bytesRetransmitted;
    expect(resent).toBeGreaterThanOrEqual(lostData * 0.9);
    expect(resent).toBeLessThan(lostData * 1.5);
  });
});
