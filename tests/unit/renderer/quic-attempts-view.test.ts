// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { describe, expect, it, vi } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import type { ConnectionRow, QuicAttemptRow, RowsParams, WorkbenchApi } from '../../../shared/api';
import { setApi } from '../../../renderer/src/api/instance';
import ConnectionsView from '../../../renderer/src/components/ConnectionsView.vue';
import { useConnectionsStore } from '../../../renderer/src/stores/connections';
import { usePacketsStore } from '../../../renderer/src/stores/packets';
import { useSessionStore } from '../../../renderer/src/stores/session';
import { useUiStore } from '../../../renderer/src/stores/ui';

const tcp: ConnectionRow = {
  stream: 0,
  client: '198.18.0.1:40000',
  server: '198.18.0.2:443',
  story: 'three-way handshake complete; four-way close by client',
  clientState: 'CLOSED',
  serverState: 'CLOSED',
  connState: 'SF',
  history: 'ShADadFf',
  communityId: '1:wCb3OG7yAFWelaUydu0D+125CLM=',
  initialRtt: 0.001,
  sni: 'tcp.example',
  frames: 10,
  bytes: 1000,
  start: 0,
  end: 1,
  handshakeEnd: 0.01,
  teardownStart: 0.9,
  handshakeKind: 'three-way',
  teardownKind: 'four-way',
  firstFrame: 0,
};

const attempt = (id: number, overrides: Partial<QuicAttemptRow>): QuicAttemptRow => ({
  id,
  client: `198.18.0.1:5000${id}`,
  server: '198.18.0.2:443',
  directionGuessed: false,
  version: 'QUIC v1',
  dcid: '8394c8f03e515708',
  sni: null,
  alpn: [],
  packets: 1,
  initials: 1,
  serverAnswered: false,
  start: 0,
  end: 0,
  firstFrame: 0,
  lastFrame: 0,
  filter: `ip.addr == 198.18.0.1 && udp.port == 5000${id} && ip.addr == 198.18.0.2 && udp.port == 443`,
  ...overrides,
});

const attempts = [
  attempt(0, { sni: 'h3.workbench.test', alpn: ['h3', 'h3-29'], packets: 4, initials: 2, serverAnswered: true, firstFrame: 11, lastFrame: 14, start: 0.25 }),
  attempt(1, { version: 'QUIC v2', sni: 'other.test', alpn: ['h3'], packets: 6, initials: 6, firstFrame: 20, lastFrame: 30 }),
];

function setup() {
  setActivePinia(createPinia());
  const getRows = vi.fn(async (params: RowsParams) => ({ total: 4, frames: 40, complete: true, start: params.start, rows: [] }));
  const findRow = vi.fn(async () => ({ position: 0 }));
  setApi({
    getConnections: vi.fn(async () => ({ connections: [tcp], alerts: [] })),
    getQuicAttempts: vi.fn(async () => ({ attempts })),
    getRows,
    findRow,
  } as unknown as WorkbenchApi);
  useSessionStore().adopt({ sessionId: 's1', kind: 'file', name: 'chromium.pcapng', frames: 40, complete: true, linkType: 1 });
  return { getRows, findRow };
}

const cells = (row: { findAll(selector: string): Array<{ text(): string }> }) => row.findAll('span').map((cell) => cell.text());

describe('connections view: QUIC attempts beside the TCP connections', () => {
  it('lists each attempt with client, server, version, SNI, ALPN, packets, start and whether the server answered', async () => {
    setup();
    const wrapper = mount(ConnectionsView);
    await flushPromises();
    // The TCP table is untouched; the attempts are their own section.
    expect(wrapper.find('[data-stream="0"]').text()).toContain('tcp.example');
    const section = wrapper.find('[data-testid="quic-attempts"]');
    expect(section.exists()).toBe(true);
    const rows = section.findAll('[data-quic]');
    expect(rows.map(cells)).toEqual([
      ['0', '198.18.0.1:50000', '198.18.0.2:443', 'QUIC v1', 'h3.workbench.test', 'h3, h3-29', '4 (2 Initial)', '0.250000', 'answered'],
      ['1', '198.18.0.1:50001', '198.18.0.2:443', 'QUIC v2', 'other.test', 'h3', '6 (6 Initial)', '0.000000', 'no answer'],
    ]);
    expect(wrapper.text()).toContain('2 of 2 QUIC attempts');
    wrapper.unmount();
  });

  it('the connection filter narrows the attempts too (by SNI here)', async () => {
    setup();
    const wrapper = mount(ConnectionsView);
    await flushPromises();
    await wrapper.find('[data-testid="conn-filter"]').setValue('other.test');
    expect(wrapper.findAll('[data-quic]').map((row) => row.attributes('data-quic'))).toEqual(['1']);
    expect(wrapper.find('[data-stream="0"]').exists()).toBe(false);
    wrapper.unmount();
  });

  it("double-clicking an attempt shows its frames: the packet list filtered to its conversation, its first frame selected", async () => {
    const { getRows, findRow } = setup();
    const wrapper = mount(ConnectionsView);
    await flushPromises();
    await wrapper.find('[data-quic="0"]').trigger('dblclick');
    await flushPromises();
    expect(getRows).toHaveBeenCalledWith(expect.objectContaining({ filter: attempts[0].filter }));
    expect(findRow).toHaveBeenCalledWith({ sessionId: 's1', filter: attempts[0].filter, index: 11 });
    expect(usePacketsStore().filter).toBe(attempts[0].filter);
    expect(usePacketsStore().selectedIndex).toBe(11);
    expect(useUiStore().view).toBe('packets');
    expect(useConnectionsStore().selectedQuic).toBe(0);
    wrapper.unmount();
  });

  it('a capture without QUIC shows no QUIC section', async () => {
    setup();
    const connections = useConnectionsStore();
    const wrapper = mount(ConnectionsView);
    await flushPromises();
    connections.quic = [];
    await flushPromises();
    expect(wrapper.find('[data-testid="quic-attempts"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="show-quic-frames"]').exists()).toBe(false);
    wrapper.unmount();
  });
});
