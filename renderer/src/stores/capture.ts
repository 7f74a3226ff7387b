import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { ApiEvent, CapturePointParams, InterfaceInfo, RemoteHostParams } from '../../../shared/api';
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

/** A remote host remembered between sessions, with how to capture there. */
export interface RemoteHost extends RemoteHostParams {
  /** Its interfaces as last listed (names only; listed again on connect). */
  interfaces: string[];
}

const RECENT_HOSTS_KEY = 'handshake-remote-hosts';
const MAX_RECENT_HOSTS = 8;
/** A capture point's text, as `capture -i` takes it: a local interface, or ssh://HOST/IFACE. */
const REMOTE_PREFIX = 'ssh://';

export function remotePoint(host: string, iface: string): string {
  return `${REMOTE_PREFIX}${host}/${iface}`;
}

/** Splits a point's text; interface names never contain '/'. */
export function parsePoint(text: string): { host: string | null; iface: string } {
  if (!text.startsWith(REMOTE_PREFIX)) return { host: null, iface: text };
  const rest = text.slice(REMOTE_PREFIX.length);
  const slash = rest.lastIndexOf('/');
  return { host: rest.slice(0, slash), iface: rest.slice(slash + 1) };
}

function loadRecentHosts(): RemoteHost[] {
  try {
    const stored = typeof localStorage === 'undefined' ? null : localStorage.getItem(RECENT_HOSTS_KEY);
    const parsed: unknown = stored ? JSON.parse(stored) : [];
    if (!Array.isArray(parsed)) return [];
    return parsed
      .filter((entry): entry is RemoteHost => typeof entry?.host === 'string' && typeof entry.sudo === 'boolean' && (entry.tool === 'tcpdump' || entry.tool === 'dumpcap'))
      .map((entry) => ({ host: entry.host, sudo: entry.sudo, tool: entry.tool, interfaces: Array.isArray(entry.interfaces) ? entry.interfaces.filter((name) => typeof name === 'string') : [] }))
      .slice(0, MAX_RECENT_HOSTS);
  } catch {
    return []; // a damaged entry is forgotten, not fatal
  }
}

/** Live capture: interfaces, the BPF filter checked as you type (libpcap's verdict), start/stop, counters. */
export const useCaptureStore = defineStore('capture', () => {
  const interfaces = shallowRef<InterfaceInfo[]>([]);
  const interfacesError = ref<string | null>(null);
  const selected = ref<string>('');
  const bpf = ref('');
  /** An NSS key log on the engine's machine to follow while capturing (empty: none). */
  const tlsKeylog = ref('');
  const bpfCheck = ref<BpfState>({ state: 'empty' });
  const running = ref<string | null>(null);
  const stats = ref<LiveStats | null>(null);
  const starting = ref(false);
  /** Remote hosts used before, most recent first (kept in localStorage). */
  const remoteHosts = ref<RemoteHost[]>(loadRecentHosts());
  /** Points added beside the selected one: the session records all of them. */
  const extraPoints = ref<string[]>([]);
  const connecting = ref(false);
  let checkTimer: ReturnType<typeof setTimeout> | null = null;
  let checkSeq = 0;

  const selectedInterface = computed(() => interfaces.value.find((i) => i.name === selected.value) ?? null);

  function rememberHosts(): void {
    if (typeof localStorage !== 'undefined') localStorage.setItem(RECENT_HOSTS_KEY, JSON.stringify(remoteHosts.value));
  }

  /** Lists a remote host's interfaces over SSH, remembers the host, and selects its first interface. */
  async function connectRemote(remote: RemoteHostParams): Promise<boolean> {
    const ui = useUiStore();
    const host = remote.host.trim();
    if (!host) {
      ui.say('enter a host: [user@]host[:port]', true);
      return false;
    }
    connecting.value = true;
    try {
      const listed = (await useApi().listRemoteInterfaces({ ...remote, host })).interfaces;
      const entry: RemoteHost = { host, sudo: remote.sudo, tool: remote.tool, interfaces: listed.map((i) => i.name) };
      remoteHosts.value = [entry, ...remoteHosts.value.filter((known) => known.host !== host)].slice(0, MAX_RECENT_HOSTS);
      rememberHosts();
      const first = listed.find((i) => !i.loopback && i.addresses.length > 0) ?? listed[0];
      if (first) selected.value = remotePoint(host, first.name);
      ui.say(`${host}: ${listed.length} interface${listed.length === 1 ? '' : 's'}`);
      return true;
    } catch (error) {
      ui.fail(error);
      return false;
    } finally {
      connecting.value = false;
    }
  }

  function forgetRemote(host: string): void {
    remoteHosts.value = remoteHosts.value.filter((known) => known.host !== host);
    rememberHosts();
    if (parsePoint(selected.value).host === host) selected.value = interfaces.value[0]?.name ?? '';
    extraPoints.value = extraPoints.value.filter((point) => parsePoint(point).host !== host);
  }

  /** The API's form of a point's text. */
  function pointParams(text: string): CapturePointParams {
    const { host, iface } = parsePoint(text);
    if (host === null) return { interface: iface };
    const known = remoteHosts.value.find((entry) => entry.host === host);
    return { interface: iface, remote: { host, sudo: known?.sudo ?? false, tool: known?.tool ?? 'tcpdump' } };
  }

  function addPoint(): void {
    const text = selected.value;
    if (!text || extraPoints.value.includes(text)) return;
    extraPoints.value = [...extraPoints.value, text];
  }

  function removePoint(text: string): void {
    extraPoints.value = extraPoints.value.filter((point) => point !== text);
  }

  const selectedIsRemote = computed(() => parsePoint(selected.value).host !== null);

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
      const others = extraPoints.value.filter((point) => point !== selected.value);
      const keylog = tlsKeylog.value.trim();
      const session = await useApi().startCapture({
        ...pointParams(selected.value),
        bpf: bpf.value.trim(),
        ...(others.length > 0 ? { alsoFrom: others.map(pointParams) } : {}),
        ...(keylog ? { tlsKeylog: keylog } : {}),
      });
      running.value = session.sessionId;
      stats.value = { frames: 0, bytes: 0, framesPerSecond: 0, connectionsByState: {}, gaps: 0 };
      useSessionStore().adopt(session);
      ui.say(`capturing on ${[selected.value, ...others].join(' + ')}${bpf.value.trim() ? ` (${bpf.value.trim()})` : ''}${keylog ? `, following the key log ${keylog}` : ''}`);
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
    } else if ((event.type === 'capture-error' || event.type === 'capture-note') && event.sessionId === running.value) {
      useUiStore().say(event.message, event.type === 'capture-error');
    }
  }

  return {
    interfaces,
    interfacesError,
    selected,
    selectedInterface,
    selectedIsRemote,
    bpf,
    tlsKeylog,
    bpfCheck,
    running,
    stats,
    starting,
    remoteHosts,
    extraPoints,
    connecting,
    loadInterfaces,
    setBpf,
    start,
    stop,
    handleEvent,
    connectRemote,
    forgetRemote,
    addPoint,
    removePoint,
  };
});
