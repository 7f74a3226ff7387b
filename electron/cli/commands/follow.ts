/**
 * `handshake follow FILE (--stream N | --tls-stream N | --http2-stream N:ID) [--format ascii|hex|raw]
 * [-o FILE] [--tls-keylog KEYS]`: one conversation's bytes, both directions in order, as
 * `tshark -q -z follow,tcp|tls|http2,…` prints them. With `-o`, the text goes to FILE instead;
 * `--format raw -o FILE` writes the bytes themselves (both directions in order), as Wireshark's
 * "Save as… Raw" does.
 */
import { writeFileSync } from 'node:fs';
import { FollowDriver, formatFollow, type FollowFormat, type FollowKind } from '../../../shared/follow';
import { HttpDissector } from '../../../shared/http';
import { FramePipeline } from '../../../shared/pipeline/frame-pipeline';
import { readCaptureFile } from '../../engine/capture-file';
import { InputFileError, openFailure, reportCommandFailure, UsageError } from '../errors';
import { damageText } from './decode';
import { parseOptions } from './live-options';
import { tlsForFile } from '../tls';

const USAGE = 'usage: handshake follow FILE (--stream N | --tls-stream N | --http2-stream N:ID) [--format ascii|hex|raw] [-o FILE] [--tls-keylog KEYS]';

function streamNumber(text: string, option: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${option} takes a tcp.stream number, not "${text}"`);
  return Number(text);
}

export async function runFollow(argv: readonly string[]): Promise<number> {
  try {
    const options = parseOptions(
      argv,
      { '--stream': 'value', '--tls-stream': 'value', '--http2-stream': 'value', '--format': 'value', '--output': 'value', '--tls-keylog': 'value', '--help': 'flag' },
      { '-o': '--output', '-h': '--help' },
    );
    if (options.flags.has('--help')) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (options.positional.length !== 1) throw new UsageError(options.positional.length === 0 ? 'FILE is required' : `unexpected argument ${options.positional[1]}`);
    const [file] = options.positional;
    const chosen = (['--stream', '--tls-stream', '--http2-stream'] as const).filter((o) => options.values.has(o));
    if (chosen.length !== 1) throw new UsageError('give one of --stream N, --tls-stream N or --http2-stream N:ID');
    const option = chosen[0];
    const value = options.values.get(option)!;
    let kind: FollowKind = 'tcp';
    let stream: number;
    let http2Stream: number | null = null;
    if (option === '--http2-stream') {
      const match = /^(\d+):(\d+)$/.exec(value);
      if (!match) throw new UsageError(`--http2-stream takes TCP-STREAM:HTTP2-STREAM-ID (e.g. 0:1), not "${value}"`);
      kind = 'http2';
      stream = Number(match[1]);
      http2Stream = Number(match[2]);
    } else {
      kind = option === '--tls-stream' ? 'tls' : 'tcp';
      stream = streamNumber(value, option);
    }
    const format = (options.values.get('--format') ?? 'ascii') as FollowFormat;
    if (!['ascii', 'hex', 'raw'].includes(format)) throw new UsageError(`--format is ascii, hex or raw, not "${format}"`);
    const tls = tlsForFile(options.values.get('--tls-keylog'), 'follow');
    const pipeline = new FramePipeline({}, kind === 'tcp' ? null : tls.dissector);
    if (kind === 'http2') pipeline.http = new HttpDissector();
    const driver = new FollowDriver(pipeline, kind, stream, http2Stream);
    const result = await readCaptureFile(file, { onSecrets: tls.onSecrets, onFrame: (frame) => driver.frame(frame) }).catch((error: unknown) => {
      throw openFailure(file, error);
    });
    pipeline.tracker.finish();
    if (!driver.finish()) throw new UsageError(`${file} has no tcp.stream ${stream} (see handshake analyze ${file})`);
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
    if (kind !== 'tcp' && followed.chunks.length === 0) {
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
