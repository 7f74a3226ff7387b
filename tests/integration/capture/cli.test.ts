import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHelper, buildLiveCli, canUseNamespaces, createVethLab, runLiveCli, type VethLab } from './support';

// The live commands as a user runs them: exit codes and one-line reasons (cli.md).
describe.skipIf(!canUseNamespaces)('handshake capture / send / interfaces: errors and exit codes', () => {
  let lab: VethLab;
  let helperPath: string;
  let cli: string;

  beforeAll(() => {
    helperPath = buildHelper();
    cli = buildLiveCli();
    lab = createVethLab('cli');
  });
  afterAll(() => {
    lab?.destroy();
    rmSync(helperPath, { force: true });
    rmSync(cli, { force: true });
  });

  const run = (args: string[], launcherTail: string[] = []) => runLiveCli(cli, helperPath, lab.client.ns, args, launcherTail);

  it('interfaces lists the namespace\'s veth with its MAC, address and link type', async () => {
    const result = await run(['interfaces', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const entries = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries.find((entry) => entry.name === lab.client.ifname)).toMatchObject({
      mac: lab.client.mac,
      linkType: 1,
      up: true,
      addresses: expect.arrayContaining([expect.objectContaining({ family: 'IPv4', address: lab.client.ip })]),
    });
    const text = await run(['interfaces']);
    expect(text.stdout).toContain(`${lab.client.ifname}`);
    expect(text.stdout).toMatch(/Ethernet \(1\)/);
  });

  it('exits 4 with what to do when the helper has no capture permission', async () => {
    const result = await run(['capture', '-i', lab.client.ifname, '-c', '1'], ['setpriv', '--inh-caps=-all', '--bounding-set=-all']);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/no permission to capture on .*Operation not permitted/);
    expect(result.stderr).toMatch(/how to fix: Capture needs CAP_NET_RAW and CAP_NET_ADMIN/);
    // Run from a source checkout, the remedies for this copy are the polkit launcher and the dev setup script.
    expect(result.stderr).toMatch(/HANDSHAKE_HELPER_LAUNCHER=pkexec/);
    expect(result.stderr).toMatch(/setup-linux-capture\.sh/);
  });

  it('exits 2 for a bad filter, with libpcap\'s message', async () => {
    const result = await run(['capture', '-i', lab.client.ifname, '-f', 'tcp port', '-c', '1']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/bad capture filter "tcp port": can't parse filter expression: syntax error/);
  });

  it('exits 1 naming a missing interface, and 2 for usage errors', async () => {
    const missing = await run(['capture', '-i', 'nosuch9', '-c', '1']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no interface named "nosuch9"/);
    expect((await run(['capture'])).code).toBe(2);
    expect((await run(['send', '-i', lab.client.ifname, '--template', 'nope'])).stderr).toMatch(/unknown template "nope"/);
    expect((await run(['send', '-i', lab.client.ifname, '--set', 'tcp.bogus=1'])).code).toBe(2);
    expect((await run(['capture', '-i', lab.client.ifname, '-a', 'forever'])).code).toBe(2);
  });

  it('refuses to inject on the Linux "any" device and says why', async () => {
    const result = await run(['send', '-i', 'any', '--template', 'syn', '--set', `ip.dst=${lab.server.ip}`, '--wait', '0']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/cooked \(SLL\) frames.*pick a real interface/);
  });
});
