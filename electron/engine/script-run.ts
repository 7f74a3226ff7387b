/**
 * A conversation script run from the UI: the same runner and helper link as `handshake run`
 * (shared/conversation/runner.ts, conversation-link.ts), driven through the API. The run's
 * frames are spooled into a live session, so the Connections view and the ladder show the
 * connection as it happens; each line's result is an event naming its frame in that session.
 *
 * Step mode holds the runner before each line until the user asks for the next one; Stop ends
 * the line under way without a verdict (the runner still resets a connection left open).
 */
import { closeSync, readFileSync, statSync, writeSync } from 'node:fs';
import { isIP } from 'node:net';
import { ApiError, type ApiEvent, type RunScriptParams, type RunScriptResult } from '../../shared/api';
import { ConversationRunner, type Address, type StepResult } from '../../shared/conversation/runner';
import { parseScript, ScriptSyntaxError, type Script } from '../../shared/conversation/script';
import { CaptureError } from './capture-session';
import { HelperConversationLink } from './conversation-link';
import { openWriteTarget } from './safe-target';

/** packetdrill's default timing tolerance, as `handshake run`'s. */
export const DEFAULT_TOLERANCE_MS = 4;
/** Largest script file Open reads (the API's limit for a script's text). */
const MAX_SCRIPT_BYTES = 1024 * 1024;

/** The script parsed, or ApiError('invalid') with the line and column of the first error. */
export function parseForRun(text: string): Script {
  let script: Script;
  try {
    script = parseScript(text);
  } catch (error) {
    if (error instanceof ScriptSyntaxError) throw new ApiError('invalid', `script line ${error.line}:${error.column}: ${error.reason}`);
    throw error;
  }
  if (script.steps.length === 0) throw new ApiError('invalid', 'the script has no packet lines to run');
  return script;
}

/** Checks the run's addresses: real IP addresses of one family. */
export function checkAddresses(params: Pick<RunScriptParams, 'local' | 'remote'>): void {
  if (isIP(params.local) === 0) throw new ApiError('invalid', `local address "${params.local}" is not an IP address`);
  if (isIP(params.remote) === 0) throw new ApiError('invalid', `remote address "${params.remote}" is not an IP address`);
  if (isIP(params.local) !== isIP(params.remote)) throw new ApiError('invalid', 'the local and remote addresses must be of the same IP version');
}

export interface ScriptRunHooks {
  emit(event: ApiEvent): void;
  /** Each frame the run's spool receives. */
  onSpooled(): void;
  /** Each of our segments as it went on the wire (before the spool has it). */
  onSent(bytes: Uint8Array): void;
  /** Once the run is over and the link closed (the session stops growing). */
  onEnd(): void;
}

export class ScriptRun {
  private stopRequested = false;
  private stepMode: boolean;
  /** Releases a run held before a line (Step, Run or Stop). */
  private release: ((go: boolean) => void) | null = null;
  private finished = false;

  private constructor(
    readonly runId: string,
    private readonly script: Script,
    private readonly link: HelperConversationLink,
    private readonly params: RunScriptParams,
    private readonly local: Address,
    private readonly hooks: ScriptRunHooks,
  ) {
    this.stepMode = params.step;
  }

  /** Parses, opens the helper link (ARP, RST suppression), and starts the runner in the background. */
  static async start(runId: string, params: RunScriptParams, spoolPath: string, hooks: ScriptRunHooks): Promise<{ run: ScriptRun; result: Omit<RunScriptResult, 'sessionId'> }> {
    const script = parseForRun(params.script);
    checkAddresses(params);
    const local: Address = { address: params.local, port: params.localPort ?? 40000 + Math.floor(Math.random() * 20000) };
    const remote: Address = { address: params.remote, port: params.remotePort };
    let link: HelperConversationLink;
    try {
      link = await HelperConversationLink.open({
        device: params.interface,
        local,
        remote,
        spoolPath,
        onSpooled: () => hooks.onSpooled(),
        onSentFrame: (bytes) => hooks.onSent(bytes),
        onWarning: (message) => hooks.emit({ type: 'capture-error', sessionId: runId, message }),
      });
    } catch (error) {
      if (error instanceof CaptureError) {
        throw new ApiError(error.code === 'permission' ? 'permission' : error.code === 'no-device' ? 'invalid' : 'failed', error.advice ? `${error.message}. ${error.advice}` : error.message);
      }
      throw error;
    }
    const run = new ScriptRun(runId, script, link, params, local, hooks);
    return {
      run,
      result: {
        runId,
        local,
        steps: script.steps.length,
        skipped: script.skipped.map((skipped) => ({ line: skipped.line, reason: skipped.reason, text: skipped.text })),
        kernel: link.kernelOwnsLocal ? 'rst-suppressed' : 'not-owner',
        suppressionRule: link.suppressionRule,
      },
    };
  }

