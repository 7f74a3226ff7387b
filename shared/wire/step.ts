/**
 * One header's hand-over to the next, as the link and tunnel parsers (link/, tunnel/) give it.
 * The full decoder and the fast path both walk a frame with these parsers, so they agree on
 * where each header ends, what follows and what is malformed. A step is a reused record: parsing
 * allocates nothing.
 */
import { ETHERTYPE_TEB } from './linktypes';

/** What follows a header: an EtherType, or one of these codes (negative, so never an EtherType). */
export const NEXT_DATA = -1;
/** IPv4 or IPv6, told by the version nibble. */
export const NEXT_IP_BY_VERSION = -2;
export const NEXT_WLAN = -3;
export const NEXT_LLC = -4;
/** A PPP protocol field (and maybe address/control) follows. */
export const NEXT_PPP = -5;
/** A BSD loopback family word in host byte order (PKTAP over DLT_NULL). */
export const NEXT_NULL = -6;
/** An Ethernet frame follows (VXLAN, Geneve, GRE bridging, ERSPAN, PKTAP, Juniper). */
export const NEXT_ETHERNET = ETHERTYPE_TEB;

export interface HeaderStep {
  /** Bytes of this header (its layer's length). */
  length: number;
  /** What follows it: an EtherType or a NEXT_* code. */
  next: number;
  /** Where what follows ends (an FCS or a shorter length field excluded). */
  end: number;
  /** The first failure, or null. */
  malformed: string | null;
  /** A parser-specific detail the full decoder needs (radiotap: offset of its flags field, or -1). */
  detail: number;
}

export function createStep(): HeaderStep {
  return { length: 0, next: NEXT_DATA, end: 0, malformed: null, detail: -1 };
}

/** Starts a step for a header at `offset` of at most `end`. */
export function resetStep(step: HeaderStep, end: number): HeaderStep {
  step.length = 0;
  step.next = NEXT_DATA;
  step.end = end;
  step.malformed = null;
  step.detail = -1;
  return step;
}

/** The EtherType of the IP version in the nibble at `offset`, or NEXT_DATA. */
export function etherTypeByVersion(bytes: Uint8Array, offset: number, end: number): number {
  if (offset >= end) return NEXT_DATA;
  const version = bytes[offset] >>> 4;
  return version === 4 ? 0x0800 : version === 6 ? 0x86dd : NEXT_DATA;
}
