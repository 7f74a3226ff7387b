/** What `handshake analyze` prints: connection objects, alert objects, and the human text blocks. */
import type { JsonObject } from './json';
import type { SynFloodAlert } from './synflood';

export { connectionToJson } from './json';
export { renderConnection } from './ladder';

/** cli.md's alert object (the detector already builds it in that shape; this copies it). */
export function alertToJson(alert: SynFloodAlert): JsonObject {
  return { ...alert, sample_sources: [...alert.sample_sources], sample_frames: [...alert.sample_frames] };
}
