import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureError, CaptureSession, type LiveFrame } from '../../../electron/engine/capture-session';
import type { ConnectionEvent } from '../../../electron/engine/live-tracking';
import {
  buildHelper,
  buildLiveCli,
  canUseNamespaces,
  createVethLab,
  hasTshark,
  nodeInNamespace,
  runLiveCli,
  sleep,
  startLiveCli,
  tcpServerScript,
  tsharkFields,
  type VethLab,
} from './support';

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
    const events: ConnectionEvent[] = [];
    session.onFrame((frame) => live.push({ ...frame, bytes: frame.bytes.slice() }));
    session.onConnection((event) => events.push(event));
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
    // The tracker's view, held against RFC 9293 figure 5: the client closes actively, the server passively.
    const statesOf = (side: 'client' | 'server') =>
      events.filter((event): event is Extract<ConnectionEvent, { type: 'state' }> => event.type === 'state' && event.side === side).map((event) => event.state);
    expect(events[0]).toMatchObject({ type: 'opened', stream: 0, server: `${lab.server.ip}:${PORT}` });
    expect(statesOf('client')).toEqual(expect.arrayContaining(['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'TIME_WAIT']));
    expect(inOrder(statesOf('client'), ['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'TIME_WAIT'])).toBe(true);
    expect(inOrder(statesOf('server'), ['SYN_RECEIVED', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED'])).toBe(true);
    // Zeek's SF: normal establishment and termination.
    expect(events.at(-1)).toMatchObject({ type: 'closed', stream: 0, connState: 'SF' });
    const statistics = session.statistics();
    expect(statistics).toMatchObject({ frames: end.frames, connectionsSeen: 1, sequenceGaps: 0 });
    // save-as writes both formats, frame for frame.
    for (const format of ['pcap', 'pcapng'] as const) {
      const target = path.join(directory, `saved.${format}`);
      expect(await session.saveAs(target, format)).toEqual({ frames: end.frames });
      expect(tsharkFields(target, ['tcp.flags.str']).length).toBe(end.frames);
    }
  });

  it('makes a segment the capture missed visible as a sequence gap', async () => {
    const server = nodeInNamespace(lab.server.ns, tcpServerScript(lab.server.ip, PORT + 1));
    // The filter drops exactly the TCP segments carrying 10 bytes of payload: a loss we caused on purpose.
    const payload10 = '(ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2)) = 10';
    const session = await start('gap', `tcp port ${PORT + 1} and not ${payload10}`);
    try {
      await server.waitFor(/listening/);
      const client = nodeInNamespace(
        lab.client.ns,
        `const s = require('net').connect(${PORT + 1}, '${lab.server.ip}', () => {
           s.setNoDelay(true); s.write('a'.repeat(10));
           setTimeout(() => { s.write('b'.repeat(20)); setTimeout(() => s.end(), 100); }, 100);
         });
         s.resume();
         s.on('close', () => console.log('closed'));`,
      );
      await client.waitFor(/closed/);
      await sleep(300);
    } finally {
      server.stop();
    }
    await session.stop();
    const statistics = session.statistics();
    expect(statistics.sequenceGaps).toBe(1);
  });

  it('`handshake capture --events` prints connections opening and closing; -w keeps the file', async () => {
    const cli = buildLiveCli();
    const server = nodeInNamespace(lab.server.ns, tcpServerScript(lab.server.ip, PORT + 2));
    const file = path.join(directory, 'events.pcapng');
    try {
      await server.waitFor(/listening/);
      const capture = startLiveCli(cli, helperPath, lab.client.ns, ['capture', '-i', lab.client.ifname, '-f', `tcp port ${PORT + 2}`, '--events', '-w', file, '-a', 'duration:3']);
      await capture.stderrMatches(/capturing on/);
      const client = nodeInNamespace(lab.client.ns, `const s = require('net').connect(${PORT + 2}, '${lab.server.ip}', () => s.end('x')); s.resume(); s.on('close', () => console.log('closed'));`);
      await client.waitFor(/closed/);
      const result = await capture.done;
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^opened  stream 0  ${lab.client.ip}:\\d+ → ${lab.server.ip}:${PORT + 2}`, 'm'));
      expect(result.stdout).toMatch(/^state   stream 0  client SYN_SENT/m);
      expect(result.stdout).toMatch(/^closed  stream 0  .* SF /m);
      expect(result.stderr).toMatch(/arrival times in the helper/);
      expect(tsharkFields(file, ['tcp.stream']).length).toBeGreaterThanOrEqual(7);
    } finally {
      server.stop();
      rmSync(cli, { force: true });
    }
  });

  it('`handshake capture -c N --json` stops after N frames and prints decode\'s keys', async () => {
    const cli = buildLiveCli();
    const sender = nodeInNamespace(lab.client.ns, `const s = require('dgram').createSocket('udp4'); setInterval(() => s.send('x', 9, '${lab.server.ip}'), 10);`);
    try {
      const result = await runLiveCli(cli, helperPath, lab.client.ns, ['capture', '-i', lab.client.ifname, '-f', 'udp port 9', '-c', '5', '--json']);
      expect(result.code, result.stderr).toBe(0);
      const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines.map((line) => line['frame.number'])).toEqual([1, 2, 3, 4, 5]);
      expect(lines[0]).toMatchObject({ 'ip.src': lab.client.ip, 'ip.dst': lab.server.ip, 'udp.dstport': 9, 'eth.src': lab.client.mac });
    } finally {
      sender.stop();
      rmSync(cli, { force: true });
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

/** True when `expected` appears in `actual` in this order (other entries may sit between). */
function inOrder(actual: string[], expected: string[]): boolean {
  let next = 0;
  for (const entry of actual) if (entry === expected[next]) next++;
  return next === expected.length;
}
