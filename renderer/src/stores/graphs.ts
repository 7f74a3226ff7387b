import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { StreamGraph } from '../../../shared/api';
import type { GraphKind } from '../../../shared/graphs';
import { useApi } from '../api/instance';
import { useSessionStore } from './session';
import { useUiStore } from './ui';

/** The stream graph view: which connection, which direction's data, which graph. */
export const useGraphsStore = defineStore('graphs', () => {
  const graph = shallowRef<StreamGraph | null>(null);
  const stream = ref<number | null>(null);
  const direction = ref<'client' | 'server'>('client');
  const kind = ref<GraphKind>('tcptrace');
  const rttAxis = ref<'seq' | 'time'>('seq');
  /** null: the engine's choice (a twentieth of the connection's span, 1 ms to 1 s). */
  const maWindow = ref<number | null>(null);
  const loading = ref(false);
  /** Milliseconds the last request took (the engine's computation and the transfer). */
  const fetchMs = ref(0);

  async function load(target: number | null = stream.value): Promise<void> {
    const sessionId = useSessionStore().sessionId;
    stream.value = target;
    if (target === null || !sessionId) {
      graph.value = null;
      return;
    }
    loading.value = true;
    const started = performance.now();
    try {
      const result = await useApi().getStreamGraph({ sessionId, stream: target, direction: direction.value, ...(maWindow.value ? { maWindow: maWindow.value } : {}) });
      fetchMs.value = performance.now() - started;
      if (stream.value === target) graph.value = result;
    } catch (error) {
      useUiStore().fail(error);
    } finally {
      loading.value = false;
    }
  }

  /** The direction whose data is drawn; the other side's ACKs, windows and SACKs come with it. */
  async function switchDirection(): Promise<void> {
    direction.value = direction.value === 'client' ? 'server' : 'client';
    await load();
  }

  return { graph, stream, direction, kind, rttAxis, maWindow, loading, fetchMs, load, switchDirection };
});
