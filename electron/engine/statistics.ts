/**
 * The session's statistics views, computed from the index columns (no frame is re-read):
 * Expert Information and Conversations/Endpoints, over all frames or a display filter's.
 */
import { ROW_MARK, type ConversationColumns, type ConversationKind, type EndpointColumns, type ExpertGroup } from '../../shared/api';
import { ConversationTable } from '../../shared/conversations';
import { ExpertCollector } from '../../shared/expert';
import type { Tracker } from '../../shared/track/tracker';
import type { FrameIndex } from './frame-index';

/** Which frames take part: every frame, or the ascending indexes a display filter passed. */
export type FrameSelection = { all: true } | { all: false; frames: ArrayLike<number>; length: number };

function eachFrame(index: FrameIndex, selection: FrameSelection, visit: (i: number) => void): void {
  if (selection.all) {
    for (let i = 0; i < index.count; i++) visit(i);
  } else {
    for (let p = 0; p < selection.length; p++) visit(selection.frames[p]);
  }
}

export function expertInfo(index: FrameIndex, tracker: Tracker, selection: FrameSelection): ExpertGroup[] {
  const collector = new ExpertCollector();
  const facts = { tcpFlags: -1, analysis: 0, malformed: false, badChecksum: false };
  let included: Uint8Array | null = null;
  if (!selection.all) included = new Uint8Array(index.count);
  eachFrame(index, selection, (i) => {
    if (included) included[i] = 1;
    const marks = index.marks[i];
    // Tracked TCP frames only: a fragment or a malformed header has no flags to read.
    facts.tcpFlags = index.protocol[i] === 6 && index.stream[i] >= 0 ? index.tcpFlags[i] : -1;
    facts.analysis = index.analysis[i];
    facts.malformed = (marks & ROW_MARK.MALFORMED) !== 0;
    facts.badChecksum = (marks & ROW_MARK.BAD_CHECKSUM) !== 0;
    collector.addFrame(i, facts);
  });
  const wanted = (frameNumber: number) => frameNumber >= 1 && frameNumber <= index.count && (!included || included[frameNumber - 1] === 1);
  for (const connection of tracker.eachConnection()) {
    const frames = connection.handshake.frames;
    if (frames.length > 1 && wanted(frames[1])) collector.addConnection(connection);
  }
  for (const alert of tracker.alerts()) if (wanted(alert.first_frame)) collector.addAlert(alert);
  return collector.groups();
}

/** Largest address id a numeric pair key holds exactly (2^26 × 2^26 < 2^53). */
const PAIR_KEY_LIMIT = 1 << 26;

export interface ConversationTables {
  conversations: ConversationColumns;
  endpoints: EndpointColumns;
}

export function conversations(index: FrameIndex, kind: ConversationKind, selection: FrameSelection): ConversationTables {
  const counter = conversationCounter(index, kind);
  eachFrame(index, selection, counter.visit);
  return counter.finish();
}

/**
 * The same tables over every frame, counted a slice of at most `sliceMs` at a time with the event
 * loop free between slices, so warming them after indexing never holds up a view's request; once
 * `hurry()` says someone waits for this very table, the rest is counted without pausing.
 * null: given up (`stillWanted` said no).
 */
export async function conversationsInSlices(index: FrameIndex, kind: ConversationKind, sliceMs: number, stillWanted: () => boolean, hurry: () => boolean): Promise<ConversationTables | null> {
  const counter = conversationCounter(index, kind);
  const count = index.count;
  let i = 0;
  while (i < count) {
    const sliceEnd = performance.now() + sliceMs;
    do {
      const end = Math.min(count, i + 4096);
      for (; i < end; i++) counter.visit(i);
    } while (i < count && (performance.now() < sliceEnd || hurry()));
    if (i < count) {
      await new Promise((resolve) => setImmediate(resolve));
      if (!stillWanted()) return null;
    }
  }
  return counter.finish();
}

function conversationCounter(index: FrameIndex, kind: ConversationKind): { visit: (i: number) => void; finish: () => ConversationTables } {
  const table = new ConversationTable();
  const ports = kind === 'tcp' || kind === 'udp';
  const protocol = kind === 'tcp' ? 6 : kind === 'udp' ? 17 : -1;
  const ipVersion = kind === 'ipv4' ? 4 : kind === 'ipv6' ? 6 : 0;
  const { srcAddress, dstAddress, srcMac, dstMac, srcPort, dstPort, originalLength, stream } = index;
  const visit = (i: number): void => {
    const time = index.relativeTime(i);
    const bytes = originalLength[i];
    if (kind === 'eth') {
      const a = srcMac[i];
      const b = dstMac[i];
      if (a === 0) return;
      table.add(a < b ? a * PAIR_KEY_LIMIT + b : b * PAIR_KEY_LIMIT + a, a, -1, b, -1, time, bytes);
      return;
    }
    if (ports) {
      if (index.protocol[i] !== protocol || index.ipVersion[i] === 0) return;
      const a = srcAddress[i];
      const b = dstAddress[i];
      const pa = srcPort[i];
      const pb = dstPort[i];
      if (kind === 'tcp' && stream[i] >= 0) {
        // One conversation per tcp.stream, as tshark counts them (a reused port pair starts a new one).
        table.add(stream[i], a, pa, b, pb, time, bytes);
        return;
      }
      if (kind === 'tcp') return;
      const aFirst = a < b || (a === b && pa <= pb);
      table.add(aFirst ? `${a}:${pa}-${b}:${pb}` : `${b}:${pb}-${a}:${pa}`, a, pa, b, pb, time, bytes);
      return;
    }
    if (index.ipVersion[i] !== ipVersion) return;
    const a = srcAddress[i];
    const b = dstAddress[i];
    const key = a < PAIR_KEY_LIMIT && b < PAIR_KEY_LIMIT ? (a < b ? a * PAIR_KEY_LIMIT + b : b * PAIR_KEY_LIMIT + a) : a < b ? `${a}-${b}` : `${b}-${a}`;
    table.add(key, a, -1, b, -1, time, bytes);
  };
  const finish = (): ConversationTables => {
    const names = kind === 'eth' ? index.macs : index.addresses;
    const name = (id: number) => names[id] ?? '';
    return { conversations: table.columns(name), endpoints: table.endpointColumns(name) };
  };
  return { visit, finish };
}
