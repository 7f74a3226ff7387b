import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { StreamGraph } from '../../../shared/api';
import type { GraphKind } from '../../../shared/graphs';
import { useApi } from '../api/instance';
import { useSessionStore } from './session';
import { useUiStore } from './ui';

/** The stream graph view: which connection, which direction's data, which graph. */
export const useGraphsStore = defineStore('graphs', () => {
  /** The graph drawn: first its overview (graph.overview set), then every row. */
  const graph = shallowRef<StreamGraph | null>(null);
  const stream = ref<number | null>(null);
  const direction = ref<'client' | 'server'>('client');
  const kind = ref<GraphKind>('tcptrace');
  const rttAxis = ref<'seq' | 'time'>('seq');
  /** null: the engine's choice (a twentieth of the connection's span, 1 ms to 1 s). */
  const maWindow = ref<number | null>(null);
  /** The plot's size in device pixels, set by the view: an overview is cut for it. */
  const plotSize = ref<{ width: number; height: number } | null>(null);
  const loading = ref(false);
  /** Milliseconds from the request to the overview's arrival, and to the full rows' (engine and transfer). */
  const overviewMs = ref(0);
  const fetchMs = ref(0);
  let latest = 0;
  /** performance.now() of the last request and of its overview's (or whole graph's) arrival, and the engine's ms for it. */
  const timing = { requested: 0, arrived: 0, engineMs: 0 };

  async function load(target: number | null = stream.value): Promise<void> {
    const sessionId = useSessionStore().sessionId;
    stream.value = target;
    const request = ++latest;
    if (target === null || !sessionId) {
      graph.value = null;
      return;
    }
    loading.value = true;
    const started = performance.now();
    const params = { sessionId, stream: target, direction: direction.value, ...(maWindow.value ? { maWindow: maWindow.value } : {}) };
    try {
      // A 100,000-segment connection's rows are ~10 MB: the first paint comes from the rows this
      // graph needs at this size (kilobytes), and every row follows for zooming and exact clicks.
      const size = plotSize.value;
      if (size) {
        timing.requested = performance.now();
        const overview = await useApi().getStreamGraph({ ...params, overview: { kind: kind.value, rttAxis: rttAxis.value, ...size } });
        if (request !== latest) return;
        timing.arrived = performance.now();
        timing.engineMs = overview.overview?.engineMs ?? 0;
        overviewMs.value = performance.now() - started;
        graph.value = overview;
        // A small graph comes whole at once.
        if (!overview.overview) {
          fetchMs.value = overviewMs.value;
          return;
        }
        // Let the overview be drawn before the full rows' transfer competes with it.
        await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
        if (request !== latest) return;
      }
      const result = await useApi().getStreamGraph(params);
      if (request !== latest) return;
      fetchMs.value = performance.now() - started;
      graph.value = result;
    } catch (error) {
      if (request === latest) useUiStore().fail(error);
    } finally {
      if (request === latest) loading.value = false;
    }
  }

  /** The direction whose data is drawn; the other side's ACKs, windows and SACKs come with it. */
  async function switchDirection(): Promise<void> {
    direction.value = direction.value === 'client' ? 'server' : 'client';
    await load();
  }

  return { graph, stream, direction, kind, rttAxis, maWindow, plotSize, loading, overviewMs, fetchMs, timing, load, switchDirection };
});
