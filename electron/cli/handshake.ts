/**
 * The `handshake` command: the core's public face (see README and cli.md).
 * Each subcommand returns its exit code.
 */
import { writeError } from './errors';
import { POINT_WORKER_ROLE } from '../engine/point-worker-role';

type Command = (argv: readonly string[]) => Promise<number>;

const COMMANDS: Record<string, { run: Command; summary: string }> = {
  decode: { run: (argv) => import('./commands/decode').then((m) => m.runDecode(argv)), summary: 'decode FILE [--json] [-Y FILTER]       one line (or NDJSON object) per frame' },
  analyze: { run: (argv) => import('./commands/analyze').then((m) => m.runAnalyze(argv)), summary: 'analyze FILE [--json]                  every TCP connection: handshake, teardown, states' },
  capture: { run: (argv) => import('./commands/capture').then((m) => m.runCapture(argv)), summary: 'capture -i IFACE [-f BPF] [-w FILE] [-c N] [-a duration:S] [--json|--events]' },
  send: { run: (argv) => import('./commands/send').then((m) => m.runSend(argv)), summary: 'send -i IFACE [--template T] [--set FIELD=VALUE]… [-c N] [--interval MS] [--wait MS]' },
  run: { run: (argv) => import('./commands/run').then((m) => m.runRun(argv)), summary: 'run SCRIPT -i IFACE --local ADDR[:PORT] --remote ADDR:PORT [--tolerance MS] [--json] [-w FILE]' },
  connect: { run: (argv) => import('./commands/endpoint').then((m) => m.runConnect(argv)), summary: 'connect ADDR:PORT -i IFACE --local ADDR[:PORT] [--send TEXT] [--receive-to FILE] [--close fin|rst] [--retransmit] [--json]' },
  listen: { run: (argv) => import('./commands/endpoint').then((m) => m.runListen(argv)), summary: 'listen ADDR:PORT -i IFACE [--send TEXT] [--receive-to FILE] [--close fin|rst] [--retransmit] [--json]' },
  interfaces: { run: (argv) => import('./commands/interfaces').then((m) => m.runInterfaces(argv)), summary: 'interfaces                             capture interfaces, addresses, link types' },
  follow: { run: (argv) => import('./commands/follow').then((m) => m.runFollow(argv)), summary: 'follow FILE (--stream N | --tls-stream N | --http2-stream N:ID | --udp-stream N | --quic-stream N:ID | --http3-stream N:ID) [--format ascii|hex|raw] [-o FILE]' },
  flow: { run: (argv) => import('./commands/flow').then((m) => m.runFlow(argv)), summary: 'flow FILE [-Y FILTER] [--format text|svg|plantuml|mermaid] [-o FILE] [--addresses|--endpoints]  flow graph of every TCP connection' },
  compare: { run: (argv) => import('./commands/compare').then((m) => m.runCompare(argv)), summary: 'compare A B [--json] [--clock-offset S]  one connection seen from two capture points' },
  browse: { run: (argv) => import('./commands/browse').then((m) => m.runBrowse(argv)), summary: 'browse URL [--browser PATH] [-i IFACE] [-w FILE] [--json]  record a page load with its TLS keys; its timeline' },
  ui: { run: (argv) => import('./commands/ui').then((m) => m.runUi(argv)), summary: 'ui [FILE] [--port N]                   the workbench in a browser (local, token-protected)' },
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
    writeError(null, `unknown command "${name}"`, ['run `handshake --help` for the list of commands']);
    return 2;
  }
  return command.run(rest);
}

// The bundle also runs as compare's file-reading thread (electron/engine/point-reader.ts), which
// is started with its role as first argument: only then is the worker code loaded.
if (process.argv[2] === POINT_WORKER_ROLE) {
  void import('../engine/point-reader').then(({ servePointWorker }) => {
    if (!servePointWorker()) runMain();
  });
} else {
  runMain();
}

function runMain(): void {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      // A bug, not a user error: the stack follows the one-line reason.
      writeError(null, error instanceof Error ? `internal error: ${error.message}` : String(error), error instanceof Error && error.stack ? error.stack.split('\n').slice(1) : []);
      process.exitCode = 1;
    },
  );
}
