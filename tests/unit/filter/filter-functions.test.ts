/**
 * Slices and functions in display filters (issue 15): `field[i:n]`, `[i-j]`, `[i]`, `[i:]`,
 * negative offsets, `len()`, `count()`, `upper()`, `lower()`, each checked frame for frame
 * against tshark -Y on a Scapy-built capture, and the refusals tshark makes (slicing a
 * number, upper() of a number) refused here too.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Backend } from '../../../electron/engine/backend';
import { compileFilter, FILTER_OPTIONS } from '../../../shared/filter';
import { haveScapy, haveTshark, run, SYSTEM_PYTHON } from '../files/tools';

const SCRIPT = path.resolve(__dirname, '../../fixtures/scripts/sni_names.py');

describe('slices and functions: parse errors', () => {
  for (const [filter, message] of [
    ['tcp.srcport[0:1] == 9c', "'tcp.srcport' is a number and cannot be sliced into bytes"],
    ['upper(tcp.port) == 1', "upper() takes a text field; 'tcp.port' is a number"],
    ['eth.src[a] == 00', "'a' is not a byte range: write start:length, start-end, start or start:"],
    ['len(eth.src', 'len( is never closed: expected \')\' after the field'],
    ['len(eth.src)', 'len() gives a value: compare it (len(eth.src) == …)'],
  ] as const) {
    it(`${filter}: ${message}`, () => {
      const result = compileFilter(filter, FILTER_OPTIONS);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.message).toBe(message);
    });
  }

  it('tshark refuses the same two (slicing a number, upper() of a number)', () => {
    if (!haveTshark) return;
    for (const filter of ['tcp.srcport[0:1] == 9c', 'upper(tcp.port) == 1']) {
      const result = spawnSync('tshark', ['-r', '/dev/null', '-Y', filter], { encoding: 'utf8' });
      expect(result.status, filter).not.toBe(0);
    }
  });
});

describe.skipIf(!haveTshark || !haveScapy)('slices and functions select the frames tshark -Y selects', () => {
  let dir = '';
  let capture = '';
  let backend: Backend;
  let sessionId = '';

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hs-host-fn-'));
    capture = path.join(dir, 'sni.pcap');
    run(SYSTEM_PYTHON, [SCRIPT, capture, 'Example.COM', 'www.example.com', 'xn--bcher-kva.example']);
    backend = new Backend({ host: 'browser', version: 'test' });
    sessionId = (await backend.openFile(capture)).sessionId;
  });
  afterAll(async () => {
    await backend?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const filter of [
    'eth.src[0:3] == 00:11:22',
    'eth.src[1-2] == 11:22',
    'eth.dst[-1] == bb',
    'eth.src[:3] == 00-11-22',
    'eth.src[3:] == 33:44:55',
    'ip.src[0:2] == c6:12',
    'ip.dst[3] == 02',
    'frame[12:2] == 08:00',
    'frame[-2:] == 00:00',
    'tcp.payload[0:2] == 16:03',
    'tcp.payload[0:2] matches "\\x16"',
    'tcp.payload[500:2] == 00:00 || tcp.flags.syn == 1',
    'tls.handshake.extensions_server_name[0:3] == "www"',
    'eth.src[0:3]',
    'len(tls.handshake.extensions_server_name) == 11',
    'len(tcp.payload) > 100',
    'len(eth.src) == 6',
    'len(ip.src) == 4',
    'len(tcp.srcport) == 2',
    'len(frame) == 54',
    'len(frame.len) == 4',
    'count(tcp.port) == 2',
    'count(ip.addr) == 2',
    'count(tls.handshake.extensions_server_name) == 1',
    'upper(tls.handshake.extensions_server_name) == "EXAMPLE.COM"',
    'lower(tls.handshake.extensions_server_name) contains "example"',
    'upper(tls.handshake.extensions_server_name) contains "EXAMPLE"',
    'lower(tls.handshake.extensions_server_name) == "www.example.com"',
  ]) {
    it(filter, async () => {
      const expected = run('tshark', ['-r', capture, '-Y', filter, '-T', 'fields', '-e', 'frame.number']).stdout.split('\n').filter(Boolean).map(Number);
      const rows = await backend.handlers.getRows({ sessionId, start: 0, count: 1000, filter });
      expect(rows.rows.map((row) => row.number)).toEqual(expected);
    });
  }
});
