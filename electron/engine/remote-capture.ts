/**
 * Remote capture over SSH (as Wireshark's sshdump does): the system's `ssh` client runs
 * `tcpdump -U -w -` (or `dumpcap -w -`) on the remote host, with sudo where asked, and the pcap
 * stream that comes back is cut into the capture helper's frame batches, so a capture session
 * spools, tracks and shows it exactly as a local one. No agent runs on the remote host.
 *
 * The user's ssh setup is used as is (~/.ssh/config, agents, ProxyJump, known_hosts); BatchMode
 * keeps ssh from prompting. The capture's own SSH connection is left out of the filter, using
 * the remote side's SSH_CONNECTION, and the filter actually applied is reported.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import path from 'node:path';
import { CaptureReader } from '../../shared/files';
import { LINKTYPE_ETHERNET, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_LOOP, LINKTYPE_NULL, LINKTYPE_RAW, linkTypeName } from '../../shared/wire/linktypes';
import { BatchBuilder, MESSAGE_HEADER_LENGTH, MessageType, type BatchType, type HelloResult, type HelperInterface, type OpenResult } from '../helper/protocol';
import { HelperClient, type HelperExit } from './helper-client';
import { CaptureError, type CapturePointSpec } from './capture-session';
import os from 'node:os';

export interface RemoteTarget {
  user?: string;
  host: string;
  port?: number;
}

export interface RemoteOptions {
  target: RemoteTarget;
  /** ssh -F FILE. */
  sshConfig?: string;
  /** Run the capture tool through `sudo -n`. */
  sudo?: boolean;
  tool?: 'tcpdump' | 'dumpcap';
  /** Leave the capture's own SSH connection in the capture (excluded by default). */
  includeOwnSsh?: boolean;
  /** ssh's ConnectTimeout in seconds (default 10). */
  connectTimeout?: number;
  /** Where the incoming stream is kept while it is read (default: the system's temporary directory). */
  streamDirectory?: string;
}

/** Parses [USER@]HOST[:PORT]; an IPv6 host is written in brackets: [2001:db8::1]:22. */
export function parseRemoteTarget(text: string): RemoteTarget {
  const at = text.lastIndexOf('@');
  const user = at >= 0 ? text.slice(0, at) : undefined;
  let rest = at >= 0 ? text.slice(at + 1) : text;
  let port: number | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (bracketed) {
    rest = bracketed[1];
    port = bracketed[2] === undefined ? undefined : Number(bracketed[2]);
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon >= 0 && rest.indexOf(':') === colon) {
      port = Number(rest.slice(colon + 1));
      rest = rest.slice(0, colon);
    }
  }
  // ssh would read a leading '-' as an option.
  if (rest === '' || rest.startsWith('-') || /\s/.test(rest)) throw new CaptureError('usage', `"${text}" is not [USER@]HOST[:PORT]`);
  if (user !== undefined && (user === '' || user.startsWith('-') || /\s/.test(user))) throw new CaptureError('usage', `"${text}" has no valid user before @`);
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) throw new CaptureError('usage', `"${text}" has no valid port`);
  return { user, host: rest, port };
}

export function targetText(target: RemoteTarget): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return `${target.user ? `${target.user}@` : ''}${host}${target.port ? `:${target.port}` : ''}`;
}

const quote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

function sshArguments(options: RemoteOptions, script: string): string[] {
  const args = ['-T', '-o', 'BatchMode=yes', '-o', `ConnectTimeout=${options.connectTimeout ?? 10}`, '-o', 'ServerAliveInterval=5', '-o', 'ServerAliveCountMax=3'];
  if (options.sshConfig) args.push('-F', options.sshConfig);
  if (options.target.port) args.push('-p', String(options.target.port));
  if (options.target.user) args.push('-l', options.target.user);
  // ssh joins the remote arguments into one command line for the remote shell.
  args.push('--', options.target.host, `/bin/sh -c ${quote(script)}`);
  return args;
}

