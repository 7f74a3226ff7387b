/**
 * Our lane from the endpoint's own state: each ladder arrow of the endpoint's connection gets
 * the state the endpoint was in right after that segment (RFC 9293 figure 5's path for an
 * active open and close), the peer's lane is left as tracked, and other connections are left
 * alone. The ladder here is what a capture of the simulated wire shows.
 */
import { describe, expect, it } from 'vitest';
import type { ConnectionRow, Ladder, LadderArrow } from '../../../shared/api';
import { EndpointLane, endpointName } from '../../../shared/endpoint';
import { tcpFlagsText } from '../../../shared/wire/info';
import { TCP_ACK } from '../../../shared/wire/summary';
import { wire } from './harness';

const OURS = '198.18.0.1:40000';
const PEER = '198.18.0.2:80';

function ladderOf(net: ReturnType<typeof wire>, keep: (index: number) => boolean): Ladder {
  const isn = { a: net.a.iss, b: net.b.iss };
  const arrows: LadderArrow[] = net.log.flatMap((entry, index) => {
    if (entry.lost || !keep(index)) return [];
    const { segment } = entry;
    const other = entry.from === 'a' ? 'b' : 'a';
    return [
      {
        frameIndex: index,
        number: index + 1,
        time: entry.at / 1000,
        from: entry.from === 'a' ? 'client' : 'server',
        flags: tcpFlagsText(segment.flags),
        seq: (segment.seq - isn[entry.from]) >>> 0,
        ack: segment.flags & TCP_ACK ? (segment.ack - isn[other]) >>> 0 : 0,
        len: segment.payload.length,
        window: segment.window,
        clientState: 'TRACKED',
        serverState: 'TRACKED',
        phase: 'other',
        analysis: [],
      },
    ];
  });
  return { stream: 0, client: OURS, server: PEER, initialClientState: 'CLOSED', initialServerState: 'LISTEN', finalClientState: 'TRACKED', finalServerState: 'TRACKED', arrows, truncated: false, story: '' };
}

function conversation() {
  const net = wire({ isn: 1000, tsOffset: 5 }, { isn: 900_000, tsOffset: 77 });
  const lane = new EndpointLane(OURS, net.a);
  lane.remote = PEER;
  net.b.listen(net.now);
  net.a.open();
  net.run(1000, () => net.a.stateName === 'ESTABLISHED');
  net.a.write(new TextEncoder().encode('hello'));
  net.a.close('fin', net.now);
  net.run(2000, () => net.a.stateName === 'FIN_WAIT_2');
  net.b.close('fin', net.now);
  net.run(3000, () => net.a.stateName === 'TIME_WAIT');
  return { net, lane };
}

