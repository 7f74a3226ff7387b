/**
 * Display filters a hostile or careless user can type (issue 11): `matches` runs in linear
 * time (RE2) with tshark's semantics (case-insensitive unless `(?-i)`, text and bytes
 * only), nesting is bounded with a clear error, and real Wireshark fields we do not decode
 * are told apart from typos. tshark -Y is the oracle for which frames match.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Backend } from '../../../electron/engine/backend';
import { compileFilter, FILTER_OPTIONS, MAX_FILTER_DEPTH } from '../../../shared/filter';
import { buildCli, runCliSync } from '../../support/cli';
import { haveScapy, haveTshark, run, SYSTEM_PYTHON } from '../files/tools';

const SCRIPT = path.resolve(__dirname, '../../fixtures/scripts/sni_names.py');
// 29 bytes each: the second makes a backtracking engine try 2^28 ways before it fails.
const NAMES = ['a'.repeat(29), `${'a'.repeat(28)}!`, 'Example.COM', 'www.example.com'];

const nested = (depth: number) => `${'('.repeat(depth)}tcp${')'.repeat(depth)}`;

describe('matches: linear time, whatever the pattern', () => {
  it('^(a|a)+$ against a 29-byte name that almost matches answers at once', () => {
    const compiled = compileFilter('tls.handshake.extensions_server_name matches "^(a|a)+$"', FILTER_OPTIONS);
    if (!compiled.ok) throw new Error(compiled.error.message);
    const started = performance.now();
    for (const name of NAMES) compiled.filter.test((field) => (field === 'tls.handshake.extensions_server_name' ? name : undefined));
    // A backtracking engine needs seconds to minutes here; RE2 needs microseconds. The bound allows a loaded machine.
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('refuses what RE2 does not have (lookaround, backreferences) with the reason, on one line', () => {
    for (const pattern of ['(?=a)b', '(a)\\\\1']) {
      const compiled = compileFilter(`tls.handshake.extensions_server_name matches "${pattern}"`, FILTER_OPTIONS);
      expect(compiled.ok).toBe(false);
      if (!compiled.ok) {
        expect(compiled.error.message).toMatch(/^invalid regular expression: /);
        expect(compiled.error.message).not.toContain('\n');
      }
    }
  });
});

describe('nesting is bounded', () => {
  it(`accepts ${MAX_FILTER_DEPTH} levels and refuses 2040 with a message, not a stack overflow`, () => {
    expect(compileFilter(nested(MAX_FILTER_DEPTH), FILTER_OPTIONS).ok).toBe(true);
    const deep = compileFilter(nested(2040), FILTER_OPTIONS);
    expect(deep.ok).toBe(false);
    if (!deep.ok) expect(deep.error.message).toMatch(/nests deeper than 256 levels/);
    const nots = compileFilter(`${'!'.repeat(5000)}tcp`, FILTER_OPTIONS);
    expect(nots.ok).toBe(false);
  });

  it('a chain of 50,000 alternatives stays flat and evaluates', () => {
    const compiled = compileFilter(Array.from({ length: 50_000 }, (_, i) => `tcp.port == ${i}`).join(' || '), FILTER_OPTIONS);
    if (!compiled.ok) throw new Error(compiled.error.message);
    expect(compiled.filter.test((name) => (name === 'tcp.srcport' ? 49_999 : undefined))).toBe(true);
  });
});

describe('real Wireshark fields are not typos', () => {
  it('http.authcitrix.user is a Wireshark field this version does not decode', () => {
    const result = compileFilter('http.authcitrix.user == "example"', FILTER_OPTIONS);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.message).toBe("'http.authcitrix.user' is a Wireshark field this version does not decode");
      expect(result.error.message).not.toMatch(/did you mean/);
    }
  });

  it('a typo gets "not a known field name" and a suggestion after it', () => {
    const result = compileFilter('tcp.prot == 80', FILTER_OPTIONS);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.message).toBe("'tcp.prot' is not a known field name");
      expect(result.error.hint).toBe("did you mean 'tcp.port'?");
    }
    const flags = compileFilter('tcp.flgs.syn == 1', FILTER_OPTIONS);
    if (!flags.ok) expect(flags.error.hint).toBe("did you mean 'tcp.flags.syn'?");
    const nothing = compileFilter('zzzzqqq == 1', FILTER_OPTIONS);
    if (!nothing.ok) expect(nothing.error.hint).toBeUndefined();
  });
});

describe.skipIf(!haveTshark || !haveScapy)('matches and its refusals agree with tshark -Y', () => {
  let dir = '';
  let capture = '';
  let backend: Backend;
  let sessionId = '';
  let cli = '';

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hs-host-filter-'));
    capture = path.join(dir, 'sni.pcap');
    run(SYSTEM_PYTHON, [SCRIPT, capture, ...NAMES]);
    backend = new Backend({ host: 'browser', version: 'test' });
    sessionId = (await backend.openFile(capture)).sessionId;
    cli = buildCli();
  });
  afterAll(async () => {
    await backend?.dispose();
    rmSync(dir, { recursive: true, force: true });
    rmSync(cli, { force: true });
  });

  const tsharkFrames = (filter: string) =>
    run('tshark', ['-r', capture, '-Y', filter, '-T', 'fields', '-e', 'frame.number']).stdout.split('\n').filter(Boolean).map(Number);

  for (const filter of [
    'tls.handshake.extensions_server_name matches "^(a|a)+$"',
    'tls.handshake.extensions_server_name ~ "example"',
    'tls.handshake.extensions_server_name matches "^EXAMPLE\\\\.com$"',
    'tls.handshake.extensions_server_name matches "(?-i)example"',
    'tls.handshake.extensions_server_name matches "a{28}!"',
    'frame matches "EXAMPLE"',
    'tcp.payload matches "(?-i)Example"',
  ]) {
    it(`${filter}: the frames tshark selects`, async () => {
      const expected = tsharkFrames(filter);
      expect(expected.length, 'tshark selects some frames').toBeGreaterThan(0);
      const rows = await backend.handlers.getRows({ sessionId, start: 0, count: 1000, filter });
      expect(rows.rows.map((row) => row.number)).toEqual(expected);
    });
  }

  for (const filter of ['tcp.port matches "443"', 'ip.src matches "198"', 'tcp.flags.syn matches "1"']) {
    it(`${filter}: refused, as tshark refuses it (exit 2, one line first)`, () => {
      const tshark = spawnSync('tshark', ['-r', capture, '-Y', filter], { encoding: 'utf8' });
      expect(tshark.status).not.toBe(0);
      expect(tshark.stderr).toMatch(/cannot participate in matches comparison/);
      const ours = runCliSync(cli, ['decode', capture, '-Y', filter]);
      expect(ours.code).toBe(2);
      expect(ours.stderr.split('\n')[0]).toMatch(/^handshake decode: bad display filter at character 1: '.+' is (a number|an address|a boolean), and 'matches' works on text and bytes only$/);
    });
  }

  it('2040 nested parentheses: CLI exit 2 with a message (tshark refuses it too)', () => {
    const tshark = spawnSync('tshark', ['-r', capture, '-Y', nested(2040)], { encoding: 'utf8' });
    expect(tshark.status).not.toBe(0);
    const ours = runCliSync(cli, ['decode', capture, '-Y', nested(2040)]);
    expect(ours.code).toBe(2);
    expect(ours.stderr.split('\n')[0]).toMatch(/^handshake decode: bad display filter at character \d+: the filter nests deeper than 256 levels/);
    expect(ours.stderr).not.toMatch(/RangeError|Maximum call stack/);
    // The echo of the filter is cut to a window around the problem.
    expect(ours.stderr.length).toBeLessThan(1000);
  });

  it('http.authcitrix.user through the CLI: the Wireshark-field message on the first line', () => {
    const ours = runCliSync(cli, ['decode', capture, '-Y', 'http.authcitrix.user == "x"']);
    expect(ours.code).toBe(2);
    expect(ours.stderr.split('\n')[0]).toBe("handshake decode: bad display filter at character 1: 'http.authcitrix.user' is a Wireshark field this version does not decode");
  });
});
