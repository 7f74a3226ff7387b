import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ApiEvent, RecordPageLoadResult } from '../../../shared/api';
import { useApi } from '../api/instance';
import { useUiStore } from './ui';

/**
 * Record page load…: the engine runs what `handshake browse` runs (a browser with a fresh profile
 * and a key log, a capture through the helper), this store shows its progress, and at the end the
 * recorded pcapng (secrets embedded) is open and the Page load view shows its timeline.
 */
export const useRecordStore = defineStore('record', () => {
  const open = ref(false);
  const url = ref('https://');
  /** Empty: find an installed browser. */
  const browser = ref('');
  /** Empty: the interface the route to the URL's host uses. */
  const iface = ref('');
  const headless = ref(false);
  /** More browser arguments, one per line. */
  const browserArgs = ref('');
  const running = ref<RecordPageLoadResult | null>(null);
  const starting = ref(false);
  const stopping = ref(false);
  const frames = ref(0);
  const loaded = ref(false);
  const messages = ref<string[]>([]);
  const error = ref<string | null>(null);
  const notes = ref<string[]>([]);

  function show(): void {
    error.value = null;
    open.value = true;
  }

  async function start(): Promise<void> {
    if (running.value || starting.value) return;
    error.value = null;
    notes.value = [];
    messages.value = [];
    frames.value = 0;
    loaded.value = false;
    starting.value = true;
    try {
      running.value = await useApi().recordPageLoad({
        url: url.value.trim(),
        browser: browser.value.trim() || null,
        interface: iface.value.trim() || null,
        headless: headless.value,
        browserArgs: browserArgs.value.split('\n').map((line) => line.trim()).filter(Boolean),
      });
      stopping.value = false;
    } catch (failure) {
      error.value = failure instanceof Error ? failure.message : String(failure);
    } finally {
      starting.value = false;
    }
  }

  async function stop(): Promise<void> {
    if (!running.value) return;
    stopping.value = true;
    try {
      await useApi().stopPageLoad({ recordingId: running.value.recordingId });
    } catch (failure) {
      error.value = failure instanceof Error ? failure.message : String(failure);
    }
  }

  function handleEvent(event: ApiEvent): void {
    if (event.type !== 'pageload-progress' && event.type !== 'pageload-end') return;
    if (!running.value || event.recordingId !== running.value.recordingId) return;
    if (event.type === 'pageload-progress') {
      if (event.message) messages.value = [...messages.value.slice(-20), event.message];
      else {
        frames.value = event.frames;
        loaded.value = event.loaded;
      }
      return;
    }
    running.value = null;
    stopping.value = false;
    if (!event.ok) {
      error.value = event.error ?? 'the recording failed';
      return;
    }
    frames.value = event.frames;
    notes.value = event.notes;
    open.value = false;
    const ui = useUiStore();
    // The engine opened the file (session-opened): show its timeline.
    ui.view = 'pageload';
    ui.say(`recorded ${event.frames} frames with their TLS secrets${event.notes.length ? ` (${event.notes.join('; ')})` : ''}`);
  }

  return { open, url, browser, iface, headless, browserArgs, running, starting, stopping, frames, loaded, messages, error, notes, show, start, stop, handleEvent };
});
