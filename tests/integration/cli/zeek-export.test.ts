/**
 * `handshake analyze --zeek`: Zeek's conn.log. No zeek binary exists here (Debian 12 has no
 * package), so the format is checked against Zeek's documented ASCII/JSON writer layout, the
 * per-side counts against tshark on the same capture, and conn_state/history/community_id
 * against analyze --json (whose Zeek logic the tracking tests hold against Zeek's rules).
 */
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { ZEEK_CONN_FIELDS } from '../../../shared/track';
import { buildCli, ndjson, runCliSync } from '../../support/cli';
import { Conversation, HAS_TSHARK, tempFile, writeCapture } from '../../unit/track/scenario';

let cli = '';
let file = '';

beforeAll(() => {
  cli = buildCli();
  const all: Array<{ bytes: Uint8Array; tsSeconds: number; tsNanos: number }> = [];
  // A whole connection with data both ways, one with a segment never captured, a refused one, an IPv6 one.
  const a = new Conversation({ address: '198.18.10.1', port: 40000, isn: 100 }, { address: '198.18.10.2', port: 80, isn: 900 }, all);
  a.send('c', 'S').send('s', 'SA').send('c', 'A').send('c', 'PA', { payload: 'GET / HTTP/1.1\r\n\r\n' }).send('s', 'PA', { payload: 'x'.repeat(300) });
  a.send('c', 'FA').send('s', 'FA').send('c', 'A');
  const b = new Conversation({ address: '198.18.10.3', port: 40001, isn: 5000 }, { address: '198.18.10.2', port: 8080, isn: 7000 }, all, 1e6);
  b.send('c', 'S').send('s', 'SA').send('c', 'A');
  const start = b.nextSeq('c');
  b.send('c', 'PA', { payload: 'a'.repeat(100) }).send('c', 'PA', { payload: 'c'.repeat(100), seq: start + 200 }).send('s', 'A', { ack: start + 100 });
  new Conversation({ address: '198.18.10.4', port: 40002, isn: 1 }, { address: '198.18.10.2', port: 81, isn: 0 }, all, 2e6).send('c', 'S').send('s', 'RA', { ack: 2 });
  new Conversation({ address: '2001:db8::4', port: 40003, isn: 1 }, { address: '2001:db8::2', port: 443, isn: 9 }, all, 3e6).send('c', 'S').send('s', 'SA').send('c', 'A');
  file = writeCapture(all, tempFile('zeek.pcapng'));
}, 300_000);

