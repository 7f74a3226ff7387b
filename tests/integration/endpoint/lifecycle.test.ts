/**
 * Every way a conversation started from the UI can end without the user's Close: Stop, its
 * session closed, the browser-host client gone, the engine told to exit. Each time a live
 * connection is reset (the Linux peer's socket sees ECONNRESET), the helper's RST rules are gone
 * (`iptables -S` in the helper's namespace back to the baseline) and the helper process has
 * exited (its channel released). The local address is one the kernel owns, so rules exist.
 */
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { API_PROTOCOL, TOKEN_PROTOCOL_PREFIX, type ApiContract, type ApiEvent, type OpenEndpointParams } from '../../../shared/api';
import { Backend } from '../../../electron/engine/backend';
import { encodeControl, forEachBatchFrame, MessageReader, MessageType } from '../../../electron/helper/protocol';
import { startHost } from '../../../electron/host/server';
import { bundleForTest } from '../../support/bundle';
import { canUseNamespaces, hasIptables, hasScapy, nodeInNamespace, scapyMany, sleep, type NodeInNamespace, type VethLab } from '../capture/support';
import { openEndpointApiLab, type EndpointApiLab } from './api-lab';

describe.skipIf(!canUseNamespaces || !hasIptables)('ending a conversation: RST to the peer, rules and helper gone', () => {
  let api: EndpointApiLab;
  let lab: VethLab;
  let server: NodeInNamespace;
  let helperPath: string;
  let dir: string;
  let events: ApiEvent[];

  beforeAll(async () => {
    // Each connection's fate as a line: "accepted PORT", "error PORT ECONNRESET", "close PORT".
    api = await openEndpointApiLab('endpt-life', (ip) => `require('net').createServer((s) => { const p = s.remotePort; console.log('accepted ' + p); s.on('data', (d) => console.log('data ' + p + ' ' + d.length)); s.on('error', (e) => console.log('error ' + p + ' ' + e.code)); s.on('close', () => console.log('close ' + p)); }).listen(7400, '${ip}', () => console.log('listening'));`);
    ({ lab, peer: server, helperPath, dir, events } = api);
  });
  afterAll(() => api?.close());

  /** The helper's RST rules in its namespace (tagged `handshake-helper`). */
  const rules = () => lab.exec(lab.client.ns, 'iptables', ['-S', 'OUTPUT']).split('\n').filter((line) => line.includes('handshake-helper'));
  /** Pids of running helpers of this test (their command line names our bundle). */
  const helperPids = () => (spawnSync('pgrep', ['-f', helperPath], { encoding: 'utf8' }).stdout ?? '').split('\n').filter(Boolean).map(Number);
  const helpers = () => helperPids().length;
  const until = async (done: () => boolean, what: string, timeoutMs = 10_000) => {
    for (let waited = 0; waited < timeoutMs; waited += 50) {
      if (done()) return;
      await sleep(50);
    }
    throw new Error(`timed out: ${what} (rules: ${rules().join(' / ') || 'none'}; helpers: ${helpers()})`);
  };
  const call = <M extends keyof ApiContract>(method: M, body: ApiContract[M]['params']) => api.call(method, body);
  const waitForEvent = (match: (event: ApiEvent) => boolean, timeoutMs = 10_000) => api.waitForEvent(match, timeoutMs);
  const params = (localPort: number, change: Partial<OpenEndpointParams> = {}): OpenEndpointParams => ({
    interface: lab.client.ifname,
    local: lab.client.ip,
    localPort,
    remote: lab.server.ip,
    remotePort: 7400,
    retransmit: false,
    keepaliveSeconds: null,
    step: false,
    isn: null,
    mss: null,
    windowScale: 7,
    sack: true,
    timestamps: true,
    ...change,
  });
  /** Before each way of ending: nothing of ours is left from the last. */
  const baseline = async () => {
    await until(() => rules().length === 0 && helpers() === 0, 'a clean baseline');
  };
  /**
   * A test that leaves rules or helpers behind fails itself, and takes them away, so that the
   * next test does not fail for it.
   */
  afterEach(async () => {
    try {
      await until(() => rules().length === 0 && helpers() === 0, 'nothing of this test left behind', 5_000);
    } catch (leak) {
      for (const pid of helperPids()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      // `iptables -S` prints the comment in double quotes; ours has no spaces.
      for (const rule of rules()) lab.exec(lab.client.ns, 'iptables', ['-D', ...rule.trim().split(/\s+/).slice(1).map((word) => word.replace(/^"(.*)"$/, '$1'))]);
      throw leak;
    }
  }, 30_000);
  /** Connects through the API; resolves once Linux accepted and the 4-tuple's rule is in. */
  const connect = async (localPort: number, change: Partial<OpenEndpointParams> = {}) => {
    const opened = await call('openEndpoint', params(localPort, change));
    await server.waitFor(new RegExp(`^accepted ${localPort}$`));
    expect(rules().some((rule) => rule.includes(`--sport ${localPort}`))).toBe(true);
    expect(helpers()).toBe(1);
    return opened;
  };
  /** A rule for each 4-tuple from our listening port to these ports of the server. */
  const tupleRulesFor = (clientPorts: number[]) => clientPorts.every((clientPort) => rules().some((rule) => rule.includes(`-d ${lab.server.ip}/32`) && rule.includes(`--dport ${clientPort}`)));
  const resetSeen = (localPort: number) => server.waitFor(new RegExp(`^error ${localPort} ECONNRESET$`));

  it('Stop resets the connection, removes its rule and ends the helper', async () => {
    await baseline();
    const opened = await connect(41400);
    await call('stopEndpoint', { endpointId: opened.endpointId });
    await resetSeen(41400);
    expect(rules()).toEqual([]);
    await until(() => helpers() === 0, 'the helper to exit');
    expect(await waitForEvent((e) => e.type === 'endpoint-end' && e.endpointId === opened.endpointId)).toMatchObject({ reason: 'we reset the connection' });
    const states = events.flatMap((e) => (e.type === 'endpoint-state' && e.endpointId === opened.endpointId ? [e.to] : []));
    expect(states.at(-1)).toBe('CLOSED');
  }, 60_000);

  it('Stop in step mode sends the RST itself', async () => {
    await baseline();
    const opened = await call('openEndpoint', params(41401, { step: true }));
    await call('endpointStep', { endpointId: opened.endpointId });
    let next = await call('endpointProposal', { endpointId: opened.endpointId });
    for (let i = 0; i < 100 && next.proposal?.reason !== 'ack'; i++) {
      await sleep(50);
      next = await call('endpointProposal', { endpointId: opened.endpointId });
    }
    await call('endpointStep', { endpointId: opened.endpointId });
    await server.waitFor(/^accepted 41401$/);
    await call('stopEndpoint', { endpointId: opened.endpointId });
    await resetSeen(41401);
    expect(rules()).toEqual([]);
    await until(() => helpers() === 0, 'the helper to exit');
  }, 60_000);

  it('closing the endpoint\'s session ends it the same way', async () => {
    await baseline();
    const opened = await connect(41402);
    await call('closeSession', { sessionId: opened.sessionId });
    await resetSeen(41402);
    expect(rules()).toEqual([]);
    await until(() => helpers() === 0, 'the helper to exit');
    await expect(call('endpointSend', { endpointId: opened.endpointId, text: 'x' })).rejects.toMatchObject({ code: 'not-found' });
  }, 60_000);

  it('closing a script run\'s session resets the connection the script left open', async () => {
    await baseline();
    // The script waits long for data Linux never sends: closing its session must not wait for that.
    const script = ['0 < S 0:0(0) win 65535 <mss 1460>', '+0 > S. 0:0(0) ack 1 <...>', '+0 < . 1:1(0) ack 1 win 65535', '+30 > P. 1:2(1) ack 1'].join('\n');
    const opened = await call('runScript', { interface: lab.client.ifname, script, local: lab.client.ip, localPort: 41403, remote: lab.server.ip, remotePort: 7400, toleranceMs: 4, waitSeconds: 30, step: false });
    await server.waitFor(/^accepted 41403$/);
    expect(rules().some((rule) => rule.includes('--sport 41403'))).toBe(true);
    const started = Date.now();
    await call('closeSession', { sessionId: opened.sessionId });
    expect(Date.now() - started).toBeLessThan(10_000);
    await resetSeen(41403);
    expect(rules()).toEqual([]);
    await until(() => helpers() === 0, 'the helper to exit');
    expect(await waitForEvent((e) => e.type === 'script-end' && e.runId === opened.runId)).toMatchObject({ stopped: true });
  }, 60_000);

  it('a browser-host client that disconnects takes its conversations with it (an endpoint and a script)', async () => {
    await baseline();
    // The host owns the backend it serves (its close disposes it), so it gets one of its own.
    const host = await startHost({ port: 0, backend: new Backend({ host: 'browser', version: 'test', spoolDirectory: dir }), rendererDir: dir });
    try {
      const socket = new WebSocket(`ws://127.0.0.1:${host.port}/api`, [API_PROTOCOL, `${TOKEN_PROTOCOL_PREFIX}${host.token}`]);
      await new Promise((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', reject);
      });
      const answers = new Map<number, unknown>();
      socket.on('message', (data) => {
        const message = JSON.parse(data.toString()) as { kind: string; id?: number; result?: unknown; error?: unknown };
        if (message.kind === 'response' && message.id !== undefined) answers.set(message.id, message.result ?? message.error);
      });
      const request = async (id: number, method: string, body: unknown) => {
        socket.send(JSON.stringify({ kind: 'request', id, method, params: body }));
        await until(() => answers.has(id), `the answer to ${method}`);
        return answers.get(id) as { endpointId?: string; runId?: string };
      };
      const endpoint = await request(1, 'openEndpoint', params(41404));
      expect(endpoint.endpointId).toMatch(/^e/);
      const script = ['0 < S 0:0(0) win 65535 <mss 1460>', '+0 > S. 0:0(0) ack 1 <...>', '+0 < . 1:1(0) ack 1 win 65535', '+30 > P. 1:2(1) ack 1'].join('\n');
      const run = await request(2, 'runScript', { interface: lab.client.ifname, script, local: lab.client.ip, localPort: 41405, remote: lab.server.ip, remotePort: 7400, toleranceMs: 4, waitSeconds: 30, step: false });
      expect(run.runId).toMatch(/^r/);
      await server.waitFor(/^accepted 41404$/);
      await server.waitFor(/^accepted 41405$/);
      expect(rules()).toHaveLength(2);
      expect(helpers()).toBe(2);
      socket.terminate();
      await resetSeen(41404);
      await resetSeen(41405);
      await until(() => rules().length === 0 && helpers() === 0, 'the rules and helpers to go');
    } finally {
      await host.close().catch(() => undefined);
    }
  }, 60_000);

  it('Stop on a listener with two live peers resets each, removes both 4-tuples\' rules, and reports each final state', async () => {
    await baseline();
    const port = 7410;
    const opened = await call('openEndpoint', params(0, { remote: null, remotePort: null, localPort: port, connections: 2 }));
    // Waiting: the listening address's rule only.
    expect(rules()).toHaveLength(1);
    expect(rules()[0]).toContain(`--sport ${port}`);
    expect(rules()[0]).not.toContain('-d ');
    const clientScript = `const s = require('net').connect({ host: '${lab.client.ip}', port: ${port} }, () => console.log('connected ' + s.localPort)); s.on('error', (e) => console.log('error ' + e.code)); s.on('close', () => console.log('closed'));`;
    const clients = [nodeInNamespace(lab.server.ns, clientScript), nodeInNamespace(lab.server.ns, clientScript)];
    try {
      const ports = await Promise.all(clients.map(async (client) => Number((await client.waitFor(/^connected /)).split(' ')[1])));
      const ids = await Promise.all(
        ports.map(async (clientPort) => {
          const event = await waitForEvent((e) => e.type === 'endpoint-accepted' && e.endpointId === opened.endpointId && e.peer === `${lab.server.ip}:${clientPort}`);
          return event.type === 'endpoint-accepted' ? event.connectionId : '';
        }),
      );
      for (const id of ids) await waitForEvent((e) => e.type === 'endpoint-state' && e.endpointId === id && e.to === 'ESTABLISHED');
      // Both live: exactly the two 4-tuples' rules (the listening one left once the second was accepted).
      // Waited for as a whole: the listening rule goes and the second 4-tuple's comes in two steps.
      await until(() => rules().length === 2 && tupleRulesFor(ports), "exactly the two 4-tuples' rules");
      expect(helpers()).toBe(1);
      await call('stopEndpoint', { endpointId: opened.endpointId });
      for (const client of clients) expect(await client.waitFor(/^error /)).toBe('error ECONNRESET');
      expect(rules()).toEqual([]);
      await until(() => helpers() === 0, 'the helper to exit');
      // What the view shows: each conversation's last state CLOSED, each ended, then the listener.
      for (const id of ids) {
        const states = events.flatMap((e) => (e.type === 'endpoint-state' && e.endpointId === id ? [e.to] : []));
        expect(states.at(-1)).toBe('CLOSED');
        expect(events.find((e) => e.type === 'endpoint-end' && e.endpointId === id)).toMatchObject({ reason: 'we reset the connection' });
      }
      expect(await waitForEvent((e) => e.type === 'endpoint-end' && e.endpointId === opened.endpointId)).toMatchObject({ reason: '2 of 2 connections accepted, 2 ended as asked' });
    } finally {
      for (const client of clients) client.stop();
    }
  }, 60_000);

  it('`handshake connect` killed with SIGKILL: its helper resets the live connection, removes the rule and exits', async () => {
    await baseline();
    const cli = bundleForTest('endpoint-kill-cli', {
      source: `
        import { runConnect } from './electron/cli/commands/endpoint';
        runConnect(process.argv.slice(2)).then((code) => { process.exitCode = code; });
      `,
    });
    let child: ChildProcess | null = null;
    try {
      // Sends data first, so the RST's sequence number is past the ISN: the helper must have followed SND.NXT.
      child = spawn(process.execPath, [cli, `${lab.server.ip}:7400`, '--local', `${lab.client.ip}:41407`, '-i', lab.client.ifname, '--send', 'hello', '--close-after', '120'], {
        stdio: 'ignore',
        env: { ...process.env },
      });
      await server.waitFor(/^accepted 41407$/);
      await server.waitFor(/^data 41407 5$/);
      expect(rules().some((rule) => rule.includes('--sport 41407'))).toBe(true);
      expect(helpers()).toBe(1);
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child?.once('exit', (_code, signal) => resolve(signal)));
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      await resetSeen(41407);
      await until(() => rules().length === 0, 'the rules to go');
      await until(() => helpers() === 0, 'the helper to exit');
    } finally {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(cli, { force: true });
    }
  }, 60_000);

  it('a conversation closed with FIN by `handshake connect` gets no RST from its helper when the command ends', async () => {
    await baseline();
    const cli = bundleForTest('endpoint-fin-cli', {
      source: `
        import { runConnect } from './electron/cli/commands/endpoint';
        runConnect(process.argv.slice(2)).then((code) => { process.exitCode = code; });
      `,
    });
    const pcap = path.join(dir, 'fin-close.pcap');
    const tcpdump = spawn('ip', ['netns', 'exec', lab.server.ns, 'tcpdump', '-i', lab.server.ifname, '--immediate-mode', '-U', '-w', pcap, 'tcp port 41409'], { stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      await new Promise<void>((resolve, reject) => {
        let text = '';
        tcpdump.stderr?.on('data', (chunk: Buffer) => {
          text += chunk.toString();
          if (text.includes('listening on')) resolve();
        });
        tcpdump.once('exit', (code) => reject(new Error(`tcpdump exited ${code}: ${text}`)));
      });
      const child = spawn(process.execPath, [cli, `${lab.server.ip}:7400`, '--local', `${lab.client.ip}:41409`, '-i', lab.client.ifname, '--send', 'bye', '--close', 'fin', '--close-after', '0.2', '--time-wait', '0.2'], { stdio: 'ignore', env: { ...process.env } });
      const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
      expect(code).toBe(0);
      await server.waitFor(/^close 41409$/);
      await until(() => helpers() === 0, 'the helper to exit');
      await sleep(500);
    } finally {
      await new Promise<void>((resolve) => {
        if (tcpdump.exitCode !== null) return resolve();
        tcpdump.once('exit', () => resolve());
        tcpdump.kill('SIGINT');
      });
      rmSync(cli, { force: true });
    }
    // tcpdump's own reading: FINs both ways, no RST at all.
    const flags = spawnSync('tcpdump', ['-nn', '-r', pcap], { encoding: 'utf8' }).stdout;
    expect(flags).toMatch(/Flags \[F\.\]/);
    expect(flags).not.toMatch(/Flags \[R/);
    expect(rules()).toEqual([]);
  }, 60_000);

  it('an engine killed with SIGKILL: the helper resets each live conversation of a listener with two peers, then goes', async () => {
    await baseline();
    const engineBundle = bundleForTest('engine-kill', 'electron/engine/main.ts');
    let engine: ChildProcess | null = null;
    const clients: NodeInNamespace[] = [];
    try {
      engine = fork(engineBundle, [], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'], env: { ...process.env } });
      const answers = new Map<number, { ok: boolean }>();
      engine.on('message', (raw) => {
        const message = raw as { kind: string; id?: number; ok: boolean };
        if (message.kind === 'response' && message.id !== undefined) answers.set(message.id, message);
      });
      engine.send({ kind: 'request', id: 1, method: 'openEndpoint', params: params(7408, { remote: null, remotePort: null, connections: 2 }) });
      await until(() => answers.has(1), 'the engine to listen', 20_000);
      expect(answers.get(1)?.ok).toBe(true);
      for (let i = 0; i < 2; i++) {
        clients.push(
          nodeInNamespace(
            lab.server.ns,
            `const s = require('net').connect({ host: '${lab.client.ip}', port: 7408 }, () => console.log('connected ' + s.localPort)); s.on('error', (e) => console.log('error ' + e.code));`,
          ),
        );
      }
      const ports = await Promise.all(clients.map(async (client) => Number((await client.waitFor(/^connected /)).split(' ')[1])));
      // Both accepted: each 4-tuple's rule in, the listening address's gone (two rules may also be the
      // listening one and the first peer's while the second peer is still being set up).
      await until(() => rules().length === 2 && tupleRulesFor(ports), "exactly the two 4-tuples' rules");
      const exited = new Promise<NodeJS.Signals | null>((resolve) => engine?.once('exit', (_code, signal) => resolve(signal)));
      engine.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      for (const client of clients) expect(await client.waitFor(/^error /)).toBe('error ECONNRESET');
      await until(() => rules().length === 0, 'the rules to go');
      await until(() => helpers() === 0, 'the helper to exit');
    } finally {
      for (const client of clients) client.stop();
      if (engine && engine.exitCode === null && engine.signalCode === null) engine.kill('SIGKILL');
      rmSync(engineBundle, { force: true });
    }
  }, 60_000);

  it.skipIf(!hasScapy)('a helper whose engine stopped reading (its output pipe closed, stdin still open) resets the live conversation, removes its rule and exits', async () => {
    await baseline();
    const localPort = 41410;
    // The engine's side by hand: the helper's framed protocol on its stdio, the segments built by Scapy.
    const helper = spawn('ip', ['netns', 'exec', lab.client.ns, process.execPath, helperPath], { stdio: ['pipe', 'pipe', 'ignore'] });
    const exited = new Promise<number | null>((resolve) => helper.once('exit', (code) => resolve(code)));
    helper.stdin.on('error', () => undefined);
    const reader = new MessageReader();
    const replies = new Map<number, { ok: boolean; error?: unknown }>();
    const captured: Uint8Array[] = [];
    helper.stdout.on('data', (chunk: Buffer) => {
      for (const item of reader.push(chunk)) {
        const message = item.kind === 'control' ? (item.message as { id?: unknown; ok: boolean; error?: unknown }) : null;
        if (message && typeof message.id === 'number') replies.set(message.id, message);
        if (item.kind === 'batch' && item.type === MessageType.captured) forEachBatchFrame(item.payload, (_sec, _nsec, _length, bytes) => captured.push(bytes.slice()));
      }
    });
    let nextId = 1;
    const request = async (body: Record<string, unknown>) => {
      const id = nextId++;
      helper.stdin.write(encodeControl({ id, ...body }));
      await until(() => replies.has(id), `the helper's answer to ${String(body.cmd)}`);
      expect(replies.get(id)).toMatchObject({ ok: true });
    };
    const send = (packet: Uint8Array) =>
      request({ cmd: 'send', frames: [Buffer.from(packet).toString('base64')], link: 'fill', ethSrc: lab.client.mac, ethDst: lab.server.mac, conversation: true });
    const segment = (flags: string, seq: number, ack = 0) => scapyMany([`IP(src='${lab.client.ip}',dst='${lab.server.ip}')/TCP(sport=${localPort},dport=7400,flags='${flags}',seq=${seq},ack=${ack})`])[0];
    /** The peer's SYN+ACK (Ethernet, IPv4 without options, TCP): its SEQ, or null while none came. */
    const peerIsn = () => {
      const synAck = captured.find((frame) => frame.length >= 54 && frame[23] === 6 && ((frame[36] << 8) | frame[37]) === localPort && (frame[47] & 0x12) === 0x12);
      return synAck ? new DataView(synAck.buffer, synAck.byteOffset).getUint32(38) : null;
    };
    try {
      await request({ cmd: 'open', device: lab.client.ifname, filter: `tcp port ${localPort}`, bufferSize: 4 * 1024 * 1024, immediate: true });
      await request({ cmd: 'suppress-rst', src: lab.client.ip, dst: lab.server.ip, sport: localPort, dport: 7400 });
      await send(segment('S', 1000));
      await until(() => peerIsn() !== null, "the peer's SYN+ACK");
      await send(segment('A', 1001, ((peerIsn() ?? 0) + 1) >>> 0));
      await server.waitFor(new RegExp(`^accepted ${localPort}$`));
      expect(rules().some((rule) => rule.includes(`--sport ${localPort}`))).toBe(true);
      // The engine stops reading: the answer to this request meets a pipe without a reader (EPIPE)
      // while stdin is still open, as when an engine is killed while the helper is busy with its request.
      helper.stdout.destroy();
      helper.stdin.write(encodeControl({ id: nextId++, cmd: 'stats' }));
      await resetSeen(localPort);
      expect(await exited).toBe(0);
      expect(rules()).toEqual([]);
    } finally {
      if (helper.exitCode === null && helper.signalCode === null) helper.kill('SIGKILL');
    }
  }, 60_000);

  it('an engine told to exit (SIGTERM, as the app does on quit) resets its conversations first', async () => {
    await baseline();
    const engineBundle = bundleForTest('engine', 'electron/engine/main.ts');
    let engine: ChildProcess | null = null;
    try {
      engine = fork(engineBundle, [], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'], env: { ...process.env } });
      const answers = new Map<number, { ok: boolean; result?: { endpointId: string } }>();
      engine.on('message', (raw) => {
        const message = raw as { kind: string; id?: number; ok: boolean; result?: { endpointId: string } };
        if (message.kind === 'response' && message.id !== undefined) answers.set(message.id, message);
      });
      engine.send({ kind: 'request', id: 1, method: 'openEndpoint', params: params(41406) });
      await until(() => answers.has(1), 'the engine to open the endpoint', 20_000);
      expect(answers.get(1)?.ok).toBe(true);
      await server.waitFor(/^accepted 41406$/);
      expect(rules().some((rule) => rule.includes('--sport 41406'))).toBe(true);
      const exited = new Promise<number | null>((resolve) => engine?.once('exit', (code) => resolve(code)));
      engine.kill('SIGTERM');
      expect(await exited).toBe(0);
      await resetSeen(41406);
      expect(rules()).toEqual([]);
      await until(() => helpers() === 0, 'the helper to exit');
    } finally {
      if (engine && engine.exitCode === null) engine.kill('SIGKILL');
      rmSync(engineBundle, { force: true });
    }
  }, 60_000);
});
