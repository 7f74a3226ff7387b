/**
 * Bundles a Node entry point for a test, the way build/scripts/build-node.mjs builds the
 * shipped ones, into a file of its own under out/test (concurrent test files never share one;
 * beside node_modules, so `cap` resolves).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { buildSync } from 'esbuild';

export const ROOT = path.resolve(__dirname, '..', '..');

/** `entry` is a path relative to the repository root, or `{ source }`: TypeScript resolved from the root. */
export function bundleForTest(name: string, entry: string | { source: string }): string {
  const outDir = path.join(ROOT, 'out', 'test');
  mkdirSync(outDir, { recursive: true });
  const outfile = path.join(outDir, `${name}-${process.pid}-${randomBytes(3).toString('hex')}.cjs`);
  buildSync({
    ...(typeof entry === 'string'
      ? { entryPoints: [path.join(ROOT, entry)] }
      : { stdin: { contents: entry.source, resolveDir: ROOT, loader: 'ts' as const } }),
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['cap', 'electron'],
    logLevel: 'error',
  });
  return outfile;
}
