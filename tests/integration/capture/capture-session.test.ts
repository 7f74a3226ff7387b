import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureError, CaptureSession, type LiveFrame } from '../../../electron/engine/capture-session';
import { canUseNamespaces, createVethLab, hasTshark, nodeInNamespace, sleep, tcpServerScript, tsharkFields, buildHelper, type VethLab } from './support';

const PORT = 8443;

describe.skipIf(!canUseNamespaces || !hasTshark)('live capture through the helper (veth pair in two namespaces)', () => {
  let lab: VethLab;
  let helperPath: string;
  let directory: string;

  beforeAll(() => {
    helperPath = buildHelper();
    directory = mkdtempSync(path.join(os.tmpdir(), 'hw-capture-'));
    lab = createVethLab('cap');
  });
  afterAll(() => {
    lab?.destroy();
    rmSync(directory, { recursive: true, force: true });
    rmSync(helperPath, { force: true });
  });

  const start = (name: string, filter = '', device?: string) =>
    CaptureSession.start({
      device: device ?? lab.client.ifname,
      filter,
      spoolPath: path.join(directory, `${name}.pcapng`),
      helperPath,
      launcher: ['ip', 'netns', 'exec', lab.client.ns],
    });

  it('captures a real connection: handshake, data and teardown, spooled as tshark reads them', async () => {
    const server = nodeInNamespace(lab.server.ns, tcpServerScript(lab.server.ip, PORT));
    const session = await start('connection', `tcp port ${PORT}`);
    const live: LiveFrame[] = [];
    session.onFrame((frame) => live.push({ ...frame, bytes: frame.bytes.slice() }));
    try {
      await server.waitFor(/listening/);
      const client = nodeInNamespace(
        lab.client.ns,
        `const s = require('net').connect(${PORT}, '${lab.server.ip}', () => s.write('ping'));
         s.on('data', (d) => { console.log('got ' + d); s.end(); });
         s.on('close', () => console.log('closed'));`,
      );
      await client.waitFor(/closed/);
      await server.waitFor(/^close$/);
      await sleep(300); // the last ACK reaches the helper
    } finally {
      server.stop();
    }
    const end = await session.stop();
    expect(end.reason).toBeNull();

    // tshark, not our decoder, says what the spool holds.
    const rows = tsharkFields(session.spoolPath, ['tcp.srcport', 'tcp.flags.str', 'tcp.len']);
    expect(rows.length).toBe(end.frames);
    expect(live.length).toBe(end.frames);
    const flags = rows.map(([, flagText]) => flagText.replace(/·/g, '').trim());
    expect(flags.slice(0, 3)).toEqual(['S', 'AS', 'A']);
    expect(rows.filter(([, , length]) => Number(length) > 0).map(([port, , length]) => [port === String(PORT) ? 'server' : 'client', Number(length)])).toEqual([
      ['client', 4],
      ['server', 9],
    ]);
    expect(flags.filter((text) => text.includes('F'))).toHaveLength(2);
    // Arrival timestamps are wall-clock and in order.
    const times = live.map((frame) => frame.tsSec + frame.tsNsec / 1e9);
    expect(times.every((time, index) => index === 0 || time >= times[index - 1])).toBe(true);
    expect(Math.abs(times[0] - Date.now() / 1000)).toBeLessThan(60);
    // save-as writes both formats, frame for frame.
    for (const format of ['pcap', 'pcapng'] as const) {
      const target = path.join(directory, `saved.${format}`);
      expect(await session.saveAs(target, format)).toEqual({ frames: end.frames });
      expect(tsharkFields(target, ['tcp.flags.str']).length).toBe(end.frames);
    }
  });

  it('rejects a bad BPF filter with libpcap\'s own message', async () => {
    const error = await start('bad-filter', 'tcp port').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CaptureError);
    expect(error).toMatchObject({ code: 'bad-filter', message: expect.stringContaining("can't parse filter expression: syntax error") });
  });

  it('names a missing interface', async () => {
    const error = await start('missing', '', 'nosuch0').catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'no-device', message: expect.stringContaining('nosuch0') });
  });

  it.each([
    ['capabilities dropped', ['setpriv', '--inh-caps=-all', '--bounding-set=-all']],
    ['an unprivileged uid', ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups']],
  ])('tells a helper with %s what to do', async (_label, dropPrivileges) => {
    const error = await CaptureSession.start({
      device: lab.client.ifname,
      spoolPath: path.join(directory, 'unprivileged.pcapng'),
      helperPath,
      launcher: ['ip', 'netns', 'exec', lab.client.ns, ...dropPrivileges],
    }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'permission', message: expect.stringContaining('Operation not permitted') });
    expect((error as CaptureError).advice).toMatch(/setcap cap_net_raw,cap_net_admin\+eip|pkexec/);
  });

  it('keeps every frame received when the helper is killed mid-capture', async () => {
    const session = await start('killed', 'udp');
    const pinger = nodeInNamespace(
      lab.client.ns,
      `const s = require('dgram').createSocket('udp4'); setInterval(() => s.send('x', 9, '${lab.server.ip}'), 5);`,
    );
    try {
      while (session.statistics().frames < 20) await sleep(20);
      session.killHelper('SIGKILL');
      const end = await session.waitForEnd();
      expect(end.reason).toMatch(/killed by SIGKILL/);
      expect(end.frames).toBeGreaterThanOrEqual(20);
      expect(tsharkFields(session.spoolPath, ['udp.dstport']).length).toBe(end.frames);
    } finally {
      pinger.stop();
    }
  });

  it('ends with a clear reason, frames kept, when the interface disappears', async () => {
    const spare = createVethLab('gone');
    try {
      const session = await CaptureSession.start({
        device: spare.client.ifname,
        filter: 'udp',
        spoolPath: path.join(directory, 'vanished.pcapng'),
        helperPath,
        launcher: ['ip', 'netns', 'exec', spare.client.ns],
      });
      const sender = nodeInNamespace(spare.client.ns, `const s = require('dgram').createSocket('udp4'); setInterval(() => s.send('x', 9, '${spare.server.ip}'), 5);`);
      try {
        while (session.statistics().frames < 10) await sleep(20);
        spare.exec(spare.client.ns, 'ip', ['link', 'del', spare.client.ifname]);
        const end = await session.waitForEnd();
        expect(end.reason).toMatch(/interface|device/);
        expect(end.frames).toBeGreaterThanOrEqual(10);
        expect(tsharkFields(session.spoolPath, ['udp.dstport']).length).toBe(end.frames);
      } finally {
        sender.stop();
      }
    } finally {
      spare.destroy();
    }
  });
});
