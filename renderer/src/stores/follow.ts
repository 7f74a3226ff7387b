import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { ApiError, type FollowKind } from '../../../shared/api';
import { fromHex } from '../../../shared/wire/bytes';
import type { FollowChunk, FollowFormat } from '../../../shared/follow/follow';
import { useApi } from '../api/instance';
import { useDetailStore } from './detail';
import { usePacketsStore } from './packets';
import { useSessionStore } from './session';
import { useUiStore } from './ui';

export type { FollowFormat };
export type FollowDirection = 'both' | 'client' | 'server';
/** A turn's bytes as the dialog holds them (the engine's chunk, decoded from hex). */
export type HeldChunk = FollowChunk;

/** Bytes fetched per request, and at most held in the dialog; Save as… writes the whole stream from the engine. */
const PAGE_BYTES = 1024 * 1024;
export const FOLLOW_DISPLAY_LIMIT = 16 * 1024 * 1024;

export const FOLLOW_TITLES: Record<FollowKind, string> = { tcp: 'TCP', tls: 'TLS', http2: 'HTTP/2', udp: 'UDP', quic: 'QUIC', http3: 'HTTP/3' };

/**
 * Follow Stream (Analyze › Follow): one conversation's bytes as turns, from the engine's
 * shared/follow. While the dialog is open the packet list shows only the stream; Back restores
 * the filter it had. During a capture the dialog asks for new chunks as frames arrive.
 */
