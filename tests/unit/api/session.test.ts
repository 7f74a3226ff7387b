/**
 * The engine's file session through the typed API, against independent oracles:
 * a capture built by Scapy, tshark's columns, display filters (-Y), PDML field
 * positions and RFC 9293's state sequences.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { methodValidators, ROW_MARK, type ApiEvent, type DetailNode, type SessionInfo } from '../../../shared/api';
import { Backend } from '../../../electron/engine/backend';
import { haveScapy, haveTshark, python, run, SYSTEM_PYTHON } from '../files/tools';

const ready = haveScapy && haveTshark;
const SCRIPT = path.resolve(__dirname, '../../fixtures/scripts/workbench_capture.py');

let dir = '';
let capture = '';
let backend: Backend;

/** Opens a file and waits until indexing has finished; returns the session and the final progress event. */
async function openIndexed(target: Backend, file: string): Promise<{ session: SessionInfo; done: Extract<ApiEvent, { type: 'progress' }>; events: ApiEvent[] }> {
  const events: ApiEvent[] = [];
  let resolveDone: (event: Extract<ApiEvent, { type: 'progress' }>) => void = () => undefined;
  const done = new Promise<Extract<ApiEvent, { type: 'progress' }>>((resolve) => (resolveDone = resolve));
  let sessionId = '';
  const unsubscribe = target.subscribe((event) => {
    events.push(event);
    if (event.type === 'progress' && event.done && (sessionId === '' || event.sessionId === sessionId)) resolveDone(event);
  });
  const session = await target.openFile(file);
  sessionId = session.sessionId;
  const finished = events.find((e) => e.type === 'progress' && e.done && e.sessionId === sessionId);
  const last = finished && finished.type === 'progress' ? finished : await done;
  unsubscribe();
  return { session, done: last, events };
}

function tsharkLines(file: string, args: string[]): string[] {
  return run('tshark', ['-r', file, ...args]).stdout.split('\n').filter((line) => line !== '');
}

function findField(nodes: readonly DetailNode[], field: string): DetailNode | null {
  for (const node of nodes) {
    if (node.field === field) return node;
    const inner = findField(node.children, field);
    if (inner) return inner;
  }
  return null;
}

