/**
 * `handshake analyze FILE [--json]`: every TCP connection in the file, in order of first
 * frame — how it opened and closed, who did what, each endpoint's states — then alerts.
 */
import { ExpertCollector, expertText, expertToJson } from '../../../shared/expert';
import { FramePipeline } from '../../../shared/pipeline/frame-pipeline';
import { scriptFromCapture, type CapturedPacket } from '../../../shared/conversation/export';
import { summaryTcpChecksumStatusAt } from '../../../shared/wire/checksum';
import { QuicAttemptTracker, quicAttemptText, quicAttemptToJson } from '../../../shared/quic';
import { createNodeQuicCrypto, createNodeQuicTlsCrypto } from '../../engine/quic-crypto';
import { zeekConnFooter, zeekConnHeader } from '../../../shared/track';
import type { ConnectionSummary, SynFloodAlert } from '../../../shared/track';
import { readCaptureFile, type CaptureFileReadResult } from '../../engine/capture-file';
import { analyzeOnTwoThreads, ConnectionAnalysis, type ConnectionFormat } from './analyze-shard';
import { InputFileError, openFailure, reportCommandFailure, UsageError } from '../errors';
import { LineOutput } from '../output';
import { UnreadLinkTypes } from '../link-types';
import { damageText, noteAboveSnaplen } from './decode';
import { nonNegativeNumber, parseOptions } from './live-options';

const USAGE =
  'usage: handshake analyze FILE [--json | --zeek[=tsv|json]] [--msl SECONDS] [--tls-keylog FILE] [--expert]\n' +
  '       handshake analyze FILE --script STREAM [--ours ADDR:PORT]   (the connection as a `handshake run` script)';

/** `--zeek=json` and `--zeek=tsv` as flags, so a bare `--zeek` never takes FILE as its value. */
function zeekFlags(argv: readonly string[]): string[] {
  return argv.map((a) => (a === '--zeek=json' ? '--zeek-json' : a === '--zeek=tsv' ? '--zeek' : a));
}

