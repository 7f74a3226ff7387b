/**
 * A real QUIC + HTTP/3 exchange to check decryption against: Debian's ngtcp2 example server
 * and client (GnuTLS, nghttp3), the client writing its secrets to SSLKEYLOGFILE, in two
 * network namespaces joined by a veth, captured by tcpdump on the server's side.
 *
 *   client namespace 198.18.0.1  ── veth ──  server namespace 198.18.0.2
 *   gtlsclient https://h3.test:4433/…        gtlsserver (htdocs in a temp dir)
 *
 * Offloads are turned off on both veth ends, so the UDP GSO batches ngtcp2 sends are cut into
 * datagrams before tcpdump sees them (on loopback tcpdump records one super-datagram that
 * neither tshark nor we can decrypt). Namespaces are deleted in every outcome.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { canUseNamespaces, createVethLab } from '../capture/support';

export const SERVER_BIN = '/usr/sbin/gtlsserver';
export const CLIENT_BIN = '/usr/bin/gtlsclient';
export const HOST = 'h3.test';
export const PORT = 4433;

const has = (command: string, args: string[] = ['--version']) => !spawnSync(command, args, { stdio: 'ignore' }).error;

/** Why the lab cannot run here, or null. */
export function ngtcp2LabUnavailable(): string | null {
  if (!canUseNamespaces) return 'needs root with CAP_NET_ADMIN and iproute2 on Linux (network namespaces)';
  if (!has(SERVER_BIN, ['--help']) || !has(CLIENT_BIN, ['--help'])) return `needs Debian's ngtcp2 tools (${SERVER_BIN}, ${CLIENT_BIN}: apt-get install ngtcp2-server ngtcp2-client)`;
  if (!has('tcpdump')) return 'needs tcpdump';
  if (!has('tshark', ['-v'])) return 'needs tshark';
  if (!has('openssl', ['version'])) return 'needs openssl for the test certificate';
  return null;
}

export interface Ngtcp2Capture {
  pcap: string;
  keylog: string;
  /** The server's account of the request headers it decoded (its own QPACK), `name: value`. */
  serverRequestHeaders: string[];
  serverLog: string;
  /** The client's account of the response headers. */
  clientResponseHeaders: string[];
  /** What `handshake capture` wrote on stderr (handshakeCli only). */
  recorderStderr: string;
  dir: string;
  cleanup(): void;
}

export interface Ngtcp2Options {
  /** GnuTLS priority string for the client (selects the cipher suite). */
  ciphers?: string;
  /** Client-initiated key update after this long (ngtcp2's --key-update). */
  keyUpdate?: string;
  /** Response body size in bytes (a larger one gives more 1-RTT packets after a key update). */
  bodySize?: number;
  path?: string;
  /** Load the page with Debian's Chromium, forced onto QUIC, instead of ngtcp2's client. */
  chromium?: boolean;
  /**
   * How Chromium learns of HTTP/3 instead of being forced onto it (both on port 443, the host
   * resolved by dnsmasq in the server namespace through the client namespace's resolv.conf):
   * 'https-record': an HTTPS record with alpn h3 (RFC 9460), read by Chromium's own resolver;
   * 'alt-svc': the page is first served over TCP by the Node http2 server of the browser lab,
   * whose responses carry `alt-svc: h3=":443"`.
   */
  discovery?: 'https-record' | 'alt-svc';
  /**
   * Record with `handshake capture -w FILE --tls-keylog KEYS` (this bundled CLI, its capture
   * helper in the server namespace) instead of tcpdump: the key log is followed live and its
   * secrets embedded in the pcapng.
   */
  handshakeCli?: { cli: string; helper: string };
}

export const CHROMIUM = '/usr/bin/chromium';

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function headers(log: string): string[] {
  // ngtcp2's example tools print each field their QPACK decoder read as "http: stream 0x0 [name: value]".
  return [...log.matchAll(/^http: stream 0x[0-9a-f]+ \[(:?[^:\]]+): ([^\]]*)\]$/gm)].map((m) => `${m[1]}: ${m[2]}`);
}

