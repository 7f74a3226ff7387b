/**
 * `handshake decode FILE [--json] [-Y FILTER]`: one summary line, or one NDJSON object,
 * per frame, in file order (cli.md).
 */
import { statSync } from 'node:fs';
import { fieldValueText } from '../../../shared/columns';
import { compileFilter, FILTER_OPTIONS, isKnownField, type CompiledFilter, type FieldSource } from '../../../shared/filter';
import { readCaptureFile } from '../../engine/capture-file';
import { DisplayedDelta, FramePipeline, interfaceNoter, processedFieldSource, type ProcessedFrame } from '../../../shared/pipeline/frame-pipeline';
import type { OrderedQuicOutput } from '../quic';
import { ParallelJson, threadPlan } from '../parallel/json-pipe';
import { LineOutput } from '../output';
import { UnreadLinkTypes } from '../link-types';
import { EXIT_BAD_INPUT, InputFileError, openFailure, reportCommandFailure, UsageError } from '../errors';
import { parseOptions } from './live-options';
import { damageText, noteAboveSnaplen } from '../file-notes';
import { tlsForFile } from '../tls';
import { HttpDissector } from '../../../shared/http';
import { fieldNeeds, SummaryFields, type FieldNeeds } from '../../../shared/pipeline/field-plan';

const USAGE = 'usage: handshake decode FILE [--json] [-Y FILTER] [-e FIELD]… [--tls-keylog FILE]';

export async function runDecode(argv: readonly string[]): Promise<number> {
  let parallel = null as ParallelJson | null;
  try {
    const options = parseOptions(
      argv,
      { '--json': 'flag', '--display-filter': 'value', '--field': 'list', '--tls-keylog': 'value', '--help': 'flag' },
      { '-Y': '--display-filter', '-e': '--field', '-h': '--help' },
    );
    if (options.flags.has('--help')) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (options.positional.length !== 1) throw new UsageError(options.positional.length === 0 ? 'FILE is required' : `unexpected argument ${options.positional[1]}`);
    const [file] = options.positional;
    const filter = compileDisplayFilter(options.values.get('--display-filter'));
    const json = options.flags.has('--json');
    const selected = options.lists.get('--field') ?? [];
    for (const name of selected) if (!isKnownField(name)) throw new UsageError(`-e ${name}: not a field decode knows (names are Wireshark's, e.g. tcp.srcport)`);
    const output = new LineOutput();
    // A JSON object holds a key once: a field asked twice stays where it was first asked.
    const fieldKeys = json ? [...new Set(selected)] : selected;
    // -e runs only what its fields (and the filter's) need; everything else runs in full.
    const needs: FieldNeeds = selected.length > 0 ? fieldNeeds(filter ? [...selected, ...filter.fields] : selected) : fieldNeeds(['*']);
    const summaryFields = selected.length > 0 && !filter && needs.summaryOnly;
    const project = selected.length > 0 ? fieldProjection(fieldKeys, json, output, summaryFields) : null;
    // Plain --json of a large file: the worker decodes and writes the lines (parallel/json-pipe.ts). Started
    // before anything else, as its start-up (about 0.1 s) runs beside this thread's.
    const jsonLines = json && !project && !filter;
    const threads = threadPlan(process.env, fileSize(file));
    const threaded = jsonLines && needs.tls && threads.threads === 2;
    if (threaded) parallel = new ParallelJson(output, needs.tls, threads);
    const tls = tlsForFile(options.values.get('--tls-keylog'), 'decode');
    const pipeline = new FramePipeline({}, needs.tls ? tls.dissector : null);
    if (needs.http) pipeline.http = new HttpDissector();
    pipeline.withTracking = needs.tracking;
    pipeline.withDns = needs.dns;
    // Plain --json writes each frame's line from its layers; a filter or -e reads the object instead.
    pipeline.jsonLines = jsonLines;
    pipeline.withColumns = !json && !project;
    // -e without communityid (in its fields or the filter's) skips a SHA-1 per frame.
    pipeline.withCommunityId = !project || needs.communityId;
    // Loaded only when asked for: QUIC's decryption and Node's crypto are a tenth of start-up.
    const quic: OrderedQuicOutput | null = needs.quic ? new (await import('../quic')).OrderedQuicOutput(tls.dissector.keyLog, json || project !== null || filter !== null) : null;
    // Header and tracking fields of a plain frame come from the fast path's record, without the full decode.
    const fast = summaryFields ? new SummaryFields(pipeline, selected, needs.tracking) : null;
    const unread = new UnreadLinkTypes();
    const displayed = new DisplayedDelta();
    const lineOnThisThread = (processed: ProcessedFrame) => parallel!.line(processed);
    const emit = (processed: ProcessedFrame) => {
      if (filter) {
        displayed.set(processed);
        if (!filter.test(processedFieldSource(processed))) return;
        displayed.shown(processed);
      }
      if (project) project(processedFieldSource(processed));
      else if (!json) output.line(processed.line());
      else {
        const writer = output.bytes();
        if (processed.json) writer.append(processed.json);
        else writer.line(processed.fields);
        output.wrote();
      }
    };
    const result = await readCaptureFile(
      file,
      {
        onSecrets: tls.onSecrets,
        ...interfaceNoter(pipeline),
        onFrame(frame) {
          if (!output.open) return;
          unread.see(frame.linkType);
          const analysis = pipeline.track(frame);
          if (parallel !== null) {
            // QUIC analysis and reassembled datagrams stay here: their lines come from this thread.
            if (pipeline.lastReassembled === null && !quic?.examines(pipeline.lastSummary)) {
              parallel.decode(frame, pipeline, analysis);
              return;
            }
            parallel.lineFrame(frame);
            const processed = pipeline.processTracked(frame, analysis);
            if (quic) quic.frame(processed, pipeline.lastSummary, pipeline.lastSummaryBytes, lineOnThisThread);
            else lineOnThisThread(processed);
            return;
          }
          if (fast?.load(frame, analysis)) {
            const writer = output.bytes();
            if (json) writer.pickedLine(fieldKeys, fast.source);
            else fast.writeTextLine(writer);
            output.wrote();
            return;
          }
          const processed = pipeline.processTracked(frame, analysis);
          if (quic) quic.frame(processed, pipeline.lastSummary, pipeline.lastSummaryBytes, emit);
          else emit(processed);
        },
      },
      // A slow reader pauses the file instead of piling lines up in memory.
      { whenReady: () => (quic?.busy ? quic.settled().then(() => (parallel?.ready() ?? output.ready()) ?? undefined) : (parallel?.ready() ?? output.ready())) },
    )
      .catch((error: unknown) => {
        throw openFailure(file, error);
      });
    await parallel?.finish(async () => {
      await quic?.settled();
    });
    await quic?.settled();
    await output.flush();
    unread.note('decode', file);
    noteAboveSnaplen('decode', result.aboveSnaplen);
    if (result.damage) throw new InputFileError(`${file}: ${damageText(result.damage)}`);
    return 0;
  } catch (error) {
    parallel?.close();
    return reportCommandFailure('decode', error, USAGE);
  }
}

