/**
 * The user-space TCP endpoint from the UI (the API's openEndpoint & co., the engine behind
 * `handshake connect` / `listen`): connect or listen, send text as typed, close, and in step
 * mode see the next segment, change its numbers, flags or window, and send it.
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ApiEvent, EndpointSegmentView, OpenEndpointResult } from '../../../shared/api';
import { useApi } from '../api/instance';
import { useCaptureStore } from './capture';
import { useConnectionsStore } from './connections';
import { withLineBreaks, type LineBreak } from './editor';
import { useLadderStore } from './ladder';
import { useUiStore } from './ui';

/** Lines kept in the panel's log (the whole conversation is in its session). */
const LOG_LIMIT = 500;

export const useEndpointStore = defineStore('endpoint', () => {
  const mode = ref<'connect' | 'listen'>('connect');
  const local = ref('198.18.0.11');
  const localPort = ref('');
  const remote = ref('');
  const remotePort = ref('');
  const retransmit = ref(false);
  /** The sender's choices with retransmission on (the CLI's --congestion, --initial-window, --ssthresh, --no-sack-recovery, --no-idle-restart); text as typed, blank for the default. */
  const congestion = ref<'newreno' | 'none'>('newreno');
  const initialWindow = ref('');
  const ssthresh = ref('');
  const sackRecovery = ref(true);
  const idleRestart = ref(true);
  const keepalive = ref('');
  const step = ref(false);
  /** A text box hands over bare LF whatever was typed or pasted: what each line break becomes on the wire (HTTP wants CRLF). */
  const lineBreak = ref<LineBreak>('crlf');
  const opened = ref<OpenEndpointResult | null>(null);
  const state = ref('CLOSED');
  const status = ref<'idle' | 'opening' | 'open' | 'ended'>('idle');
  const log = ref<string[]>([]);
  const received = ref('');
  const proposal = ref<EndpointSegmentView | null>(null);
  /** Listening: how many peers to serve (text as typed). */
  const connections = ref('1');
  /** A listener of several: the conversations it accepted, and the one the buttons act on. */
  const accepted = ref<Array<{ id: string; peer: string; state: string; ended: boolean }>>([]);
  const selected = ref<string | null>(null);
  /** The sender's congestion state (retransmission on), from endpoint-sender events. */
  const sender = ref<{ cwnd: number | null; ssthresh: number | null; pipe: number; flight: number; recovery: 'none' | 'fast' | 'sack' | 'timeout'; dsacks: number; dsackBytes: number } | null>(null);

  /** The conversation the buttons act on: the endpoint itself, or the accepted one chosen. */
  function targetId(): string | null {
    if (!opened.value) return null;
    return accepted.value.length > 0 || serving() > 1 ? selected.value : opened.value.endpointId;
  }

  function serving(): number {
    return mode.value === 'listen' ? Math.max(1, Number(connections.value) || 1) : 1;
  }

  // Our lane's state can change with no new frame (TIME_WAIT ending, a timeout): Connections and the ladder follow it.
  let laneRefresh: ReturnType<typeof setTimeout> | null = null;
  function refreshLanes(): void {
    if (laneRefresh) return;
    laneRefresh = setTimeout(() => {
      laneRefresh = null;
      const ui = useUiStore();
      const ladder = useLadderStore();
      if (ui.view === 'connections') void useConnectionsStore().load(true);
      if (ui.view === 'ladder' && ladder.stream !== null) void ladder.load(ladder.stream);
    }, 300);
  }

  function note(line: string): void {
    log.value = [...log.value.slice(-(LOG_LIMIT - 1)), line];
  }

  async function open(): Promise<void> {
    const ui = useUiStore();
    const port = (text: string) => (text.trim() ? Number(text) : null);
    if (mode.value === 'connect' && (!remote.value.trim() || !port(remotePort.value))) return ui.say('give the peer\'s address and port', true);
    if (mode.value === 'listen' && !port(localPort.value)) return ui.say('listening needs our port', true);
    if (mode.value === 'listen' && (!Number.isInteger(Number(connections.value)) || Number(connections.value) < 1 || Number(connections.value) > 64)) return ui.say('connections: 1 to 64', true);
    const whole = (text: string, max: number) => (text.trim() === '' ? null : /^\d+$/.test(text.trim()) && Number(text) >= 1 && Number(text) <= max ? Number(text) : NaN);
    const iw = retransmit.value ? whole(initialWindow.value, 1000) : null;
    const threshold = retransmit.value ? whole(ssthresh.value, 0x7fffffff) : null;
    if (Number.isNaN(iw)) return ui.say('initial window: a whole number of segments, 1 to 1000 (blank for RFC 6928\'s)', true);
    if (Number.isNaN(threshold)) return ui.say('ssthresh: a whole number of bytes, 1 to 2147483647 (blank for unbounded)', true);
    status.value = 'opening';
    accepted.value = [];
    selected.value = null;
    log.value = [];
    received.value = '';
    proposal.value = null;
    sender.value = null;
    try {
      opened.value = await useApi().openEndpoint({
        interface: useCaptureStore().selected,
        local: local.value.trim(),
        localPort: port(localPort.value),
        remote: mode.value === 'connect' ? remote.value.trim() : null,
        remotePort: mode.value === 'connect' ? port(remotePort.value) : null,
        retransmit: retransmit.value,
        ...(retransmit.value ? { congestion: congestion.value, initialWindow: iw, ssthresh: threshold, sackRecovery: sackRecovery.value, idleRestart: idleRestart.value } : {}),
        keepaliveSeconds: keepalive.value.trim() ? Number(keepalive.value) : null,
        step: step.value,
        isn: null,
        mss: null,
        windowScale: 7,
        sack: true,
        timestamps: true,
        ...(serving() > 1 ? { connections: serving() } : {}),
      });
      if (status.value === 'opening') status.value = 'open';
      note(`${mode.value === 'connect' ? 'connecting' : 'listening'} from ${opened.value.local.address}:${opened.value.local.port}` + (opened.value.kernel === 'rst-suppressed' ? `; this host's RSTs for the 4-tuple are dropped (${opened.value.suppressionRule})` : '; the endpoint answers ARP for its address'));
      if (step.value) await refresh();
    } catch (error) {
      status.value = 'idle';
      ui.fail(error);
    }
  }

  async function call<T>(action: (endpointId: string) => Promise<T>): Promise<T | null> {
    const id = targetId();
    if (!id || status.value !== 'open') return null;
    try {
      return await action(id);
    } catch (error) {
      useUiStore().fail(error);
      return null;
    }
  }

  async function send(text: string): Promise<void> {
    const result = await call((endpointId) => useApi().endpointSend({ endpointId, text: withLineBreaks(text, lineBreak.value) }));
    if (result) note(`queued ${result.queued} bytes`);
    if (step.value) await refresh();
  }

  async function close(how: 'fin' | 'rst'): Promise<void> {
    await call((endpointId) => useApi().endpointClose({ endpointId, how }));
    if (step.value) await refresh();
  }

  async function refresh(): Promise<void> {
    const result = await call((endpointId) => useApi().endpointProposal({ endpointId }));
    if (result) {
      proposal.value = result.proposal;
      state.value = result.state;
    }
  }

  async function sendProposal(edit: { seq?: number; ack?: number; flags?: number; window?: number }): Promise<void> {
    const result = await call((endpointId) => useApi().endpointStep({ endpointId, edit }));
    if (result?.sent) note(`< ${result.sent.text}`);
    await refresh();
  }

  /** Stops the endpoint (a listener: every conversation it holds). */
  async function stop(): Promise<void> {
    const id = opened.value?.endpointId;
    if (!id || status.value !== 'open') return;
    try {
      await useApi().stopEndpoint({ endpointId: id });
    } catch (error) {
      useUiStore().fail(error);
    }
  }

  /** Chooses which accepted conversation the buttons act on. */
  async function choose(id: string): Promise<void> {
    selected.value = id;
    state.value = accepted.value.find((entry) => entry.id === id)?.state ?? state.value;
    proposal.value = null;
    if (step.value) await refresh();
  }

  function handleEvent(event: ApiEvent): void {
    if (!opened.value || !('endpointId' in event)) return;
    const child = accepted.value.find((entry) => entry.id === event.endpointId);
    if (event.endpointId !== opened.value.endpointId && !child) return;
    // Several conversations: each line names its peer.
    const tag = child ? `[${child.peer}] ` : '';
    const shown = !child || child.id === selected.value;
    switch (event.type) {
      case 'endpoint-accepted':
        accepted.value = [...accepted.value, { id: event.connectionId, peer: event.peer, state: 'LISTEN', ended: false }];
        note(`${event.time.toFixed(3)}  accepted ${event.peer}`);
        if (selected.value === null) void choose(event.connectionId);
        break;
      case 'endpoint-state':
        if (child) accepted.value = accepted.value.map((entry) => (entry === child ? { ...entry, state: event.to } : entry));
        if (shown) state.value = event.to;
        note(`${tag}${event.time.toFixed(3)}  ${event.to} (${event.why})`);
        refreshLanes();
        break;
      case 'endpoint-data':
        received.value = (received.value + (child ? `${tag}${event.text}` : event.text)).slice(-65_536);
        note(`${tag}${event.time.toFixed(3)}  received ${event.bytes} bytes (${event.total} in all)`);
        break;
      case 'endpoint-note':
        note(`${tag}${event.time.toFixed(3)}  ${event.kind}: ${event.detail}`);
        break;
      case 'endpoint-sender':
        if (shown) sender.value = { cwnd: event.cwnd, ssthresh: event.ssthresh, pipe: event.pipe, flight: event.flight, recovery: event.recovery, dsacks: event.dsacks, dsackBytes: event.dsackBytes };
        if (event.why) note(`${tag}${event.time.toFixed(3)}  cwnd ${event.cwnd ?? '-'} ssthresh ${event.ssthresh ?? '-'} pipe ${event.pipe}: ${event.why}`);
        break;
      case 'endpoint-end':
        if (child) {
          accepted.value = accepted.value.map((entry) => (entry === child ? { ...entry, ended: true } : entry));
          note(`${tag}ended: ${event.reason}; sent ${event.bytesSent} bytes, received ${event.bytesReceived}${event.error ? `; ${event.error}` : ''}`);
          refreshLanes();
          break;
        }
        status.value = 'ended';
        refreshLanes();
        proposal.value = null;
        note(`ended: ${event.reason}; sent ${event.bytesSent} bytes, received ${event.bytesReceived}, ${event.retransmissions} retransmissions${event.error ? `; ${event.error}` : ''}`);
        break;
    }
  }

  return { connections, accepted, selected, choose, mode, local, localPort, remote, remotePort, retransmit, congestion, initialWindow, ssthresh, sackRecovery, idleRestart, keepalive, step, lineBreak, opened, state, status, log, received, proposal, sender, open, send, close, refresh, sendProposal, stop, handleEvent };
});
