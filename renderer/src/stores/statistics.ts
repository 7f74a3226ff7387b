import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { ConversationKind, ExpertGroup } from '../../../shared/api';
import type { ConversationColumns, EndpointColumns } from '../../../shared/conversations';
import { useApi } from '../api/instance';
import { usePacketsStore } from './packets';
import { useSessionStore } from './session';
import { useUiStore } from './ui';

/** Statistics views computed by the engine: Expert Information, Conversations and Endpoints. */
export const useStatisticsStore = defineStore('statistics', () => {
  /** Limit the statistics to the frames the packet list's display filter passes. */
  const limitToFilter = ref(false);
  const expert = shallowRef<ExpertGroup[]>([]);
  const expertLoading = ref(false);
  const kind = ref<ConversationKind>('tcp');
  // Kept as the engine's columns: a row object each (50,000 of them on a big capture) cost the
  // renderer hundreds of milliseconds and as much again in garbage collection; the table builds
  // rows only for what is on screen.
  const conversations = shallowRef<ConversationColumns>(emptyConversations());
  const endpoints = shallowRef<EndpointColumns>(emptyEndpoints());
  const conversationsLoading = ref(false);
  /** How long the last request took in the engine round trip (ms), shown beside the table. */
  const lastMs = ref(0);

  function filter(): string {
    return limitToFilter.value ? usePacketsStore().filter : '';
  }

  async function loadExpert(): Promise<void> {
    const sessionId = useSessionStore().sessionId;
    if (!sessionId) return;
    expertLoading.value = true;
    const started = performance.now();
    try {
      expert.value = (await useApi().getExpertInfo({ sessionId, filter: filter() })).groups;
      lastMs.value = performance.now() - started;
    } catch (error) {
      useUiStore().fail(error);
    } finally {
      expertLoading.value = false;
    }
  }

  async function loadConversations(): Promise<void> {
    const sessionId = useSessionStore().sessionId;
    if (!sessionId) return;
    conversationsLoading.value = true;
    const started = performance.now();
    try {
      const result = await useApi().getConversations({ sessionId, kind: kind.value, filter: filter() });
      conversations.value = result.conversations;
      endpoints.value = result.endpoints;
      lastMs.value = performance.now() - started;
    } catch (error) {
      useUiStore().fail(error);
    } finally {
      conversationsLoading.value = false;
    }
  }

  return { limitToFilter, expert, expertLoading, kind, conversations, endpoints, conversationsLoading, lastMs, loadExpert, loadConversations };
});

function emptyConversations(): ConversationColumns {
  const none = () => new Float64Array(0);
  return { names: [], addressA: none(), portA: none(), addressB: none(), portB: none(), framesAB: none(), bytesAB: none(), framesBA: none(), bytesBA: none(), start: none(), duration: none() };
}
function emptyEndpoints(): EndpointColumns {
  const none = () => new Float64Array(0);
  return { names: [], address: none(), port: none(), txFrames: none(), txBytes: none(), rxFrames: none(), rxBytes: none() };
}
