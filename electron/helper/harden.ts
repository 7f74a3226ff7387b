/**
 * Closes the routes by which another process could debug or instrument the capture helper,
 * which may hold CAP_NET_RAW and CAP_NET_ADMIN while running as the (unprivileged) user who
 * started it. Imported first by main.ts, so it runs before anything else in the bundle.
 *
 * - SIGUSR1: Node opens its inspector on 127.0.0.1:9229 and `Runtime.evaluate` runs any code
 *   sent to it. A JS listener replaces Node's handler (measured on Node 20: no socket after
 *   repeated signals). It exists only once this code runs; the Linux capture launcher's
 *   seccomp filter (build/linux/capture-launcher.c) closes the window before it.
 * - `process._debugProcess` (sends another process SIGUSR1, or on Windows starts its
 *   inspector) and the `inspector` module's `open` are replaced by functions that throw.
 * - A privileged helper refuses to run with the inspector already open, with debugging or
 *   code-loading options in its argv or NODE_OPTIONS, or with NODE_PATH (the launcher never passes any; this
 *   catches a hand-made route such as a node copy given capabilities).
 */
import inspector from 'node:inspector';
import { readFileSync } from 'node:fs';

/** Exit code of a refused start, as the launcher's (a shell's "found but cannot run"). */
export const EXIT_REFUSED = 126;

const CAP_NET_ADMIN = 12;
const CAP_NET_RAW = 13;

/** Node options that open a debugger or load code chosen by whoever set them. */
const DANGEROUS_OPTION =
  /^(--inspect\b|--inspect-brk\b|--inspect-port\b|--inspect-wait\b|--inspect-publish-uid\b|--debug\b|--debug-brk\b|--debug-port\b|-r$|--require\b|--import\b|--loader\b|--experimental-loader\b|--experimental-policy\b|--env-file\b|--openssl-config\b|--snapshot-blob\b|--build-snapshot\b|--eval\b|-e$|--print\b|-p$)/;

function refuseDebugging(): never {
  throw new Error('the capture helper cannot be debugged or instrumented');
}

/** True when this process holds a capture capability (Linux) or runs as root. */
export function helperIsPrivileged(): boolean {
  if (typeof process.geteuid === 'function' && process.geteuid() === 0) return true;
  return hasEffectiveCapability(CAP_NET_ADMIN) || hasEffectiveCapability(CAP_NET_RAW);
}

/** Whether this process holds the Linux capability numbered `bit` (false elsewhere). */
export function hasEffectiveCapability(bit: number): boolean {
  if (process.platform !== 'linux') return false;
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const effective = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
    if (!effective) return false;
    return ((BigInt(`0x${effective}`) >> BigInt(bit)) & 1n) === 1n;
  } catch {
    return false;
  }
}

/** The debugging or code-loading options this process was started with (argv and NODE_OPTIONS). */
export function dangerousStartOptions(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): string[] {
  const fromEnvironment = nodeOptions.split(/\s+/).filter(Boolean);
  return [...execArgv, ...fromEnvironment].filter((option) => DANGEROUS_OPTION.test(option));
}

function harden(): void {
  process.on('SIGUSR1', () => {
    // Ignored on purpose: Node would otherwise open its inspector.
  });
  const processWithDebug = process as unknown as Record<string, unknown>;
  processWithDebug._debugProcess = refuseDebugging;
  const inspectorModule = inspector as unknown as Record<string, unknown>;
  try {
    inspectorModule.open = refuseDebugging;
    inspectorModule.waitForDebugger = refuseDebugging;
  } catch {
    // A frozen module object cannot be reassigned; the launcher's filter still stops it listening.
  }
  if (!helperIsPrivileged()) return;
  const problems = dangerousStartOptions();
  // `cap` is required after this runs: a NODE_PATH could otherwise offer a module of that name.
  if (process.env.NODE_PATH) problems.push('NODE_PATH');
  if (inspector.url()) problems.push('an open inspector');
  if (problems.length > 0) {
    inspector.close();
    process.stderr.write(`handshake capture helper: refusing to run with capture privileges and ${problems.join(', ')}\n`);
    process.exit(EXIT_REFUSED);
  }
}

harden();
