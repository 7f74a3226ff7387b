// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CapturePermission, WorkbenchApi } from '../../../shared/api';
import { setApi } from '../../../renderer/src/api/instance';
import PermissionCheck from '../../../renderer/src/components/PermissionCheck.vue';
import { FIRST_RUN_KEY, useSystemStore } from '../../../renderer/src/stores/system';
import { permissionOutcome } from '../../../electron/engine/system-info';

/** What the engine answers for a probe that hit a missing privilege on `platform` (the real guide text). */
function deniedOn(platform: string): CapturePermission {
  return permissionOutcome({ ok: false, device: 'lo', message: 'socket: Operation not permitted', permission: true }, platform);
}
const granted: CapturePermission = permissionOutcome({ ok: true, device: 'lo', message: null, permission: false }, 'linux');

function fakeApi(answers: Array<CapturePermission | Error>) {
  const checkCapturePermission = vi.fn(async () => {
    const next = answers.length > 1 ? answers.shift() : answers[0];
    if (next instanceof Error) throw next;
    return next as CapturePermission;
  });
  setApi({ checkCapturePermission } as unknown as WorkbenchApi);
  return checkCapturePermission;
}

async function mountPanel() {
  const wrapper = mount(PermissionCheck, { attachTo: document.body });
  await flushPromises();
  return wrapper;
}

describe('capture-permission check', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    localStorage.clear();
  });
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it('on first run with permission, says so briefly and remembers that it checked', async () => {
    const check = fakeApi([granted]);
    const wrapper = await mountPanel();
    expect(check).toHaveBeenCalledTimes(1);
    expect(wrapper.find('[data-testid="permission-check"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="permission-confirmation"]').text()).toContain('Capture works');
    expect(wrapper.get('[data-testid="permission-confirmation"]').attributes('role')).toBe('status');
    expect(localStorage.getItem(FIRST_RUN_KEY)).not.toBeNull();
  });

  it('does not check again on later starts', async () => {
    localStorage.setItem(FIRST_RUN_KEY, '2026-01-01T00:00:00.000Z');
    const check = fakeApi([deniedOn('linux')]);
    const wrapper = await mountPanel();
    expect(check).not.toHaveBeenCalled();
    expect(wrapper.find('[data-testid="permission-check"]').exists()).toBe(false);
  });

  it('on Linux, walks through the deb, AppImage and source steps with the commands marked as code', async () => {
    fakeApi([deniedOn('linux')]);
    const wrapper = await mountPanel();
    const panel = wrapper.get('[data-testid="permission-check"]');
    expect(panel.attributes('role')).toBe('dialog');
    expect(panel.attributes('aria-labelledby')).toBe('permission-title');
    expect(wrapper.get('[data-testid="permission-message"]').text()).toContain('Operation not permitted');
    expect(wrapper.get('[data-testid="permission-advice"]').text()).toContain('On Linux');
    const steps = wrapper.get('[data-testid="permission-steps"]');
    expect(steps.attributes('aria-label')).toBe('Steps for Linux');
    const items = steps.findAll('li').map((item) => item.text());
    expect(items.some((text) => text.includes('.deb'))).toBe(true);
    expect(items.some((text) => text.includes('AppImage'))).toBe(true);
    expect(items.some((text) => text.includes('pkexec'))).toBe(true);
    const commands = steps.findAll('code').map((code) => code.text());
    expect(commands).toContain('sudo usermod -aG handshake-capture $USER');
    expect(commands).toContain('setup-capture.sh');
    // Focus moves to the panel so a keyboard user lands on it.
    expect(document.activeElement).toBe(panel.element);
  });

  it('on macOS, names ChmodBPF and the access_bpf group', async () => {
    fakeApi([deniedOn('darwin')]);
    const wrapper = await mountPanel();
    expect(wrapper.get('[data-testid="permission-advice"]').text()).toContain('On macOS');
    const text = wrapper.get('[data-testid="permission-steps"]').text();
    expect(text).toContain('ChmodBPF');
    expect(text).toContain('access_bpf');
  });

  it('on Windows, asks for Npcap in WinPcap API-compatible mode', async () => {
    fakeApi([deniedOn('win32')]);
    const wrapper = await mountPanel();
    expect(wrapper.get('[data-testid="permission-advice"]').text()).toContain('On Windows');
    expect(wrapper.get('[data-testid="permission-steps"]').text()).toContain('WinPcap API-compatible mode');
  });

  it('Check again asks the backend again and shows success once the user fixed it', async () => {
    const check = fakeApi([deniedOn('linux'), granted]);
    const wrapper = await mountPanel();
    await wrapper.get('[data-testid="permission-check-again"]').trigger('click');
    await flushPromises();
    expect(check).toHaveBeenCalledTimes(2);
    const panel = wrapper.get('[data-testid="permission-check"]');
    expect(panel.classes()).toContain('ok');
    expect(wrapper.get('[data-testid="permission-message"]').text()).toContain('Capture works');
    expect(wrapper.find('[data-testid="permission-steps"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="permission-check-again"]').exists()).toBe(false);
    await wrapper.get('[data-testid="permission-close"]').trigger('click');
    expect(wrapper.find('[data-testid="permission-check"]').exists()).toBe(false);
  });

  it('a failure that is not about permission shows the reason without setup steps', async () => {
    fakeApi([permissionOutcome({ ok: false, device: 'eth9', message: 'No such device exists', permission: false }, 'linux')]);
    const wrapper = await mountPanel();
    expect(wrapper.get('[data-testid="permission-message"]').text()).toContain('No such device exists');
    expect(wrapper.find('[data-testid="permission-steps"]').exists()).toBe(false);
  });

  it('when the engine does not answer on first run, nothing pops up and the next start checks again', async () => {
    fakeApi([new Error('the engine is not running')]);
    const wrapper = await mountPanel();
    expect(wrapper.find('[data-testid="permission-check"]').exists()).toBe(false);
    expect(localStorage.getItem(FIRST_RUN_KEY)).toBeNull();
  });

  it('from the Help menu, the panel opens whatever the outcome and shows a failed call', async () => {
    localStorage.setItem(FIRST_RUN_KEY, 'done');
    fakeApi([new Error('the engine is not running')]);
    const wrapper = await mountPanel();
    await useSystemStore().checkPermission(true);
    await flushPromises();
    expect(wrapper.get('[data-testid="permission-message"]').text()).toContain('The check could not run: the engine is not running');
    expect(wrapper.find('[data-testid="permission-check-again"]').exists()).toBe(true);
  });
});
