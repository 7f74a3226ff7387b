/**
 * Running `handshake run` in a test lab: the command (bundled as shipped) runs with its helper
 * in the client namespace, the peer under test is the real Linux kernel in the server namespace.
 */
import path from 'node:path';
import { bundleForTest } from '../../support/bundle';
import { ROOT, runLiveCli, type CliResult } from '../capture/support';

export const LIBRARY = path.join(ROOT, 'shared', 'conversation', 'library');
/** An address in the lab's subnet that the client namespace's kernel does not own: our endpoint answers ARP for it. */
export const UNOWNED_LOCAL = '198.18.0.11';

export function buildAnalyzeCli(): string {
  return bundleForTest('analyze-cli', {
    source: `
      import { runAnalyze } from './electron/cli/commands/analyze';
      runAnalyze(process.argv.slice(2)).then((code) => { process.exitCode = code; });
    `,
  });
}

export function buildRunCli(): string {
  return bundleForTest('run-cli', {
    source: `
      import { runRun } from './electron/cli/commands/run';
      runRun(process.argv.slice(2)).then((code) => { process.exitCode = code; });
    `,
  });
}

export function runScript(cli: string, helperPath: string, ns: string, args: string[]): Promise<CliResult> {
  return runLiveCli(cli, helperPath, ns, args);
}

export interface StepRecord {
  line: number;
  dir: '<' | '>';
  expected: string;
  actual: string | null;
  ok: boolean;
  time: number | null;
  reason?: string;
  state: string;
}

export interface SummaryRecord {
  type: 'summary';
  ok: boolean;
  failed_line: number | null;
  reason: string | null;
  skipped: Array<{ line: number; reason: string; text: string }>;
  negotiated: { mss: number | null; sack: boolean; windowScale: { ours: number; peers: number } | null; timestamps: boolean };
  state: string;
  frames?: number;
}

export function parseRun(stdout: string): { steps: StepRecord[]; summary: SummaryRecord } {
  const records = stdout
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const summary = records.find((record) => record.type === 'summary') as unknown as SummaryRecord | undefined;
  if (!summary) throw new Error(`no summary in: ${stdout}`);
  return { steps: records.filter((record) => record.type === undefined) as unknown as StepRecord[], summary };
}

/** The peer's servers, one per port, each behaving as a shipped script's second comment line says. */
export function peerServersScript(host: string, ports: Record<string, number> & { echo?: number }): string {
  return `
    const net = require('net');
    const listen = (port, options, onSocket) => {
      const server = net.createServer(options, (socket) => { socket.on('error', () => {}); onSocket(socket); });
      server.listen(port, '${host}', () => console.log('listening ' + port));
    };
    listen(${ports.silent}, {}, (socket) => socket.resume());
    listen(${ports.halfClose}, { allowHalfOpen: true }, (socket) => {
      socket.resume();
      socket.on('end', () => setTimeout(() => { socket.write('late'); setTimeout(() => socket.end(), 100); }, 100));
    });
    listen(${ports.keepalive}, {}, (socket) => { socket.setKeepAlive(true, 1000); socket.resume(); });
    listen(${ports.hello}, {}, (socket) => { socket.write('hello'); socket.resume(); });
    listen(${ports.closeAtOnce}, {}, (socket) => socket.end());
    if (${ports.echo ?? 0}) listen(${ports.echo ?? 0}, {}, (socket) => socket.on('data', (data) => socket.write('pong:' + data)));
  `;
}
