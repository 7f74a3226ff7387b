/**
 * "Export crafted frames": writes frames built in the editor to a pcap/pcapng file,
 * stamped with the time of export (they were never on a wire).
 */
import { ApiError, type ExportParams } from '../../shared/api';
import { fromHex } from '../../shared/wire/bytes';
import { createCaptureFileWriter } from './capture-file';

export async function exportFrames(params: ExportParams): Promise<{ path: string; frames: number }> {
  let writer;
  try {
    writer = createCaptureFileWriter(params.path, params.format, {
      interfaces: [{ linkType: params.linkType, name: 'crafted', description: 'frames built in Handshake Workbench' }],
      target: { overwrite: params.overwrite === true },
    });
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new ApiError('failed', `cannot write ${params.path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    params.framesHex.forEach((hex, i) => {
      // Microsecond steps keep the frames in order in any viewer.
      const ns = nowNs + BigInt(i) * 1000n;
      writer.writeFrame({
        interfaceId: 0,
        tsSeconds: Number(ns / 1_000_000_000n),
        tsNanos: Number(ns % 1_000_000_000n),
        data: fromHex(hex),
      });
    });
    return { path: params.path, frames: writer.framesWritten };
  } finally {
    writer.close();
  }
}
