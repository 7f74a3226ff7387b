/**
 * Runs the `handshake` command the way users do (the bundled CLI entry), built once per
 * test file into its own output so concurrent test files never race on one bundle.
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { buildSync } from 'esbuild';
import { bundleForTest, ROOT } from './bundle';

export { ROOT };

export function buildCli(): string {
  return bundleForTest('handshake', 'electron/cli/handshake.ts');
}

/**
 * The CLI with `decode --json`'s worker beside it, as build-node.mjs puts them in out/node, in
 * `directory` (one per test file: the worker's name is fixed). Without it a large file's
 * `decode --json` falls back to one thread.
 */
export function buildCliWithWorker(directory: string): string {
  const entries = [
    ['electron/cli/handshake.ts', 'handshake.cjs'],
    ['electron/cli/parallel/decode-worker.ts', 'decode-worker.cjs'],
  ];
  for (const [entry, name] of entries) {
    buildSync({ entryPoints: [path.join(ROOT, entry)], outfile: path.join(directory, name), bundle: true, platform: 'node', target: 'node20', format: 'cjs', external: ['cap', 'electron'], logLevel: 'error' });
  }
  return path.join(directory, 'handshake.cjs');
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCliSync(cli: string, args: string[], env: NodeJS.ProcessEnv = {}): CliRun {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, ...env } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function runCli(cli: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export function ndjson(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
