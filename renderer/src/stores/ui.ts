import { defineStore } from 'pinia';
import { ref, watch } from 'vue';
import type { MenuCommand } from '../../../shared/api';

export type View = 'packets' | 'connections' | 'ladder' | 'editor' | 'expert' | 'conversations' | 'sequence' | 'graphs' | 'endpoint' | 'points' | 'pageload' | 'flow';
export type Theme = 'light' | 'dark';

/** Cross-cutting UI state: the active view, the theme, notices and crash banners. */
export const useUiStore = defineStore('ui', () => {
  const view = ref<View>('packets');
  const stored = typeof localStorage !== 'undefined' ? localStorage.getItem('handshake-theme') : null;
  const prefersDark = typeof matchMedia !== 'undefined' && matchMedia('(prefers-color-scheme: dark)').matches;
  const theme = ref<Theme>(stored === 'dark' || stored === 'light' ? stored : prefersDark ? 'dark' : 'light');
  /** A one-line message for the status bar (last error or confirmation). */
  const notice = ref<{ text: string; error: boolean } | null>(null);
  /** Set when the engine or a helper died; the banner offers a restart. */
  const crash = ref<{ process: 'engine' | 'helper'; message: string } | null>(null);
  const disconnected = ref<string | null>(null);
  /** The last application-menu command, for views that act on it (capture start/stop, export). */
  const menu = ref<MenuCommand | null>(null);

  watch(
    theme,
    (value) => {
      if (typeof document !== 'undefined') document.documentElement.dataset.theme = value;
      if (typeof localStorage !== 'undefined') localStorage.setItem('handshake-theme', value);
    },
    { immediate: true },
  );

  function toggleTheme(): void {
    theme.value = theme.value === 'dark' ? 'light' : 'dark';
  }

  function say(text: string, error = false): void {
    notice.value = { text, error };
  }

  function fail(error: unknown): void {
    say(error instanceof Error ? error.message : String(error), true);
  }

  return { view, theme, notice, crash, disconnected, menu, toggleTheme, say, fail };
});
