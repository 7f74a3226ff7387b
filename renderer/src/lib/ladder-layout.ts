/**
 * Geometry of the ladder diagram, kept apart from the SVG so it can be tested: one
 * row per segment (or one folded row for a collapsed data phase), the arrow's ends on
 * the two lanes, its label, the states written where they change, and the bands
 * behind the handshake and the teardown.
 */
import type { Ladder, LadderArrow, LadderTls, Phase } from '../../../shared/api';

export const LADDER_ROW = 34;
export const LADDER_TOP = 56;
/** How far down an arrow travels: segments take time to cross. */
export const ARROW_DROP = 12;
/** Extra height of a row with a line of text under its arrow (a TLS hello). */
export const LADDER_LINE = 14;

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
  /** The TLS hello this segment completed, as one line under the arrow, else null. */
  hello: string | null;
  /** The analysis flags as one line under the arrow (under the hello), else null. */
  analysis: string | null;
  /** The state written beside each lane when this segment changed it, else null. */
  clientChange: string | null;
  serverChange: string | null;
  /** What the lane writes: every state entered when the segment passed more than one ("FIN_WAIT_2 → TIME_WAIT"), else the change. */
  clientText: string | null;
  serverText: string | null;
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
  /** "handshake", "refused" (a SYN answered by RST) or "teardown". */
  label: string;
  y1: number;
  y2: number;
}

export interface LadderLayout {
  rows: (ArrowRow | FoldRow)[];
  bands: Band[];
  height: number;
}

/** What the ladder writes under a TIME_WAIT label: how long it lasts, with the MSL used (null when the host did not say). */
export function timeWaitNote(ladder: Pick<Ladder, 'mslSeconds'>): string | null {
  return ladder.mslSeconds === undefined ? null : `2×MSL = ${2 * ladder.mslSeconds} s (MSL ${ladder.mslSeconds} s)`;
}

export function arrowLabel(arrow: LadderArrow): string {
  const acking = arrow.flags.split(', ').includes('ACK');
  return `${arrow.flags}  Seq=${arrow.seq}${acking ? ` Ack=${arrow.ack}` : ''} Len=${arrow.len}`;
}

/**
 * The analysis line under an arrow: Wireshark's flags in words, a duplicate ACK with its
 * ordinal and the frame it duplicates ("duplicate ack #2 of frame 6").
 */
export function analysisLabel(arrow: LadderArrow): string | null {
  if (arrow.analysis.length === 0) return null;
  return arrow.analysis
    .map((name) => {
      if (name !== 'duplicate_ack') return name.replace(/_/g, ' ');
      const ordinal = arrow.duplicateAckNumber !== undefined ? ` #${arrow.duplicateAckNumber}` : '';
      return `duplicate ack${ordinal}${arrow.duplicateAckOf !== undefined ? ` of frame ${arrow.duplicateAckOf}` : ''}`;
    })
    .join(', ');
}

/**
 * What a hello offered or selected, e.g. "Client Hello  SNI=example.com  ALPN=h2,http/1.1
 * versions=TLS 1.3,TLS 1.2  17 cipher suites" and "Server Hello  TLS 1.3
 * TLS_AES_128_GCM_SHA256  ALPN encrypted". The names are the tracker's (as `analyze` prints).
 */
export function helloLabel(tls: LadderTls): string {
  if (tls.hello === 'client') {
    const parts = ['Client Hello', `SNI=${tls.sni ?? '(none)'}`, `ALPN=${tls.alpn.length ? tls.alpn.join(',') : '(none)'}`, `versions=${tls.versions.join(',')}`];
    parts.push(`${tls.ciphers.length} cipher suite${tls.ciphers.length === 1 ? '' : 's'}`);
    return parts.join('  ');
  }
  const version = tls.versions[0] ?? '?';
  // RFC 8446 §4.2: a TLS 1.3 server answers ALPN in EncryptedExtensions, not in the ServerHello.
  const alpn = tls.alpn.length ? `ALPN=${tls.alpn.join(',')}` : version === 'TLS 1.3' ? 'ALPN encrypted' : 'no ALPN';
  return ['Server Hello', version, tls.ciphers[0] ?? '?', alpn].join('  ');
}

/**
 * Lays out the ladder; with `collapseData`, a run of 3 or more data-phase arrows becomes
 * one row. A TLS hello is part of setting the connection up, so it is never folded away.
 */
export function layoutLadder(ladder: Ladder, geometry: LadderGeometry, collapseData: boolean): LadderLayout {
  const rows: (ArrowRow | FoldRow)[] = [];
  let y = LADDER_TOP;
  let clientState = ladder.initialClientState;
  let serverState = ladder.initialServerState;
  const arrows = ladder.arrows;
  let i = 0;
  const foldable = (arrow: LadderArrow) => arrow.phase === 'data' && !arrow.tls;
  while (i < arrows.length) {
    if (collapseData && foldable(arrows[i])) {
      let end = i;
      while (end + 1 < arrows.length && foldable(arrows[end + 1])) end++;
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
      hello: arrow.tls ? helloLabel(arrow.tls) : null,
      analysis: analysisLabel(arrow),
      clientChange: arrow.clientState !== clientState ? arrow.clientState : null,
      serverChange: arrow.serverState !== serverState ? arrow.serverState : null,
      clientText: arrow.clientPassed ? arrow.clientPassed.join(' → ') : arrow.clientState !== clientState ? arrow.clientState : null,
      serverText: arrow.serverPassed ? arrow.serverPassed.join(' → ') : arrow.serverState !== serverState ? arrow.serverState : null,
    });
    clientState = arrow.clientState;
    serverState = arrow.serverState;
    // Lines written under the arrow (hello, analysis) push the next row down, so labels never overprint.
    y += LADDER_ROW + (arrow.tls ? LADDER_LINE : 0) + (arrow.analysis.length ? LADDER_LINE : 0);
    i++;
  }
  const bands: Band[] = [];
  for (const phase of ['handshake', 'teardown'] as const) {
    const members = rows.filter((row): row is ArrowRow => row.kind === 'arrow' && row.arrow.phase === phase);
    if (members.length === 0) continue;
    const label = phase === 'handshake' && ladder.refused ? 'refused' : phase;
    bands.push({ phase, label, y1: members[0].y - LADDER_ROW / 2 + 2, y2: members[members.length - 1].y + ARROW_DROP + LADDER_ROW / 2 - 6 });
  }
  return { rows, bands, height: y + LADDER_ROW };
}
