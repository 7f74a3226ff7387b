/**
 * States a side entered on one segment, when it passed more than one: a FIN+ACK that
 * acknowledges the FIN of a side in FIN_WAIT_1 takes it through FIN_WAIT_2 to TIME_WAIT
 * (RFC 9293 §3.10.7.4: the ACK is processed before the FIN). The tracker records each
 * transition with its frame; the ladder and the Connections row show the whole path.
 */
import type { StateRecord } from './types';

/** The states recorded for `frame`, in order, when there are two or more; otherwise null. */
export function statesPassedAt(records: readonly StateRecord[], frame: number): string[] | null {
  let passed: string[] | null = null;
  let count = 0;
  for (const record of records) {
    if (record.frame !== frame) continue;
    count++;
    (passed ??= []).push(record.state);
  }
  return count > 1 ? passed : null;
}

/** The path into a side's final state when its last change came from one segment that passed several states; null otherwise (a timer's change, one state). */
export function finalStatesPassed(records: readonly StateRecord[]): string[] | null {
  const last = records[records.length - 1];
  if (!last || last.frame === null) return null;
  return statesPassedAt(records, last.frame);
}
