/**
 * The Endpoint view in Chromium through the browser host: connect to a Linux server in a test
 * namespace, send text (the server must read exactly the bytes, each line break as CR LF), close
 * with FIN, then reset; at each step the Connections row and the ladder show our lane from the
 * endpoint and the peer's as tracked, the peer's checked against what `ss` in the server's
 * namespace says of its own socket. In step mode, the window typed into the proposed segments is
 * what tcpdump in the server's namespace sees on the wire (read back with tshark).
 */
import { expect, test, type Page } from '@playwright/test';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { hasTshark, nodeInNamespace, tsharkFields } from '../integration/capture/support';
import { fillEndpointForm, namespaceLabHost, screenshot, startTcpdump, tempDir } from './support';

/** An address in the lab's subnet the client namespace's kernel does not own: the endpoint answers ARP for it. */
const UNOWNED_LOCAL = '198.18.0.11';
const PORT = 7400;

/** ss's state names for the RFC 9293 ones the workbench shows. */
const SS_STATES: Record<string, string> = {
  ESTAB: 'ESTABLISHED',
  'SYN-RECV': 'SYN_RECEIVED',
  'SYN-SENT': 'SYN_SENT',
  'CLOSE-WAIT': 'CLOSE_WAIT',
  'LAST-ACK': 'LAST_ACK',
  'FIN-WAIT-1': 'FIN_WAIT_1',
  'FIN-WAIT-2': 'FIN_WAIT_2',
  'TIME-WAIT': 'TIME_WAIT',
  CLOSING: 'CLOSING',
};

/** A server that logs what it reads and never closes by itself (half-open allowed): after our FIN it stays in CLOSE_WAIT. */
function halfOpenServer(host: string): string {
  return `
    const net = require('net');
    net.createServer({ allowHalfOpen: true }, (socket) => {
      socket.on('error', (error) => console.log('error ' + error.code));
      socket.on('data', (data) => console.log('data ' + JSON.stringify(data.toString('latin1'))));
      socket.on('end', () => console.log('end'));
    }).listen(${PORT}, '${host}', () => console.log('listening'));
  `;
}

