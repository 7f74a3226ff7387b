/**
 * `handshake flow FILE [-Y FILTER] [--format text|svg|plantuml|mermaid] [-o FILE]
 * [--addresses|--endpoints]`: the flow graph across every TCP connection of the file (or the
 * frames passing FILTER), as Wireshark's Flow Graph (TCP flows) shows it, with each end's
 * RFC 9293 state. The output streams: a million rows never sit in memory as text.
 */
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { elapsedSeconds } from '../../../shared/files/timestamp';
import { FLOW_FORMATS, FlowGraph, flowChunks, type FlowFormat, type FlowNodeMode } from '../../../shared/flowgraph';
import { FramePipeline, processedFieldSource } from '../../../shared/pipeline/frame-pipeline';
import { formatIpv4, formatIpv6 } from '../../../shared/wire/bytes';
import type { PacketSummary } from '../../../shared/wire/summary';
import { readCaptureFile } from '../../engine/capture-file';
import { InputFileError, openFailure, reportCommandFailure, UsageError } from '../errors';
import { compileDisplayFilter } from './decode';
import { damageText, noteAboveSnaplen } from '../file-notes';
import { parseOptions } from './live-options';
import { UnreadLinkTypes } from '../link-types';

const USAGE = 'usage: handshake flow FILE [-Y FILTER] [--format text|svg|plantuml|mermaid] [-o FILE] [--addresses|--endpoints]';

const TCP = 6;

/** Address text of a summary's source or destination words (interned: few distinct addresses). */
class AddressNames {
  private readonly bytes = new Uint8Array(16);
  private readonly names = new Map<string, string>();

  of(summary: PacketSummary, source: boolean): string {
    const words = source ? summary.srcWords : summary.dstWords;
    const v4 = summary.ipVersion === 4;
    const key = v4 ? String(words[0]) : `${words[0]},${words[1]},${words[2]},${words[3]}`;
    let name = this.names.get(key);
    if (name === undefined) {
      for (let w = 0; w < (v4 ? 1 : 4); w++) {
        this.bytes[w * 4] = words[w] >>> 24;
        this.bytes[w * 4 + 1] = (words[w] >>> 16) & 0xff;
        this.bytes[w * 4 + 2] = (words[w] >>> 8) & 0xff;
        this.bytes[w * 4 + 3] = words[w] & 0xff;
      }
      name = v4 ? formatIpv4(this.bytes) : formatIpv6(this.bytes);
      if (this.names.size < 1_000_000) this.names.set(key, name);
    }
    return name;
  }
}

async function writeAll(stream: Writable, chunks: Iterable<string>): Promise<void> {
  let failure: Error | null = null;
  let closed = false;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') closed = true;
    else failure = error;
  });
  for (const chunk of chunks) {
    if (closed || failure) break;
    if (!stream.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          stream.off('drain', done);
          stream.off('close', done);
          stream.off('error', done);
          resolve();
        };
        stream.on('drain', done);
        stream.on('close', done);
        stream.on('error', done);
      });
    }
  }
  if (stream !== process.stdout) await new Promise<void>((resolve) => stream.end(resolve));
  if (failure) throw failure;
}

export async function runFlow(argv: readonly string[]): Promise<number> {
  try {
    const options = parseOptions(
      argv,
      { '--display-filter': 'value', '--format': 'value', '--output': 'value', '--addresses': 'flag', '--endpoints': 'flag', '--help': 'flag' },
      { '-Y': '--display-filter', '-o': '--output', '-h': '--help' },
    );
    if (options.flags.has('--help')) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (options.positional.length !== 1) throw new UsageError(options.positional.length === 0 ? 'FILE is required' : `unexpected argument ${options.positional[1]}`);
    const [file] = options.positional;
    const format = (options.values.get('--format') ?? 'text') as FlowFormat;
    if (!FLOW_FORMATS.includes(format)) throw new UsageError(`--format is text, svg, plantuml or mermaid, not "${format}"`);
    if (options.flags.has('--addresses') && options.flags.has('--endpoints')) throw new UsageError('--addresses and --endpoints are different columns: choose one');
    const mode: FlowNodeMode = options.flags.has('--endpoints') ? 'endpoints' : 'addresses';
    const filter = compileDisplayFilter(options.values.get('--display-filter'));

    const pipeline = new FramePipeline();
    pipeline.withCommunityId = filter?.fields.has('communityid') ?? false;
    const graph = new FlowGraph(mode);
    const names = new AddressNames();
    const unread = new UnreadLinkTypes();
    let firstSeconds = Number.NaN;
    let firstNanos = 0;
    const result = await readCaptureFile(file, {
      onFrame(frame) {
        unread.see(frame.linkType);
        if (Number.isNaN(firstSeconds)) {
          firstSeconds = frame.tsSeconds;
          firstNanos = frame.tsNanos;
        }
        let analysis;
        if (filter) {
          // The filter needs the full decode; without one the fast path is enough.
          const processed = pipeline.process(frame);
          if (!filter.test(processedFieldSource(processed))) return;
          analysis = processed.analysis;
        } else analysis = pipeline.track(frame);
        const s = pipeline.lastSummary;
        if (!analysis || s.protocol !== TCP || (s.ipVersion !== 4 && s.ipVersion !== 6)) return;
        graph.add({
          frame: frame.frameNumber,
          time: elapsedSeconds(firstSeconds, firstNanos, frame.tsSeconds, frame.tsNanos),
          ipVersion: s.ipVersion,
          srcAddress: names.of(s, true),
          dstAddress: names.of(s, false),
          srcPort: s.srcPort,
          dstPort: s.dstPort,
          flags: s.tcpFlags,
          seq: analysis.relativeSeq,
          ack: analysis.relativeAck,
          len: s.payloadLength,
          stream: analysis.stream,
          fromClient: analysis.fromClient,
        });
      },
    }).catch((error: unknown) => {
      throw openFailure(file, error);
    });
    pipeline.tracker.finish();
    for (const connection of pipeline.tracker.eachConnection()) {
      if (graph.hasStream(connection.stream)) graph.setStates(connection.stream, connection.states);
    }
    const outputPath = options.values.get('--output');
    let stream: Writable = process.stdout;
    if (outputPath !== undefined) {
      const fileStream = createWriteStream(outputPath);
      await new Promise<void>((resolve, reject) => {
        fileStream.once('open', () => resolve());
        fileStream.once('error', (error) => reject(new Error(`cannot write ${outputPath}: ${error.message}`)));
      });
      stream = fileStream;
    }
    if (format === 'text' && graph.nodes.length > 64) {
      // tshark's layout gives every column its width on every line.
      process.stderr.write(`handshake flow: note: ${graph.nodes.length} columns make each text line ${graph.nodes.length * 22} characters wide; -Y narrows it, --format mermaid|plantuml|svg do not repeat the columns\n`);
    }
    await writeAll(stream, flowChunks(graph, format));
    unread.note('flow', file);
    noteAboveSnaplen('flow', result.aboveSnaplen);
    if (graph.length === 0) process.stderr.write(`handshake flow: no TCP frames${filter ? ' pass the filter' : ''} in ${file}\n`);
    if (result.damage) throw new InputFileError(`${file}: ${damageText(result.damage)}`);
    return 0;
  } catch (error) {
    return reportCommandFailure('flow', error, USAGE);
  }
}
