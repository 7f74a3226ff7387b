/**
 * A file session: streams a capture file into the compact index (progress events,
 * cancel, first rows available while indexing continues) and answers the renderer's
 * queries: row ranges under a display filter, one frame's detail, connections, ladders.
 *
 * Frame bytes are never kept: a row or detail request re-reads them by file offset.
 * A gzip-compressed file is inflated into a temporary file as it is indexed, so the
 * offsets point into something that can be read at random.
 */
import { closeSync, mkdtempSync, openSync, promises as fsp, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ApiError,
  ROW_MARK,
  type AlertInfo,
  type CaptureFormat,
  type AttachKeyLogResult,
  type ConnectionRow,
  type FrameDetail,
  type Ladder,
  type StreamGraph,
  type ComparePointsResult,
  type PacketRow,
  type QuicAttemptRow,
  type PageLoadRow,
  type RowsResult,
  type SessionInfo,
  type CapturePointFilter,
  type ApiEvent,
  type ConversationKind,
  type FlowFormat,
  type FlowGraphPage,
  type FlowNodes,
  type ExpertGroup,
  type ExportPacketsParams,
  type RowSort,
  type FollowPage,
  type SaveFollowParams,
} from '../../shared/api';
import { cellText, compareCells, customColumnError, isBuiltinColumn, MAX_CUSTOM_COLUMNS, sortKey, TimeReferences } from '../../shared/columns';
import { streamGraphOverview, type OverviewRequest } from '../../shared/graphs';
import { conversations, conversationsInSlices, expertInfo, type ConversationTables, type FrameSelection } from './statistics';
import { buildFlowGraph, flowGraphPage, saveFlowGraph } from './flow-graph';
import type { FlowGraph } from '../../shared/flowgraph';
import { compileFilter, FILTER_OPTIONS, type CompiledFilter } from '../../shared/filter';
import { compareCapturePoints } from '../../shared/compare';
import { pointLabel, readFilePoints } from './capture-points';
import { CaptureReader, formatEpoch, SecretsType, type CaptureFrame, type CaptureHandlers } from '../../shared/files';
import { decodeUtf8 } from '../../shared/files/utf8';
import { KeyLog } from '../../shared/tls/keylog';
import type { JsonFieldValue } from '../../shared/wire/json';
import { CaptureFileFrameReader, convertCaptureFile, readCaptureFile } from './capture-file';
import { toHex } from '../../shared/wire/bytes';
import { defaultMaxIndexedFrames, frameLimitMessage, InflateGuard, type SpaceInfo } from './resource-limits';
import { FrameIndex, IndexList } from './frame-index';
import { FrameFacts } from './frame-facts';
import type { EndpointLane } from '../../shared/endpoint/lane';
import { SessionQuicAttempts } from './quic-attempts';
import { framesAsRead } from './frames-as-read';
import { LINKTYPE_RAW } from '../../shared/wire/linktypes';
import { pageLoadFromFile } from './pageload-file';
import { SessionFollows, type FollowTarget } from './follow-stream';
import { openWriteTarget } from './safe-target';
import { pageLoadRows } from '../../shared/pageload/rows';

/**
 * Bytes per read while indexing. Small enough that the first screen of rows is indexed
 * (and open() returns) after one short slice of work; large enough that the per-read
 * overhead stays negligible over a whole file.
 */
const READ_CHUNK = 64 * 1024;
/** open() returns once this many frames are indexed: the first screen of rows. */
const FIRST_ROWS = 200;
/** Frames closer together than this in the file are read back with one read. */
const SPAN_READ_LIMIT = 4 << 20;
const PROGRESS_INTERVAL_MS = 100;
/** A filter scans at most this long per request; the rest continues in the background. */
const FILTER_SLICE_MS = 40;
const MAX_CACHED_FILTERS = 6;
/** Cache keys of the packet list's views that also hold time-referenced frames (see filterView). */
const DISPLAYED_KEY = '\u0001';
/** The connection list is built in the background in slices this long. */
const CONNECTIONS_SLICE_MS = 12;
/** Stream graphs kept per session, and the frames a connection needs before its graph is computed ahead. */
const GRAPH_CACHE_SIZE = 4;
const GRAPH_WARM_FRAMES = 20_000;
/** How long no request must have come before the busiest connection's graph is computed ahead. */
const GRAPH_WARM_QUIET_MS = 400;
/** Rows (of all a graph's tables) above which an overview is sent first when asked for. */
const GRAPH_OVERVIEW_ROWS = 20_000;
/** The plot size (device pixels) the busiest connection's overview is computed ahead for: the graph view's in a 1400 × 860 page (Electron's default window). */
const GRAPH_WARM_PLOT = { width: 1400, height: 686 };
/** Distinct crafted frames a live session looks out for (sending the same frame N times counts once). */
const MAX_CRAFTED_REMEMBERED = 1000;
/** Segments per connection sent for the two-point ladder; the rest are counted, not drawn. */
const MAX_TWO_POINT_STEPS = 5000;

/** How often a live session looks for new frames in the spool when not poked. */
const LIVE_POLL_MS = 50;
/** Secrets that reach a live spool after records they open are applied this long after the last of them arrived. */
const LIVE_SECRETS_REREAD_MS = 150;

/** The displayed frames in a column's order, and each frame's position in it. */
interface SortedView {
  frames: number;
  version: number;
  order: Uint32Array;
  /** Frame index → position in `order`, or -1 when not displayed. */
  positionOf: Int32Array;
}
const MAX_CACHED_SORTS = 3;
/** A comment is one pcapng option: at most 65,535 bytes of UTF-8. */
const MAX_COMMENT_BYTES = 65_535;

interface FilterView {
  filter: CompiledFilter;
  /** The packet list's view: as in Wireshark, a time-referenced frame is displayed whatever the filter says. */
  withTimeReferences: boolean;
  matches: IndexList;
  /** Frames [0, scanned) have been tested. */
  scanned: number;
  scanning: boolean;
}

type Emit = (event: ApiEvent) => void;

/** An empty index with its tracker: building a tracker costs tens of milliseconds, so one is kept ready. */
export interface SessionState {
  index: FrameIndex;
  facts: FrameFacts;
}

export function createSessionState(): SessionState {
  const index = new FrameIndex();
  return { index, facts: new FrameFacts(index) };
}

/** What one session may take from the machine (resource-limits.ts); tests pass small ones. */
export interface SessionLimits {
  /** Frames indexed at most; default from physical memory. */
  maxFrames?: number;
  /** QUIC frames whose detail tree (and Info text) is kept whole; later ones are derived again when shown. Defaults in quic-attempts.ts. */
  quicDetails?: number;
  quicInfoTexts?: number;
  /** Free space where gzip files are inflated; default statfs. */
  space?: (directory: string) => SpaceInfo;
}

