/**
 * `handshake follow --quic-stream / --http3-stream / --udp-stream` on a real HTTP/3 exchange
 * (ngtcp2's client and server in the namespace lab, a client key update during a 100 kB
 * response): every QUIC stream tshark sees, in every format, byte for byte as
 * `tshark -o tls.keylog_file:K -q -z follow,quic,FORMAT,0,STREAM` prints it; the UDP
 * conversation as `-z follow,udp`; and the HTTP/3 request stream's header lists equal what
 * ngtcp2's own QPACK decoders logged, its body the file the server served.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { FileSession } from '../../../electron/engine/session';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, runCliSync } from '../../support/cli';
import { captureNgtcp2, ngtcp2LabUnavailable, PORT, type Ngtcp2Capture } from '../quic/ngtcp2-lab';
import { freshStreamChunks, streamBytesByOffset, tsharkStreamFrames } from '../../fixtures/quic/tshark-stream-frames';
import { openIndexed } from '../../support/engine';

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
    // Every stream's bytes each way, as tshark's STREAM frames place them (tshark 4.0's follow prints a
    // retransmitted STREAM frame again, where we print the stream once); then, for each stream
    // whose tshark follow holds no repeated frame (its bytes equal those), the hex dump (and the
    // request stream's three formats) text for text.
    const placed = streamBytesByOffset(tsharkStreamFrames(capture.pcap, PORT, capture.keylog));
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

  it('the workbench engine (the Follow dialog) gives each stream as tshark\'s STREAM frames do, by reading the session\'s own QUIC pass again, after Attach key log', async () => {
    const { backend, session } = await openIndexed(capture.pcap);
    const sessionId = session.sessionId;
    const page = (target: { kind: 'quic' | 'http3'; stream: number; quicStream?: number | null; atFrame?: number }) =>
      backend.handlers.getFollow({ sessionId, http2Stream: null, from: 0, maxBytes: 64 * 1024 * 1024, ...target });
    const bytesOf = (chunks: { fromClient: boolean; hex: string }[], fromClient: boolean) => chunks.filter((c) => c.fromClient === fromClient).map((c) => c.hex).join('');
    try {
      // Without its secrets the connection is there, its streams empty, and the note says why.
      const locked = await page({ kind: 'quic', stream: 0, quicStream: 0 });
      expect(locked.chunks).toEqual([]);
      expect(locked.note).toMatch(/^not decrypted: /);
      await backend.handlers.attachKeyLog({ sessionId, path: capture.keylog });
      const frames = tsharkStreamFrames(capture.pcap, PORT, capture.keylog);
      const placed = streamBytesByOffset(frames);
      expect(placed.size).toBeGreaterThan(2);
      for (const [id, expected] of placed) {
        const followed = await page({ kind: 'quic', stream: 0, quicStream: id });
        expect(`${bytesOf(followed.chunks, true)} / ${bytesOf(followed.chunks, false)}`, `stream ${id}`).toBe(`${expected.client.toString('hex')} / ${expected.server.toString('hex')}`);
        const fresh = freshStreamChunks(frames, id);
        if (fresh.repeats === 0) expect(followed.chunks.map((c) => ({ from: c.fromClient ? 'client' : 'server', hex: c.hex })), `stream ${id} chunks`).toEqual(fresh.chunks);
      }
      // From a frame: the HTTP/3 request stream of the frame tshark shows carrying stream 0, and its body is the file served.
      const requestFrame = frames.find((f) => f.streamId === 0 && !f.fromServer)!.frame;
      const http3 = await page({ kind: 'http3', stream: 0, atFrame: requestFrame - 1 });
      expect([http3.stream, http3.quicStream]).toEqual([0, 0]);
      const served = readFileSync(path.join(capture.dir, 'htdocs', 'index.html')).toString('hex');
      expect(http3.chunks.filter((c) => !c.fromClient).slice(1).map((c) => c.hex).join('')).toBe(served);
    } finally {
      await backend.handlers.closeSession({ sessionId }).catch(() => undefined);
    }
  });

  /** Frames in a capture file, as tshark counts them. */
  const captureFrameCount = (file: string) => Number(tshark(['-r', file, '-T', 'fields', '-e', 'frame.number']).trim().split('\n').length);

  it('during a live capture (the session following a growing spool, its secrets embedded), Follow QUIC and HTTP/3 grow with each new frame, continuing where they stopped', async () => {
    const embedded = path.join(capture.dir, 'live-source.pcapng');
    execFileSync('editcap', ['--inject-secrets', `tls,${capture.keylog}`, capture.pcap, embedded]);
    const bytes = readFileSync(embedded);
    const spool = path.join(capture.dir, 'live-spool.pcapng');
    // The first part: the handshake and the start of the response (cut mid-block, as a spool may be).
    const cut = Math.floor(bytes.length * 0.4);
    writeFileSync(spool, bytes.subarray(0, cut));
    const session = new FileSession('live', spool, () => undefined);
    await session.openLive();
    const follow = (kind: 'quic' | 'http3') => session.followPage({ kind, stream: 0, http2Stream: null, quicStream: 0 }, 0, 64 * 1024 * 1024);
    const bytesOf = (chunks: { fromClient: boolean; hex: string }[]) => chunks.map((c) => `${c.fromClient ? '>' : '<'}${c.hex}`);
    try {
      // Until the spool's first frames are read, the connection is not there yet.
      let early = await follow('quic').catch(() => null);
      for (let waited = 0; (early?.chunks.length ?? 0) < 2 && waited < 20_000; waited += 100) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        early = await follow('quic').catch(() => null);
      }
      if (!early) throw new Error('the live session never showed QUIC connection 0');
      const earlyHttp3 = await follow('http3');
      expect(early.live).toBe(true);
      expect(early.chunks.length).toBeGreaterThan(1);
      // The rest lands while the session is still live: the open follow grows.
      appendFileSync(spool, bytes.subarray(cut));
      session.poke();
      const total = captureFrameCount(embedded);
      for (let waited = 0; session.index.count < total && waited < 20_000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
      const grown = await follow('quic');
      expect(grown.live).toBe(true);
      session.endLive();
      await session.whenIndexed();
      const late = await follow('quic');
      expect(late.serverBytes).toBe(grown.serverBytes);
      const lateHttp3 = await follow('http3');
      expect(late.live).toBe(false);
      // The same followers went on: no restart, the early chunks are the start of the late ones.
      expect(late.generation).toBe(early.generation);
      expect(late.serverBytes).toBeGreaterThan(early.serverBytes);
      expect(bytesOf(late.chunks).slice(0, early.chunks.length - 1)).toEqual(bytesOf(early.chunks).slice(0, -1));
      expect(lateHttp3.generation).toBe(earlyHttp3.generation);
      expect(lateHttp3.serverBytes).toBeGreaterThan(earlyHttp3.serverBytes);
      // And the whole stream is what tshark's STREAM frames give, the HTTP/3 body the file served.
      const expected = streamBytesByOffset(tsharkStreamFrames(capture.pcap, PORT, capture.keylog)).get(0)!;
      const side = (fromClient: boolean) => late.chunks.filter((c) => c.fromClient === fromClient).map((c) => c.hex).join('');
      expect(`${side(true)} / ${side(false)}`).toBe(`${expected.client.toString('hex')} / ${expected.server.toString('hex')}`);
      const served = readFileSync(path.join(capture.dir, 'htdocs', 'index.html')).toString('hex');
      expect(lateHttp3.chunks.filter((c) => !c.fromClient).slice(1).map((c) => c.hex).join('')).toBe(served);
    } finally {
      await session.close();
    }
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
