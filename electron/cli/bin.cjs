#!/usr/bin/env node
// Launcher for the `handshake` command; the bundle is built by `npm install` (prepare).
const path = require('node:path');
const fs = require('node:fs');
const bundle = path.join(__dirname, '..', '..', 'out', 'node', 'handshake.cjs');
if (!fs.existsSync(bundle)) {
  process.stderr.write('handshake: not built yet; run `npm install` (or `npm run build:node`) in the repository\n');
  process.exit(1);
}
// `npm run handshake -- …` runs from the repository root; relative FILE paths mean the caller's directory.
if (process.env.npm_lifecycle_event === 'handshake' && process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);
require(bundle);
