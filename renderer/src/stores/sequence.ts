/// <reference types="vite/client" />
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import { ApiError, type ApiEvent, type RunScriptResult, type ScriptEndEvent, type ScriptStepEvent } from '../../../shared/api';
import { formatIpv4, formatIpv6, fromHex } from '../../../shared/wire/bytes';
import { ipPacketOf } from '../../../shared/wire/ip-packet';
import { useApi } from '../api/instance';
import { appendLine, lineFromPacket, parseForEditor, positionAfter, templateLine, type StepTemplate } from '../lib/sequence';
import { useCaptureStore } from './capture';
import { useLadderStore } from './ladder';
import { useSessionStore } from './session';
import { useUiStore } from './ui';

/** The shipped scripts (shared/conversation/library), each with the line saying what it shows. */
const LIBRARY_FILES = import.meta.glob('../../../shared/conversation/library/*.pkt', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
export const LIBRARY = Object.entries(LIBRARY_FILES)
  .map(([file, text]) => ({
    name: file.replace(/^.*\//, ''),
    title: (/^\/\/\s*(.*)$/m.exec(text)?.[1] ?? '').trim(),
    text,
  }))
  .sort((a, b) => a.name.localeCompare(b.name));

/** How long the ladder waits for the run's first frame to be indexed: 40 × 250 ms. */
const FOLLOW_ATTEMPTS = 40;
const FOLLOW_RETRY_MS = 250;

export type RunStatus = 'idle' | 'starting' | 'running' | 'waiting' | 'ended';

/**
 * The sequence editor: a conversation script being written (typed, from step templates, from
 * captured frames or a shipped script), and its run through the engine with each line's result.
 */
export const useSequenceStore = defineStore('sequence', () => {
  const text = ref(LIBRARY.find((entry) => entry.name === 'handshake-data.pkt')?.text ?? '');
  const name = ref('handshake-data.pkt');
  const local = ref('');
  const localPort = ref('');
  const remote = ref('');
  const toleranceMs = ref('4');
  const path = ref('');
  const confirmReplace = ref<string | null>(null);

  const parsed = computed(() => parseForEditor(text.value));

  const status = ref<RunStatus>('idle');
  const run = shallowRef<RunScriptResult | null>(null);
  /** Results of the current (or last) run, in the order they came. */
  const results = ref<ScriptStepEvent[]>([]);
  const end = shallowRef<ScriptEndEvent | null>(null);
  const waitingLine = ref<number | null>(null);
  /** Frame index → its line's result, for the ladder's marks. */
  const byFrame = computed(() => {
    const map = new Map<number, ScriptStepEvent>();
    for (const result of results.value) if (result.frameIndex !== null) map.set(result.frameIndex, result);
    return map;
  });
  /** The run's session is the one shown: the ladder's marks apply only there. */
  const marksApply = computed(() => run.value !== null && useSessionStore().sessionId === run.value.sessionId);

  const fieldErrors = computed<string[]>(() => {
    const out: string[] = [];
    if (!useCaptureStore().selected) out.push('choose the interface in the capture bar');
    if (!/^[0-9A-Fa-f:.]{2,}$/.test(local.value.trim())) out.push('local: our endpoint\'s IP address');
    const remoteParts = splitAddress(remote.value.trim());
    if (!remoteParts) out.push('remote: the peer as ADDR:PORT ([IPV6]:PORT)');
    if (localPort.value.trim() && !validPort(localPort.value.trim())) out.push('local port: 1–65535, or empty for any');
    const tolerance = Number(toleranceMs.value);
    if (toleranceMs.value.trim() === '' || !Number.isFinite(tolerance) || tolerance < 0 || tolerance > 60_000) out.push('tolerance: 0–60000 ms');
    if (!parsed.value.ok) out.push(`script line ${parsed.value.line}:${parsed.value.column}: ${parsed.value.reason}`);
    else if (parsed.value.script.steps.length === 0) out.push('the script has no packet lines');
    return out;
  });

  function validPort(value: string): boolean {
    return /^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= 65535;
  }

  function splitAddress(value: string): { address: string; port: number } | null {
    const match = /^\[([0-9A-Fa-f:.]+)\]:(\d+)$/.exec(value) ?? /^([0-9.]+):(\d+)$/.exec(value);
    if (!match || !validPort(match[2])) return null;
    return { address: match[1], port: Number(match[2]) };
  }

  function addTemplate(template: StepTemplate): void {
    const current = parsed.value;
    if (!current.ok) {
      useUiStore().say(`fix line ${current.line}:${current.column} first: ${current.reason}`, true);
      return;
    }
    text.value = appendLine(text.value, templateLine(template, positionAfter(current.script.steps)));
  }

  function clear(): void {
    text.value = '';
    name.value = 'untitled.pkt';
  }

  function openLibrary(file: string): void {
    const entry = LIBRARY.find((candidate) => candidate.name === file);
    if (!entry) return;
    text.value = entry.text;
    name.value = entry.name;
  }

  /**
   * "Edit as new step": a captured frame as a packet line. It is ours (`<`) when it comes from
   * the local address, else the peer's (`>`); with no local address yet, the connection's
   * client is taken as ours and its addresses fill the empty fields.
   */
  function addFrame(bytesHex: string, linkType: number, relative: { seq: number; ack: number } | null, ends: { client: string; server: string } | null): void {
    const ui = useUiStore();
    const packet = ipPacketOf(fromHex(bytesHex), linkType);
    const source = packet ? sourceOf(packet) : null;
    if (!packet || !source) return ui.say('Edit as new step takes a TCP segment over IPv4 or IPv6', true);
    if (!local.value.trim() && ends) {
      local.value = splitAddress(ends.client)?.address ?? ends.client.replace(/:\d+$/, '');
      if (!remote.value.trim()) remote.value = ends.server;
    }
    const fromUs = local.value.trim() ? source === local.value.trim() : true;
    const current = parsed.value;
    const time = current.ok && current.script.steps.length > 0 ? '+0' : '0';
    const line = lineFromPacket(packet, fromUs, relative, time);
    if (!line) return ui.say('Edit as new step takes a TCP segment', true);
    text.value = appendLine(text.value, line);
    ui.view = 'sequence';
    ui.say(`added ${fromUs ? 'a < line (ours)' : 'a > line (expected from the peer)'} from the frame`);
  }

  /** The context menu's "Edit as new step" on a frame of the open session (packet list, ladder). */
  const menu = ref<{ x: number; y: number; frameIndex: number } | null>(null);

  /** A frame of the open session as a step: its numbers relative to its connection's ISNs, as the ladder shows them. */
  async function addFrameAt(frameIndex: number): Promise<void> {
    menu.value = null;
    const sessionId = useSessionStore().sessionId;
    if (!sessionId) return;
    try {
      const api = useApi();
      const frame = await api.getFrame({ sessionId, index: frameIndex });
      const ladderStore = useLadderStore();
      let ladder = ladderStore.ladder && ladderStore.ladder.stream === frame.stream ? ladderStore.ladder : null;
      if (!ladder && frame.stream >= 0) ladder = await api.getLadder({ sessionId, stream: frame.stream, limit: 100_000 });
      const arrow = ladder?.arrows.find((candidate) => candidate.frameIndex === frameIndex) ?? null;
      addFrame(frame.bytesHex, frame.linkType, arrow ? { seq: arrow.seq, ack: arrow.ack } : null, ladder ? { client: ladder.client, server: ladder.server } : null);
    } catch (error) {
      useUiStore().fail(error);
    }
  }

  async function start(step: boolean): Promise<void> {
    const ui = useUiStore();
    if (status.value === 'waiting' && run.value) return advance(step ? 'step' : 'run');
    if (fieldErrors.value.length) return ui.say(fieldErrors.value[0], true);
    const peer = splitAddress(remote.value.trim());
    if (!peer) return;
    status.value = 'starting';
    ladderFollowed = false;
    results.value = [];
    end.value = null;
    waitingLine.value = null;
    try {
      run.value = await useApi().runScript({
        script: text.value,
        interface: useCaptureStore().selected,
        local: local.value.trim(),
        localPort: localPort.value.trim() ? Number(localPort.value) : null,
        remote: peer.address,
        remotePort: peer.port,
        toleranceMs: Number(toleranceMs.value),
        step,
      });
      if (status.value === 'starting') status.value = 'running';
      const skipped = run.value.skipped.length;
      ui.say(
        `running ${run.value.steps} lines from ${run.value.local.address}:${run.value.local.port}` +
          (run.value.kernel === 'rst-suppressed' ? `; this host's RSTs for the 4-tuple are dropped (${run.value.suppressionRule})` : '; the endpoint answers ARP for its address') +
          (skipped ? `; ${skipped} line${skipped === 1 ? '' : 's'} skipped` : ''),
      );
    } catch (error) {
      status.value = 'idle';
      ui.fail(error);
    }
  }

  async function advance(mode: 'step' | 'run'): Promise<void> {
    if (!run.value) return;
    try {
      waitingLine.value = null;
      status.value = 'running';
      await useApi().scriptStep({ runId: run.value.runId, mode });
    } catch (error) {
      useUiStore().fail(error);
    }
  }

  async function stop(): Promise<void> {
    if (!run.value || status.value === 'ended' || status.value === 'idle') return;
    try {
      await useApi().stopScript({ runId: run.value.runId });
    } catch (error) {
      useUiStore().fail(error);
    }
  }

  /**
   * The ladder follows the run's connection from its first frame on. The session indexes the
   * spool a moment after the frame is sent, so the frame is asked for again until it is there.
   */
  let ladderFollowed = false;
  async function followOnLadder(frameIndex: number): Promise<void> {
    const current = run.value;
    if (!current || ladderFollowed) return;
    ladderFollowed = true;
    for (let attempt = 0; attempt < FOLLOW_ATTEMPTS; attempt++) {
      if (run.value !== current) return;
      try {
        const frame = await useApi().getFrame({ sessionId: current.sessionId, index: frameIndex });
        if (frame.stream >= 0) {
          await useLadderStore().load(frame.stream);
          return;
        }
      } catch {
        // not indexed yet
      }
      await new Promise((resolve) => setTimeout(resolve, FOLLOW_RETRY_MS));
    }
    ladderFollowed = false;
  }

  function handleEvent(event: ApiEvent): void {
    if (!run.value && status.value !== 'starting') return;
    if (event.type !== 'script-step' && event.type !== 'script-end' && event.type !== 'script-waiting') return;
    if (run.value && event.runId !== run.value.runId) return;
    if (event.type === 'script-step') {
      results.value = [...results.value, event];
      if (event.frameIndex !== null) void followOnLadder(event.frameIndex);
    } else if (event.type === 'script-waiting') {
      status.value = 'waiting';
      waitingLine.value = event.line;
    } else {
      end.value = event;
      status.value = 'ended';
      waitingLine.value = null;
      const ui = useUiStore();
      if (event.error) ui.say(`the run ended early: ${event.error}`, true);
      else if (event.stopped) ui.say(`stopped after ${event.passed} of ${event.steps} lines`);
      else if (event.ok) ui.say(`every expectation held (${event.steps} packet lines)`);
      else ui.say(`failed at line ${event.failedLine}: ${event.reason}`, true);
      // The ladder's last states: the session is complete now.
      const ladder = useLadderStore();
      if (ladder.stream !== null) setTimeout(() => void ladder.load(ladder.stream), 300);
    }
  }

  // ------------------------------------------------------------ files (both hosts)

  async function openFile(): Promise<void> {
    const ui = useUiStore();
    // Electron's main process lets the engine read only what its own dialog returned.
    const native = useSessionStore().host?.nativeDialogs === true;
    const target = native ? ((await useApi().chooseOpenPath({ title: 'Open script', kind: 'script' })).path ?? '') : path.value.trim();
    if (!target) return native ? undefined : ui.say('type the path of the script on the host', true);
    try {
      const file = await useApi().readScript({ path: target });
      text.value = file.text;
      name.value = file.path.replace(/^.*[\\/]/, '');
      path.value = file.path;
      ui.say(`opened ${file.path}`);
    } catch (error) {
      ui.fail(error);
    }
  }

  async function saveFile(overwrite = false): Promise<void> {
    const ui = useUiStore();
    // Electron's main process lets the engine write only where its own dialog pointed (and it asked before replacing).
    const native = useSessionStore().host?.nativeDialogs === true;
    const target = native ? ((await useApi().chooseSavePath({ title: 'Save script', defaultName: name.value })).path ?? '') : path.value.trim();
    if (native) overwrite = true;
    if (!target) return native ? undefined : ui.say('type the path to save the script to on the host', true);
    try {
      const file = await useApi().writeScript({ path: target, text: text.value, overwrite });
      confirmReplace.value = null;
      path.value = file.path;
      name.value = file.path.replace(/^.*[\\/]/, '');
      ui.say(`saved the script to ${file.path}`);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'exists') confirmReplace.value = target;
      else ui.fail(error);
    }
  }

  return {
    text,
    name,
    local,
    localPort,
    remote,
    toleranceMs,
    path,
    confirmReplace,
    parsed,
    status,
    run,
    results,
    end,
    waitingLine,
    byFrame,
    marksApply,
    fieldErrors,
    addTemplate,
    clear,
    openLibrary,
    addFrame,
    menu,
    addFrameAt,
    start,
    advance,
    stop,
    handleEvent,
    openFile,
    saveFile,
  };
});

function sourceOf(packet: Uint8Array): string | null {
  const version = packet[0] >> 4;
  if (version === 4 && packet.length >= 20) return formatIpv4(packet, 12);
  if (version === 6 && packet.length >= 40) return formatIpv6(packet, 8);
  return null;
}
