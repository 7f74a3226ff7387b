/**
 * `handshake connect ADDR:PORT …` and `handshake listen ADDR:PORT …`: one TCP conversation held
 * by the user-space endpoint (shared/endpoint) through the capture helper
 * (electron/engine/endpoint-session.ts). Data to send comes from --send/--send-file, what the
 * peer sends goes to --receive-to; the conversation ends with FIN or RST as asked.
 * Exit codes: 0 the conversation ended as asked with all our data acknowledged; 1 refused,
 * reset, given up, timed out or quit at the --step prompt; 2 usage; 3 unreadable --send-file;
 * 4 no capture permission. --step: each segment waits for a line on stdin (step-prompt.ts).
 */
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Address } from '../../../shared/conversation/runner';
import { segmentLine, type AckMode, type EndpointEvent, type EndpointOptions, type EndpointSegment } from '../../../shared/endpoint';
import { TcpState } from '../../../shared/track/states';
import { ConversationLinkError } from '../../engine/conversation-link';
import { EndpointSession } from '../../engine/endpoint-session';
import { openFailure } from '../errors';
import { EXIT_OTHER, nonNegativeNumber, parseOptions, positiveInteger, reportFailure, UsageError } from './live-options';
import { parseAddress } from './run';
import { StepPrompt } from './step-prompt';

const COMMON =
  '[--send TEXT | --send-file FILE] [--receive-to FILE|-] [--close fin|rst] [--close-after SECONDS]\n' +
  '         [--retransmit] [--min-rto MS] [--keepalive SECONDS] [--isn N] [--mss N] [--wscale N|none] [--no-sack] [--no-timestamps]\n' +
  '         [--window BYTES] [--ack immediate|delayed|manual] [--time-wait SECONDS] [--timeout SECONDS] [--step] [--segments] [--json] [-w FILE]';
const USAGE = {
  connect: `usage: handshake connect ADDR:PORT -i IFACE --local ADDR[:PORT] ${COMMON}`,
  listen: `usage: handshake listen ADDR:PORT -i IFACE ${COMMON}`,
};

const OPTION_SPEC = {
  '--interface': 'value',
  '--local': 'value',
  '--send': 'value',
  '--send-file': 'value',
  '--receive-to': 'value',
  '--close': 'value',
  '--close-after': 'value',
  '--retransmit': 'flag',
  '--min-rto': 'value',
  '--keepalive': 'value',
  '--isn': 'value',
  '--mss': 'value',
  '--wscale': 'value',
  '--no-sack': 'flag',
  '--no-timestamps': 'flag',
  '--window': 'value',
  '--ack': 'value',
  '--time-wait': 'value',
  '--timeout': 'value',
  '--segments': 'flag',
  '--step': 'flag',
  '--json': 'flag',
  '--write': 'value',
  '--help': 'flag',
} as const;

/** After the data is acknowledged, how long a quiet peer is given before we close (default). */
const DEFAULT_CLOSE_AFTER_S = 1;
/** FIN_WAIT_2 with a peer that never closes: given up after this long, as Linux's tcp_fin_timeout. */
const FIN_WAIT_2_LIMIT_MS = 60_000;

export async function runConnect(argv: readonly string[]): Promise<number> {
  return runEndpoint('connect', argv);
}

export async function runListen(argv: readonly string[]): Promise<number> {
  return runEndpoint('listen', argv);
}

