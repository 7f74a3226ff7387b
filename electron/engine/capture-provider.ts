/**
 * The seam between the backend and live capture: what the backend needs from the
 * capture helper side (interfaces, BPF validation, injection). The capture session
 * module implements it; the backend stays usable without it (files only).
 */
import type { InterfaceInfo, SendParams, SendResult } from '../../shared/api';
import type { HelloResult, ProbePermissionResult } from '../helper/protocol';

export interface CaptureProvider {
  listInterfaces(): Promise<InterfaceInfo[]>;
  validateBpf(filter: string, linkType: number): Promise<{ ok: boolean; message: string | null }>;
  /**
   * Sends the frames and waits for the reply, as `handshake send` does (electron/engine/exchange.ts);
   * `onSent` sees each frame as it went on the wire.
   */
  send(params: SendParams, onSent?: (bytes: Uint8Array) => void): Promise<Omit<SendResult, 'sessionId'>>;
  /** The helper's hello: its platform, timestamp source, cap and libpcap versions. */
  describe?(): Promise<HelloResult>;
  /** Asks a fresh helper to open a capture that matches nothing; `platform` is the helper's OS. */
  probePermission?(): Promise<ProbePermissionResult & { platform: string }>;
}
