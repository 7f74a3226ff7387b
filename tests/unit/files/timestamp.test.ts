// Timestamp arithmetic against exact BigInt arithmetic written here from the pcapng
// definition (units of 10^-k or 2^-k seconds), over random 64-bit values.
import { describe, expect, it } from 'vitest';
import { TimestampScale, formatEpoch, toTimestampUnits } from '../../../shared/files';
import { seededRandom } from './tools';

function exact(high: number, low: number, tsResolution: number, tsOffset: number): { tsSeconds: number; tsNanos: number } {
  const units = BigInt(high) * 2n ** 32n + BigInt(low);
  const perSecond = tsResolution & 0x80 ? 2n ** BigInt(tsResolution & 0x7f) : 10n ** BigInt(tsResolution);
  return {
    tsSeconds: Number(units / perSecond) + tsOffset,
    tsNanos: Number(((units % perSecond) * 1_000_000_000n) / perSecond),
  };
}

describe('timestamps', () => {
  it('formats frame.time_epoch with exactly nine decimals', () => {
    expect(formatEpoch(1700000000, 5)).toBe('1700000000.000000005');
    expect(formatEpoch(0, 0)).toBe('0.000000000');
    expect(formatEpoch(1, 999_999_999)).toBe('1.999999999');
  });

  it('converts 64-bit pcapng timestamps exactly for every resolution', () => {
    const random = seededRandom(42);
    const resolutions = [0, 1, 3, 6, 9, 10, 12, 19, 0x80, 0x8a, 0x94, 0x9e, 0xa0];
    const target = { tsSeconds: 0, tsNanos: 0 };
    for (const tsResolution of resolutions) {
      for (const tsOffset of [0, 3600]) {
        const scale = new TimestampScale(tsResolution, tsOffset);
        for (let i = 0; i < 2000; i++) {
          // Mix realistic epoch values (high word near 2^28 for ns) with the full 64-bit range.
          const high = i % 2 ? Math.floor(random() * 2 ** 32) : Math.floor(random() * 2 ** 22);
          const low = Math.floor(random() * 2 ** 32);
          scale.convert(high, low, target);
          const expected = exact(high, low, tsResolution, tsOffset);
          if (expected.tsSeconds > Number.MAX_SAFE_INTEGER) continue; // beyond what a number holds exactly
          expect(target, `resolution 0x${tsResolution.toString(16)} units ${high}:${low}`).toEqual(expected);
        }
      }
    }
  });

  it('stays exact over runs of frames that share the high word, as consecutive frames of a capture do', () => {
    const random = seededRandom(9);
    const target = { tsSeconds: 0, tsNanos: 0 };
    for (const tsResolution of [0, 3, 6, 9]) {
      const scale = new TimestampScale(tsResolution, 0);
      for (let run = 0; run < 200; run++) {
        const high = (1 << 21) + Math.floor(random() * (2 ** 32 - (1 << 21)));
        // The run's lows cover both ends of the word, where a carry into the seconds is likeliest to go wrong.
        const lows = [0, 1, 0xffffffff, 0xfffffffe, ...Array.from({ length: 20 }, () => Math.floor(random() * 2 ** 32))];
        for (const low of lows) {
          const expected = exact(high, low, tsResolution, 0);
          if (expected.tsSeconds > Number.MAX_SAFE_INTEGER) continue;
          scale.convert(high, low, target);
          expect(target, `resolution ${tsResolution} units ${high}:${low}`).toEqual(expected);
        }
      }
    }
  });

  it('turns seconds and nanoseconds back into the 64-bit unit counts', () => {
    const random = seededRandom(7);
    for (let i = 0; i < 5000; i++) {
      const tsSeconds = Math.floor(random() * 2 ** 32);
      const tsNanos = Math.floor(random() * 1e9);
      for (const nanosecondUnits of [true, false]) {
        const units = BigInt(tsSeconds) * (nanosecondUnits ? 1_000_000_000n : 1_000_000n) + BigInt(nanosecondUnits ? tsNanos : Math.floor(tsNanos / 1000));
        expect(toTimestampUnits(tsSeconds, tsNanos, nanosecondUnits)).toEqual({ high: Number(units >> 32n), low: Number(units & 0xffffffffn) });
      }
    }
  });
});
