/**
 * The runner against a scripted fake peer (no network): relative numbers against both ISNs,
 * TS ecr mapped onto the peer's clock, timing judged by the frames' stamps (not by when they
 * reached us), and segments stamped before a `<` line was due reported as unexpected.
 * The peer's segments are built by Scapy, an independent encoder.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ConversationRunner, decodeSegment, type ConversationLink, type ReceivedPacket } from '../../../shared/conversation/runner';
import { parseScript } from '../../../shared/conversation/script';

const SYSTEM_PYTHON = '/usr/bin/python3';
const haveScapy = spawnSync(SYSTEM_PYTHON, ['-c', 'import scapy.all']).status === 0;

function scapy(expression: string): Uint8Array {
  const result = spawnSync(SYSTEM_PYTHON, ['-c', `from scapy.all import *\nimport sys\nsys.stdout.write(bytes(${expression}).hex())`], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  return Uint8Array.from(Buffer.from(result.stdout, 'hex'));
}

/** A link on a virtual clock: the peer answers each of our segments with `answer(sent)` (packet, delay, delivery lag). */
class FakeLink implements ConversationLink {
  clock = 1000;
  readonly sent: Uint8Array[] = [];
  private readonly queue: Array<ReceivedPacket & { deliveredAt: number }> = [];
  constructor(private readonly answer: (packet: Uint8Array, index: number) => Array<{ packet: Uint8Array; delay: number; lag?: number }>) {}
  now(): number {
    return this.clock;
  }
  async sleepUntil(time: number): Promise<void> {
    this.clock = Math.max(this.clock, time);
  }
  async send(packet: Uint8Array): Promise<number> {
    this.sent.push(packet);
    for (const reply of this.answer(packet, this.sent.length - 1)) {
      this.queue.push({ packet: reply.packet, time: this.clock + reply.delay, deliveredAt: this.clock + reply.delay + (reply.lag ?? 0) });
    }
    return this.clock;
  }
  async receive(deadline: number): Promise<ReceivedPacket | null> {
    this.queue.sort((a, b) => a.deliveredAt - b.deliveredAt);
    const next = this.queue[0];
    if (next && next.deliveredAt <= Math.max(deadline, this.clock)) {
      this.queue.shift();
      this.clock = Math.max(this.clock, next.deliveredAt);
      return { packet: next.packet, time: next.time };
    }
    this.clock = Math.max(this.clock, deadline);
    return null;
  }
}

const LOCAL = { address: '198.18.0.11', port: 40000 };
const REMOTE = { address: '198.18.0.2', port: 80 };
const OUR_ISN = 1_000_000;
const PEER_ISN = 4_000_000_000;

