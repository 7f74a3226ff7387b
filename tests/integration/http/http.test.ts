/**
 * HTTP/1.1 and HTTP/2 end to end, as users run them: real connections between Node's http2,
 * http and https stacks (HTTP/2 over TLS with ALPN h2, prior-knowledge h2c, HTTP/1.1 cleartext
 * and over TLS) captured by tcpdump in a namespace lab (tests/fixtures/http), read by
 * `handshake decode/analyze --tls-keylog`, and held against tshark given the same key log,
 * frame by frame: the rows tshark shows as HTTP/HTTP2 (Protocol and Info columns) and the
 * HTTP fields of every frame. The requests analyze reports are held against the peers' own log.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, ndjson, runCliSync } from '../../support/cli';
import { hasTshark } from '../capture/support';
import { captureHttpLab, httpLabUnavailable, type HttpLabCapture } from '../../fixtures/http/http-capture';
import { TSHARK_REASSEMBLY } from '../../support/tshark-preferences';

const hasScapy = spawnSync('/usr/bin/python3', ['-c', 'import scapy.all'], { stdio: 'ignore' }).status === 0;
const unavailable = httpLabUnavailable() ?? (hasTshark ? null : 'needs tshark as the oracle');
/** tshark reads h2c on a port only when told (it has no HTTP/2 port of its own); HTTP on 80 and h2 by ALPN it finds itself. */
const TSHARK_H2C = [...TSHARK_REASSEMBLY, '-d', 'tcp.port==8080,http2'];

const FIELDS = [
  'http2.magic',
  'http2.type',
  'http2.streamid',
  'http2.length',
  'http2.flags',
  'http2.flags.end_stream',
  'http2.flags.eh',
  'http2.flags.ack.settings',
  'http2.header.name',
  'http2.header.value',
  'http2.header.repr',
  'http2.header.index',
  'http2.header.count',
  'http2.headers.method',
  'http2.headers.path',
  'http2.headers.authority',
  'http2.headers.scheme',
  'http2.headers.status',
  'http2.headers.content_type',
  'http2.headers.user_agent',
  'http2.request.full_uri',
  'http2.settings.id',
  'http2.settings.initial_window_size',
  'http2.settings.max_frame_size',
  'http2.settings.max_concurrent_streams',
  'http2.settings.header_table_size',
  'http2.settings.enable_push',
  'http2.window_update.window_size_increment',
  'http2.rst_stream.error',
  'http2.goaway.error',
  'http2.goaway.last_stream_id',
  'http2.ping',
  'http2.pong',
  'http.request.method',
  'http.request.uri',
  'http.request.version',
  'http.request.line',
  'http.request.full_uri',
  'http.response.version',
  'http.response.code',
  'http.response.phrase',
  'http.response.line',
  'http.host',
  'http.user_agent',
  'http.content_type',
  'http.content_length',
  'http.content_length_header',
  'http.transfer_encoding',
  'http.chunk_size',
];

/** tshark -T fields' spelling: CR/LF escaped, flags in hex, booleans 1/0. */
function tsharkText(field: string, value: unknown): string {
  if (value === undefined) return '';
  const list = Array.isArray(value) ? value : [value];
  return list
    .map((v) => {
      if (typeof v === 'boolean') return v ? '1' : '0';
      if (field === 'http2.flags') return `0x${Number(v).toString(16).padStart(2, '0')}`;
      return String(v).replace(/\r/g, '\\r').replace(/\n/g, '\\n');
    })
    .join(',');
}

function tsharkFieldRows(lab: HttpLabCapture): Map<number, string[]> {
  const args = ['-o', `tls.keylog_file:${lab.keylogFile}`, ...TSHARK_H2C, '-r', lab.file, '-Y', 'http || http2', '-T', 'fields', '-E', 'separator=\t', '-E', 'aggregator=,', '-e', 'frame.number', ...FIELDS.flatMap((f) => ['-e', f])];
  const rows = new Map<number, string[]>();
  for (const line of execFileSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')) {
    if (!line) continue;
    const [number, ...values] = line.split('\t');
    rows.set(Number(number), values);
  }
  return rows;
}

