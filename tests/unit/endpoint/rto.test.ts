/**
 * The retransmission timer held against RFC 6298 §2 and §5, the expected numbers worked out by
 * hand from the RFC's formulas (α = 1/8, β = 1/4, K = 4).
 */
import { describe, expect, it } from 'vitest';
import { RtoEstimator } from '../../../shared/endpoint';

describe('RFC 6298 RTO', () => {
  it('starts at 1 s (§2.1)', () => {
    expect(new RtoEstimator().rto).toBe(1000);
  });

  it('first sample: SRTT = R, RTTVAR = R/2, RTO = SRTT + max(G, 4·RTTVAR) (§2.2)', () => {
    const rto = new RtoEstimator({ minRtoMs: 100 });
    rto.sample(200);
    expect(rto.srtt).toBe(200);
    expect(rto.rttvar).toBe(100);
    expect(rto.rto).toBe(600);
  });

  it('later samples: RTTVAR with the old SRTT first, then SRTT (§2.3)', () => {
    const rto = new RtoEstimator({ minRtoMs: 100 });
    rto.sample(200);
    rto.sample(100);
    // RTTVAR = 3/4·100 + 1/4·|200 − 100| = 100; SRTT = 7/8·200 + 1/8·100 = 187.5
    expect(rto.rttvar).toBe(100);
    expect(rto.srtt).toBe(187.5);
    expect(rto.rto).toBe(587.5);
    rto.sample(300);
    // RTTVAR = 3/4·100 + 1/4·|187.5 − 300| = 103.125; SRTT = 7/8·187.5 + 1/8·300 = 201.5625
    expect(rto.rttvar).toBe(103.125);
    expect(rto.srtt).toBe(201.5625);
    expect(rto.rto).toBe(201.5625 + 412.5);
  });

  it('the clock granularity G is the floor of the variance term', () => {
    const rto = new RtoEstimator({ minRtoMs: 1, granularityMs: 100 });
    rto.sample(10);
    rto.sample(10);
    // RTTVAR = 3/4·5 = 3.75, 4·RTTVAR = 15 < G
    expect(rto.rto).toBe(10 + 100);
  });

  it('below 1 s it is rounded up to 1 s by default (§2.4)', () => {
    const rto = new RtoEstimator();
    rto.sample(50);
    expect(rto.rto).toBe(1000);
  });

  it('doubles on each expiry (§5.5), up to the maximum (at least 60 s, §2.5), and a new sample ends the backoff', () => {
    const rto = new RtoEstimator();
    const seen = [];
    for (let i = 0; i < 8; i++) {
      rto.backoff();
      seen.push(rto.rto);
    }
    expect(seen).toEqual([2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
    rto.sample(2000);
    expect(rto.rto).toBe(2000 + 4 * 1000);
    expect(rto.backoffs).toBe(0);
  });
});
