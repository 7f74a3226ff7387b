/**
 * `decode --json` writes each frame's line from its decoded layers (no object, no
 * JSON.stringify). It must print exactly what the object path prints: the same run with a
 * display filter that keeps every frame (`-Y frame`) builds the object and serializes it.
 * Every line must also be what JSON.stringify makes of it (V8 as the formatting oracle).
 * Captures: Scapy-built frames over every tunnel and link type the decoder reads, IP fragments,
 * random well-formed frames, and a file with SACK, TLS, DNS, HTTP with quotes and non-ASCII text.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCli, runCliSync } from '../../support/cli';
import { CORPUS_SCRIPT, ENCAP_CORPUS_SCRIPT, runPythonFile, scapyAvailable, tempDir } from '../../unit/wire/oracle/oracle';

const directory = scapyAvailable ? tempDir('json-lines-') : '';
if (scapyAvailable) {
  runPythonFile(path.join(__dirname, 'json-lines.py'), [directory]);
  runPythonFile(ENCAP_CORPUS_SCRIPT, [directory]);
  runPythonFile(path.join(__dirname, '..', '..', 'unit', 'reassembly', 'fragments.py'), [directory]);
  runPythonFile(CORPUS_SCRIPT, ['--random', '400', '11', directory]);
}
const files = scapyAvailable ? readdirSync(directory).filter((name) => /\.pcap(ng)?$/.test(name)).sort() : [];

describe.skipIf(!scapyAvailable)('decode --json line writer (skipped: needs python3-scapy)', () => {
  const cli = scapyAvailable ? buildCli() : '';

  it('has a varied set of captures', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  it.each(files)('%s: byte for byte the object path, every line canonical JSON', (name) => {
    const file = path.join(directory, name);
    const direct = runCliSync(cli, ['decode', file, '--json']);
    const object = runCliSync(cli, ['decode', file, '--json', '-Y', 'frame']);
    expect(direct.code).toBe(object.code);
    expect(direct.stdout).toBe(object.stdout);
    const lines = direct.stdout.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toBe(JSON.stringify(JSON.parse(line)));
  });

  it('the varied capture reaches the keys that take the object path or escape text', () => {
    const out = runCliSync(cli, ['decode', path.join(directory, 'varied.pcap'), '--json']).stdout;
    for (const key of ['tcp.options.sack_le_raw', 'tls.handshake.extensions_server_name', 'dns.qry.name', 'http.user_agent', '"vlan.id"']) expect(out).toContain(key);
    expect(out).toContain('"http.request.uri":["/a\\"b\\\\c"]');
    expect(out).toMatch(/[^\x00-\x7f]/); // header text beyond ASCII, written as UTF-8
  });

  it('analyze --json lines are canonical JSON', () => {
    const out = runCliSync(cli, ['analyze', path.join(directory, 'varied.pcap'), '--json']).stdout.trim().split('\n');
    expect(out.length).toBeGreaterThan(2);
    for (const line of out) expect(line).toBe(JSON.stringify(JSON.parse(line)));
  });
});