async function runEndpoint(command: 'connect' | 'listen', argv: readonly string[]): Promise<number> {
  const usage = USAGE[command];
  let session: EndpointSession | null = null;
  let prompt: StepPrompt | null = null;
  let temporaryDirectory: string | null = null;
  let receiveFd: number | null = null;
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
  };
  try {
    const options = parseOptions(argv, OPTION_SPEC, { '-i': '--interface', '-w': '--write', '-h': '--help' });
    if (options.flags.has('--help')) {
      process.stdout.write(`${usage}\n`);
      return 0;
    }
    if (options.positional.length !== 1) throw new UsageError(options.positional.length === 0 ? `give the ADDR:PORT to ${command === 'connect' ? 'connect to' : 'listen on'}` : `unexpected argument ${options.positional[1]}`);
    const device = options.values.get('--interface');
    if (!device) throw new UsageError('-i IFACE is required (see `handshake interfaces`)');
    const target = parseAddress(options.positional[0], command === 'connect' ? 'the peer' : 'the address to listen on', true);
    let local: Address;
    let remote: Address | null;
    if (command === 'connect') {
      const localText = options.values.get('--local');
      if (!localText) throw new UsageError('--local ADDR[:PORT] is required: the address our endpoint uses (one this host does not own keeps the kernel out of the way)');
      const localParsed = parseAddress(localText, '--local', false);
      if (isIP(localParsed.address) !== isIP(target.address)) throw new UsageError('--local and the peer must be of the same IP version');
      local = { address: localParsed.address, port: localParsed.port ?? 40000 + Math.floor(Math.random() * 20000) };
      remote = { address: target.address, port: target.port as number };
    } else {
      if (options.values.has('--local')) throw new UsageError('listen takes its address as ADDR:PORT, not --local');
      local = { address: target.address, port: target.port as number };
      remote = null;
    }
    const json = options.flags.has('--json');
    const showSegments = options.flags.has('--segments');
    const stepping = options.flags.has('--step');
    const closeHow = options.values.get('--close') ?? 'fin';
    if (closeHow !== 'fin' && closeHow !== 'rst') throw new UsageError(`--close takes fin or rst, not "${closeHow}"`);
    const closeAfterMs = (nonNegativeNumber(options.values.get('--close-after'), '--close-after') ?? DEFAULT_CLOSE_AFTER_S) * 1000;
    const timeoutS = nonNegativeNumber(options.values.get('--timeout'), '--timeout');
    const ackMode = options.values.get('--ack') ?? 'immediate';
    if (ackMode !== 'immediate' && ackMode !== 'delayed' && ackMode !== 'manual') throw new UsageError(`--ack takes immediate, delayed or manual, not "${ackMode}"`);
    const isnText = options.values.get('--isn');
    if (isnText !== undefined && (!/^\d+$/.test(isnText) || Number(isnText) > 0xffffffff)) throw new UsageError(`--isn must be 0..4294967295, not "${isnText}"`);
    const mss = positiveInteger(options.values.get('--mss'), '--mss');
    if (mss !== undefined && mss > 65535) throw new UsageError(`--mss must be 1..65535, not ${mss}`);
    const wscaleText = options.values.get('--wscale');
    let windowScale: number | null | undefined;
    if (wscaleText === 'none') windowScale = null;
    else if (wscaleText !== undefined) {
      if (!/^\d+$/.test(wscaleText) || Number(wscaleText) > 14) throw new UsageError(`--wscale must be 0..14 or none, not "${wscaleText}"`);
      windowScale = Number(wscaleText);
    }
    const window = positiveInteger(options.values.get('--window'), '--window');
    const keepaliveS = nonNegativeNumber(options.values.get('--keepalive'), '--keepalive');
    const minRto = nonNegativeNumber(options.values.get('--min-rto'), '--min-rto');
    const timeWaitS = nonNegativeNumber(options.values.get('--time-wait'), '--time-wait') ?? 1;
    if (options.values.has('--send') && options.values.has('--send-file')) throw new UsageError('give --send or --send-file, not both');
    let data = new Uint8Array(0);
    const sendFile = options.values.get('--send-file');
    if (sendFile !== undefined) {
      try {
        data = new Uint8Array(readFileSync(sendFile));
      } catch (error) {
        throw openFailure(sendFile, error);
      }
    } else if (options.values.has('--send')) {
      data = new TextEncoder().encode(options.values.get('--send'));
    }
    const receiveTo = options.values.get('--receive-to');
    const dataToStdout = receiveTo === '-';
    if (dataToStdout && json) throw new UsageError('--receive-to - and --json both want stdout');
    const status = (text: string) => (dataToStdout ? process.stderr : process.stdout).write(text);
    if (receiveTo !== undefined && !dataToStdout) receiveFd = openSync(receiveTo, 'w');
    const received = createHash('sha256');
    const sentHash = createHash('sha256').update(data).digest('hex');

    const endpointOptions: EndpointOptions = {
      isn: isnText === undefined ? undefined : Number(isnText),
      mss,
      windowScale,
      sackPermitted: !options.flags.has('--no-sack'),
      timestamps: !options.flags.has('--no-timestamps'),
      receiveWindow: window,
      ack: ackMode as AckMode,
      retransmit: options.flags.has('--retransmit'),
      rto: minRto === undefined ? undefined : { minRtoMs: minRto },
      keepalive: keepaliveS ? { idleMs: keepaliveS * 1000, intervalMs: Math.min(keepaliveS, 75) * 1000, probes: 9 } : null,
      timeWaitMs: timeWaitS * 1000,
      step: stepping,
    };

    let start: number | null = null;
    const seconds = (at: number) => ((at - (start ?? at)) / 1000).toFixed(6).padStart(10);
    const emit = (record: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(record)}\n`);
    let lastDataAt = 0;
    const onEvent = (event: EndpointEvent) => {
      if (event.type === 'data') {
        lastDataAt = event.at;
        received.update(event.bytes);
        if (receiveFd !== null) writeSync(receiveFd, event.bytes);
        else if (dataToStdout) process.stdout.write(event.bytes);
        return;
      }
      if (event.type === 'rtt' || event.type === 'dropped') return;
      const time = Number(seconds(event.at));
      if (json) {
        emit({ ...event, at: undefined, time });
        return;
      }
      switch (event.type) {
        case 'state':
          status(`${seconds(event.at)}  ${event.to.padEnd(12)} ${event.why}\n`);
          break;
        case 'retransmit':
          status(`${seconds(event.at)}  retransmitted ${event.seq}:${event.seq + event.length}(${event.length}) (${event.why}; RTO now ${Math.round(event.rto)} ms)\n`);
          break;
        case 'keepalive':
          status(`${seconds(event.at)}  keepalive probe ${event.probe}\n`);
          break;
        case 'peer-fin':
          status(`${seconds(event.at)}  the peer closed its side (FIN)\n`);
          break;
        case 'reset':
        case 'aborted':
          status(`${seconds(event.at)}  ${event.type === 'reset' ? 'reset' : 'given up'}: ${event.why}\n`);
          break;
      }
    };
    const onSegment = (direction: 'in' | 'out', segment: EndpointSegment, at: number) => {
      start ??= at;
      if (!showSegments || !session) return;
      const ours = direction === 'out';
      const line = segmentLine(session.endpoint, segment, ours, 0);
      if (json) emit({ type: 'segment', dir: ours ? '<' : '>', time: Number(seconds(at)), segment: line, len: segment.payload.length });
      else status(`${seconds(at)}  ${ours ? '<' : '>'} ${line}\n`);
    };

    temporaryDirectory = mkdtempSync(path.join(os.tmpdir(), `handshake-${command}-`));
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    session = await EndpointSession.start({
      device,
      local,
      remote,
      endpoint: endpointOptions,
      spoolPath: path.join(temporaryDirectory, 'spool.pcapng'),
      onWarning: (message) => process.stderr.write(`handshake ${command}: ${message}\n`),
      onEvent,
      onSegment,
    });
    const link = session.link;
    if (!json) {
      status(
        command === 'connect'
          ? `our endpoint ${local.address}:${local.port} → ${remote?.address}:${remote?.port} on ${device}\n`
          : `listening on ${local.address}:${local.port} (${device}) for one connection\n`,
      );
      status(
        link.kernelOwnsLocal
          ? command === 'listen'
            ? `this host owns ${local.address}: its RSTs from ${local.address}:${local.port} are dropped while we listen, then for the 4-tuple only while the conversation lives (${link.suppressionRule})\n`
            : `this host owns ${local.address}: its RSTs for the 4-tuple are dropped while the conversation lives (${link.suppressionRule})\n`
          : `this host does not own ${local.address}: the endpoint answers ARP for it, and the kernel stays out of the way\n`,
      );
    }
    if (data.length > 0) session.write(data);
    if (stepping) prompt = new StepPrompt(session, { say: (line) => status(`${line}\n`), record: json ? emit : undefined });

    const deadline = timeoutS ? Date.now() + timeoutS * 1000 : Infinity;
    let closing = false;
    let finWait2Since: number | null = null;
    let outcome: string | null = null;
    const endpoint = session.endpoint;
    for (;;) {
      // CLOSED before anything was sent is where step mode starts, not an end.
      const ended = () => endpoint.state === TcpState.CLOSED && (endpoint.closedReason !== null || endpoint.irs !== null);
      await session.waitFor(() => interrupted || ended() || (prompt?.pending ?? false), 20);
      if (prompt) {
        await prompt.turn();
        if (prompt.quitReason) {
          outcome = prompt.quitReason;
          break;
        }
      }
      const now = session.now();
      if (session.endReason) {
        outcome = session.endReason;
        break;
      }
      if (ended()) break;
      if (interrupted) {
        outcome = 'interrupted';
        if (endpoint.synchronized || endpoint.state === TcpState.SYN_RECEIVED) {
          session.close('rst');
          await session.waitFor(() => endpoint.state === TcpState.CLOSED, 500);
        }
        break;
      }
      if (Date.now() >= deadline) {
        outcome = `timed out after ${timeoutS} s in ${endpoint.stateName}`;
        if (endpoint.synchronized) {
          session.close('rst');
          await session.waitFor(() => endpoint.state === TcpState.CLOSED, 500);
        }
        break;
      }
      const peerClosed = endpoint.state === TcpState.CLOSE_WAIT;
      const quiet = now - Math.max(lastDataAt, start ?? now) >= closeAfterMs;
      // In step mode the user closes (close fin|rst at the prompt).
      if (!closing && !stepping && (endpoint.state === TcpState.ESTABLISHED || peerClosed) && endpoint.unacknowledged === 0 && (peerClosed || quiet)) {
        closing = true;
        session.close(closeHow);
      }
      if (endpoint.state === TcpState.FIN_WAIT_2) {
        finWait2Since ??= now;
        if (now - finWait2Since > FIN_WAIT_2_LIMIT_MS) {
          outcome = 'the peer never closed its side (FIN_WAIT_2 for 60 s)';
          break;
        }
      }
    }
    const stats = endpoint.stats;
    const reason = outcome ?? endpoint.closedReason ?? endpoint.stateName;
    const orderly = outcome === null && (/both FINs|2MSL timeout/.test(reason) || (closeHow === 'rst' && /we reset/.test(reason)));
    const ok = orderly && endpoint.unacknowledged === 0 && endpoint.irs !== null;
    const written = options.values.get('--write');
    await session.stop();
    const frames = written ? link.writePcapng(written) : null;
    const negotiated = endpoint.negotiated;
    const summary = {
      type: 'summary',
      ok,
      state: endpoint.stateName,
      closed: reason,
      local: `${local.address}:${local.port}`,
      remote: session.remote ? `${session.remote.address}:${session.remote.port}` : null,
      our_isn: endpoint.iss,
      peer_isn: endpoint.irs,
      negotiated: { mss: negotiated.peerMss, sack: negotiated.sack, timestamps: negotiated.timestamps, window_scale: negotiated.windowScale },
      bytes_sent: stats.bytesAcked,
      bytes_received: stats.bytesReceived,
      sent_sha256: sentHash,
      received_sha256: received.digest('hex'),
      segments_sent: stats.segmentsSent,
      segments_received: stats.segmentsReceived,
      retransmissions: stats.retransmissions,
      srtt_ms: endpoint.rtt.srtt,
      rto_ms: endpoint.rtt.rto,
      kernel: link.kernelOwnsLocal ? 'rst-suppressed' : 'not-owner',
      ...(written ? { pcapng: written, frames } : {}),
    };
    if (json) emit(summary);
    else {
      status(`${ok ? 'done' : 'failed'}: ${reason}; sent ${stats.bytesAcked} of ${data.length} bytes (acknowledged), received ${stats.bytesReceived} bytes (sha256 ${summary.received_sha256.slice(0, 16)}…), ${stats.retransmissions} retransmissions\n`);
      if (written) status(`wrote ${frames} frames to ${written}\n`);
    }
    return ok ? 0 : EXIT_OTHER;
  } catch (error) {
    if (error instanceof ConversationLinkError) return reportFailure(command, new UsageError(error.message, [], false), usage);
    return reportFailure(command, error, usage);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    prompt?.close();
    if (receiveFd !== null) closeSync(receiveFd);
    if (session) await session.stop().catch(() => {});
    if (temporaryDirectory) rmSync(temporaryDirectory, { recursive: true, force: true });
  }
}
