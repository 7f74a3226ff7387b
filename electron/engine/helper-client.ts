/**
 * The parent's side of the capture helper: spawns it (directly, or through a launcher
 * such as pkexec or `ip netns exec NS`), sends requests, routes replies by id and hands
 * frame batches to its owner. It never loads `cap` itself.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  encodeControl,
  MessageReader,
  validateHelperMessage,
  type BatchType,
  type HelloResult,
  type HelperErrorCode,
  type HelperInterface,
  type OpenResult,
  type ProbePermissionResult,
  type SendLinkMode,
  type SendResult,
  type StatsResult,
  type SuppressRstResult,
  type ValidateFilterResult,
} from '../helper/protocol';
import { permissionAdvice } from '../helper/permission';
import { HelperRequestError } from './capture-errors';

/** Same value as the helper's EXIT_DEVICE_GONE; kept here so the engine never imports the helper's entry point. */
const EXIT_DEVICE_GONE = 5;
const STDERR_TAIL_LIMIT = 8192;

export { HelperRequestError };

export interface HelperLaunchOptions {
  /** Path of the bundled helper; default out/node/helper.cjs (or HANDSHAKE_HELPER_PATH). */
  helperPath?: string;
  /** Node binary that runs the helper (HANDSHAKE_HELPER_NODE), e.g. a copy given capabilities with setcap. */
  nodePath?: string;
  /** Command prefix, e.g. ['pkexec'] or ['ip', 'netns', 'exec', 'ns1'] (HANDSHAKE_HELPER_LAUNCHER, space-separated). */
  launcher?: string[];
  /** Added to the inherited environment (ELECTRON_RUN_AS_NODE=1 for Electron's binary). */
  env?: Record<string, string>;
}

/** What a HelperClient uses for whatever its options and the environment leave open (the Electron engine sets it: helper-route.ts). */
let defaultLaunch: HelperLaunchOptions = {};

export function setDefaultHelperLaunch(launch: HelperLaunchOptions): void {
  defaultLaunch = { ...launch };
}

export interface HelperExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Why the helper ended, in words, when it was not asked to. */
  reason: string | null;
  stderr: string;
}

export function defaultHelperPath(): string {
  const fromEnvironment = process.env.HANDSHAKE_HELPER_PATH;
  if (fromEnvironment) return fromEnvironment;
  // Bundled: this file lives in out/node next to helper.cjs. From source: two levels below the root.
  const candidates = [path.join(__dirname, 'helper.cjs'), path.resolve(__dirname, '..', '..', 'out', 'node', 'helper.cjs')];
  return candidates.find((candidate) => existsSync(candidate)) ?? candidates[1];
}

function launcherFromEnvironment(): string[] {
  const text = process.env.HANDSHAKE_HELPER_LAUNCHER?.trim();
  return text ? text.split(/\s+/) : [];
}

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };

export class HelperClient {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly reader = new MessageReader();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stderrTail = '';
  private stopping = false;
  private exitInfo: HelperExit | null = null;
  private readonly exited: Promise<HelperExit>;
  /** The helper's own last word (a device-gone or internal-error event). */
  private lastHelperError: string | null = null;
  /** The program spawned (the launcher, or the node binary). */
  private readonly program: string;
  /** The OS refused to run the program (EACCES/EPERM): a capture launcher outside its group. */
  private refusedToRun = false;

  onBatch: (type: BatchType, payload: Uint8Array) => void = () => {};
  onWarning: (message: string) => void = () => {};
  onExit: (exit: HelperExit) => void = () => {};

