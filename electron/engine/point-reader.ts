/**
 * One capture file read as one compare point. From a bundle, the file is read in a worker thread
 * running the same bundle (see `servePointWorker`), so `compare A B` reads B while A is read on
 * the main thread; the finished columns come back as transferred buffers, not copies.
 */
import { statSync } from 'node:fs';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { CapturePoint, type FinishedPoint } from '../../shared/compare';
import { CaptureFileError } from '../../shared/files';
import { readCaptureFile } from './capture-file';
import { POINT_WORKER_ROLE as ROLE } from './point-worker-role';

export interface FilePoint {
  point: CapturePoint;
  damage: CaptureFileError | undefined;
}

type WorkerReply =
  | { point: FinishedPoint; damage: { kind: CaptureFileError['kind']; offset: number; frameNumber: number; reason: string } | null }
  | { error: { message: string; code: string | undefined } };

/**
 * A guess at a file's frame count for sizing a point's columns: one per 256 bytes (bench:compare's
 * captures average 315), at most 4 million; a wrong guess only costs a copy when the columns grow.
 */
function expectedFrames(file: string): number {
  try {
    return Math.min(statSync(file).size / 256, 4_000_000);
  } catch {
    return 1024;
  }
}

/** Reads the file into a point on this thread. */
export async function readPointHere(file: string): Promise<FilePoint> {
  const point = new CapturePoint(expectedFrames(file));
  const result = await readCaptureFile(file, { onFrame: (frame) => point.add(frame) });
  point.finish();
  return { point, damage: result.damage };
}

/**
 * Reads the file into a point in a worker thread when this code runs from a bundled .cjs file
 * (the worker runs that bundle), else on this thread (TypeScript run from source, as in tests).
 * A failure to read rejects as `readPointHere` would: I/O errors keep their `code`.
 */
export function readPoint(file: string): Promise<FilePoint> {
  if (!__filename.endsWith('.cjs')) return readPointHere(file);
  return new Promise((resolve, reject) => {
    let worker: Worker;
    try {
      worker = new Worker(__filename, { workerData: { role: ROLE, file }, argv: [ROLE] });
    } catch {
      resolve(readPointHere(file));
      return;
    }
    let replied = false;
    worker.once('message', (reply: WorkerReply) => {
      replied = true;
      void worker.terminate();
      if ('error' in reply) {
        reject(Object.assign(new Error(reply.error.message), reply.error.code === undefined ? {} : { code: reply.error.code }));
        return;
      }
      const damage = reply.damage === null ? undefined : new CaptureFileError(reply.damage.kind, reply.damage.offset, reply.damage.frameNumber, reply.damage.reason);
      resolve({ point: CapturePoint.fromFinished(reply.point), damage });
    });
    // A worker that cannot run (no threads here) leaves the reading to this thread.
    worker.once('error', () => {
      if (!replied) resolve(readPointHere(file));
    });
    worker.once('exit', (code) => {
      if (!replied) reject(new Error(`the thread reading ${file} stopped (exit code ${code})`));
    });
  });
}

/** In a compare-point worker: reads the file it was given, replies, and returns true. Elsewhere false. */
export function servePointWorker(): boolean {
  const data = workerData as { role?: unknown; file?: unknown } | null;
  if (isMainThread || parentPort === null || data?.role !== ROLE || typeof data.file !== 'string') return false;
  const port = parentPort;
  readPointHere(data.file).then(
    ({ point, damage }) => {
      const { data: finished, transfer } = point.finished();
      const reply: WorkerReply = { point: finished, damage: damage ? { kind: damage.kind, offset: damage.offset, frameNumber: damage.frameNumber, reason: damage.reason } : null };
      port.postMessage(reply, transfer);
    },
    (error: unknown) => {
      const code = (error as NodeJS.ErrnoException | undefined)?.code;
      const reply: WorkerReply = { error: { message: error instanceof Error ? error.message : String(error), code: typeof code === 'string' ? code : undefined } };
      port.postMessage(reply);
    },
  );
  return true;
}
