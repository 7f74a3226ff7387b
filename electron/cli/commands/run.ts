/**
 * `handshake run SCRIPT -i IFACE --local ADDR[:PORT] --remote ADDR:PORT [--tolerance MS] [--json] [-w FILE]`:
 * runs a packetdrill-style script (shared/conversation) as a user-space TCP endpoint against a
 * real peer, through the capture helper. Exit codes: 0 every expectation held, 1 one failed,
 * 2 usage or script syntax error (line:column), 4 no capture permission.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ConversationRunner, type Address, type StepResult } from '../../../shared/conversation/runner';
import { parseScript, ScriptSyntaxError } from '../../../shared/conversation/script';
import { HelperConversationLink } from '../../engine/conversation-link';
import { EXIT_OTHER, EXIT_USAGE, nonNegativeNumber, parseOptions, reportFailure, UsageError } from './live-options';

const USAGE =
  'usage: handshake run SCRIPT -i IFACE --local ADDR[:PORT] --remote ADDR:PORT [--tolerance MS] [--json] [-w FILE]\n' +
  '         [--isn N] [--wait SECONDS] [--no-reset]';
const EXIT_FAILED = 1;
/** packetdrill's default timing tolerance. */
const DEFAULT_TOLERANCE_MS = 4;

/** ADDR:PORT, [IPV6]:PORT, or (when the port may be left out) ADDR / IPV6. */
export function parseAddress(text: string, option: string, portRequired: boolean): { address: string; port: number | null } {
  let address = text;
  let portText: string | null = null;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracket) {
    address = bracket[1];
    portText = bracket[2] ?? null;
  } else if (isIP(text) === 6) {
    address = text;
  } else {
    const colon = text.lastIndexOf(':');
    if (colon > 0) {
      address = text.slice(0, colon);
      portText = text.slice(colon + 1);
    }
  }
  if (isIP(address) === 0) throw new UsageError(`${option} needs an IP address${portRequired ? ' and port (ADDR:PORT, [IPV6]:PORT)' : ''}, not "${text}"`);
  if (portText === null) {
    if (portRequired) throw new UsageError(`${option} needs a port: ${text}:PORT`);
    return { address, port: null };
  }
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) throw new UsageError(`${option}: port must be 1..65535, not "${portText}"`);
  return { address, port };
}

function stepLine(result: StepResult): string {
  const time = result.time === null ? '         -' : result.time.toFixed(6).padStart(10);
  const head = `${String(result.line).padStart(4)} ${time}  ${result.dir} ${result.ok ? (result.actual ?? '') : result.expected}`;
  if (result.ok) return `${head.padEnd(90)}  ${result.state}\n`;
  return (
    `${String(result.line).padStart(4)} ${time}  FAILED\n` +
    `       expected  ${result.dir} ${result.expected}\n` +
    `       actual    ${result.dir} ${result.actual ?? '(nothing)'}\n` +
    `       why       ${result.reason ?? ''}\n`
  );
}

