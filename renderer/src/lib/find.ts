/** Find Packet: a search by display filter, hex bytes or string, as the display filter the engine runs. */

export type FindMode = 'filter' | 'hex' | 'string';

/** The display filter for a search, or an error to show. */
export function findFilter(mode: FindMode, text: string): { filter: string } | { error: string } {
  const trimmed = text.trim();
  if (!trimmed) return { error: 'type what to find' };
  if (mode === 'filter') return { filter: trimmed };
  if (mode === 'hex') {
    const digits = trimmed.replace(/0x/gi, '').replace(/[\s:.-]/g, '');
    if (!/^(?:[0-9a-fA-F]{2})+$/.test(digits)) return { error: 'hex bytes: pairs of hex digits, e.g. 16 03 01 or 160301' };
    return { filter: `frame contains ${digits.toLowerCase().match(/../g)?.join(':')}` };
  }
  // Backslashes and quotes escaped as the filter's strings expect.
  return { filter: `frame contains "${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` };
}