/**
 * `-e` output, like tshark's -T fields: the chosen fields in order, tab-separated, several
 * occurrences joined by commas, absent fields empty, booleans as 1/0; with --json, one object
 * per frame holding only the chosen keys that are present (decode --json's values).
 */
function fieldProjection(keys: readonly string[], json: boolean, output: LineOutput, textAsBytes: boolean): (source: FieldSource) => void {
  return (source) => {
    if (json) {
      output.bytes().pickedLine(keys, source);
      output.wrote();
      return;
    }
    // Text cells: V8 joins and encodes strings faster than a byte loop in JS (measured).
    let line = '';
    for (let i = 0; i < keys.length; i++) {
      if (i > 0) line += '\t';
      const value = source(keys[i]);
      if (value !== undefined) line += fieldValueText(value);
    }
    // Beside the fast path's byte lines, in the same buffer (alternating kinds would flush each time).
    if (textAsBytes) {
      const writer = output.bytes();
      writer.ascii(line);
      writer.byte(0x0a);
      output.wrote();
    } else output.line(line);
  };
}

/** The file's size, 0 if it cannot be read (opening it reports that). */
function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

export function compileDisplayFilter(text: string | undefined): CompiledFilter | null {
  if (text === undefined || text.trim() === '') return null;
  const compiled = compileFilter(text, FILTER_OPTIONS);
  if (compiled.ok) return compiled.filter;
  const { position, message, hint } = compiled.error;
  // The filter echoed with a caret under the problem, cut to a window around it (a filter can be very long).
  const from = Math.max(0, position - 60);
  const to = Math.min(text.length, position + 60);
  const shown = `${from > 0 ? '…' : ''}${text.slice(from, to)}${to < text.length ? '…' : ''}`;
  const caret = ' '.repeat(position - from + (from > 0 ? 1 : 0));
  throw new UsageError(`bad display filter at character ${position + 1}: ${message}`, [shown, `${caret}^`, ...(hint ? [hint] : [])], false);
}

export { EXIT_BAD_INPUT };
