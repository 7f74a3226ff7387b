/**
 * Capture files: streaming pcap/pcapng reader, pcap/pcapng writers, timestamps.
 * Environment-neutral; the Node file adapter is electron/engine/capture-file.ts.
 *
 *   const reader = new CaptureReader({ onFrame(frame) { … frame.buffer[frame.bufferOffset] … } });
 *   reader.push(chunk);   // any number of times, chunks of any size
 *   reader.end();         // throws CaptureFileError (offset, frameNumber, reason) on damage
 *
 *   const writer = new PcapngWriter((block) => append(block));
 *   const id = writer.addInterface({ linkType: 1, name: 'eth0' });
 *   writer.writeFrame({ interfaceId: id, tsSeconds, tsNanos, data });
 */
export { CaptureReader, type AboveSnaplen, type CaptureReaderOptions } from './reader';
export { PcapWriter, PcapngWriter } from './writer';
export { PCAP_MAGIC_MICROSECONDS, PCAP_MAGIC_NANOSECONDS, PCAPNG_BYTE_ORDER_MAGIC, PcapngBlockType, PcapngOption, SecretsType } from './format';
export { formatEpoch, TimestampScale, toTimestampUnits } from './timestamp';
export { decodeUtf8, encodeUtf8 } from './utf8';
export {
  CaptureFileError,
  MAX_CAPTURED_LENGTH,
  UNNAMED_INTERFACE,
  type CaptureDamageKind,
  type CaptureFormat,
  type CaptureFrame,
  type CaptureHandlers,
  type CaptureInterface,
  type CaptureSection,
  type ChunkSink,
  type FrameToWrite,
  type InterfaceStatistics,
  type InterfaceToWrite,
  type SectionToWrite,
} from './types';