export async function runAnalyze(argv: readonly string[]): Promise<number> {
  try {
    const options = parseOptions(
      zeekFlags(argv),
      {
        '--json': 'flag',
        '--zeek': 'flag',
        '--zeek-json': 'flag',
        '--msl': 'value',
        '--tls-keylog': 'value',
        '--expert': 'flag',
        '--script': 'value',
        '--ours': 'value',
        '--help': 'flag',
      },
      { '-h': '--help' },
    );
    if (options.flags.has('--help')) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (options.positional.length !== 1) throw new UsageError(options.positional.length === 0 ? 'FILE is required' : `unexpected argument ${options.positional[1]}`);
    const [file] = options.positional;
    const scriptStream = options.values.get('--script');
    if (scriptStream !== undefined) return await exportScript(file, scriptStream, options.values.get('--ours'));
    if (options.values.has('--ours')) throw new UsageError('--ours goes with --script');
    const zeek = options.flags.has('--zeek-json') ? 'json' : options.flags.has('--zeek') ? 'tsv' : null;
    if (zeek && options.flags.has('--json')) throw new UsageError('--zeek and --json are different outputs: choose one');
    const opened = new Date();
    const mslSeconds = nonNegativeNumber(options.values.get('--msl'), '--msl');
    const keylog = options.values.get('--tls-keylog');
    const expert = options.flags.has('--expert') ? new ExpertCollector() : null;
    const json = options.flags.has('--json');
    const format: ConnectionFormat = zeek === 'tsv' ? 'zeek-tsv' : zeek === 'json' ? 'zeek-json' : json ? 'json' : 'text';
    const newQuic = (analysis: ConnectionAnalysis) => new QuicAttemptTracker(createNodeQuicCrypto(), { keyLog: analysis.tls.dissector.keyLog, tlsCrypto: createNodeQuicTlsCrypto() });
    // Two threads when they can (analyze-shard.ts); Expert Information stays on one, as does a
    // capture that needs it, and any run with HANDSHAKE_ANALYZE_THREADS=1.
    const twoThreadsWanted = expert === null && process.env.HANDSHAKE_ANALYZE_THREADS !== '1';
    let analysis = new ConnectionAnalysis(mslSeconds, keylog, twoThreadsWanted);
    let quic = newQuic(analysis);
    let unread = new UnreadLinkTypes();
    const attempt = !twoThreadsWanted
      ? null
      : await analyzeOnTwoThreads(file, mslSeconds, keylog, analysis, (frame, pipeline) => {
          unread.see(frame.linkType);
          if (pipeline !== null && pipeline.lastSummary.protocol === 17) quic.queueFrame(frame.frameNumber, frame.tsSeconds, frame.tsNanos, pipeline.lastSummary, pipeline.lastSummaryBytes);
        }).catch((error: unknown) => {
          throw openFailure(file, error);
        });
    const twoThreads = attempt !== null && !('oneThread' in attempt) ? attempt : null;
    // HANDSHAKE_ANALYZE_THREADS=2 asks for two threads: say so when they could not be used.
    if (attempt !== null && 'oneThread' in attempt && process.env.HANDSHAKE_ANALYZE_THREADS === '2') process.stderr.write(`handshake analyze: one thread: ${attempt.oneThread}\n`);
    let result: CaptureFileReadResult;
    if (twoThreads) result = twoThreads.result;
    else {
      if (twoThreadsWanted) {
        analysis = new ConnectionAnalysis(mslSeconds, keylog, false);
        quic = newQuic(analysis);
        unread = new UnreadLinkTypes();
      }
      const { pipeline, tls } = analysis;
      const facts = { tcpFlags: -1, analysis: 0, malformed: false, badChecksum: false };
      result = await readCaptureFile(file, {
        onSecrets: tls.onSecrets,
        onFrame(frame) {
          unread.see(frame.linkType);
          const tracked = pipeline.track(frame);
          if (expert) {
            const s = pipeline.lastSummary;
            facts.tcpFlags = tracked ? s.tcpFlags : -1;
            facts.analysis = tracked ? tracked.analysis : 0;
            facts.malformed = Boolean(s.malformed);
            facts.badChecksum = tracked !== null && summaryTcpChecksumStatusAt(pipeline.lastSummaryBytes, 0, pipeline.lastSummaryBytes.length, s) === 'bad';
            expert.addFrame(frame.frameNumber - 1, facts);
          }
          // UDP only: no view of the bytes is made for the TCP frames QUIC never looks at.
          if (pipeline.lastSummary.protocol === 17) quic.queueFrame(frame.frameNumber, frame.tsSeconds, frame.tsNanos, pipeline.lastSummary, pipeline.lastSummaryBytes);
        },
      }).catch((error: unknown) => {
        throw openFailure(file, error);
      });
      pipeline.tracker.finish();
    }
    const tracker = analysis.pipeline.tracker;
    await quic.settled();
    const output = new LineOutput();
    if (expert) {
      // Expert Information only, as `tshark -q -z expert` prints it.
      for (const connection of tracker.eachConnection()) expert.addConnection(connection);
      for (const alert of tracker.alerts()) expert.addAlert(alert);
      const groups = expert.groups();
      if (json) for (const group of groups) output.line(JSON.stringify(expertToJson(group)));
      else if (groups.length) output.line(expertText(groups));
      await output.flush();
      noteAboveSnaplen('analyze', result.aboveSnaplen);
      if (result.damage) throw new InputFileError(`${file}: ${damageText(result.damage)}`);
      return 0;
    }
    // Each line waits for a slow reader, so the text of a million connections is never all in memory.
    if (format === 'zeek-tsv') for (const line of zeekConnHeader(opened)) output.line(line);
    try {
      const connections = twoThreads ? twoThreads.eachOutput(format) : oneThreadOutput(tracker.eachConnection());
      for await (const item of connections) {
        if (!output.open) break;
        if ('bytes' in item) {
          // A line the other thread wrote.
          output.bytes().append(item.bytes);
          output.wrote();
        } else {
          const text = analysis.render(item.connection, item.stream, format, () => output.bytes());
          if (text === null) output.wrote();
          else output.line(text);
        }
        await output.ready(); // a slow reader is waited for, line by line
      }
    } finally {
      twoThreads?.close();
    }
    if (zeek) {
      // A Zeek conn.log of the TCP connections (Zeek logs QUIC and alerts elsewhere).
      if (zeek === 'tsv') output.line(zeekConnFooter(new Date()));
      await output.flush();
      noteAboveSnaplen('analyze', result.aboveSnaplen);
      if (result.damage) throw new InputFileError(`${file}: ${damageText(result.damage)}`);
      return 0;
    }
    const print = async (text: string) => {
      output.line(text);
      await output.ready();
    };
    // JSON objects go straight to bytes (no string per connection).
    const printJson = async (value: unknown) => {
      output.bytes().line(value);
      output.wrote();
      await output.ready();
    };
    // QUIC connection attempts (HTTP/3), beside the TCP connections.
    for (const attempt of quic.attempts()) {
      await (json ? printJson(quicAttemptToJson(attempt)) : print(quicAttemptText(attempt)));
    }
    for (const alert of twoThreads ? twoThreads.alerts : tracker.alerts()) {
      await (json ? printJson(alert) : print(alertText(alert)));
    }
    // Frames of a link type that is not decoded could not be looked at for TCP: say so rather than print nothing.
    if (unread.frames > 0) {
      if (json) output.bytes().line(unread.toJson());
      else output.line(`${unread.frames} frame${unread.frames === 1 ? '' : 's'} could not be read for TCP: ${unread.names()} is not decoded`);
    }
    await output.flush();
    unread.note('analyze', file);
    noteAboveSnaplen('analyze', result.aboveSnaplen);
    if (result.damage) throw new InputFileError(`${file}: ${damageText(result.damage)}`);
    return 0;
  } catch (error) {
    return reportCommandFailure('analyze', error, USAGE);
  }
}

