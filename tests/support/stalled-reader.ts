/**
 * Runs a command while nobody reads its stdout (a stalled `| jq`, a pager left open), then
 * reads it all, and reports the command's peak resident set (VmHWM, Linux) as it exits.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const PEAK_PRELOAD = `process.on('exit', () => {
  const status = require('fs').readFileSync('/proc/self/status', 'utf8');
  require('fs').writeSync(2, 'peak-rss-kb ' + /VmHWM:\\s*(\\d+)/.exec(status)[1] + '\\n');
});`;

export interface StalledRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Peak resident set in kB, NaN if the process died before it could say. */
  peakKb: number;
}

/** Writes the preload that reports the peak RSS into `directory`; pass its path to runWithStalledReader. */
export function writePeakPreload(directory: string): string {
  const file = path.join(directory, 'peak-rss.cjs');
  writeFileSync(file, PEAK_PRELOAD);
  return file;
}

/** Runs `node -r preload ARGS…`; its stdout is not read until `resume` (ms, or a promise) has passed. */
export function runWithStalledReader(preload: string, args: string[], resume: number | Promise<unknown>, env: NodeJS.ProcessEnv = process.env): Promise<StalledRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', preload, ...args], { env });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const chunks: Buffer[] = [];
    // No 'data' listener yet: the pipe fills and the writer has to wait (or buffer).
    const startReading = () => child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    if (typeof resume === 'number') setTimeout(startReading, resume);
    else void resume.finally(startReading);
    child.on('close', (code) => {
      const peak = /peak-rss-kb (\d+)/.exec(stderr);
      resolve({ code, stdout: Buffer.concat(chunks).toString(), stderr, peakKb: peak ? Number(peak[1]) : Number.NaN });
    });
  });
}
