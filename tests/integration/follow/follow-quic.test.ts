/**
 * `handshake follow --quic-stream / --http3-stream / --udp-stream` on a real HTTP/3 exchange
 * (ngtcp2's client and server in the namespace lab, a client key update during a 100 kB
 * response): every QUIC stream tshark sees, in every format, byte for byte as
 * `tshark -o tls.keylog_file:K -q -z follow,quic,FORMAT,0,STREAM` prints it; the UDP
 * conversation as `-z follow,udp`; and the HTTP/3 request stream's header lists equal what
 * ngtcp2's own QPACK decoders logged, its body the file the server served.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, runCliSync } from '../../support/cli';
import { captureNgtcp2, ngtcp2LabUnavailable, type Ngtcp2Capture } from '../quic/ngtcp2-lab';

const unavailable = ngtcp2LabUnavailable();
const BODY = 100_000;

function tshark(args: string[]): string {
  const run = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (run.status !== 0) throw new Error(`tshark ${args.join(' ')}: ${run.stderr}`);
  return run.stdout;
}

/** A raw follow's turns: [fromClient, bytes] (the server's lines start with a tab). */
function rawTurns(text: string): [boolean, Buffer][] {
  const body = text.split(/^=+$/m)[1];
  return body
    .split('\n')
    .filter((line) => /^\t?[0-9a-f]+$/.test(line))
    .map((line) => [!line.startsWith('\t'), Buffer.from(line.trim(), 'hex')]);
}

/** A raw follow's bytes per direction. */
function directionBytes(text: string): { client: Buffer; server: Buffer } {
  const turns = rawTurns(text);
  return { client: Buffer.concat(turns.filter(([c]) => c).map(([, b]) => b)), server: Buffer.concat(turns.filter(([c]) => !c).map(([, b]) => b)) };
}

/**
 * Each QUIC stream's bytes per direction as tshark decodes its STREAM frames (PDML: stream id,
 * offset, data), placed by offset: a retransmitted frame lands on the bytes it repeats. tshark
 * 4.0's follow prints every STREAM frame as it came, a retransmitted one again, where we print the
 * stream's bytes once; a lab capture under load can hold such a retransmission.
 */
function streamsByOffset(pdml: string, clientPort: number): Map<number, { client: Buffer; server: Buffer }> {
  const pieces = new Map<number, { client: Buffer[]; server: Buffer[] }>();
  const place = (list: Buffer[], offset: number, data: Buffer) => {
    const whole = Buffer.concat(list);
    const grown = Buffer.alloc(Math.max(whole.length, offset + data.length));
    whole.copy(grown);
    data.copy(grown, offset);
    list.splice(0, list.length, grown);
  };
  for (const packet of pdml.split('<packet>').slice(1)) {
    const sport = Number(/name="udp.srcport"[^>]*show="(\d+)"/.exec(packet)?.[1]);
    const side = sport === clientPort ? 'client' : 'server';
    for (const frame of packet.split('name="quic.frame"').slice(1)) {
      const id = /name="quic.stream.stream_id"[^>]*show="(\d+)"/.exec(frame)?.[1];
      const data = /name="quic.stream_data"[^>]*value="([0-9a-f]*)"/.exec(frame)?.[1];
      if (id === undefined || data === undefined) continue;
      const offset = Number(/name="quic.stream.offset"[^>]*show="(\d+)"/.exec(frame)?.[1] ?? 0);
      const entry = pieces.get(Number(id)) ?? { client: [], server: [] };
      pieces.set(Number(id), entry);
      place(entry[side], offset, Buffer.from(data, 'hex'));
    }
  }
  return new Map([...pieces].map(([id, { client, server }]) => [id, { client: Buffer.concat(client), server: Buffer.concat(server) }]));
}

/** The HTTP/2 follow's header-list representation read back: u32 length, name, u32 length, value. */
function headerList(bytes: Buffer): string[] {
  const out: string[] = [];
  for (let at = 0; at < bytes.length; ) {
    const nameLength = bytes.readUInt32BE(at);
    const name = bytes.subarray(at + 4, at + 4 + nameLength).toString('utf8');
    at += 4 + nameLength;
    const valueLength = bytes.readUInt32BE(at);
    out.push(`${name}: ${bytes.subarray(at + 4, at + 4 + valueLength).toString('utf8')}`);
    at += 4 + valueLength;
  }
  return out;
}

