import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import { BUILTIN_COLUMNS, customColumnError, isBuiltinColumn, MAX_CUSTOM_COLUMNS, type BuiltinColumn } from '../../../shared/columns';

/** One packet-list column: a built-in one (id = its name) or a custom field column (id = "field:NAME"). */
export interface ColumnDef {
  id: string;
  title: string;
  /** The display-filter field of a custom column; null for a built-in one. */
  field: string | null;
  width: number;
  visible: boolean;
}

export const STORAGE_KEY = 'handshake.columns.v1';
export const MIN_WIDTH = 36;
const MAX_WIDTH = 2000;

const BUILTIN: Record<BuiltinColumn, { title: string; width: number; visible: boolean }> = {
  number: { title: 'No.', width: 64, visible: true },
  // Shown only while a session has several capture points (PacketList).
  point: { title: 'Point', width: 120, visible: true },
  time: { title: 'Time', width: 92, visible: true },
  source: { title: 'Source', width: 170, visible: true },
  destination: { title: 'Destination', width: 170, visible: true },
  protocol: { title: 'Protocol', width: 72, visible: true },
  length: { title: 'Length', width: 64, visible: true },
  // Shown only while tunnelled frames are on screen (PacketList).
  encapsulation: { title: 'Encapsulation', width: 260, visible: true },
  info: { title: 'Info', width: 420, visible: true },
  comment: { title: 'Comment', width: 160, visible: false },
};

export function defaultColumns(): ColumnDef[] {
  return BUILTIN_COLUMNS.map((id) => ({ id, field: null, ...BUILTIN[id] }));
}

/** A stored layout, checked entry by entry: anything unknown or malformed falls back to the defaults. */
export function parseLayout(text: string | null): ColumnDef[] {
  if (!text) return defaultColumns();
  let stored: unknown;
  try {
    stored = JSON.parse(text);
  } catch {
    return defaultColumns();
  }
  if (!Array.isArray(stored)) return defaultColumns();
  const out: ColumnDef[] = [];
  const seen = new Set<string>();
  for (const entry of stored) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { id, width, visible, field } = entry as Record<string, unknown>;
    if (typeof id !== 'string' || seen.has(id)) continue;
    const w = typeof width === 'number' && Number.isFinite(width) ? Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, Math.round(width))) : null;
    const shown = typeof visible === 'boolean' ? visible : true;
    if (isBuiltinColumn(id)) {
      out.push({ id, field: null, title: BUILTIN[id].title, width: w ?? BUILTIN[id].width, visible: shown });
    } else if (typeof field === 'string' && id === `field:${field}` && customColumnError(field) === null) {
      out.push({ id, field, title: field, width: w ?? 140, visible: shown });
    } else continue;
    seen.add(id);
  }
  // Built-in columns missing from an older layout are added hidden at the end.
  if (!out.some((column) => column.visible)) return defaultColumns();
  for (const id of BUILTIN_COLUMNS) {
    if (seen.has(id)) continue;
    // A column added since the layout was stored: Encapsulation goes before Info as it comes by default; others hidden at the end.
    const info = out.findIndex((c) => c.id === 'info');
    if (id === 'encapsulation' && info >= 0) out.splice(info, 0, { id, field: null, ...BUILTIN[id] });
    else if (id === 'point') out.splice(Math.max(0, out.findIndex((c) => c.id === 'number') + 1), 0, { id, field: null, ...BUILTIN[id] });
    else out.push({ id, field: null, ...BUILTIN[id], visible: false });
  }
  return out;
}

/** The packet list's columns: order, widths, visibility and custom fields, kept in localStorage in both hosts. */
export const useColumnsStore = defineStore('columns', () => {
  const columns = ref<ColumnDef[]>(parseLayout(typeof localStorage !== 'undefined' ? localStorage.getItem(STORAGE_KEY) : null));

  watch(
    columns,
    (value) => {
      if (typeof localStorage === 'undefined') return;
      localStorage.setItem(STORAGE_KEY, JSON.stringify(value.map(({ id, field, width, visible }) => ({ id, field, width, visible }))));
    },
    { deep: true },
  );

  const visible = computed(() => columns.value.filter((column) => column.visible));
  /** The custom fields the engine must fill for each row, in display order. */
  const customFields = computed(() => visible.value.filter((column) => column.field !== null).map((column) => column.field as string));

  function setWidth(id: string, width: number): void {
    const column = columns.value.find((c) => c.id === id);
    if (column) column.width = Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, Math.round(width)));
  }

  function setVisible(id: string, shown: boolean): void {
    const column = columns.value.find((c) => c.id === id);
    if (!column) return;
    // The list keeps at least one column.
    if (!shown && visible.value.length <= 1) return;
    column.visible = shown;
  }

  /** Moves column `id` to where `before` is (or to the end for null). */
  function move(id: string, before: string | null): void {
    if (id === before) return;
    const list = columns.value.slice();
    const from = list.findIndex((c) => c.id === id);
    if (from < 0) return;
    const [column] = list.splice(from, 1);
    const to = before === null ? list.length : list.findIndex((c) => c.id === before);
    list.splice(to < 0 ? list.length : to, 0, column);
    columns.value = list;
  }

  /** Adds a custom column for a display-filter field; returns why not, or null. */
  function addField(name: string): string | null {
    const field = name.trim();
    const error = customColumnError(field);
    if (error) return error;
    const id = `field:${field}`;
    const existing = columns.value.find((c) => c.id === id);
    if (existing) {
      existing.visible = true;
      return null;
    }
    if (columns.value.filter((c) => c.field !== null).length >= MAX_CUSTOM_COLUMNS) return `at most ${MAX_CUSTOM_COLUMNS} custom columns`;
    // Inserted before Info, as Wireshark's "Apply as Column" does.
    const list = columns.value.slice();
    const info = list.findIndex((c) => c.id === 'info');
    list.splice(info < 0 ? list.length : info, 0, { id, field, title: field, width: 140, visible: true });
    columns.value = list;
    return null;
  }

  function remove(id: string): void {
    if (isBuiltinColumn(id)) return;
    columns.value = columns.value.filter((c) => c.id !== id);
  }

  function reset(): void {
    columns.value = defaultColumns();
  }

  return { columns, visible, customFields, setWidth, setVisible, move, addField, remove, reset };
});
