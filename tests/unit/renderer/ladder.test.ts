import { describe, expect, it } from 'vitest';
import type { Ladder, LadderArrow } from '../../../shared/api';
import { explainArrow } from '../../../renderer/src/lib/explain';
import { ARROW_DROP, layoutLadder, type ArrowRow, type FoldRow } from '../../../renderer/src/lib/ladder-layout';

/**
 * A textbook connection written out by hand from RFC 9293 §3.5/§3.6: ISNs x = 0 and
 * y = 0 (relative), 3-way handshake, four data segments, client-initiated four-way close.
 */
function arrow(number: number, from: 'client' | 'server', flags: string, seq: number, ack: number, len: number, clientState: string, serverState: string, phase: LadderArrow['phase']): LadderArrow {
  return { frameIndex: number - 1, number, time: number / 100, from, flags, seq, ack, len, window: 502, clientState, serverState, phase, analysis: [] };
}

const textbook: Ladder = {
  stream: 0,
  client: '198.18.0.1:40000',
  server: '198.18.0.2:443',
  initialClientState: 'CLOSED',
  initialServerState: 'LISTEN',
  finalClientState: 'TIME_WAIT',
  finalServerState: 'CLOSED',
  truncated: false,
  arrows: [
    arrow(1, 'client', 'SYN', 0, 0, 0, 'SYN_SENT', 'SYN_RECEIVED', 'handshake'),
    arrow(2, 'server', 'SYN, ACK', 0, 1, 0, 'ESTABLISHED', 'SYN_RECEIVED', 'handshake'),
    arrow(3, 'client', 'ACK', 1, 1, 0, 'ESTABLISHED', 'ESTABLISHED', 'handshake'),
    arrow(4, 'client', 'PSH, ACK', 1, 1, 100, 'ESTABLISHED', 'ESTABLISHED', 'data'),
    arrow(5, 'server', 'ACK', 1, 101, 0, 'ESTABLISHED', 'ESTABLISHED', 'data'),
    arrow(6, 'server', 'PSH, ACK', 1, 101, 40, 'ESTABLISHED', 'ESTABLISHED', 'data'),
    arrow(7, 'client', 'ACK', 101, 41, 0, 'ESTABLISHED', 'ESTABLISHED', 'data'),
    arrow(8, 'client', 'FIN, ACK', 101, 41, 0, 'FIN_WAIT_1', 'CLOSE_WAIT', 'teardown'),
    arrow(9, 'server', 'ACK', 41, 102, 0, 'FIN_WAIT_2', 'CLOSE_WAIT', 'teardown'),
    arrow(10, 'server', 'FIN, ACK', 41, 102, 0, 'TIME_WAIT', 'LAST_ACK', 'teardown'),
    arrow(11, 'client', 'ACK', 102, 42, 0, 'TIME_WAIT', 'CLOSED', 'teardown'),
  ],
};
const geometry = { width: 1000, clientX: 300, serverX: 780 };

describe('ladder layout', () => {
  it('draws each segment from its sender\'s lane to the receiver\'s, sloping down', () => {
    const layout = layoutLadder(textbook, geometry, false);
    const rows = layout.rows as ArrowRow[];
    expect(rows).toHaveLength(11);
    expect(rows.map((r) => [r.x1, r.x2])).toEqual(textbook.arrows.map((a) => (a.from === 'client' ? [300, 780] : [780, 300])));
    for (let i = 1; i < rows.length; i++) expect(rows[i].y).toBeGreaterThan(rows[i - 1].y + ARROW_DROP);
    expect(rows[1].label).toBe('SYN, ACK  Seq=0 Ack=1 Len=0');
    expect(rows[0].label).toBe('SYN  Seq=0 Len=0');
  });

  it('writes a state on a lane only where it changes', () => {
    const rows = layoutLadder(textbook, geometry, false).rows as ArrowRow[];
    expect(rows.map((r) => r.clientChange).filter(Boolean)).toEqual(['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT']);
    expect(rows.map((r) => r.serverChange).filter(Boolean)).toEqual(['SYN_RECEIVED', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED']);
  });

  it('bands the handshake and the teardown around their arrows', () => {
    const layout = layoutLadder(textbook, geometry, false);
    const rows = layout.rows as ArrowRow[];
    const band = (phase: string) => layout.bands.find((b) => b.phase === phase);
    expect(band('handshake')?.y1).toBeLessThan(rows[0].y);
    expect(band('handshake')?.y2).toBeGreaterThan(rows[2].y);
    expect(band('handshake')?.y2).toBeLessThan(rows[3].y);
    expect(band('teardown')?.y1).toBeGreaterThan(rows[6].y);
    expect(band('teardown')?.y1).toBeLessThan(rows[7].y);
  });

  it('folds a data phase of three or more segments into one row with each direction\'s bytes', () => {
    const layout = layoutLadder(textbook, geometry, true);
    expect(layout.rows).toHaveLength(3 + 1 + 4);
    const fold = layout.rows[3] as FoldRow;
    expect(fold).toMatchObject({ kind: 'fold', first: 3, last: 6, clientBytes: 100, serverBytes: 40 });
    // States still change at the right arrows after the fold.
    expect((layout.rows[4] as ArrowRow).clientChange).toBe('FIN_WAIT_1');
  });
});

describe('explain panel rules (RFC 9293, numbers filled in)', () => {
  const titles = (index: number) => explainArrow(textbook, index).map((e) => `${e.title} §${e.section}`);
  const text = (index: number) => explainArrow(textbook, index).map((e) => e.text).join(' ');

  it('SYN+ACK: ack 1 = peer seq 0 + 1, a SYN consumes one sequence number', () => {
    expect(text(1)).toContain('ack 1 = peer seq 0 + 1');
    expect(titles(1)[0]).toMatch(/§3\.5$/);
  });

  it('third segment: seq x+1 and ack y+1, and why three segments', () => {
    expect(text(2)).toContain('seq 1 = own ISN + 1 and ack 1 = peer ISN + 1');
    expect(text(2)).toContain('old duplicate SYN');
  });

  it('ACK of data is seq + length, not +1', () => {
    expect(text(4)).toContain('ack 101 = seq 1 + len 100 of frame 4');
    expect(text(4)).toContain('"+1" only after a SYN or a FIN');
  });

  it('the passive closer goes CLOSE_WAIT → LAST_ACK, the active one ends in TIME_WAIT for 2×MSL', () => {
    expect(titles(7).join()).toMatch(/CLOSE_WAIT §3\.6/);
    expect(text(9)).toContain('LAST_ACK (not FIN_WAIT_1');
    expect(text(9)).toContain('2×MSL');
    expect(text(10)).toContain('there is no "LAST_WAIT" state');
  });

  it('a data segment repeating the last ack number does not re-explain the acknowledgment', () => {
    // Frame 4 carries ack 1 again (already sent on frame 3): only its data is explained.
    expect(titles(3).join()).not.toMatch(/^ACK of/);
    expect(text(3)).toContain('Bytes 1 to 100');
  });

  it('ACK of a FIN adds one for the FIN', () => {
    expect(text(8)).toContain('ack 102 = seq 101 + 0 byte(s) + 1 of frame 8');
  });
});
