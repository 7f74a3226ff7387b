/**
 * `handshake capture -i IFACE [-f BPF] [-w FILE] [-c N] [-a duration:S] [--json | --events]`:
 * captures through the helper, prints what `decode` prints (or connection events), and
 * keeps every frame in a pcapng file (FILE with -w, otherwise a temporary spool).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CaptureSession } from '../../engine/capture-session';
import { capturePointSpec, RemoteCaptureSource, targetText } from '../../engine/remote-capture';
import { capturePoints, prepareRemoteCapture, REMOTE_OPTIONS } from './remote-options';
import { KeyLogFollower } from '../../engine/keylog-follower';
import { createNodeTlsCrypto } from '../../engine/tls-crypto';
import { KeyLog, TlsDissector } from '../../../shared/tls';
import { LineOutput } from '../output';
import { connectionEventLine, processedText } from './live-printer';
import { EXIT_OTHER, nonNegativeNumber, parseOptions, positiveInteger, reportFailure, UsageError } from './live-options';

const USAGE =
  'usage: handshake capture -i IFACE [-i IFACE]… [-f BPF] [-w FILE] [-c COUNT] [-a duration:SECONDS] [--buffer-size MIB] [--tls-keylog FILE] [--json | --events]\n' +
  '       handshake capture --remote [USER@]HOST[:PORT] -i IFACE [-f BPF] [-w FILE] [--sudo] [--remote-tool tcpdump|dumpcap] [--ssh-config FILE] [--include-own-ssh] …\n' +
  '       (several capture points at once: repeat -i; -i ssh://[USER@]HOST[:PORT]/IFACE is an interface on a remote host)';

const PRINT_BUFFER_BYTES = 16 * 1024 * 1024;

function parseDuration(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const match = /^duration:(.+)$/.exec(text);
  if (!match) throw new UsageError(`-a takes duration:SECONDS, not "${text}"`);
  const seconds = nonNegativeNumber(match[1], '-a duration') as number;
  if (seconds <= 0) throw new UsageError('-a duration must be above 0 seconds');
  return seconds;
}

export async function runCapture(argv: readonly string[]): Promise<number> {
  let session: CaptureSession | null = null;
  let temporaryDirectory: string | null = null;
  // The capture never waits for stdout (the kernel ring would overflow): a reader that stalls
  // loses printed lines past this many unwritten bytes, counted on stderr; the file keeps all.
  const output = new LineOutput(process.stdout, { maxBuffered: PRINT_BUFFER_BYTES });
  let flusher: NodeJS.Timeout | null = null;
  let follower: KeyLogFollower | null = null;
  // The key log's last lines go into the file before it closes.
  const onSignal = () => {
    follower?.poll();
    void session?.stop();
  };
  try {
    const options = parseOptions(
      argv,
      {
        '--interface': 'list',
        '--filter': 'value',
        '--write': 'value',
        '--count': 'value',
        '--autostop': 'value',
        '--buffer-size': 'value',
        '--tls-keylog': 'value',
        '--json': 'flag',
        '--events': 'flag',
        '--help': 'flag',
        ...REMOTE_OPTIONS,
      },
      { '-i': '--interface', '-f': '--filter', '-w': '--write', '-c': '--count', '-a': '--autostop', '-h': '--help' },
    );
    if (options.flags.has('--help')) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const named = options.lists.get('--interface') ?? [];
    if (named.length === 0 || named.some((name) => name === '')) throw new UsageError('-i IFACE is required (see `handshake interfaces`)');
    if (options.flags.has('--json') && options.flags.has('--events')) throw new UsageError('--json and --events cannot be combined');
    if (options.positional.length > 0) throw new UsageError(`unexpected argument ${options.positional[0]}`);
    const count = positiveInteger(options.values.get('--count'), '-c');
    const durationSeconds = parseDuration(options.values.get('--autostop'));
    const bufferMiB = positiveInteger(options.values.get('--buffer-size'), '--buffer-size');
    const written = options.values.get('--write');
    const json = options.flags.has('--json');
    const events = options.flags.has('--events');
    let spoolPath = written;
    if (!spoolPath) {
      temporaryDirectory = mkdtempSync(path.join(os.tmpdir(), 'handshake-capture-'));
      spoolPath = path.join(temporaryDirectory, 'spool.pcapng');
    }

    const filter = options.values.get('--filter') ?? '';
    const points = capturePoints(options, named);
    for (const point of points) {
      if (!point.remote) continue;
      // The incoming stream waits on the spool's disk, not in a temporary directory that may be in memory.
      point.remote.streamDirectory = path.dirname(path.resolve(spoolPath));
      await prepareRemoteCapture(point.remote, point.device, filter);
    }
    const specs = points.map((point) => capturePointSpec(point.device, point.remote, points.length > 1, filter, bufferMiB === undefined ? undefined : bufferMiB * 1024 * 1024));
    const keylogPath = options.values.get('--tls-keylog');
    const keyLog = new KeyLog();
    const tls = new TlsDissector(createNodeTlsCrypto(), keyLog);
    session = await CaptureSession.start({
      ...specs[0],
      alsoFrom: specs.slice(1),
      tls,
      spoolPath,
      maxFrames: count,
      decode: !events,
    });
    if (keylogPath !== undefined) {
      const started = session;
      follower = new KeyLogFollower(keylogPath, keyLog, (lines) => started.addSecrets(lines), (message) => process.stderr.write(`handshake capture: ${message}\n`));
      follower.start();
      const following = follower;
      session.onBeforeBatch(() => following.poll());
    }
    if (events) session.onConnection((event) => output.line(connectionEventLine(event)));
    else session.onFrame((_frame, processed) => processed && output.line(processedText(processed, json)));
    // Live output should appear as frames arrive, not in 64 KiB chunks.
    flusher = setInterval(() => output.flushSync(), 100);
    session.onWarning((message) => process.stderr.write(`handshake capture: ${message}\n`));
    const opened = session.points;
    if (points.length > 1) process.stderr.write(`handshake capture: capturing at ${points.length} points at once, one interface each in the pcapng: ${opened.map((point) => `${point.name} (${point.opened?.linkTypeName})`).join(', ')}\n`);
    for (const [index, point] of points.entries()) {
      const source = specs[index].source;
      if (point.remote && source instanceof RemoteCaptureSource) {
        process.stderr.write(`handshake capture: capturing on ${targetText(point.remote.target)}:${point.device} (${opened[index].opened?.linkTypeName}) over ssh; kernel timestamps from the remote host's clock\n`);
        process.stderr.write(`handshake capture: remote filter${points.length > 1 ? ` on ${targetText(point.remote.target)}` : ''}: ${source.appliedFilter ?? '(none)'}\n`);
      } else {
        process.stderr.write(`handshake capture: capturing on ${point.device} (${opened[index].opened?.linkTypeName}); timestamps are arrival times in the helper, not kernel times\n`);
      }
    }
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const timer = durationSeconds === undefined ? null : setTimeout(onSignal, durationSeconds * 1000);
    const end = await session.waitForEnd();
    follower?.stop();
    if (timer) clearTimeout(timer);
    await output.flush();
    const statistics = session.statistics();
    const perPoint = opened.length > 1 ? ` (${opened.map((point, index) => `${point.name} ${statistics.framesByPoint[index]}`).join(', ')})` : '';
    process.stderr.write(
      `handshake capture: ${statistics.frames} frames${perPoint}, ${statistics.bytes} bytes, ${statistics.connectionsSeen} connections, ` +
        `${statistics.sequenceGaps} sequence gaps (previous segment not captured)${written ? `, written to ${written}` : ''}\n`,
    );
    for (const [index, point] of points.entries()) {
      const source = specs[index].source;
      if (!point.remote || !(source instanceof RemoteCaptureSource) || source.counters.length === 0) continue;
      // The remote tool's own count: frames it dropped were lost on the remote host, before ssh.
      process.stderr.write(`handshake capture: ${point.remote.tool ?? 'tcpdump'} on ${targetText(point.remote.target)}:${point.device} says: ${source.counters.join(', ')}\n`);
    }
    if (output.dropped > 0) {
      process.stderr.write(
        `handshake capture: ${output.dropped} ${events ? 'event' : 'frame'} lines were not printed because stdout was not being read fast enough (more than ${PRINT_BUFFER_BYTES / 1048576} MiB waiting)` +
          `; every frame is in ${written ?? 'the spool (use -w FILE to keep it)'}\n`,
      );
    }
    if (end.reason) {
      process.stderr.write(`handshake capture: ${end.reason}; the ${end.frames} frames received were kept${written ? ` in ${written}` : ''}\n`);
      return EXIT_OTHER;
    }
    return 0;
  } catch (error) {
    return reportFailure('capture', error, USAGE);
  } finally {
    if (flusher) clearInterval(flusher);
    follower?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (session && !session.end) await session.stop();
    if (temporaryDirectory) rmSync(temporaryDirectory, { recursive: true, force: true });
  }
}
