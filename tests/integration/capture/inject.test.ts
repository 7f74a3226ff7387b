import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureSession, type LiveFrame } from '../../../electron/engine/capture-session';
import { createHelperCaptureProvider } from '../../../electron/engine/helper-capture-provider';
import { probeOf, replyKind } from '../../../electron/engine/probe';
import {
  buildHelper,
  buildLiveCli,
  canUseNamespaces,
  createVethLab,
  hasIptables,
  hasScapy,
  ndjson,
  nodeInNamespace,
  runLiveCli,
  sleep,
  tcpServerScript,
  type NodeInNamespace,
  type VethLab,
  scapyBytes,
  tsharkFields,
} from './support';

const OPEN_PORT = 8443;
const CLOSED_PORT = 8444;
const SYN = 0x002;
const RST = 0x004;
const ACK = 0x010;

type Frame = Record<string, unknown>;
const frameOf = (record: Record<string, unknown>) => record.frame as Frame;

describe.skipIf(!canUseNamespaces)('injection through the helper (veth pair in two namespaces)', () => {
  let lab: VethLab;
  let helperPath: string;
  let cli: string;
  let server: NodeInNamespace;

  beforeAll(async () => {
    helperPath = buildHelper();
    cli = buildLiveCli();
    lab = createVethLab('inj');
    server = nodeInNamespace(lab.server.ns, tcpServerScript(lab.server.ip, OPEN_PORT));
    await server.waitFor(/listening/);
  });
  afterAll(() => {
    server?.stop();
    lab?.destroy();
    rmSync(helperPath, { force: true });
    rmSync(cli, { force: true });
  });

  const send = (args: string[]) => runLiveCli(cli, helperPath, lab.client.ns, ['send', '-i', lab.client.ifname, ...args]);

  it('a crafted SYN to a listening port draws the server kernel\'s SYN+ACK, and the local kernel\'s RST is called out', async () => {
    const result = await send(['--template', 'syn', '--set', `ip.dst=${lab.server.ip}`, '--set', `tcp.dstport=${OPEN_PORT}`, '--set', 'tcp.srcport=41001', '--wait', '1500', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code, result.stderr).toBe(0);
    const records = ndjson(result.stdout);
    const sent = records.find((record) => record.type === 'sent') as Record<string, unknown>;
    expect(frameOf(sent)).toMatchObject({ 'ip.src': lab.client.ip, 'ip.dst': lab.server.ip, 'eth.dst': lab.server.mac, 'tcp.flags': SYN, 'tcp.seq_raw': 1000 });
    // RFC 9293: the SYN consumes one sequence number, so the SYN+ACK acknowledges ISN + 1.
    const replies = records.filter((record) => record.type === 'reply').map(frameOf);
    expect(replies[0]).toMatchObject({ 'ip.src': lab.server.ip, 'tcp.srcport': OPEN_PORT, 'tcp.dstport': 41001, 'tcp.flags': SYN | ACK, 'tcp.ack_raw': 1001 });
    // 198.18.0.1 belongs to the client namespace's kernel, which has no socket for this: it resets.
    const trap = records.find((record) => record.type === 'kernel-rst');
    expect(trap).toBeDefined();
    expect(frameOf(trap as Record<string, unknown>)).toMatchObject({ 'ip.src': lab.client.ip, 'tcp.srcport': 41001, 'tcp.flags.reset': true });
    expect(String((trap as Record<string, unknown>).explanation)).toMatch(/Scapy #3215/);
  });

  it('prints the trap and its remedies in the text output too', async () => {
    const result = await send(['--template', 'syn', '--set', `ip.dst=${lab.server.ip}`, '--set', `tcp.dstport=${OPEN_PORT}`, '--set', 'tcp.srcport=41002', '--wait', '1500']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^> .*41002 → 8443 \[SYN\]/m);
    expect(result.stdout).toMatch(/^< .*8443 → 41002 \[SYN, ACK\]/m);
    expect(result.stdout).toMatch(/your own kernel answered/);
    expect(result.stdout).toMatch(/--suppress-kernel-rst/);
  });

  it('a crafted SYN to a closed port draws RST+ACK', async () => {
    const result = await send(['--set', `ip.dst=${lab.server.ip}`, '--set', `tcp.dstport=${CLOSED_PORT}`, '--set', 'tcp.srcport=41003', '--set', 'tcp.flags.syn=1', '--set', 'tcp.seq_raw=7000', '--wait', '1500', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const replies = ndjson(result.stdout).filter((record) => record.type === 'reply').map(frameOf);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ 'tcp.flags': RST | ACK, 'tcp.ack_raw': 7001, 'tcp.srcport': CLOSED_PORT });
    expect(ndjson(result.stdout).some((record) => record.type === 'kernel-rst')).toBe(false);
  });

  it.skipIf(!hasIptables)('--suppress-kernel-rst drops the local RST for that 4-tuple only while the command runs', async () => {
    const result = await send(['--template', 'syn', '--set', `ip.dst=${lab.server.ip}`, '--set', `tcp.dstport=${OPEN_PORT}`, '--set', 'tcp.srcport=41004', '--wait', '1200', '--suppress-kernel-rst', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/dropping this host's outgoing RSTs/);
    const records = ndjson(result.stdout);
    expect(records.filter((record) => record.type === 'reply').map(frameOf)[0]).toMatchObject({ 'tcp.flags': SYN | ACK });
    expect(records.some((record) => record.type === 'kernel-rst')).toBe(false);
    expect(lab.exec(lab.client.ns, 'iptables', ['-S', 'OUTPUT'])).not.toMatch(/handshake-helper/);
  });

  it('a full handshake by hand from an address the local kernel does not own: the server accepts', async () => {
    // The remedy "a source address the kernel doesn't own": the peer learns its MAC statically.
    const spoofed = '198.18.0.3';
    lab.exec(lab.server.ns, 'ip', ['neigh', 'replace', spoofed, 'lladdr', lab.client.mac, 'dev', lab.server.ifname]);
    const synResult = await send(['--template', 'syn', '--set', `ip.src=${spoofed}`, '--set', `ip.dst=${lab.server.ip}`, '--set', `tcp.dstport=${OPEN_PORT}`, '--set', 'tcp.srcport=41005', '--set', 'tcp.seq_raw=5000', '--wait', '1000', '--json']);
    const records = ndjson(synResult.stdout);
    const synAck = records.filter((record) => record.type === 'reply').map(frameOf)[0];
    expect(synAck).toMatchObject({ 'tcp.flags': SYN | ACK, 'tcp.ack_raw': 5001 });
    expect(records.some((record) => record.type === 'kernel-rst')).toBe(false);
    const serverIsn = synAck['tcp.seq_raw'] as number;
    const accepted = server.waitFor(/accepted 41005/, 5000);
    const ackResult = await send(['--template', 'ack', '--set', `ip.src=${spoofed}`, '--set', `ip.dst=${lab.server.ip}`, '--set', `tcp.dstport=${OPEN_PORT}`, '--set', 'tcp.srcport=41005', '--set', 'tcp.seq_raw=5001', '--set', `tcp.ack_raw=${(serverIsn + 1) >>> 0}`, '--wait', '300']);
    expect(ackResult.code).toBe(0);
    await expect(accepted).resolves.toMatch(/accepted 41005/);
  });

  it.skipIf(!hasIptables || !hasScapy)('a full handshake by hand with the RST rule in place: the server accepts, the rule goes afterwards', async () => {
    const session = await CaptureSession.start({
      device: lab.client.ifname,
      filter: `tcp port ${OPEN_PORT} or arp`,
      spoolPath: path.join(os.tmpdir(), `hw-inject-${process.pid}.pcapng`),
      helperPath,
      launcher: ['ip', 'netns', 'exec', lab.client.ns],
    });
    try {
      const rule = await session.suppressKernelRst({ src: lab.client.ip, dst: lab.server.ip, sport: 41006, dport: OPEN_PORT });
      const frames: LiveFrame[] = [];
      session.onFrame((frame) => frames.push({ ...frame, bytes: frame.bytes.slice() }));
      // Scapy builds the segments here, so the encoder is not its own judge.
      const syn = scapyBytes(`IP(src='${lab.client.ip}',dst='${lab.server.ip}')/TCP(sport=41006,dport=${OPEN_PORT},flags='S',seq=9000)`);
      await session.send({ frames: [syn], link: 'fill' });
      const probe = probeOf(syn, 101);
      expect(probe).not.toBeNull();
      let synAck: LiveFrame | undefined;
      for (let waited = 0; !synAck && waited < 2000; waited += 20) {
        synAck = frames.find((frame) => replyKind(probe!, frame.bytes, frame.linkType) === 'reply');
        await sleep(20);
      }
      expect(synAck).toBeDefined();
      const serverIsn = Buffer.from(synAck!.bytes).readUInt32BE(14 + 20 + 4);
      const accepted = server.waitFor(/accepted 41006/, 5000);
      const ack = scapyBytes(`IP(src='${lab.client.ip}',dst='${lab.server.ip}')/TCP(sport=41006,dport=${OPEN_PORT},flags='A',seq=9001,ack=${(serverIsn + 1) >>> 0})`);
      await session.send({ frames: [ack], link: 'fill' });
      await expect(accepted).resolves.toMatch(/accepted 41006/);
      const rstsFromUs = frames.filter((frame) => frame.bytes[14 + 20 + 13] & RST);
      expect(rstsFromUs).toHaveLength(0);
      expect(lab.exec(lab.client.ns, 'iptables', ['-S', 'OUTPUT'])).toMatch(/handshake-helper/);
      await session.releaseKernelRst(rule.ruleId);
      expect(lab.exec(lab.client.ns, 'iptables', ['-S', 'OUTPUT'])).not.toMatch(/handshake-helper/);
    } finally {
      await session.stop();
      rmSync(session.spoolPath, { force: true });
    }
  });

  it('an RST with the sequence number from the capture resets the server\'s socket (ECONNRESET)', async () => {
    const session = await CaptureSession.start({
      device: lab.client.ifname,
      filter: `tcp port ${OPEN_PORT}`,
      spoolPath: path.join(os.tmpdir(), `hw-abort-${process.pid}.pcapng`),
      helperPath,
      launcher: ['ip', 'netns', 'exec', lab.client.ns],
    });
    const client = nodeInNamespace(
      lab.client.ns,
      `const s = require('net').connect({ port: ${OPEN_PORT}, host: '${lab.server.ip}', localPort: 41007 }, () => s.write('hold'));
       s.on('data', (d) => console.log('got ' + d));
       s.on('error', (e) => console.log('client error ' + e.code));`,
    );
    try {
      await client.waitFor(/got pong:hold/);
      await sleep(200);
      // The tracker knows where the client's sequence space stands.
      const connection = session.liveConnections().find((entry) => entry.client === `${lab.client.ip}:41007`);
      expect(connection).toMatchObject({ clientState: 'ESTABLISHED', serverState: 'ESTABLISHED' });
      expect(session.statistics().connectionsByState).toMatchObject({ client: { ESTABLISHED: 1 }, server: { ESTABLISHED: 1 } });
      const nextSeq = connection!.clientNextSeq;
      const reset = server.waitFor(/error ECONNRESET/, 5000);
      const result = await send(['--template', 'rst', '--set', `ip.dst=${lab.server.ip}`, '--set', 'tcp.srcport=41007', '--set', `tcp.dstport=${OPEN_PORT}`, '--set', `tcp.seq_raw=${nextSeq}`, '--wait', '200']);
      expect(result.code, result.stderr).toBe(0);
      await expect(reset).resolves.toMatch(/ECONNRESET/);
    } finally {
      client.stop();
      await session.stop();
      rmSync(session.spoolPath, { force: true });
    }
  });

  it.skipIf(!hasScapy)('the backend\'s capture provider lists, validates and sends through short-lived helpers', async () => {
    const provider = createHelperCaptureProvider({ helperPath, launcher: ['ip', 'netns', 'exec', lab.client.ns] });
    const interfaces = await provider.listInterfaces();
    expect(interfaces.find((entry) => entry.name === lab.client.ifname)).toMatchObject({ mac: lab.client.mac, linkType: 1, addresses: expect.arrayContaining([lab.client.ip]) });
    expect(await provider.validateBpf('tcp port 80', 1)).toEqual({ ok: true, message: null });
    expect(await provider.validateBpf('tcp port eighty', 1)).toMatchObject({ ok: false, message: expect.stringContaining('eighty') });
    const udp = scapyBytes(`Ether(src='${lab.client.mac}',dst='${lab.server.mac}')/IP(src='${lab.client.ip}',dst='${lab.server.ip}')/UDP(sport=5000,dport=9)/Raw(b'x')`);
    const sent = await provider.send({ interface: lab.client.ifname, linkType: 1, framesHex: [Buffer.from(udp).toString('hex')], count: 3, intervalMs: 0, fillLink: false, waitMs: 0 });
    expect(sent.sent).toBe(3);
    await expect(provider.send({ interface: lab.client.ifname, linkType: 101, framesHex: ['00'], count: 1, intervalMs: 0, fillLink: false })).rejects.toThrow(/link type 1/);
  });

  it('over IPv6, resolves the peer by its own neighbour solicitation and gets the closed port\'s RST+ACK', async () => {
    // Documentation-range IPv6 addresses, inside the test's own namespaces only.
    lab.exec(lab.client.ns, 'ip', ['-6', 'addr', 'add', '2001:db8:18::1/64', 'dev', lab.client.ifname, 'nodad']);
    lab.exec(lab.server.ns, 'ip', ['-6', 'addr', 'add', '2001:db8:18::2/64', 'dev', lab.server.ifname, 'nodad']);
    const result = await send(['--set', 'ipv6.dst=2001:db8:18::2', '--set', `tcp.dstport=${CLOSED_PORT}`, '--set', 'tcp.srcport=41008', '--set', 'tcp.flags.syn=1', '--set', 'tcp.seq_raw=300', '--wait', '1500', '--json']);
    expect(result.stderr).toBe('');
    const records = ndjson(result.stdout);
    expect(records[0]).toMatchObject({ type: 'sent', eth_dst_from: 'ndp' });
    expect(frameOf(records[0])).toMatchObject({ 'ipv6.src': '2001:db8:18::1', 'eth.dst': lab.server.mac });
    const replies = records.filter((record) => record.type === 'reply').map(frameOf);
    expect(replies[0]).toMatchObject({ 'ipv6.src': '2001:db8:18::2', 'tcp.flags': RST | ACK, 'tcp.ack_raw': 301 });
  });

  it.each([
    ['--interval', '100', 100],
    ['--rate', '20', 50],
  ])('paces frames with %s %s, as a capture on the receiving side shows', async (option, value, gapMs) => {
    // tcpdump in the server's namespace is the independent clock here.
    const file = path.join(os.tmpdir(), `hw-pace-${process.pid}-${option.slice(2)}.pcap`);
    const tcpdump = spawn('ip', ['netns', 'exec', lab.server.ns, 'tcpdump', '-i', lab.server.ifname, '--immediate-mode', '-U', '-w', file, 'udp or tcp dst port 9']);
    let started = '';
    tcpdump.stderr.on('data', (chunk: Buffer) => (started += chunk.toString()));
    try {
      for (let waited = 0; !/listening on/.test(started) && waited < 5000; waited += 50) await sleep(50);
      const result = await send(['--template', 'syn', '--set', `ip.dst=${lab.server.ip}`, '--set', 'tcp.dstport=9', '--set', 'tcp.srcport=41009', '-c', '5', option, value, '--wait', '0']);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/^sent 5 frames/m);
      await sleep(300);
    } finally {
      tcpdump.kill('SIGINT');
      await new Promise((resolve) => tcpdump.on('close', resolve));
    }
    const times = tsharkFields(file, ['frame.time_epoch'], 'tcp.srcport == 41009').map(([time]) => Number(time));
    rmSync(file, { force: true });
    expect(times).toHaveLength(5);
    const gaps = times.slice(1).map((time, index) => (time - times[index]) * 1000);
    for (const gap of gaps) expect(gap).toBeGreaterThan(gapMs * 0.7);
    expect(times[4] - times[0]).toBeLessThan((gapMs * 4 * 2) / 1000);
  });

  it('refuses to inject on the Linux loopback, whose stack never receives such frames, and says so', async () => {
    // Scapy's sendp on lo shows the same kernel behaviour: the frame is captured, nothing answers.
    const result = await runLiveCli(cli, helperPath, lab.client.ns, ['send', '-i', 'lo', '--set', 'ip.src=127.0.0.1', '--set', 'ip.dst=127.0.0.1', '--set', `tcp.dstport=${CLOSED_PORT}`, '--set', 'tcp.flags.syn=1', '--wait', '0']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Linux does not deliver frames injected on the loopback device "lo"/);
  });
});
