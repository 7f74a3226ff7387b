/**
 * A real TLS hello: a Node `tls` client talks to a Node `tls` server across two network
 * namespaces made for this test, tcpdump captures it, and the tracker must report the SNI and
 * ALPN offered, and the version and cipher that the client's own socket says were negotiated.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { trackFile } from './scenario';

const has = (command: string, args: string[]): boolean => spawnSync(command, args, { stdio: 'ignore' }).status === 0;
const CAN_RUN =
  process.platform === 'linux' && process.getuid?.() === 0 && has('ip', ['netns', 'list']) && has('tcpdump', ['--version']) && has('openssl', ['version']);

const suffix = Math.random().toString(36).slice(2, 8);
const NS_CLIENT = `trk-c-${suffix}`;
const NS_SERVER = `trk-s-${suffix}`;
const CLIENT_IP = '198.18.200.1';
const SERVER_IP = '198.18.200.2';
const children: ChildProcess[] = [];

function sh(args: string[]): void {
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
}

function cleanup(): void {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const ns of [NS_CLIENT, NS_SERVER]) spawnSync('ip', ['netns', 'delete', ns], { stdio: 'ignore' });
}

afterAll(cleanup);

/** Resolves with the first stdout/stderr text matching `pattern`. */
function waitFor(child: ChildProcess, pattern: RegExp, ms = 15000): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}: ${seen}`)), ms);
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      const match = seen.match(pattern);
      if (match) {
        clearTimeout(timer);
        resolve(match[0]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => {
      if (!pattern.test(seen)) {
        clearTimeout(timer);
        reject(new Error(`exited ${code} before ${pattern}: ${seen}`));
      }
    });
  });
}

describe.skipIf(!CAN_RUN)('a real TLS connection between namespaces', () => {
  it('reports the SNI and ALPN offered, and the version and cipher the client negotiated', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'track-tls-'));
    try {
      sh(['ip', 'netns', 'add', NS_CLIENT]);
      sh(['ip', 'netns', 'add', NS_SERVER]);
      sh(['ip', 'link', 'add', `veth-${suffix}`, 'netns', NS_CLIENT, 'type', 'veth', 'peer', 'name', `vpeer-${suffix}`, 'netns', NS_SERVER]);
      sh(['ip', '-n', NS_CLIENT, 'addr', 'add', `${CLIENT_IP}/30`, 'dev', `veth-${suffix}`]);
      sh(['ip', '-n', NS_SERVER, 'addr', 'add', `${SERVER_IP}/30`, 'dev', `vpeer-${suffix}`]);
      for (const [ns, dev] of [[NS_CLIENT, `veth-${suffix}`], [NS_SERVER, `vpeer-${suffix}`]]) {
        sh(['ip', '-n', ns, 'link', 'set', dev, 'up']);
        sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
      }
      sh(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=hello.test', '-days', '1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')]);

      writeFileSync(
        path.join(dir, 'server.js'),
        `const tls = require('node:tls'); const fs = require('node:fs');
const server = tls.createServer({ key: fs.readFileSync(${JSON.stringify(path.join(dir, 'key.pem'))}), cert: fs.readFileSync(${JSON.stringify(path.join(dir, 'cert.pem'))}), ALPNProtocols: ['h2', 'http/1.1'] },
  (socket) => socket.end('hello'));
server.listen(8443, ${JSON.stringify(SERVER_IP)}, () => console.log('listening'));`,
      );
      writeFileSync(
        path.join(dir, 'client.js'),
        `const tls = require('node:tls');
const socket = tls.connect({ host: ${JSON.stringify(SERVER_IP)}, port: 8443, servername: 'hello.test', ALPNProtocols: ['h2', 'http/1.1'], rejectUnauthorized: false, maxVersion: process.argv[2] }, () => {
  console.log(JSON.stringify({ alpn: socket.alpnProtocol, version: socket.getProtocol(), cipher: socket.getCipher().standardName }));
});
socket.on('data', () => {}); socket.on('end', () => socket.end());`,
      );
      const server = spawn('ip', ['netns', 'exec', NS_SERVER, process.execPath, path.join(dir, 'server.js')]);
      children.push(server);
      await waitFor(server, /listening/);

      /** One client connection under tcpdump; returns what the client negotiated and the tracked capture. */
      const session = async (maxVersion: string) => {
        const file = path.join(dir, `${maxVersion}.pcap`);
        const dump = spawn('ip', ['netns', 'exec', NS_CLIENT, 'tcpdump', '-i', `veth-${suffix}`, '-U', '--immediate-mode', '-n', '-Z', 'root', '-w', file, 'tcp port 8443']);
        children.push(dump);
        await waitFor(dump, /listening on/);
        await new Promise((resolve) => setTimeout(resolve, 500)); // the filter is attached just after the banner
        const client = spawn('ip', ['netns', 'exec', NS_CLIENT, process.execPath, path.join(dir, 'client.js'), maxVersion]);
        children.push(client);
        const negotiated = JSON.parse(await waitFor(client, /\{.*\}/)) as { alpn: string; version: string; cipher: string };
        await new Promise((resolve) => client.on('exit', resolve));
        // Both FINs on disk before we stop tcpdump (reading it back with tcpdump itself).
        const fins = (): number => (spawnSync('tcpdump', ['-n', '-r', file], { encoding: 'utf8' }).stdout.match(/Flags \[F/g) ?? []).length;
        for (let i = 0; i < 50 && fins() < 2; i++) await new Promise((resolve) => setTimeout(resolve, 100));
        dump.kill('SIGINT');
        await new Promise((resolve) => dump.on('exit', resolve));
        return { negotiated, t: trackFile(file) };
      };

      const v13 = await session('TLSv1.3');
      expect(v13.t.json).toHaveLength(1);
      const tls13 = v13.t.json[0].tls as Record<string, unknown>;
      expect(tls13.sni).toBe('hello.test');
      expect(tls13.alpn_offered).toEqual(['h2', 'http/1.1']);
      expect(v13.negotiated.version).toBe('TLSv1.3');
      expect(tls13.version_selected).toBe('TLS 1.3');
      expect(tls13.cipher_selected).toBe(v13.negotiated.cipher);
      // TLS 1.3 sends the server's ALPN choice in EncryptedExtensions: the wire cannot show it
      // (tshark can't either).
      expect(tls13.alpn_selected).toBeNull();
      expect(v13.t.json[0].handshake).toMatchObject({ kind: 'three-way', complete: true });
      expect(v13.t.json[0].client).toMatch(/^198\.18\.200\.1:\d+$/);
      expect(v13.t.json[0].server).toBe('198.18.200.2:8443');

      // Under TLS 1.2 the ServerHello carries the selected ALPN and the version.
      const v12 = await session('TLSv1.2');
      const tls12 = v12.t.json[0].tls as Record<string, unknown>;
      expect(v12.negotiated.version).toBe('TLSv1.2');
      expect(tls12.sni).toBe('hello.test');
      expect(tls12.alpn_selected).toBe(v12.negotiated.alpn);
      expect(tls12.version_selected).toBe('TLS 1.2');
      expect(tls12.cipher_selected).toBe(v12.negotiated.cipher);
    } finally {
      cleanup();
    }
  });
});