export class FileSession {
  readonly index: FrameIndex;
  readonly facts: FrameFacts;
  private readonly quic: SessionQuicAttempts;
  private frameReader: CaptureFileFrameReader | null = null;
  private readonly abort = new AbortController();
  private onFirstFrames: () => void = () => undefined;
  private lastProgress = 0;
  /** The random-access file: the capture itself, or its inflated copy. */
  private dataPath: string;
  private tempDir: string | null = null;
  /** gzip input: the inflated copy being written while the file is indexed. */
  private inflatedFd: number | null = null;
  private totalBytes = 0;
  private bytesRead = 0;
  private complete = false;
  private closed = false;
  /** When the renderer last asked this session for anything (performance.now()). */
  lastRequest = 0;
  private damage: string | null = null;
  private firstLinkType = -1;
  private readonly filters = new Map<string, FilterView>();
  /** The filter the renderer asked for last: only it keeps scanning in the background. */
  private activeFilter = '';
  /** Bumped by cancel(): a scan started before it stops at its next slice. */
  private filterEpoch = 0;
  private indexing: Promise<void> | null = null;
  private readonly timeRefs = new TimeReferences();
  /** Frames whose comments were changed in the UI: Save writes theirs instead of the file's. */
  private readonly editedComments = new Set<number>();
  private readonly sortedViews = new Map<string, SortedView>();
  private readonly sortsBuilding = new Map<string, Promise<SortedView>>();
  /** Bumped when comments or time references change: sorted views built before are stale. */
  private columnsVersion = 0;

  /** Frames sent from the workbench (hex, by length), to mark them when the capture sees them go out. */
  private readonly crafted = new Map<number, Set<string>>();
  private craftedCount = 0;

  /** Live mode: the file is a capture spool that grows until endLive(). */
  private live = false;
  private liveEnded = false;
  private wake: (() => void) | null = null;
  private readonly maxFrames: number;
  private readonly space: ((directory: string) => SpaceInfo) | undefined;

  constructor(
    readonly sessionId: string,
    readonly filePath: string,
    private readonly emit: Emit,
    /** Shown instead of the file name (the interface of a live capture). */
    private readonly displayName: string | null = null,
    state: SessionState = createSessionState(),
    limits: SessionLimits = {},
  ) {
    this.dataPath = filePath;
    this.maxFrames = limits.maxFrames ?? defaultMaxIndexedFrames();
    this.space = limits.space;
    this.index = state.index;
    this.facts = state.facts;
    this.facts.timeReferences = this.timeRefs;
    this.quic = new SessionQuicAttempts(this.facts.keyLog, {
      maxDetails: limits.quicDetails,
      maxInfoTexts: limits.quicInfoTexts,
      // As indexing offered it: the whole datagram for a frame that completed a fragmented one.
      readDatagrams: (frames) => {
        const bytes = this.readFrames([...frames]);
        const out = new Map<number, { bytes: Uint8Array; linkType: number; originalLength: number }>();
        for (const i of frames) {
          const reassembled = this.facts.reassembledPacket(i);
          const frame = bytes.get(i);
          if (reassembled) out.set(i, { bytes: reassembled, linkType: LINKTYPE_RAW, originalLength: reassembled.length });
          else if (frame) out.set(i, { bytes: frame, linkType: this.index.linkType[i], originalLength: this.index.originalLength[i] });
        }
        return out;
      },
    });
    this.facts.quicFields = (i) => this.quic.fields(i) as Record<string, JsonFieldValue> | null;
  }

  /** Set for a live capture: its points and the filter applied at each. */
  capturePoints: CapturePointFilter[] | null = null;

  info(): SessionInfo {
    return {
      ...(this.capturePoints === null ? {} : { capturePoints: this.capturePoints }),
      sessionId: this.sessionId,
      kind: this.live ? 'capture' : 'file',
      name: this.displayName ?? path.basename(this.filePath),
      frames: this.index.count,
      complete: this.complete,
      linkType: this.firstLinkType,
      // A small file is indexed before the renderer adopts the session, so its final progress event comes too early to be seen.
      damage: this.complete ? this.damage : null,
    };
  }

