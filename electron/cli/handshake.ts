/**
 * The `handshake` command: the core's public face (see README and cli.md).
 * Each subcommand returns its exit code.
 */
import { runDecode } from './commands/decode';
import { runAnalyze } from './commands/analyze';
import { runCapture } from './commands/capture';
import { runInterfaces } from './commands/interfaces';
import { runSend } from './commands/send';
import { runUi } from './commands/ui';
import { runCompare } from './commands/compare';

type Command = (argv: readonly string[]) => Promise<number>;

const COMMANDS: Record<string, { run: Command; summary: string }> = {
  decode: { run: runDecode, summary: 'decode FILE [--json] [-Y FILTER]       one line (or NDJSON object) per frame' },
  analyze: { run: runAnalyze, summary: 'analyze FILE [--json]                  every TCP connection: handshake, teardown, states' },
  capture: { run: runCapture, summary: 'capture -i IFACE [-f BPF] [-w FILE] [-c N] [-a duration:S] [--json|--events]' },
  send: { run: runSend, summary: 'send -i IFACE [--template T] [--set FIELD=VALUE]… [-c N] [--interval MS] [--wait MS]' },
  interfaces: { run: runInterfaces, summary: 'interfaces                             capture interfaces, addresses, link types' },
  compare: { run: runCompare, summary: 'compare A B [--json] [--clock-offset S]  one connection seen from two capture points' },
  ui: { run: runUi, summary: 'ui [FILE] [--port N]                   the workbench in a browser (local, token-protected)' },
};

function usage(): string {
  return ['usage: handshake COMMAND [ARGS…]', '', ...Object.values(COMMANDS).map(({ summary }) => `  handshake ${summary}`)].join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    process.stdout.write(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`handshake: unknown command "${name}"\n${usage()}\n`);
    return 2;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`handshake: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
