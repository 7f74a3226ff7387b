/// <reference types="vite/client" />
import type { WorkbenchApi } from '../../shared/api';

declare global {
  interface Window {
    /** Present in the Electron window only: the typed API the preload exposes. */
    handshake?: WorkbenchApi;
  }
}
