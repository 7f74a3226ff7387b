/**
 * Recording a page load with its TLS keys, for `handshake browse` and the workbench's Record page
 * load: starts a Chromium-family browser or Firefox with a fresh temporary profile and a key log
 * (Chromium's --ssl-key-log-file, SSLKEYLOGFILE for the others), captures through the capture
 * helper on the given interface, loads the URL, stops once the page has loaded and the network
 * has been quiet for a while (or when stopped), deletes the profile, and leaves one pcapng with
 * the secrets embedded and its page-load timeline.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, chmodSync, constants, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { CaptureSession } from './capture-session';
import { KeyLogFollower } from './keylog-follower';
import { createNodeTlsCrypto } from './tls-crypto';
import { KeyLog, TlsDissector } from '../../shared/tls';
import type { PageLoadConnection, PageLoadSummary } from '../../shared/pageload';
import { moveSecretsFirst, pageLoadFromFile } from './pageload-file';

/** Browsers looked for on PATH (and at their usual install places), in this order. */
const CANDIDATES: Record<string, string[]> = {
  linux: ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'microsoft-edge', 'brave-browser', 'firefox'],
  darwin: [
    '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
    '/Applications/Chromium.app/Contents/MacOS/Chromium',
    '/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge',
    '/Applications/Brave Browser.app/Contents/MacOS/Brave Browser',
    '/Applications/Firefox.app/Contents/MacOS/firefox',
  ],
  win32: [
    'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
    'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe',
    'C:\\Program Files\\Mozilla Firefox\\firefox.exe',
  ],
};

/** A browser that cannot be found or started (exit 1, one line). */
export class BrowserError extends Error {}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function findBrowser(given: string | undefined): { path: string; family: 'chromium' | 'firefox' } {
  const familyOf = (file: string): 'chromium' | 'firefox' => (/firefox/i.test(path.basename(file)) ? 'firefox' : 'chromium');
  if (given !== undefined) {
    if (!existsSync(given)) throw new BrowserError(`browser not found: ${given} does not exist`);
    if (!executable(given)) throw new BrowserError(`browser not found: ${given} is not executable`);
    return { path: given, family: familyOf(given) };
  }
  for (const candidate of CANDIDATES[process.platform] ?? CANDIDATES.linux) {
    if (path.isAbsolute(candidate)) {
      if (executable(candidate)) return { path: candidate, family: familyOf(candidate) };
      continue;
    }
    for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
      const file = path.join(dir, candidate);
      if (dir && executable(file)) return { path: file, family: familyOf(file) };
    }
  }
  throw new BrowserError(`browser not found: no Chromium-family browser or Firefox on PATH (${(CANDIDATES[process.platform] ?? CANDIDATES.linux).filter((c) => !path.isAbsolute(c)).join(', ') || 'the usual install places'}); give one with --browser PATH`);
}

/** The interface the route to `address` leaves by (Linux: ip route get; macOS: route get). */
export function routeInterface(address: string): string | null {
  if (process.platform === 'linux') {
    const result = spawnSync('ip', ['route', 'get', address], { encoding: 'utf8' });
    return /\bdev (\S+)/.exec(result.stdout ?? '')?.[1] ?? null;
  }
  if (process.platform === 'darwin') {
    const result = spawnSync('route', ['-n', 'get', address], { encoding: 'utf8' });
    return /interface: (\S+)/.exec(result.stdout ?? '')?.[1] ?? null;
  }
  return null;
}

/** Chrome DevTools Protocol over --remote-debugging-pipe (fd 3 in, fd 4 out, NUL-separated JSON). */
class DevToolsPipe {
  private nextId = 1;
  private buffered = '';
  private readonly waiting = new Map<number, { resolve: (value: Record<string, unknown>) => void; reject: (error: Error) => void }>();

  constructor(
    private readonly input: Writable,
    output: Readable,
  ) {
    output.setEncoding('utf8');
    output.on('data', (text: string) => {
      this.buffered += text;
      let end: number;
      while ((end = this.buffered.indexOf('\0')) >= 0) {
        const message = this.buffered.slice(0, end);
        this.buffered = this.buffered.slice(end + 1);
        try {
          const parsed = JSON.parse(message) as { id?: number; result?: Record<string, unknown>; error?: { message: string } };
          const waiter = parsed.id === undefined ? undefined : this.waiting.get(parsed.id);
          if (!waiter || parsed.id === undefined) continue;
          this.waiting.delete(parsed.id);
          if (parsed.error) waiter.reject(new Error(parsed.error.message));
          else waiter.resolve(parsed.result ?? {});
        } catch {
          // An event we cannot read is not ours to fail on.
        }
      }
    });
    output.on('close', () => {
      for (const waiter of this.waiting.values()) waiter.reject(new Error('the browser closed its DevTools pipe'));
      this.waiting.clear();
    });
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.input.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    });
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The page's own Navigation Timing, read through DevTools once the document has loaded. */
const NAVIGATION_TIMING = `JSON.stringify({ url: document.URL, readyState: document.readyState, timeOrigin: performance.timeOrigin, navigation: performance.getEntriesByType('navigation').map((e) => e.toJSON())[0] || null })`;

