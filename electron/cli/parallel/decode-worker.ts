/**
 * The worker thread of `decode --json` on two threads (parallel/json-pipe.ts): writes the lines
 * of each batch it is sent and sends them back, in order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { batchTransfers, JsonBatchDecoder } from './json-batch';
import type { DecodedBatch, WorkerMessage } from './json-pipe';

const port = parentPort!;
const decoder = new JsonBatchDecoder((workerData as { tlsKeys: boolean }).tlsKeys);
port.on('message', (message: WorkerMessage) => {
  if ('end' in message) {
    port.close();
    return;
  }
  if ('free' in message) {
    decoder.recycle(message.free);
    return;
  }
  const { sequence, batch } = message;
  const lines = decoder.decode(batch);
  const out = new Uint8Array(lines.buffer);
  const reply: DecodedBatch = { sequence, out, length: lines.length, meta: batch.meta, bytes: batch.bytes, lines: batch.lines };
  port.postMessage(reply, [out.buffer as ArrayBuffer, ...batchTransfers(batch)]);
});
port.postMessage('ready');
