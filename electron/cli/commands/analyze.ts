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
import { connectionTlsJson, renderConnection, writeConnectionJson, zeekConnFooter, zeekConnHeader, zeekConnJson, zeekConnTsv } from '../../../shared/track';
import type { JsonObject, JsonValue, SynFloodAlert } from '../../../shared/track';
import { readCaptureFile } from '../../engine/capture-file';
import { InputFileError, openFailure, reportCommandFailure, UsageError } from '../errors';
import { LineOutput } from '../output';
import { UnreadLinkTypes } from '../link-types';
import { damageText, noteAboveSnaplen } from '../file-notes';
import { nonNegativeNumber, parseOptions } from './live-options';
import { addTlsSummary, tlsForFile, tlsSummaryText } from '../tls';
import { HttpDissector } from '../../../shared/http';
import { httpLadderSteps, httpSummaryJson } from '../../../shared/http/summary';

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
    const tls = tlsForFile(options.values.get('--tls-keylog'), 'analyze');
    const http = new HttpDissector();
    const pipeline = new FramePipeline(mslSeconds === undefined ? {} : { mslSeconds }, tls.dissector);
    pipeline.http = http;
    const quic = new QuicAttemptTracker(createNodeQuicCrypto(), { keyLog: tls.dissector.keyLog, tlsCrypto: createNodeQuicTlsCrypto() });
    const unread = new UnreadLinkTypes();
    const expert = options.flags.has('--expert') ? new ExpertCollector() : null;
    const facts = { tcpFlags: -1, analysis: 0, malformed: false, badChecksum: false };
    const result = await readCaptureFile(file, {
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
        if (pipeline.lastSummary.protocol === 17) quic.analyzeOrQueueFrame(frame.frameNumber, frame.tsSeconds, frame.tsNanos, pipeline.lastSummary, pipeline.lastSummaryBytes);
      },
    }).catch((error: unknown) => {
      throw openFailure(file, error);
    });
    pipeline.tracker.finish();
    await quic.settled();
    const output = new LineOutput();
    if (zeek) {
      // A Zeek conn.log of the TCP connections (Zeek logs QUIC and alerts elsewhere).
      if (zeek === 'tsv') for (const line of zeekConnHeader(opened)) output.line(line);
      for (const connection of pipeline.tracker.eachConnection()) {
        if (!output.open) break;
        output.line(zeek === 'tsv' ? zeekConnTsv(connection) : zeekConnJson(connection));
        await output.ready(); // a slow reader is waited for, line by line
      }
      if (zeek === 'tsv') output.line(zeekConnFooter(new Date()));
      await output.flush();
      noteAboveSnaplen('analyze', result.aboveSnaplen);
      if (result.damage) throw new InputFileError(`${file}: ${damageText(result.damage)}`);
      return 0;
    }
    const json = options.flags.has('--json');
    if (expert) {
      // Expert Information only, as `tshark -q -z expert` prints it.
      for (const connection of pipeline.tracker.eachConnection()) expert.addConnection(connection);
      for (const alert of pipeline.tracker.alerts()) expert.addAlert(alert);
      const groups = expert.groups();
      if (json) for (const group of groups) output.line(JSON.stringify(expertToJson(group)));
      else if (groups.length) output.line(expertText(groups));
      await output.flush();
      noteAboveSnaplen('analyze', result.aboveSnaplen);
      if (result.damage) throw new InputFileError(`${file}: ${damageText(result.damage)}`);
      return 0;
    }
    // Each line waits for a slow reader, so the text of a million connections is never all in memory.
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
    for (const connection of pipeline.tracker.eachConnection()) {
      if (!output.open) break;
      const tlsSummary = tls.dissector.summary(connection.stream);
      const httpSummary = http.summary(connection.stream);
      if (json) {
        // Straight to bytes; only a TLS or HTTP part is built as an object first.
        let tlsJson: JsonValue | undefined;
        if (tlsSummary) {
          const holder: JsonObject = {};
          const hellos = connectionTlsJson(connection);
          if (hellos) holder.tls = hellos;
          addTlsSummary(holder, tlsSummary);
          tlsJson = holder.tls;
        }
        writeConnectionJson(output.bytes(), connection, tlsJson, httpSummary ? httpSummaryJson(httpSummary) : undefined);
        output.wrote();
        await output.ready();
      } else {
        const text = tlsSummaryText(tlsSummary);
        const rendered = renderConnection(connection, httpSummary ? httpLadderSteps(httpSummary) : []);
        await print(text ? `${rendered}
${text}` : rendered);
      }
    }
    // QUIC connection attempts (HTTP/3), beside the TCP connections.
    for (const attempt of quic.attempts()) {
      await (json ? printJson(quicAttemptToJson(attempt)) : print(quicAttemptText(attempt)));
    }
    for (const alert of pipeline.tracker.alerts()) {
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
