#!/usr/bin/env node
// Launcher for the `handshake` command; the bundle is built by `npm install` (prepare).
const path = require('node:path');
const fs = require('node:fs');
// This file's own Module class: the same as require('node:module'), without loading that.
const LauncherModule = module.constructor;
// decode --json's worker thread (electron/cli/parallel/json-pipe.ts) starts through this launcher
// too, with this role and its bundle as arguments, so that it also loads with a code cache.
const WORKER_ROLE = 'handshake-decode-worker';
if (process.argv[2] === WORKER_ROLE && !require('node:worker_threads').isMainThread) {
  runWithCodeCache(process.argv[3], `${process.argv[3]}.v8cache`);
} else {
  const bundle = path.join(__dirname, '..', '..', 'out', 'node', 'handshake.cjs');
  if (!fs.existsSync(bundle)) {
    process.stderr.write('handshake: not built yet; run `npm install` (or `npm run build:node`) in the repository\n');
    process.exit(1);
  }
  // `npm run handshake -- …` runs from the repository root; relative FILE paths mean the caller's directory.
  if (process.env.npm_lifecycle_event === 'handshake' && process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);
  // How the bundle finds this launcher, to start its worker through it.
  globalThis[Symbol.for('handshake.launcher')] = { file: __filename, workerRole: WORKER_ROLE };
  const command = process.argv[2];
  runWithCodeCache(bundle, `${bundle}.${command !== undefined && /^[a-z]{1,20}$/.test(command) ? command : 'other'}.v8cache`);
}

/**
 * Compiling the 2 MB bundle is most of a short command's time. Node 20 has no module compile
 * cache (module.enableCompileCache is Node 22), so V8's code cache is kept beside the bundle,
 * made after the first run (with the functions that run compiled) and checked by V8 against the
 * source and flags; a stale or unwritable cache only costs the compile. One cache per command,
 * written after its first successful run: each holds the functions its command ran (a cache
 * made by `--help` would hold almost none of `analyze`'s, which then compiled on every run).
 * V8 checks only the source's length, so a rebuilt bundle of the same length would run the old
 * build's code: the cache starts with the bundle's mtime and size and is used only when they match.
 * A worker thread's cache is written when it exits by itself (not when terminated).
 */
function runWithCodeCache(file, cacheFile) {
  const vm = require('node:vm');
  const Module = LauncherModule;
  const fd = fs.openSync(file, 'r');
  const stamp = Buffer.alloc(16);
  let bytes;
  try {
    const stat = fs.fstatSync(fd);
    stamp.writeDoubleLE(stat.mtimeMs, 0);
    stamp.writeDoubleLE(stat.size, 8);
    bytes = fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  // The build keeps the bundle ASCII (build-node.mjs), which reads as one-byte text far faster than UTF-8.
  const source = require('node:buffer').isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
  let cachedData;
  try {
    const cached = fs.readFileSync(cacheFile);
    if (cached.length > stamp.length && cached.subarray(0, stamp.length).equals(stamp)) cachedData = cached.subarray(stamp.length);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once('exit', (code) => {
      // A failed run (a mistyped command, say) leaves no cache behind.
      if (code !== 0) return;
      try {
        const temporary = `${cacheFile}.${process.pid}`;
        fs.writeFileSync(temporary, Buffer.concat([stamp, script.createCachedData()]));
        fs.renameSync(temporary, cacheFile);
      } catch {
        // A read-only install runs without the cache.
      }
    });
  }
  const module = new Module(file, null);
  module.filename = file;
  module.paths = Module._nodeModulePaths(path.dirname(file));
  const wrapper = script.runInThisContext();
  wrapper.call(module.exports, module.exports, Module.createRequire(file), module, file, path.dirname(file));
}