describe.skipIf(unavailable !== null)('HTTP/1.1 and HTTP/2 (real stacks, tshark with the same key log as the oracle)', { timeout: 240_000 }, () => {
  let lab: HttpLabCapture;
  let cli: string;
  let ours: Array<Record<string, unknown>>;
  let theirs: Map<number, string[]>;

  beforeAll(async () => {
    cli = buildCli();
    lab = await captureHttpLab();
    const run = runCliSync(cli, ['decode', lab.file, '--json', '--tls-keylog', lab.keylogFile, '-Y', 'http || http2']);
    expect(run.code, run.stderr).toBe(0);
    ours = ndjson(run.stdout);
    theirs = tsharkFieldRows(lab);
  }, 240_000);
  afterAll(() => lab?.cleanup());

  it('shows the frames tshark shows as HTTP and HTTP2, with its Protocol and Info columns', () => {
    const theirs = execFileSync('tshark', ['-o', `tls.keylog_file:${lab.keylogFile}`, ...TSHARK_H2C, '-r', lab.file, '-Y', 'http || http2', '-T', 'fields', '-E', 'separator=\t', '-e', 'frame.number', '-e', '_ws.col.Protocol', '-e', '_ws.col.Info'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .split('\n')
      .filter(Boolean);
    const run = runCliSync(cli, ['decode', lab.file, '--tls-keylog', lab.keylogFile, '-Y', 'http || http2']);
    expect(run.code, run.stderr).toBe(0);
    const mine = run.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const match = /^\s*(\d+)\s+\S+\s+\S+ → \S+ (\S+) \d+ (.*)$/.exec(line);
        return match ? `${match[1]}\t${match[2]}\t${match[3]}` : line;
      });
    expect(mine).toEqual(theirs);
    // The capture holds what the comparison is meant to cover.
    const infos = theirs.join('\n');
    for (const text of ['Magic', 'SETTINGS[0]', 'WINDOW_UPDATE[0]', 'HEADERS[1]: GET /', 'HEADERS[1]: 200 OK', 'DATA[3]', 'RST_STREAM[11]', 'GOAWAY[0]', 'PING[0]', 'GET /chunked HTTP/1.1', 'HTTP/1.1 404 Not Found', 'POST /form HTTP/1.1', '[TLS segment of a reassembled PDU]']) {
      expect(infos, text).toContain(text);
    }
  });

  it.skipIf(!hasScapy)('a segment that arrives late is put into its gap: the message it completes, or the TLS flight it starts, reads as tshark reads it', () => {
    // Made from the lab's capture: a bulk response's middle segment moved after the rest of its
    // burst (HTTP/1.1 on 80, HTTP/2 over TLS on 8443), and a TLS server's first flight arriving
    // after its continuation. tshark reassembles out-of-order segments with TSHARK_REASSEMBLY.
    for (const [port, mode] of [[80, 'bulk'], [8443, 'bulk'], [8443, 'first-flight']] as const) {
      const reordered = path.join(lab.dir, `late-${port}-${mode}.pcap`);
      const moved = Number(execFileSync('/usr/bin/python3', [path.join(__dirname, '../../fixtures/http/reorder.py'), lab.file, reordered, String(port), mode], { encoding: 'utf8' }).trim());
      const filter = `tcp.port == ${port} && (http || http2 || frame.number == ${moved})`;
      const theirs = execFileSync('tshark', ['-o', `tls.keylog_file:${lab.keylogFile}`, ...TSHARK_H2C, '-r', reordered, '-Y', filter, '-T', 'fields', '-E', 'separator=\t', '-e', 'frame.number', '-e', '_ws.col.Info'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
        .split('\n')
        .filter(Boolean);
      const run = runCliSync(cli, ['decode', reordered, '--tls-keylog', lab.keylogFile, '-Y', filter]);
      expect(run.code, run.stderr).toBe(0);
      const mine = run.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const match = /^\s*(\d+)\s+\S+\s+\S+ → \S+ \S+ \d+ (.*)$/.exec(line);
          return match ? `${match[1]}\t${match[2]}` : line;
        });
      // Where one late segment completes several records, tshark's Info words the pieces
      // unevenly (", DATA[3], DATA[3]" with an empty first item; reassembly notes on some): compare
      // the frames, their analysis flag and the messages each shows.
      const messages = (row: string) => {
        const [frame, info = ''] = row.split('\t');
        const flag = /^\[TCP [^\]]+\]/.exec(info)?.[0] ?? '';
        const items = info.slice(flag.length).replace(/\[(TLS|TCP) segment of a reassembled PDU\]/g, '').split(',').map((item) => item.trim()).filter(Boolean);
        return `${frame}\t${flag}\t${items.join(', ')}`;
      };
      expect(mine.map(messages), `${port} ${mode}`).toEqual(theirs.map(messages));
      // The moved segment is flagged, and what it completes or starts was read.
      const late = theirs.find((row) => row.startsWith(`${moved}\t`)) ?? '';
      expect(late, `${port} ${mode}`).toMatch(/Out-Of-Order|Retransmission/);
      expect(theirs.filter((row) => /HTTP\/1\.1 200 OK|HEADERS\[\d+\]: 200 OK/.test(row)).length, `${port} ${mode}: ${theirs.join(' / ')}`).toBeGreaterThan(0);
    }
  });

  it('decode --json agrees with tshark field by field on every HTTP frame', () => {
    const differences: string[] = [];
    expect(ours.map((o) => o['frame.number'])).toEqual([...theirs.keys()]);
    for (const o of ours) {
      const number = o['frame.number'] as number;
      const row = theirs.get(number)!;
      FIELDS.forEach((field, i) => {
        const mine = tsharkText(field, o[field]);
        if (mine !== row[i]) differences.push(`frame ${number} ${field}: tshark ${row[i]} ours ${mine}`);
      });
    }
    expect(differences).toEqual([]);
  });

  it('the display filter finds the same frames as tshark -Y on HTTP fields', () => {
    // Each tshark run takes seconds on a loaded machine: a few filters that cover both versions.
    for (const filter of ['http2.header.name == "x-custom"', 'http2.type == 3 || http2.goaway.error == 0', 'http.request.uri == "/chunked" || http.response.code == 404', 'http2.header.value contains "workbench"']) {
      const run = runCliSync(cli, ['decode', lab.file, '--json', '--tls-keylog', lab.keylogFile, '-Y', filter]);
      expect(run.code, run.stderr).toBe(0);
      const expected = execFileSync('tshark', ['-o', `tls.keylog_file:${lab.keylogFile}`, ...TSHARK_H2C, '-r', lab.file, '-Y', filter, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
        .split('\n')
        .filter(Boolean)
        .map(Number);
      expect(expected.length, filter).toBeGreaterThan(0);
      expect(ndjson(run.stdout).map((o) => o['frame.number']), filter).toEqual(expected);
    }
  }, 240_000);

  it('analyze --json: each connection\'s HTTP version and requests match the peers\' log, with the frames tshark shows them in', () => {
    const run = runCliSync(cli, ['analyze', lab.file, '--json', '--tls-keylog', lab.keylogFile]);
    expect(run.code, run.stderr).toBe(0);
    const connections = ndjson(run.stdout).filter((o) => o.client !== undefined);
    const serverPort = (c: Record<string, unknown>) => Number(String(c.server).split(':').pop());
    const byPort = (port: number) => connections.filter((c) => serverPort(c) === port);
    type Requests = { version: string; requests: Array<{ method: string; path: string; status: number | null; authority: string; request_frame: number; response_frame: number | null }> };
    const h2 = byPort(8443).map((c) => c.http as Requests);
    const versions = h2.map((h) => h.version).sort();
    expect(versions).toEqual(['HTTP/1.1', 'HTTP/2']);
    const h2c = byPort(8080)[0].http as Requests;
    const h1 = byPort(80)[0].http as Requests;
    expect(h2c.version).toBe('HTTP/2');
    expect(h1.version).toBe('HTTP/1.1');
    for (const [label, http] of [['h2', h2.find((h) => h.version === 'HTTP/2')!], ['h2c', h2c], ['http1', h1], ['https1', h2.find((h) => h.version === 'HTTP/1.1')!]] as const) {
      const responses = lab.events.filter((e) => e.label === label && e.event === 'response');
      // Every response the client got is in the list with its status, in order; the reset request has none.
      const answered = http.requests.filter((r) => r.status !== null);
      expect(answered.map((r) => [r.path, r.status]), label).toEqual(responses.map((e) => [e.path, e.status]));
      if (label.startsWith('h2')) expect(http.requests.find((r) => r.path === '/slow')?.status, label).toBeNull();
      for (const request of answered) {
        // tshark shows the request's method and path, and the response's status, in those frames.
        const column = (frame: number | null, field: string) => (frame === null ? [] : (theirs.get(frame)?.[FIELDS.indexOf(field)] ?? '').split(','));
        expect([...column(request.request_frame, 'http2.headers.path'), ...column(request.request_frame, 'http.request.uri')], `${label} ${request.path}`).toContain(request.path);
        expect([...column(request.response_frame, 'http2.headers.status'), ...column(request.response_frame, 'http.response.code')], `${label} ${request.path}`).toContain(String(request.status));
      }
    }
  }, 120_000);

  it('analyze draws the requests and responses on the ladder', () => {
    const run = runCliSync(cli, ['analyze', lab.file, '--tls-keylog', lab.keylogFile]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/-+ GET \/big -+>/);
    expect(run.stdout).toMatch(/<-+ 404 \[5\] -+/);
    expect(run.stdout).toMatch(/-+ POST \/form -+>/);
  });

  it('without the key log, HTTP/1.1 and h2c are still read and the TLS connections are not', () => {
    const run = runCliSync(cli, ['analyze', lab.file, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const connections = ndjson(run.stdout).filter((o) => o.client !== undefined);
    const withHttp = connections.filter((c) => c.http !== undefined).map((c) => Number(String(c.server).split(':').pop())).sort((a, b) => a - b);
    expect(withHttp).toEqual([80, 8080]);
  });

  it('follow prints what tshark -z follow prints: TCP, decrypted TLS and HTTP/2 streams, in ascii, hex and raw', () => {
    const tshark = (args: string[]) => execFileSync('tshark', ['-o', `tls.keylog_file:${lab.keylogFile}`, ...TSHARK_H2C, '-r', lab.file, '-q', ...args], { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] });
    const follow = (args: string[]) => {
      const run = runCliSync(cli, ['follow', lab.file, '--tls-keylog', lab.keylogFile, ...args]);
      expect(run.code, run.stderr).toBe(0);
      return run.stdout;
    };
    const streams = ndjson(runCliSync(cli, ['analyze', lab.file, '--json', '--tls-keylog', lab.keylogFile]).stdout).filter((o) => o.client !== undefined);
    const stream = (port: number, version: string) => streams.find((c) => String(c.server).endsWith(`:${port}`) && (c.http as { version: string } | undefined)?.version === version)!['tcp.stream'] as number;
    const h2 = stream(8443, 'HTTP/2');
    const h2c = stream(8080, 'HTTP/2');
    const h1 = stream(80, 'HTTP/1.1');
    const https1 = stream(8443, 'HTTP/1.1');
    // Every tshark run costs seconds on a loaded machine: all three formats on one stream of each kind, ASCII on the others.
    for (const format of ['ascii', 'hex', 'raw']) {
      const all = format === 'ascii';
      for (const n of all ? [h2c, h1] : [h1]) expect(follow(['--stream', String(n), '--format', format]), `tcp ${n} ${format}`).toBe(tshark(['-z', `follow,tcp,${format},${n}`]));
      // tshark 4.0 names the TLS nodes wrongly (node 0 is the server, node 1 ":0") and so swaps the tabs that mark direction: compared without them.
      const body = (text: string) => text.split('\n').slice(6).map((line) => line.replace(/^\t/, ''));
      for (const n of all ? [h2, https1] : [https1]) expect(body(follow(['--tls-stream', String(n), '--format', format])), `tls ${n} ${format}`).toEqual(body(tshark(['-z', `follow,tls,${format},${n}`])));
      for (const [n, id] of all ? [[h2, 1], [h2, 3], [h2, 9], [h2, 11], [h2c, 7]] : [[h2, 3]]) {
        expect(follow(['--http2-stream', `${n}:${id}`, '--format', format]), `http2 ${n}:${id} ${format}`).toBe(tshark(['-z', `follow,http2,${format},${n},${id}`]));
      }
    }
    // The TLS direction itself: the client's request is the first chunk, unmarked, the server's answer marked with a tab.
    const ascii = follow(['--tls-stream', String(https1)]).split('\n');
    expect(ascii[6]).toMatch(/^\d+$/);
    expect(ascii[7]).toBe('GET / HTTP/1.1\r');
    expect(ascii.find((line) => line.startsWith('HTTP/1.1 200'))).toBeDefined();
    expect(ascii[ascii.indexOf('HTTP/1.1 200 OK\r') - 1]).toMatch(/^\t\d+$/);
  }, 480_000);

  it('follow -o writes the text, or with --format raw the bytes themselves', () => {
    const out = path.join(lab.dir, 'follow.bin');
    const h1 = ndjson(runCliSync(cli, ['analyze', lab.file, '--json']).stdout).find((c) => String(c.server).endsWith(':80'))!['tcp.stream'] as number;
    const run = runCliSync(cli, ['follow', lab.file, '--stream', String(h1), '--format', 'raw', '-o', out]);
    expect(run.code, run.stderr).toBe(0);
    const raw = execFileSync('tshark', ['-r', lab.file, '-q', '-z', `follow,tcp,raw,${h1}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const expected = raw.split('\n').slice(6, -2).map((line) => line.replace(/^\t/, '')).join('');
    expect(readFileSync(out).toString('hex')).toBe(expected);
    const bad = runCliSync(cli, ['follow', lab.file, '--stream', '999']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.split('\n')[0]).toBe(`handshake follow: ${lab.file} has no tcp.stream 999 (see handshake analyze ${lab.file})`);
    expect(runCliSync(cli, ['follow', lab.file, '--http2-stream', 'x']).code).toBe(2);
  });
});
