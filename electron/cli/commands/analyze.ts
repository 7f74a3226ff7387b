/**
 * `handshake analyze FILE [--json]`: every TCP connection in the file, in order of first
 * frame — how it opened and closed, who did what, each endpoint's states — then alerts.
 */
import { FramePipeline } from '../../../shared/pipeline/frame-pipeline';
import { QuicAttemptTracker, quicAttemptText, quicAttemptToJson } from '../../../shared/quic';
import { createNodeQuicCrypto } from '../../engine/quic-crypto';
import { connectionToJson, renderConnection } from '../../../shared/track';
import type { SynFloodAlert } from '../../../shared/track';
import { readCaptureFile } from '../../engine/capture-file';
import { InputFileError, openFailure, reportCommandFailure, UsageError } from '../errors';
import { LineOutput } from '../output';
import { UnreadLinkTypes } from '../link-types';
import { damageText } from './decode';
import { nonNegativeNumber, parseOptions } from './live-options';

const USAGE = 'usage: handshake analyze FILE [--json] [--msl SECONDS]';

export async function runAnalyze(argv: readonly string[]): Promise<number> {
  try {
    const options = parseOptions(argv, { '--json': 'flag', '--msl': 'value', '--help': 'flag' }, { '-h': '--help' });
    if (options.flags.has('--help')) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (options.positional.length !== 1) throw new UsageError(options.positional.length === 0 ? 'FILE is required' : `unexpected argument ${options.positional[1]}`);
    const [file] = options.positional;
    const mslSeconds = nonNegativeNumber(options.values.get('--msl'), '--msl');
    const pipeline = new FramePipeline(mslSeconds === undefined ? {} : { mslSeconds });
    const quic = new QuicAttemptTracker(createNodeQuicCrypto());
    const unread = new UnreadLinkTypes();
    const result = await readCaptureFile(file, {
      onFrame(frame) {
        unread.see(frame.linkType);
        pipeline.track(frame);
        // UDP only: no view of the bytes is made for the TCP frames QUIC never looks at.
        if (pipeline.lastSummary.protocol === 17) quic.queueFrame(frame.frameNumber, frame.tsSeconds, frame.tsNanos, pipeline.lastSummary, frame.data);
      },
    }).catch((error: unknown) => {
      throw openFailure(file, error);
    });
    pipeline.tracker.finish();
    await quic.settled();
    const output = new LineOutput();
    const json = options.flags.has('--json');
    for (const connection of pipeline.tracker.eachConnection()) {
      output.line(json ? JSON.stringify(connectionToJson(connection)) : renderConnection(connection));
    }
    // QUIC connection attempts (HTTP/3), beside the TCP connections.
    for (const attempt of quic.attempts()) {
      output.line(json ? JSON.stringify(quicAttemptToJson(attempt)) : quicAttemptText(attempt));
    }
    for (const alert of pipeline.tracker.alerts()) {
      output.line(json ? JSON.stringify(alert) : alertText(alert));
    }
    // Frames of a link type that is not decoded could not be looked at for TCP: say so rather than print nothing.
    if (unread.frames > 0) {
      output.line(json ? JSON.stringify(unread.toJson()) : `${unread.frames} frame${unread.frames === 1 ? '' : 's'} could not be read for TCP: ${unread.names()} is not decoded`);
    }
    await output.flush();
    unread.note('analyze', file);
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
