import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { FlowFormat, FlowNodes, FlowRow } from '../../../shared/api';
import { useApi } from '../api/instance';
import { downloadText } from '../lib/download';
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

  const EXTENSIONS: Record<FlowFormat, [string, string]> = {
    svg: ['svg', 'image/svg+xml'],
    plantuml: ['puml', 'text/plain'],
    mermaid: ['mmd', 'text/plain'],
    text: ['txt', 'text/plain'],
  };

  async function exportAs(format: FlowFormat): Promise<void> {
    const sessionId = useSessionStore().sessionId;
    if (!sessionId) return;
    try {
      const result = await useApi().exportFlowGraph({ sessionId, filter: filter(), nodes: nodes.value, format });
      const [extension, type] = EXTENSIONS[format];
      downloadText(`flow-graph.${extension}`, result.text, type);
      useUiStore().say(result.truncated ? `Exported the first ${result.rows} rows (handshake flow FILE writes them all)` : `Exported ${result.rows} rows as ${format}`, result.truncated);
    } catch (error) {
      useUiStore().fail(error);
    }
  }

  return { displayedOnly, nodes, names, total, connections, loading, pages, reload, want, row, exportAs };
});
