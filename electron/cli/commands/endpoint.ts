/**
 * `handshake connect ADDR:PORT …` and `handshake listen ADDR:PORT …`: one TCP conversation held
 * by the user-space endpoint (shared/endpoint) through the capture helper
 * (electron/engine/endpoint-session.ts). Data to send comes from --send/--send-file, what the
 * peer sends goes to --receive-to; the conversation ends with FIN or RST as asked.
 * Exit codes: 0 the conversation ended as asked with all our data acknowledged; 1 refused,
 * reset, given up, timed out or quit at the --step prompt; 2 usage; 3 unreadable --send-file;
 * 4 no capture permission. --step: each segment waits for a line on stdin (step-prompt.ts).
 * `listen --connections N`: N peers served at once, each a conversation of its own (listenMany).
 */
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Address } from '../../../shared/conversation/runner';
import { segmentLine, type AckMode, type EndpointEvent, type EndpointOptions, type EndpointSegment, type SenderState } from '../../../shared/endpoint';
import { TcpState } from '../../../shared/track/states';
import { ConversationLinkError, type AcceptedPeer, type EndpointChannel, type HelperConversationLink } from '../../engine/conversation-link';
import { EndpointSession } from '../../engine/endpoint-session';
import { openFailure } from '../errors';
import { EXIT_OTHER, nonNegativeNumber, parseOptions, positiveInteger, reportFailure, UsageError } from './live-options';
import { parseAddress } from './run';
import { StepPrompt, StepRouter } from './step-prompt';

const COMMON =
  '[--send TEXT | --send-file FILE] [--receive-to FILE|-] [--close fin|rst] [--close-after SECONDS]\n' +
  '         [--retransmit] [--min-rto MS] [--congestion newreno|none] [--initial-window SEGMENTS] [--ssthresh BYTES]\n' +
  '         [--no-sack-recovery] [--no-idle-restart] [--keepalive SECONDS] [--isn N] [--mss N] [--wscale N|none] [--no-sack] [--no-timestamps]\n' +
  '         [--window BYTES] [--ack immediate|delayed|manual] [--time-wait SECONDS] [--timeout SECONDS] [--step] [--segments] [--json] [-w FILE]';