export const useFollowStore = defineStore('follow', () => {
  const open = ref(false);
  const kind = ref<FollowKind>('tcp');
  const stream = ref(0);
  const http2Stream = ref<number | null>(null);
  /** QUIC stream id (QUIC, HTTP/3); the UDP/QUIC target a frame gives until the engine has resolved it. */
  const quicStream = ref<number | null>(null);
  const atFrame = ref<number | null>(null);
  /** UDP, QUIC, HTTP/3: the display filter the engine gives for the stream (the endpoints; these have no stream-number field). */
  const engineFilter = ref('');
  const format = ref<FollowFormat>('ascii');
  const direction = ref<FollowDirection>('both');
  const client = ref('');
  const server = ref('');
  const chunks = ref<HeldChunk[]>([]);
  const totalChunks = ref(0);
  const clientBytes = ref(0);
  const serverBytes = ref(0);
  const truncated = ref(false);
  const live = ref(false);
  const note = ref<string | null>(null);
  const error = ref<string | null>(null);
  const heldBytes = ref(0);
  const savePath = ref('');
  const confirmReplace = ref<string | null>(null);
  let generation = -1;
  let previousFilter: string | null = null;
  let loading: Promise<void> | null = null;
  let again = false;

  const overUdp = (which: FollowKind) => which === 'udp' || which === 'quic' || which === 'http3';
  const streamFilter = computed(() => {
    if (overUdp(kind.value)) return engineFilter.value;
    return kind.value === 'http2' ? `tcp.stream == ${stream.value} && http2.streamid == ${http2Stream.value ?? 0}` : `tcp.stream == ${stream.value}`;
  });
  /** The dialog holds fewer chunks than the engine has (the display limit). */
  const capped = computed(() => chunks.value.length < totalChunks.value && heldBytes.value >= FOLLOW_DISPLAY_LIMIT);

  function clear(): void {
    chunks.value = [];
    totalChunks.value = 0;
    clientBytes.value = 0;
    serverBytes.value = 0;
    heldBytes.value = 0;
    truncated.value = false;
    note.value = null;
    error.value = null;
    generation = -1;
  }

  /**
   * Opens the dialog on a stream (the packet list's selected frame's, usually). UDP, QUIC and
   * HTTP/3 take the frame (`frame`, an index) or a stream number, and a QUIC stream id.
   */
  async function show(which: FollowKind, tcpStream: number, h2Stream: number | null = null, target: { frame?: number; quicStream?: number | null } = {}): Promise<void> {
    const ui = useUiStore();
    if (!useSessionStore().sessionId) return ui.say('nothing to follow: no capture is open', true);
    const byFrame = overUdp(which) && target.frame !== undefined;
    if (tcpStream < 0 && !byFrame) return ui.say(`Follow ${FOLLOW_TITLES[which]} Stream: the selected frame is not part of a TCP connection`, true);
    kind.value = which;
    stream.value = Math.max(0, tcpStream);
    http2Stream.value = which === 'http2' ? (h2Stream ?? 1) : null;
    quicStream.value = which === 'quic' || which === 'http3' ? (target.quicStream ?? null) : null;
    atFrame.value = byFrame ? target.frame! : null;
    engineFilter.value = '';
    direction.value = 'both';
    confirmReplace.value = null;
    clear();
    const packets = usePacketsStore();
    if (!open.value) previousFilter = packets.filter;
    open.value = true;
    savePath.value = `stream-${tcpStream}${which === 'http2' ? `-${http2Stream.value}` : ''}.txt`;
    // UDP and QUIC: the filter comes with the engine's first answer.
    if (!overUdp(which)) void packets.applyFilter(streamFilter.value);
    await refresh();
  }

  /** Opens it on the frame at `index`: its TCP stream, and for HTTP/2 the frame's first HTTP/2 stream id. */
  async function showForFrame(which: FollowKind, index: number, tcpStream: number): Promise<void> {
    let h2: number | null = null;
    const sessionId = useSessionStore().sessionId;
    if (overUdp(which)) return show(which, -1, null, { frame: index });
    if (which === 'http2' && sessionId && tcpStream >= 0) {
      try {
        const { filter } = await useApi().fieldFilter({ sessionId, index, field: 'http2.streamid' });
        const id = Number(/(\d+)\s*$/.exec(filter)?.[1] ?? NaN);
        // Stream 0 carries the connection's own frames (SETTINGS, PING): follow the first request instead.
        if (Number.isInteger(id) && id > 0) h2 = id;
      } catch {
        // The frame carries no HTTP/2 frame: stream 1, the first request.
      }
    }
    await show(which, tcpStream, h2);
  }

  /** Analyze › Follow (menu, shortcut): the selected frame's stream (its detail may still be on the way). */
  async function followSelected(which: FollowKind): Promise<void> {
    const index = usePacketsStore().selectedIndex;
    const sessionId = useSessionStore().sessionId;
    if (index === null || !sessionId) {
      useUiStore().say(`Follow ${FOLLOW_TITLES[which]} Stream: select a frame of the connection first`, true);
      return;
    }
    const detail = useDetailStore().detail;
    const stream = detail?.index === index ? detail.stream : (await useApi().getFrame({ sessionId, index })).stream;
    await showForFrame(which, index, stream);
  }

  /** Fetches chunks not held yet (all of them after a rebuild), up to the display limit. */
  function refresh(): Promise<void> {
    if (loading) {
      again = true;
      return loading;
    }
    loading = fetchNew().finally(() => {
      loading = null;
      if (again && open.value) {
        again = false;
        void refresh();
      }
    });
    return loading;
  }

  async function fetchNew(): Promise<void> {
    const sessionId = useSessionStore().sessionId;
    if (!sessionId || !open.value) return;
    const target = { sessionId, kind: kind.value, stream: stream.value, http2Stream: http2Stream.value, quicStream: quicStream.value, atFrame: atFrame.value };
    try {
      for (;;) {
        const page = await useApi().getFollow({ ...target, from: chunks.value.length, maxBytes: PAGE_BYTES });
        // The dialog moved on to another stream meanwhile.
        if (!open.value || target.stream !== stream.value || target.kind !== kind.value || target.http2Stream !== http2Stream.value || target.quicStream !== quicStream.value || target.atFrame !== atFrame.value) return;
        if (page.filter !== undefined && page.stream !== undefined) {
          // The engine resolved the frame's stream: follow it by number from now on, and show only its frames.
          const resolved = atFrame.value !== null || engineFilter.value !== page.filter;
          stream.value = target.stream = page.stream;
          quicStream.value = target.quicStream = page.quicStream ?? null;
          atFrame.value = target.atFrame = null;
          if (resolved) {
            engineFilter.value = page.filter;
            savePath.value = `stream-${page.stream}${quicStream.value !== null ? `-${quicStream.value}` : ''}.txt`;
            void usePacketsStore().applyFilter(page.filter);
          }
        }
        if (page.generation !== generation) {
          if (generation !== -1 && page.start !== 0) {
            generation = -1;
            chunks.value = [];
            heldBytes.value = 0;
            continue;
          }
          generation = page.generation;
        }
        client.value = page.client;
        server.value = page.server;
        totalChunks.value = page.totalChunks;
        clientBytes.value = page.clientBytes;
        serverBytes.value = page.serverBytes;
        truncated.value = page.truncated;
        live.value = page.live;
        note.value = page.note;
        error.value = null;
        const added: HeldChunk[] = page.chunks.map((c) => ({ fromClient: c.fromClient, frame: c.frame, time: c.time, bytes: fromHex(c.hex) }));
        for (const chunk of added) heldBytes.value += chunk.bytes.length;
        if (added.length > 0) chunks.value = [...chunks.value, ...added];
        if (added.length === 0 || chunks.value.length >= page.totalChunks || heldBytes.value >= FOLLOW_DISPLAY_LIMIT) return;
      }
    } catch (failure) {
      error.value = failure instanceof Error ? failure.message : String(failure);
    }
  }

  function close(restoreFilter: boolean): void {
    open.value = false;
    confirmReplace.value = null;
    if (restoreFilter && previousFilter !== null) void usePacketsStore().applyFilter(previousFilter);
    previousFilter = null;
  }

  /** Filter Out This Stream: the packet list hides it, and the dialog closes. */
  function filterOut(): void {
    if (!streamFilter.value) return close(false);
    const text = `!(${streamFilter.value})`;
    const before = previousFilter;
    close(false);
    void usePacketsStore().applyFilter(before ? `(${before}) && ${text}` : text);
  }

  /** Save as…: the engine writes the whole stream (the shown direction, in the shown format; raw writes the bytes). */
  async function save(overwrite = false, chosenPath: string | null = null): Promise<void> {
    const ui = useUiStore();
    const sessionId = useSessionStore().sessionId;
    const target = (chosenPath ?? savePath.value).trim();
    if (!sessionId || !target) return ui.say('type the path of the file to write on the host', true);
    try {
      const result = await useApi().saveFollow({
        sessionId,
        kind: kind.value,
        stream: stream.value,
        http2Stream: http2Stream.value,
        quicStream: quicStream.value,
        path: target,
        format: format.value,
        direction: direction.value,
        overwrite,
      });
      confirmReplace.value = null;
      ui.say(`saved ${result.bytes} bytes of the stream to ${result.path}`);
    } catch (failure) {
      if (failure instanceof ApiError && failure.code === 'exists') confirmReplace.value = target;
      else ui.fail(failure);
    }
  }

  /** Electron: the native save dialog picks the file (and has asked about replacing it). */
  async function chooseAndSave(): Promise<void> {
    const choice = await useApi().chooseSavePath({ title: 'Save stream as', defaultName: savePath.value });
    if (!choice.path) return;
    savePath.value = choice.path;
    await save(true, choice.path);
  }

  return {
    open,
    kind,
    stream,
    http2Stream,
    quicStream,
    format,
    direction,
    client,
    server,
    chunks,
    totalChunks,
    clientBytes,
    serverBytes,
    truncated,
    live,
    note,
    error,
    heldBytes,
    savePath,
    confirmReplace,
    capped,
    streamFilter,
    show,
    showForFrame,
    followSelected,
    refresh,
    close,
    filterOut,
    save,
    chooseAndSave,
  };
});
