// Bundles the plain-Node entry points (the `handshake` command, the capture helper,
// the engine and the browser host) into out/. Runs on `npm install` via `prepare`.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const entries = [
  ['electron/cli/handshake.ts', 'out/node/handshake.cjs'],
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
    // Native and Electron modules load at run time from node_modules.
    external: ['cap', 'electron'],
    logLevel: 'warning',
  });
}
