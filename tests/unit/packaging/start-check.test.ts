/**
 * `npm start` without Electron's binary (an install with ELECTRON_SKIP_BINARY_DOWNLOAD=1, or
 * offline) says in one line what is missing and points to the browser workbench, instead of
 * electron-vite's bare "Electron uninstall" after a full build.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../../..');
const check = path.join(root, 'build/scripts/check-electron.mjs');

describe('the Electron pre-check of npm start', () => {
  it('npm start stops at once with one line naming what is missing, then the way out', () => {
    // A binary path that does not exist, as electron-vite would be told (ELECTRON_EXEC_PATH).
    const run = spawnSync('npm', ['start', '--silent'], { cwd: root, encoding: 'utf8', timeout: 60_000, env: { ...process.env, ELECTRON_EXEC_PATH: path.join(root, 'no-such-electron') } });
    expect(run.status).not.toBe(0);
    const lines = run.stderr.trim().split('\n');
    expect(lines[0]).toBe("handshake: Electron's binary is not installed (npm install skipped or could not download it), so the desktop app cannot start");
    expect(lines[1]).toMatch(/npm run -s handshake -- ui/);
    expect(run.stdout + run.stderr).not.toMatch(/Electron uninstall|vite|building/i);
  });

  it('lets npm start go on when the binary electron-vite will run exists', () => {
    const present = spawnSync(process.execPath, [check], { encoding: 'utf8', env: { ...process.env, ELECTRON_EXEC_PATH: process.execPath } });
    expect(present.status, present.stderr).toBe(0);
    expect(present.stderr).toBe('');
  });
});
