/**
 * `handshake ui [FILE] [--port N]`: starts the browser host. The first stdout line is
 * the full URL with the token; it serves until killed.
 */
import { startHost } from '../../host/server';
import { writeError } from '../errors';

const USAGE = 'usage: handshake ui [FILE] [--port N] [--tls-keylog FILE] [--ssh-config FILE]';

export async function runUi(argv: readonly string[]): Promise<number> {
  let port = 0;
  let file: string | undefined;
  let tlsKeylog: string | undefined;
  let sshConfig: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--port' || arg.startsWith('--port=')) {
      const text = arg === '--port' ? argv[++i] : arg.slice('--port='.length);
      if (text === undefined || !/^\d+$/.test(text) || Number(text) > 65535) {
        writeError('ui', `--port needs a number 0-65535`, [USAGE]);
        return 2;
      }
      port = Number(text);
    } else if (arg === '--tls-keylog' || arg.startsWith('--tls-keylog=')) {
      tlsKeylog = arg === '--tls-keylog' ? argv[++i] : arg.slice('--tls-keylog='.length);
      if (!tlsKeylog) {
        process.stderr.write(`handshake ui: --tls-keylog needs a key-log file\n${USAGE}\n`);
        return 2;
      }
    } else if (arg === '--ssh-config' || arg.startsWith('--ssh-config=')) {
      sshConfig = arg === '--ssh-config' ? argv[++i] : arg.slice('--ssh-config='.length);
      if (!sshConfig) {
        writeError('ui', '--ssh-config needs an ssh config file (used for remote capture points)', [USAGE]);
        return 2;
      }
    } else if (arg === '-h' || arg === '--help') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    } else if (arg.startsWith('-')) {
      writeError('ui', `unknown option ${arg}`, [USAGE]);
      return 2;
    } else if (file === undefined) {
      file = arg;
    } else {
      writeError('ui', `only one FILE may be given`, [USAGE]);
      return 2;
    }
  }
  let host;
  try {
    if (tlsKeylog !== undefined && file === undefined) {
      process.stderr.write(`handshake ui: --tls-keylog needs a capture FILE to attach it to\n${USAGE}\n`);
      return 2;
    }
    host = await startHost({ port, file, tlsKeylog, sshConfig });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const code = (error as NodeJS.ErrnoException).code;
    process.stderr.write(`handshake ui: ${message}\n`);
    // A file that cannot be opened is exit 3; anything else (port in use …) is 1.
    return file !== undefined && code !== 'EADDRINUSE' && code !== 'EACCES' ? 3 : 1;
  }
  process.stdout.write(`${host.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await host.close();
  return 0;
}
