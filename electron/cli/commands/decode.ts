/**
 * `handshake decode FILE [--json] [-Y FILTER]`: one summary line, or one NDJSON object,
 * per frame, in file order (cli.md).
 */
import { compileFilter, isKnownField, type CompiledFilter } from '../../../shared/filter';
import { CaptureFileError } from '../../../shared/files';
import { readCaptureFile } from '../../engine/capture-file';
import { FramePipeline, processedFieldSource, type ProcessedFrame } from '../../../shared/pipeline/frame-pipeline';
import { OrderedQuicOutput } from '../quic';
import { LineOutput } from '../output';
import { UnreadLinkTypes } from '../link-types';
import { EXIT_BAD_INPUT, InputFileError, openFailure, reportCommandFailure, UsageError } from '../errors';
import { parseOptions } from './live-options';

const USAGE = 'usage: handshake decode FILE [--json] [-Y FILTER]';

export async function runDecode(argv: readonly string[]): Promise<number> {
  try {
    const options = parseOptions(argv, { '--json': 'flag', '--display-filter': 'value', '--help': 'flag' }, { '-Y': '--display-filter', '-h': '--help' });
    if (options.flags.has('--help')) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (options.positional.length !== 1) throw new UsageError(options.positional.length === 0 ? 'FILE is required' : `unexpected argument ${options.positional[1]}`);
    const [file] = options.positional;
    const filter = compileDisplayFilter(options.values.get('--display-filter'));
    const json = options.flags.has('--json');

    const output = new LineOutput();
    const pipeline = new FramePipeline();
    const quic = new OrderedQuicOutput();
    const unread = new UnreadLinkTypes();
    const emit = (processed: ProcessedFrame) => {
      if (filter && !filter.test(processedFieldSource(processed))) return;
      output.line(json ? JSON.stringify(processed.fields) : processed.line());
    };
    const result = await readCaptureFile(file, {
      onFrame(frame) {
        if (!output.open) return;
        unread.see(frame.linkType);
        quic.frame(pipeline.process(frame), pipeline.lastSummary, frame.data, emit);
      },
    }).catch((error: unknown) => {
      throw openFailure(file, error);
    });
    await quic.settled();
    await output.flush();
    unread.note('decode', file);
    if (result.damage) throw new InputFileError(`${file}: ${damageText(result.damage)}`);
    return 0;
  } catch (error) {
    return reportCommandFailure('decode', error, USAGE);
  }
}

export function compileDisplayFilter(text: string | undefined): CompiledFilter | null {
  if (text === undefined || text.trim() === '') return null;
  const compiled = compileFilter(text, { isField: isKnownField });
  if (compiled.ok) return compiled.filter;
  const { position, message } = compiled.error;
  throw new UsageError(`bad display filter at character ${position + 1}: ${message}\n  ${text}\n  ${' '.repeat(position)}^`);
}

export function damageText(damage: CaptureFileError): string {
  return `damaged from byte ${damage.offset} (frame ${damage.frameNumber} on): ${damage.reason}; frames before it were read`;
}

export { EXIT_BAD_INPUT };
