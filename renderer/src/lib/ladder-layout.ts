/**
 * Geometry of the ladder diagram, kept apart from the SVG so it can be tested: one
 * row per segment (or one folded row for a collapsed data phase), the arrow's ends on
 * the two lanes, its label, the states written where they change, and the bands
 * behind the handshake and the teardown.
 */
import type { Ladder, LadderArrow, Phase } from '../../../shared/api';

export const LADDER_ROW = 34;
export const LADDER_TOP = 56;
/** How far down an arrow travels: segments take time to cross. */
export const ARROW_DROP = 12;

export interface LadderGeometry {
  width: number;
  clientX: number;
  serverX: number;
}

export interface ArrowRow {
  kind: 'arrow';
  arrow: LadderArrow;
  /** Index of the arrow in ladder.arrows. */
  index: number;
  y: number;
  x1: number;
  x2: number;
  label: string;
  /** The state written beside each lane when this segment changed it, else null. */
  clientChange: string | null;
  serverChange: string | null;
}

export interface FoldRow {
  kind: 'fold';
  y: number;
  /** Arrows folded away [first, last] (indices into ladder.arrows). */
  first: number;
  last: number;
  clientBytes: number;
  serverBytes: number;
}

export interface Band {
  phase: Exclude<Phase, 'data' | 'other'>;
  y1: number;
  y2: number;
}

export interface LadderLayout {
  rows: (ArrowRow | FoldRow)[];
  bands: Band[];
  height: number;
}

export function arrowLabel(arrow: LadderArrow): string {
  const acking = arrow.flags.split(', ').includes('ACK');
  return `${arrow.flags}  Seq=${arrow.seq}${acking ? ` Ack=${arrow.ack}` : ''} Len=${arrow.len}`;
}

/** Lays out the ladder; with `collapseData`, a run of 3 or more data-phase arrows becomes one row. */
export function layoutLadder(ladder: Ladder, geometry: LadderGeometry, collapseData: boolean): LadderLayout {
  const rows: (ArrowRow | FoldRow)[] = [];
  let y = LADDER_TOP;
  let clientState = ladder.initialClientState;
  let serverState = ladder.initialServerState;
  const arrows = ladder.arrows;
  let i = 0;
  while (i < arrows.length) {
    if (collapseData && arrows[i].phase === 'data') {
      let end = i;
      while (end + 1 < arrows.length && arrows[end + 1].phase === 'data') end++;
      if (end - i + 1 >= 3) {
        let clientBytes = 0;
        let serverBytes = 0;
        for (let k = i; k <= end; k++) {
          if (arrows[k].from === 'client') clientBytes += arrows[k].len;
          else serverBytes += arrows[k].len;
        }
        rows.push({ kind: 'fold', y, first: i, last: end, clientBytes, serverBytes });
        // States may change inside the fold (rare); carry them so later rows compare correctly.
        clientState = arrows[end].clientState;
        serverState = arrows[end].serverState;
        y += LADDER_ROW;
        i = end + 1;
        continue;
      }
    }
    const arrow = arrows[i];
    const fromClient = arrow.from === 'client';
    rows.push({
      kind: 'arrow',
      arrow,
      index: i,
      y,
      x1: fromClient ? geometry.clientX : geometry.serverX,
      x2: fromClient ? geometry.serverX : geometry.clientX,
      label: arrowLabel(arrow),
      clientChange: arrow.clientState !== clientState ? arrow.clientState : null,
      serverChange: arrow.serverState !== serverState ? arrow.serverState : null,
    });
    clientState = arrow.clientState;
    serverState = arrow.serverState;
    y += LADDER_ROW;
    i++;
  }
  const bands: Band[] = [];
  for (const phase of ['handshake', 'teardown'] as const) {
    const members = rows.filter((row): row is ArrowRow => row.kind === 'arrow' && row.arrow.phase === phase);
    if (members.length === 0) continue;
    bands.push({ phase, y1: members[0].y - LADDER_ROW / 2 + 2, y2: members[members.length - 1].y + ARROW_DROP + LADDER_ROW / 2 - 6 });
  }
  return { rows, bands, height: y + LADDER_ROW };
}