  get done(): boolean {
    return this.finished;
  }

  /** Runs the script to its end (called once, after the session that follows the spool exists). */
  go(): Promise<void> {
    if (this.finished && !this.running) return Promise.resolve(); // stopped before it began
    this.running ??= this.runToEnd();
    return this.running;
  }

  private running: Promise<void> | null = null;

  private async runToEnd(): Promise<void> {
    const { link, script, params } = this;
    let error: string | null = null;
    let summary = null;
    try {
      const runner = new ConversationRunner(script, link, {
        local: this.local,
        remote: { address: params.remote, port: params.remotePort },
        tolerance: params.toleranceMs / 1000,
        anyWait: params.waitSeconds,
        onStep: (result) => this.report(result),
        beforeStep: (step) => this.hold(step.line),
        stopped: () => this.stopRequested,
      });
      summary = await runner.run();
      if (link.endReason) error = link.endReason;
    } catch (caught) {
      error = caught instanceof Error ? caught.message : String(caught);
    } finally {
      await link.close().catch(() => undefined);
      this.finished = true;
      this.hooks.onEnd();
    }
    this.hooks.emit({
      type: 'script-end',
      runId: this.runId,
      ok: summary !== null && summary.ok && !summary.stopped && error === null,
      stopped: summary?.stopped ?? false,
      steps: script.steps.length,
      passed: summary?.passed ?? 0,
      failedLine: summary?.failedLine ?? null,
      reason: summary?.reason ?? null,
      cleanup: summary?.cleanup ?? null,
      state: summary?.state ?? 'CLOSED',
      error,
    });
  }

  private report(result: StepResult): void {
    // The frame of the line: ours as sent, or the peer's segment it was held against.
    const number = result.dir === '<' && result.ok ? this.link.lastSentNumber : result.actual !== null ? this.link.lastReceivedNumber : null;
    this.hooks.emit({
      type: 'script-step',
      runId: this.runId,
      line: result.line,
      dir: result.dir,
      expected: result.expected,
      actual: result.actual,
      ok: result.ok,
      time: result.time,
      reason: result.reason ?? null,
      state: result.state,
      frameIndex: number === null || number < 1 ? null : number - 1,
    });
  }

  private hold(line: number): Promise<boolean> {
    if (this.stopRequested) return Promise.resolve(false);
    if (!this.stepMode) return Promise.resolve(true);
    this.hooks.emit({ type: 'script-waiting', runId: this.runId, line });
    return new Promise((resolve) => {
      this.release = (go) => {
        this.release = null;
        resolve(go);
      };
    });
  }

  step(mode: 'step' | 'run'): void {
    if (this.finished) throw new ApiError('invalid', `run ${this.runId} has ended`);
    if (mode === 'run') this.stepMode = false;
    if (!this.release) {
      if (mode === 'step') throw new ApiError('invalid', 'the run is not waiting for a step (it is sending or waiting for the peer)');
      return;
    }
    this.release(true);
  }

  /**
   * Ends the run without a verdict; resolves once the runner has reset a connection left open
   * and the helper (with its RST rule) is gone. A run not yet started just closes its link.
   */
  async stop(): Promise<void> {
    this.stopRequested = true;
    this.release?.(false);
    this.link.interrupt();
    if (this.running) return this.running;
    if (!this.finished) {
      this.finished = true;
      await this.link.close().catch(() => undefined);
      this.hooks.onEnd();
    }
  }
}

/** Open of a script file: text, at most 1 MiB. */
export function readScriptFile(file: string): string {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ApiError(code === 'ENOENT' ? 'not-found' : 'failed', `${file}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  if (size > MAX_SCRIPT_BYTES) throw new ApiError('invalid', `${file} is ${size} bytes; a script file is at most ${MAX_SCRIPT_BYTES}`);
  const bytes = readFileSync(file);
  if (bytes.includes(0)) throw new ApiError('invalid', `${file} is not a text file (it holds NUL bytes)`);
  return bytes.toString('utf8');
}

/** Save of a script file: never replaces a file unless confirmed, never through a symbolic link. */
export function writeScriptFile(file: string, text: string, overwrite: boolean): void {
  const fd = openWriteTarget(file, { overwrite });
  try {
    const bytes = Buffer.from(text, 'utf8');
    for (let offset = 0; offset < bytes.length; ) offset += writeSync(fd, bytes, offset, bytes.length - offset);
  } finally {
    closeSync(fd);
  }
}
