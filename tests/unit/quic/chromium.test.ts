/**
 * A real QUIC implementation as the oracle: Debian's Chromium, forced onto HTTP/3 for a test
 * host name mapped to loopback inside a network namespace this test creates, sends its
 * Initial packets to a UDP sink while tcpdump records them. We must read the SNI and ALPN
 * Chromium put in its ClientHello — split by Chromium over two datagrams and shuffled into
 * out-of-order CRYPTO frames — and agree with tshark's own decryption of the same file.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { quicAttemptToJson } from '../../../shared/quic/tracker';
import { createWebQuicCrypto } from '../../../shared/quic/webcrypto';
import { commandExists, trackCapture, tsharkFields } from './helpers';

const HOST = 'h3-probe.test';
const isRoot = process.getuid?.() === 0;
const tools = ['chromium', 'tcpdump', 'tshark', 'ip'].every(commandExists);
const namespace = `hsquic-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
const workDir = mkdtempSync(path.join(tmpdir(), 'hs-quic-chromium-'));
let namespaceCreated = false;

function deleteNamespace(): void {
  if (namespaceCreated) spawnSync('ip', ['netns', 'delete', namespace]);
  namespaceCreated = false;
}

afterAll(() => {
  deleteNamespace();
  rmSync(workDir, { recursive: true, force: true });
});

/** Resolves once `pattern` appears on the child's stdout or stderr. */
function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}: ${seen}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => reject(new Error(`exited (${code}) before ${pattern}: ${seen}`)));
  });
}

function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/** Runs Chromium against https://HOST/ over QUIC only, capturing UDP 443 on the namespace's loopback. */
async function captureChromiumInitials(capturePath: string): Promise<void> {
  const created = spawnSync('ip', ['netns', 'add', namespace], { encoding: 'utf8' });
  if (created.status !== 0) throw new Error(`ip netns add: ${created.stderr}`);
  namespaceCreated = true;
  spawnSync('ip', ['-n', namespace, 'link', 'set', 'lo', 'up']);
  const inNamespace = (command: string, args: string[]) => spawn('ip', ['netns', 'exec', namespace, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });

  // A sink so Chromium's datagrams are not answered by ICMP port-unreachable (it then keeps trying).
  const sink = inNamespace(process.execPath, [
    '-e',
    "const s=require('node:dgram').createSocket('udp4');s.on('message',()=>{});s.bind(443,'127.0.0.1',()=>console.log('ready'))",
  ]);
  // Immediate mode: otherwise frames wait in a kernel block for up to a second and an interrupt drops them.
  const tcpdump = inNamespace('tcpdump', ['-i', 'lo', '--immediate-mode', '-U', '-n', '-w', capturePath, 'udp port 443']);
  try {
    await Promise.all([waitForOutput(sink, /ready/, 10_000), waitForOutput(tcpdump, /listening on/, 10_000)]);
    const chromium = inNamespace('chromium', [
      '--headless=new',
      '--no-sandbox', // the test runs as root
      '--disable-gpu',
      '--disable-background-networking',
      `--user-data-dir=${path.join(workDir, 'profile')}`,
      '--enable-quic',
      `--origin-to-force-quic-on=${HOST}:443`,
      `--host-resolver-rules=MAP ${HOST} 127.0.0.1`,
      `https://${HOST}/`,
    ]);
    // Chromium's first flight goes out at once: wait for its Initial datagrams (a loaded machine
    // can take seconds to start Chromium), then 2 s more for its first retransmissions.
    for (let waited = 0; waited < 20_000 && !(existsSync(capturePath) && statSync(capturePath).size > 2 * 1200); waited += 200) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await stop(chromium, 'SIGKILL');
  } finally {
    await stop(tcpdump, 'SIGINT');
    await stop(sink, 'SIGKILL');
    deleteNamespace();
  }
}

describe.skipIf(!isRoot || !tools)('QUIC Initials from a real Chromium', () => {
  it('reads the SNI, ALPN and offers of a ClientHello split across datagrams, as tshark does', async () => {
    const capturePath = path.join(workDir, 'chromium-quic.pcap');
    await captureChromiumInitials(capturePath);

    const { tracker, perFrame } = await trackCapture(capturePath);
    const attempts = tracker.attempts();
    expect(attempts.length).toBeGreaterThan(0);

    // tshark decrypts the same Initials on its own; one row per Initial datagram.
    const rows = tsharkFields(capturePath, ['frame.number', 'quic.dcid', 'tls.handshake.extensions_server_name', 'tls.handshake.extensions_alpn_str', 'tls.handshake.ciphersuite', 'tls.handshake.extensions.supported_version']);
    expect(rows.length).toBeGreaterThan(0);
    const helloRows = rows.filter((row) => row[2] !== '');
    expect(helloRows.length).toBeGreaterThan(0);

    for (const row of helloRows) {
      const [frame, dcid, sni, alpn, suites, versions] = row;
      const attempt = attempts.find((a) => a.originalDcid === dcid.split(',')[0]);
      expect(attempt, `attempt for DCID ${dcid}`).toBeDefined();
      expect(sni).toBe(HOST);
      expect(attempt!.clientHello?.serverName).toBe(sni);
      expect(attempt!.clientHello?.alpn).toEqual(alpn.split(','));
      expect(attempt!.clientHello?.cipherSuites).toEqual(suites.split(',').map(Number));
      expect(attempt!.clientHello?.supportedVersions).toEqual(versions.split(',').map(Number));
      // We complete the hello in the same datagram tshark's reassembly does.
      expect(attempt!.clientHelloFrame).toBe(Number(frame));
      expect(attempt).toMatchObject({ version: 1, server: '127.0.0.1:443', directionGuessed: false });
    }
    expect(attempts[0].clientHello?.alpn).toContain('h3');

    // Every Initial tshark saw was opened by us, and counted in its attempt.
    // tshark lists one DCID per packet, so coalesced packets are counted one by one.
    const initialsByDcid = new Map<string, number>();
    for (const [, dcids] of rows) for (const dcid of dcids.split(',')) initialsByDcid.set(dcid, (initialsByDcid.get(dcid) ?? 0) + 1);
    for (const attempt of attempts) expect(attempt.packets.initial).toBe(initialsByDcid.get(attempt.originalDcid));
    for (const infos of perFrame.values()) for (const info of infos) expect(info).toMatchObject({ type: 'initial', openedWith: 'client', error: null });

    // The proof that reassembly across datagrams mattered: when the hello completed in a later
    // datagram than the attempt's first, that first datagram alone held no complete hello.
    const first = attempts[0];
    if (first.clientHelloFrame !== first.firstFrame) expect(perFrame.get(first.firstFrame)?.[0].hello).toBeNull();

    // The renderer's WebCrypto path reads the same capture identically.
    const viaWebCrypto = await trackCapture(capturePath, createWebQuicCrypto(globalThis.crypto.subtle));
    expect(viaWebCrypto.tracker.attempts().map(quicAttemptToJson)).toEqual(attempts.map(quicAttemptToJson));
  }, 60_000);
});