  constructor(options: HelperLaunchOptions = {}) {
    // Explicit options, then HANDSHAKE_HELPER_* (a developer's choice), then the installation's route.
    const fromEnvironment = launcherFromEnvironment();
    const helperPath = options.helperPath ?? process.env.HANDSHAKE_HELPER_PATH ?? defaultLaunch.helperPath ?? defaultHelperPath();
    const nodePath = options.nodePath ?? process.env.HANDSHAKE_HELPER_NODE ?? defaultLaunch.nodePath ?? process.execPath;
    const launcher = options.launcher ?? (fromEnvironment.length > 0 ? fromEnvironment : (defaultLaunch.launcher ?? []));
    const env = options.env ?? defaultLaunch.env;
    const argv = [...launcher, nodePath, helperPath];
    this.program = argv[0];
    this.child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: env ? { ...process.env, ...env } : process.env });
    this.child.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL_LIMIT);
    });
    this.child.stdin.on('error', () => {}); // EPIPE when the helper died; the exit handler reports it
    this.exited = new Promise((resolve) => {
      this.child.on('error', (error: NodeJS.ErrnoException) => {
        this.refusedToRun = error.code === 'EACCES' || error.code === 'EPERM';
        const reason = this.refusedToRun
          ? `you may not run the capture launcher ${this.program} (${error.code}): capture is not permitted for this user`
          : `cannot start the capture helper: ${error.message}`;
        this.finish({ code: null, signal: null, reason, stderr: '' }, resolve);
      });
      this.child.on('close', (code, signal) => {
        // 126 is "found but cannot run": a launcher prefix (env, setpriv, ip netns exec) refused to exec it.
        if (code === 126 && /permission denied|operation not permitted/i.test(this.stderrTail)) this.refusedToRun = true;
        this.finish({ code, signal, reason: this.describeExit(code, signal), stderr: this.stderrTail }, resolve);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get exit(): HelperExit | null {
    return this.exitInfo;
  }

  hello(): Promise<HelloResult> {
    return this.request({ cmd: 'hello' }) as Promise<HelloResult>;
  }

  interfaces(): Promise<HelperInterface[]> {
    return this.request({ cmd: 'interfaces' }) as Promise<HelperInterface[]>;
  }

  open(device: string, filter: string, bufferSize?: number, immediate?: boolean): Promise<OpenResult> {
    return this.request({ cmd: 'open', device, filter, bufferSize, ...(immediate ? { immediate } : {}) }) as Promise<OpenResult>;
  }

  send(options: {
    frames: Uint8Array[];
    link: SendLinkMode;
    count?: number;
    intervalMs?: number;
    rate?: number;
    ethSrc?: string;
    ethDst?: string;
    conversation?: boolean;
  }): Promise<SendResult> {
    const { frames, ...rest } = options;
    return this.request({ cmd: 'send', frames: frames.map((frame) => Buffer.from(frame).toString('base64')), ...rest }) as Promise<SendResult>;
  }

  stats(): Promise<StatsResult> {
    return this.request({ cmd: 'stats' }) as Promise<StatsResult>;
  }

  validateFilter(filter: string, options: { device?: string; linkType?: number } = {}): Promise<ValidateFilterResult> {
    return this.request({ cmd: 'validate-filter', filter, ...options }) as Promise<ValidateFilterResult>;
  }

  /** Tries to open a capture that matches nothing (on loopback unless `device` is given). */
  probePermission(device?: string): Promise<ProbePermissionResult> {
    return this.request({ cmd: 'probe-permission', device }) as Promise<ProbePermissionResult>;
  }

  /** Drops this host's outgoing RSTs for one 4-tuple until released (or the helper ends). */
  suppressKernelRst(tuple: { src: string; dst?: string; sport: number; dport?: number }): Promise<SuppressRstResult> {
    return this.request({ cmd: 'suppress-rst', ...tuple }) as Promise<SuppressRstResult>;
  }

  releaseKernelRst(ruleId: number): Promise<{ removed: boolean }> {
    return this.request({ cmd: 'release-rst', ruleId }) as Promise<{ removed: boolean }>;
  }

  /** Conversations sent with `conversation` that the engine ended itself (all, or the one with this peer): the helper will not reset them when it goes. */
  endConversations(peer?: { dst: string; dport: number }): Promise<{ ended: number }> {
    return this.request({ cmd: 'end-conversations', ...peer }) as Promise<{ ended: number }>;
  }

  request(body: Record<string, unknown>): Promise<unknown> {
    if (this.exitInfo) return Promise.reject(this.exitError());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.stdin.write(encodeControl({ id, ...body }));
    });
  }

  /** Raw bytes to the helper's stdin (tests use it to send garbage). */
  writeRaw(bytes: Uint8Array): void {
    this.child.stdin.write(bytes);
  }

  /** Ends the helper the way it is meant to end: stdin closes, it flushes and exits. */
  async stop(timeoutMs = 3000): Promise<HelperExit> {
    this.stopping = true;
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.child.kill(signal);
  }

  waitForExit(): Promise<HelperExit> {
    return this.exited;
  }

  private onData(chunk: Buffer): void {
    for (const item of this.reader.push(chunk)) {
      if (item.kind === 'batch') {
        this.onBatch(item.type, item.payload);
      } else if (item.kind === 'error') {
        this.onWarning(`garbled message from the helper: ${item.message}`);
      } else {
        const checked = validateHelperMessage(item.message);
        if (!checked.ok) {
          this.onWarning(`invalid message from the helper: ${checked.error}`);
          continue;
        }
        const message = checked.value;
        if ('event' in message) {
          if (message.event === 'error') this.lastHelperError = message.message;
          this.onWarning(message.message);
          continue;
        }
        const waiter = message.id === null ? undefined : this.pending.get(message.id);
        if (!waiter) {
          if (!message.ok) this.onWarning(`helper: ${message.error.message}`);
          continue;
        }
        this.pending.delete(message.id as number);
        if (message.ok) waiter.resolve(message.result);
        else waiter.reject(new HelperRequestError(message.error.code, message.error.message, message.error.advice));
      }
    }
  }

  private describeExit(code: number | null, signal: NodeJS.Signals | null): string | null {
    if (this.stopping && (code === 0 || signal === 'SIGKILL')) return null;
    if (this.lastHelperError) return this.lastHelperError;
    if (code === EXIT_DEVICE_GONE) return 'the capture interface disappeared or went down';
    // cap asserts when libpcap's descriptor reports an error, which is what a vanishing interface causes.
    if (signal === 'SIGABRT' && /cb_packets|status == 0/.test(this.stderrTail))
      return 'the capture device reported an error (the interface went down or was removed); capture ended';
    if (this.refusedToRun) return `you may not run the capture launcher: ${this.stderrTail.trim().split('\n').pop()}`;
    if (/pkexec|authentication|not authorized/i.test(this.stderrTail) && code !== 0)
      return `the helper launcher was refused: ${this.stderrTail.trim().split('\n').pop()}. ${permissionAdvice()}`;
    if (signal) return `the capture helper was killed by ${signal}`;
    if (code !== 0) return `the capture helper exited with code ${code}${this.stderrTail ? `: ${this.stderrTail.trim().split('\n').pop()}` : ''}`;
    return 'the capture helper ended unexpectedly';
  }

  private exitError(): HelperRequestError {
    if (this.refusedToRun) return new HelperRequestError('permission', this.exitInfo?.reason ?? 'capture is not permitted', permissionAdvice());
    return new HelperRequestError('helper-exited', this.exitInfo?.reason ?? 'the capture helper has ended');
  }

  private finish(exit: HelperExit, resolve: (exit: HelperExit) => void): void {
    if (this.exitInfo) return;
    this.exitInfo = exit;
    for (const waiter of this.pending.values()) waiter.reject(this.exitError());
    this.pending.clear();
    this.onExit(exit);
    resolve(exit);
  }
}
