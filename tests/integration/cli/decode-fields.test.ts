/**
 * `handshake decode -e FIELD …` against `tshark -T fields -e …` with the same fields on the same
 * capture (fields whose text both tools print alike), and the JSON form of -e.
 */
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCli, ndjson, runCliSync } from '../../support/cli';
import { Conversation, HAS_TSHARK, tempFile, writeCapture } from '../../unit/track/scenario';

const FIELDS = [
  'frame.number', 'frame.len', 'ip.src', 'ip.dst', 'ipv6.src', 'ip.ttl', 'tcp.srcport', 'tcp.dstport', 'tcp.stream',
  'tcp.seq', 'tcp.ack', 'tcp.len', 'tcp.flags.syn', 'tcp.flags.ack', 'tcp.window_size_value',
];

let cli = '';
let file = '';

beforeAll(() => {
  cli = buildCli();
  const all: Array<{ bytes: Uint8Array; tsSeconds: number; tsNanos: number }> = [];
  const a = new Conversation({ address: '198.18.11.1', port: 40000, isn: 100 }, { address: '198.18.11.2', port: 80, isn: 900 }, all);
  a.send('c', 'S').send('s', 'SA').send('c', 'A').send('c', 'PA', { payload: 'hello' }).send('s', 'A').send('c', 'FA').send('s', 'FA').send('c', 'A');
  new Conversation({ address: '2001:db8::11', port: 40001, isn: 5 }, { address: '2001:db8::12', port: 443, isn: 7 }, all, 5e5).send('c', 'S').send('s', 'SA');
  file = writeCapture(all, tempFile('fields.pcapng'));
}, 300_000);

describe('decode -e', () => {
  it.skipIf(!HAS_TSHARK)('prints the chosen fields tab-separated, line for line as tshark -T fields does', () => {
    const args = FIELDS.flatMap((f) => ['-e', f]);
    const ours = runCliSync(cli, ['decode', file, ...args]);
    expect(ours.code).toBe(0);
    const theirs = execFileSync('tshark', ['-r', file, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', 'aggregator=,', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(ours.stdout.split('\n')).toEqual(theirs.split('\n'));
  });

  it('with --json, one object per frame with only the chosen keys that are present', () => {
    const run = runCliSync(cli, ['decode', file, '--json', '-e', 'tcp.stream', '-e', 'ipv6.src', '-e', 'communityid']);
    expect(run.code).toBe(0);
    const rows = ndjson(run.stdout);
    expect(rows).toHaveLength(10);
    expect(Object.keys(rows[0])).toEqual(['tcp.stream', 'communityid']);
    // The IPv6 connection's frames (its SYN+ACK from ::12) carry ipv6.src; the IPv4 ones do not.
    expect(rows.filter((row) => 'ipv6.src' in row).map((row) => [row['tcp.stream'], row['ipv6.src']])).toEqual([[1, '2001:db8::11'], [1, '2001:db8::12']]);
    const whole = ndjson(runCliSync(cli, ['decode', file, '--json']).stdout);
    rows.forEach((row, i) => {
      for (const [key, value] of Object.entries(row)) expect(value).toEqual(whole[i][key]);
    });
  });

  it('refuses an unknown field (exit 2, one line naming it)', () => {
    const run = runCliSync(cli, ['decode', file, '-e', 'tcp.bogus']);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toContain('tcp.bogus');
  });
});
