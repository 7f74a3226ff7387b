/**
 * `handshake follow FILE (--stream N | --tls-stream N | --http2-stream N:ID | --udp-stream N |
 * --quic-stream N:ID | --http3-stream N:ID) [--format ascii|hex|raw] [-o FILE] [--tls-keylog KEYS]`:
 * one conversation's bytes, both directions in order, as
 * `tshark -q -z follow,tcp|tls|http2|udp|quic,…` prints them (HTTP/3: tshark 4.0 has no such follow). With `-o`, the text goes to FILE instead;
 * `--format raw -o FILE` writes the bytes themselves (both directions in order), as Wireshark's
 * "Save as… Raw" does.
 */
import { writeFileSync } from 'node:fs';
import { FollowDriver, formatFollow, type FollowFormat, type FollowKind } from '../../../shared/follow';
import { HttpDissector } from '../../../shared/http';
import { FramePipeline } from '../../../shared/pipeline/frame-pipeline';
import { QuicAttemptTracker } from '../../../shared/quic';
import { createNodeQuicCrypto, createNodeQuicTlsCrypto } from '../../engine/quic-crypto';
import { readCaptureFile } from '../../engine/capture-file';
import { InputFileError, openFailure, reportCommandFailure, UsageError } from '../errors';
import { damageText } from '../file-notes';
import { parseOptions } from './live-options';
import { tlsForFile } from '../tls';

const USAGE = 'usage: handshake follow FILE (--stream N | --tls-stream N | --http2-stream N:ID | --udp-stream N | --quic-stream N:ID | --http3-stream N:ID) [--format ascii|hex|raw] [-o FILE] [--tls-keylog KEYS]';

const OPTIONS = ['--stream', '--tls-stream', '--http2-stream', '--udp-stream', '--quic-stream', '--http3-stream'] as const;
const KINDS: Record<(typeof OPTIONS)[number], FollowKind> = { '--stream': 'tcp', '--tls-stream': 'tls', '--http2-stream': 'http2', '--udp-stream': 'udp', '--quic-stream': 'quic', '--http3-stream': 'http3' };

function streamNumber(text: string, option: string): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw new UsageError(`${option} takes a ${option === '--udp-stream' ? 'udp' : 'tcp'}.stream number, not "${text}"`);
  return Number(text);
}

/** "N:ID": a connection number (tcp.stream, quic.connection.number) and a stream id in it. */
function streamPair(text: string, option: string, example: string): [number, number] {
  const match = /^(\d+):(\d+)$/.exec(text);
  // QUIC stream ids go up to 2^62 - 1; beyond 2^53 they are not exact here, and no capture holds that many streams.
  if (!match || !Number.isSafeInteger(Number(match[1])) || !Number.isSafeInteger(Number(match[2]))) throw new UsageError(`${option} takes ${example}, not "${text}"`);
  return [Number(match[1]), Number(match[2])];
}