/** One thread's connections in stream order, as the two-thread path yields them. */
async function* oneThreadOutput(connections: Iterable<ConnectionSummary>): AsyncIterableIterator<{ connection: ConnectionSummary; stream: number }> {
  for (const connection of connections) yield { connection, stream: connection.stream };
}

function alertText(alert: SynFloodAlert): string {
  return (
    `ALERT ${alert.kind} on ${alert.target}: ${alert.half_open} half-open connections from ${alert.sources} sources ` +
    `within ${alert.window_seconds} s (frames ${alert.first_frame}–${alert.last_frame}; ` +
    `${alert.completed} of ${alert.attempts} handshakes completed)`
  );
}

/** `--script STREAM`: the connection's segments as a conversation script (shared/conversation/export.ts). */
async function exportScript(file: string, streamText: string, ours: string | undefined): Promise<number> {
  if (!/^\d+$/.test(streamText)) throw new UsageError(`--script takes a tcp.stream number, not "${streamText}"`);
  const stream = Number(streamText);
  const pipeline = new FramePipeline();
  const packets: CapturedPacket[] = [];
  const result = await readCaptureFile(file, {
    onFrame(frame) {
      const processed = pipeline.process(frame);
      if (processed.fields['tcp.stream'] !== stream) return;
      const ip = processed.decoded.layers.find((layer) => (layer.kind === 'ip' || layer.kind === 'ipv6') && !layer.quoted);
      if (ip) packets.push({ time: frame.tsSeconds + frame.tsNanos / 1e9, packet: frame.data.slice(ip.offset), frame: frame.frameNumber });
    },
  }).catch((error: unknown) => {
    throw openFailure(file, error);
  });
  if (result.damage) throw new InputFileError(`${file}: ${damageText(result.damage)}`);
  if (packets.length === 0) throw new UsageError(`${file} has no tcp.stream ${stream} (see handshake analyze ${file})`);
  let exported;
  try {
    exported = scriptFromCapture(packets, { ours });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  process.stdout.write(exported.text);
  return 0;
}
