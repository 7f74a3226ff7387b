/**
 * Zeek's connection summary, with Zeek's definitions (scripts/base/protocols/conn/main.zeek
 * for conn_state; the TCP analyzer's endpoint states and history rules for the rest).
 */

/** Zeek's per-endpoint TCP states (TCP_INACTIVE … TCP_RESET), not RFC 9293's. */
export const ZeekEndpoint = {
  INACTIVE: 0,
  SYN_SENT: 1,
  SYN_ACK_SENT: 2,
  PARTIAL: 3,
  ESTABLISHED: 4,
  CLOSED: 5,
  RESET: 6,
} as const;
export type ZeekEndpoint = (typeof ZeekEndpoint)[keyof typeof ZeekEndpoint];

export type ConnState = 'S0' | 'S1' | 'SF' | 'REJ' | 'S2' | 'S3' | 'RSTO' | 'RSTR' | 'RSTOS0' | 'RSTRH' | 'SH' | 'SHR' | 'OTH';

/** main.zeek's RSTOS0 test on the history: an originator SYN, then its RST with nothing in between that shows an answer. */
const RSTOS0_HISTORY = /^\^?S[^HAFGIQ]*R.*$/;

/**
 * main.zeek's conn_state(), rule for rule. `origSize`/`respSize` are the payload bytes each
 * side sent (Zeek's c$orig$size / c$resp$size).
 */
export function zeekConnState(
  orig: ZeekEndpoint,
  resp: ZeekEndpoint,
  origSize: number,
  respSize: number,
  history: string,
): ConnState {
  const Z = ZeekEndpoint;
  const origInactive = orig === Z.INACTIVE || orig === Z.PARTIAL;
  const respInactive = resp === Z.INACTIVE || resp === Z.PARTIAL;
  if (resp === Z.RESET) {
    if (orig === Z.SYN_SENT || orig === Z.SYN_ACK_SENT || (orig === Z.RESET && origSize === 0 && respSize === 0)) return 'REJ';
    return origInactive ? 'RSTRH' : 'RSTR';
  }
  if (orig === Z.RESET) {
    if (respInactive) return RSTOS0_HISTORY.test(history) ? 'RSTOS0' : 'OTH';
    return 'RSTO';
  }
  if (resp === Z.CLOSED && orig === Z.CLOSED) return 'SF';
  if (orig === Z.CLOSED) return respInactive ? 'SH' : 'S2';
  if (resp === Z.CLOSED) return origInactive ? 'SHR' : 'S3';
  if (orig === Z.SYN_SENT && resp === Z.INACTIVE) return 'S0';
  if (orig === Z.ESTABLISHED && resp === Z.ESTABLISHED) return 'S1';
  return 'OTH';
}

/**
 * Zeek records c, g, t and w logarithmically: the letter again at the 1st, 10th, 100th …
 * occurrence (TCP_Endpoint::ScaledHistoryEntry, threshold starting at 1, times 10).
 */
export function isScaledHistoryStep(count: number): boolean {
  let threshold = 1;
  while (threshold < count) threshold *= 10;
  return threshold === count;
}

/** Letters for the originator are upper case, for the responder lower case. */
export function historyLetter(upper: string, fromOriginator: boolean): string {
  return fromOriginator ? upper : upper.toLowerCase();
}