describe.skipIf(!ready)('engine file session (Scapy capture, tshark as the oracle)', () => {
  let session: SessionInfo;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hs-session-test-'));
    capture = path.join(dir, 'workbench.pcap');
    run(SYSTEM_PYTHON, [SCRIPT, capture]);
    backend = new Backend({ host: 'browser', version: 'test' });
    session = (await openIndexed(backend, capture)).session;
  });
  afterAll(async () => {
    await backend?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function rows(filter: string, start = 0, count = 1000) {
    return backend.handlers.getRows({ sessionId: session.sessionId, start, count, filter });
  }

  it('lists every frame with tshark\'s Source, Destination, Length and relative time', async () => {
    const expected = tsharkLines(capture, ['-T', 'fields', '-e', 'frame.number', '-e', '_ws.col.Source', '-e', '_ws.col.Destination', '-e', 'frame.len', '-e', 'frame.time_relative']);
    const result = await rows('');
    expect(result.complete).toBe(true);
    expect(result.total).toBe(expected.length);
    for (const [i, line] of expected.entries()) {
      const [number, source, destination, length, time] = line.split('\t');
      const row = result.rows[i];
      expect({ number: row.number, source: row.source, destination: row.destination, length: row.length }).toEqual({
        number: Number(number),
        source,
        destination,
        length: Number(length),
      });
      expect(row.time).toBeCloseTo(Number(time), 6);
    }
  });

  const FILTERS = [
    'tcp.flags.syn == 1 && ip.addr == 198.18.0.2',
    'tcp.port == 443',
    'tcp.analysis.retransmission',
    'tcp.len > 0',
    'udp',
    'not tcp and ip',
    'ip.addr == 198.18.0.0/31',
    'ipv6.addr == 2001:db8::2',
    'tcp.flags.reset == 1 || udp.port == 53',
    '!(tcp.srcport == 40000) && tcp',
    'frame.len >= 74',
    'tcp.window_size_value > 505',
    'tcp.checksum == 0x1234',
    'eth.src == 02:00:00:00:00:02',
    'tcp.options.mss_val == 1400',
    'tcp.options.wscale.shift == 7 && tcp.hdr_len == 40',
    'tcp.seq_raw == 1000 || tcp.ack_raw == 1001',
    'tcp.options.sack_perm and tcp.options.timestamp.tsval > 150',
    'tcp.stream == 1',
    'tcp.flags == 0x012 or icmp',
    // Wireshark's problems filter, sets and ranges, bit masks, and searches in the bytes.
    'tcp.analysis.flags',
    'tcp.port in {80, 443, 8080}',
    'tcp.srcport in {1..1024} or udp.dstport in {53}',
    'ip.dst in {198.18.0.1, 198.18.0.53}',
    'tcp.flags & 0x12 == 0x12',
    'tcp.flags & 0x05',
    'frame contains "HTTP/1.1"',
    'tcp.payload contains 47:45:54',
    'udp.payload contains 12:34',
    'ip.addr === 198.18.0.1 or ip.addr !== 198.18.0.9',
    'frame.time_delta > 0.3',
    'tcp.time_delta >= 0.4 and tcp.time_relative > 0.1',
    'tcp.time_delta == 0 and tcp.stream == 1',
  ];
  for (const expression of FILTERS) {
    it(`display filter "${expression}" selects the frames tshark -Y selects`, async () => {
      const expected = tsharkLines(capture, ['-Y', expression, '-T', 'fields', '-e', 'frame.number']).map(Number);
      expect(expected.length, 'the capture has frames for this filter').toBeGreaterThan(0);
      const result = await rows(expression);
      expect(result.complete).toBe(true);
      expect(result.rows.map((row) => row.number)).toEqual(expected);
      expect(result.total).toBe(expected.length);
    });
  }

  it('answers a range of the filtered rows, not the whole capture', async () => {
    const all = await rows('tcp');
    const page = await rows('tcp', 2, 3);
    expect(page.start).toBe(2);
    expect(page.rows.map((r) => r.number)).toEqual(all.rows.slice(2, 5).map((r) => r.number));
    expect(page.total).toBe(all.total);
  });

  it('refuses a bad display filter with its position', async () => {
    await expect(rows('tcp.port = 80')).rejects.toMatchObject({ code: 'invalid', message: expect.stringMatching(/character 10/) });
  });

  it('gives the frame\'s exact bytes and field positions that match tshark\'s PDML', async () => {
    const detail = await backend.handlers.getFrame({ sessionId: session.sessionId, index: 1 });
    const scapyHex = python(`from scapy.all import rdpcap; print(bytes(rdpcap(${JSON.stringify(capture)})[1]).hex())`).trim();
    expect(detail.bytesHex).toBe(scapyHex);
    const pdml = run('tshark', ['-r', capture, '-Y', 'frame.number == 2', '-T', 'pdml']).stdout;
    const fields = ['ip.src', 'ip.ttl', 'ip.checksum', 'tcp.srcport', 'tcp.seq_raw', 'tcp.flags', 'tcp.window_size_value', 'tcp.checksum', 'tcp.options.mss_val', 'tcp.options.wscale.shift', 'eth.src'];
    for (const name of fields) {
      const match = new RegExp(`<field name="${name.replace(/\./g, '\\.')}"[^>]*size="(\\d+)" pos="(\\d+)"`).exec(pdml);
      expect(match, `${name} in PDML`).not.toBeNull();
      const node = findField(detail.tree, name);
      expect(node, `${name} in our tree`).not.toBeNull();
      expect({ name, offset: node?.offset, length: node?.length }).toEqual({ name, offset: Number(match?.[2]), length: Number(match?.[1]) });
    }
  });

  it('marks the retransmission, the handshake, the teardown, the RST and the bad checksum for colouring', async () => {
    const result = await rows('');
    const marks = (number: number) => result.rows[number - 1].marks;
    expect(marks(5) & ROW_MARK.RETRANSMISSION).not.toBe(0);
    expect(result.rows[4].info).toMatch(/^\[TCP Retransmission\]/);
    for (const n of [1, 2, 3]) expect(marks(n) & ROW_MARK.HANDSHAKE, `frame ${n}`).not.toBe(0);
    for (const n of [9, 10, 11, 12]) expect(marks(n) & ROW_MARK.TEARDOWN, `frame ${n}`).not.toBe(0);
    expect(marks(14) & ROW_MARK.RST).not.toBe(0);
    expect(marks(17) & ROW_MARK.BAD_CHECKSUM).not.toBe(0);
    expect(marks(15) & (ROW_MARK.BAD_CHECKSUM | ROW_MARK.RETRANSMISSION | ROW_MARK.RST)).toBe(0);
    const bad = await backend.handlers.getFrame({ sessionId: session.sessionId, index: 16 });
    expect(bad.expert.some((note) => note.severity === 'error' && /checksum/i.test(note.message))).toBe(true);
  });

  it('the detail tree gives each TCP frame its stream timestamps, as tshark computes them', async () => {
    const times = tsharkLines(capture, ['-Y', 'tcp.stream == 0', '-T', 'fields', '-e', 'frame.number', '-e', 'tcp.time_relative', '-e', 'tcp.time_delta']);
    expect(times.length).toBeGreaterThan(5);
    for (const line of times) {
      const [number, relative, delta] = line.split('\t');
      const detail = await backend.handlers.getFrame({ sessionId: session.sessionId, index: Number(number) - 1 });
      expect(findField(detail.tree, 'tcp.time_relative')?.label).toBe(`[Time since first frame in this TCP stream: ${relative} seconds]`);
      expect(findField(detail.tree, 'tcp.time_delta')?.label).toBe(`[Time since previous frame in this TCP stream: ${delta} seconds]`);
    }
  });

  it('draws the ladder of a full handshake and four-way teardown with RFC 9293 states on both lanes', async () => {
    const ladder = await backend.handlers.getLadder({ sessionId: session.sessionId, stream: 0, limit: 1000 });
    expect(ladder.client).toBe('198.18.0.1:40000');
    expect(ladder.server).toBe('198.18.0.2:443');
    expect(ladder.arrows.map((a) => a.number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const changes = (side: 'clientState' | 'serverState', initial: string) => {
      const seen = [initial];
      for (const arrow of ladder.arrows) if (arrow[side] !== seen[seen.length - 1]) seen.push(arrow[side]);
      return seen;
    };
    // RFC 9293 §3.3.2: the active closer passes FIN_WAIT_1, FIN_WAIT_2 and TIME_WAIT; the passive one CLOSE_WAIT and LAST_ACK.
    expect(changes('clientState', ladder.initialClientState)).toEqual(['CLOSED', 'SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT']);
    expect(changes('serverState', ladder.initialServerState)).toEqual(['LISTEN', 'SYN_RECEIVED', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED']);
    expect(ladder.arrows.slice(0, 3).map((a) => [a.from, a.flags, a.seq, a.ack])).toEqual([
      ['client', 'SYN', 0, 0],
      ['server', 'SYN, ACK', 0, 1],
      ['client', 'ACK', 1, 1],
    ]);
    expect(ladder.arrows.map((a) => a.phase)).toEqual(['handshake', 'handshake', 'handshake', 'data', 'data', 'data', 'data', 'data', 'teardown', 'teardown', 'teardown', 'teardown']);
    expect(ladder.arrows[4].analysis).toContain('retransmission');
  });

  it('lists connections with Zeek\'s conn_state (SF for the closed one, REJ for the refused one)', async () => {
    const { connections } = await backend.handlers.getConnections({ sessionId: session.sessionId });
    const byServer = new Map(connections.map((c) => [c.server, c]));
    expect(byServer.get('198.18.0.2:443')?.connState).toBe('SF');
    expect(byServer.get('198.18.0.2:80')?.connState).toBe('REJ');
    expect(byServer.get('198.18.0.2:443')?.handshakeKind).toBe('three-way');
    expect(byServer.get('198.18.0.2:443')?.teardownKind).toBe('four-way');
    expect(byServer.get('[2001:db8::2]:22')?.clientState).toBe('SYN_SENT');
  });

  it('saves the capture as pcapng that tshark reads back frame for frame', async () => {
    const target = path.join(dir, 'saved.pcapng');
    const result = await backend.handlers.saveAs({ sessionId: session.sessionId, path: target, format: 'pcapng' });
    expect(result.frames).toBe(18);
    expect(tsharkLines(target, ['-T', 'fields', '-e', 'frame.len'])).toEqual(tsharkLines(capture, ['-T', 'fields', '-e', 'frame.len']));
  });
});

describe.skipIf(!ready)('engine file session: hostile and unusual files', () => {
  let local: Backend;
  let dir = '';
  let capture = '';
  beforeAll(() => {
    local = new Backend({ host: 'browser', version: 'test' });
    dir = mkdtempSync(path.join(os.tmpdir(), 'hs-session-hostile-'));
    capture = path.join(dir, 'workbench.pcap');
    run(SYSTEM_PYTHON, [SCRIPT, capture]);
  });
  afterAll(async () => {
    await local?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a file that is not a capture is refused with a reason, and no session stays open', async () => {
    const junk = path.join(dir, 'junk.pcap');
    writeFileSync(junk, Buffer.from('this is not a capture file, just text that goes on for a while'));
    await expect(local.openFile(junk)).rejects.toMatchObject({ code: 'invalid' });
    expect((await local.handlers.hello(null)).sessions).toEqual([]);
    await expect(local.openFile(path.join(dir, 'missing.pcap'))).rejects.toMatchObject({ code: 'not-found' });
  });

  it('a truncated file keeps every complete frame and says where the damage starts', async () => {
    const whole = readFileSync(capture);
    const cut = path.join(dir, 'cut.pcap');
    writeFileSync(cut, whole.subarray(0, whole.length - 10));
    const { session, done } = await openIndexed(local, cut);
    expect(done.frames).toBe(17);
    expect(done.error).toMatch(/truncated|damaged/);
    const result = await local.handlers.getRows({ sessionId: session.sessionId, start: 0, count: 100, filter: '' });
    expect(result.rows.map((r) => r.number)).toEqual(Array.from({ length: 17 }, (_, i) => i + 1));
  });

  it('opens a gzip-compressed capture and reads frames back by offset', async () => {
    const gz = path.join(dir, 'workbench.pcap.gz');
    writeFileSync(gz, gzipSync(readFileSync(capture)));
    const { session, done } = await openIndexed(local, gz);
    expect(done.frames).toBe(18);
    expect(done.error).toBeNull();
    const frame = await local.handlers.getFrame({ sessionId: session.sessionId, index: 3 });
    const scapyHex = python(`from scapy.all import rdpcap; print(bytes(rdpcap(${JSON.stringify(capture)})[3]).hex())`).trim();
    expect(frame.bytesHex).toBe(scapyHex);
  });

  it('a damaged gzip stream: refused with a reason when nothing can be read, cut at the damage otherwise', async () => {
    const packed = gzipSync(readFileSync(capture));
    const broken = path.join(dir, 'broken.pcap.gz');
    const early = Buffer.from(packed);
    early.fill(0xff, 10, 40); // inside the deflate stream, before the first frame
    writeFileSync(broken, early);
    const copies = () => readdirSync(os.tmpdir()).filter((name) => name.startsWith('handshake-gz-')).length;
    const before = copies();
    await expect(local.openFile(broken)).rejects.toThrow(/^broken\.pcap\.gz: damaged at byte 0 \(frame 1\): gzip stream is damaged: /);
    expect(copies()).toBe(before); // the refused session's inflated copy is gone with it
    const cut = path.join(dir, 'cut.pcap.gz');
    writeFileSync(cut, packed.subarray(0, packed.length - 200)); // the stream ends early
    const { session, done } = await openIndexed(local, cut);
    expect(done.error).toMatch(/gzip stream is damaged/);
    expect(done.frames).toBeGreaterThan(0);
    expect(done.frames).toBeLessThan(18);
    const last = await local.handlers.getFrame({ sessionId: session.sessionId, index: done.frames - 1 });
    const scapyHex = python(`from scapy.all import rdpcap; print(bytes(rdpcap(${JSON.stringify(capture)})[${done.frames - 1}]).hex())`).trim();
    expect(last.bytesHex).toBe(scapyHex);
  });

  it('a large gzip capture shows its first rows while it is still being inflated, and every frame reads back intact', async () => {
    // 18 Scapy frames repeated 15,000 times (270,000 frames), gzip-compressed.
    const whole = readFileSync(capture);
    const body = whole.subarray(24);
    const plain = Buffer.concat([whole.subarray(0, 24), ...Array.from({ length: 15_000 }, () => body)]);
    const gz = path.join(dir, 'big.pcap.gz');
    writeFileSync(gz, gzipSync(plain));
    const events: ApiEvent[] = [];
    const unsubscribe = local.subscribe((event) => events.push(event));
    const inflatedCopies = () => readdirSync(os.tmpdir()).filter((name) => name.startsWith('handshake-gz-'));
    const before = new Set(inflatedCopies());
    const session = await local.openFile(gz);
    // open() answered before the whole stream was inflated (into the session's temporary copy) and indexed.
    expect(session.complete).toBe(false);
    const copy = inflatedCopies().find((name) => !before.has(name));
    expect(copy).toBeDefined();
    expect(statSync(path.join(os.tmpdir(), copy as string, 'inflated')).size).toBeLessThan(plain.length / 4);
    const first = await local.handlers.getRows({ sessionId: session.sessionId, start: 0, count: 5, filter: '' });
    expect(first.rows.map((r) => r.number)).toEqual([1, 2, 3, 4, 5]);
    const progress = events.filter((e): e is Extract<ApiEvent, { type: 'progress' }> => e.type === 'progress' && e.sessionId === session.sessionId);
    // Progress is measured against the trailer's inflated size, not the compressed one.
    expect(progress.every((e) => e.totalBytes === plain.length)).toBe(true);
    let done: Extract<ApiEvent, { type: 'progress' }> | undefined;
    await vi.waitFor(() => {
      done = events.find((e): e is Extract<ApiEvent, { type: 'progress' }> => e.type === 'progress' && e.done && e.sessionId === session.sessionId);
      expect(done).toBeDefined();
    }, { timeout: 30_000 });
    unsubscribe();
    expect(done).toMatchObject({ frames: 270_000, error: null, bytesRead: plain.length });
    // Frames from the start, the middle and the end come back byte for byte.
    for (const index of [3, 135_004, 269_999]) {
      const frame = await local.handlers.getFrame({ sessionId: session.sessionId, index });
      const copy = index % 18;
      const scapyHex = python(`from scapy.all import rdpcap; print(bytes(rdpcap(${JSON.stringify(capture)})[${copy}]).hex())`).trim();
      expect(frame.bytesHex, `frame ${index + 1}`).toBe(scapyHex);
    }
  });

  it('reports progress while indexing a large file, and cancel keeps what was indexed', async () => {
    // 18 Scapy frames repeated 15,000 times: 270,000 frames behind one pcap header.
    const whole = readFileSync(capture);
    const big = path.join(dir, 'big.pcap');
    const body = whole.subarray(24);
    writeFileSync(big, Buffer.concat([whole.subarray(0, 24), ...Array.from({ length: 15_000 }, () => body)]));
    const events: ApiEvent[] = [];
    local.subscribe((event) => events.push(event));
    const session = await local.openFile(big);
    expect(session.frames).toBeGreaterThan(0);
    expect(session.complete).toBe(false);
    // The first rows can be read while indexing continues.
    const first = await local.handlers.getRows({ sessionId: session.sessionId, start: 0, count: 5, filter: '' });
    expect(first.rows.map((r) => r.number)).toEqual([1, 2, 3, 4, 5]);
    await local.handlers.cancelOpen({ sessionId: session.sessionId });
    const done = await new Promise<Extract<ApiEvent, { type: 'progress' }>>((resolve) => {
      const check = () => {
        const event = events.find((e) => e.type === 'progress' && e.done && e.sessionId === session.sessionId);
        if (event && event.type === 'progress') resolve(event);
        else setTimeout(check, 20);
      };
      check();
    });
    expect(done.error).toMatch(/cancelled/);
    expect(done.frames).toBeLessThan(270_000);
    const after = await local.handlers.getRows({ sessionId: session.sessionId, start: 0, count: 1, filter: '' });
    expect(after.frames).toBe(done.frames);
  });

  it('raises a SYN-flood alert for many half-open connections from scattered sources (defaults: 64 half-open, 16 sources)', async () => {
    const flood = path.join(dir, 'flood.pcap');
    run(SYSTEM_PYTHON, [path.resolve(__dirname, '../../fixtures/scripts/syn_flood.py'), flood]);
    const { session } = await openIndexed(local, flood);
    const { connections, alerts } = await local.handlers.getConnections({ sessionId: session.sessionId });
    expect(connections).toHaveLength(201);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: 'syn-flood', target: '198.18.2.20:80' });
    expect(alerts[0].halfOpen).toBeGreaterThanOrEqual(64);
    expect(alerts[0].sources).toBeGreaterThanOrEqual(16);
    expect(connections.filter((c) => c.connState === 'SF')).toHaveLength(0);
    // The completed handshake stays out of the half-open count: it ends ESTABLISHED on both sides.
    expect(connections.find((c) => c.client === '198.18.0.1:40000')?.serverState).toBe('ESTABLISHED');
  });

  it('a connection caught mid-stream (no handshake) starts at its own first frame in the list, as tshark numbers it', async () => {
    const file = path.join(dir, 'mid-stream.pcap');
    python(
      [
        'import sys',
        'from scapy.all import Ether, IP, TCP, UDP, Raw, wrpcap',
        'e = lambda: Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")',
        'f = [e()/IP(src="198.18.0.9", dst="198.18.0.53")/UDP(sport=5353, dport=53)/Raw(b"q" * 12)] * 3',
        'f += [e()/IP(src="198.18.0.1", dst="198.18.0.2")/TCP(sport=40001, dport=443, flags="PA", seq=7000 + 10 * k, ack=9000)/Raw(b"x" * 10) for k in range(4)]',
        'f += [e()/IP(src="198.18.0.3", dst="198.18.0.2")/TCP(sport=40002, dport=443, flags="A", seq=100, ack=200)]',
        'wrpcap(sys.argv[1], f)',
      ].join('\n'),
      file,
    );
    const { session } = await openIndexed(local, file);
    const { connections } = await local.handlers.getConnections({ sessionId: session.sessionId });
    const first = new Map(
      tsharkLines(file, ['-T', 'fields', '-e', 'tcp.stream', '-e', 'frame.number', '-Y', 'tcp'])
        .map((line) => line.split('\t').map(Number))
        .reverse()
        .map(([stream, number]) => [stream, number]),
    );
    expect(connections.map((c) => [c.stream, c.firstFrame + 1])).toEqual([...first.entries()].sort((a, b) => a[0] - b[0]));
    expect(connections.map((c) => c.firstFrame)).toEqual([3, 7]);
  });

  it('filters on the TLS server name of a ClientHello the way tshark does, and shows it on the connection', async () => {
    const tls = path.join(dir, 'tls.pcap');
    run(SYSTEM_PYTHON, [path.resolve(__dirname, '../../fixtures/scripts/tls_hello.py'), tls]);
    const { session } = await openIndexed(local, tls);
    for (const expression of ['tls.handshake.extensions_server_name contains "example"', 'tls.handshake.extensions_server_name == "api.other.test"', 'tls.handshake.type == 1']) {
      const expected = tsharkLines(tls, ['-Y', expression, '-T', 'fields', '-e', 'frame.number']).map(Number);
      expect(expected.length, `tshark finds ${expression}`).toBeGreaterThan(0);
      const result = await local.handlers.getRows({ sessionId: session.sessionId, start: 0, count: 100, filter: expression });
      expect(result.rows.map((r) => r.number), expression).toEqual(expected);
    }
    const { connections } = await local.handlers.getConnections({ sessionId: session.sessionId });
    expect(connections.map((c) => c.sni)).toEqual(['www.example.com', 'api.other.test']);
    // The ClientHello's row reads as tshark's Protocol and Info columns do.
    const rows = await local.handlers.getRows({ sessionId: session.sessionId, start: 3, count: 1, filter: '' });
    const [protocol, info] = tsharkLines(tls, ['-Y', 'frame.number == 4', '-T', 'fields', '-e', '_ws.col.Protocol', '-e', '_ws.col.Info'])[0].split('\t');
    expect(rows.rows[0]).toMatchObject({ protocol, info });
  });

  it('the ladder puts each TLS hello on the segment tshark decodes it from, with what was offered and selected', async () => {
    const file = path.join(dir, 'tls-both-hellos.pcap');
    // A ClientHello (SNI, two ALPN names, TLS 1.3 and 1.2, three suites) and a TLS 1.3 ServerHello.
    python(
      [
        'import sys',
        'from scapy.all import Ether, IP, TCP, Raw, wrpcap, load_layer',
        'load_layer("tls")',
        'from scapy.layers.tls.extensions import ProtocolName, ServerName, TLS_Ext_ALPN, TLS_Ext_ServerName, TLS_Ext_SupportedVersion_CH, TLS_Ext_SupportedVersion_SH',
        'from scapy.layers.tls.handshake import TLSClientHello, TLSServerHello',
        'from scapy.layers.tls.record import TLS',
        'ch = bytes(TLS(msg=[TLSClientHello(ciphers=[0x1301, 0x1302, 0xc02f], ext=[TLS_Ext_ServerName(servernames=[ServerName(servername=b"ladder.example")]), TLS_Ext_ALPN(protocols=[ProtocolName(protocol=b"h2"), ProtocolName(protocol=b"http/1.1")]), TLS_Ext_SupportedVersion_CH(versions=[0x0304, 0x0303])])]))',
        'sh = bytes(TLS(msg=[TLSServerHello(version=0x0303, cipher=0x1302, ext=[TLS_Ext_SupportedVersion_SH(version=0x0304)])]))',
        'c, s = "198.18.0.1", "198.18.0.2"',
        'frames = []',
        'for i, (flags, src, dst, sp, dp, seq, ack, load) in enumerate([("S", c, s, 40001, 443, 100, 0, b""), ("SA", s, c, 443, 40001, 900, 101, b""), ("A", c, s, 40001, 443, 101, 901, b""), ("PA", c, s, 40001, 443, 101, 901, ch), ("PA", s, c, 443, 40001, 901, 101 + len(ch), sh)]):',
        '    p = Ether() / IP(src=src, dst=dst) / TCP(sport=sp, dport=dp, flags=flags, seq=seq, ack=ack) / Raw(load)',
        '    p.time = 1700000000 + i / 100',
        '    frames.append(p)',
        'wrpcap(sys.argv[1], frames)',
      ].join('\n'),
      file,
    );
    const fields = ['frame.number', 'tls.handshake.type', 'tls.handshake.extensions_server_name', 'tls.handshake.extensions_alpn_str', 'tls.handshake.extensions.supported_version', 'tls.handshake.ciphersuite'];
    const hellos = tsharkLines(file, ['-Y', 'tls.handshake', '-T', 'fields', ...fields.flatMap((f) => ['-e', f])]).map((line) => line.split('\t'));
    expect(hellos.map(([, type]) => type)).toEqual(['1', '2']);
    const [client, server] = hellos;
    const list = (text: string) => (text ? text.split(',') : []);
    // IANA names of the codes tshark prints (TLS versions; RFC 8446 B.4 and RFC 5289 suites).
    const names: Record<string, string> = { '0x0304': 'TLS 1.3', '0x0303': 'TLS 1.2', '0x1301': 'TLS_AES_128_GCM_SHA256', '0x1302': 'TLS_AES_256_GCM_SHA384', '0xc02f': 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256' };

    const { session } = await openIndexed(local, file);
    const ladder = await local.handlers.getLadder({ sessionId: session.sessionId, stream: 0, limit: 100 });
    expect(ladder.arrows.filter((a) => a.tls).map((a) => a.number)).toEqual([Number(client[0]), Number(server[0])]);
    const byNumber = (n: string) => ladder.arrows.find((a) => a.number === Number(n));
    expect(byNumber(client[0])?.tls).toEqual({ hello: 'client', sni: client[2], alpn: list(client[3]), versions: list(client[4]).map((v) => names[v]), ciphers: list(client[5]).map((c) => names[c]) });
    expect(byNumber(server[0])?.tls).toEqual({ hello: 'server', sni: null, alpn: list(server[3]), versions: list(server[4]).map((v) => names[v]), ciphers: list(server[5]).map((c) => names[c]) });
    // The hellos survive the contract check at the process boundary.
    expect(methodValidators.getLadder.result(JSON.parse(JSON.stringify(ladder))).arrows.filter((a) => a.tls)).toHaveLength(2);
  });

  it('malformed frames are listed, coloured and explained, never dropped or thrown on', async () => {
    const bad = path.join(dir, 'malformed.pcap');
    python(
      `from scapy.all import *\nwrpcap(${JSON.stringify(bad)}, [` +
        // A TCP header cut after 10 bytes, a data offset of 3 words, an IHL of 4, an IP length beyond the frame.
        `Ether()/IP(src="198.18.0.1", dst="198.18.0.2", proto=6)/Raw(b"\\x9c\\x40\\x01\\xbb" + b"\\x00" * 6), ` +
        `Ether()/IP(src="198.18.0.1", dst="198.18.0.2")/TCP(sport=1, dport=2, dataofs=3), ` +
        `Ether()/IP(src="198.18.0.1", dst="198.18.0.2", ihl=4)/TCP(), ` +
        `Ether()/IP(src="198.18.0.1", dst="198.18.0.2", len=1400)/TCP()])`,
    );
    const { session, done } = await openIndexed(local, bad);
    expect(done.frames).toBe(4);
    const result = await local.handlers.getRows({ sessionId: session.sessionId, start: 0, count: 10, filter: '' });
    const tsharkMalformed = tsharkLines(bad, ['-Y', '_ws.malformed || _ws.expert.severity == error', '-T', 'fields', '-e', 'frame.number']).map(Number);
    for (const row of result.rows) {
      const detail = await local.handlers.getFrame({ sessionId: session.sessionId, index: row.index });
      expect(detail.expert.some((note) => note.severity === 'error'), `frame ${row.number} expert`).toBe(true);
      // An IP length beyond a frame the snap length did not cut is an error note, not a malformed packet, as in tshark.
      if (row.number === 4) continue;
      expect(row.marks & ROW_MARK.MALFORMED, `frame ${row.number}`).not.toBe(0);
      expect(row.info).toMatch(/Malformed/);
    }
    // tshark flags these frames as errors too, and the last one not as a malformed packet.
    expect(tsharkMalformed).toEqual([1, 2, 3, 4]);
    expect(tsharkLines(bad, ['-Y', '_ws.malformed', '-T', 'fields', '-e', 'frame.number']).map(Number)).not.toContain(4);
    const filtered = await local.handlers.getRows({ sessionId: session.sessionId, start: 0, count: 10, filter: '_ws.malformed' });
    expect(filtered.total).toBe(3);
    const bogus = await local.handlers.getRows({ sessionId: session.sessionId, start: 0, count: 10, filter: 'ip.bogus_ip_length' });
    expect(bogus.rows.map((row) => row.number)).toEqual([4]);
  });

  it('a frame with a large payload passes the contract the renderer checks (labels stay bounded)', async () => {
    const large = path.join(dir, 'large.pcap');
    python(`from scapy.all import *\nwrpcap(${JSON.stringify(large)}, [Ether()/IP(src="198.18.0.1", dst="198.18.0.2")/TCP(sport=1, dport=2, flags="PA")/Raw(b"x" * 9000)])`);
    const { session } = await openIndexed(local, large);
    const detail = await local.handlers.getFrame({ sessionId: session.sessionId, index: 0 });
    expect(() => methodValidators.getFrame.result(JSON.parse(JSON.stringify(detail)))).not.toThrow();
    expect(detail.bytesHex).toHaveLength(2 * (14 + 20 + 20 + 9000));
  });

  it('frame requests outside the capture are refused, not crashed', async () => {
    const copy = path.join(dir, 'copy.pcap');
    copyFileSync(capture, copy);
    const { session } = await openIndexed(local, copy);
    await expect(local.handlers.getFrame({ sessionId: session.sessionId, index: 18 })).rejects.toMatchObject({ code: 'not-found' });
    await expect(local.handlers.getLadder({ sessionId: session.sessionId, stream: 99, limit: 10 })).rejects.toMatchObject({ code: 'not-found' });
  });
});
