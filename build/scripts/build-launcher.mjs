// Compiles the Linux capture launcher (build/linux/capture-launcher.c) into
// out/capture/handshake-capture, which electron-builder ships as resources/capture/.
// `npm run dist:linux` runs this first; CC picks a cross compiler (e.g. aarch64-linux-gnu-gcc).
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

if (process.platform !== 'linux' && !process.env.CC) {
  console.log('build-launcher: not on Linux, skipped (the launcher ships only in Linux packages)');
  process.exit(0);
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const output = process.argv[2] ? path.resolve(process.argv[2]) : path.join(root, 'out', 'capture', 'handshake-capture');
const compiler = process.env.CC || 'cc';
// Compiled beside the target and renamed into place, so a concurrent reader never sees half a binary.
const partial = `${output}.${process.pid}.partial`;
mkdirSync(path.dirname(output), { recursive: true });

const args = [
  '-std=c11',
  '-O2',
  '-Wall',
  '-Wextra',
  '-Werror',
  // Hardening: the binary runs with capabilities.
  '-D_FORTIFY_SOURCE=2',
  '-fstack-protector-strong',
  '-fPIE',
  '-pie',
  '-Wl,-z,relro,-z,now',
  '-o',
  partial,
  path.join(root, 'build', 'linux', 'capture-launcher.c'),
];
const result = spawnSync(compiler, args, { stdio: 'inherit' });
if (result.error || result.status !== 0) {
  rmSync(partial, { force: true });
  if (result.error) console.error(`build-launcher: cannot run ${compiler}: ${result.error.message}`);
  process.exit(result.status || 1);
}
renameSync(partial, output);