export async function captureNgtcp2(options: Ngtcp2Options = {}): Promise<Ngtcp2Capture> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hs-quic-ngtcp2-'));
  const htdocs = path.join(dir, 'htdocs');
  mkdirSync(htdocs);
  const requestPath = options.path ?? '/index.html';
  writeFileSync(path.join(htdocs, requestPath.slice(1)), Buffer.alloc(options.bodySize ?? 3000, 'h3 body '));
  const discovery = options.discovery ?? null;
  const port = discovery ? 443 : PORT;
  // The Alt-Svc lab's page pulls a stylesheet and JSON: after the h2 answer, over HTTP/3 from ngtcp2.
  for (const [name, body] of [['style.css', 'h1 { color: #246; }'], ['data.json', '{"served":"data.json"}']]) writeFileSync(path.join(htdocs, name), body);
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '30', '-subj', `/CN=${HOST}`, '-addext', `subjectAltName=DNS:${HOST}`], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`openssl: ${made.stderr}`);
  const pcap = path.join(dir, options.handshakeCli ? 'h3.pcapng' : 'h3.pcap');
  const keylog = path.join(dir, 'keys.txt');
  const lab = createVethLab('q3');
  const children: ReturnType<typeof spawn>[] = [];
  const netnsDir = path.join('/etc/netns', lab.client.ns);
  let clientLog = '';
  let recorderStderr = '';
  const stop = (child: ReturnType<typeof spawn>, signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  try {
    for (const end of [lab.client, lab.server]) spawnSync('ip', ['netns', 'exec', end.ns, 'ethtool', '-K', end.ifname, 'gso', 'off', 'tso', 'off', 'gro', 'off', 'tx-udp-segmentation', 'off'], { stdio: 'ignore' });
    const recorderArgs = options.handshakeCli
      ? [process.execPath, options.handshakeCli.cli, 'capture', '-i', lab.server.ifname, '-w', pcap, '--tls-keylog', keylog, '--events', ...(discovery ? [] : ['-f', 'udp'])]
      : ['tcpdump', '-i', lab.server.ifname, '--immediate-mode', '-U', '-n', '-w', pcap, ...(discovery ? [] : ['udp'])];
    const recorder = spawn('ip', ['netns', 'exec', lab.server.ns, ...recorderArgs], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: options.handshakeCli ? { ...process.env, HANDSHAKE_HELPER_PATH: options.handshakeCli.helper } : process.env,
    });
    children.push(recorder);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${recorderArgs[0]} did not start: ${recorderStderr}`)), 15_000);
      recorder.stderr!.on('data', (chunk: Buffer) => {
        recorderStderr += chunk.toString();
        if (/listening on|handshake capture: capturing on/.test(recorderStderr)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    // The server's chatter goes to a file: a pipe would fill while the client runs synchronously, and stall the server.
    const serverLogFile = path.join(dir, 'server.log');
    const serverOut = openSync(serverLogFile, 'w');
    const server = spawn('ip', ['netns', 'exec', lab.server.ns, SERVER_BIN, '--no-quic-dump', '--no-http-dump', '-d', htdocs, lab.server.ip, String(port), key, cert], { stdio: ['ignore', serverOut, serverOut] });
    closeSync(serverOut);
    children.push(server);
    if (discovery) {
      // ip netns exec bind-mounts /etc/netns/NAME/resolv.conf over /etc/resolv.conf.
      mkdirSync(netnsDir, { recursive: true });
      writeFileSync(path.join(netnsDir, 'resolv.conf'), `nameserver ${lab.server.ip}\n`);
      const records = ['no-resolv', 'no-hosts', 'bind-interfaces', `listen-address=${lab.server.ip}`, `local=/${HOST}/`, `host-record=${HOST},${lab.server.ip}`, 'local-ttl=60'];
      // HTTPS RR (type 65): SvcPriority 1, TargetName ".", alpn="h3" (RFC 9460 §2.2, §7.1).
      if (discovery === 'https-record') records.push(`dns-rr=${HOST},65,00010000010003026833`);
      const config = path.join(dir, 'dnsmasq.conf');
      writeFileSync(config, records.join('\n'));
      children.push(spawn('ip', ['netns', 'exec', lab.server.ns, 'dnsmasq', '--no-daemon', `--conf-file=${config}`, '--pid-file='], { stdio: 'ignore' }));
      if (discovery === 'alt-svc') {
        const script = path.resolve(__dirname, '../../fixtures/browser/https-server.cjs');
        const front = spawn('ip', ['netns', 'exec', lab.server.ns, process.execPath, '-e', `require(${JSON.stringify(script)}).run(${JSON.stringify({ host: lab.server.ip, port, keyFile: key, certFile: cert, keylogFile: path.join(dir, 'h2-keylog.txt'), altSvc: `h3=":${port}"` })})`], { stdio: ['ignore', 'pipe', 'ignore'] });
        children.push(front);
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('the h2 server did not start')), 15_000);
          front.stdout!.on('data', (chunk: Buffer) => {
            if (chunk.toString().includes('"listening"')) {
              clearTimeout(timer);
              resolve();
            }
          });
        });
      }
    }
    await delay(500);
    if (options.chromium) {
      const spki = spawnSync('sh', ['-c', `openssl x509 -in ${cert} -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64`], { encoding: 'utf8' }).stdout.trim();
      const browser = spawn(
        'ip',
        [
          'netns', 'exec', lab.client.ns, CHROMIUM, '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
          `--user-data-dir=${path.join(dir, 'profile')}`, `--ssl-key-log-file=${keylog}`, '--enable-quic',
          ...(discovery
            ? ['--enable-features=AsyncDns,UseDnsHttpsSvcb,UseDnsHttpsSvcbAlpn']
            : [`--origin-to-force-quic-on=${HOST}:${PORT}`, `--host-resolver-rules=MAP ${HOST} ${lab.server.ip}`]),
          `--ignore-certificate-errors-spki-list=${spki}`, `https://${HOST}${discovery ? '' : `:${PORT}`}${discovery === 'alt-svc' ? '/' : requestPath}`,
        ],
        { stdio: 'ignore' },
      );
      children.push(browser);
      // Loaded once the server answered the page (and, a moment later, the favicon Chromium asks for next).
      const loaded = discovery === 'alt-svc' ? /\[:path: \/(style\.css|data\.json|favicon\.ico)\]/ : /\[:path: \/favicon\.ico\]/;
      for (let waited = 0; waited < 30_000 && !loaded.test(readFileSync(serverLogFile, 'utf8')); waited += 200) await delay(200);
      await delay(1000);
      await stop(browser, 'SIGKILL');
    } else {
      runClient();
    }
    await delay(300);
    await stop(server, 'SIGTERM');
    await stop(recorder, 'SIGINT');
    const serverLog = readFileSync(serverLogFile, 'utf8');
    return {
      pcap,
      keylog,
      serverRequestHeaders: headers(serverLog),
      serverLog,
      clientResponseHeaders: headers(clientLog),
      recorderStderr,
      dir,
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    lab.destroy();
    rmSync(netnsDir, { recursive: true, force: true });
  }

  function runClient(): void {
    const clientArgs = ['--no-quic-dump', '--no-http-dump', '--exit-on-all-streams-close'];
    if (options.ciphers) clientArgs.push(`--ciphers=${options.ciphers}`);
    if (options.keyUpdate) clientArgs.push(`--key-update=${options.keyUpdate}`);
    const client = spawnSync('ip', ['netns', 'exec', lab.client.ns, CLIENT_BIN, ...clientArgs, lab.server.ip, String(PORT), `https://${HOST}:${PORT}${requestPath}`], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, SSLKEYLOGFILE: keylog },
      maxBuffer: 1 << 28,
    });
    if (client.status !== 0) throw new Error(`gtlsclient exited ${client.status}: ${client.stderr.slice(-2000)}`);
    clientLog = client.stdout + client.stderr;
  }
}

/** The key log's lines without those of one label (a connection whose key log lacks that secret). */
export function keylogWithout(file: string, label: string): string {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => !line.startsWith(`${label} `))
    .join('\n');
}

/** tshark's fields for every frame (several occurrences joined by commas), decrypting with `keylog` ('' for none: the file's own secrets only). */
export function tsharkWithKeys(pcap: string, keylog: string, fields: string[]): string[][] {
  const args = ['-r', pcap, '-o', `tls.keylog_file:${keylog}`, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,', ...fields.flatMap((f) => ['-e', f])];
  const run = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (run.status !== 0) throw new Error(`tshark failed: ${run.stderr}`);
  return run.stdout
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => line.split('\t'));
}