const RESOURCE_TIMING = `JSON.stringify(performance.getEntriesByType('resource').map((e) => e.toJSON()))`;


/** The interface the route to the URL's host leaves by; throws with the reason when there is none. */
export async function interfaceForUrl(url: URL): Promise<string> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let address: string;
  try {
    address = (await lookup(host)).address;
  } catch (error) {
    throw new Error(`cannot resolve ${host} to find the interface to capture on (${(error as Error).message})`);
  }
  const route = routeInterface(address);
  if (!route) throw new Error(`no route to ${host} (${address}) found to pick the interface`);
  return route;
}

export interface PageRecordOptions {
  url: URL;
  browser: { path: string; family: 'chromium' | 'firefox' };
  device: string;
  file: string;
  headless: boolean;
  quietSeconds: number;
  timeoutSeconds: number;
  browserArgs: readonly string[];
  /** Warnings and what is going on, one line each. */
  onMessage?: (message: string) => void;
  /** Frames captured so far, and whether the page has reported its load. */
  onProgress?: (progress: { frames: number; loaded: boolean }) => void;
}

export interface PageRecording {
  url: string;
  file: string;
  browser: string;
  device: string;
  frames: number;
  connections: PageLoadConnection[];
  summary: PageLoadSummary;
  /** Why it stopped early (timeout, stopped by the user), with the summary's own notes. */
  notes: string[];
  browserTiming: Record<string, unknown> | null;
  /** Set when the capture ended by itself (the helper died). */
  captureEnd: string | null;
}

export interface RunningRecording {
  /** Stops waiting for the page: the browser is closed and what was captured is kept. */
  stop(): void;
  readonly done: Promise<PageRecording>;
}

