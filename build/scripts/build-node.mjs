// Bundles the plain-Node entry points (the `handshake` command, the capture helper,
// the engine and the browser host) into out/. Runs on `npm install` via `prepare`.
import { build } from 'esbuild';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const entries = [
  ['electron/cli/handshake.ts', 'out/node/handshake.cjs'],
  ['electron/cli/parallel/decode-worker.ts', 'out/node/decode-worker.cjs'],
  ['electron/helper/main.ts', 'out/node/helper.cjs'],
  ['electron/engine/main.ts', 'out/node/engine.cjs'],
  ['electron/host/main.ts', 'out/node/host.cjs'],
];

for (const [input, output] of entries) {
  const entry = path.join(root, input);
  if (!existsSync(entry)) continue;
  await build({
    entryPoints: [entry],
    outfile: path.join(root, output),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'linked',
    // Whitespace and comments out (names kept): every command reads, decodes and hashes the whole
    // bundle before its first line runs, and a third less to read is a shorter start-up.
    minifyWhitespace: true,
    // Native and Electron modules load at run time from node_modules.
    external: ['cap', 'electron'],
    logLevel: 'warning',
  });
  keepAscii(path.join(root, output));
}

/**
 * esbuild escapes every non-ASCII character in code but keeps comments as written, and a few
 * (→, §, ·) make the whole 2 MB bundle a two-byte string that Node reads 4× slower than ASCII
 * (the launcher reads it on every run). Only comments can hold them: each UTF-16 unit becomes
 * one '?', so the source map's columns still match.
 */
function keepAscii(file) {
  const text = readFileSync(file, 'utf8');
  if (/^[\x00-\x7f]*$/.test(text)) return;
  writeFileSync(file, text.replace(/[^\x00-\x7f]/g, '?'));
}
