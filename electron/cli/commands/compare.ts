/**
 * `handshake compare A B [--json] [--clock-offset SECONDS] [--ladder]`: the connections seen in
 * two captures taken at two points of one path, segment by segment (see shared/compare).
 */
import { CapturePoint, compareCapturePoints, renderComparison, renderSummary } from '../../../shared/compare';
import { readCaptureFile } from '../../engine/capture-file';
import { InputFileError, openFailure, reportCommandFailure, UsageError } from '../errors';
import { LineOutput } from '../output';
import { damageText } from './decode';
import { parseOptions } from './live-options';

const USAGE = 'usage: handshake compare A.pcapng B.pcapng [--json] [--clock-offset SECONDS] [--ladder]';

/** One capture point; a damaged file is compared up to the damage, which is reported after the output. */
async function readPoint(file: string): Promise<{ point: CapturePoint; damage: string | null }> {
  const point = new CapturePoint();
  const result = await readCaptureFile(file, { onFrame: (frame) => point.add(frame) }).catch((error: unknown) => {
    throw openFailure(file, error);
  });
  point.finish();
  return { point, damage: result.damage ? `${file}: ${damageText(result.damage)}` : null };
}

export async function runCompare(argv: readonly string[]): Promise<number> {
  try {
    const options = parseOptions(argv, { '--json': 'flag', '--ladder': 'flag', '--clock-offset': 'value', '--help': 'flag' }, { '-h': '--help' });
    if (options.flags.has('--help')) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (options.positional.length !== 2) throw new UsageError(options.positional.length < 2 ? 'two capture files are required (A and B)' : `unexpected argument ${options.positional[2]}`);
    const offsetText = options.values.get('--clock-offset');
    const clockOffset = offsetText === undefined ? undefined : Number(offsetText);
    if (clockOffset !== undefined && (offsetText?.trim() === '' || !Number.isFinite(clockOffset))) throw new UsageError(`--clock-offset needs a number of seconds (B's clock minus A's), not "${offsetText}"`);
    const a = await readPoint(options.positional[0]);
    const b = await readPoint(options.positional[1]);
    const output = new LineOutput();
    const json = options.flags.has('--json');
    const ladder = options.flags.has('--ladder') ? true : undefined;
    const result = compareCapturePoints(a.point, b.point, clockOffset === undefined ? {} : { clockOffset }, (connection, steps) => {
      output.line(json ? JSON.stringify(connection) : `${renderComparison(connection, steps, { ladder })}\n`);
    });
    output.line(json ? JSON.stringify({ ...result.summary, a: options.positional[0], b: options.positional[1] }) : renderSummary(result.summary));
    await output.flush();
    const damaged = [a.damage, b.damage].filter((text) => text !== null);
    if (damaged.length > 0) throw new InputFileError(damaged.join('; '));
    return 0;
  } catch (error) {
    return reportCommandFailure('compare', error, USAGE);
  }
}
