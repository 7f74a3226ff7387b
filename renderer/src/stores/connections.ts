import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { AlertInfo, ConnectionRow, QuicAttemptRow } from '../../../shared/api';
import { useApi } from '../api/instance';
import { useSessionStore } from './session';
import { useUiStore } from './ui';

export type ConnectionSortKey = keyof Pick<
  ConnectionRow,
  'stream' | 'client' | 'server' | 'communityId' | 'clientState' | 'serverState' | 'connState' | 'history' | 'initialRtt' | 'sni' | 'frames' | 'bytes' | 'start'
>;

/** The connections of the open capture: sortable, filterable, with SYN-flood alerts, and its QUIC connection attempts. */
export const useConnectionsStore = defineStore('connections', () => {
  const all = shallowRef<ConnectionRow[]>([]);
  const alerts = shallowRef<AlertInfo[]>([]);
  const quic = shallowRef<QuicAttemptRow[]>([]);
  const selectedQuic = ref<number | null>(null);
  const sortKey = ref<ConnectionSortKey>('stream');
  const descending = ref(false);
  const filter = ref('');
  const selectedStream = ref<number | null>(null);
  const loading = ref(false);
  let loadedFor: string | null = null;
  let loadedFrames = -1;

  const rows = computed(() => {
    const needle = filter.value.trim().toLowerCase();
    const list = needle
      ? all.value.filter((c) =>
          [c.client, c.server, c.clientState, c.serverState, c.connState, c.history, c.sni ?? '', String(c.stream)].some((text) =>
            text.toLowerCase().includes(needle),
          ),
        )
      : all.value.slice();
    const key = sortKey.value;
    const sign = descending.value ? -1 : 1;
    list.sort((a, b) => {
      const x = a[key];
      const y = b[key];
      if (x === y) return a.stream - b.stream;
      if (x === null) return 1;
      if (y === null) return -1;
      return (x < y ? -1 : 1) * sign;
    });
    return list;
  });

  /** QUIC attempts passing the same filter text, in order of first appearance. */
  const quicRows = computed(() => {
    const needle = filter.value.trim().toLowerCase();
    if (!needle) return quic.value;
    return quic.value.filter((q) => [q.client, q.server, q.version, q.dcid, q.sni ?? '', ...q.alpn, 'quic'].some((text) => text.toLowerCase().includes(needle)));
  });

  const selected = computed(() => all.value.find((c) => c.stream === selectedStream.value) ?? null);
  /** The span the connections cover (seconds since the capture's first frame). */
  const timeRange = computed(() => {
    if (all.value.length === 0) return { from: 0, to: 0 };
    let from = Infinity;
    let to = 0;
    for (const c of all.value) {
      from = Math.min(from, c.start);
      to = Math.max(to, c.end);
    }
    return { from, to };
  });

  function sortBy(key: ConnectionSortKey): void {
    if (sortKey.value === key) descending.value = !descending.value;
    else {
      sortKey.value = key;
      descending.value = false;
    }
  }

  /** Loads (or refreshes, when the capture grew) the list. */
  async function load(force = false): Promise<void> {
    const session = useSessionStore();
    const sessionId = session.sessionId;
    if (!sessionId) {
      all.value = [];
      alerts.value = [];
      quic.value = [];
      return;
    }
    const frames = session.current?.frames ?? 0;
    if (!force && loadedFor === sessionId && loadedFrames === frames) return;
    if (loadedFor !== sessionId) {
      // Another capture: never show the previous one's connections while loading.
      all.value = [];
      alerts.value = [];
      quic.value = [];
      selectedStream.value = null;
      selectedQuic.value = null;
    }
    loading.value = true;
    try {
      const api = useApi();
      const [result, attempts] = await Promise.all([api.getConnections({ sessionId }), api.getQuicAttempts({ sessionId })]);
      all.value = result.connections;
      alerts.value = result.alerts;
      quic.value = attempts.attempts;
      loadedFor = sessionId;
      loadedFrames = frames;
    } catch (error) {
      useUiStore().fail(error);
    } finally {
      loading.value = false;
    }
  }

  return { all, alerts, rows, quic, quicRows, selectedQuic, sortKey, descending, filter, selectedStream, selected, timeRange, loading, sortBy, load };
});
