import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { ApiEvent, InterfaceInfo } from '../../../shared/api';
import { useApi } from '../api/instance';
import { useSessionStore } from './session';
import { useUiStore } from './ui';

export type BpfState = { state: 'empty' } | { state: 'checking' } | { state: 'ok' } | { state: 'error'; message: string };

export interface LiveStats {
  frames: number;
  bytes: number;
  framesPerSecond: number;
  connectionsByState: Record<string, number>;
  gaps: number;
}

const BPF_DEBOUNCE_MS = 250;

/** Live capture: interfaces, the BPF filter checked as you type (libpcap's verdict), start/stop, counters. */
export const useCaptureStore = defineStore('capture', () => {
  const interfaces = shallowRef<InterfaceInfo[]>([]);
  const interfacesError = ref<string | null>(null);
  const selected = ref<string>('');
  const bpf = ref('');
  const bpfCheck = ref<BpfState>({ state: 'empty' });
  const running = ref<string | null>(null);
  const stats = ref<LiveStats | null>(null);
  const starting = ref(false);
  let checkTimer: ReturnType<typeof setTimeout> | null = null;
  let checkSeq = 0;

  const selectedInterface = computed(() => interfaces.value.find((i) => i.name === selected.value) ?? null);

  async function loadInterfaces(): Promise<void> {
    try {
      interfaces.value = (await useApi().listInterfaces(null)).interfaces;
      interfacesError.value = null;
      if (!selected.value || !interfaces.value.some((i) => i.name === selected.value)) {
        selected.value = interfaces.value.find((i) => !i.loopback && i.addresses.length > 0)?.name ?? interfaces.value[0]?.name ?? '';
      }
    } catch (error) {
      interfacesError.value = error instanceof Error ? error.message : String(error);
    }
  }

  /** Called on every keystroke; asks libpcap (through the helper) once typing pauses. */
  function setBpf(text: string): void {
    bpf.value = text;
    if (checkTimer) clearTimeout(checkTimer);
    if (text.trim() === '') {
      bpfCheck.value = { state: 'empty' };
      return;
    }
    bpfCheck.value = { state: 'checking' };
    const mine = ++checkSeq;
    checkTimer = setTimeout(async () => {
      try {
        const result = await useApi().validateBpf({ filter: text, linkType: selectedInterface.value?.linkType ?? 1 });
        if (mine !== checkSeq) return;
        bpfCheck.value = result.ok ? { state: 'ok' } : { state: 'error', message: result.message ?? 'invalid filter' };
      } catch (error) {
        if (mine === checkSeq) bpfCheck.value = { state: 'error', message: error instanceof Error ? error.message : String(error) };
      }
    }, BPF_DEBOUNCE_MS);
  }

  async function start(): Promise<void> {
    const ui = useUiStore();
    if (!selected.value) return ui.say('choose an interface first', true);
    if (bpfCheck.value.state === 'error') return ui.say(`the capture filter is invalid: ${bpfCheck.value.message}`, true);
    starting.value = true;
    try {
      const session = await useApi().startCapture({ interface: selected.value, bpf: bpf.value.trim() });
      running.value = session.sessionId;
      stats.value = { frames: 0, bytes: 0, framesPerSecond: 0, connectionsByState: {}, gaps: 0 };
      useSessionStore().adopt(session);
      ui.say(`capturing on ${selected.value}${bpf.value.trim() ? ` (${bpf.value.trim()})` : ''}`);
    } catch (error) {
      ui.fail(error);
    } finally {
      starting.value = false;
    }
  }

  async function stop(): Promise<void> {
    if (!running.value) return;
    try {
      await useApi().stopCapture({ sessionId: running.value });
    } catch (error) {
      useUiStore().fail(error);
    }
  }

  function handleEvent(event: ApiEvent): void {
    if (event.type === 'stats' && event.sessionId === running.value) {
      stats.value = {
        frames: event.frames,
        bytes: event.bytes,
        framesPerSecond: event.framesPerSecond,
        connectionsByState: event.connectionsByState,
        gaps: event.gaps,
      };
    } else if (event.type === 'capture-stopped' && event.sessionId === running.value) {
      running.value = null;
      useUiStore().say(event.reason === 'stopped' ? 'capture stopped' : `capture ended: ${event.reason}`, event.reason !== 'stopped');
    } else if (event.type === 'capture-error' && event.sessionId === running.value) {
      useUiStore().say(event.message, true);
    }
  }

  return { interfaces, interfacesError, selected, selectedInterface, bpf, bpfCheck, running, stats, starting, loadInterfaces, setBpf, start, stop, handleEvent };
});
