/**
 * The endpoint state machine of RFC 9293 §3.3.2 (figure 5), as an explicit table.
 *
 * Events are what a passive observer can derive from segments on the wire: each
 * segment is a "send" event for the endpoint that sent it and a "receive" event for
 * its peer. Hold the table against figure 5: every row below is one arrow there, plus
 * the arrows the figure leaves to the text (§3.10.7: RST handling, FIN-WAIT-1 receiving
 * a FIN that also ACKs our FIN is processed ACK first, then FIN, as the RFC orders it).
 */

export const TcpState = {
  CLOSED: 0,
  LISTEN: 1,
  SYN_SENT: 2,
  SYN_RECEIVED: 3,
  ESTABLISHED: 4,
  FIN_WAIT_1: 5,
  FIN_WAIT_2: 6,
  CLOSE_WAIT: 7,
  CLOSING: 8,
  LAST_ACK: 9,
  TIME_WAIT: 10,
} as const;
export type TcpState = (typeof TcpState)[keyof typeof TcpState];

/** RFC 9293 names, upper case with underscores (cli.md `states`). Indexed by TcpState. */
export const TCP_STATE_NAMES: readonly string[] = [
  'CLOSED',
  'LISTEN',
  'SYN_SENT',
  'SYN_RECEIVED',
  'ESTABLISHED',
  'FIN_WAIT_1',
  'FIN_WAIT_2',
  'CLOSE_WAIT',
  'CLOSING',
  'LAST_ACK',
  'TIME_WAIT',
];

export const TcpEvent = {
  /** Inferred: the endpoint answered a SYN with SYN+ACK, so it was listening. */
  PASSIVE_OPEN: 0,
  SEND_SYN: 1,
  RECEIVE_SYN: 2,
  SEND_SYN_ACK: 3,
  /** A SYN+ACK whose ACK acknowledges our SYN. */
  RECEIVE_SYN_ACK: 4,
  /** An ACK that acknowledges our SYN (the third segment of the handshake, or later). */
  RECEIVE_ACK_OF_SYN: 5,
  SEND_FIN: 6,
  RECEIVE_FIN: 7,
  /** An ACK that acknowledges our FIN. */
  RECEIVE_ACK_OF_FIN: 8,
  SEND_RST: 9,
  /** An acceptable RST (in window, or acknowledging our SYN in SYN_SENT). */
  RECEIVE_RST: 10,
  TIMEOUT_2MSL: 11,
} as const;
export type TcpEvent = (typeof TcpEvent)[keyof typeof TcpEvent];

export const TCP_EVENT_NAMES: readonly string[] = [
  'passive open',
  'send SYN',
  'receive SYN',
  'send SYN+ACK',
  'receive SYN+ACK',
  'receive ACK of SYN',
  'send FIN',
  'receive FIN',
  'receive ACK of FIN',
  'send RST',
  'receive RST',
  '2MSL timeout',
];

type Row = readonly [from: TcpState, event: TcpEvent, to: TcpState];

const S = TcpState;
const E = TcpEvent;

