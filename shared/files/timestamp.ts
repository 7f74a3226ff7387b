/**
 * Timestamps stay as two integers (seconds, nanoseconds): a double of epoch
 * nanoseconds (~1.7e18) is beyond 2^53 and would lose the last digits.
 */

export const NANOS_PER_SECOND = 1_000_000_000;
const TWO_POW_32 = 4294967296;
/** Below this high word, hi·2^32 + lo is still an exact double. */
const EXACT_HIGH_WORD_LIMIT = 1 << 21;

/** Seconds from one (seconds, nanoseconds) timestamp to another, exact to the nanosecond. */
export function elapsedSeconds(fromSeconds: number, fromNanos: number, toSeconds: number, toNanos: number): number {
  return ((toSeconds - fromSeconds) * NANOS_PER_SECOND + (toNanos - fromNanos)) / NANOS_PER_SECOND;
}

/** cli.md `frame.time_epoch`: seconds with exactly 9 decimals, e.g. "1700000000.000000123". */
export function formatEpoch(tsSeconds: number, tsNanos: number): string {
  const nanos = String(tsNanos);
  return `${tsSeconds}.${'000000000'.slice(nanos.length)}${nanos}`;
}

/** Where a converted timestamp is written (the reader's reused record). */
export interface TimestampTarget {
  tsSeconds: number;
  tsNanos: number;
}

/**
 * Converts a pcapng 64-bit timestamp (in units of the interface's if_tsresol) to
 * seconds + nanoseconds. One instance per interface; no allocation for decimal
 * resolutions up to nanoseconds, which is every file seen in practice.
 */
export class TimestampScale {
  /** Units per second when the resolution is 10^-k with k <= 9, else 0. */
  private readonly decimalDivisor: number;
  private readonly nanosPerUnit: number;
  private readonly tsResolution: number;
  private readonly tsOffset: number;
  /**
   * The last high word seen, as whole seconds plus leftover units: consecutive frames share it
   * (at ns resolution it changes every 4.3 s), so most frames need one division, not four.
   */
  private cachedHigh = -1;
  private cachedSeconds = 0;
  private cachedUnits = 0;

  constructor(tsResolution: number, tsOffset = 0) {
    this.tsResolution = tsResolution;
    this.tsOffset = tsOffset;
    const isDecimal = (tsResolution & 0x80) === 0;
    if (isDecimal && tsResolution <= 9) {
      this.decimalDivisor = 10 ** tsResolution;
      this.nanosPerUnit = 10 ** (9 - tsResolution);
    } else {
      this.decimalDivisor = 0;
      this.nanosPerUnit = 0;
    }
  }

  convert(high: number, low: number, target: TimestampTarget): void {
    const divisor = this.decimalDivisor;
    if (divisor === 0) {
      this.convertGeneric(high, low, target);
      return;
    }
    let seconds: number;
    let remainder: number;
    if (high < EXACT_HIGH_WORD_LIMIT) {
      const units = high * TWO_POW_32 + low;
      seconds = Math.floor(units / divisor);
      remainder = units - seconds * divisor;
      // The float quotient can round up across an integer boundary.
      if (remainder < 0) {
        seconds -= 1;
        remainder += divisor;
      }
    } else {
      if (high !== this.cachedHigh) this.splitHighWord(high);
      // Leftover (< divisor) + low (< 2^32) stays far below 2^53: exact.
      const units = this.cachedUnits + low;
      const carry = Math.floor(units / divisor);
      seconds = this.cachedSeconds + carry;
      remainder = units - carry * divisor;
    }
    target.tsSeconds = seconds + this.tsOffset;
    target.tsNanos = remainder * this.nanosPerUnit;
  }

  /** high·2^32 units as whole seconds and leftover units (< divisor), for `convert` to cache. */
  private splitHighWord(high: number): void {
    const divisor = this.decimalDivisor;
    // Long division in 16-bit limbs keeps every intermediate below 2^53.
    // (x - q·d rather than x % d: the double modulo is a slow library call.)
    let rest = high >>> 16;
    const q3 = Math.floor(rest / divisor);
    rest = (rest - q3 * divisor) * 65536 + (high & 0xffff);
    const q2 = Math.floor(rest / divisor);
    rest = (rest - q2 * divisor) * 65536;
    const q1 = Math.floor(rest / divisor);
    rest = (rest - q1 * divisor) * 65536;
    const q0 = Math.floor(rest / divisor);
    this.cachedUnits = rest - q0 * divisor;
    this.cachedSeconds = ((q3 * 65536 + q2) * 65536 + q1) * 65536 + q0;
    this.cachedHigh = high;
  }

  /** Power-of-2 and finer-than-ns resolutions: rare, so BigInt is acceptable here. */
  private convertGeneric(high: number, low: number, target: TimestampTarget): void {
    const units = (BigInt(high) << 32n) | BigInt(low);
    const exponent = BigInt(this.tsResolution & 0x7f);
    const unitsPerSecond = (this.tsResolution & 0x80) === 0 ? 10n ** exponent : 1n << exponent;
    const seconds = units / unitsPerSecond;
    const fraction = units % unitsPerSecond;
    target.tsSeconds = Number(seconds) + this.tsOffset;
    target.tsNanos = Number((fraction * BigInt(NANOS_PER_SECOND)) / unitsPerSecond);
  }
}

/**
 * The inverse for writers: seconds + nanoseconds as a 64-bit count of 10^-9 or
 * 10^-6 units, split in two 32-bit words. Requires 0 <= tsSeconds < 2^32.
 */
export function toTimestampUnits(tsSeconds: number, tsNanos: number, nanosecondUnits: boolean): { high: number; low: number } {
  if (!nanosecondUnits) {
    const units = tsSeconds * 1_000_000 + Math.floor(tsNanos / 1000); // < 2^53 for 32-bit seconds
    const high = Math.floor(units / TWO_POW_32);
    return { high, low: units - high * TWO_POW_32 };
  }
  // units = s·1e9 + n with s = sHigh·2^16 + sLow; every partial product stays exact.
  const sHigh = Math.floor(tsSeconds / 65536);
  const sLow = tsSeconds - sHigh * 65536;
  const lowPart = sLow * NANOS_PER_SECOND + tsNanos;
  const highPart = sHigh * NANOS_PER_SECOND; // to be shifted left by 16
  const highPartHigh = Math.floor(highPart / 65536);
  const sum = (highPart - highPartHigh * 65536) * 65536 + lowPart;
  const carry = Math.floor(sum / TWO_POW_32);
  return { high: highPartHigh + carry, low: sum - carry * TWO_POW_32 };
}

/** Checks a timestamp a writer is asked to store. */
export function assertWritableTimestamp(tsSeconds: number, tsNanos: number): void {
  if (!Number.isInteger(tsSeconds) || tsSeconds < 0 || tsSeconds >= TWO_POW_32) {
    throw new RangeError(`timestamp seconds ${tsSeconds} is outside 0 … 2^32-1`);
  }
  if (!Number.isInteger(tsNanos) || tsNanos < 0 || tsNanos >= NANOS_PER_SECOND) {
    throw new RangeError(`timestamp nanoseconds ${tsNanos} is outside 0 … 999999999`);
  }
}