test.describe('endpoint view', () => {
  const env = namespaceLabHost('endpoint', halfOpenServer);
  let dir = '';
  test.beforeAll(() => {
    dir = tempDir('endpoint');
  });
  test.afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The server's own view of the connection from our port: its RFC 9293 state name, or null when its socket is gone. */
  function peerState(localPort: number): string | null {
    const out = env.lab.exec(env.lab.server.ns, 'ss', ['-Htan', 'dst', `${UNOWNED_LOCAL}:${localPort}`]).trim();
    const line = out.split('\n').find((text) => text.trim() !== '');
    if (!line) return null;
    const ss = line.trim().split(/\s+/)[0];
    return SS_STATES[ss] ?? ss;
  }

  async function openView(page: Page, localPort: number): Promise<void> {
    const { lab, host } = env;
    await fillEndpointForm(page, host.url, lab.client.ifname, { mode: 'connect', local: UNOWNED_LOCAL, localPort, remote: lab.server.ip, remotePort: PORT });
  }

  /** The step-mode proposal shown (refreshed until it holds `text`). */
  function expectProposal(page: Page, text: string): Promise<void> {
    return expect
      .poll(
        async () => {
          await page.getByTestId('endpoint-refresh').click();
          return (await page.getByTestId('endpoint-proposal').textContent()) ?? '';
        },
        { timeout: 15_000 },
      )
      .toContain(text);
  }

  /** The Connections row of our conversation: our state (from the endpoint) and the peer's (tracked). */
  async function expectRow(page: Page, localPort: number, ours: string, peers: string): Promise<void> {
    await page.getByTestId('view-connections').click();
    const row = page.locator('.row[data-stream]', { hasText: `${UNOWNED_LOCAL}:${localPort}` });
    await expect(row.getByTestId('client-state')).toHaveText(`${ours} ◆ ours`, { timeout: 10_000 });
    await expect(row.getByTestId('client-state')).toHaveAttribute('data-source', 'endpoint');
    await expect(row.getByTestId('server-state')).toHaveText(peers);
    await expect(row.getByTestId('server-state')).toHaveAttribute('data-source', 'tracked');
  }

  /** The ladder of our conversation: the states after its last arrow, and at its end. */
  async function expectLadder(page: Page, localPort: number, ours: string, peers: string): Promise<void> {
    await page.getByTestId('view-connections').click();
    await page.locator('.row[data-stream]', { hasText: `${UNOWNED_LOCAL}:${localPort}` }).dblclick();
    const ladder = page.getByTestId('ladder');
    await expect(ladder.getByTestId('client-lane-title')).toHaveText('client · ours, states from the endpoint');
    await expect(ladder.getByTestId('server-lane-title')).toHaveText('server · peer, states as tracked');
    const last = ladder.locator('g.arrow').last();
    await expect(last).toHaveAttribute('data-client-state', ours, { timeout: 10_000 });
    await expect(last).toHaveAttribute('data-server-state', peers);
    await expect(ladder.getByTestId('client-final')).toHaveText(ours);
    await expect(ladder.getByTestId('server-final')).toHaveText(peers);
  }

  test('connect, send text with CR LF, close, reset: both lanes shown at each step, the peer\'s as its kernel has it', async ({ page }) => {
    const { server } = env;
    const localPort = 45400;
    await openView(page, localPort);
    await page.getByTestId('endpoint-open').click();
    await expect(page.getByTestId('endpoint-state')).toHaveText('ESTABLISHED', { timeout: 15_000 });
    await expect.poll(() => peerState(localPort)).toBe('ESTABLISHED');
    await expectRow(page, localPort, 'ESTABLISHED', 'ESTABLISHED');
    await expectLadder(page, localPort, 'ESTABLISHED', 'ESTABLISHED');
    // The handshake's first arrow: our SYN, after which the endpoint was in SYN_SENT.
    const first = page.getByTestId('ladder').locator('g.arrow').first();
    await expect(first).toHaveAttribute('aria-label', /client to server, SYN\b/);
    await expect(first).toHaveAttribute('data-client-state', 'SYN_SENT');

    // Text typed with line breaks (the text box hands over LF): CR LF on the wire, by default.
    await page.getByTestId('view-endpoint').click();
    await page.getByTestId('endpoint-text').fill('GET / HTTP/1.1\nHost: lab\n\n');
    await page.getByTestId('endpoint-send').click();
    expect(await server.waitFor(/^data /)).toBe(`data ${JSON.stringify('GET / HTTP/1.1\r\nHost: lab\r\n\r\n')}`);

    // FIN: the server does not close, so we wait in FIN_WAIT_2 and Linux holds CLOSE_WAIT.
    await page.getByTestId('endpoint-fin').click();
    await expect(page.getByTestId('endpoint-state')).toHaveText('FIN_WAIT_2', { timeout: 10_000 });
    await server.waitFor(/^end$/);
    await expect.poll(() => peerState(localPort)).toBe('CLOSE_WAIT');
    await expectRow(page, localPort, 'FIN_WAIT_2', 'CLOSE_WAIT');
    await expectLadder(page, localPort, 'FIN_WAIT_2', 'CLOSE_WAIT');
    await screenshot(page, 'endpoint-ladder-half-closed');

    // Reset: our RST ends both; Linux's socket is gone.
    await page.getByTestId('view-endpoint').click();
    await page.getByTestId('endpoint-rst').click();
    await expect(page.getByTestId('endpoint-state')).toHaveText('CLOSED', { timeout: 10_000 });
    await expect.poll(() => peerState(localPort)).toBeNull();
    await expect(page.getByTestId('endpoint-log')).toContainText('ended: we reset the connection');
    await expectRow(page, localPort, 'CLOSED', 'CLOSED');
    await expectLadder(page, localPort, 'CLOSED', 'CLOSED');
    await expect(page.getByTestId('ladder').locator('g.arrow').last()).toHaveAttribute('aria-label', /client to server, RST\b/);
  });

  test('step mode: the windows typed into the proposed SYN and ACK are what goes on the wire', async ({ page }) => {
    test.skip(!hasTshark, 'tshark is needed to read the capture back');
    const { lab } = env;
    const localPort = 45401;
    const pcap = path.join(dir, 'step.pcap');
    const tcpdump = startTcpdump(lab.server.ns, lab.server.ifname, pcap, `tcp port ${PORT} and host ${UNOWNED_LOCAL}`);
    try {
      await tcpdump.ready;
      await openView(page, localPort);
      await page.getByTestId('endpoint-step-mode').check();
      await page.getByTestId('endpoint-open').click();
      const proposal = page.getByTestId('endpoint-proposal');
      await expect(proposal).toContainText('next (syn): S 0:0(0) win 65535', { timeout: 15_000 });
      await page.getByTestId('endpoint-edit-window').fill('1234');
      await page.getByTestId('endpoint-step').click();
      await expect(page.getByTestId('endpoint-log')).toContainText('< S 0:0(0) win 1234');
      // Linux's SYN+ACK arrives; the endpoint proposes the ACK that completes the handshake.
      await expectProposal(page, 'next (ack): . 1:1(0) ack 1');
      await page.getByTestId('endpoint-edit-window').fill('777');
      await page.getByTestId('endpoint-step').click();
      await expect(page.getByTestId('endpoint-log')).toContainText('< . 1:1(0) ack 1 win 777');
      await expect.poll(() => peerState(localPort)).toBe('ESTABLISHED');
      // Reset by step: the RST is proposed, then sent.
      await page.getByTestId('endpoint-rst').click();
      await expect(proposal).toContainText('next (rst): R', { timeout: 10_000 });
      await page.getByTestId('endpoint-step').click();
      await expect.poll(() => peerState(localPort)).toBeNull();
    } finally {
      await tcpdump.stop();
    }
    const rows = tsharkFields(pcap, ['ip.src', 'tcp.flags.str', 'tcp.window_size_value'], `tcp.port == ${localPort}`);
    expect(rows[0]).toEqual([UNOWNED_LOCAL, '··········S·', '1234']);
    expect(rows[1].slice(0, 2)).toEqual([lab.server.ip, '·······A··S·']);
    expect(rows[2]).toEqual([UNOWNED_LOCAL, '·······A····', '777']);
    expect(rows[rows.length - 1].slice(0, 2)).toEqual([UNOWNED_LOCAL, '·······A·R··']);
  });

  test('listen for two peers: both Linux clients listed, text sent to each on its own conversation, both rows with our lane', async ({ page }) => {
    const { lab, host } = env;
    const port = 7401;
    await fillEndpointForm(page, host.url, lab.client.ifname, { mode: 'listen', local: UNOWNED_LOCAL, localPort: port, connections: 2 });
    await page.getByTestId('endpoint-open').click();
    await expect(page.getByTestId('endpoint-log')).toContainText(`listening from ${UNOWNED_LOCAL}:${port}`, { timeout: 15_000 });
    const client = (tag: string) =>
      nodeInNamespace(
        lab.server.ns,
        `const s = require('net').connect({ host: '${UNOWNED_LOCAL}', port: ${port}, allowHalfOpen: true }, () => { console.log('connected ' + s.localPort); s.write('${tag}'); }); s.on('data', (d) => console.log('got ' + JSON.stringify(d.toString('latin1')))); s.on('end', () => { console.log('end'); s.end(); }); s.on('error', (e) => console.log('error ' + e.code));`,
      );
    const clients = [client('first'), client('second')];
    try {
      const ports = await Promise.all(clients.map(async (peer) => (await peer.waitFor(/^connected /)).split(' ')[1]));
      const chooser = page.getByTestId('endpoint-connection');
      await expect(chooser.locator('option')).toHaveCount(2, { timeout: 10_000 });
      // Each client's own conversation: the text typed goes to the one chosen, CR LF included.
      for (const [i, clientPort] of ports.entries()) {
        const option = chooser.locator('option', { hasText: `${lab.server.ip}:${clientPort}` });
        await expect(option).toContainText('ESTABLISHED');
        await chooser.selectOption((await option.getAttribute('value')) ?? '');
        await page.getByTestId('endpoint-text').fill(`to client ${i}\n`);
        await page.getByTestId('endpoint-send').click();
        expect(await clients[i].waitFor(/^got /)).toBe(`got ${JSON.stringify(`to client ${i}\r\n`)}`);
        expect(clients[1 - i].lines.filter((line) => line.startsWith('got ')).every((line) => !line.includes(`client ${i}`))).toBe(true);
      }
      await expect(page.getByTestId('endpoint-received')).toContainText(`[${lab.server.ip}:${ports[0]}] first`);
      await expect(page.getByTestId('endpoint-received')).toContainText(`[${lab.server.ip}:${ports[1]}] second`);
      // Connections: one row per client, our (server) lane from its endpoint.
      await page.getByTestId('view-connections').click();
      for (const clientPort of ports) {
        const row = page.locator('.row[data-stream]', { hasText: `${lab.server.ip}:${clientPort}` });
        await expect(row.getByTestId('server-state')).toHaveText('ESTABLISHED ◆ ours', { timeout: 10_000 });
        await expect(row.getByTestId('client-state')).toHaveAttribute('data-source', 'tracked');
      }
      // Close each (FIN): the clients see the end, the listener ends once both have.
      await page.getByTestId('view-endpoint').click();
      for (const clientPort of ports) {
        const option = chooser.locator('option', { hasText: `${lab.server.ip}:${clientPort}` });
        await chooser.selectOption((await option.getAttribute('value')) ?? '');
        await page.getByTestId('endpoint-fin').click();
      }
      for (const peer of clients) await peer.waitFor(/^end$/);
      await expect(page.getByTestId('endpoint-log')).toContainText('ended: 2 of 2 connections accepted, 2 ended as asked', { timeout: 15_000 });
    } finally {
      for (const peer of clients) peer.stop();
    }
  });

  test('a FIN+ACK that acknowledges our FIN in FIN_WAIT_1: our lane on the ladder writes both states it passed', async ({ page }) => {
    const { lab } = env;
    const port = 7403;
    const localPort = 45403;
    // Linux closes 300 ms after our FIN; its bare ACK of our FIN is dropped in its namespace (the only pure ACK it sends here),
    // so its FIN+ACK is what acknowledges our FIN.
    const rule = ['OUTPUT', '-p', 'tcp', '--sport', String(port), '--tcp-flags', 'ALL', 'ACK', '-j', 'DROP'];
    const closer = nodeInNamespace(lab.server.ns, `require('net').createServer((s) => { s.on('error', () => undefined); s.on('end', () => setTimeout(() => { s.end(); console.log('closed'); }, 300)); s.resume(); }).listen(${port}, '${lab.server.ip}', () => console.log('listening'));`);
    lab.exec(lab.server.ns, 'iptables', ['-A', ...rule]);
    try {
      await closer.waitFor(/listening/);
      await openView(page, localPort);
      await page.getByTestId('endpoint-remote-port').fill(String(port));
      await page.getByTestId('endpoint-open').click();
      await expect(page.getByTestId('endpoint-state')).toHaveText('ESTABLISHED', { timeout: 15_000 });
      await page.getByTestId('endpoint-fin').click();
      await closer.waitFor(/^closed$/);
      await expect(page.getByTestId('endpoint-log')).toContainText('TIME_WAIT', { timeout: 10_000 });
      await page.getByTestId('view-connections').click();
      await page.locator('.row[data-stream]', { hasText: `${UNOWNED_LOCAL}:${localPort}` }).dblclick();
      const ladder = page.getByTestId('ladder');
      const peerFin = ladder.locator('g.arrow', { hasText: 'FIN_WAIT_2 → TIME_WAIT' });
      await expect(peerFin).toHaveCount(1, { timeout: 10_000 });
      await expect(peerFin).toHaveAttribute('aria-label', /server to client, FIN, ACK\b/);
      await expect(peerFin).toHaveAttribute('data-client-state', 'TIME_WAIT');
      await screenshot(page, 'endpoint-ladder-two-states');
    } finally {
      lab.exec(lab.server.ns, 'iptables', ['-D', ...rule]);
      closer.stop();
    }
  });

  test('the peer passes two states on our FIN+ACK: its tracked lane writes FIN_WAIT_2 → TIME_WAIT, on the ladder and in Connections, as its kernel has it', async ({ page }) => {
    const { lab } = env;
    const port = 7404;
    const localPort = 45404;
    // Linux closes as soon as it accepts: it waits in FIN_WAIT_1 while we, stepping, answer its FIN with our own FIN+ACK.
    const closer = nodeInNamespace(lab.server.ns, `require('net').createServer((s) => { s.on('error', () => undefined); s.resume(); s.end(); console.log('closed'); }).listen(${port}, '${lab.server.ip}', () => console.log('listening'));`);
    try {
      await closer.waitFor(/listening/);
      await openView(page, localPort);
      await page.getByTestId('endpoint-remote-port').fill(String(port));
      await page.getByTestId('endpoint-step-mode').check();
      await page.getByTestId('endpoint-open').click();
      const proposed = (text: string) => expectProposal(page, text);
      await proposed('next (syn): S 0:0(0)');
      await page.getByTestId('endpoint-step').click();
      await proposed('next (ack): . 1:1(0) ack 1');
      await page.getByTestId('endpoint-step').click();
      await closer.waitFor(/^closed$/);
      await expect.poll(() => peerState(localPort)).toBe('FIN_WAIT_1');
      // Linux's FIN is in: the endpoint would ACK it alone; Close makes it a FIN+ACK that also acknowledges Linux's FIN.
      await proposed('next (ack): . 1:1(0) ack 2');
      await page.getByTestId('endpoint-fin').click();
      await proposed('next (fin): F. 1:1(0) ack 2');
      await page.getByTestId('endpoint-step').click();
      // RFC 9293 §3.10.7.4: in FIN_WAIT_1 the ACK of its FIN moves Linux to FIN_WAIT_2, our FIN then to TIME_WAIT; ss agrees.
      await expect.poll(() => peerState(localPort)).toBe('TIME_WAIT');
      await page.getByTestId('view-connections').click();
      const row = page.locator('.row[data-stream]', { hasText: `${UNOWNED_LOCAL}:${localPort}` });
      await expect(row.getByTestId('server-state')).toHaveText('FIN_WAIT_2 → TIME_WAIT', { timeout: 10_000 });
      await expect(row.getByTestId('server-state')).toHaveAttribute('data-source', 'tracked');
      await row.dblclick();
      const ladder = page.getByTestId('ladder');
      await expect(ladder.getByTestId('server-lane-title')).toHaveText('server · peer, states as tracked');
      const ourFin = ladder.locator('g.arrow', { hasText: 'FIN_WAIT_2 → TIME_WAIT' });
      await expect(ourFin).toHaveCount(1, { timeout: 10_000 });
      await expect(ourFin).toHaveAttribute('aria-label', /client to server, FIN, ACK\b/);
      await expect(ourFin).toHaveAttribute('data-server-state', 'TIME_WAIT');
      await expect(ourFin).toHaveAttribute('data-client-state', 'LAST_ACK');
      await screenshot(page, 'endpoint-ladder-peer-two-states');
    } finally {
      closer.stop();
    }
  });

  test('step mode with two peers: each conversation proposes its own segments, one edited, both progress with their own states; Stop resets them', async ({ page }) => {
    test.skip(!hasTshark, 'tshark is needed to read the capture back');
    const { lab, host } = env;
    const port = 7405;
    const clientPorts = [50411, 50412];
    const pcap = path.join(dir, 'step-two.pcap');
    const tcpdump = startTcpdump(lab.server.ns, lab.server.ifname, pcap, `tcp port ${port}`);
    /** Linux's own view of a client's socket: its state, or null once it is gone. */
    const clientState = (clientPort: number) => {
      const line = env.lab.exec(lab.server.ns, 'ss', ['-Htan', 'src', `${lab.server.ip}:${clientPort}`]).trim().split('\n')[0]?.trim();
      return line ? (SS_STATES[line.split(/\s+/)[0]] ?? line.split(/\s+/)[0]) : null;
    };
    const client = (clientPort: number) =>
      nodeInNamespace(
        lab.server.ns,
        `const s = require('net').connect({ host: '${UNOWNED_LOCAL}', port: ${port}, localAddress: '${lab.server.ip}', localPort: ${clientPort}, allowHalfOpen: true }, () => console.log('connected')); s.on('end', () => { console.log('end'); s.end(); }); s.on('error', (e) => console.log('error ' + e.code));`,
      );
    const clients: ReturnType<typeof client>[] = [];
    try {
      await tcpdump.ready;
      await fillEndpointForm(page, host.url, lab.client.ifname, { mode: 'listen', local: UNOWNED_LOCAL, localPort: port, connections: 2, step: true });
      await page.getByTestId('endpoint-open').click();
      await expect(page.getByTestId('endpoint-log')).toContainText(`listening from ${UNOWNED_LOCAL}:${port}`, { timeout: 15_000 });
      const chooser = page.getByTestId('endpoint-connection');
      const option = (clientPort: number) => chooser.locator('option', { hasText: `${lab.server.ip}:${clientPort} ·` });
      const choose = async (clientPort: number) => chooser.selectOption((await option(clientPort).getAttribute('value')) ?? '');
      // Both SYNs accepted, each conversation holding its SYN+ACK until stepped: neither Linux client is connected.
      for (const [i, clientPort] of clientPorts.entries()) {
        clients.push(client(clientPort));
        await expect(chooser.locator('option')).toHaveCount(i + 1, { timeout: 10_000 });
        await expect(option(clientPort)).toContainText('SYN_RECEIVED');
      }
      const proposed = (text: string) => expectProposal(page, text);
      await page.waitForTimeout(300);
      expect(clients.every((peer) => !peer.lines.includes('connected'))).toBe(true);

      // The first: its SYN+ACK with the window edited to 1000. Only that client connects.
      await choose(clientPorts[0]);
      await proposed('next (syn-ack): S. 0:0(0) ack 1');
      await page.getByTestId('endpoint-edit-window').fill('1000');
      await page.getByTestId('endpoint-step').click();
      await clients[0].waitFor(/^connected$/);
      await expect(option(clientPorts[0])).toContainText('ESTABLISHED', { timeout: 10_000 });
      await expect(option(clientPorts[1])).toContainText('SYN_RECEIVED');
      expect(clients[1].lines.includes('connected')).toBe(false);
      expect(clientState(clientPorts[1])).toBe('SYN_SENT');

      // The second: its own SYN+ACK, as proposed.
      await choose(clientPorts[1]);
      await proposed('next (syn-ack): S. 0:0(0) ack 1');
      await page.getByTestId('endpoint-step').click();
      await clients[1].waitFor(/^connected$/);
      await expect(option(clientPorts[1])).toContainText('ESTABLISHED', { timeout: 10_000 });

      // The first closes with a stepped FIN; the client closes too, and the stepped ACK of its FIN ends it. The second stays ESTABLISHED.
      await choose(clientPorts[0]);
      await page.getByTestId('endpoint-fin').click();
      await proposed('next (fin): F. 1:1(0) ack 1');
      await page.getByTestId('endpoint-step').click();
      await clients[0].waitFor(/^end$/);
      await proposed('next (ack): . 2:2(0) ack 2');
      await expect(option(clientPorts[0])).toContainText('TIME_WAIT');
      expect(clientState(clientPorts[0])).toBe('LAST_ACK');
      await page.getByTestId('endpoint-step').click();
      await expect.poll(() => clientState(clientPorts[0])).toBeNull();
      await expect(option(clientPorts[0])).toContainText('CLOSED', { timeout: 10_000 });
      await expect(option(clientPorts[1])).toContainText('ESTABLISHED');
      expect(clientState(clientPorts[1])).toBe('ESTABLISHED');
      const log = page.getByTestId('endpoint-log');
      // Each conversation's log lines carry its own states: the first's close, none for the second.
      for (const state of ['FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT', 'CLOSED']) await expect(log.locator('li', { hasText: `[${lab.server.ip}:${clientPorts[0]}]` }).filter({ hasText: ` ${state} (` })).toHaveCount(1);
      await expect(log.locator('li', { hasText: `[${lab.server.ip}:${clientPorts[1]}]` }).filter({ hasText: /FIN_WAIT|TIME_WAIT|CLOSED/ })).toHaveCount(0);
      await page.getByTestId('view-connections').click();
      for (const [clientPort, ours, peers] of [
        [clientPorts[0], 'CLOSED', 'CLOSED'],
        [clientPorts[1], 'ESTABLISHED', 'ESTABLISHED'],
      ] as const) {
        const row = page.locator('.row[data-stream]', { hasText: `${lab.server.ip}:${clientPort}` });
        await expect(row.getByTestId('server-state')).toHaveText(`${ours} ◆ ours`, { timeout: 10_000 });
        await expect(row.getByTestId('client-state')).toHaveText(peers);
      }
      await screenshot(page, 'endpoint-step-two-peers');

      // Stop: the live conversation is reset (in step mode too), its Linux socket goes.
      await page.getByTestId('view-endpoint').click();
      await page.getByTestId('endpoint-stop').click();
      expect(await clients[1].waitFor(/^error /)).toBe('error ECONNRESET');
      await expect.poll(() => clientPorts.map(clientState)).toEqual([null, null]);
      await expect(page.getByTestId('endpoint-log')).toContainText('ended: 2 of 2 connections accepted', { timeout: 15_000 });
      for (const clientPort of clientPorts) await expect(option(clientPort)).toHaveText(`${lab.server.ip}:${clientPort} · CLOSED (ended)`);
    } finally {
      for (const peer of clients) peer.stop();
      await tcpdump.stop();
    }
    // The wire: the first SYN+ACK carries the edited window, the second the one proposed; the first ends with our ACK of its FIN, the second with our RST.
    const rows = tsharkFields(pcap, ['tcp.dstport', 'tcp.flags.str', 'tcp.window_size_value'], `ip.src == ${UNOWNED_LOCAL}`);
    const synAcks = rows.filter((r) => r[1] === '·······A··S·');
    expect(synAcks.map((r) => [Number(r[0]), r[2]])).toEqual([
      [clientPorts[0], '1000'],
      [clientPorts[1], '65535'],
    ]);
    expect(rows.filter((r) => Number(r[0]) === clientPorts[0]).at(-1)?.[1]).toBe('·······A····');
    expect(rows.filter((r) => Number(r[0]) === clientPorts[1]).at(-1)?.[1]).toMatch(/R/);
  });

  test('Stop with two live peers on an owned address: each client is reset, the rules go, the chooser and Connections show the final states', async ({ page }) => {
    const { lab, host } = env;
    const port = 7402;
    const rules = () => lab.exec(lab.client.ns, 'iptables', ['-S', 'OUTPUT']).split('\n').filter((line) => line.includes('handshake-helper'));
    // The client namespace's own address: its kernel would reset the SYNs, so the helper drops its RSTs.
    await fillEndpointForm(page, host.url, lab.client.ifname, { mode: 'listen', local: lab.client.ip, localPort: port, connections: 2 });
    await page.getByTestId('endpoint-open').click();
    await expect(page.getByTestId('endpoint-log')).toContainText(`listening from ${lab.client.ip}:${port}`, { timeout: 15_000 });
    const client = () =>
      nodeInNamespace(
        lab.server.ns,
        `const s = require('net').connect({ host: '${lab.client.ip}', port: ${port} }, () => console.log('connected ' + s.localPort)); s.on('error', (e) => console.log('error ' + e.code));`,
      );
    const clients = [client(), client()];
    try {
      const ports = await Promise.all(clients.map(async (peer) => (await peer.waitFor(/^connected /)).split(' ')[1]));
      const chooser = page.getByTestId('endpoint-connection');
      await expect(chooser.locator('option')).toHaveCount(2, { timeout: 10_000 });
      for (const clientPort of ports) await expect(chooser.locator('option', { hasText: `${lab.server.ip}:${clientPort}` })).toContainText('ESTABLISHED');
      await expect.poll(() => rules().length).toBe(2);
      await page.getByTestId('endpoint-stop').click();
      for (const peer of clients) expect(await peer.waitFor(/^error /)).toBe('error ECONNRESET');
      for (const clientPort of ports) await expect(chooser.locator('option', { hasText: `${lab.server.ip}:${clientPort}` })).toHaveText(`${lab.server.ip}:${clientPort} · CLOSED (ended)`);
      await expect(page.getByTestId('endpoint-log')).toContainText('ended: 2 of 2 connections accepted', { timeout: 15_000 });
      expect(rules()).toEqual([]);
      // Connections: our (server) lane from each endpoint is CLOSED, the peer's as tracked from our RST.
      await page.getByTestId('view-connections').click();
      for (const clientPort of ports) {
        const row = page.locator('.row[data-stream]', { hasText: `${lab.server.ip}:${clientPort}` });
        await expect(row.getByTestId('server-state')).toHaveText('CLOSED ◆ ours', { timeout: 10_000 });
        await expect(row.getByTestId('client-state')).toHaveText('CLOSED');
      }
      await screenshot(page, 'endpoint-stop-two-peers');
    } finally {
      for (const peer of clients) peer.stop();
    }
  });
});
