import { defineStore } from 'pinia';
import { ref, shallowRef, triggerRef } from 'vue';
import { ROW_MARK, type PacketRow, type RowSort } from '../../../shared/api';
import { useColumnsStore } from './columns';
import { useDetailStore } from './detail';
import { useApi } from '../api/instance';
import { useSessionStore } from './session';
import { useUiStore } from './ui';

/** Rows are fetched in pages; only pages near the visible range are ever requested. */
export const PAGE_SIZE = 100;
const MAX_CACHED_ROWS = 6000;
/** New frames refresh the visible rows at once, then at most this often while they keep coming. */
const REFRESH_MS = 60;

/** The packet list: applied display filter, the row cache for the visible window, the selection. */
export const usePacketsStore = defineStore('packets', () => {
  const filter = ref('');
  const total = ref(0);
  const frames = ref(0);
  const complete = ref(true);
  /** position among filtered rows → row */
  const rows = shallowRef(new Map<number, PacketRow>());
  const selectedIndex = ref<number | null>(null);
  const selectedPosition = ref<number | null>(null);
  /** Frames marked by the user (Ctrl+M), as the engine counts them. */
  const markedCount = ref(0);
  /** The capture points (interface names) of the session; more than one shows the Point column. */
  const points = ref<string[]>([]);
  /** The range the list currently shows, so refreshes fetch just that. */
  const visible = ref({ first: 0, count: 50 });
  /** The column the list is sorted by (click a header), or null for capture order. */
  const sort = ref<RowSort | null>(null);
  /** Frames that are time references (Ctrl+T), as the engine counts them. */
  const referenceCount = ref(0);
  let generation = 0;
  const inFlight = new Set<string>();
  let refreshTimer: ReturnType<typeof setTimeout> | null = null;

  function reset(): void {
    generation++;
    rows.value = new Map();
    inFlight.clear();
    total.value = 0;
    points.value = [];
  }

  async function fetchPage(page: number): Promise<void> {
    const session = useSessionStore();
    const sessionId = session.sessionId;
    if (!sessionId) return;
    const key = `${generation}:${page}`;
    if (inFlight.has(key)) return;
    inFlight.add(key);
    const myGeneration = generation;
    try {
      const columns = useColumnsStore().customFields;
      const result = await useApi().getRows({
        sessionId,
        start: page * PAGE_SIZE,
        count: PAGE_SIZE,
        filter: filter.value,
        ...(columns.length > 0 ? { columns: [...columns] } : {}),
        ...(sort.value ? { sort: { ...sort.value } } : {}),
      });
      if (myGeneration !== generation) return;
      total.value = result.total;
      frames.value = result.frames;
      complete.value = result.complete;
      if (result.points && result.points.length !== points.value.length) points.value = result.points.map((name, id) => name || `interface ${id}`);
      const map = rows.value.size > MAX_CACHED_ROWS ? new Map<number, PacketRow>() : rows.value;
      result.rows.forEach((row, i) => map.set(result.start + i, row));
      rows.value = map;
      triggerRef(rows);
    } catch (error) {
      if (myGeneration === generation) useUiStore().fail(error);
    } finally {
      inFlight.delete(key);
    }
  }

  /** Makes sure rows [first, first+count) are loaded or being loaded. */
  async function ensureRange(first: number, count: number): Promise<void> {
    visible.value = { first, count };
    const pages: number[] = [];
    const last = Math.max(first, first + count - 1);
    for (let page = Math.floor(first / PAGE_SIZE); page <= Math.floor(last / PAGE_SIZE); page++) {
      if (!rows.value.has(page * PAGE_SIZE) || !rows.value.has(Math.min(page * PAGE_SIZE + PAGE_SIZE - 1, Math.max(0, total.value - 1)))) {
        pages.push(page);
      }
    }
    await Promise.all(pages.map(fetchPage));
  }

  let refreshPending = false;

  function refreshVisible(): void {
    const { first, count } = visible.value;
    const pageFirst = Math.floor(first / PAGE_SIZE);
    const pageLast = Math.floor((first + count) / PAGE_SIZE);
    for (let page = pageFirst; page <= pageLast; page++) void fetchPage(page);
  }

  /** Re-asks for the visible window (new frames indexed, filter scan progressed): at once, then throttled. */
  function scheduleRefresh(): void {
    if (refreshTimer) {
      refreshPending = true;
      return;
    }
    refreshVisible();
    const cool = () => {
      refreshTimer = null;
      if (!refreshPending) return;
      refreshPending = false;
      refreshVisible();
      refreshTimer = setTimeout(cool, REFRESH_MS);
    };
    refreshTimer = setTimeout(cool, REFRESH_MS);
  }

  async function load(): Promise<void> {
    reset();
    markedCount.value = 0;
    referenceCount.value = 0;
    selectedIndex.value = null;
    selectedPosition.value = null;
    await fetchPage(0);
  }

  async function applyFilter(text: string): Promise<void> {
    filter.value = text.trim();
    const keep = selectedIndex.value;
    reset();
    await fetchPage(0);
    const sessionId = useSessionStore().sessionId;
    if (keep !== null && sessionId) {
      const { position } = await useApi().findRow({ sessionId, filter: filter.value, index: keep, ...sortParam() });
      selectedPosition.value = position >= 0 ? position : null;
      if (position < 0) selectedIndex.value = null;
    }
  }

  function sortParam(): { sort?: RowSort } {
    return sort.value ? { sort: { ...sort.value } } : {};
  }

  /**
   * Fetches the rows again (new columns, a new order, changed times or comments), keeping the
   * selected frame selected at its new position.
   */
  async function reload(): Promise<void> {
    const keep = selectedIndex.value;
    reset();
    await fetchPage(Math.floor(visible.value.first / PAGE_SIZE));
    await fetchPage(0);
    const sessionId = useSessionStore().sessionId;
    if (keep !== null && sessionId) {
      try {
        const { position } = await useApi().findRow({ sessionId, filter: filter.value, index: keep, ...sortParam() });
        selectedPosition.value = position >= 0 ? position : null;
      } catch (error) {
        useUiStore().fail(error);
      }
    }
  }

  /** A header click: ascending, then descending, then back to capture order (as Wireshark cycles). */
  async function sortBy(column: string): Promise<void> {
    const current = sort.value;
    if (!current || current.column !== column) sort.value = { column, descending: false };
    else if (!current.descending) sort.value = { column, descending: true };
    else sort.value = null;
    await reload();
  }

  /** Ctrl+T: sets or clears the time reference on the selected frame (Ctrl+Alt+T clears all). */
  async function toggleTimeReference(all = false): Promise<void> {
    const sessionId = useSessionStore().sessionId;
    const index = selectedIndex.value;
    const position = selectedPosition.value;
    if (!sessionId || (index === null && !all)) return;
    const row = position === null ? undefined : rows.value.get(position);
    const on = !(row && row.marks & ROW_MARK.TIME_REF);
    try {
      referenceCount.value = (await useApi().setTimeReference({ sessionId, index: all ? null : index, on: all ? false : on })).references;
      await reload();
    } catch (error) {
      useUiStore().fail(error);
    }
  }

  /** Replaces the selected (or given) frame's packet comments; none deletes them. */
  async function setComments(index: number, comments: string[]): Promise<boolean> {
    const sessionId = useSessionStore().sessionId;
    if (!sessionId) return false;
    try {
      await useApi().setComments({ sessionId, index, comments });
      commentsChanged.value++;
      if (selectedIndex.value === index) void useDetailStore().load(index);
      await reload();
      return true;
    } catch (error) {
      useUiStore().fail(error);
      return false;
    }
  }
  /** Bumped when comments change, so the detail tree reloads. */
  const commentsChanged = ref(0);

  /** Selects the row at a list position, loading it first when needed. */
  async function selectPosition(position: number): Promise<void> {
    if (total.value === 0) return;
    const clamped = Math.max(0, Math.min(total.value - 1, position));
    if (!rows.value.has(clamped)) await fetchPage(Math.floor(clamped / PAGE_SIZE));
    const row = rows.value.get(clamped);
    if (!row) return;
    selectedPosition.value = clamped;
    selectedIndex.value = row.index;
  }

  /** Selects a frame by its capture index (ladder click, connection row). */
  async function selectFrame(index: number): Promise<void> {
    const sessionId = useSessionStore().sessionId;
    if (!sessionId) return;
    selectedIndex.value = index;
    const { position } = await useApi().findRow({ sessionId, filter: filter.value, index, ...sortParam() });
    selectedPosition.value = position >= 0 ? position : null;
  }

  /** A filter put in the display-filter box without applying it ("Prepare as Filter"). */
  const prepared = ref<{ text: string; serial: number } | null>(null);
  function prepareFilter(text: string): void {
    prepared.value = { text, serial: (prepared.value?.serial ?? 0) + 1 };
  }

  /** Edit › Mark/Unmark Packet: toggles the mark on the selected frame. */
  async function toggleMark(): Promise<void> {
    const sessionId = useSessionStore().sessionId;
    const index = selectedIndex.value;
    const position = selectedPosition.value;
    if (!sessionId || index === null) return;
    const row = position === null ? undefined : rows.value.get(position);
    const marked = !(row && row.marks & ROW_MARK.MARKED);
    try {
      markedCount.value = (await useApi().setMarked({ sessionId, indices: [index], marked })).marked;
      if (row && position !== null) {
        rows.value.set(position, { ...row, marks: marked ? row.marks | ROW_MARK.MARKED : row.marks & ~ROW_MARK.MARKED });
        triggerRef(rows);
      }
    } catch (error) {
      useUiStore().fail(error);
    }
  }

  return {
    sort,
    sortBy,
    reload,
    referenceCount,
    toggleTimeReference,
    setComments,
    commentsChanged,
    points,
    prepared,
    prepareFilter,
    markedCount,
    toggleMark,
    filter,
    total,
    frames,
    complete,
    rows,
    selectedIndex,
    selectedPosition,
    visible,
    load,
    ensureRange,
    scheduleRefresh,
    applyFilter,
    selectPosition,
    selectFrame,
  };
});
