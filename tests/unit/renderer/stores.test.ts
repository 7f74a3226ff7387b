import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PacketRow, RowsParams, RowsResult, SessionInfo, WorkbenchApi } from '../../../shared/api';
import { setApi } from '../../../renderer/src/api/instance';
import { useCaptureStore } from '../../../renderer/src/stores/capture';
import { useConnectionsStore } from '../../../renderer/src/stores/connections';
import { PAGE_SIZE, usePacketsStore } from '../../../renderer/src/stores/packets';
import { useSessionStore } from '../../../renderer/src/stores/session';
import { useUiStore } from '../../../renderer/src/stores/ui';

const MILLION = 1_000_000;
const session: SessionInfo = { sessionId: 's1', kind: 'file', name: 'big.pcapng', frames: MILLION, complete: true, linkType: 1 };

function row(index: number): PacketRow {
  return { index, number: index + 1, time: index / 1000, source: 'a', destination: 'b', protocol: 'TCP', length: 60, info: '', marks: 0, stream: 0 };
}

/** A backend with a million frames; with a filter, only even frames pass. */
function fakeApi() {
  const requests: RowsParams[] = [];
  const api = {
    getRows: vi.fn(async (params: RowsParams): Promise<RowsResult> => {
      requests.push(params);
      const even = params.filter !== '';
      const total = even ? MILLION / 2 : MILLION;
      const rows: PacketRow[] = [];
      for (let p = params.start; p < Math.min(total, params.start + params.count); p++) rows.push(row(even ? p * 2 : p));
      return { total, frames: MILLION, complete: true, start: params.start, rows };
    }),
    findRow: vi.fn(async ({ filter, index }: { filter: string; index: number }) => ({ position: filter === '' ? index : index % 2 === 0 ? index / 2 : -1 })),
    validateBpf: vi.fn(async ({ filter }: { filter: string }) => ({ ok: filter === 'tcp port 80', message: filter === 'tcp port 80' ? null : 'syntax error' })),
    getConnections: vi.fn(async () => ({ connections: [], alerts: [] })),
  };
  setApi(api as unknown as WorkbenchApi);
  return { api, requests };
}

describe('packets store: asks only for what is visible', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('a window at the end of a million rows fetches one page, not the capture', async () => {
    const { requests } = fakeApi();
    useSessionStore().adopt(session);
    const packets = usePacketsStore();
    await packets.load();
    expect(requests).toHaveLength(1);
    expect(packets.total).toBe(MILLION);
    await packets.ensureRange(MILLION - 40, 40);
    expect(requests.map((r) => [r.start, r.count])).toEqual([
      [0, PAGE_SIZE],
      [MILLION - PAGE_SIZE, PAGE_SIZE],
    ]);
    expect(packets.rows.get(MILLION - 1)?.number).toBe(MILLION);
    // Asking again for rows already held costs nothing.
    await packets.ensureRange(MILLION - 40, 40);
    expect(requests).toHaveLength(2);
  });

  it('applying a filter starts over and keeps the selected frame when it still passes', async () => {
    const { requests } = fakeApi();
    useSessionStore().adopt(session);
    const packets = usePacketsStore();
    await packets.load();
    await packets.selectPosition(10);
    expect(packets.selectedIndex).toBe(10);
    await packets.applyFilter('  frame.number > 0 ');
    expect(packets.filter).toBe('frame.number > 0');
    expect(requests[requests.length - 1]).toMatchObject({ start: 0, filter: 'frame.number > 0' });
    expect(packets.total).toBe(MILLION / 2);
    expect(packets.selectedPosition).toBe(5);
    await packets.selectPosition(3);
    await packets.applyFilter('');
    expect(packets.selectedIndex).toBe(6);
    expect(packets.selectedPosition).toBe(6);
  });

  it('keyboard-style moves clamp to the list', async () => {
    fakeApi();
    useSessionStore().adopt(session);
    const packets = usePacketsStore();
    await packets.load();
    await packets.selectPosition(-5);
    expect(packets.selectedPosition).toBe(0);
    await packets.selectPosition(MILLION + 10);
    expect(packets.selectedPosition).toBe(MILLION - 1);
  });
});