describe.skipIf(unavailable !== null)('handshake follow: QUIC, HTTP/3 and UDP streams of a real HTTP/3 exchange, against tshark', { timeout: 480_000 }, () => {
  let cli = '';
  let capture: Ngtcp2Capture;

  beforeAll(async () => {
    cli = buildCli();
    capture = await captureNgtcp2({ keyUpdate: '3ms', bodySize: BODY });
  }, 240_000);
  afterAll(() => capture?.cleanup());

  const follow = (args: string[]) => runCliSync(cli, ['follow', capture.pcap, ...args]);

  it('every QUIC stream, in every format, equals tshark -z follow,quic', () => {
    const ids = new Set(
      tshark(['-r', capture.pcap, '-o', `tls.keylog_file:${capture.keylog}`, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,', '-e', 'quic.stream.stream_id'])
        .split(/[\n,]/)
        .filter(Boolean)
        .map(Number),
    );
    // The request stream, both control streams and the QPACK streams at least.
    expect([...ids].sort((a, b) => a - b).slice(0, 2)).toEqual([0, 2]);
    // tshark prints all streams in one run per format.
    const theirs = (format: string, streams: number[]) =>
      new Map(
        tshark(['-r', capture.pcap, '-o', `tls.keylog_file:${capture.keylog}`, '-q', ...streams.flatMap((id) => ['-z', `follow,quic,${format},0,${id}`])])
          .split(/\n(?==+\nFollow: )/)
          .map((block) => [Number(/stream_id eq (\d+)/.exec(block)?.[1]), `\n${block.replace(/^\n/, '')}`.replace(/(=+)\n?$/, '$1\n')] as const),
      );
    const ourFollow = (id: number, format: string) => {
      const run = follow(['--quic-stream', `0:${id}`, '--format', format, '--tls-keylog', capture.keylog]);
      expect(run.code, run.stderr).toBe(0);
      return run.stdout;
    };
    // Every stream's bytes each way, as tshark's STREAM frames place them; then, for each stream
    // whose tshark follow holds no repeated frame (its bytes equal those), the hex dump (and the
    // request stream's three formats) text for text.
    const clientPort = Number(/Node 0: [^\n]*:(\d+)/.exec(theirs('raw', [0]).get(0) ?? '')?.[1]);
    const placed = streamsByOffset(tshark(['-r', capture.pcap, '-o', `tls.keylog_file:${capture.keylog}`, '-T', 'pdml', '-Y', 'quic.stream.stream_id']), clientPort);
    const raw = theirs('raw', [...ids]);
    const exact: number[] = [];
    for (const id of ids) {
      const expected = placed.get(id) ?? { client: Buffer.alloc(0), server: Buffer.alloc(0) };
      const ours = directionBytes(ourFollow(id, 'raw'));
      expect(`${ours.client.toString('hex')} / ${ours.server.toString('hex')}`, `stream ${id} bytes`).toBe(`${expected.client.toString('hex')} / ${expected.server.toString('hex')}`);
      const followed = directionBytes(raw.get(id) ?? '');
      if (followed.client.equals(expected.client) && followed.server.equals(expected.server)) exact.push(id);
    }
    expect(exact.length, 'streams without a retransmitted STREAM frame').toBeGreaterThan(0);
    for (const format of ['hex', 'raw', 'ascii']) {
      const streams = format === 'hex' ? exact : exact.filter((id) => id === 0);
      const text = theirs(format, streams);
      for (const id of streams) expect(ourFollow(id, format), `stream ${id} ${format}`).toBe(text.get(id));
    }
    // The 100 kB response really came through the key update.
    const turns = rawTurns(follow(['--quic-stream', '0:0', '--format', 'raw', '--tls-keylog', capture.keylog]).stdout);
    expect(turns.filter(([client]) => !client).reduce((sum, [, bytes]) => sum + bytes.length, 0)).toBeGreaterThan(BODY);
  });

  it('the UDP conversation equals tshark -z follow,udp', () => {
    for (const format of ['raw', 'hex']) {
      const ours = follow(['--udp-stream', '0', '--format', format]);
      expect(ours.code, ours.stderr).toBe(0);
      expect(ours.stdout).toBe(tshark(['-r', capture.pcap, '-q', '-z', `follow,udp,${format},0`]));
    }
  });

  it('the HTTP/3 request stream: header lists as ngtcp2 decoded them, then the body it served', () => {
    const run = follow(['--http3-stream', '0:0', '--format', 'raw', '--tls-keylog', capture.keylog]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Follow: http3,raw');
    const turns = rawTurns(run.stdout);
    const [first, response, ...body] = turns;
    expect(first[0]).toBe(true);
    expect(headerList(first[1])).toEqual(capture.serverRequestHeaders);
    expect(response[0]).toBe(false);
    expect(headerList(response[1])).toEqual(capture.clientResponseHeaders);
    expect(body.every(([client]) => !client)).toBe(true);
    const served = readFileSync(path.join(capture.dir, 'htdocs', 'index.html'));
    expect(Buffer.concat(body.map(([, bytes]) => bytes)).equals(served)).toBe(true);
  });

  it('without the key log: the stream is empty and stderr says why; a connection that does not exist is a usage error', () => {
    const run = follow(['--quic-stream', '0:0']);
    expect(run.code).toBe(0);
    expect(rawTurns(run.stdout.replace('Follow: quic,ascii', ''))).toEqual([]);
    expect(run.stderr).toMatch(/^handshake follow: QUIC connection 0: not decrypted: .+\n$/);
    const missing = follow(['--http3-stream', '7:0', '--tls-keylog', capture.keylog]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.split('\n')[0]).toBe(`handshake follow: ${capture.pcap} has no QUIC connection 7 (see handshake analyze ${capture.pcap})`);
    const bad = follow(['--quic-stream', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.split('\n')[0]).toMatch(/^handshake follow: --quic-stream takes QUIC-CONNECTION:STREAM-ID/);
  });
});
