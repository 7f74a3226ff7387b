import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureSession } from '../../../electron/engine/capture-session';
import { buildHelper, canUseNamespaces, createVethLab, ROOT, type VethLab } from './support';

const hasSetcap = spawnSync('setcap', ['-h']).error === undefined;
const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];

// The Linux remedy the permission message recommends, carried out: a dedicated node copy with
// capabilities, runnable by one group. An unprivileged user can then capture; without it, not.
describe.skipIf(!canUseNamespaces || !hasSetcap)('the Linux capture-permission setup', () => {
  let lab: VethLab;
  let helperPath: string;
  let directory: string;

  beforeAll(() => {
    helperPath = buildHelper();
    directory = mkdtempSync(path.join(os.tmpdir(), 'hw-setcap-'));
    chmodSync(directory, 0o755); // the unprivileged user must reach the binary
    lab = createVethLab('perm');
  });
  afterAll(() => {
    lab?.destroy();
    rmSync(directory, { recursive: true, force: true });
    rmSync(helperPath, { force: true });
  });

  it('lets an unprivileged member of the group capture through the capability-bearing node', async () => {
    const target = path.join(directory, 'helper-node');
    // nogroup already exists, so the script changes no system group.
    const setup = spawnSync('sh', [path.join(ROOT, 'electron/helper/setup-linux-capture.sh'), target, 'nogroup'], { encoding: 'utf8' });
    expect(setup.status, setup.stderr).toBe(0);
    expect(spawnSync('getcap', [target], { encoding: 'utf8' }).stdout).toMatch(/cap_net_admin,cap_net_raw[=+]eip/);

    const refused = await CaptureSession.start({
      device: lab.client.ifname,
      spoolPath: path.join(directory, 'refused.pcapng'),
      helperPath,
      launcher: ['ip', 'netns', 'exec', lab.client.ns, ...NOBODY],
    }).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'permission' });

    const session = await CaptureSession.start({
      device: lab.client.ifname,
      filter: 'udp',
      spoolPath: path.join(directory, 'allowed.pcapng'),
      helperPath,
      nodePath: target,
      launcher: ['ip', 'netns', 'exec', lab.client.ns, ...NOBODY],
    });
    try {
      expect(session.openInfo).toMatchObject({ device: lab.client.ifname, linkType: 1 });
    } finally {
      await session.stop();
    }
  });
});
