// @vitest-environment happy-dom
/**
 * The endpoint panel drives the API as a user would: Connect sends openEndpoint with the form's
 * values (text sent exactly as typed, CRLF kept), events fill the state, the received text and
 * the log; in step mode the proposal is shown and only the fields the user changed go out as
 * the edit. The API is a stand-in that records calls (the engine side is tested against Linux
 * in tests/integration/endpoint/api.test.ts).
 */
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { nextTick } from 'vue';
import type { ApiEvent, WorkbenchApi } from '../../../shared/api';
import { setApi } from '../../../renderer/src/api/instance';
import EndpointPanel from '../../../renderer/src/components/EndpointPanel.vue';
import { useCaptureStore } from '../../../renderer/src/stores/capture';
import { useEndpointStore } from '../../../renderer/src/stores/endpoint';
import { useUiStore } from '../../../renderer/src/stores/ui';
import { methodValidators } from '../../../shared/api';

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('endpoint panel', () => {
  let calls: Array<[string, unknown]>;
  beforeEach(() => {
    setActivePinia(createPinia());
    calls = [];
    const proposals = [
      { proposal: { reason: 'syn', text: 'S 0:0(0) win 65535 <mss 1460>', seq: 0, ack: null, flags: 2, window: 65535, length: 0 }, state: 'CLOSED' },
      { proposal: null, state: 'SYN_SENT' },
    ];
    const api = {
      openEndpoint: async (params: unknown) => {
        calls.push(['openEndpoint', params]);
        return { endpointId: 'e1', sessionId: 's1', local: { address: '198.18.0.11', port: 41000 }, kernel: 'not-owner', suppressionRule: null };
      },
      endpointSend: async (params: { text: string }) => {
        calls.push(['endpointSend', params]);
        return { queued: new TextEncoder().encode(params.text).length };
      },
      endpointClose: async (params: unknown) => {
        calls.push(['endpointClose', params]);
        return null;
      },
      endpointProposal: async (params: unknown) => {
        calls.push(['endpointProposal', params]);
        return proposals.shift() ?? { proposal: null, state: 'SYN_SENT' };
      },
      endpointStep: async (params: unknown) => {
        calls.push(['endpointStep', params]);
        return { sent: { reason: 'syn', text: 'S 0:0(0) win 1234 <mss 1460>', seq: 0, ack: null, flags: 2, window: 1234, length: 0 } };
      },
      stopEndpoint: async () => null,
    };
    setApi(api as unknown as WorkbenchApi);
    useCaptureStore().selected = 'veth0';
  });

  it('the sender\'s choices show only with retransmission on, bad values block Connect and say why, good ones reach openEndpoint (and pass the API contract)', async () => {
    const wrapper = mount(EndpointPanel);
    await wrapper.get('[data-testid=endpoint-remote]').setValue('198.18.0.2');
    await wrapper.get('[data-testid=endpoint-remote-port]').setValue('80');
    expect(wrapper.find('[data-testid=endpoint-initial-window]').exists()).toBe(false);
    await wrapper.get('[data-testid=endpoint-retransmit]').setValue(true);
    for (const [field, value, said] of [
      ['endpoint-initial-window', '0', /initial window: a whole number of segments/],
      ['endpoint-initial-window', '2.5', /initial window/],
      ['endpoint-initial-window', '1001', /initial window/],
      ['endpoint-ssthresh', '-5', /ssthresh: a whole number of bytes/],
      ['endpoint-ssthresh', '1e4', /ssthresh/],
    ] as const) {
      await wrapper.get('[data-testid=endpoint-initial-window]').setValue('');
      await wrapper.get('[data-testid=endpoint-ssthresh]').setValue('');
      await wrapper.get(`[data-testid=${field}]`).setValue(value);
      await wrapper.get('[data-testid=endpoint-open]').trigger('click');
      await flush();
      expect(calls).toEqual([]);
      expect(useUiStore().notice?.error).toBe(true);
      expect(useUiStore().notice?.text).toMatch(said);
    }
    await wrapper.get('[data-testid=endpoint-initial-window]').setValue('4');
    await wrapper.get('[data-testid=endpoint-ssthresh]').setValue(' 8000 ');
    await wrapper.get('[data-testid=endpoint-sack-recovery]').setValue(false);
    await wrapper.get('[data-testid=endpoint-idle-restart]').setValue(false);
    await wrapper.get('[data-testid=endpoint-open]').trigger('click');
    await flush();
    const params = calls[0][1] as Record<string, unknown>;
    expect(params).toMatchObject({ retransmit: true, congestion: 'newreno', initialWindow: 4, ssthresh: 8000, sackRecovery: false, idleRestart: false });
    expect(() => methodValidators.openEndpoint.params(params)).not.toThrow();
    // 'none' hides the window's fields (it has no window).
    await wrapper.get('[data-testid=endpoint-congestion-algorithm]').setValue('none');
    expect(wrapper.find('[data-testid=endpoint-initial-window]').exists()).toBe(false);
    // The contract itself refuses what the form would: every IPC argument is checked at the boundary.
    expect(() => methodValidators.openEndpoint.params({ ...params, initialWindow: 0 })).toThrow();
    expect(() => methodValidators.openEndpoint.params({ ...params, ssthresh: 1.5 })).toThrow();
    expect(() => methodValidators.openEndpoint.params({ ...params, sackRecovery: 'yes' })).toThrow();
  });

  it('connects with the form\'s values, sends text byte for byte, shows states and received text', async () => {
    const wrapper = mount(EndpointPanel);
    await wrapper.get('[data-testid=endpoint-remote]').setValue('198.18.0.2');
    await wrapper.get('[data-testid=endpoint-remote-port]').setValue('80');
    await wrapper.get('[data-testid=endpoint-retransmit]').setValue(true);
    await wrapper.get('[data-testid=endpoint-open]').trigger('click');
    await flush();
    expect(calls[0]).toEqual([
      'openEndpoint',
      { interface: 'veth0', local: '198.18.0.11', localPort: null, remote: '198.18.0.2', remotePort: 80, retransmit: true, congestion: 'newreno', initialWindow: null, ssthresh: null, sackRecovery: true, idleRestart: true, keepaliveSeconds: null, step: false, isn: null, mss: null, windowScale: 7, sack: true, timestamps: true },
    ]);
    const store = useEndpointStore();
    const emit = (event: ApiEvent) => store.handleEvent(event);
    emit({ type: 'endpoint-state', endpointId: 'e1', from: 'SYN_SENT', to: 'ESTABLISHED', why: 'received SYN+ACK', time: 0.001 });
    emit({ type: 'endpoint-state', endpointId: 'other', from: 'X', to: 'LISTEN', why: '', time: 0 });
    await nextTick();
    expect(wrapper.get('[data-testid=endpoint-state]').text()).toBe('ESTABLISHED');
    // A browser's text box hands over bare LF (the HTML standard normalises CR LF): each becomes CR LF by default.
    await wrapper.get('[data-testid=endpoint-text]').setValue('GET / HTTP/1.0\n\n');
    await wrapper.get('[data-testid=endpoint-send]').trigger('click');
    await flush();
    expect(calls[1]).toEqual(['endpointSend', { endpointId: 'e1', text: 'GET / HTTP/1.0\r\n\r\n' }]);
    await wrapper.get('[data-testid=endpoint-line-break]').setValue('lf');
    await wrapper.get('[data-testid=endpoint-send]').trigger('click');
    await flush();
    expect(calls[2]).toEqual(['endpointSend', { endpointId: 'e1', text: 'GET / HTTP/1.0\n\n' }]);
    emit({ type: 'endpoint-data', endpointId: 'e1', bytes: 8, total: 8, text: 'HTTP/1.0', time: 0.01 });
    await nextTick();
    expect(wrapper.get('[data-testid=endpoint-received]').text()).toBe('HTTP/1.0');
    await wrapper.get('[data-testid=endpoint-fin]').trigger('click');
    await flush();
    expect(calls[3]).toEqual(['endpointClose', { endpointId: 'e1', how: 'fin' }]);
    emit({ type: 'endpoint-end', endpointId: 'e1', ok: true, reason: 'closed (both FINs acknowledged)', bytesSent: 18, bytesReceived: 8, retransmissions: 0, error: null });
    await nextTick();
    expect(wrapper.get('[data-testid=endpoint-log]').text()).toContain('ended: closed (both FINs acknowledged)');
    expect(wrapper.get('[data-testid=endpoint-send]').attributes('disabled')).toBeDefined();
  });

  it('step mode shows the next segment and sends only the fields the user changed', async () => {
    const wrapper = mount(EndpointPanel);
    await wrapper.get('[data-testid=endpoint-remote]').setValue('198.18.0.2');
    await wrapper.get('[data-testid=endpoint-remote-port]').setValue('80');
    await wrapper.get('[data-testid=endpoint-step-mode]').setValue(true);
    await wrapper.get('[data-testid=endpoint-open]').trigger('click');
    await flush();
    await nextTick();
    expect(wrapper.get('[data-testid=endpoint-proposal]').text()).toContain('next (syn): S 0:0(0) win 65535');
    await wrapper.get('[data-testid=endpoint-edit-window]').setValue('1234');
    await wrapper.get('[data-testid=endpoint-step]').trigger('click');
    await flush();
    expect(calls.find(([method]) => method === 'endpointStep')).toEqual(['endpointStep', { endpointId: 'e1', edit: { seq: undefined, ack: undefined, window: 1234 } }]);
    expect(wrapper.get('[data-testid=endpoint-log]').text()).toContain('< S 0:0(0) win 1234');
    await nextTick();
    expect(wrapper.get('[data-testid=endpoint-proposal]').text()).toContain('nothing to send now');
  });

  it('listening for several peers: each accepted conversation is listed, and Send and Close act on the one chosen', async () => {
    const wrapper = mount(EndpointPanel);
    await wrapper.get('[data-testid=endpoint-listen-mode]').setValue(true);
    await wrapper.get('[data-testid=endpoint-local-port]').setValue('7000');
    await wrapper.get('[data-testid=endpoint-connections]').setValue('2');
    await wrapper.get('[data-testid=endpoint-open]').trigger('click');
    await flush();
    expect(calls[0][1]).toMatchObject({ remote: null, remotePort: null, localPort: 7000, connections: 2 });
    const store = useEndpointStore();
    store.handleEvent({ type: 'endpoint-accepted', endpointId: 'e1', connectionId: 'e1c1', peer: '198.18.0.2:50001', time: 0.1 });
    store.handleEvent({ type: 'endpoint-accepted', endpointId: 'e1', connectionId: 'e1c2', peer: '198.18.0.2:50002', time: 0.2 });
    store.handleEvent({ type: 'endpoint-state', endpointId: 'e1c2', from: 'SYN_RECEIVED', to: 'ESTABLISHED', why: 'ACK of our SYN', time: 0.3 });
    await flush();
    const options = wrapper.findAll('[data-testid=endpoint-connection] option').map((option) => option.text());
    expect(options).toEqual(['198.18.0.2:50001 · LISTEN', '198.18.0.2:50002 · ESTABLISHED']);
    // The first accepted is chosen; the second's state is logged under its peer.
    expect(wrapper.get('[data-testid=endpoint-log]').text()).toContain('[198.18.0.2:50002] 0.300  ESTABLISHED');
    await wrapper.get('[data-testid=endpoint-connection]').setValue('e1c2');
    await flush();
    expect(wrapper.get('[data-testid=endpoint-state]').text()).toBe('ESTABLISHED');
    await wrapper.get('[data-testid=endpoint-text]').setValue('hi');
    await wrapper.get('[data-testid=endpoint-send]').trigger('click');
    await flush();
    expect(calls.find(([method]) => method === 'endpointSend')).toEqual(['endpointSend', { endpointId: 'e1c2', text: 'hi' }]);
    await wrapper.get('[data-testid=endpoint-fin]').trigger('click');
    await flush();
    expect(calls.find(([method]) => method === 'endpointClose')).toEqual(['endpointClose', { endpointId: 'e1c2', how: 'fin' }]);
  });
});
