/**
 * Which runtime and launcher the Electron engine uses for the capture helper, per OS and
 * installation (electron/engine/helper-route.ts), on electron-builder's layouts.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { helperRoute } from '../../../electron/engine/helper-route';

const linuxApp = '/opt/Handshake Workbench';
const macApp = '/Applications/Handshake Workbench.app/Contents';
const winApp = 'C:\\Users\\u\\AppData\\Local\\Programs\\handshake-workbench';

function filesOf(...files: string[]): (file: string) => boolean {
  return (file) => files.includes(file);
}

describe('the capture helper route', () => {
  it('Linux deb: the launcher next to the resources, as one argument (the path has a space)', () => {
    const resources = `${linuxApp}/resources`;
    const route = helperRoute({
      platform: 'linux',
      execPath: `${linuxApp}/handshake-workbench`,
      resourcesPath: resources,
      env: {},
      systemNodeRuns: () => true, // a system node must not win: it cannot read app.asar, and cap is built for Electron
      exists: filesOf(`${resources}/app.asar`, `${resources}/capture/handshake-capture`),
    });
    expect(route.launcher).toEqual([`${resources}/capture/handshake-capture`]);
    expect(route.helperPath).toBe(`${resources}/app.asar/out/node/helper.cjs`);
  });

  it('Linux AppImage run from its mount: Electron as Node without the launcher (its capabilities do not apply there)', () => {
    const resources = '/tmp/.mount_handshXYZ/resources';
    const route = helperRoute({
      platform: 'linux',
      execPath: '/tmp/.mount_handshXYZ/handshake-workbench',
      resourcesPath: resources,
      env: { APPIMAGE: '/home/u/handshake.AppImage' },
      systemNodeRuns: () => true,
      exists: filesOf(`${resources}/app.asar`, `${resources}/capture/handshake-capture`),
    });
    expect(route).toEqual({ nodePath: '/tmp/.mount_handshXYZ/handshake-workbench', env: { ELECTRON_RUN_AS_NODE: '1' }, helperPath: `${resources}/app.asar/out/node/helper.cjs` });
  });

  it('macOS and Windows: the app binary as Node on the helper inside app.asar', () => {
    for (const [platform, execPath, resources] of [
      ['darwin', `${macApp}/MacOS/Handshake Workbench`, `${macApp}/Resources`],
      ['win32', `${winApp}\\Handshake Workbench.exe`, `${winApp}\\resources`],
    ] as const) {
      const route = helperRoute({ platform, execPath, resourcesPath: resources, env: {}, systemNodeRuns: () => true, exists: filesOf(path.join(resources, 'app.asar')) });
      expect(route).toEqual({ nodePath: execPath, env: { ELECTRON_RUN_AS_NODE: '1' }, helperPath: path.join(resources, 'app.asar', 'out', 'node', 'helper.cjs') });
    }
  });

  it('a source checkout (npm start): the system node, which npm install built cap for; Electron as Node only without one', () => {
    const resources = '/src/node_modules/electron/dist/resources'; // only default_app.asar there
    const context = { platform: 'linux' as const, execPath: '/src/node_modules/electron/dist/electron', resourcesPath: resources, env: {}, exists: filesOf(`${resources}/default_app.asar`) };
    expect(helperRoute({ ...context, systemNodeRuns: () => true })).toEqual({ nodePath: 'node' });
    expect(helperRoute({ ...context, systemNodeRuns: () => false })).toEqual({ nodePath: context.execPath, env: { ELECTRON_RUN_AS_NODE: '1' } });
  });
});
