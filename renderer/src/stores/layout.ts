import { defineStore } from 'pinia';
import { ref, watch } from 'vue';

/** Pane sizes in percent of their splitter, by splitter name. */
export type PaneSizes = Record<string, number[]>;

export const PANES_KEY = 'handshake.panes.v1';

const DEFAULTS: PaneSizes = {
  // Packet list over the lower panes; tree | hex | explain.
  packets: [55, 45],
  lower: [40, 35, 25],
  ladder: [72, 28],
};

/** Stored sizes that are numbers adding up to about 100 and match the splitter's pane count; else the defaults. */
export function parsePanes(text: string | null): PaneSizes {
  const out: PaneSizes = structuredClone(DEFAULTS);
  if (!text) return out;
  let stored: unknown;
  try {
    stored = JSON.parse(text);
  } catch {
    return out;
  }
  if (typeof stored !== 'object' || stored === null) return out;
  for (const [name, sizes] of Object.entries(DEFAULTS)) {
    const candidate = (stored as Record<string, unknown>)[name];
    if (!Array.isArray(candidate) || candidate.length !== sizes.length) continue;
    if (!candidate.every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0 && n <= 100)) continue;
    const sum = (candidate as number[]).reduce((a, b) => a + b, 0);
    if (Math.abs(sum - 100) < 1) out[name] = candidate as number[];
  }
  return out;
}

/** The splitters' positions (packet list / detail / bytes / explain, ladder / explain), kept in localStorage. */
export const useLayoutStore = defineStore('layout', () => {
  const sizes = ref<PaneSizes>(parsePanes(typeof localStorage !== 'undefined' ? localStorage.getItem(PANES_KEY) : null));
  watch(
    sizes,
    (value) => {
      if (typeof localStorage !== 'undefined') localStorage.setItem(PANES_KEY, JSON.stringify(value));
    },
    { deep: true },
  );

  /** splitpanes' `resized` event: `{ panes: [{ size }] }`. */
  function resized(name: string, event: { panes?: { size: number }[] }): void {
    const panes = event.panes;
    if (!panes || panes.length !== sizes.value[name]?.length) return;
    sizes.value[name] = panes.map((pane) => Math.round(pane.size * 100) / 100);
  }

  function reset(): void {
    sizes.value = structuredClone(DEFAULTS);
  }

  return { sizes, resized, reset };
});
