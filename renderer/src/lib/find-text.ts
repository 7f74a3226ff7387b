/**
 * Find Next over a list of text pieces read as one text (the Follow dialog's turns, each on its
 * own line): the next match after a position, wrapping to the start, optionally ignoring case.
 */
export interface TextMatch {
  /** Positions in the joined text (pieces joined by one '\n'). */
  start: number;
  end: number;
  /** The search went past the end and started again from the top. */
  wrapped: boolean;
}

export function pieceStarts(pieces: readonly string[]): number[] {
  const starts: number[] = [];
  let at = 0;
  for (const piece of pieces) {
    starts.push(at);
    at += piece.length + 1;
  }
  return starts;
}

/** The first match starting at or after `from` (wrapping), or null when the text holds none. */
export function findNext(pieces: readonly string[], needle: string, from: number, ignoreCase: boolean): TextMatch | null {
  if (needle.length === 0) return null;
  let text = pieces.join('\n');
  let wanted = needle;
  if (ignoreCase) {
    // The dialog's text is ASCII (other bytes show as '.'), so lower-casing keeps every position.
    text = text.toLowerCase();
    wanted = needle.toLowerCase();
  }
  let at = text.indexOf(wanted, Math.max(0, from));
  let wrapped = false;
  if (at < 0) {
    at = text.indexOf(wanted);
    wrapped = true;
  }
  return at < 0 ? null : { start: at, end: at + wanted.length, wrapped };
}