/** Every arrow, `(state, event) → state`. Pairs not listed leave the state unchanged. */
export const TRANSITIONS: readonly Row[] = [
  // Opening (figure 5, upper half)
  [S.CLOSED, E.PASSIVE_OPEN, S.LISTEN],
  [S.CLOSED, E.SEND_SYN, S.SYN_SENT], // active OPEN / snd SYN
  [S.LISTEN, E.RECEIVE_SYN, S.SYN_RECEIVED], // rcv SYN / snd SYN,ACK
  [S.LISTEN, E.SEND_SYN, S.SYN_SENT], // SEND / snd SYN
  [S.SYN_SENT, E.RECEIVE_SYN, S.SYN_RECEIVED], // simultaneous open: rcv SYN / snd SYN,ACK
  [S.SYN_SENT, E.RECEIVE_SYN_ACK, S.ESTABLISHED], // rcv SYN,ACK / snd ACK
  [S.SYN_RECEIVED, E.RECEIVE_ACK_OF_SYN, S.ESTABLISHED], // rcv ACK of SYN
  [S.SYN_RECEIVED, E.RECEIVE_SYN_ACK, S.ESTABLISHED], // simultaneous open: the peer's SYN,ACK ACKs our SYN
  [S.SYN_RECEIVED, E.SEND_FIN, S.FIN_WAIT_1], // CLOSE / snd FIN
  // Closing (figure 5, lower half)
  [S.ESTABLISHED, E.SEND_FIN, S.FIN_WAIT_1], // CLOSE / snd FIN
  [S.ESTABLISHED, E.RECEIVE_FIN, S.CLOSE_WAIT], // rcv FIN / snd ACK
  [S.FIN_WAIT_1, E.RECEIVE_ACK_OF_FIN, S.FIN_WAIT_2], // rcv ACK of FIN
  [S.FIN_WAIT_1, E.RECEIVE_FIN, S.CLOSING], // simultaneous close: rcv FIN / snd ACK
  [S.FIN_WAIT_2, E.RECEIVE_FIN, S.TIME_WAIT], // rcv FIN / snd ACK
  [S.CLOSING, E.RECEIVE_ACK_OF_FIN, S.TIME_WAIT], // rcv ACK of FIN
  [S.CLOSE_WAIT, E.SEND_FIN, S.LAST_ACK], // CLOSE / snd FIN
  [S.LAST_ACK, E.RECEIVE_ACK_OF_FIN, S.CLOSED], // rcv ACK of FIN
  [S.TIME_WAIT, E.TIMEOUT_2MSL, S.CLOSED], // Timeout=2MSL
  // Resets (§3.10.7: an acceptable RST ends every synchronized state; sending one too)
  [S.SYN_SENT, E.RECEIVE_RST, S.CLOSED],
  [S.SYN_RECEIVED, E.RECEIVE_RST, S.LISTEN], // passive open returns to LISTEN (the tracker closes active ones)
  [S.ESTABLISHED, E.RECEIVE_RST, S.CLOSED],
  [S.FIN_WAIT_1, E.RECEIVE_RST, S.CLOSED],
  [S.FIN_WAIT_2, E.RECEIVE_RST, S.CLOSED],
  [S.CLOSE_WAIT, E.RECEIVE_RST, S.CLOSED],
  [S.CLOSING, E.RECEIVE_RST, S.CLOSED],
  [S.LAST_ACK, E.RECEIVE_RST, S.CLOSED],
  [S.TIME_WAIT, E.RECEIVE_RST, S.CLOSED],
  [S.SYN_SENT, E.SEND_RST, S.CLOSED],
  [S.SYN_RECEIVED, E.SEND_RST, S.CLOSED],
  [S.ESTABLISHED, E.SEND_RST, S.CLOSED],
  [S.FIN_WAIT_1, E.SEND_RST, S.CLOSED],
  [S.FIN_WAIT_2, E.SEND_RST, S.CLOSED],
  [S.CLOSE_WAIT, E.SEND_RST, S.CLOSED],
  [S.CLOSING, E.SEND_RST, S.CLOSED],
  [S.LAST_ACK, E.SEND_RST, S.CLOSED],
  [S.TIME_WAIT, E.SEND_RST, S.CLOSED],
];

const STATE_COUNT = TCP_STATE_NAMES.length;
const EVENT_COUNT = TCP_EVENT_NAMES.length;
const NO_TRANSITION = 255;

/** The table flattened for a lookup on the per-frame path. */
const NEXT = new Uint8Array(STATE_COUNT * EVENT_COUNT).fill(NO_TRANSITION);
for (const [from, event, to] of TRANSITIONS) NEXT[from * EVENT_COUNT + event] = to;

/** The state after `event`, or -1 when the table has no arrow for it (the state stays). */
export function nextState(state: TcpState, event: TcpEvent): TcpState | -1 {
  const to = NEXT[state * EVENT_COUNT + event];
  return to === NO_TRANSITION ? -1 : (to as TcpState);
}