/**
 * The remote kernel buffer (tcpdump -B, in KiB): 128 MiB, as the local helper uses, so a burst
 * waits in the remote kernel while ssh and the pipeline catch up instead of being dropped there.
 *
 * Without --immediate-mode (as Wireshark's sshdump runs it): libpcap then uses TPACKET_V3,
 * where frames are packed into the buffer by their size. In immediate mode it falls back to
 * TPACKET_V2, whose fixed slots are sized for the largest frame (64 KiB on loopback or with
 * offloads), so 128 MiB holds only about 2,000 frames: 40 ms at 50,000 frames/s, and the remote
 * kernel dropped frames whenever tcpdump was not scheduled for that long (bench:remote). The
 * cost is latency: at a low rate a frame arrives when its block is handed over, within
 * tcpdump's 1 s timeout.
 */
const REMOTE_BUFFER_KIB = 131072;
/** Seconds a stop waits before ending the tool, so the last block (1 s timeout) is handed over. */
const BLOCK_TIMEOUT_WAIT = '1.2';

/** Lines our remote scripts print on stderr so failures can be told apart from the tools' own. */
const MARK = 'handshake-remote:';

/** The remote script's prelude: the tool's path (sbin included) and sudo, or a marked failure. */
function toolPrelude(tool: string, sudo: boolean): string {
  return [
    'PATH="$PATH:/usr/sbin:/sbin:/usr/local/sbin"',
    `command -v ${tool} >/dev/null 2>&1 || { echo "${MARK} missing ${tool}" >&2; exit 127; }`,
    sudo ? `command -v sudo >/dev/null 2>&1 || { echo "${MARK} missing sudo" >&2; exit 127; }` : '',
    `run() { ${sudo ? 'sudo -n ' : ''}"$@"; }`,
  ].join('\n');
}

/**
 * One clear line (and the CaptureError code that sets the exit code) for what ssh and the remote
 * tool printed when they failed.
 */
export function classifyRemoteFailure(target: RemoteTarget, stderr: string, exitCode: number | null, options: { tool: string; device?: string }): CaptureError {
  const host = targetText(target);
  const line = (pattern: RegExp): string | undefined => stderr.split('\n').find((text) => pattern.test(text))?.trim();
  const marked = /handshake-remote: missing (\S+)/.exec(stderr);
  if (marked) return new CaptureError('tool-missing', `${marked[1]} is not installed on ${host} (or not on its PATH)`, marked[1] === 'sudo' ? 'install sudo there, or capture without --sudo' : `install ${marked[1]} there, or choose --remote-tool`);
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No [A-Z0-9]+ host key is known/.test(stderr)) {
    return new CaptureError('host-key', `${host}'s host key is not known to ssh (or has changed)`, `connect once with \`ssh ${host}\` to check the key and accept it`);
  }
  const unreachable = line(/Could not resolve hostname|Connection refused|No route to host|Connection timed out|Network is unreachable|Operation timed out|Connection closed by|Connection reset/);
  if (unreachable) return new CaptureError('unreachable', `${host} is unreachable: ${unreachable.replace(/^ssh: /, '')}`);
  const denied = line(/Permission denied \(/);
  if (denied) return new CaptureError('ssh-auth', `ssh could not log in to ${host}: ${denied}`, 'check that `ssh ' + host + '` logs in without a prompt (key or agent)');
  if (/sudo: (a password is required|a terminal is required|.*password)/.test(stderr)) {
    return new CaptureError('permission', `sudo on ${host} wants a password`, `allow ${options.tool} without one for this user (a NOPASSWD rule), or connect as a user who may capture`);
  }
  if (/is not in the sudoers file|not allowed to execute/.test(stderr)) return new CaptureError('permission', `sudo on ${host} refuses ${options.tool} for this user`);
  const noPermission = line(/[Yy]ou don't have permission|Operation not permitted|permission denied/i);
  if (noPermission) {
    return new CaptureError('permission', `${host}: no permission to capture${options.device ? ` on ${options.device}` : ''} (${noPermission.replace(/^(tcpdump|dumpcap): /, '')})`, 'add --sudo, or give the remote user capture rights');
  }
  const noDevice = line(/No such device|doesn't exist|no such device|There is no device/);
  if (noDevice) return new CaptureError('no-device', `${host}: ${noDevice.replace(/^(tcpdump|dumpcap): /, '')}`, `list them with \`handshake interfaces --remote ${host}\``);
  const badFilter = line(/syntax error|can't parse filter|Invalid capture filter|expression rejects all packets/);
  if (badFilter) return new CaptureError('bad-filter', `${host}: the capture filter was refused: ${badFilter.replace(/^(tcpdump|dumpcap): /, '')}`);
  const counters = new Set(toolCounters(stderr));
  const last = stderr.trim().split('\n').filter((text) => !text.startsWith(MARK) && !counters.has(text.trim())).at(-1);
  return new CaptureError('remote', `the remote capture on ${host} ended${exitCode === null ? '' : ` with code ${exitCode}`}${last ? `: ${last}` : ''}`);
}

/** Runs a short remote script; resolves with its stdout, or rejects with the classified failure. */
function runRemote(options: RemoteOptions, script: string, tool: string, device?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', sshArguments(options, script), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error) => reject(new CaptureError('ssh-missing', `cannot run ssh: ${error.message}`, 'install an OpenSSH client')));
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(classifyRemoteFailure(options.target, stderr, code, { tool, device }))));
  });
}

