import { describe, expect, it } from 'vitest';
import { findNext, pieceStarts } from '../../../renderer/src/lib/find-text';

describe("Follow dialog's Find Next over the shown turns", () => {
  const turns = ['GET /Needle HTTP/1.1', 'HTTP/1.1 200 OK', 'needle again: NEEDLE'];
  const starts = pieceStarts(turns);

  it('finds each match after the last one, across turns, then wraps to the first', () => {
    const first = findNext(turns, 'needle', 0, true)!;
    expect([first.start - starts[0], first.wrapped]).toEqual([5, false]);
    const second = findNext(turns, 'needle', first.start + 1, true)!;
    expect(second.start).toBe(starts[2]);
    const third = findNext(turns, 'needle', second.start + 1, true)!;
    expect(third.start).toBe(starts[2] + 14);
    const wrapped = findNext(turns, 'needle', third.start + 1, true)!;
    expect([wrapped.start, wrapped.wrapped]).toEqual([first.start, true]);
  });

  it('with case: only the exact case; nothing at all is null; a match never spans the line between turns', () => {
    expect(findNext(turns, 'NEEDLE', 0, false)!.start).toBe(starts[2] + 14);
    expect(findNext(turns, 'haystack', 0, true)).toBeNull();
    expect(findNext(turns, 'OKneedle', 0, true)).toBeNull();
    expect(findNext(turns, '', 0, true)).toBeNull();
  });
});