export async function runFollow(argv: readonly string[]): Promise<number> {
  try {
    const options = parseOptions(
      argv,
      { '--stream': 'value', '--tls-stream': 'value', '--http2-stream': 'value', '--udp-stream': 'value', '--quic-stream': 'value', '--http3-stream': 'value', '--format': 'value', '--output': 'value', '--tls-keylog': 'value', '--help': 'flag' },
      { '-o': '--output', '-h': '--help' },
    );
    if (options.flags.has('--help')) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (options.positional.length !== 1) throw new UsageError(options.positional.length === 0 ? 'FILE is required' : `unexpected argument ${options.positional[1]}`);
    const [file] = options.positional;
    const chosen = OPTIONS.filter((o) => options.values.has(o));
    if (chosen.length !== 1) throw new UsageError('give one of --stream N, --tls-stream N, --http2-stream N:ID, --udp-stream N, --quic-stream N:ID or --http3-stream N:ID');
    const option = chosen[0];
    const value = options.values.get(option)!;
    const kind = KINDS[option];
    let stream: number;
    let http2Stream: number | null = null;
    let quicStream: number | null = null;
    if (option === '--http2-stream') [stream, http2Stream] = streamPair(value, option, 'TCP-STREAM:HTTP2-STREAM-ID (e.g. 0:1)');
    else if (option === '--quic-stream' || option === '--http3-stream') [stream, quicStream] = streamPair(value, option, 'QUIC-CONNECTION:STREAM-ID (e.g. 0:0; connections are numbered as handshake analyze lists them)');
    else stream = streamNumber(value, option);
    const format = (options.values.get('--format') ?? 'ascii') as FollowFormat;
    if (!['ascii', 'hex', 'raw'].includes(format)) throw new UsageError(`--format is ascii, hex or raw, not "${format}"`);
    const tls = tlsForFile(options.values.get('--tls-keylog'), 'follow');
    const viaQuic = kind === 'quic' || kind === 'http3';
    const pipeline = new FramePipeline({}, kind === 'tls' || kind === 'http2' ? tls.dissector : null);
    if (kind === 'http2') pipeline.http = new HttpDissector();
    const quic = viaQuic ? new QuicAttemptTracker(createNodeQuicCrypto(), { keyLog: tls.dissector.keyLog, tlsCrypto: createNodeQuicTlsCrypto() }) : null;
    const driver = new FollowDriver(pipeline, kind, stream, http2Stream, quicStream, quic);
    const result = await readCaptureFile(file, { onSecrets: tls.onSecrets, onFrame: (frame) => driver.frame(frame) }).catch((error: unknown) => {
      throw openFailure(file, error);
    });
    await driver.settled();
    pipeline.tracker.finish();
    if (!driver.finish()) {
      const what = kind === 'udp' ? `udp.stream ${stream}` : viaQuic ? `QUIC connection ${stream}` : `tcp.stream ${stream}`;
      throw new UsageError(`${file} has no ${what} (see handshake analyze ${file})`);
    }
    const followed = driver.follower.result;
    const output = options.values.get('--output');
    if (output !== undefined) {
      let content: Uint8Array | string;
      if (format === 'raw') {
        const bytes = new Uint8Array(followed.clientBytes + followed.serverBytes);
        let at = 0;
        for (const chunk of followed.chunks) {
          bytes.set(chunk.bytes, at);
          at += chunk.bytes.length;
        }
        content = bytes;
      } else content = formatFollow(followed, format);
      try {
        writeFileSync(output, content);
      } catch (error) {
        throw new Error(`cannot write ${output}: ${error instanceof Error ? error.message : String(error)}`);
      }
    } else {
      process.stdout.write(formatFollow(followed, format));
    }
    if (followed.truncated) process.stderr.write(`handshake follow: the stream holds more than 256 MiB; the rest was left out\n`);
    if (viaQuic && followed.chunks.length === 0) {
      const attempt = quic!.attempts()[stream];
      const why = attempt.tls.decrypted !== true ? `not decrypted: ${attempt.tls.decrypted ?? 'no Handshake or 1-RTT packets'}` : `no data on stream ${quicStream}`;
      process.stderr.write(`handshake follow: QUIC connection ${stream}: ${why}\n`);
    } else if ((kind === 'tls' || kind === 'http2') && followed.chunks.length === 0) {
      const summary = tls.dissector.summary(stream);
      const why = summary === null ? 'it carries no TLS' : summary.decrypted !== true ? `not decrypted: ${summary.decrypted ?? 'no encrypted records'}` : kind === 'http2' ? `no HTTP/2 stream ${http2Stream} in it` : 'no application data';
      process.stderr.write(`handshake follow: tcp.stream ${stream}: ${why}\n`);
    }
    if (result.damage) throw new InputFileError(`${file}: ${damageText(result.damage)}`);
    return 0;
  } catch (error) {
    return reportCommandFailure('follow', error, USAGE);
  }
}