const DLT_LINK_TYPES: Readonly<Record<string, number>> = {
  EN10MB: LINKTYPE_ETHERNET,
  LINUX_SLL: LINKTYPE_LINUX_SLL,
  LINUX_SLL2: LINKTYPE_LINUX_SLL2,
  RAW: LINKTYPE_RAW,
  NULL: LINKTYPE_NULL,
  LOOP: LINKTYPE_LOOP,
  IPV4: LINKTYPE_IPV4,
  IPV6: LINKTYPE_IPV6,
  IEEE802_11_RADIO: 127,
  PPP: 9,
};

/**
 * The link type a capture on the remote interface yields (`tcpdump -L`), or null when tcpdump
 * names one we have no number for. Also proves, before anything starts, that the host is
 * reachable, the tool is there and the user may capture on the interface.
 */
export async function remoteLinkType(options: RemoteOptions, device: string): Promise<number | null> {
  const output = await runRemote(options, `${toolPrelude('tcpdump', options.sudo === true)}\nrun tcpdump -L -i ${quote(device)}`, 'tcpdump', device);
  const first = /^\s+([A-Z0-9_]+)(?:\s|$)/m.exec(output);
  return first ? (DLT_LINK_TYPES[first[1]] ?? null) : null;
}

/** `tcpdump -D` lines: "1.eth0 [Up, Running, Connected]" or "2.any (Pseudo-device …) [Up, Running]". */
export function parseTcpdumpInterfaces(text: string): HelperInterface[] {
  const interfaces: HelperInterface[] = [];
  for (const line of text.split('\n')) {
    const match = /^\d+\.(\S+)(?:\s+\(([^)]*)\))?(?:\s+\[([^\]]*)\])?/.exec(line.trim());
    if (!match) continue;
    const flags = (match[3] ?? '').split(',').map((flag) => flag.trim());
    interfaces.push({
      name: match[1],
      description: match[2] ?? null,
      mac: null,
      addresses: [],
      loopback: flags.includes('Loopback'),
      up: flags.includes('Up'),
      linkType: null,
      injectRefusal: 'remote interfaces capture only',
    });
  }
  return interfaces;
}

/** The remote host's capture interfaces, as its tcpdump lists them, with addresses from `ip` where it has it. */
export async function listRemoteInterfaces(options: RemoteOptions): Promise<HelperInterface[]> {
  const script = `${toolPrelude('tcpdump', options.sudo === true)}\nrun tcpdump -D || exit $?\necho ${MARK}addresses\nip -o addr show 2>/dev/null || true`;
  const output = await runRemote(options, script, 'tcpdump');
  const [listing, addressText = ''] = output.split(`${MARK}addresses\n`);
  const interfaces = parseTcpdumpInterfaces(listing);
  // `ip -o addr`: "2: eth0    inet 198.18.0.2/24 brd … scope global eth0\ …"
  for (const line of addressText.split('\n')) {
    const match = /^\d+:\s+(\S+)\s+(inet6?)\s+([^/\s]+)\/(\d+)/.exec(line);
    const entry = match ? interfaces.find((candidate) => candidate.name === match[1]) : undefined;
    if (entry && match) entry.addresses.push({ family: match[2] === 'inet' ? 'IPv4' : 'IPv6', address: match[3], netmask: `/${match[4]}` });
  }
  return interfaces;
}