/** Starts the capture and the browser; resolves once both run (rejects when either cannot start). */
export async function startPageRecording(options: PageRecordOptions): Promise<RunningRecording> {
  const { url, device, file, quietSeconds, timeoutSeconds } = options;
  const found = options.browser;
  const say = options.onMessage ?? (() => undefined);
  let session: CaptureSession | null = null;
  let follower: KeyLogFollower | null = null;
  let browser: ChildProcess | null = null;
  let scratch: string | null = null;
  let interrupted = false;
  let wake: () => void = () => undefined;
  const cleanup = async () => {
    follower?.stop();
    if (browser && browser.exitCode === null && browser.signalCode === null) browser.kill('SIGKILL');
    if (session && !session.end) await session.stop().catch(() => undefined);
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    scratch = null;
  };
  try {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'handshake-browse-'));
    const profile = path.join(scratch, 'profile');
    const keylogPath = path.join(scratch, 'keylog.txt');
    writeFileSync(keylogPath, '', { mode: 0o600 });
    chmodSync(scratch, 0o700);

    const keyLog = new KeyLog();
    session = await CaptureSession.start({ device, spoolPath: file, tls: new TlsDissector(createNodeTlsCrypto(), keyLog), decode: false });
    const started = session;
    follower = new KeyLogFollower(keylogPath, keyLog, (lines) => started.addSecrets(lines), say);
    follower.start();
    const following = follower;
    session.onBeforeBatch(() => following.poll());
    let lastFrameAt = Date.now();
    let frames = 0;
    session.onFrame(() => {
      lastFrameAt = Date.now();
      frames++;
    });
    session.onWarning(say);
    say(`capturing on ${device}, starting ${found.path}`);

    const extra = [...options.browserArgs];
    const headless = options.headless;
    let args: string[];
    const env: NodeJS.ProcessEnv = { ...process.env, SSLKEYLOGFILE: keylogPath };
    if (found.family === 'chromium') {
      args = [
        `--user-data-dir=${profile}`,
        `--ssl-key-log-file=${keylogPath}`,
        '--no-first-run',
        '--no-default-browser-check',
        // Fewer of the browser's own background connections in the recording.
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-default-apps',
        '--remote-debugging-pipe',
        ...(headless ? ['--headless=new'] : []),
        // Chromium refuses to start as root with its sandbox on.
        ...(typeof process.getuid === 'function' && process.getuid() === 0 && !extra.includes('--no-sandbox') ? ['--no-sandbox'] : []),
        ...extra,
        // Navigated through DevTools once attached: a URL on the command line is resolved and
        // preconnected at startup, and the page's own timing would then show no DNS or connection.
        'about:blank',
      ];
    } else {
      args = ['-profile', profile, '-no-remote', '-new-instance', ...(headless ? ['-headless'] : []), ...extra, url.href];
    }
    const child = spawn(found.path, args, { env, stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
    browser = child;
    let browserError = '';
    child.stderr?.on('data', (chunk: Buffer) => (browserError = (browserError + chunk.toString()).slice(-4000)));
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    const spawnFailed = new Promise<Error>((resolve) => child.once('error', resolve));
    let closed = false;
    void exited.then(() => {
      closed = true;
      wake();
    });
    const failure = await Promise.race([spawnFailed, sleep(300).then(() => null)]);
    if (failure) throw new BrowserError(`cannot start the browser ${found.path}: ${failure.message}`);
    const capture = session;
    const keys = follower;

    const run = async (): Promise<PageRecording> => {
      const devtools = found.family === 'chromium' ? new DevToolsPipe(child.stdio[3] as Writable, child.stdio[4] as Readable) : null;
      const deadline = Date.now() + timeoutSeconds * 1000;
      let loadedAt: number | null = null;
      let browserTiming: Record<string, unknown> | null = null;
      let pageSession: string | null = null;
      const nap = () =>
        new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 200);
        });
      while (!interrupted && !closed && Date.now() < deadline) {
        if (devtools && loadedAt === null) {
          try {
            if (pageSession === null) {
              const targets = (await devtools.send('Target.getTargets')).targetInfos as Array<{ targetId: string; type: string; url: string }> | undefined;
              const page = targets?.find((t) => t.type === 'page');
              if (page) {
                pageSession = String((await devtools.send('Target.attachToTarget', { targetId: page.targetId, flatten: true })).sessionId);
                await devtools.send('Page.navigate', { url: url.href }, pageSession);
              }
            }
            if (pageSession !== null) {
              const evaluated = (await devtools.send('Runtime.evaluate', { expression: NAVIGATION_TIMING, returnByValue: true }, pageSession)).result as { value?: string } | undefined;
              const value = evaluated?.value ? (JSON.parse(evaluated.value) as { url: string; readyState: string; timeOrigin: number; navigation: Record<string, unknown> | null }) : null;
              if (value && value.url !== 'about:blank' && value.readyState === 'complete' && value.navigation && Number(value.navigation.loadEventEnd) > 0) {
                loadedAt = Date.now();
                browserTiming = { timeOrigin: value.timeOrigin, navigation: value.navigation, resources: [] };
              }
            }
          } catch {
            // The page may be navigating; ask again.
          }
        } else if (!devtools && loadedAt === null && frames > 0) {
          loadedAt = lastFrameAt; // Firefox: no load event here; the quiet after the first traffic ends it
        }
        options.onProgress?.({ frames, loaded: loadedAt !== null });
        if (loadedAt !== null && Date.now() - Math.max(loadedAt, lastFrameAt) >= quietSeconds * 1000) break;
        await nap();
      }
      const timedOut = !interrupted && !closed && Date.now() >= deadline;
      // The page's Resource Timing too, read last, so fetches that ended after the load event are in it.
      if (devtools && pageSession !== null && browserTiming && !closed) {
        const resources = await Promise.race([
          devtools.send('Runtime.evaluate', { expression: RESOURCE_TIMING, returnByValue: true }, pageSession).catch(() => null),
          sleep(3000).then(() => null),
        ]);
        const value = (resources?.result as { value?: string } | undefined)?.value;
        if (value) browserTiming.resources = JSON.parse(value) as unknown;
      }
      if (closed && loadedAt === null && !interrupted) {
        throw new BrowserError(`the browser exited before the page loaded${browserError ? `: ${browserError.trim().split('\n').pop()}` : ''}`);
      }
      // Close the browser while still capturing, so its connections' teardown is recorded.
      if (!closed) {
        if (devtools) await Promise.race([devtools.send('Browser.close').catch(() => undefined), sleep(3000)]);
        else child.kill('SIGTERM');
        await Promise.race([exited, sleep(5000)]);
        if (!closed) child.kill('SIGKILL');
        await sleep(1000);
      }
      keys.poll();
      await capture.stop();
      const end = await capture.waitForEnd();
      keys.stop();
      if (scratch) rmSync(scratch, { recursive: true, force: true });
      scratch = null;

      await moveSecretsFirst(file);
      const { connections, summary } = await pageLoadFromFile(file);
      const notes = [...summary.notes];
      if (timedOut) notes.push(`stopped after ${timeoutSeconds} s before the page had loaded and gone quiet`);
      if (interrupted) notes.push('stopped by the user');
      if (loadedAt === null && !interrupted && !timedOut) notes.push('the page did not report its load');
      return { url: url.href, file, browser: found.path, device, frames: end.frames, connections, summary, notes, browserTiming, captureEnd: end.reason ?? null };
    };
    const done = run().finally(cleanup);
    return {
      stop() {
        interrupted = true;
        wake();
      },
      done,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
