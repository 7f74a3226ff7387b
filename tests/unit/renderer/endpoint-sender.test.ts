// @vitest-environment happy-dom
/**
 * The Endpoint view's sender line: endpoint-sender events (the engine's report of the endpoint's
 * congestion state) are shown as cwnd, ssthresh, pipe, flight and the recovery phase; a change of
 * phase is also written to the log. The API is a stand-in (the engine is tested against Linux).
 */
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { nextTick } from 'vue';
import type { WorkbenchApi } from '../../../shared/api';
import { setApi } from '../../../renderer/src/api/instance';
import EndpointPanel from '../../../renderer/src/components/EndpointPanel.vue';
import { useCaptureStore } from '../../../renderer/src/stores/capture';
import { useEndpointStore } from '../../../renderer/src/stores/endpoint';

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('endpoint panel: the sender\'s state', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    setApi({ openEndpoint: async () => ({ endpointId: 'e1', sessionId: 's1', local: { address: '198.18.0.11', port: 41000 }, kernel: 'not-owner', suppressionRule: null }), stopEndpoint: async () => null } as unknown as WorkbenchApi);
    useCaptureStore().selected = 'veth0';
  });

  it('shows cwnd, ssthresh, pipe, flight and the phase; a change of phase goes to the log; nothing while congestion control is off', async () => {
    const wrapper = mount(EndpointPanel);
    await wrapper.get('[data-testid=endpoint-remote]').setValue('198.18.0.2');
    await wrapper.get('[data-testid=endpoint-remote-port]').setValue('80');
    await wrapper.get('[data-testid=endpoint-open]').trigger('click');
    await flush();
    const store = useEndpointStore();
    expect(wrapper.find('[data-testid=endpoint-sender]').exists()).toBe(false);
    store.handleEvent({ type: 'endpoint-sender', endpointId: 'e1', cwnd: 14480, ssthresh: null, pipe: 14480, flight: 14480, recovery: 'none', dsacks: 0, dsackBytes: 0, why: '', time: 0.02 });
    await nextTick();
    expect(wrapper.get('[data-testid=endpoint-sender]').text().replace(/\s+/g, ' ')).toBe('cwnd 14480 · ssthresh ∞ · pipe 14480 · in flight 14480 · no recovery');
    store.handleEvent({ type: 'endpoint-sender', endpointId: 'e1', cwnd: 7240, ssthresh: 7240, pipe: 8688, flight: 17376, recovery: 'sack', dsacks: 0, dsackBytes: 0, why: '3 duplicate ACKs: fast retransmit', time: 0.5 });
    await nextTick();
    expect(wrapper.get('[data-testid=endpoint-sender]').text().replace(/\s+/g, ' ')).toBe('cwnd 7240 · ssthresh 7240 · pipe 8688 · in flight 17376 · SACK recovery');
    expect(wrapper.get('[data-testid=endpoint-log]').text()).toContain('0.500  cwnd 7240 ssthresh 7240 pipe 8688: 3 duplicate ACKs: fast retransmit');
    // D-SACK reports show as a hint of spurious retransmissions.
    store.handleEvent({ type: 'endpoint-sender', endpointId: 'e1', cwnd: 7240, ssthresh: 7240, pipe: 0, flight: 0, recovery: 'none', dsacks: 2, dsackBytes: 2896, why: '', time: 0.7 });
    await nextTick();
    expect(wrapper.get('[data-testid=endpoint-dsack]').text().replace(/\s+/g, ' ')).toBe('· D-SACK 2 (2896 bytes received twice: spurious retransmissions?)');
    store.handleEvent({ type: 'endpoint-sender', endpointId: 'e1', cwnd: null, ssthresh: null, pipe: 0, flight: 0, recovery: 'none', dsacks: 0, dsackBytes: 0, why: '', time: 1 });
    await nextTick();
    expect(wrapper.find('[data-testid=endpoint-sender]').exists()).toBe(false);
  });
});