describe('session store: progress events', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('follows progress of its own session only, and reports damage when done', () => {
    fakeApi();
    const store = useSessionStore();
    store.adopt({ ...session, frames: 0, complete: false });
    store.handleEvent({ type: 'progress', sessionId: 'other', frames: 9, bytesRead: 9, totalBytes: 10, done: false, error: null });
    expect(store.progress?.frames).toBe(0);
    store.handleEvent({ type: 'progress', sessionId: 's1', frames: 500, bytesRead: 250, totalBytes: 1000, done: false, error: null });
    expect(store.indexing).toBe(true);
    expect(store.fraction).toBe(0.25);
    store.handleEvent({ type: 'progress', sessionId: 's1', frames: 800, bytesRead: 900, totalBytes: 1000, done: true, error: 'damaged at byte 900' });
    expect(store.indexing).toBe(false);
    expect(store.current?.frames).toBe(800);
    expect(store.progress?.error).toBe('damaged at byte 900');
  });
});

describe('capture store: the BPF filter is checked once typing pauses', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it('asks the backend once per pause and shows its verdict', async () => {
    const { api } = fakeApi();
    const capture = useCaptureStore();
    for (const text of ['t', 'tc', 'tcp', 'tcp port', 'tcp port 8', 'tcp port 80']) capture.setBpf(text);
    expect(capture.bpfCheck.state).toBe('checking');
    await vi.advanceTimersByTimeAsync(400);
    expect(api.validateBpf).toHaveBeenCalledTimes(1);
    expect(capture.bpfCheck).toEqual({ state: 'ok' });
    capture.setBpf('tcp port');
    await vi.advanceTimersByTimeAsync(400);
    expect(capture.bpfCheck).toEqual({ state: 'error', message: 'syntax error' });
    capture.setBpf('');
    expect(capture.bpfCheck).toEqual({ state: 'empty' });
  });
});

describe('capture store: a key log still to come is a note, a failing one an error', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('shows the waiting note plainly and a read failure as an error, for the running capture only', () => {
    const capture = useCaptureStore();
    const ui = useUiStore();
    capture.running = 'live1';
    capture.handleEvent({ type: 'capture-note', sessionId: 'live1', message: 'key log /tmp/k.txt does not exist yet; waiting for it' });
    expect(ui.notice).toEqual({ text: 'key log /tmp/k.txt does not exist yet; waiting for it', error: false });
    capture.handleEvent({ type: 'capture-error', sessionId: 'live1', message: 'key log /tmp/k.txt: EISDIR: illegal operation on a directory, read' });
    expect(ui.notice).toEqual({ text: 'key log /tmp/k.txt: EISDIR: illegal operation on a directory, read', error: true });
    capture.handleEvent({ type: 'capture-note', sessionId: 'other', message: 'not ours' });
    expect(ui.notice?.text).not.toBe('not ours');
  });
});

describe('connections store: sort and filter', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('sorts by a column either way and filters on any text column', () => {
    fakeApi();
    const store = useConnectionsStore();
    const base = { communityId: '1:wCb3OG7yAFWelaUydu0D+125CLM=', clientState: 'ESTABLISHED', serverState: 'ESTABLISHED', history: 'ShAD', initialRtt: null, sni: null, end: 1, handshakeEnd: null, teardownStart: null, handshakeKind: null, teardownKind: null, firstFrame: 0, story: '' };
    store.all = [
      { ...base, stream: 0, client: '198.18.0.1:40000', server: '198.18.0.2:443', connState: 'SF', frames: 12, bytes: 900, start: 0 },
      { ...base, stream: 1, client: '198.18.0.3:50000', server: '198.18.0.2:80', connState: 'REJ', frames: 2, bytes: 108, start: 0.5, sni: 'example.org' },
      { ...base, stream: 2, client: '198.18.0.4:50001', server: '198.18.0.2:80', connState: 'S0', frames: 1, bytes: 74, start: 0.6 },
    ];
    store.sortBy('frames');
    expect(store.rows.map((c) => c.stream)).toEqual([2, 1, 0]);
    store.sortBy('frames');
    expect(store.rows.map((c) => c.stream)).toEqual([0, 1, 2]);
    store.filter = 'example';
    expect(store.rows.map((c) => c.stream)).toEqual([1]);
    store.filter = ':80';
    expect(store.rows.map((c) => c.stream).sort()).toEqual([1, 2]);
  });
});
