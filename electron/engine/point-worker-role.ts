/**
 * How compare's file-reading thread is told apart (electron/engine/point-reader.ts): its first
 * argument. Its own module, so the CLI checks it without loading node:worker_threads.
 */
export const POINT_WORKER_ROLE = 'handshake-compare-point';