const USAGE = {
  connect: `usage: handshake connect ADDR:PORT -i IFACE --local ADDR[:PORT] ${COMMON}`,
  listen: `usage: handshake listen ADDR:PORT -i IFACE [--connections N] ${COMMON}`,
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
  '--congestion': 'value',
  '--initial-window': 'value',
  '--ssthresh': 'value',
  '--no-sack-recovery': 'flag',
  '--no-idle-restart': 'flag',
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
  '--connections': 'value',
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
    const algorithm = options.values.get('--congestion') ?? 'newreno';
    if (algorithm !== 'newreno' && algorithm !== 'none') throw new UsageError(`--congestion takes newreno or none, not "${algorithm}"`);
    const initialWindowSegments = positiveInteger(options.values.get('--initial-window'), '--initial-window');
    const ssthresh = positiveInteger(options.values.get('--ssthresh'), '--ssthresh');
    const congestionChosen = ['--congestion', '--initial-window', '--ssthresh'].some((name) => options.values.has(name)) || options.flags.has('--no-sack-recovery') || options.flags.has('--no-idle-restart');
    if (congestionChosen && !options.flags.has('--retransmit')) throw new UsageError('the congestion options need --retransmit (without it the endpoint sends as the peer\'s window allows)');
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
    const connections = positiveInteger(options.values.get('--connections'), '--connections') ?? 1;
    if (connections > 1) {
      if (command !== 'listen') throw new UsageError('--connections is for listen');
    }
    if (receiveTo !== undefined && !dataToStdout && connections === 1) receiveFd = openSync(receiveTo, 'w');
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
      congestion: { algorithm, initialWindow: initialWindowSegments, initialSsthresh: ssthresh, sackRecovery: !options.flags.has('--no-sack-recovery'), restartAfterIdle: !options.flags.has('--no-idle-restart') },
      keepalive: keepaliveS ? { idleMs: keepaliveS * 1000, intervalMs: Math.min(keepaliveS, 75) * 1000, probes: 9 } : null,
      timeWaitMs: timeWaitS * 1000,
      step: stepping,
    };

    const emit = (record: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(record)}\n`);
    const out: Output = { status, emit, json, showSegments, dataToStdout };
    const written = options.values.get('--write');
    const deadline = timeoutS ? Date.now() + timeoutS * 1000 : Infinity;
    const hold: HoldSettings = { closeHow, closeAfterMs, stepping, timeoutS, deadline, interrupted: () => interrupted };

    temporaryDirectory = mkdtempSync(path.join(os.tmpdir(), `handshake-${command}-`));
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const spoolPath = path.join(temporaryDirectory, 'spool.pcapng');
    const onWarning = (message: string) => process.stderr.write(`handshake ${command}: ${message}\n`);
    if (connections > 1) {
      return await listenMany({ device, local, endpoint: endpointOptions, spoolPath, onWarning, connections, data, sentHash, receiveTo, out, hold, written });
    }
    const io = new ConversationIo(null, receiveFd, out);
    session = await EndpointSession.start({ device, local, remote, endpoint: endpointOptions, spoolPath, onWarning, onEvent: io.onEvent, onSegment: io.onSegment });
    io.session = session;
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
    const outcome = await holdConversation(session, io, hold, prompt);
    await session.stop();
    const frames = written ? link.writePcapng(written) : null;
    const result = conversationResult(session, io, outcome, closeHow, data.length, sentHash);
    const summary = { type: 'summary', ...result.record, kernel: link.kernelOwnsLocal ? 'rst-suppressed' : 'not-owner', ...(written ? { pcapng: written, frames } : {}) };
    if (json) emit(summary);
    else {
      status(`${result.line}\n`);
      if (written) status(`wrote ${frames} frames to ${written}\n`);
    }
    return result.ok ? 0 : EXIT_OTHER;
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

interface Output {
  status(text: string): void;
  emit(record: Record<string, unknown>): void;
  json: boolean;
  showSegments: boolean;
  dataToStdout: boolean;
}

/** One conversation's output: its events and segments (tagged with the peer when there are several), its received bytes. */
class ConversationIo {
  session: EndpointSession<EndpointChannel> | null = null;
  start: number | null = null;
  lastDataAt = 0;
  readonly received = createHash('sha256');

  constructor(
    private readonly peer: string | null,
    private readonly receiveFd: number | null,
    private readonly out: Output,
  ) {}

  private seconds(at: number): string {
    return ((at - (this.start ?? at)) / 1000).toFixed(6).padStart(10);
  }

  private say(text: string): void {
    this.out.status(this.peer ? `[${this.peer}] ${text}` : text);
  }

  /** Several connections on stdout: each complete line as it arrives, after its peer's name, bytes as received. */
  private partial = new Uint8Array(0);

  private printLines(bytes: Uint8Array): void {
    const joined = new Uint8Array(this.partial.length + bytes.length);
    joined.set(this.partial);
    joined.set(bytes, this.partial.length);
    let start = 0;
    for (let i = 0; i < joined.length; i++) {
      if (joined[i] !== 0x0a) continue;
      process.stdout.write(Buffer.concat([Buffer.from(`[${this.peer}] `), joined.subarray(start, i + 1)]));
      start = i + 1;
    }
    this.partial = joined.slice(start);
  }

  /** The conversation ended: a last line without its line break is printed with one. */
  flushLines(): void {
    if (this.partial.length === 0) return;
    process.stdout.write(Buffer.concat([Buffer.from(`[${this.peer}] `), this.partial, Buffer.from('\n')]));
    this.partial = new Uint8Array(0);
  }

  private record(record: Record<string, unknown>): void {
    this.out.emit(this.peer ? { ...record, peer: this.peer } : record);
  }

  readonly onEvent = (event: EndpointEvent): void => {
    if (event.type === 'data') {
      this.lastDataAt = event.at;
      this.received.update(event.bytes);
      if (this.receiveFd !== null) writeSync(this.receiveFd, event.bytes);
      else if (this.out.dataToStdout && this.peer) this.printLines(event.bytes);
      else if (this.out.dataToStdout) process.stdout.write(event.bytes);
      return;
    }
    // Of the drops, only PAWS's are shown (the peer's doing); duplicates and probes are routine.
    if (event.type === 'rtt' || (event.type === 'dropped' && !event.why.startsWith('PAWS'))) return;
    const seconds = this.seconds(event.at);
    if (this.out.json) {
      this.record({ ...event, at: undefined, time: Number(seconds) });
      return;
    }
    switch (event.type) {
      case 'state':
        this.say(`${seconds}  ${event.to.padEnd(12)} ${event.why}\n`);
        break;
      case 'retransmit':
        this.say(`${seconds}  retransmitted ${event.seq}:${event.seq + event.length}(${event.length}) (${event.why}; RTO now ${Math.round(event.rto)} ms)\n`);
        break;
      case 'sender':
        this.say(`${seconds}  ${senderLine(event)}: ${event.why}\n`);
        break;
      case 'keepalive':
        this.say(`${seconds}  keepalive probe ${event.probe}\n`);
        break;
      case 'peer-fin':
        this.say(`${seconds}  the peer closed its side (FIN)\n`);
        break;
      case 'reset':
      case 'aborted':
        this.say(`${seconds}  ${event.type === 'reset' ? 'reset' : 'given up'}: ${event.why}\n`);
        break;
      case 'dropped':
        this.say(`${seconds}  dropped: ${event.why}\n`);
        break;
    }
  };

  readonly onSegment = (direction: 'in' | 'out', segment: EndpointSegment, at: number): void => {
    this.start ??= at;
    if (!this.out.showSegments || !this.session) return;
    const ours = direction === 'out';
    const line = segmentLine(this.session.endpoint, segment, ours, 0);
    if (this.out.json) this.record({ type: 'segment', dir: ours ? '<' : '>', time: Number(this.seconds(at)), segment: line, len: segment.payload.length });
    else this.say(`${this.seconds(at)}  ${ours ? '<' : '>'} ${line}\n`);
  };
}

interface HoldSettings {
  closeHow: 'fin' | 'rst';
  closeAfterMs: number;
  stepping: boolean;
  timeoutS: number | undefined;
  deadline: number;
  interrupted: () => boolean;
}

/** Runs one conversation to its end: closes it once our data is acknowledged and the peer closed or went quiet; resolves with why it stopped early, or null. */
async function holdConversation(session: EndpointSession<EndpointChannel>, io: ConversationIo, settings: HoldSettings, prompt: StepPrompt | null): Promise<string | null> {
  const endpoint = session.endpoint;
  let closing = false;
  let finWait2Since: number | null = null;
  // CLOSED before anything was sent is where step mode starts, not an end.
  const ended = () => endpoint.state === TcpState.CLOSED && (endpoint.closedReason !== null || endpoint.irs !== null);
  for (;;) {
    await session.waitFor(() => settings.interrupted() || ended() || (prompt?.pending ?? false), 20);
    if (prompt) {
      await prompt.turn();
      if (prompt.quitReason) return prompt.quitReason;
    }
    const now = session.now();
    if (session.endReason) return session.endReason;
    if (ended()) return null;
    if (settings.interrupted()) {
      if (endpoint.synchronized || endpoint.state === TcpState.SYN_RECEIVED) {
        session.close('rst');
        await session.waitFor(() => endpoint.state === TcpState.CLOSED, 500);
      }
      return 'interrupted';
    }
    if (Date.now() >= settings.deadline) {
      const outcome = `timed out after ${settings.timeoutS} s in ${endpoint.stateName}`;
      if (endpoint.synchronized) {
        session.close('rst');
        await session.waitFor(() => endpoint.state === TcpState.CLOSED, 500);
      }
      return outcome;
    }
    const peerClosed = endpoint.state === TcpState.CLOSE_WAIT;
    const quiet = now - Math.max(io.lastDataAt, io.start ?? now) >= settings.closeAfterMs;
    // In step mode the user closes (close fin|rst at the prompt).
    if (!closing && !settings.stepping && (endpoint.state === TcpState.ESTABLISHED || peerClosed) && endpoint.unacknowledged === 0 && (peerClosed || quiet)) {
      closing = true;
      session.close(settings.closeHow);
    }
    if (endpoint.state === TcpState.FIN_WAIT_2) {
      finWait2Since ??= now;
      if (now - finWait2Since > FIN_WAIT_2_LIMIT_MS) return 'the peer never closed its side (FIN_WAIT_2 for 60 s)';
    }
  }
}

/** Whether the conversation ended as asked, its summary record and its closing line. */
function conversationResult(session: EndpointSession<EndpointChannel>, io: ConversationIo, outcome: string | null, closeHow: 'fin' | 'rst', dataLength: number, sentHash: string) {
  const endpoint = session.endpoint;
  const stats = endpoint.stats;
  const reason = outcome ?? endpoint.closedReason ?? endpoint.stateName;
  const orderly = outcome === null && (/both FINs|2MSL timeout/.test(reason) || (closeHow === 'rst' && /we reset/.test(reason)));
  const ok = orderly && endpoint.unacknowledged === 0 && endpoint.irs !== null;
  const negotiated = endpoint.negotiated;
  const sender = endpoint.sender;
  const local = session.local;
  const receivedHash = io.received.digest('hex');
  const record = {
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
    received_sha256: receivedHash,
    segments_sent: stats.segmentsSent,
    segments_received: stats.segmentsReceived,
    retransmissions: stats.retransmissions,
    bytes_retransmitted: stats.bytesRetransmitted,
    sender: { cwnd: sender.cwnd, ssthresh: sender.ssthresh, recovery: sender.recovery, dsacks: sender.dsacks, dsack_bytes: sender.dsackBytes },
    paws_dropped: stats.pawsDropped,
    no_timestamp_dropped: stats.noTimestampDropped,
    srtt_ms: endpoint.rtt.srtt,
    rto_ms: endpoint.rtt.rto,
  };
  const congestion = sender.cwnd !== null ? `; ${senderLine(sender)}` : '';
  const paws = stats.pawsDropped + stats.noTimestampDropped > 0 ? `; PAWS dropped ${stats.pawsDropped} with an old TSval, ${stats.noTimestampDropped} without TSopt` : '';
  const line = `${ok ? 'done' : 'failed'}: ${reason}; sent ${stats.bytesAcked} of ${dataLength} bytes (acknowledged), received ${stats.bytesReceived} bytes (sha256 ${receivedHash.slice(0, 16)}…), ${stats.retransmissions} retransmissions (${stats.bytesRetransmitted} bytes)${congestion}${paws}`;
  return { ok, record, line };
}

interface ListenManyOptions {
  device: string;
  local: Address;
  endpoint: EndpointOptions;
  spoolPath: string;
  onWarning: (message: string) => void;
  connections: number;
  data: Uint8Array;
  sentHash: string;
  receiveTo: string | undefined;
  out: Output;
  hold: HoldSettings;
  written: string | undefined;
}

/**
 * `listen --connections N`: one link accepts N peers; each is a conversation of its own (its
 * endpoint, our data sent to each, its received bytes to RECEIVE.k), held at the same time.
 * Ends when all N have ended, or at the timeout or interrupt (each live one is reset).
 */
async function listenMany(options: ListenManyOptions): Promise<number> {
  const { out, local, connections, hold } = options;
  const held: Array<{ session: EndpointSession<AcceptedPeer>; io: ConversationIo; fd: number | null; done: Promise<string | null> }> = [];
  let link: HelperConversationLink | null = null;
  // --step: one stdin for every connection's prompt ("@K LINE" aims at connection K).
  const router = hold.stepping ? new StepRouter({ say: (line) => out.status(`${line}\n`), record: out.json ? out.emit : undefined }) : null;
  try {
    link = await EndpointSession.listenMany({
      device: options.device,
      local,
      endpoint: options.endpoint,
      spoolPath: options.spoolPath,
      onWarning: options.onWarning,
      accept: connections,
      onAccept: (peer) => {
        const index = held.length + 1;
        const name = `${peer.remote.address}:${peer.remote.port}`;
        const fd = options.receiveTo !== undefined && !out.dataToStdout ? openSync(`${options.receiveTo}.${index}`, 'w') : null;
        const io = new ConversationIo(name, fd, out);
        const session = EndpointSession.accepted(peer, { local, endpoint: options.endpoint, onEvent: io.onEvent, onSegment: io.onSegment });
        io.session = session;
        if (options.data.length > 0) session.write(options.data);
        if (out.json) out.emit({ type: 'accepted', peer: name, connection: index });
        else out.status(`accepted ${name} (connection ${index} of ${connections})\n`);
        const prompt = router ? new StepPrompt(session, { say: (line) => out.status(`${line}\n`), record: out.json ? out.emit : undefined }, router, { name, index }) : null;
        held.push({ session, io, fd, done: holdConversation(session, io, hold, prompt) });
      },
    });
    if (!out.json) {
      out.status(`listening on ${local.address}:${local.port} (${options.device}) for ${connections} connections\n`);
      out.status(
        link.kernelOwnsLocal
          ? `this host owns ${local.address}: its RSTs from ${local.address}:${local.port} are dropped until the last connection is accepted, and for each connection's 4-tuple while it lives\n`
          : `this host does not own ${local.address}: the endpoint answers ARP for it, and the kernel stays out of the way\n`,
      );
    }
    let listening: string | null = null;
    while (held.length < connections) {
      if (link.endReason) listening = link.endReason;
      else if (hold.interrupted()) listening = 'interrupted';
      else if (Date.now() >= hold.deadline) listening = `timed out after ${hold.timeoutS} s`;
      if (listening) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const outcomes = await Promise.all(held.map((entry) => entry.done));
    const results = [];
    for (const [i, entry] of held.entries()) {
      await entry.session.stop();
      entry.io.flushLines();
      if (entry.fd !== null) closeSync(entry.fd);
      entry.fd = null;
      const result = conversationResult(entry.session, entry.io, outcomes[i], hold.closeHow, options.data.length, options.sentHash);
      results.push(result);
      if (out.json) out.emit({ type: 'connection', connection: i + 1, ...result.record });
      else out.status(`[${result.record.remote}] ${result.line}\n`);
    }
    await link.close();
    const frames = options.written ? link.writePcapng(options.written) : null;
    const ok = listening === null && results.length === connections && results.every((result) => result.ok);
    const reason = listening ? `${listening} after ${held.length} of ${connections} connections` : `${results.filter((result) => result.ok).length} of ${connections} connections ended as asked`;
    if (out.json) {
      out.emit({ type: 'summary', ok, closed: reason, local: `${local.address}:${local.port}`, connections: results.length, kernel: link.kernelOwnsLocal ? 'rst-suppressed' : 'not-owner', ...(options.written ? { pcapng: options.written, frames } : {}) });
    } else {
      out.status(`${ok ? 'done' : 'failed'}: ${reason}\n`);
      if (options.written) out.status(`wrote ${frames} frames to ${options.written}\n`);
    }
    return ok ? 0 : EXIT_OTHER;
  } finally {
    for (const entry of held) {
      await entry.session.stop().catch(() => {});
      if (entry.fd !== null) closeSync(entry.fd);
    }
    await link?.close().catch(() => {});
    router?.close();
  }
}

/** The sender's congestion state in one phrase: `cwnd 14480 ssthresh 7240 pipe 2896 (SACK recovery)`. */
function senderLine(state: SenderState): string {
  const phase = { none: '', fast: ' (fast recovery)', sack: ' (SACK recovery)', timeout: ' (after a timeout)' }[state.recovery];
  const dsack = state.dsacks > 0 ? ` D-SACK ${state.dsacks} (${state.dsackBytes} bytes received twice)` : '';
  return `cwnd ${state.cwnd ?? '-'} ssthresh ${state.ssthresh ?? '-'} pipe ${state.pipe}${phase}${dsack}`;
}