describe('the endpoint lane', () => {
  it('gives each arrow our state after it, from the endpoint; the peer lane stays as tracked', () => {
    const { net, lane } = conversation();
    const ladder = lane.ladder(ladderOf(net, () => true));
    expect(ladder.endpointSide).toBe('client');
    expect(ladder.arrows.map((arrow) => `${arrow.from} ${arrow.flags} ${arrow.len} ${arrow.clientState}`)).toEqual([
      'client SYN 0 SYN_SENT',
      'server SYN, ACK 0 ESTABLISHED',
      'client ACK 0 ESTABLISHED',
      'client PSH, ACK 5 ESTABLISHED',
      'client FIN, ACK 0 FIN_WAIT_1',
      // The peer's ACK of the data only: our FIN is still unacknowledged.
      'server ACK 0 FIN_WAIT_1',
      'server ACK 0 FIN_WAIT_2',
      'server FIN, ACK 0 TIME_WAIT',
      'client ACK 0 TIME_WAIT',
    ]);
    expect(ladder.arrows.every((arrow) => arrow.serverState === 'TRACKED')).toBe(true);
    expect(ladder.initialClientState).toBe('CLOSED');
    expect(ladder.finalClientState).toBe('TIME_WAIT');
    expect(ladder.finalServerState).toBe('TRACKED');
  });

  it('passes over a segment the endpoint counted but the wire never carried', () => {
    const { net, lane } = conversation();
    const dataIndex = net.log.findIndex((entry) => entry.segment.payload.length > 0);
    const ladder = lane.ladder(ladderOf(net, (index) => index !== dataIndex));
    const fin = ladder.arrows.find((arrow) => arrow.from === 'client' && arrow.flags.includes('FIN'));
    expect(fin?.clientState).toBe('FIN_WAIT_1');
    expect(ladder.arrows[ladder.arrows.length - 1].clientState).toBe('TIME_WAIT');
  });

  it('finds an arrow\'s segment however far ahead: 40 data segments counted but never on the wire are passed over', () => {
    const net = wire({ isn: 1000, tsOffset: 5 }, { isn: 900_000, tsOffset: 77 });
    const lane = new EndpointLane(OURS, net.a);
    lane.remote = PEER;
    net.b.listen(net.now);
    net.a.open();
    net.run(1000, () => net.a.stateName === 'ESTABLISHED');
    net.a.write(new Uint8Array(60 * 1448));
    net.a.close('fin', net.now);
    net.run(60_000, () => net.a.stateName === 'FIN_WAIT_2');
    net.b.close('fin', net.now);
    net.run(70_000, () => net.a.stateName === 'TIME_WAIT');
    const dataFromUs = net.log.flatMap((entry, index) => (entry.from === 'a' && entry.segment.payload.length > 0 ? [index] : []));
    expect(dataFromUs.length).toBeGreaterThan(40);
    const hidden = new Set(dataFromUs.slice(0, 40));
    const ladder = lane.ladder(ladderOf(net, (index) => !hidden.has(index)));
    const fin = ladder.arrows.find((arrow) => arrow.from === 'client' && arrow.flags.includes('FIN'));
    expect(fin?.clientState).toBe('FIN_WAIT_1');
    const peerFin = ladder.arrows.find((arrow) => arrow.from === 'server' && arrow.flags.includes('FIN'));
    expect(peerFin?.clientState).toBe('TIME_WAIT');
    // The first data segment the wire shows is the 41st: its arrow still finds its own step.
    const firstShown = ladder.arrows.find((arrow) => arrow.from === 'client' && arrow.len > 0);
    expect(firstShown?.seq).toBe(40 * 1448 + 1);
    expect(firstShown?.clientState).toBe('ESTABLISHED');
  });

  it('a FIN+ACK that acknowledges our FIN in FIN_WAIT_1 shows both states it passed (FIN_WAIT_2, TIME_WAIT)', () => {
    let dropAckOfFin = false;
    const net = wire({ isn: 1000, tsOffset: 5 }, { isn: 900_000, tsOffset: 77 }, {
      // The peer's bare ACK of our FIN is lost, so its FIN+ACK acknowledges our FIN too.
      lose: (from, segment) => {
        if (!dropAckOfFin || from !== 'b' || segment.flags !== TCP_ACK) return false;
        dropAckOfFin = false;
        return true;
      },
    });
    const lane = new EndpointLane(OURS, net.a);
    lane.remote = PEER;
    net.b.listen(net.now);
    net.a.open();
    net.run(1000, () => net.a.stateName === 'ESTABLISHED');
    dropAckOfFin = true;
    net.a.close('fin', net.now);
    net.run(2000, () => net.b.stateName === 'CLOSE_WAIT');
    net.run(2100);
    expect(net.a.stateName).toBe('FIN_WAIT_1');
    net.b.close('fin', net.now);
    net.run(3000, () => net.a.stateName === 'TIME_WAIT');
    const ladder = lane.ladder(ladderOf(net, () => true));
    const peerFin = ladder.arrows.find((arrow) => arrow.from === 'server' && arrow.flags.includes('FIN'));
    expect(peerFin).toMatchObject({ clientState: 'TIME_WAIT', clientPassed: ['FIN_WAIT_2', 'TIME_WAIT'] });
    // Arrows that moved our lane once carry no list.
    expect(ladder.arrows.filter((arrow) => arrow.clientPassed).length).toBe(1);
    // The Connections row writes the same path for our side, replacing what the tracker guessed; the peer's tracked path stays.
    const tracked = { stream: 0, client: OURS, server: PEER, clientState: 'FIN_WAIT_1', serverState: 'LAST_ACK', clientPassed: ['X', 'Y'], serverPassed: ['CLOSE_WAIT', 'LAST_ACK'] } as ConnectionRow;
    expect(lane.row(tracked)).toMatchObject({ clientState: 'TIME_WAIT', clientPassed: ['FIN_WAIT_2', 'TIME_WAIT'], serverPassed: ['CLOSE_WAIT', 'LAST_ACK'] });
    // Once TIME_WAIT ends (a timer, no segment), the path is gone.
    net.run(net.now + 120_000, () => net.a.stateName === 'CLOSED');
    expect(net.a.stateName).toBe('CLOSED');
    expect(lane.row(tracked).clientPassed).toBeUndefined();
  });

  it('leaves other connections alone and marks only its own row', () => {
    const { lane } = conversation();
    const row = { stream: 0, client: OURS, server: PEER, clientState: 'FIN_WAIT_1', serverState: 'LAST_ACK' } as ConnectionRow;
    expect(lane.row(row)).toMatchObject({ clientState: 'TIME_WAIT', serverState: 'LAST_ACK', endpointSide: 'client' });
    const other = { ...row, client: '198.18.0.1:40001' };
    expect(lane.row(other)).toBe(other);
    expect(endpointName('2001:db8::1', 80)).toBe('[2001:db8::1]:80');
  });
});
