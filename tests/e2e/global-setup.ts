/**
 * Builds what the end-to-end tests run: the renderer, main process and preload with
 * electron-vite (this doubles as the check that `electron-vite build` succeeds without
 * an Electron binary), and the Node bundles (host, engine, helper).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

export default function globalSetup(): void {
  const root = path.resolve(__dirname, '..', '..');
  for (const [command, args] of [
    [process.execPath, [path.join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build']],
    [process.execPath, [path.join(root, 'build', 'scripts', 'build-node.mjs')]],
  ] as const) {
    const result = spawnSync(command, [...args], { cwd: root, stdio: 'inherit', env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' } });
    if (result.status !== 0) throw new Error(`build step failed: ${[command, ...args].join(' ')}`);
  }
}
