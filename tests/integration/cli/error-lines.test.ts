/**
 * The CLI's error contract (cli.md): the first stderr line is the whole error on its own
 * (`handshake COMMAND: reason`), with the documented exit code; anything after it is an
 * indented hint (usage, where in a filter, how to fix).
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHelper } from '../capture/support';
import { buildCli, runCliSync } from '../../support/cli';

const canDropCapabilities = process.platform === 'linux' && process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;

function expectErrorShape(stderr: string, firstLine: RegExp): string[] {
  const lines = stderr.replace(/\n$/, '').split('\n');
  expect(lines[0]).toMatch(firstLine);
  for (const hint of lines.slice(1)) expect(hint, stderr).toMatch(/^ {2}.*\S/);
  return lines;
}

describe('error lines of the handshake command', () => {
  let cli: string;
  let helper: string;
  beforeAll(() => {
    cli = buildCli();
    helper = buildHelper();
  });
  afterAll(() => {
    rmSync(cli, { force: true });
    rmSync(helper, { force: true });
  });

  it.each([
    [['decode'], /^handshake decode: FILE is required$/],
    [['decode', 'x.pcap', '--bogus'], /^handshake decode: unknown option --bogus$/],
    [['analyze', 'x.pcap', '--msl', 'soon'], /^handshake analyze: --msl needs a non-negative number, not "soon"$/],
    [['capture'], /^handshake capture: -i IFACE is required \(see `handshake interfaces`\)$/],
    [['send', '-i', 'lo', '--template', 'nope'], /^handshake send: unknown template "nope"/],
    [['ui', '--port', 'x'], /^handshake ui: --port needs a number 0-65535$/],
  ])('usage error %j: exit 2, one line, then the usage as an indented hint', (args, firstLine) => {
    const result = runCliSync(cli, args);
    expect(result.code).toBe(2);
    const lines = expectErrorShape(result.stderr, firstLine);
    expect(lines.slice(1).some((line) => line.startsWith(`  usage: handshake ${args[0]} `))).toBe(true);
  });

  it('an unknown command is one line, with a one-line hint instead of the whole usage', () => {
    const result = runCliSync(cli, ['frobnicate']);
    expect(result.code).toBe(2);
    expect(expectErrorShape(result.stderr, /^handshake: unknown command "frobnicate"$/)).toHaveLength(2);
  });

  it('a bad display filter: the reason first, then the filter and a caret under the column', () => {
    const result = runCliSync(cli, ['decode', 'x.pcap', '-Y', 'tcp.port ==']);
    expect(result.code).toBe(2);
    const lines = expectErrorShape(result.stderr, /^handshake decode: bad display filter at character 12: /);
    expect(lines.slice(1)).toEqual(['  tcp.port ==', `  ${' '.repeat(11)}^`]);
  });

  it('a missing file: exit 3, one line', () => {
    const result = runCliSync(cli, ['decode', '/nonexistent/x.pcap']);
    expect(result.code).toBe(3);
    expect(result.stderr).toBe('handshake decode: /nonexistent/x.pcap: no such file\n');
  });

  it.skipIf(!canDropCapabilities)('no capture permission: exit 4, the reason on one line, how to fix indented', () => {
    const result = runCliSync(cli, ['capture', '-i', 'lo', '-c', '1'], {
      HANDSHAKE_HELPER_PATH: helper,
      HANDSHAKE_HELPER_LAUNCHER: 'setpriv --inh-caps=-all --bounding-set=-all',
    });
    expect(result.code).toBe(4);
    const lines = expectErrorShape(result.stderr, /^handshake capture: no permission to capture on lo: .*Operation not permitted$/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^ {2}how to fix: Capture needs CAP_NET_RAW and CAP_NET_ADMIN/);
  });
});
