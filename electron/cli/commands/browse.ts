/**
 * `handshake browse URL [--browser PATH] [-i IFACE] [-w FILE] [--json]`: records one page load
 * with its TLS keys (electron/engine/page-recorder.ts, the same code the workbench's Record page
 * load runs) and prints the page-load timeline.
 */
import path from 'node:path';
import { pageLoadText } from '../../../shared/pageload';
import { pageLoadFromFile } from '../../engine/pageload-file';
import { BrowserError, findBrowser, interfaceForUrl, startPageRecording, type RunningRecording } from '../../engine/page-recorder';
import { loadKeyLogFile } from '../tls';
import { openFailure } from '../errors';
import { EXIT_OTHER, nonNegativeNumber, parseOptions, reportFailure, UsageError } from './live-options';

const USAGE =
  'usage: handshake browse URL [--browser PATH] [-i IFACE] [-w FILE] [--json] [--headless] [--quiet SECONDS] [--timeout SECONDS] [--browser-arg=ARG]…\n' +
  '       handshake browse --from-file FILE [--tls-keylog KEYS] [--json]   (the timeline of a capture made before)';

export { BrowserError, findBrowser };

export async function runBrowse(argv: readonly string[]): Promise<number> {
  let recording: RunningRecording | null = null;
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    recording?.stop();
  };
  try {
    const options = parseOptions(
      argv,
      {
        '--browser': 'value',
        '--interface': 'value',
        '--write': 'value',
        '--json': 'flag',
        '--headless': 'flag',
        '--quiet': 'value',
        '--timeout': 'value',
        '--browser-arg': 'list',
        '--from-file': 'value',
        '--tls-keylog': 'value',
        '--help': 'flag',
      },
      { '-i': '--interface', '-w': '--write', '-h': '--help' },
    );
    if (options.flags.has('--help')) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const fromFile = options.values.get('--from-file');
    if (fromFile !== undefined) {
      if (options.positional.length > 0) throw new UsageError(`--from-file reads a capture; no URL is loaded (${options.positional[0]})`);
      const keylog = options.values.get('--tls-keylog');
      const { connections, summary } = await pageLoadFromFile(fromFile, keylog === undefined ? undefined : loadKeyLogFile(keylog, 'browse')).catch((error: unknown) => {
        throw openFailure(fromFile, error);
      });
      if (options.flags.has('--json')) {
        for (const connection of connections) process.stdout.write(`${JSON.stringify(connection)}\n`);
        process.stdout.write(`${JSON.stringify({ ...summary, file: fromFile })}\n`);
      } else {
        process.stdout.write(pageLoadText(connections, summary));
      }
      return 0;
    }
    if (options.values.has('--tls-keylog')) throw new UsageError('--tls-keylog goes with --from-file (a recording makes its own key log)');
    if (options.positional.length !== 1) throw new UsageError(options.positional.length === 0 ? 'URL is required' : `unexpected argument ${options.positional[1]}`);
    let url: URL;
    try {
      url = new URL(options.positional[0]);
    } catch {
      throw new UsageError(`not a URL: ${options.positional[0]}`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`only http and https URLs can be recorded, not ${url.protocol}`);
    const quietSeconds = (nonNegativeNumber(options.values.get('--quiet'), '--quiet') as number | undefined) ?? 2;
    const timeoutSeconds = (nonNegativeNumber(options.values.get('--timeout'), '--timeout') as number | undefined) ?? 60;
    const json = options.flags.has('--json');
    const found = findBrowser(options.values.get('--browser'));

    let device = options.values.get('--interface');
    if (!device) {
      try {
        device = await interfaceForUrl(url);
      } catch (error) {
        throw new UsageError(`${(error as Error).message}; give one with -i IFACE`, [], false);
      }
    }
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const file = path.resolve(options.values.get('--write') ?? `browse-${url.hostname.replace(/[^\w.-]/g, '_')}-${new Date().toISOString().replace(/[:.]/g, '-')}.pcapng`);
    recording = await startPageRecording({
      url,
      browser: found,
      device,
      file,
      headless: options.flags.has('--headless'),
      quietSeconds,
      timeoutSeconds,
      browserArgs: options.lists.get('--browser-arg') ?? [],
      onMessage: (message) => process.stderr.write(`handshake browse: ${message}\n`),
    });
    if (interrupted) recording.stop();
    const result = await recording.done;
    const full = { ...result.summary, notes: result.notes, url: result.url, file, browser: found.path, interface: device, browser_timing: result.browserTiming };
    if (json) {
      for (const connection of result.connections) process.stdout.write(`${JSON.stringify(connection)}\n`);
      process.stdout.write(`${JSON.stringify(full)}\n`);
    } else {
      process.stdout.write(pageLoadText(result.connections, { ...result.summary, notes: result.notes }));
    }
    process.stderr.write(`handshake browse: ${result.frames} frames written to ${file} with the TLS secrets embedded\n`);
    if (result.captureEnd) {
      process.stderr.write(`handshake browse: ${result.captureEnd}\n`);
      return EXIT_OTHER;
    }
    return 0;
  } catch (error) {
    if (error instanceof BrowserError) {
      process.stderr.write(`handshake browse: ${error.message}\n`);
      return EXIT_OTHER;
    }
    return reportFailure('browse', error, USAGE);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
