/**
 * A segment that moves a side through two states shows both, on the ladder's arrow and on the
 * Connections row, for a tracked side too (not only the endpoint's own lane). The exchange is real:
 * two Linux sockets in test namespaces, captured by tcpdump. The client closes first; the server's
 * bare ACK of that FIN is dropped by iptables in its namespace, so the server's FIN+ACK is what
 * acknowledges the client's FIN. The oracle is RFC 9293 §3.10.7.4 applied by hand to the captured
 * flags and numbers (read by tshark): in FIN_WAIT_1, a segment whose ACK covers our FIN moves us to
 * FIN_WAIT_2, and its FIN then to TIME_WAIT; and Linux's own `ss` shows the client in TIME-WAIT.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Backend } from '../../../electron/engine/backend';
import { layoutLadder, type ArrowRow } from '../../../renderer/src/lib/ladder-layout';
import { canUseNamespaces, createVethLab, hasIptables, hasTshark, nodeInNamespace, tsharkFields, type VethLab } from '../../integration/capture/support';
import { openIndexed } from '../../support/engine';

const PORT = 7410;
const hasTcpdump = spawnSync('tcpdump', ['--version'], { stdio: 'ignore' }).status === 0;
const ready = canUseNamespaces && hasTshark && hasIptables && hasTcpdump;

describe.skipIf(!ready)('a tracked side passing two states on one segment (Linux in namespaces; needs root, iptables, tcpdump, tshark)', () => {
  let lab: VethLab;
  let dir = '';
  let pcap = '';
  let clientStateAfter = '';
  let backend: Backend;

  beforeAll(async () => {
    lab = createVethLab('endpoint-lp');
    dir = mkdtempSync(path.join(os.tmpdir(), 'hs-ladder-passed-'));
    pcap = path.join(dir, 'close.pcap');
    lab.exec(lab.server.ns, 'iptables', ['-A', 'OUTPUT', '-p', 'tcp', '--sport', String(PORT), '--tcp-flags', 'ALL', 'ACK', '-j', 'DROP']);
    const tcpdump = spawn('ip', ['netns', 'exec', lab.server.ns, 'tcpdump', '-i', lab.server.ifname, '--immediate-mode', '-U', '-w', pcap, `tcp port ${PORT}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      let text = '';
      tcpdump.stderr.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes('listening on')) resolve();
      });
      tcpdump.once('exit', (code) => reject(new Error(`tcpdump exited ${code}: ${text}`)));
    });
    // The server closes 100 ms after the client's FIN (its bare ACK of that FIN never leaves).
    const server = nodeInNamespace(lab.server.ns, `require('net').createServer((s) => { s.on('error', () => undefined); s.on('end', () => setTimeout(() => { s.end(); console.log('closed'); }, 100)); s.resume(); }).listen(${PORT}, '${lab.server.ip}', () => console.log('listening'));`);
    // The client starts once the server listens: started together, it could connect first and be refused.
    let client: ReturnType<typeof nodeInNamespace> | undefined;
    try {
      await server.waitFor(/^listening$/);
      client = nodeInNamespace(lab.client.ns, `const s = require('net').connect(${PORT}, '${lab.server.ip}', () => { console.log('connected'); s.end(); }); s.on('close', () => console.log('gone')); s.on('error', (e) => console.log('error ' + e.code));`);
      await client.waitFor(/^connected$/);
      await client.waitFor(/^gone$/);
      await server.waitFor(/^closed$/);
      // Linux's view of the client's socket once the server's FIN+ACK is in.
      for (let i = 0; i < 50 && !clientStateAfter; i++) {
        clientStateAfter = lab.exec(lab.client.ns, 'ss', ['-Htan', 'dst', `${lab.server.ip}:${PORT}`]).trim().split(/\s+/)[0] ?? '';
        if (!clientStateAfter) await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      client?.stop();
      server.stop();
      await new Promise<void>((resolve) => {
        tcpdump.once('exit', () => resolve());
        tcpdump.kill('SIGINT');
      });
    }
    backend = new Backend({ host: 'browser', version: 'test' });
  }, 60_000);

  afterAll(async () => {
    await backend?.dispose();
    lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the server FIN+ACK that acknowledges the client FIN: the client lane reads FIN_WAIT_2 → TIME_WAIT, on the arrow and on the row', async () => {
    expect(clientStateAfter).toBe('TIME-WAIT');
    // RFC 9293 by hand on tshark's reading: the client's FIN, then the first server segment whose ACK covers it.
    const rows = tsharkFields(pcap, ['frame.number', 'ip.src', 'tcp.flags.fin', 'tcp.flags.ack', 'tcp.seq_raw', 'tcp.ack_raw', 'tcp.len']);
    const clientFin = rows.find((r) => r[1] === lab.client.ip && r[2] === '1');
    expect(clientFin, 'the client FIN is captured').toBeDefined();
    const finEnd = (Number(clientFin![4]) + Number(clientFin![6]) + 1) >>> 0;
    const acking = rows.find((r) => Number(r[0]) > Number(clientFin![0]) && r[1] === lab.server.ip && r[3] === '1' && Number(r[5]) === finEnd);
    expect(acking, 'a server segment acknowledges the client FIN').toBeDefined();
    // The same segment carries the server's FIN: FIN_WAIT_1 → (ACK of our FIN) FIN_WAIT_2 → (FIN) TIME_WAIT.
    expect(acking![2]).toBe('1');
    const expected = ['FIN_WAIT_2', 'TIME_WAIT'];

    const { session } = await openIndexed(pcap, backend);
    const ladder = await backend.handlers.getLadder({ sessionId: session.sessionId, stream: 0, limit: 1000 });
    const arrow = ladder.arrows.find((a) => a.number === Number(acking![0]));
    expect(arrow?.from).toBe('server');
    expect(arrow?.clientPassed).toEqual(expected);
    expect(arrow?.clientState).toBe('TIME_WAIT');
    // Every other arrow moved each side through at most one state (the client FIN: ESTABLISHED → FIN_WAIT_1 only).
    expect(ladder.arrows.filter((a) => a.clientPassed || a.serverPassed).map((a) => a.number)).toEqual([Number(acking![0])]);
    // The ladder writes the whole path beside that arrow, as it does for the endpoint's own lane.
    const row = layoutLadder(ladder, { width: 1000, clientX: 300, serverX: 780 }, false).rows.find((r): r is ArrowRow => r.kind === 'arrow' && r.arrow.number === Number(acking![0]));
    expect(row?.clientText).toBe('FIN_WAIT_2 → TIME_WAIT');

    // Connections: the client's state is still TIME_WAIT (the capture ends well within 2×MSL), reached through FIN_WAIT_2 on one segment.
    const { connections } = await backend.handlers.getConnections({ sessionId: session.sessionId });
    expect(connections[0].clientState).toBe('TIME_WAIT');
    expect(connections[0].clientPassed).toEqual(expected);
    expect(connections[0].serverPassed).toBeUndefined();
  });
});
