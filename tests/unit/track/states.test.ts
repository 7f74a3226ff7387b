/**
 * The endpoint state table held against RFC 9293 §3.3.2 figure 5: every arrow of the figure,
 * transcribed here by hand from the RFC, must be in the table, and nothing else may move an
 * endpoint except the RST and FIN-WAIT-1 rules of §3.10.7.
 */
import { describe, expect, it } from 'vitest';
import { nextState, TcpEvent as E, TcpState as S, TRANSITIONS, TCP_STATE_NAMES } from '../../../shared/track/states';
import { seqGt, seqLt, seqRelative } from '../../../shared/track/seq';

// Figure 5, arrow by arrow: [from, label on the arrow, to].
const FIGURE_5: Array<[number, number, number]> = [
  [S.CLOSED, E.PASSIVE_OPEN, S.LISTEN], // passive OPEN / create TCB
  [S.CLOSED, E.SEND_SYN, S.SYN_SENT], // active OPEN / snd SYN
  [S.LISTEN, E.RECEIVE_SYN, S.SYN_RECEIVED], // rcv SYN / snd SYN,ACK
  [S.LISTEN, E.SEND_SYN, S.SYN_SENT], // SEND / snd SYN
  [S.SYN_SENT, E.RECEIVE_SYN, S.SYN_RECEIVED], // rcv SYN / snd SYN,ACK (simultaneous open)
  [S.SYN_SENT, E.RECEIVE_SYN_ACK, S.ESTABLISHED], // rcv SYN,ACK / snd ACK
  [S.SYN_RECEIVED, E.RECEIVE_ACK_OF_SYN, S.ESTABLISHED], // rcv ACK of SYN
  [S.SYN_RECEIVED, E.SEND_FIN, S.FIN_WAIT_1], // CLOSE / snd FIN
  [S.ESTABLISHED, E.SEND_FIN, S.FIN_WAIT_1], // CLOSE / snd FIN
  [S.ESTABLISHED, E.RECEIVE_FIN, S.CLOSE_WAIT], // rcv FIN / snd ACK
  [S.FIN_WAIT_1, E.RECEIVE_ACK_OF_FIN, S.FIN_WAIT_2], // rcv ACK of FIN
  [S.FIN_WAIT_1, E.RECEIVE_FIN, S.CLOSING], // rcv FIN / snd ACK
  [S.FIN_WAIT_2, E.RECEIVE_FIN, S.TIME_WAIT], // rcv FIN / snd ACK
  [S.CLOSING, E.RECEIVE_ACK_OF_FIN, S.TIME_WAIT], // rcv ACK of FIN
  [S.CLOSE_WAIT, E.SEND_FIN, S.LAST_ACK], // CLOSE / snd FIN
  [S.LAST_ACK, E.RECEIVE_ACK_OF_FIN, S.CLOSED], // rcv ACK of FIN
  [S.TIME_WAIT, E.TIMEOUT_2MSL, S.CLOSED], // Timeout=2MSL / delete TCB
];

describe('RFC 9293 state table', () => {
  it('contains every arrow of figure 5', () => {
    for (const [from, event, to] of FIGURE_5) {
      expect(`${TCP_STATE_NAMES[from]} -> ${TCP_STATE_NAMES[nextState(from as S, event as E)] ?? 'none'}`).toBe(`${TCP_STATE_NAMES[from]} -> ${TCP_STATE_NAMES[to]}`);
    }
  });

  it('has no other arrows than figure 5 and the reset rules', () => {
    const figure = new Set(FIGURE_5.map(([f, e]) => `${f}:${e}`));
    const extra = TRANSITIONS.filter(([f, e]) => !figure.has(`${f}:${e}`));
    for (const [from, event, to] of extra) {
      const resetRule = event === E.SEND_RST || event === E.RECEIVE_RST;
      const simultaneousOpenAck = from === S.SYN_RECEIVED && event === E.RECEIVE_SYN_ACK && to === S.ESTABLISHED;
      expect(resetRule || simultaneousOpenAck).toBe(true);
      // §3.10.7.4: an acceptable RST in a passive SYN_RECEIVED returns it to LISTEN; elsewhere to CLOSED.
      if (resetRule) expect(to).toBe(from === S.SYN_RECEIVED && event === E.RECEIVE_RST ? S.LISTEN : S.CLOSED);
    }
  });

  it('leaves the state alone for events the state does not expect', () => {
    expect(nextState(S.ESTABLISHED, E.RECEIVE_SYN)).toBe(-1);
    expect(nextState(S.TIME_WAIT, E.RECEIVE_FIN)).toBe(-1);
    expect(nextState(S.CLOSED, E.RECEIVE_RST)).toBe(-1);
  });
});

describe('sequence arithmetic modulo 2^32 (RFC 9293 §3.4)', () => {
  it('compares across the wrap', () => {
    expect(seqLt(0xfffffff0, 0x10)).toBe(true);
    expect(seqGt(0x10, 0xfffffff0)).toBe(true);
    expect(seqRelative(0x5, 0xfffffffe)).toBe(7);
  });
});