/** The remote tool's own counters as it prints them at exit ("N packets dropped by kernel", dumpcap's "Packets received/dropped …"). */
export function toolCounters(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^\d+ packets? (captured|received by filter|dropped by (kernel|interface))$|^Packets (captured|received\/dropped)/.test(line));
}

/** How much of the stream one pump turn reads before yielding to the event loop. */
const STREAM_CHUNK = 1024 * 1024;
const CHUNKS_PER_TURN = 8;
/** How long the pump waits when it has caught up with ssh (the live latency it adds, at most). */
const STREAM_POLL_MS = 10;

/**
 * A live capture source with the capture helper's shape (what CaptureSession uses), fed by a
 * remote tcpdump's pcap stream: frames arrive in the helper's batch format, kernel-stamped by
 * the remote host's clock.
 *
 * ssh writes the stream into a file that this source reads as it grows, not into a pipe: when
 * a pipe's reader falls behind even briefly (a busy machine), ssh buffers the channel's data
 * itself and spends its time moving that buffer around (memmove, measured with perf), falls
 * further behind, and the remote tcpdump blocks and its kernel drops frames. A file never
 * blocks ssh, so it runs as it does for `ssh host tcpdump -w - > file`, and every frame that
 * arrived is on disk before it is parsed.
 */
export class RemoteCaptureSource {
  onBatch: (type: BatchType, payload: Uint8Array) => void = () => {};
  onWarning: (message: string) => void = () => {};
  onExit: (exit: HelperExit) => void = () => {};
  /** The filter the remote tool applies (the user's, minus the capture's own SSH connection). */
  appliedFilter: string | null = null;
  /** The remote tool's counters at its exit (captured, received by filter, dropped by kernel), when it printed them. */
  counters: string[] = [];
  private child: ChildProcess | null = null;
  /** Resolves once ssh has exited and the stream file has been read to its end. */
  private drained: Promise<void> | null = null;
  private stopping = false;
  private exit: HelperExit | null = null;
  private readonly tool: 'tcpdump' | 'dumpcap';

