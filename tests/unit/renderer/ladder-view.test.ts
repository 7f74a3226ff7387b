// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { describe, expect, it, vi } from 'vitest';
import { nextTick } from 'vue';
import type { Ladder, WorkbenchApi } from '../../../shared/api';
import { setApi } from '../../../renderer/src/api/instance';
import LadderView from '../../../renderer/src/components/LadderView.vue';
import { useLadderStore } from '../../../renderer/src/stores/ladder';
import { usePacketsStore } from '../../../renderer/src/stores/packets';
import { useSessionStore } from '../../../renderer/src/stores/session';

/** Client opens, server refuses: SYN then RST+ACK (RFC 9293 §3.5.2), written out by hand. */
const refused: Ladder = {
  stream: 7,
  client: '198.18.0.3:50000',
  server: '198.18.0.2:80',
  story: 'refused: the server answered the SYN with RST',
  initialClientState: 'CLOSED',
  initialServerState: 'CLOSED',
  finalClientState: 'CLOSED',
  finalServerState: 'CLOSED',
  truncated: false,
  arrows: [
    { frameIndex: 12, number: 13, time: 0.51, from: 'client', flags: 'SYN', seq: 0, ack: 0, len: 0, window: 8192, clientState: 'SYN_SENT', serverState: 'CLOSED', phase: 'handshake', analysis: [] },
    { frameIndex: 13, number: 14, time: 0.52, from: 'server', flags: 'RST, ACK', seq: 1, ack: 1, len: 0, window: 0, clientState: 'CLOSED', serverState: 'CLOSED', phase: 'teardown', analysis: [] },
  ],
};

describe('ladder view', () => {
  it('draws both lanes and selects the frame of a clicked arrow; arrow keys move between segments', async () => {
    setActivePinia(createPinia());
    const findRow = vi.fn(async ({ index }: { index: number }) => ({ position: index }));
    setApi({ findRow } as unknown as WorkbenchApi);
    useSessionStore().adopt({ sessionId: 's1', kind: 'file', name: 'x.pcap', frames: 20, complete: true, linkType: 1 });
    useLadderStore().ladder = refused;
    const wrapper = mount(LadderView);
    await nextTick();
    expect(wrapper.find('[data-testid="client-initial"]').text()).toBe('CLOSED');
    expect(wrapper.findAll('[data-side="client"]').map((n) => n.text())).toEqual(['SYN_SENT', 'CLOSED']);
    expect(wrapper.find('[data-frame="14"]').classes()).toContain('rst');
    expect(wrapper.find('[data-frame="14"]').attributes('aria-label')).toBe('Frame 14: server to client, RST, ACK  Seq=1 Ack=1 Len=0');
    await wrapper.find('[data-frame="13"]').trigger('click');
    const packets = usePacketsStore();
    expect(packets.selectedIndex).toBe(12);
    expect(findRow).toHaveBeenCalledWith({ sessionId: 's1', filter: '', index: 12 });
    await nextTick();
    await wrapper.find('[data-testid="ladder"]').trigger('keydown', { key: 'ArrowDown' });
    expect(packets.selectedIndex).toBe(13);
    wrapper.unmount();
  });

  it('writes a TLS hello under its arrow, in the arrow\'s accessible name too, and only there', async () => {
    setActivePinia(createPinia());
    setApi({} as unknown as WorkbenchApi);
    const hello = { hello: 'client' as const, sni: 'shop.example', alpn: ['h2'], versions: ['TLS 1.3'], ciphers: ['TLS_AES_128_GCM_SHA256'] };
    useLadderStore().ladder = {
      ...refused,
      arrows: [refused.arrows[0], { ...refused.arrows[0], frameIndex: 13, number: 14, flags: 'PSH, ACK', seq: 1, ack: 1, len: 517, phase: 'data', tls: hello }],
    };
    const wrapper = mount(LadderView);
    await nextTick();
    expect(wrapper.findAll('[data-testid="hello"]')).toHaveLength(1);
    const line = wrapper.find('[data-frame="14"] [data-testid="hello"]');
    expect(line.text()).toContain('SNI=shop.example');
    expect(line.classes()).toContain('client');
    expect(wrapper.find('[data-frame="14"]').attributes('aria-label')).toContain('Client Hello');
    wrapper.unmount();
  });
});
