import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { ApiEvent, HostInfo, SessionInfo } from '../../../shared/api';
import { useApi } from '../api/instance';
import { useUiStore } from './ui';

export interface Progress {
  frames: number;
  bytesRead: number;
  totalBytes: number;
  done: boolean;
  error: string | null;
}

/** The open capture (file or live) and its indexing progress. */
export const useSessionStore = defineStore('session', () => {
  const host = ref<HostInfo | null>(null);
  const current = ref<SessionInfo | null>(null);
  const progress = ref<Progress | null>(null);
  const opening = ref(false);
  const recent = ref<string[]>([]);
  /** The path of the last file opened here, to reopen after an engine restart. */
  const lastPath = ref<string | null>(null);

  const sessionId = computed(() => current.value?.sessionId ?? null);
  /** A file still being indexed (a live capture is never "indexing": it grows until stopped). */
  const indexing = computed(() => current.value?.kind === 'file' && progress.value !== null && !progress.value.done);
  const fraction = computed(() => {
    const p = progress.value;
    if (!p || p.totalBytes === 0) return p?.done ? 1 : 0;
    return Math.min(1, p.bytesRead / p.totalBytes);
  });

  function adopt(session: SessionInfo): void {
    current.value = session;
    progress.value = {
      frames: session.frames,
      bytesRead: 0,
      totalBytes: 0,
      done: session.complete,
      error: session.damage ?? null,
    };
  }

  async function hello(): Promise<void> {
    host.value = await useApi().hello(null);
    const last = host.value.sessions[host.value.sessions.length - 1];
    if (last) adopt(last);
    recent.value = (await useApi().recentFiles(null)).paths;
  }

  async function openFile(path: string): Promise<void> {
    const ui = useUiStore();
    opening.value = true;
    try {
      const previous = current.value;
      const session = await useApi().openFile({ path });
      lastPath.value = path;
      adopt(session);
      if (previous && previous.sessionId !== session.sessionId) {
        await useApi().closeSession({ sessionId: previous.sessionId }).catch(() => undefined);
      }
      // A damaged file that was read whole before this answer: its damage is told here, as the CLI tells it.
      ui.say(session.damage ? `opened ${session.name}; ${session.damage}` : `opened ${session.name}`, Boolean(session.damage));
      recent.value = (await useApi().recentFiles(null)).paths;
    } catch (error) {
      ui.fail(error);
    } finally {
      opening.value = false;
    }
  }

  /** File › Open…: the native dialog where there is one. */
  async function openWithDialog(): Promise<boolean> {
    if (!host.value?.nativeDialogs) return false;
    const choice = await useApi().chooseOpenPath({ title: 'Open capture' });
    if (choice.path) await openFile(choice.path);
    return true;
  }

  async function cancel(): Promise<void> {
    if (sessionId.value) await useApi().cancelOpen({ sessionId: sessionId.value });
  }

  function handleEvent(event: ApiEvent): void {
    if (event.type === 'session-opened') {
      if (!current.value || current.value.sessionId !== event.session.sessionId) adopt(event.session);
    } else if (event.type === 'progress' && event.sessionId === sessionId.value) {
      progress.value = {
        frames: event.frames,
        bytesRead: event.bytesRead,
        totalBytes: event.totalBytes,
        done: event.done,
        error: event.error,
      };
      if (current.value) current.value = { ...current.value, frames: event.frames, complete: event.done };
      if (event.done && event.error) useUiStore().say(event.error, true);
    } else if (event.type === 'rows' && event.sessionId === sessionId.value && current.value) {
      current.value = { ...current.value, frames: event.frames };
    }
  }

  return { host, current, progress, opening, recent, lastPath, sessionId, indexing, fraction, hello, openFile, openWithDialog, cancel, handleEvent, adopt };
});
