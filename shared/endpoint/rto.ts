/**
 * The retransmission timer of RFC 6298, in milliseconds.
 *
 * §2: before any sample RTO is 1 s; the first sample R gives SRTT = R, RTTVAR = R/2; later
 * ones RTTVAR = (1 − β)·RTTVAR + β·|SRTT − R′| (with the old SRTT), then SRTT = (1 − α)·SRTT + α·R′,
 * α = 1/8, β = 1/4; RTO = SRTT + max(G, K·RTTVAR), K = 4; below the minimum (1 s) it is rounded
 * up, and it may be capped at a maximum of at least 60 s.
 * §5.5: each expiry doubles RTO (the backoff). §3 (Karn): samples only from segments that were
 * not retransmitted, and the backed-off RTO is kept until such a sample arrives.
 */
export interface RtoOptions {
  /** RFC 6298 §2.4 says 1 s; Linux uses 200 ms. */
  minRtoMs?: number;
  /** §2.5: at least 60 s. */
  maxRtoMs?: number;
  /** §2.1: 1 s. */
  initialRtoMs?: number;
  /** G, the clock granularity. */
  granularityMs?: number;
}

export const RTO_ALPHA = 1 / 8;
export const RTO_BETA = 1 / 4;
export const RTO_K = 4;

export class RtoEstimator {
  srtt: number | null = null;
  rttvar: number | null = null;
  /** The current timeout, backoff included. */
  rto: number;
  /** How many times the current value was doubled since the last sample. */
  backoffs = 0;
  readonly minRto: number;
  readonly maxRto: number;
  readonly granularity: number;

  constructor(options: RtoOptions = {}) {
    this.minRto = options.minRtoMs ?? 1000;
    this.maxRto = Math.max(options.maxRtoMs ?? 60_000, this.minRto);
    this.granularity = options.granularityMs ?? 1;
    this.rto = this.clamp(options.initialRtoMs ?? 1000);
  }

  private clamp(value: number): number {
    return Math.min(this.maxRto, Math.max(this.minRto, value));
  }

  /** A round-trip measurement R (ms) from a segment that was sent once. */
  sample(r: number): void {
    if (this.srtt === null || this.rttvar === null) {
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      this.rttvar = (1 - RTO_BETA) * this.rttvar + RTO_BETA * Math.abs(this.srtt - r);
      this.srtt = (1 - RTO_ALPHA) * this.srtt + RTO_ALPHA * r;
    }
    this.backoffs = 0;
    this.rto = this.clamp(this.srtt + Math.max(this.granularity, RTO_K * this.rttvar));
  }

  /** §5.5: the timer expired. */
  backoff(): void {
    this.backoffs++;
    this.rto = this.clamp(this.rto * 2);
  }

  /** §5.7: a SYN timed out and no sample was taken, so data starts with an RTO of 3 s. */
  reinitialize(value: number): void {
    this.backoffs = 0;
    this.rto = this.clamp(value);
  }
}