  constructor(private readonly options: RemoteOptions) {
    this.tool = options.tool ?? 'tcpdump';
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  hello(): Promise<HelloResult> {
    return Promise.resolve({
      protocol: 1,
      version: 'ssh',
      pid: 0,
      platform: 'remote',
      timestampSource: `kernel timestamps taken by ${this.tool} on ${targetText(this.options.target)} (the remote host's clock, µs)`,
      capVersion: 'none (remote)',
      libpcapVersion: 'remote',
    });
  }

  interfaces(): Promise<HelperInterface[]> {
    return listRemoteInterfaces(this.options);
  }

  /** Starts the remote tool; resolves once its capture file header has arrived (the link type is known). */
  open(device: string, filter: string): Promise<OpenResult> {
    const exclude = this.options.includeOwnSsh
      ? ''
      : 'set -- $SSH_CONNECTION\nown="not (host $1 and host $3 and tcp port $2 and tcp port $4)"\n';
    const user = quote(filter);
    const sudo = this.options.sudo ? 'sudo -n ' : '';
    const command =
      this.tool === 'tcpdump'
        ? `${sudo}tcpdump -i ${quote(device)} -U -B ${REMOTE_BUFFER_KIB} -s 0 -w - ${'"$f"'}`
        : `${sudo}dumpcap -q -i ${quote(device)} -B ${REMOTE_BUFFER_KIB / 1024} -s 0 -w - ${'${f:+-f "$f"}'}`;
    const script = [
      toolPrelude(this.tool, this.options.sudo === true),
      exclude,
      `f=${user}`,
      this.options.includeOwnSsh ? '' : 'if [ -n "$f" ]; then f="($f) and $own"; else f="$own"; fi',
      `echo "${MARK} filter: $f" >&2`,
      // The tool runs in the background; when our side closes the session's stdin (stop), the
      // watcher ends it with SIGTERM, so it writes out what it holds and prints its counters. It
      // waits out one block timeout first: frames in the kernel's unfinished block would be lost.
      'exec 3<&0',
      `${command} &`,
      'tool=$!',
      `{ cat <&3 >/dev/null 2>&1; sleep ${BLOCK_TIMEOUT_WAIT} 2>/dev/null || sleep 2; kill -TERM $tool 2>/dev/null; } >/dev/null 2>&1 &`,
      'exec 3<&-',
      'wait $tool',
    ].join('\n');
    const streamDirectory = mkdtempSync(path.join(this.options.streamDirectory ?? os.tmpdir(), 'handshake-remote-'));
    const streamPath = path.join(streamDirectory, 'stream.pcap');
    const removeStream = () => rmSync(streamDirectory, { recursive: true, force: true });
    let writeFd: number;
    let readFd: number;
    try {
      writeFd = openSync(streamPath, 'w');
      readFd = openSync(streamPath, 'r');
    } catch (error) {
      removeStream();
      return Promise.reject(new CaptureError('spool', `cannot create the remote stream file in ${path.dirname(streamDirectory)}: ${error instanceof Error ? error.message : String(error)}`));
    }
    return new Promise((resolve, reject) => {
      let child: ChildProcess;
      try {
        child = spawn('ssh', sshArguments(this.options, script), { stdio: ['pipe', writeFd, 'pipe'] });
      } finally {
        closeSync(writeFd);
      }
      this.child = child;
      // Our side of stdin is only ever closed (stop); a remote side that went away must not crash us.
      child.stdin?.on('error', () => {});
      let stderr = '';
      let opened = false;
      let linkType = -1;
      // Open means the file header has come (the link type is known) and the tool says it is
      // listening: tcpdump writes the header before its capture loop starts, and frames sent in
      // between would be missing from a capture the user already sees running.
      let headerSeen = false;
      let listening = false;
      const openIfReady = () => {
        if (opened || !headerSeen || !listening) return;
        opened = true;
        resolve({ device, linkType, linkTypeName: linkTypeName(linkType), bufferSize: 0, ...(this.appliedFilter === null ? {} : { appliedFilter: this.appliedFilter }) });
      };
      const batch = new BatchBuilder(MessageType.captured, 256 * 1024);
      const reader = new CaptureReader({
        onInterface: (iface) => {
          if (headerSeen) return;
          headerSeen = true;
          linkType = iface.linkType;
          // A tool that never says it is listening (another version's wording) still opens.
          setTimeout(() => {
            listening = true;
            openIfReady();
          }, 3000).unref();
          openIfReady();
        },
        onFrame: (frame) => {
          batch.add(frame.tsSeconds, frame.tsNanos, frame.originalLength, frame.data, frame.capturedLength);
        },
      });

      let sshExitCode: number | null | undefined;
      let damaged = false;
      let pending: NodeJS.Timeout | null = null;
      let finishDrain: () => void = () => {};
      this.drained = new Promise((done) => (finishDrain = done));
      const chunk = Buffer.allocUnsafe(STREAM_CHUNK);
      const finish = () => {
        closeSync(readFd);
        removeStream();
        this.child = null;
        this.counters = toolCounters(stderr);
        const failure = classifyRemoteFailure(this.options.target, stderr, sshExitCode ?? null, { tool: this.tool, device });
        if (!opened) reject(failure);
        else {
          this.exit = { code: sshExitCode ?? null, signal: null, reason: this.stopping ? null : failure.message, stderr };
          this.onExit(this.exit);
        }
        finishDrain();
      };
      // Reads what ssh has written so far; once ssh has exited, a read that finds nothing more is the end.
      const pump = () => {
        pending = null;
        for (let turn = 0; turn < CHUNKS_PER_TURN; turn++) {
          const exitedBefore = sshExitCode !== undefined;
          let got = 0;
          try {
            got = readSync(readFd, chunk, 0, STREAM_CHUNK, null);
          } catch (error) {
            if (!damaged) this.onWarning(`cannot read the remote stream file (${error instanceof Error ? error.message : String(error)}); stopping`);
            damaged = true;
            child.kill('SIGTERM');
          }
          if (got === 0) {
            if (exitedBefore) finish();
            else pending = setTimeout(pump, STREAM_POLL_MS);
            return;
          }
          if (damaged) continue;
          try {
            reader.push(chunk.subarray(0, got));
          } catch (error) {
            this.onWarning(`the remote capture stream is damaged (${error instanceof Error ? error.message : String(error)}); stopping`);
            damaged = true;
            child.kill('SIGTERM');
          }
          const payload = batch.take();
          if (payload) this.onBatch(MessageType.captured, payload.subarray(MESSAGE_HEADER_LENGTH));
        }
        pending = setTimeout(pump, 0);
      };
      pending = setTimeout(pump, 0);
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const applied = /handshake-remote: filter: (.*)\n/.exec(stderr);
        if (applied && this.appliedFilter === null) this.appliedFilter = applied[1];
        if (!listening && /listening on |Capturing on /.test(stderr)) {
          listening = true;
          openIfReady();
        }
        if (stderr.length > 65536) stderr = stderr.slice(-32768);
      });
      let failedToRun = false;
      child.on('error', (error) => {
        // ssh could not be run: no stream will come.
        failedToRun = true;
        if (pending) clearTimeout(pending);
        closeSync(readFd);
        removeStream();
        this.child = null;
        finishDrain();
        reject(new CaptureError('ssh-missing', `cannot run ssh: ${error.message}`, 'install an OpenSSH client'));
      });
      child.on('close', (code) => {
        if (failedToRun) return;
        sshExitCode = code;
        // Read the rest now rather than at the next poll.
        if (pending) {
          clearTimeout(pending);
          pending = setTimeout(pump, 0);
        }
      });
    });
  }

  /**
   * Ends the remote capture: closing the session's stdin makes the remote script stop the tool
   * (SIGTERM), which writes out the frames it holds and prints its counters; ssh then exits and
   * the rest of the stream is read. An ssh that does not end in time is killed (what it had
   * written is still read).
   */
  async stop(timeoutMs = 5000): Promise<HelperExit> {
    const child = this.child;
    const drained = this.drained;
    if (child && drained) {
      this.stopping = true;
      const within = (ms: number) => Promise.race([drained.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms).unref())]);
      child.stdin?.end();
      if (!(await within(timeoutMs))) {
        child.kill('SIGTERM');
        if (!(await within(2000))) {
          child.kill('SIGKILL');
          await drained;
        }
      }
    }
    return this.exit ?? { code: null, signal: null, reason: null, stderr: '' };
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.child?.kill(signal);
  }

  send(): Promise<never> {
    return Promise.reject(new CaptureError('unsupported', 'sending is not available on a remote capture (it only records)'));
  }

  suppressKernelRst(): Promise<never> {
    return this.send();
  }

  releaseKernelRst(): Promise<never> {
    return this.send();
  }

  endConversations(): Promise<never> {
    return this.send();
  }
}

