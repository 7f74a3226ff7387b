import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { Ladder } from '../../../shared/api';
import { useApi } from '../api/instance';
import { useSessionStore } from './session';
import { useUiStore } from './ui';

/** Arrows fetched per ladder; longer connections say so and can be opened in the list. */
export const LADDER_LIMIT = 5000;

/** The ladder of one connection, and whether its data phase is folded away. */
export const useLadderStore = defineStore('ladder', () => {
  const ladder = shallowRef<Ladder | null>(null);
  const stream = ref<number | null>(null);
  const dataCollapsed = ref(true);
  const loading = ref(false);

  async function load(target: number | null): Promise<void> {
    const sessionId = useSessionStore().sessionId;
    stream.value = target;
    if (target === null || !sessionId) {
      ladder.value = null;
      return;
    }
    loading.value = true;
    try {
      const result = await useApi().getLadder({ sessionId, stream: target, limit: LADDER_LIMIT });
      if (stream.value === target) ladder.value = result;
    } catch (error) {
      useUiStore().fail(error);
    } finally {
      loading.value = false;
    }
  }

  return { ladder, stream, dataCollapsed, loading, load };
});