describe.skipIf(!haveScapy)('conversation runner', () => {
  const synAck = scapy(`IP(src='198.18.0.2',dst='198.18.0.11')/TCP(sport=80,dport=40000,flags='SA',seq=${PEER_ISN},ack=${OUR_ISN + 1},window=65160,options=[('MSS',1460),('SAckOK',b''),('Timestamp',(777000,100)),('NOP',None),('WScale',7)])`);
  const dataAck = scapy(`IP(src='198.18.0.2',dst='198.18.0.11')/TCP(sport=80,dport=40000,flags='A',seq=${PEER_ISN + 1},ack=${OUR_ISN + 6},window=509,options=[('NOP',None),('NOP',None),('Timestamp',(777010,110))])`);
  const script = [
    '0      < S  0:0(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>',
    '+0     > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 5000 ecr 100,nop,wscale 7>',
    '+0.01  < P. 1:6(5) ack 1 win 502 <nop,nop,TS val 110 ecr 5000> "hello"',
    '+0~+0.2 > . 1:1(0) ack 6 <nop,nop,TS val 5010 ecr 110>',
  ].join('\n');

  it('holds a handshake with data in relative numbers, mapping TS ecr onto the peer\'s clock and following its own state; timing is judged by the stamp even when delivery lags 500 ms', async () => {
    const link = new FakeLink((_, index) => (index === 0 ? [{ packet: synAck, delay: 0.0003 }] : index === 1 ? [{ packet: dataAck, delay: 0.04, lag: 0.5 }] : []));
    const runner = new ConversationRunner(parseScript(script), link, { local: LOCAL, remote: REMOTE, tolerance: 0.004, isn: OUR_ISN });
    const summary = await runner.run();
    expect(summary.reason).toBeNull();
    expect(summary.peerIsn).toBe(PEER_ISN);
    expect(runner.steps.map((step) => step.state)).toEqual(['SYN_SENT', 'ESTABLISHED', 'ESTABLISHED', 'ESTABLISHED']);
    // Our data segment, read back independently of our encoder's view: absolute numbers and the peer's TS clock.
    const data = decodeSegment(link.sent[1]);
    expect(data).toMatchObject({ seq: OUR_ISN + 1, ack: PEER_ISN + 1, window: 502 });
    expect(data?.options.find((option) => option.kind === 'timestamp')).toEqual({ kind: 'timestamp', tsval: 110, tsecr: 777000 });
    expect(Buffer.from(data?.payload ?? []).toString()).toBe('hello');
    // The connection is still open at the peer: it is reset at our next sequence number.
    expect(summary.cleanup).toBe('R 6:6(0)');
    expect(decodeSegment(link.sent[2])).toMatchObject({ flags: 0x04, seq: OUR_ISN + 6 });
  });

  it('fails a > line naming the differing fields, and a segment stamped outside its window with the timing error', async () => {
    const lateAck = new FakeLink((_, index) => (index === 0 ? [{ packet: synAck, delay: 0.0003 }] : index === 1 ? [{ packet: dataAck, delay: 0.3 }] : []));
    const late = await new ConversationRunner(parseScript(script), lateAck, { local: LOCAL, remote: REMOTE, tolerance: 0.004, isn: OUR_ISN }).run();
    expect(late.failedLine).toBe(4);
    expect(late.reason).toMatch(/^arrived at 0\.310300 s, 96\.000 ms late for between 0\.010300 and 0\.210300 s ± 4\.0 ms$/);
    const wrong = new FakeLink((_, index) => (index === 0 ? [{ packet: synAck, delay: 0.0003 }] : index === 1 ? [{ packet: dataAck, delay: 0.01 }] : []));
    const mutated = await new ConversationRunner(parseScript(script.replace('ack 6 <nop', 'ack 5 <nop')), wrong, { local: LOCAL, remote: REMOTE, tolerance: 0.004, isn: OUR_ISN }).run();
    expect(mutated).toMatchObject({ failedLine: 4, reason: 'ack 6 instead of 5' });
  });

  it('a peer segment stamped before a < line was due is reported as unexpected at that line', async () => {
    const early = new FakeLink((_, index) => (index === 0 ? [{ packet: synAck, delay: 0.0003 }, { packet: dataAck, delay: 0.001 }] : []));
    const failed = await new ConversationRunner(parseScript(script), early, { local: LOCAL, remote: REMOTE, tolerance: 0.004, isn: OUR_ISN }).run();
    expect(failed.failedLine).toBe(3);
    expect(failed.reason).toMatch(/the peer sent a segment the script does not expect before line 3: \. 1:1\(0\) ack 6/);
  });

  it('Step holds before each line; Stop ends a wait for the peer without a verdict and still resets the connection', async () => {
    // The peer answers the SYN, then stays silent: line 4 would wait for its ACK.
    const link = new FakeLink((_, index) => (index === 0 ? [{ packet: synAck, delay: 0.0003 }] : []));
    let stopped = false;
    const held: number[] = [];
    const runner = new ConversationRunner(parseScript(script), link, {
      local: LOCAL,
      remote: REMOTE,
      tolerance: 0.004,
      isn: OUR_ISN,
      beforeStep: async (step) => {
        held.push(step.line);
        return true;
      },
      stopped: () => stopped,
    });
    // The fake link's receive returns at its deadline; Stop arrives while line 4 waits.
    const receive = link.receive.bind(link);
    link.receive = async (deadline) => {
      if (held.at(-1) === 4) stopped = true;
      return stopped ? null : receive(deadline);
    };
    const summary = await runner.run();
    expect(held).toEqual([1, 2, 3, 4]);
    expect(summary).toMatchObject({ ok: true, stopped: true, failedLine: null, reason: null, passed: 3 });
    expect(runner.steps.map((step) => step.line)).toEqual([1, 2, 3]);
    // The peer holds an established connection: it gets an RST at our next sequence number.
    expect(summary.cleanup).toBe('R 6:6(0)');
    // A hold that answers no ends the run before that line is sent.
    const before = new FakeLink((_, index) => (index === 0 ? [{ packet: synAck, delay: 0.0003 }] : []));
    const refused = await new ConversationRunner(parseScript(script), before, { local: LOCAL, remote: REMOTE, tolerance: 0.004, isn: OUR_ISN, beforeStep: async (step) => step.line < 3 }).run();
    expect(refused).toMatchObject({ stopped: true, passed: 2, cleanup: 'R 1:1(0)' });
    expect(before.sent.map((packet) => decodeSegment(packet)?.flags)).toEqual([0x02, 0x04]);
  });
});