/**
 * Before a remote capture starts: asks the remote tcpdump for the interface's link type (which
 * also surfaces an unreachable host, a missing tool, sudo or permission problems as one clear
 * error), then compiles the BPF filter locally for that link type. The local check needs a local
 * capture helper with a device of that link type; without one, the remote tool checks the filter
 * when it starts, and its refusal is reported the same way.
 */
export async function prepareRemoteCapture(remote: RemoteOptions, device: string, filter: string): Promise<void> {
  const linkType = await remoteLinkType(remote, device);
  if (filter.trim() === '' || linkType === null) return;
  const helper = new HelperClient();
  try {
    const result = await helper.validateFilter(filter, { linkType });
    if (!result.valid) throw new CaptureError('bad-filter', `the capture filter is not valid BPF for ${linkTypeName(linkType)}: ${result.message ?? 'refused by libpcap'}`);
  } catch (error) {
    if (error instanceof CaptureError) throw error;
  } finally {
    await helper.stop();
  }
}

/**
 * A capture point as a session takes it: a local interface (remote null) or one on a remote host.
 * With several points, each pcapng interface is named host:iface (the local host's own name for
 * local interfaces); a lone remote point is host:iface too, a lone local one just its name.
 */
export function capturePointSpec(device: string, remote: RemoteOptions | null, several: boolean, filter: string, bufferSize?: number): CapturePointSpec {
  const host = remote ? remote.target.host : os.hostname();
  return {
    device,
    source: remote ? new RemoteCaptureSource(remote) : undefined,
    interfaceName: remote || several ? `${host}:${device}` : device,
    filter,
    bufferSize,
  };
}
