import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { ApiError, type CaptureFormat, type ExportRange } from '../../../shared/api';
import { useApi } from '../api/instance';
import { usePacketsStore } from './packets';
import { useSessionStore } from './session';
import { useUiStore } from './ui';

export type SaveMode = 'save' | 'export';

/**
 * Save, Save As and Export Specified Packets, in both hosts: a path typed on the host (or
 * chosen in the native dialog), pcap or pcapng, and which frames. An existing file is
 * replaced only after the user confirmed it.
 */
export const useSaveStore = defineStore('save', () => {
  const open = ref(false);
  const mode = ref<SaveMode>('save');
  const path = ref('');
  const format = ref<CaptureFormat>('pcapng');
  const range = ref<ExportRange>('all');
  /** Set when the target exists: the dialog asks before replacing it. */
  const confirmReplace = ref<string | null>(null);
  const busy = ref(false);
  /** The path the session was last saved to (Save writes there again without asking). */
  const savedPath = ref<string | null>(null);

  const counts = computed<Record<ExportRange, number>>(() => {
    const packets = usePacketsStore();
    return {
      all: packets.frames,
      displayed: packets.filter ? packets.total : packets.frames,
      selected: packets.selectedIndex === null ? 0 : 1,
      marked: packets.markedCount,
    };
  });

  function defaultName(): string {
    const name = useSessionStore().current?.name ?? 'capture';
    return /\.pcap(ng)?$/.test(name) ? name.replace(/\.pcap(ng)?$/, '') + '-saved.pcapng' : `${name}.pcapng`;
  }

  function show(which: SaveMode): void {
    const ui = useUiStore();
    if (!useSessionStore().sessionId) return ui.say('nothing to save: no capture is open', true);
    mode.value = which;
    range.value = 'all';
    confirmReplace.value = null;
    if (!path.value) path.value = defaultName();
    format.value = path.value.endsWith('.pcap') ? 'pcap' : 'pcapng';
    open.value = true;
  }

  /** File › Save: a live capture lives in a temporary spool until saved; an opened file has nothing unsaved. */
  function save(): void {
    const session = useSessionStore();
    if (session.current?.kind === 'file') {
      useUiStore().say(`${session.current.name} has no unsaved changes (Save As… writes a copy)`);
      return;
    }
    if (savedPath.value) path.value = savedPath.value;
    show('save');
  }

  async function choosePath(): Promise<void> {
    const choice = await useApi().chooseSavePath({ title: mode.value === 'save' ? 'Save capture as' : 'Export specified packets', defaultName: path.value || defaultName() });
    if (!choice.path) return;
    path.value = choice.path;
    format.value = choice.path.endsWith('.pcap') ? 'pcap' : 'pcapng';
    // The native dialog has already asked about replacing an existing file.
    await write(true);
  }

  async function write(overwrite = false): Promise<void> {
    const ui = useUiStore();
    const session = useSessionStore();
    const packets = usePacketsStore();
    const sessionId = session.sessionId;
    const target = path.value.trim();
    if (!sessionId || !target) return ui.say('type the path of the file to write on the host', true);
    busy.value = true;
    try {
      const result = await useApi().exportPackets({
        sessionId,
        path: target,
        format: format.value,
        range: range.value,
        filter: packets.filter,
        indices: packets.selectedIndex === null ? [] : [packets.selectedIndex],
        overwrite,
      });
      confirmReplace.value = null;
      open.value = false;
      if (range.value === 'all') savedPath.value = result.path;
      ui.say(`saved ${result.frames} frame${result.frames === 1 ? '' : 's'} to ${result.path}`);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'exists') confirmReplace.value = target;
      else ui.fail(error);
    } finally {
      busy.value = false;
    }
  }

  function cancel(): void {
    open.value = false;
    confirmReplace.value = null;
  }

  return { open, mode, path, format, range, confirmReplace, busy, savedPath, counts, show, save, choosePath, write, cancel };
});
