#!/usr/bin/env node
// Launcher for the `handshake` command; the bundle is built by `npm install` (prepare).
const path = require('node:path');
const fs = require('node:fs');
const bundle = path.join(__dirname, '..', '..', 'out', 'node', 'handshake.cjs');
if (!fs.existsSync(bundle)) {
  process.stderr.write('handshake: not built yet; run `npm install` (or `npm run build:node`) in the repository\n');
  process.exit(1);
}
require(bundle);