export async function runRun(argv: readonly string[]): Promise<number> {
  const write = (text: string) => process.stdout.write(text);
  let link: HelperConversationLink | null = null;
  let temporaryDirectory: string | null = null;
  try {
    const options = parseOptions(
      argv,
      {
        '--interface': 'value',
        '--local': 'value',
        '--remote': 'value',
        '--tolerance': 'value',
        '--json': 'flag',
        '--write': 'value',
        '--isn': 'value',
        '--wait': 'value',
        '--no-reset': 'flag',
        '--help': 'flag',
      },
      { '-i': '--interface', '-w': '--write', '-h': '--help' },
    );
    if (options.flags.has('--help')) {
      write(`${USAGE}\n`);
      return 0;
    }
    if (options.positional.length !== 1) throw new UsageError(options.positional.length === 0 ? 'give the SCRIPT to run' : `unexpected argument ${options.positional[1]}`);
    const device = options.values.get('--interface');
    if (!device) throw new UsageError('-i IFACE is required (see `handshake interfaces`)');
    const localText = options.values.get('--local');
    const remoteText = options.values.get('--remote');
    if (!localText) throw new UsageError('--local ADDR[:PORT] is required: the address our endpoint uses');
    if (!remoteText) throw new UsageError('--remote ADDR:PORT is required: the peer under test');
    const localParsed = parseAddress(localText, '--local', false);
    const remoteParsed = parseAddress(remoteText, '--remote', true);
    if (isIP(localParsed.address) !== isIP(remoteParsed.address)) throw new UsageError('--local and --remote must be of the same IP version');
    const local: Address = { address: localParsed.address, port: localParsed.port ?? 40000 + Math.floor(Math.random() * 20000) };
    const remote: Address = { address: remoteParsed.address, port: remoteParsed.port as number };
    const toleranceMs = nonNegativeNumber(options.values.get('--tolerance'), '--tolerance') ?? DEFAULT_TOLERANCE_MS;
    const anyWait = nonNegativeNumber(options.values.get('--wait'), '--wait');
    const isnText = options.values.get('--isn');
    const isn = isnText === undefined ? undefined : Number(isnText);
    if (isn !== undefined && (!/^\d+$/.test(isnText ?? '') || isn > 0xffffffff)) throw new UsageError(`--isn must be 0..4294967295, not "${isnText}"`);
    const json = options.flags.has('--json');
    const scriptPath = options.positional[0];

    let source: string;
    try {
      source = readFileSync(scriptPath, 'utf8');
    } catch (error) {
      process.stderr.write(`handshake run: ${scriptPath}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}\n`);
      return EXIT_USAGE;
    }
    let script;
    try {
      script = parseScript(source);
    } catch (error) {
      if (error instanceof ScriptSyntaxError) {
        process.stderr.write(`handshake run: ${scriptPath}:${error.line}:${error.column}: ${error.reason}\n`);
        return EXIT_USAGE;
      }
      throw error;
    }
    if (script.steps.length === 0) throw new UsageError(`${scriptPath} has no packet lines to run`);

    temporaryDirectory = mkdtempSync(path.join(os.tmpdir(), 'handshake-run-'));
    link = await HelperConversationLink.open({
      device,
      local,
      remote,
      spoolPath: path.join(temporaryDirectory, 'spool.pcapng'),
      onWarning: (message) => process.stderr.write(`handshake run: ${message}\n`),
    });
    const openedLink = link;
    if (!json) {
      write(`${scriptPath}: ${script.steps.length} packet lines; our endpoint ${local.address}:${local.port} → peer ${remote.address}:${remote.port} on ${device}\n`);
      write(
        link.kernelOwnsLocal
          ? `this host owns ${local.address}: its RSTs for the 4-tuple are dropped while the script runs (${link.suppressionRule})\n`
          : `this host does not own ${local.address}: the endpoint answers ARP for it, and the kernel stays out of the way\n`,
      );
      for (const skipped of script.skipped) write(`skipped line ${skipped.line} (${skipped.reason}): ${skipped.text.split('\n')[0]}\n`);
    }
    const runner = new ConversationRunner(script, link, {
      local,
      remote,
      tolerance: toleranceMs / 1000,
      isn,
      anyWait,
      resetAtEnd: !options.flags.has('--no-reset'),
      onStep: (result) => {
        if (result.dir === '>') openedLink.labelLastReceived(`script line ${result.line}${result.ok ? '' : ' (FAILED)'}: ${script.steps.find((step) => step.line === result.line)?.text ?? ''}`);
        if (json) write(`${JSON.stringify({ line: result.line, dir: result.dir, expected: result.expected, actual: result.actual, ok: result.ok, time: result.time, ...(result.reason ? { reason: result.reason } : {}), state: result.state })}\n`);
        else write(stepLine(result));
      },
    });
    const summary = await runner.run();
    const written = options.values.get('--write');
    const frames = written ? link.writePcapng(written) : null;
    const endReason = link.endReason;
    if (json) {
      write(
        `${JSON.stringify({
          type: 'summary',
          ok: summary.ok,
          steps: summary.steps,
          passed: summary.passed,
          failed_line: summary.failedLine,
          reason: summary.reason,
          skipped: script.skipped.map((skipped) => ({ line: skipped.line, reason: skipped.reason, text: skipped.text })),
          our_isn: summary.ourIsn,
          peer_isn: summary.peerIsn,
          negotiated: summary.negotiated,
          state: summary.state,
          cleanup: summary.cleanup,
          kernel: link.kernelOwnsLocal ? 'rst-suppressed' : 'not-owner',
          ...(written ? { pcapng: written, frames } : {}),
        })}\n`,
      );
    } else {
      if (summary.cleanup) write(`cleanup: sent ${summary.cleanup} so the peer is not left with a half-open connection\n`);
      write(summary.ok ? `every expectation held (${summary.steps} packet lines)\n` : `failed at line ${summary.failedLine}: ${summary.reason}\n`);
      if (written) write(`wrote ${frames} frames to ${written}\n`);
    }
    if (endReason) {
      process.stderr.write(`handshake run: ${endReason}\n`);
      return EXIT_OTHER;
    }
    return summary.ok ? 0 : EXIT_FAILED;
  } catch (error) {
    return reportFailure('run', error, USAGE);
  } finally {
    if (link) await link.close();
    if (temporaryDirectory) rmSync(temporaryDirectory, { recursive: true, force: true });
  }
}
