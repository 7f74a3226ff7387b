import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { CapturePermission, SystemInfo } from '../../../shared/api';
import { useApi } from '../api/instance';

/** Set once the first-run permission check has produced an answer (a failed call retries next start). */
export const FIRST_RUN_KEY = 'handshake-capture-permission-checked';

/**
 * The Chromium version in a user agent ("… Chrome/140.0.7339.80 …", also HeadlessChrome), or
 * null. Chromium's reduced user agent says "156.0.0.0": only the major version is real then.
 */
export function chromeFromUserAgent(userAgent: string): string | null {
  const match = /(?:Headless)?Chrome\/(\d+(?:\.\d+)*)/.exec(userAgent);
  if (!match) return null;
  const reduced = /^(\d+)\.0\.0\.0$/.exec(match[1]);
  return reduced ? `${reduced[1]} (the user agent gives only the major version)` : match[1];
}

/** The User-Agent Client Hints API (Chromium only; not in TypeScript's DOM library yet). */
interface UserAgentData {
  getHighEntropyValues(hints: string[]): Promise<{ fullVersionList?: { brand: string; version: string }[] }>;
}

/** This page's Chromium version: the full one from client hints, else what the user agent string tells. */
async function pageChromeVersion(): Promise<string | null> {
  if (typeof navigator === 'undefined') return null;
  const hints = (navigator as Navigator & { userAgentData?: UserAgentData }).userAgentData;
  try {
    const brands = (await hints?.getHighEntropyValues(['fullVersionList']))?.fullVersionList ?? [];
    const chromium = brands.find((entry) => entry.brand === 'Chromium');
    if (chromium) return chromium.version;
  } catch {
    // client hints refused (insecure context): fall back to the user agent string
  }
  return chromeFromUserAgent(navigator.userAgent);
}

/** The About box's versions and the capture-permission check. */
export const useSystemStore = defineStore('system', () => {
  const info = ref<SystemInfo | null>(null);
  const infoError = ref<string | null>(null);
  const aboutOpen = ref(false);

  const permission = ref<CapturePermission | null>(null);
  const permissionError = ref<string | null>(null);
  const checking = ref(false);
  /** The permission panel is showing (a failure, or the user asked from the menu). */
  const permissionOpen = ref(false);
  /** A short-lived "capture works" confirmation after a first-run check that passed. */
  const confirmation = ref<string | null>(null);

  async function loadInfo(): Promise<void> {
    infoError.value = null;
    try {
      const answer = await useApi().systemInfo(null);
      // The browser host's engine is plain Node; the Chromium in question is the one showing this page.
      const chrome = answer.chrome ?? (await pageChromeVersion());
      info.value = { ...answer, chrome };
    } catch (error) {
      infoError.value = error instanceof Error ? error.message : String(error);
    }
  }

  function openAbout(): void {
    aboutOpen.value = true;
    void loadInfo();
  }

  /**
   * Runs the check. `show`: open the panel whatever the outcome (the menu); otherwise only on
   * failure. Resolves false when no answer came (the error is kept for the panel).
   */
  async function checkPermission(show: boolean): Promise<boolean> {
    if (checking.value) return false;
    checking.value = true;
    permissionError.value = null;
    if (show) permissionOpen.value = true;
    try {
      permission.value = await useApi().checkCapturePermission(null);
      if (!permission.value.ok) permissionOpen.value = true;
      else if (!show) confirmation.value = permission.value.message;
      return true;
    } catch (error) {
      permissionError.value = error instanceof Error ? error.message : String(error);
      if (show) permissionOpen.value = true;
      return false;
    } finally {
      checking.value = false;
    }
  }

  /** On the very first start only: check, and remember that it was done. */
  async function firstRunCheck(): Promise<void> {
    if (typeof localStorage === 'undefined' || localStorage.getItem(FIRST_RUN_KEY)) return;
    // No answer (engine not ready): try again on the next start.
    if (!(await checkPermission(false))) return;
    localStorage.setItem(FIRST_RUN_KEY, new Date().toISOString());
  }

  function closePermission(): void {
    permissionOpen.value = false;
  }

  return {
    info,
    infoError,
    aboutOpen,
    permission,
    permissionError,
    checking,
    permissionOpen,
    confirmation,
    loadInfo,
    openAbout,
    checkPermission,
    firstRunCheck,
    closePermission,
  };
});
