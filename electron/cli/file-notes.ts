/**
 * What the file commands say about a capture file that is not quite right. Its own module:
 * analyze, flow, follow and compare need these two lines, not decode's module graph (its output
 * thread and display-filter machinery would load at their start).
 */
import type { AboveSnaplen, CaptureFileError } from '../../shared/files';

/** One stderr note (not an error) for records longer than the file says it captured. */
export function noteAboveSnaplen(command: string, above: AboveSnaplen): void {
  if (above.frames === 0) return;
  process.stderr.write(
    `handshake ${command}: note: ${above.frames} frame${above.frames === 1 ? '' : 's'} (first: frame ${above.first}) captured more bytes than the file's snaplen ${above.snaplen}; read anyway, as libpcap does\n`,
  );
}

export function damageText(damage: CaptureFileError): string {
  return `damaged from byte ${damage.offset} (frame ${damage.frameNumber} on): ${damage.reason}; frames before it were read`;
}
