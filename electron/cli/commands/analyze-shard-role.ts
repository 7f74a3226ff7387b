/** workerData.role of analyze's second tracking thread (analyze-shard.ts), apart so the launcher need not load that module. */
export const ANALYZE_SHARD_ROLE = 'handshake-analyze-shard';
