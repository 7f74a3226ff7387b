import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import { ApiError, type FlowFormat, type FlowNodes, type FlowRow } from '../../../shared/api';
import { useApi } from '../api/instance';
import { usePacketsStore } from './packets';
import { useSessionStore } from './session';
import { useUiStore } from './ui';

/** Rows fetched per request: the view asks for the pages its window touches. */
export const FLOW_PAGE = 200;

/**
 * The Flow Graph view's data: the engine holds the graph (shared/flowgraph); this store keeps
 * the column names, the row count and the pages of rows fetched so far.
 */
export const useFlowStore = defineStore('flow', () => {
  /** All frames, or only those the packet list's display filter passes. */
  const displayedOnly = ref(false);
  const nodes = ref<FlowNodes>('addresses');
  const names = shallowRef<string[]>([]);
  const total = ref(0);
  const connections = ref(0);
  const loading = ref(false);
  const pages = shallowRef(new Map<number, FlowRow[]>());
  /** Bumped by every reload, so late answers for an older graph are dropped. */
  let generation = 0;
  const pending = new Set<number>();

  function filter(): string {
    return displayedOnly.value ? usePacketsStore().filter : '';
  }

  /** Fetches the first page (and the graph's size); with `frameIndex`, that frame's row. Returns it or -1. */
  async function reload(frameIndex?: number): Promise<number> {
    const sessionId = useSessionStore().sessionId;
    generation++;
    pending.clear();
    pages.value = new Map();
    if (!sessionId) {
      names.value = [];
      total.value = 0;
      return -1;
    }
    const mine = generation;
    loading.value = true;
    try {
      const page = await useApi().getFlowGraph({ sessionId, filter: filter(), nodes: nodes.value, start: 0, count: FLOW_PAGE, withNames: true, ...(frameIndex === undefined ? {} : { frameIndex }) });
      if (mine !== generation) return -1;
      names.value = page.nodes;
      total.value = page.total;
      connections.value = page.connections;
      pages.value = new Map([[0, page.rows]]);
      return page.position;
    } catch (error) {
      useUiStore().fail(error);
      return -1;
    } finally {
      if (mine === generation) loading.value = false;
    }
  }

  /** Makes sure the pages holding rows [first, last] are (being) fetched. */
  function want(first: number, last: number): void {
    const sessionId = useSessionStore().sessionId;
    if (!sessionId) return;
    for (let p = Math.floor(first / FLOW_PAGE); p <= Math.floor(last / FLOW_PAGE); p++) {
      if (p * FLOW_PAGE >= total.value || pages.value.has(p) || pending.has(p)) continue;
      pending.add(p);
      const mine = generation;
      useApi()
        .getFlowGraph({ sessionId, filter: filter(), nodes: nodes.value, start: p * FLOW_PAGE, count: FLOW_PAGE })
        .then((page) => {
          if (mine !== generation) return;
          pending.delete(p);
          const next = new Map(pages.value);
          // Keep memory bounded while scrolling through millions of rows.
          if (next.size > 64) next.clear();
          next.set(p, page.rows);
          pages.value = next;
        })
        .catch((error: unknown) => {
          pending.delete(p);
          useUiStore().fail(error);
        });
    }
  }

  function row(i: number): FlowRow | null {
    return pages.value.get(Math.floor(i / FLOW_PAGE))?.[i % FLOW_PAGE] ?? null;
  }

  const EXTENSIONS: Record<FlowFormat, string> = { svg: 'svg', plantuml: 'puml', mermaid: 'mmd', text: 'txt' };
  /** The file on the host an export writes (the browser host types it; Electron's save dialog fills it). */
  const savePath = ref('flow-graph.svg');
  /** Set when the target exists: the view asks before replacing it. */
  const confirmReplace = ref<{ path: string; format: FlowFormat } | null>(null);
  const saving = ref(false);

  /** `path` with the format's extension (a known export extension is replaced). */
  function withExtension(path: string, format: FlowFormat): string {
    const stem = path.trim().replace(/\.(svg|puml|mmd|txt)$/i, '');
    return `${stem || 'flow-graph'}.${EXTENSIONS[format]}`;
  }

  /** Writes the whole graph (all rows, any number) to the file on the host, streamed by the engine. */
  async function saveAs(format: FlowFormat, overwrite = false, chosenPath: string | null = null): Promise<void> {
    const ui = useUiStore();
    const sessionId = useSessionStore().sessionId;
    if (!sessionId) return;
    const target = chosenPath ?? withExtension(savePath.value, format);
    savePath.value = target;
    confirmReplace.value = null;
    saving.value = true;
    try {
      const result = await useApi().saveFlowGraph({ sessionId, filter: filter(), nodes: nodes.value, format, path: target, overwrite });
      ui.say(`saved ${result.rows} rows as ${format} to ${result.path}`);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'exists') confirmReplace.value = { path: target, format };
      else ui.fail(error);
    } finally {
      saving.value = false;
    }
  }

  /** Electron: the native save dialog picks the file (and has asked about replacing it). */
  async function chooseAndSave(format: FlowFormat): Promise<void> {
    const choice = await useApi().chooseSavePath({ title: `Export flow graph as ${format}`, defaultName: withExtension(savePath.value, format) });
    if (!choice.path) return;
    await saveAs(format, true, choice.path);
  }

  return { displayedOnly, nodes, names, total, connections, loading, pages, reload, want, row, savePath, confirmReplace, saving, saveAs, chooseAndSave };
});
