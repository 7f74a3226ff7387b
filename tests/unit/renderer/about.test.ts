// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SystemInfo, WorkbenchApi } from '../../../shared/api';
import { setApi } from '../../../renderer/src/api/instance';
import AboutDialog from '../../../renderer/src/components/AboutDialog.vue';
import { chromeFromUserAgent, useSystemStore } from '../../../renderer/src/stores/system';

const electronInfo: SystemInfo = {
  app: '0.1.0',
  electron: '38.8.6',
  node: '22.20.0',
  chrome: '140.0.7339.249',
  cap: '0.2.1',
  libpcap: '1.10.3',
  platform: 'linux',
  timestampSource: 'arrival time in the capture helper, about 1 µs resolution',
};

function fakeApi(info: SystemInfo) {
  const api = {
    systemInfo: vi.fn(async () => info),
    checkCapturePermission: vi.fn(async () => ({ ok: true, platform: 'linux', message: 'Capture works', advice: '', steps: [] })),
  };
  setApi(api as unknown as WorkbenchApi);
  return api;
}

function cell(wrapper: ReturnType<typeof mount>, id: string): string {
  return wrapper.get(`[data-testid="about-${id}"] td`).text();
}

describe('About dialog', () => {
  beforeEach(() => setActivePinia(createPinia()));
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it('shows every version and the timestamp precision statement, as a labelled modal dialog', async () => {
    fakeApi(electronInfo);
    const wrapper = mount(AboutDialog, { attachTo: document.body });
    useSystemStore().openAbout();
    await flushPromises();
    const dialog = wrapper.get('[data-testid="about-dialog"]');
    expect(dialog.attributes()).toMatchObject({ role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'about-title' });
    expect(wrapper.get('#about-title').text()).toBe('About Handshake Workbench');
    expect(cell(wrapper, 'app')).toBe('0.1.0');
    expect(cell(wrapper, 'electron')).toBe('38.8.6');
    expect(cell(wrapper, 'node')).toBe('22.20.0');
    expect(cell(wrapper, 'chrome')).toBe('140.0.7339.249');
    expect(cell(wrapper, 'cap')).toBe('0.2.1');
    expect(cell(wrapper, 'libpcap')).toBe('1.10.3');
    expect(wrapper.get('[data-testid="about-timestamps"]').text()).toContain('about 1 µs');
    // Keyboard: focus starts on Close; Escape closes.
    expect(document.activeElement).toBe(wrapper.get('[data-testid="about-close"]').element);
    await dialog.trigger('keydown', { key: 'Escape' });
    expect(wrapper.find('[data-testid="about-dialog"]').exists()).toBe(false);
  });

  it('in the browser host, says Electron is not there and takes Chromium from the user agent', async () => {
    fakeApi({ ...electronInfo, electron: null, chrome: null });
    const userAgent = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/142.0.7444.59 Safari/537.36';
    const spy = vi.spyOn(navigator, 'userAgent', 'get').mockReturnValue(userAgent);
    try {
      const wrapper = mount(AboutDialog, { attachTo: document.body });
      useSystemStore().openAbout();
      await flushPromises();
      expect(cell(wrapper, 'electron')).toContain('not running in Electron');
      expect(cell(wrapper, 'chrome')).toBe('142.0.7444.59');
    } finally {
      spy.mockRestore();
    }
  });

  it('reads Chromium versions from real user-agent shapes and nothing from others', () => {
    expect(chromeFromUserAgent('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) handshake-workbench/0.1.0 Chrome/140.0.7339.249 Electron/38.8.6 Safari/537.36')).toBe('140.0.7339.249');
    expect(chromeFromUserAgent('Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0')).toBeNull();
    // Chromium's reduced user agent hides all but the major version; the dialog must not present 156.0.0.0 as a version.
    expect(chromeFromUserAgent('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36')).toBe(
      '156 (the user agent gives only the major version)',
    );
  });

  it('shows why when the versions cannot be fetched', async () => {
    setApi({ systemInfo: vi.fn(async () => Promise.reject(new Error('the engine is not running'))) } as unknown as WorkbenchApi);
    const wrapper = mount(AboutDialog, { attachTo: document.body });
    useSystemStore().openAbout();
    await flushPromises();
    expect(wrapper.get('[role="alert"]').text()).toContain('the engine is not running');
  });

  it('Tab stays inside the dialog, and its button starts the permission check', async () => {
    const api = fakeApi(electronInfo);
    const wrapper = mount(AboutDialog, { attachTo: document.body });
    useSystemStore().openAbout();
    await flushPromises();
    const close = wrapper.get('[data-testid="about-close"]');
    const check = wrapper.get('[data-testid="about-check-permission"]');
    await close.trigger('keydown', { key: 'Tab' });
    expect(document.activeElement).toBe(check.element);
    await check.trigger('click');
    await flushPromises();
    expect(api.checkCapturePermission).toHaveBeenCalledTimes(1);
    expect(useSystemStore().permissionOpen).toBe(true);
    expect(wrapper.find('[data-testid="about-dialog"]').exists()).toBe(false);
  });
});