  /** Starts indexing; resolves once the first frames (or the whole small file) are in, or rejects for a file that is not a capture. */
  async open(): Promise<void> {
    let stat;
    try {
      stat = await fsp.stat(this.filePath);
    } catch (error) {
      throw new ApiError('not-found', `cannot open ${this.filePath}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    if (!stat.isFile()) throw new ApiError('invalid', `${this.filePath} is not a regular file`);
    const head = Buffer.alloc(2);
    const probe = await fsp.open(this.filePath, 'r');
    try {
      await probe.read(head, 0, 2, 0);
    } finally {
      await probe.close();
    }
    let onDecompressed: ((chunk: Uint8Array) => void) | undefined;
    if (head[0] === 0x1f && head[1] === 0x8b) {
      // Offsets must point into something readable at random: the stream is inflated into a
      // temporary file as it is indexed, each chunk written before its frames are indexed.
      // A gzip bomb must not fill the disk (or, on tmpfs, the memory): see resource-limits.ts.
      const name = path.basename(this.filePath);
      const guard = new InflateGuard(os.tmpdir(), this.space);
      this.totalBytes = await gzipInflatedSize(this.filePath, stat.size);
      try {
        guard.checkBefore(name, this.totalBytes);
      } catch (error) {
        throw new ApiError('failed', (error as Error).message);
      }
      this.tempDir = mkdtempSync(path.join(os.tmpdir(), 'handshake-gz-'));
      this.dataPath = path.join(this.tempDir, 'inflated');
      const inflated = openSync(this.dataPath, 'w');
      this.inflatedFd = inflated;
      onDecompressed = (chunk) => {
        guard.willWrite(name, chunk.length);
        let offset = 0;
        while (offset < chunk.length) offset += writeSync(inflated, chunk, offset, chunk.length - offset);
      };
    } else {
      this.totalBytes = stat.size;
    }
    this.frameReader = new CaptureFileFrameReader(this.dataPath);

    let started: () => void = () => undefined;
    const firstFrames = new Promise<void>((resolve) => (started = resolve));
    this.onFirstFrames = started;
    this.indexing = readCaptureFile(this.filePath, this.captureHandlers(), { signal: this.abort.signal, chunkSize: READ_CHUNK, onDecompressed }).then(
      (result) => {
        if (result.damage) this.damage = result.damage.message;
      },
      (error: unknown) => {
        this.damage = this.abort.signal.aborted ? `cancelled after ${this.index.count} frames` : error instanceof Error ? error.message : String(error);
      },
    ).finally(() => this.finish());
    await Promise.race([firstFrames, this.indexing]);
    if (this.complete && this.index.count === 0 && this.damage) {
      throw new ApiError('invalid', `${path.basename(this.filePath)}: ${this.damage}`);
    }
  }

  /**
   * Live capture: follows the spool file as the capture appends to it, indexing each
   * complete block as it lands; the rows event tells the renderer to refresh.
   */
  async openLive(): Promise<void> {
    this.live = true;
    this.frameReader = new CaptureFileFrameReader(this.dataPath);
    this.indexing = this.follow().finally(() => this.finish());
  }

  /** The workbench's own endpoints whose conversations this live session holds: our lanes' states come from them. */
  private readonly endpointLanes: EndpointLane[] = [];

  showEndpointLane(lane: EndpointLane): void {
    this.endpointLanes.push(lane);
  }

  /** Remembers frames about to be sent, so the capture marks them as crafted when they appear. */
  expectCrafted(framesHex: readonly string[]): void {
    for (const hex of framesHex) {
      if (this.craftedCount >= MAX_CRAFTED_REMEMBERED) break;
      const length = hex.length / 2;
      const set = this.crafted.get(length) ?? new Set<string>();
      if (!set.has(hex)) this.craftedCount++;
      set.add(hex);
      this.crafted.set(length, set);
    }
  }

  /** New data may be in the spool: read it now instead of at the next poll. */
  poke(): void {
    this.wake?.();
  }

  /** The capture ended: read what is left, then mark the session complete. */
  endLive(): void {
    this.liveEnded = true;
    this.poke();
  }

  private async follow(): Promise<void> {
    const reader = new CaptureReader(this.captureHandlers());
    const handle = await fsp.open(this.dataPath, 'r');
    const buffer = Buffer.allocUnsafe(1 << 20);
    let offset = 0;
    let announced = 0;
    let endedBeforeRead = false;
    try {
      while (!this.closed) {
        // Whether the capture had ended before this read began: only then is an empty read the end.
        const ended = this.liveEnded;
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
        endedBeforeRead = ended;
        if (bytesRead > 0) {
          reader.push(buffer.subarray(0, bytesRead));
          offset += bytesRead;
          this.totalBytes = offset;
          continue;
        }
        if (this.index.count !== announced) {
          announced = this.index.count;
          this.emit({ type: 'rows', sessionId: this.sessionId, frames: announced });
        }
        // A read begun before endLive() may have missed the capture's last bytes: read once more.
        if (endedBeforeRead) break;
        if (this.liveEnded) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, LIVE_POLL_MS);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = null;
      }
    } catch (error) {
      // A spool cut by a crash ends in a partial block: everything before it stays.
      this.damage = error instanceof Error ? error.message : String(error);
    } finally {
      await handle.close();
    }
  }

  /** What the capture reader reports to the index: frames, secrets, and the capture points (sections and interfaces). */
  private captureHandlers(): CaptureHandlers {
    return {
      onFrame: (frame) => this.ingest(frame),
      onSecrets: (type, data) => this.onSecrets(type, data),
      onSection: () => this.index.startSection(),
      onInterface: (iface) => this.index.addPoint(iface.name),
    };
  }

  private ingest(frame: CaptureFrame): void {
    const index = this.index;
    if (index.count >= this.maxFrames) throw new Error(frameLimitMessage(this.maxFrames));
    const i = index.appendFrame(frame);
    if (this.firstLinkType < 0) this.firstLinkType = frame.linkType;
    this.facts.ingest(i, frame.buffer, frame.bufferOffset, frame.capturedLength, frame.linkType);
    this.quic.ingest(i, frame, index, this.facts.reassembledPacket(i));
    if (frame.exceededSnaplen > 0) index.marks[i] |= ROW_MARK.ABOVE_SNAPLEN;
    if (this.craftedCount > 0) {
      const candidates = this.crafted.get(frame.capturedLength);
      if (candidates && candidates.has(toHex(frame.buffer, '', frame.bufferOffset, frame.bufferOffset + frame.capturedLength))) {
        index.marks[i] |= ROW_MARK.CRAFTED;
      }
    }
    this.bytesRead = frame.dataOffset + frame.capturedLength;
    if (i === FIRST_ROWS - 1) this.onFirstFrames();
    if (!this.live && (i & 1023) === 0) {
      const now = performance.now();
      if (now - this.lastProgress > PROGRESS_INTERVAL_MS) {
        this.lastProgress = now;
        this.emitProgress();
      }
    }
  }

  private finish(): void {
    this.closeInflated();
    this.bytesRead = this.damage ? this.bytesRead : this.totalBytes;
    this.facts.finish();
    // Warm the connection list while the user is still looking at the packets, a slice at a time.
    void this.facts.warmConnections(CONNECTIONS_SLICE_MS, () => !this.closed);
    // And the Conversations view's first table (TCP, every frame), in slices beside it.
    if (!this.live) void this.warmConversations('tcp');
    // And the busiest connection's stream graph after that.
    if (!this.live) void this.warmStreamGraph();
    this.complete = true;
    this.emitProgress();
  }

  private closeInflated(): void {
    if (this.inflatedFd === null) return;
    closeSync(this.inflatedFd);
    this.inflatedFd = null;
  }

  private emitProgress(): void {
    if (this.closed) return;
    this.emit({
      type: 'progress',
      sessionId: this.sessionId,
      frames: this.index.count,
      bytesRead: this.bytesRead,
      totalBytes: this.totalBytes,
      done: this.complete,
      error: this.complete ? this.damage : null,
    });
  }

  /** Resolves when indexing has finished (tests, save-as). */
  async whenIndexed(): Promise<void> {
    await this.indexing;
  }

  /** Cancel: stops indexing, and any filter scan running for a request or in the background. */
  cancel(): void {
    this.abort.abort();
    this.filterEpoch++;
    this.activeFilter = '';
  }

  async close(): Promise<void> {
    this.closed = true;
    this.abort.abort();
    await this.indexing?.catch(() => undefined);
    this.frameReader?.close();
    this.frameReader = null;
    this.closeInflated();
    if (this.tempDir) rmSync(this.tempDir, { recursive: true, force: true });
  }

  // ------------------------------------------------------------ reading frames back

  /** Reads the captured bytes of the given frames, with one read when they lie close together. */
  private readFrames(indices: number[]): Map<number, Uint8Array> {
    const out = new Map<number, Uint8Array>();
    const reader = this.frameReader;
    if (!reader || indices.length === 0) return out;
    const index = this.index;
    let start = Infinity;
    let end = 0;
    for (const i of indices) {
      start = Math.min(start, index.dataOffset[i]);
      end = Math.max(end, index.dataOffset[i] + index.capturedLength[i]);
    }
    if (end - start <= SPAN_READ_LIMIT) {
      const block = reader.read(start, end - start);
      for (const i of indices) {
        const from = index.dataOffset[i] - start;
        out.set(i, block.subarray(from, from + index.capturedLength[i]));
      }
      return out;
    }
    for (const i of indices) out.set(i, reader.read(index.dataOffset[i], index.capturedLength[i]));
    return out;
  }

  async frameBytes(i: number): Promise<Uint8Array> {
    this.checkIndex(i);
    const bytes = this.readFrames([i]).get(i);
    if (!bytes) throw new ApiError('unavailable', 'the session is closed');
    return bytes;
  }

  private checkIndex(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.index.count) {
      throw new ApiError('not-found', `no frame ${i + 1}: the session has ${this.index.count} frames`);
    }
  }

  // ------------------------------------------------------------ queries

  private compile(text: string): CompiledFilter {
    const compiled = compileFilter(text, FILTER_OPTIONS);
    if (!compiled.ok) {
      const { position, message, hint } = compiled.error;
      throw new ApiError('invalid', `display filter: ${message} (at character ${position + 1})${hint ? `\n${hint}` : ''}`);
    }
    return compiled.filter;
  }

  /**
   * A filter's frames. `displayed`: the packet list's view, which also holds every time-referenced
   * frame whatever the filter says (Wireshark's rule); without references that is the filter's own.
   */
  private filterView(text: string, displayed = false): FilterView {
    const withTimeReferences = displayed && this.timeRefs.size > 0;
    const key = withTimeReferences ? `${DISPLAYED_KEY}${text.trim()}` : text.trim();
    let view = this.filters.get(key);
    if (view) {
      // Most recently used last, so the oldest is evicted first.
      this.filters.delete(key);
      this.filters.set(key, view);
      return view;
    }
    view = { filter: this.compile(text.trim()), withTimeReferences, matches: new IndexList(), scanned: 0, scanning: false };
    this.filters.set(key, view);
    while (this.filters.size > MAX_CACHED_FILTERS) {
      const oldest = this.filters.keys().next().value;
      if (oldest === undefined) break;
      this.filters.delete(oldest);
    }
    return view;
  }

  /** Tests frames not yet scanned, for at most `budgetMs` (checked every few frames, so one slow frame cannot hold the engine long). */
  private async scan(view: FilterView, budgetMs: number): Promise<void> {
    const started = performance.now();
    const batch = 64;
    while (view.scanned < this.index.count && performance.now() - started < budgetMs) {
      const from = view.scanned;
      const to = Math.min(this.index.count, from + batch);
      const needsBytes = this.facts.needsBytes(view.filter);
      const frames: number[] = [];
      for (let i = from; i < to; i++) frames.push(i);
      const bytes = needsBytes ? this.readFrames(frames) : null;
      // QUIC fields come from asynchronous decryption: wait for these frames' analysis.
      if (needsBytes && this.quic.waiting(frames)) await this.quic.settled();
      for (let i = from; i < to; i++) {
        // frame.time_delta_displayed counts from the last frame this filter let through.
        this.facts.previousShown = view.matches.length > 0 ? view.matches.at(view.matches.length - 1) : -1;
        const shown = this.facts.test(view.filter, i, bytes?.get(i) ?? null) || (view.withTimeReferences && this.timeRefs.has(i));
        this.facts.previousShown = -2;
        if (shown) view.matches.push(i);
      }
      view.scanned = to;
    }
  }

  /** Keeps scanning a filter in the background and tells the renderer as rows appear. */
  private continueScan(view: FilterView): void {
    if (view.scanning || this.closed) return;
    view.scanning = true;
    const step = async () => {
      await this.scan(view, FILTER_SLICE_MS);
      const done = view.scanned >= this.index.count && this.complete;
      if (!this.closed) this.emit({ type: 'rows', sessionId: this.sessionId, frames: this.index.count });
      if (done || this.closed || this.activeFilter !== view.filter.text.trim()) {
        view.scanning = false;
        return;
      }
      setTimeout(() => void step().catch(() => (view.scanning = false)), view.scanned < this.index.count ? 0 : 50);
    };
    setImmediate(() => void step().catch(() => (view.scanning = false)));
  }

  async rows(start: number, count: number, filterText: string, columns: readonly string[] = [], sort?: RowSort): Promise<RowsResult> {
    this.checkColumns(columns);
    if (sort) this.checkColumns(isBuiltinColumn(sort.column) ? [] : [sort.column]);
    const frames = this.index.count;
    let total = frames;
    let complete = this.complete;
    let selected: number[] = [];
    if (sort) {
      const view = await this.sortedView(filterText, sort);
      total = view.order.length;
      complete = this.complete && view.frames === this.index.count;
      for (let p = start; p < Math.min(total, start + count); p++) selected.push(view.order[p]);
    } else if (filterText.trim() === '') {
      for (let i = start; i < Math.min(frames, start + count); i++) selected.push(i);
    } else {
      const view = this.filterView(filterText, true);
      this.activeFilter = filterText.trim();
      await this.scan(view, FILTER_SLICE_MS);
      total = view.matches.length;
      complete = this.complete && view.scanned >= frames;
      if (!complete) this.continueScan(view);
      for (let p = start; p < Math.min(total, start + count); p++) selected.push(view.matches.at(p));
    }
    const bytes = this.readFrames(selected);
    const quic = await this.quic.columns(selected);
    // A frame.time_delta_displayed column counts from the previous frame the filter shows (in frame order).
    const shownBefore = columns.includes('frame.time_delta_displayed') && filterText.trim() !== '' ? this.filterView(filterText, true).matches : null;
    const rows: PacketRow[] = selected.map((i) => {
      const position = shownBefore ? shownBefore.positionOf(i) : -1;
      this.facts.previousShown = shownBefore ? (position > 0 ? shownBefore.at(position - 1) : -1) : -2;
      try {
        return this.row(i, bytes.get(i) ?? new Uint8Array(0), quic(i), columns);
      } finally {
        this.facts.previousShown = -2;
      }
    });
    selected = [];
    return { total, frames, complete, start, rows, points: this.index.points };
  }

  private checkColumns(columns: readonly string[]): void {
    if (columns.length > MAX_CUSTOM_COLUMNS) throw new ApiError('invalid', `at most ${MAX_CUSTOM_COLUMNS} custom columns`);
    for (const name of columns) {
      const error = customColumnError(name);
      if (error) throw new ApiError('invalid', `custom column: ${error}`);
    }
  }

  /** The Time column: seconds since the latest time reference at or before the frame (else the first frame). */
  private displayedTime(i: number): number {
    return this.facts.timeRelative(i);
  }

  private commentText(i: number): string | undefined {
    const comments = this.index.comments.get(i);
    if (!comments || comments.length === 0) return undefined;
    const text = comments.join(',');
    return text.length > 4000 ? `${text.slice(0, 3999)}…` : text;
  }

  private row(i: number, bytes: Uint8Array, quic: { protocol: string; info: string } | null, columns: readonly string[] = []): PacketRow {
    const described = this.facts.describe(i, bytes);
    if (quic) Object.assign(described, quic);
    const comment = this.commentText(i);
    let marks = this.index.marks[i] | described.extraMarks;
    if (comment !== undefined) marks |= ROW_MARK.COMMENTED;
    if (this.timeRefs.size > 0 && this.timeRefs.has(i)) marks |= ROW_MARK.TIME_REF;
    return {
      index: i,
      number: i + 1,
      time: this.displayedTime(i),
      source: described.source,
      destination: described.destination,
      protocol: described.protocol,
      length: this.index.originalLength[i],
      // The contract bounds every string; a hostile frame must not make a row unsendable.
      info: described.info.length > 4000 ? `${described.info.slice(0, 3999)}…` : described.info,
      marks,
      stream: this.index.stream[i],
      ...(comment !== undefined ? { comment } : {}),
      ...(columns.length > 0 ? { columns: columns.map((name) => cellText(this.facts.fieldValue(i, bytes, name))) } : {}),
      point: this.index.point[i],
      ...(described.encapsulation === null ? {} : { encapsulation: described.encapsulation.slice(0, 256) }),
    };
  }

  /**
   * The displayed frames ordered by one column, as Wireshark sorts its list: built once per
   * filter, column and state of the capture (a column's values over every displayed frame),
   * in slices so other requests are answered meanwhile. Ties keep capture order.
   */
  private sortedView(filterText: string, sort: RowSort): Promise<SortedView> {
    const key = `${filterText.trim()}\u0000${sort.column}\u0000${sort.descending ? 'd' : 'a'}`;
    const cached = this.sortedViews.get(key);
    if (cached && cached.frames === this.index.count && cached.version === this.columnsVersion) return Promise.resolve(cached);
    // The list asks for several pages at once: they share one build.
    const building = this.sortsBuilding.get(key);
    if (building) return building;
    const build = this.buildSortedView(key, filterText, sort).finally(() => this.sortsBuilding.delete(key));
    this.sortsBuilding.set(key, build);
    return build;
  }

  private async buildSortedView(key: string, filterText: string, sort: RowSort): Promise<SortedView> {
    const frames = this.index.count;
    const version = this.columnsVersion;
    let displayed: ArrayLike<number>;
    if (filterText.trim() === '') {
      const all = new Uint32Array(frames);
      for (let i = 0; i < frames; i++) all[i] = i;
      displayed = all;
    } else {
      const view = await this.scannedView(filterText, true);
      const list = new Uint32Array(view.matches.length);
      for (let p = 0; p < list.length; p++) list[p] = view.matches.at(p);
      displayed = list;
    }
    const keys = await this.sortKeys(displayed, sort.column);
    const positions = Array.from({ length: displayed.length }, (_, p) => p);
    const sign = sort.descending ? -1 : 1;
    positions.sort((a, b) => sign * compareCells(keys[a], keys[b]) || displayed[a] - displayed[b]);
    const order = new Uint32Array(positions.length);
    const positionOf = new Int32Array(frames).fill(-1);
    for (let p = 0; p < positions.length; p++) {
      order[p] = displayed[positions[p]];
      positionOf[order[p]] = p;
    }
    const view: SortedView = { frames, version, order, positionOf };
    this.sortedViews.delete(key);
    this.sortedViews.set(key, view);
    while (this.sortedViews.size > MAX_CACHED_SORTS) {
      const oldest = this.sortedViews.keys().next().value;
      if (oldest === undefined) break;
      this.sortedViews.delete(oldest);
    }
    return view;
  }

  /** Each displayed frame's value in `column`; the index answers the numeric columns, the rest re-read the frames. */
  private async sortKeys(displayed: ArrayLike<number>, column: string): Promise<(number | string | undefined)[]> {
    const keys: (number | string | undefined)[] = new Array(displayed.length);
    const index = this.index;
    if (column === 'point') {
      for (let p = 0; p < displayed.length; p++) keys[p] = index.points[index.point[displayed[p]]] ?? '';
      return keys;
    }
    if (column === 'number' || column === 'time' || column === 'length' || column === 'comment') {
      for (let p = 0; p < displayed.length; p++) {
        const i = displayed[p];
        keys[p] = column === 'number' ? i : column === 'time' ? this.displayedTime(i) : column === 'length' ? index.originalLength[i] : this.commentText(i);
      }
      return keys;
    }
    let sliceStart = performance.now();
    for (let at = 0; at < displayed.length; at += 256) {
      const batch: number[] = [];
      for (let p = at; p < Math.min(displayed.length, at + 256); p++) batch.push(displayed[p]);
      const bytes = this.readFrames(batch);
      const quic = column === 'protocol' || column === 'info' ? await this.quic.columns(batch) : () => null;
      for (let b = 0; b < batch.length; b++) {
        const i = batch[b];
        const frame = bytes.get(i) ?? new Uint8Array(0);
        if (isBuiltinColumn(column)) {
          const described = this.facts.describe(i, frame);
          const override = quic(i);
          if (override) Object.assign(described, override);
          keys[at + b] =
            column === 'source'
              ? described.source
              : column === 'destination'
                ? described.destination
                : column === 'protocol'
                  ? described.protocol
                  : column === 'encapsulation'
                    ? (described.encapsulation ?? undefined)
                    : described.info;
        } else {
          keys[at + b] = sortKey(cellText(this.facts.fieldValue(i, frame, column)));
        }
      }
      if (performance.now() - sliceStart > FILTER_SLICE_MS) {
        // Let other requests (Cancel among them) run between slices.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.closed) throw new ApiError('cancelled', 'the session was closed');
        sliceStart = performance.now();
      }
    }
    return keys;
  }

  /** Ctrl+T: sets or clears a time reference (index null: clears every one); returns how many remain. */
  setTimeReference(i: number | null, on: boolean): number {
    if (i === null) this.timeRefs.clear();
    else {
      this.checkIndex(i);
      this.timeRefs.set(i, on);
    }
    this.columnsVersion++;
    // As Wireshark re-filters: a filter on frame.time_relative counts from the new references, and
    // the packet list's views hold the referenced frames.
    this.forgetFiltersReading('frame.time_relative');
    for (const key of this.filters.keys()) if (key.startsWith(DISPLAYED_KEY)) this.filters.delete(key);
    return this.timeRefs.size;
  }

  /** Replaces a frame's comments (none deletes them); Save and Export write the new ones. */
  setComments(i: number, comments: readonly string[]): number {
    this.checkIndex(i);
    const encoder = new TextEncoder();
    for (const comment of comments) {
      if (encoder.encode(comment).length > MAX_COMMENT_BYTES) throw new ApiError('invalid', `a packet comment holds at most ${MAX_COMMENT_BYTES} bytes of UTF-8`);
    }
    const kept = comments.filter((comment) => comment.length > 0);
    if (kept.length > 0) this.index.comments.set(i, kept);
    else this.index.comments.delete(i);
    this.editedComments.add(i);
    this.columnsVersion++;
    // Filters over frame.comment must see the new text.
    this.forgetFiltersReading('frame.comment');
    return this.index.comments.size;
  }

  /** Drops every filter result (and the tables built from one) whose filter reads `field`, whose values just changed. */
  private forgetFiltersReading(field: string): void {
    const reads = (text: string) => {
      if (text.trim() === '') return false;
      const compiled = compileFilter(text.trim(), FILTER_OPTIONS);
      return compiled.ok && compiled.filter.fields.has(field);
    };
    for (const [key, view] of this.filters) if (view.filter.fields.has(field)) this.filters.delete(key);
    if (this.flow && reads(this.flow.key.split('\u0000')[2] ?? '')) this.flow = null;
    for (const key of this.conversationsCache.keys()) if (reads(key.slice(key.indexOf('\n') + 1))) this.conversationsCache.delete(key);
  }

  /** For Save/Export: the edited frames' comments replace the file's own. */
  private commentOverride(): ((frameIndex: number) => readonly string[] | undefined) | undefined {
    if (this.editedComments.size === 0) return undefined;
    return (i) => (this.editedComments.has(i) ? (this.index.comments.get(i) ?? []) : undefined);
  }

  /**
   * Two of the session's capture points compared segment by segment (shared/compare), read from
   * the file as it is now (a live spool up to its last complete block).
   */
  async comparePoints(a: number, b: number, clockOffset: number | null): Promise<ComparePointsResult> {
    const { names, points } = await readFilePoints(this.dataPath);
    for (const id of [a, b]) if (id >= points.length) throw new ApiError('invalid', `there is no capture point ${id} (the capture has ${points.length})`);
    if (a === b) throw new ApiError('invalid', 'choose two different capture points');
    const connections: ComparePointsResult['connections'] = [];
    const result = compareCapturePoints(points[a], points[b], clockOffset === null ? {} : { clockOffset }, (comparison, steps) => {
      const all = steps();
      connections.push({ comparison, steps: all.slice(0, MAX_TWO_POINT_STEPS), stepsTruncated: all.length > MAX_TWO_POINT_STEPS });
    });
    return { points: [pointLabel(names, a), pointLabel(names, b)], summary: result.summary, connections };
  }

  async findRow(filterText: string, i: number, sort?: RowSort): Promise<number> {
    if (i >= this.index.count) return -1;
    if (sort) {
      const view = await this.sortedView(filterText, sort);
      return i < view.positionOf.length ? view.positionOf[i] : -1;
    }
    if (filterText.trim() === '') return i;
    const view = this.filterView(filterText, true);
    const epoch = this.filterEpoch;
    while (view.scanned <= i) {
      await this.scan(view, FILTER_SLICE_MS);
      if (view.scanned > i) break;
      // Between slices, let other requests (Cancel among them) run.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.closed) throw new ApiError('cancelled', 'the session was closed');
      if (this.filterEpoch !== epoch) throw new ApiError('cancelled', `display filter cancelled after ${view.scanned} of ${this.index.count} frames`);
    }
    return view.matches.positionOf(i);
  }

  async frame(i: number): Promise<FrameDetail> {
    const bytes = await this.frameBytes(i);
    const { tree, expert } = this.facts.detail(i, bytes);
    tree.push(...(await this.quic.detail(i)));
    return {
      index: i,
      number: i + 1,
      timeEpoch: formatEpoch(this.index.tsSeconds[i], this.index.tsNanos[i]),
      time: this.facts.timeRelative(i),
      linkType: this.index.linkType[i],
      bytesHex: toHex(bytes),
      length: this.index.originalLength[i],
      stream: this.index.stream[i],
      tree,
      expert,
      ...(this.index.comments.has(i) ? { comments: (this.index.comments.get(i) ?? []).slice(0, 64) } : {}),
    };
  }

  connections(): { connections: ConnectionRow[]; alerts: AlertInfo[] } {
    const result = this.facts.connections();
    const lanes = this.endpointLanes;
    // The facts' result is cached: the lanes' view is a copy (each lane changes only its own connection's row).
    return lanes.length > 0 ? { ...result, connections: result.connections.map((row) => lanes.reduce((changed, lane) => lane.row(changed), row)) } : result;
  }

  /** A Decryption Secrets Block in the file (or the live spool): its NSS key-log text joins the session's secrets. */
  private onSecrets(type: number, data: Uint8Array): void {
    if (type !== SecretsType.TlsKeyLog) return;
    this.sawSecrets = true;
    const before = this.facts.keyLog.size;
    const text = decodeUtf8(data, 0, data.length);
    this.facts.keyLog.merge(KeyLog.parse(text));
    // A live key log may be read after the frames it answers (a client that writes it late): read them again.
    if (this.live && this.index.count > 0 && this.facts.keyLog.size > before) {
      for (const line of text.split('\n')) {
        const random = line.trim().split(/\s+/)[1];
        if (random) this.newSecretRandoms.add(random.toLowerCase());
      }
      this.scheduleSecretsReread();
    }
  }

  /** Client randoms of secrets that came since the last live re-read. */
  private newSecretRandoms = new Set<string>();

  /** Whether the file (or spool) held Decryption Secrets Blocks: Save keeps them, first. */
  private sawSecrets = false;
  private secretsReread: { timer: ReturnType<typeof setTimeout> | null; running: boolean; again: boolean } = { timer: null, running: false, again: false };

  private scheduleSecretsReread(): void {
    const state = this.secretsReread;
    if (state.running) {
      state.again = true;
      return;
    }
    if (state.timer) clearTimeout(state.timer);
    state.timer = setTimeout(() => {
      state.timer = null;
      state.running = true;
      void this.rereadIfLocked()
        .catch((error: unknown) => this.emit({ type: 'capture-error', sessionId: this.sessionId, message: `reading TLS again with the new key-log secrets failed: ${error instanceof Error ? error.message : String(error)}` }))
        .finally(() => {
          state.running = false;
          if (state.again && !this.closed) {
            state.again = false;
            this.scheduleSecretsReread();
          }
        });
    }, LIVE_SECRETS_REREAD_MS);
  }

  /**
   * Reads TLS and QUIC again only when a connection has records that the new secrets may open: it
   * lacked a secret of one of their client randoms, or there were no secrets at all. Connections
   * that stay locked for other reasons (their ClientHello missed, another program's traffic) do
   * not make every new secret read the whole capture again.
   */
  private async rereadIfLocked(): Promise<void> {
    if (this.closed) return;
    const randoms = this.newSecretRandoms;
    this.newSecretRandoms = new Set();
    const opens = (reason: true | string | null) => typeof reason === 'string' && (reason.startsWith('no TLS secrets') || randoms.has(/for client random ([0-9a-f]+)/.exec(reason)?.[1] ?? ''));
    const tlsLocked = this.facts.tlsConnections().some((c) => opens(c.decrypted));
    const quicLocked = (await this.quic.attemptsSoFar()).some((attempt) => opens(attempt.tls.decrypted));
    if (!tlsLocked && !quicLocked) return;
    await this.rereadWithSecrets(tlsLocked, quicLocked);
    if (!this.closed) this.emit({ type: 'rows', sessionId: this.sessionId, frames: this.index.count });
  }

  /**
   * Reads every connection's TLS (and QUIC) again with the secrets known now, from the frames
   * indexed so far; frames indexed later go to the new readers, so nothing is read twice.
   */
  private async rereadWithSecrets(tls = true, quic = true): Promise<void> {
    // As first read: fragmented datagrams are reassembled again (frames-as-read.ts).
    const readFrames = (batch: number[]) => this.readFrames(batch);
    if (tls) this.facts.redissectTls(framesAsRead(this.facts.tlsCandidateFrames(), this.index, readFrames));
    if (quic) {
      // QUIC too: its Handshake and 1-RTT packets open with the new secrets.
      const udp: number[] = [];
      for (let i = 0; i < this.index.count; i++) if (this.index.protocol[i] === 17) udp.push(i);
      this.quic.reread(framesAsRead(udp, this.index, readFrames), this.index);
      await this.quic.settled();
    }
    // Rows and filter matches computed before now may show other TLS and QUIC fields.
    this.filters.clear();
  }

  /**
   * Attaches an NSS key log to the open capture: its secrets join the session's, every
   * connection's TLS is read again with them, and each TLS connection's status comes back
   * (decrypted, or the secret it still lacks).
   */
  async attachKeyLog(keylogPath: string): Promise<AttachKeyLogResult> {
    let text: string;
    try {
      text = await fsp.readFile(keylogPath, 'latin1');
    } catch (error) {
      throw new ApiError('not-found', `cannot read key log ${keylogPath}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    const added = KeyLog.parse(text);
    this.facts.keyLog.merge(added);
    // A live capture's indexing ends with the capture: read the frames so far again now (later ones meet the new secrets as they come).
    if (!this.live) await this.whenIndexed();
    await this.rereadWithSecrets();
    const rows = this.facts.connections().connections;
    const byStream = new Map(rows.map((row) => [row.stream, row]));
    return {
      secrets: added.counts.secrets,
      clients: added.counts.clients,
      badLines: added.counts.bad,
      connections: this.facts.tlsConnections().map((c) => ({
        stream: c.stream,
        client: byStream.get(c.stream)?.client ?? '',
        server: byStream.get(c.stream)?.server ?? '',
        sni: byStream.get(c.stream)?.sni ?? null,
        decrypted: c.decrypted === true,
        reason: c.decrypted === true ? null : (c.decrypted ?? 'nothing encrypted seen'),
        alpn: c.alpn,
        certificate: c.certificate,
      })),
    };
  }

  private follows: SessionFollows | null = null;

  /** Follow Stream: a page of the stream's turns over the frames indexed so far (bounded by `maxBytes`). */
  async followPage(target: FollowTarget, from: number, maxBytes: number): Promise<FollowPage> {
    this.follows ??= new SessionFollows(this.index, this.facts.keyLog, (indices) => this.readFrames(indices), this.quic, (i) => this.facts.reassembledPacket(i));
    const { followed, generation, exists, why, target: resolved, filter } = await this.follows.follow(target);
    if (!exists) {
      const yet = this.complete ? '' : ' yet';
      if (target.atFrame !== undefined && target.atFrame !== null && target.kind !== 'tcp' && target.kind !== 'tls' && target.kind !== 'http2') {
        throw new ApiError('not-found', `frame ${target.atFrame + 1} is not part of a ${target.kind === 'udp' ? 'UDP conversation' : 'QUIC connection'}${yet}`);
      }
      const what = target.kind === 'udp' ? 'UDP stream' : target.kind === 'quic' || target.kind === 'http3' ? 'QUIC connection' : 'TCP stream';
      throw new ApiError('not-found', `no ${what} ${target.stream}${yet}`);
    }
    const chunks: FollowPage['chunks'] = [];
    let bytes = 0;
    for (let i = from; i < followed.chunks.length; i++) {
      const chunk = followed.chunks[i];
      if (chunks.length > 0 && bytes + chunk.bytes.length > maxBytes) break;
      chunks.push({ fromClient: chunk.fromClient, frame: chunk.frame, time: chunk.time, hex: toHex(chunk.bytes) });
      bytes += chunk.bytes.length;
    }
    return {
      generation,
      client: followed.client,
      server: followed.server,
      start: from,
      chunks,
      totalChunks: followed.chunks.length,
      clientBytes: followed.clientBytes,
      serverBytes: followed.serverBytes,
      truncated: followed.truncated,
      live: !this.complete,
      note: why,
      ...(resolved && filter !== null ? { stream: resolved.stream, quicStream: resolved.quicStream, filter } : {}),
    };
  }

  /** Follow Stream's Save as…: the same content `handshake follow -o` writes. */
  async saveFollow(params: Omit<SaveFollowParams, 'sessionId'>): Promise<{ path: string; bytes: number }> {
    if (!this.live) await this.whenIndexed();
    this.follows ??= new SessionFollows(this.index, this.facts.keyLog, (indices) => this.readFrames(indices), this.quic, (i) => this.facts.reassembledPacket(i));
    const content = await this.follows.content(params, params.format, params.direction);
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    try {
      const fd = openWriteTarget(params.path, { overwrite: params.overwrite === true });
      try {
        for (let offset = 0; offset < bytes.length; ) offset += writeSync(fd, bytes, offset, bytes.length - offset);
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      if (error instanceof ApiError) throw error;
      throw new ApiError('failed', `save as ${params.path}: ${error instanceof Error ? error.message : String(error)}`);
    }
    return { path: params.path, bytes: bytes.length };
  }

  /** The page-load timeline, read from the capture's bytes (the live spool so far, for a capture). */
  async pageLoad(): Promise<PageLoadRow[]> {
    // The session's secrets (an attached key log too), copied: the file's own blocks are merged into it.
    const keyLog = new KeyLog();
    keyLog.merge(this.facts.keyLog);
    return pageLoadRows((await pageLoadFromFile(this.dataPath, keyLog)).connections);
  }

  quicAttempts(): Promise<QuicAttemptRow[]> {
    return this.quic.rows(this.index);
  }

  /** The last stream graphs computed, while the indexed frames stay the same (a few: each is ~10 MB for 100,000 segments). */
  private graphCache = new Map<string, { frames: number; graph: StreamGraph }>();

  streamGraph(stream: number, direction: 'client' | 'server', maWindow?: number, overview?: OverviewRequest): StreamGraph {
    const started = performance.now();
    const full = this.fullStreamGraph(stream, direction, maWindow);
    // A small graph is sent whole: its overview would save little and cost a second request.
    const rows = full.segments.frame.length + full.acks.frame.length + full.rtt.frame.length + full.sack.frame.length;
    if (!overview || rows <= GRAPH_OVERVIEW_ROWS) return full;
    const key = `${overview.kind}/${overview.rttAxis}/${Math.round(overview.width)}x${Math.round(overview.height)}`;
    let cut = this.overviewCache.get(full);
    if (cut?.key !== key) {
      cut = { key, graph: streamGraphOverview(full, overview) };
      this.overviewCache.set(full, cut);
    }
    // The engine's time (the full graph too, when it was not cached), for the benchmark's phases.
    return { ...cut.graph, overview: { points: cut.graph.overview?.points ?? 0, engineMs: performance.now() - started } };
  }

  /** The last overview cut from each cached full graph (a view reopened at the same size gets it at once). */
  private overviewCache = new WeakMap<StreamGraph, { key: string; graph: StreamGraph }>();

  private fullStreamGraph(stream: number, direction: 'client' | 'server', maWindow?: number): StreamGraph {
    const key = `${stream}/${direction}/${maWindow ?? 'auto'}`;
    const frames = this.index.count;
    const cached = this.graphCache.get(key);
    if (cached && cached.frames === frames) return cached.graph;
    const graph = this.facts.streamGraph(stream, direction, maWindow);
    if (!graph) throw new ApiError('not-found', `no TCP stream ${stream}`);
    this.graphCache.delete(key);
    this.graphCache.set(key, { frames, graph });
    // Oldest first in a Map's order.
    while (this.graphCache.size > GRAPH_CACHE_SIZE) this.graphCache.delete(this.graphCache.keys().next().value ?? key);
    return graph;
  }

  /**
   * The busiest connection's graph (the one a user most likely opens), computed once the
   * Conversations table's warm-up is done: 100,000 segments take 80–200 ms to gather and build.
   */
  private async warmStreamGraph(): Promise<void> {
    await this.conversationsWarming.get('tcp\n');
    // It runs in one piece, so only once the user has left the engine alone for a moment: a view
    // opened meanwhile (Expert Information, Conversations) would wait for it.
    while (!this.closed && performance.now() - this.lastRequest < GRAPH_WARM_QUIET_MS) await new Promise((resolve) => setTimeout(resolve, GRAPH_WARM_QUIET_MS / 2));
    const busiest = this.facts.busiestStream();
    if (this.closed || busiest.stream < 0 || busiest.frames < GRAPH_WARM_FRAMES) return;
    try {
      // Its tcptrace overview too, at a common plot size: besides the cache, this compiles the
      // overview's code, whose first run in a fresh engine costs several times a later one.
      this.streamGraph(busiest.stream, 'client', undefined, { kind: 'tcptrace', rttAxis: 'seq', ...GRAPH_WARM_PLOT });
    } catch {
      // A stream without a connection summary: nothing to warm.
    }
  }

  ladder(stream: number, limit: number): Ladder {
    const ladder = this.facts.ladder(stream, limit);
    if (!ladder) throw new ApiError('not-found', `no TCP stream ${stream}`);
    return this.endpointLanes.reduce((changed, lane) => lane.ladder(changed), ladder);
  }

  /** The frames passing `filterText` (all frames for an empty filter), once the filter has scanned every indexed frame. */
  private async selection(filterText: string, displayed = false): Promise<FrameSelection> {
    if (filterText.trim() === '') return { all: true };
    const view = this.filterView(filterText, displayed);
    while (view.scanned < this.index.count) await this.scan(view, FILTER_SLICE_MS);
    const frames: number[] = [];
    for (let p = 0; p < view.matches.length; p++) frames.push(view.matches.at(p));
    return { all: false, frames, length: frames.length };
  }

  async expertInfo(filterText: string): Promise<ExpertGroup[]> {
    return expertInfo(this.index, this.facts.tracker, await this.selection(filterText));
  }

  /** The last flow graph built, by what it was built from (a live capture's new frames make a new one). */
  private flow: { key: string; graph: FlowGraph } | null = null;

  private async flowGraph(filterText: string, nodes: FlowNodes): Promise<FlowGraph> {
    const key = `${nodes}\u0000${this.index.count}\u0000${filterText.trim()}`;
    if (this.flow?.key !== key) this.flow = { key, graph: buildFlowGraph(this.index, this.facts.tracker, await this.selection(filterText), nodes) };
    return this.flow.graph;
  }

  async flowGraphPage(filterText: string, nodes: FlowNodes, start: number, count: number, frameIndex?: number, withNames = false): Promise<FlowGraphPage> {
    return flowGraphPage(await this.flowGraph(filterText, nodes), start, count, frameIndex, withNames);
  }

  /** The whole flow graph written to `path` in `format`, as `handshake flow -o` writes it. */
  async saveFlowGraph(filterText: string, nodes: FlowNodes, format: FlowFormat, path: string, overwrite: boolean): Promise<{ path: string; rows: number; bytes: number }> {
    if (!this.live) await this.whenIndexed();
    return saveFlowGraph(await this.flowGraph(filterText, nodes), this.facts.tracker, format, path, overwrite);
  }

  /** The last tables computed, per kind and filter, while the indexed frames stay the same. */
  private conversationsCache = new Map<string, { frames: number; result: ConversationTables }>();
  /** A table being warmed in slices, which a request for it waits for rather than counting again. */
  private conversationsWarming = new Map<string, Promise<ConversationTables | null>>();
  /** Tables a request is waiting for: their warm-up stops yielding. */
  private conversationsWanted = new Set<string>();

  private async warmConversations(kind: ConversationKind): Promise<void> {
    const key = `${kind}\n`;
    const frames = this.index.count;
    const warming = conversationsInSlices(this.index, kind, CONNECTIONS_SLICE_MS, () => !this.closed, () => this.conversationsWanted.has(key));
    this.conversationsWarming.set(key, warming);
    const result = await warming;
    this.conversationsWarming.delete(key);
    if (result && !this.conversationsCache.has(key)) this.conversationsCache.set(key, { frames, result });
  }

  async conversations(kind: ConversationKind, filterText: string): Promise<ConversationTables> {
    const key = `${kind}\n${filterText.trim()}`;
    const frames = this.index.count;
    const warming = this.conversationsWarming.get(key);
    if (warming) this.conversationsWanted.add(key);
    const warmed = await warming;
    this.conversationsWanted.delete(key);
    const cached = this.conversationsCache.get(key);
    if (cached && cached.frames === frames && this.complete) return cached.result;
    if (warmed && this.complete && frames === this.index.count) return warmed;
    const result = conversations(this.index, kind, await this.selection(filterText));
    if (this.conversationsCache.size > 16) this.conversationsCache.clear();
    this.conversationsCache.set(key, { frames, result });
    return result;
  }

  /** Scans a filter over every indexed frame and returns its view. */
  private async scannedView(filterText: string, displayed = false): Promise<FilterView> {
    const view = this.filterView(filterText, displayed);
    while (view.scanned < this.index.count) await this.scan(view, FILTER_SLICE_MS);
    return view;
  }

  async findFrame(findText: string, displayText: string, from: number, backward: boolean): Promise<{ index: number; wrapped: boolean }> {
    const found = await this.scannedView(findText);
    const displayed = displayText.trim() === '' ? null : await this.scannedView(displayText, true);
    const matches = found.matches;
    const shown = (i: number) => displayed === null || displayed.matches.positionOf(i) >= 0;
    // First match after `from` (or last before it), by binary search, then onwards until one is displayed.
    let low = 0;
    let high = matches.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (backward ? matches.at(middle) < from : matches.at(middle) <= from) low = middle + 1;
      else high = middle;
    }
    const n = matches.length;
    for (let step = 0; step < n; step++) {
      const p = backward ? (low - 1 - step + 2 * n) % n : (low + step) % n;
      const i = matches.at(p);
      if (shown(i)) return { index: i, wrapped: backward ? i >= from : i <= from };
    }
    return { index: -1, wrapped: false };
  }

  /** `field == value` for the field's (first) value in frame `i`, as Wireshark's Apply as Filter builds it. */
  async fieldFilter(i: number, field: string): Promise<string> {
    const value = this.facts.fieldValue(i, await this.frameBytes(i), field);
    const first = Array.isArray(value) ? value[0] : value;
    if (first === undefined || first === null) return field;
    if (typeof first === 'boolean') return `${field} == ${first ? 1 : 0}`;
    if (typeof first === 'number') return `${field} == ${first}`;
    const text = String(first);
    return /^[0-9A-Za-z.:_/-]+$/.test(text) ? `${field} == ${text}` : `${field} == "${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  }

  setMarked(indices: readonly number[], marked: boolean): number {
    for (const i of indices) {
      this.checkIndex(i);
      if (marked) this.index.marks[i] |= ROW_MARK.MARKED;
      else this.index.marks[i] &= ~ROW_MARK.MARKED;
    }
    let count = 0;
    for (let i = 0; i < this.index.count; i++) if (this.index.marks[i] & ROW_MARK.MARKED) count++;
    return count;
  }

  /** Save / Export Specified Packets: streams the capture into `path`, keeping each frame's comments (pcapng). */
  async exportPackets(params: Omit<ExportPacketsParams, 'sessionId'>): Promise<{ path: string; frames: number }> {
    const target = params.path;
    if (!this.live) await this.whenIndexed();
    let select: ((i: number) => boolean) | undefined;
    if (params.range === 'displayed' && params.filter.trim() !== '') {
      const selection = await this.selection(params.filter, true);
      const wanted = new Uint8Array(this.index.count);
      if (!selection.all) for (let p = 0; p < selection.length; p++) wanted[selection.frames[p]] = 1;
      select = (i) => wanted[i] === 1;
    } else if (params.range === 'selected') {
      const wanted = new Set(params.indices);
      select = (i) => wanted.has(i);
    } else if (params.range === 'marked') {
      const marks = this.index.marks;
      const count = this.index.count;
      select = (i) => i < count && (marks[i] & ROW_MARK.MARKED) !== 0;
    }
    try {
      const result = await convertCaptureFile(this.filePath, target, params.format, { select, comments: this.commentOverride(), target: { overwrite: params.overwrite }, keepSecrets: this.keepsSecrets() });
      return { path: target, frames: result.framesWritten };
    } catch (error) {
      if (error instanceof ApiError) throw error;
      throw new ApiError('failed', `save as ${target}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** A live spool may hold secrets the index has not read yet; a file's were seen while indexing. */
  private keepsSecrets(): boolean {
    return this.live || this.sawSecrets;
  }

  async saveAs(target: string, format: CaptureFormat, overwrite = false): Promise<{ path: string; frames: number }> {
    if (!this.live) await this.whenIndexed();
    try {
      const result = await convertCaptureFile(this.filePath, target, format, { comments: this.commentOverride(), target: { overwrite }, keepSecrets: this.keepsSecrets() });
      return { path: target, frames: result.framesWritten };
    } catch (error) {
      if (error instanceof ApiError) throw error;
      throw new ApiError('failed', `save as ${target}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/**
 * The inflated size a gzip file announces in its trailer (ISIZE, RFC 1952: the size modulo
 * 2^32, of the last member): an estimate for progress, never below the compressed size.
 */
async function gzipInflatedSize(file: string, compressedSize: number): Promise<number> {
  if (compressedSize < 18) return compressedSize;
  const trailer = Buffer.alloc(4);
  const handle = await fsp.open(file, 'r');
  try {
    await handle.read(trailer, 0, 4, compressedSize - 4);
  } finally {
    await handle.close();
  }
  return Math.max(trailer.readUInt32LE(0), compressedSize);
}
