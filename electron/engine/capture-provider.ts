/**
 * The seam between the backend and live capture: what the backend needs from the
 * capture helper side (interfaces, BPF validation, injection). The capture session
 * module implements it; the backend stays usable without it (files only).
 */
import type { InterfaceInfo, SendParams } from '../../shared/api';

export interface CaptureProvider {
  listInterfaces(): Promise<InterfaceInfo[]>;
  validateBpf(filter: string, linkType: number): Promise<{ ok: boolean; message: string | null }>;
  /** Sends the frames; resolves with the number of frames that went out. */
  send(params: SendParams): Promise<number>;
}
