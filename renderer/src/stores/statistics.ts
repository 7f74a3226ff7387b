import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { ConversationKind, ConversationRow, EndpointRow, ExpertGroup } from '../../../shared/api';
import { conversationRows, endpointRows } from '../../../shared/conversations';
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
  const conversations = shallowRef<ConversationRow[]>([]);
  const endpoints = shallowRef<EndpointRow[]>([]);
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
      conversations.value = conversationRows(result.conversations);
      endpoints.value = endpointRows(result.endpoints);
      lastMs.value = performance.now() - started;
    } catch (error) {
      useUiStore().fail(error);
    } finally {
      conversationsLoading.value = false;
    }
  }

  return { limitToFilter, expert, expertLoading, kind, conversations, endpoints, conversationsLoading, lastMs, loadExpert, loadConversations };
});