describe('analyze --zeek', () => {
  it('writes Zeek\u2019s ASCII conn.log: the header lines, #fields in conn.log\u2019s order with community_id, #types, rows, #close', () => {
    const run = runCliSync(cli, ['analyze', file, '--zeek']);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 5)).toEqual(['#separator \\x09', '#set_separator\t,', '#empty_field\t(empty)', '#unset_field\t-', '#path\tconn']);
    expect(lines[5]).toMatch(/^#open\t\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d$/);
    expect(lines[6]).toBe(
      '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\tcommunity_id',
    );
    expect(lines[7]).toBe('#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\tstring');
    expect(lines[lines.length - 1]).toMatch(/^#close\t\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d$/);
    const rows = lines.slice(8, -1).map((line) => line.split('\t'));
    expect(rows).toHaveLength(4);
    for (const row of rows) {
      expect(row).toHaveLength(22);
      expect(row[0]).toMatch(/^\d+\.\d{6}$/); // time: epoch seconds, 6 decimals
      expect(row[1]).toMatch(/^C[0-9A-Za-z]{17}$/);
      expect(row[6]).toBe('tcp');
      expect(row[21]).toMatch(/^1:[A-Za-z0-9+/]{27}=$/);
    }
    // Fields main.zeek leaves unset without Site::local_nets or a tunnel.
    expect(rows.map((r) => [r[12], r[13], r[20]])).toEqual(Array(4).fill(['-', '-', '-']));

    const json = ndjson(runCliSync(cli, ['analyze', file, '--json']).stdout).filter((o) => o.type === 'connection');
    expect(rows.map((r) => [r[2], r[3], r[4], r[5]])).toEqual(json.map((c) => {
      const [, ch, cp] = /^\[?(.*?)\]?:(\d+)$/.exec(String(c.client)) ?? [];
      const [, sh, sp] = /^\[?(.*?)\]?:(\d+)$/.exec(String(c.server)) ?? [];
      return [ch, cp, sh, sp];
    }));
    expect(rows.map((r) => [r[11], r[15], r[21]])).toEqual(json.map((c) => [c.conn_state, c.history, c.community_id]));
    // Zeek's conn_state by main.zeek's definitions: closed normally, established (a gap does not change it), rejected, established.
    expect(rows.map((r) => r[11])).toEqual(['SF', 'S1', 'REJ', 'S1']);
    // The gap of 100 bytes the lost segment left.
    expect(rows.map((r) => r[14])).toEqual(['0', '100', '0', '0']);
  });

  it.skipIf(!HAS_TSHARK)('orig/resp packets, IP bytes and payload bytes agree with tshark\u2019s per-direction sums', () => {
    const rows = runCliSync(cli, ['analyze', file, '--zeek']).stdout.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split('\t'));
    const frames = execFileSync('tshark', ['-r', file, '-T', 'fields', '-E', 'separator=\t', '-e', 'tcp.stream', '-e', 'tcp.srcport', '-e', 'ip.len', '-e', 'ipv6.plen', '-e', 'tcp.len'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    rows.forEach((row, stream) => {
      const origPort = row[3];
      const mine = frames.filter((f) => Number(f[0]) === stream);
      const side = (orig: boolean) => mine.filter((f) => (f[1] === origPort) === orig);
      const ipBytes = (list: string[][]) => list.reduce((n, f) => n + (f[2] ? Number(f[2]) : 40 + Number(f[3])), 0);
      const payload = (list: string[][]) => list.reduce((n, f) => n + Number(f[4]), 0);
      expect([row[16], row[17], row[18], row[19]].map(Number), `stream ${stream}`).toEqual([side(true).length, ipBytes(side(true)), side(false).length, ipBytes(side(false))]);
      if (row[9] !== '-') {
        // orig_bytes counts the sequence span (gaps included): payload seen plus missed_bytes.
        expect(Number(row[9]) + Number(row[10])).toBe(payload(mine) + Number(row[14]));
      }
    });
  });

  it('--zeek=json writes one Zeek JSON object per connection: conn.log\u2019s names, unset fields left out, no header', () => {
    const run = runCliSync(cli, ['analyze', file, '--zeek=json']);
    expect(run.code).toBe(0);
    const records = ndjson(run.stdout);
    expect(records).toHaveLength(4);
    const tsv = runCliSync(cli, ['analyze', file, '--zeek']).stdout.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split('\t'));
    records.forEach((record, i) => {
      const keys = Object.keys(record);
      expect(keys).toEqual(ZEEK_CONN_FIELDS.filter((f) => keys.includes(f))); // Zeek's order
      expect(keys).not.toContain('local_orig');
      expect(typeof record.ts).toBe('number');
      expect(typeof record['id.orig_p']).toBe('number');
      ZEEK_CONN_FIELDS.forEach((field, column) => {
        if (tsv[i][column] === '-') expect(record[field]).toBeUndefined();
        else if (field === 'ts' || field === 'duration') expect(Number(record[field]).toFixed(6)).toBe(tsv[i][column]);
        else expect(String(record[field])).toBe(tsv[i][column]);
      });
    });
  });

  it('refuses --zeek with --json (exit 2, one line)', () => {
    const run = runCliSync(cli, ['analyze', file, '--zeek', '--json']);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toMatch(/--zeek and --json/);
  });
});
