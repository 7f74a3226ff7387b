/**
 * `handshake compare A B [--json] [--clock-offset SECONDS] [--ladder]`: the connections seen in
 * two captures taken at two points of one path, segment by segment (see shared/compare).
 * `handshake compare FILE [--points A,B]` compares two capture points (interfaces) of one pcapng,
 * as `capture` writes when it records several points at once.
 */
import { CapturePoint, compareCapturePoints, renderComparison, renderSummary } from '../../../shared/compare';
import { pointLabel, readFilePoints } from '../../engine/capture-points';
import { readPoint, readPointHere } from '../../engine/point-reader';
import { InputFileError, openFailure, reportCommandFailure, UsageError } from '../errors';
import { LineOutput } from '../output';
import { damageText } from '../file-notes';
import { parseOptions } from './live-options';

const USAGE =
  'usage: handshake compare A.pcapng B.pcapng [--json] [--clock-offset SECONDS] [--ladder]\n' +
  '       handshake compare FILE.pcapng [--points A,B] [--json] [--clock-offset SECONDS] [--ladder]   # two interfaces of one file';

/** One capture point; a damaged file is compared up to the damage, which is reported after the output. */
async function readFileAsPoint(file: string, read: typeof readPoint): Promise<{ point: CapturePoint; damage: string | null }> {
  const { point, damage } = await read(file).catch((error: unknown) => {
    throw openFailure(file, error);
  });
  return { point, damage: damage ? `${file}: ${damageText(damage)}` : null };
}

/** An interface named by its IDB name or its number. */
function pickInterface(names: readonly string[], wanted: string, file: string): number {
  const byName = names.indexOf(wanted);
  if (byName >= 0) return byName;
  if (/^\d+$/.test(wanted) && Number(wanted) < names.length) return Number(wanted);
  throw new UsageError(`${file} has no interface "${wanted}" (it has ${names.map((name, id) => `${id}: ${name || '(unnamed)'}`).join(', ')})`);
}

/**
 * Two capture points of one file: its interfaces (the first section's) split into two points.
 * Without --points, the file must have exactly two interfaces.
 */
async function readPointsOfOneFile(file: string, wanted: string | undefined): Promise<{ a: CapturePoint; b: CapturePoint; names: [string, string]; damage: string | null }> {
  const { names, points, damage } = await readFilePoints(file).catch((error: unknown) => {
    throw openFailure(file, error);
  });
  let ids: [number, number];
  if (wanted === undefined) {
    if (names.length !== 2) throw new UsageError(`${file} has ${names.length} interface${names.length === 1 ? '' : 's'}; comparing one file needs two, or --points A,B to choose (or give two files)`);
    ids = [0, 1];
  } else {
    const parts = wanted.split(',');
    if (parts.length !== 2 || parts.some((part) => part.trim() === '')) throw new UsageError(`--points takes two interfaces, A,B (names or numbers), not "${wanted}"`);
    ids = [pickInterface(names, parts[0].trim(), file), pickInterface(names, parts[1].trim(), file)];
    if (ids[0] === ids[1]) throw new UsageError('--points needs two different interfaces');
  }
  return { a: points[ids[0]], b: points[ids[1]], names: [pointLabel(names, ids[0]), pointLabel(names, ids[1])], damage: damage ? `${file}: ${damageText(damage)}` : null };
}

export async function runCompare(argv: readonly string[]): Promise<number> {
  try {
    const options = parseOptions(argv, { '--json': 'flag', '--ladder': 'flag', '--clock-offset': 'value', '--points': 'value', '--help': 'flag' }, { '-h': '--help' });
    if (options.flags.has('--help')) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const files = options.positional;
    if (files.length === 0) throw new UsageError('two capture files are required (A and B), or one with two capture points');
    if (files.length > 2) throw new UsageError(`unexpected argument ${files[2]}`);
    if (files.length === 2 && options.values.has('--points')) throw new UsageError('--points chooses two interfaces of one file; with two files, each file is a point');
    const offsetText = options.values.get('--clock-offset');
    const clockOffset = offsetText === undefined ? undefined : Number(offsetText);
    if (clockOffset !== undefined && (offsetText?.trim() === '' || !Number.isFinite(clockOffset))) throw new UsageError(`--clock-offset needs a number of seconds (B's clock minus A's), not "${offsetText}"`);
    let a: { point: CapturePoint; damage: string | null };
    let b: { point: CapturePoint; damage: string | null };
    let labels: [string, string];
    if (files.length === 2) {
      // B is read in another thread while A is read here (a second thread for A would only add its start-up and the copy of its connections).
      [a, b] = await Promise.all([readFileAsPoint(files[0], readPointHere), readFileAsPoint(files[1], readPoint)]);
      labels = [files[0], files[1]];
    } else {
      const both = await readPointsOfOneFile(files[0], options.values.get('--points'));
      a = { point: both.a, damage: both.damage };
      b = { point: both.b, damage: null };
      labels = both.names;
      if (!options.flags.has('--json')) process.stderr.write(`handshake compare: A is ${labels[0]}, B is ${labels[1]} (interfaces of ${files[0]})\n`);
    }
    const output = new LineOutput();
    const json = options.flags.has('--json');
    const ladder = options.flags.has('--ladder') ? true : undefined;
    const result = compareCapturePoints(a.point, b.point, clockOffset === undefined ? {} : { clockOffset }, (connection, steps) => {
      output.line(json ? JSON.stringify(connection) : `${renderComparison(connection, steps, { ladder })}\n`);
    });
    output.line(json ? JSON.stringify({ ...result.summary, a: labels[0], b: labels[1] }) : renderSummary(result.summary));
    await output.flush();
    const damaged = [a.damage, b.damage].filter((text) => text !== null);
    if (damaged.length > 0) throw new InputFileError(damaged.join('; '));
    return 0;
  } catch (error) {
    return reportCommandFailure('compare', error, USAGE);
  }
}
