/**
 * Fidelity fixes of issue 15 §2, each held against tshark on the same crafted capture.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CaptureReader } from '../../../shared/files';
import { decodeFrame, frameFieldsJson } from '../../../shared/wire';
import { frameBytesField } from '../../../shared/wire/json';
import { FramePipeline } from '../../../shared/pipeline/frame-pipeline';
import { buildDetailTree } from '../../../shared/api/detail-tree';
import { analysisFlags, compareWithTshark, Conversation, HAS_TSHARK, tempFile, trackFile, tshark, writeCapture } from './scenario';

const HAS_SCAPY = spawnSync('/usr/bin/python3', ['-c', 'import scapy.layers.tls.all'], { encoding: 'utf8' }).status === 0;

function expectTsharkAgrees(file: string): void {
  const { ours, theirs } = compareWithTshark(file, trackFile(file));
  expect(ours).toEqual(theirs);
}

/** decode --json's keys for every frame of a file. */
function decodedKeys(file: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  const reader = new CaptureReader({
    onFrame: (frame) => out.push(frameFieldsJson(decodeFrame(frame.data, frame.linkType, { frameLength: frame.originalLength }), { number: out.length + 1, timeEpoch: '0' })),
  });
  reader.push(readFileSync(file));
  reader.end();
  return out;
}

describe.skipIf(!HAS_TSHARK)('sequence analysis rules that follow Wireshark', () => {
  it('an exact copy of a SYN, a SYN+ACK or a FIN is a retransmission, not out-of-order (the SYN/FIN takes a sequence number)', () => {
    const c = new Conversation({ address: '198.18.7.1', port: 45000, isn: 3_000_000 }, { address: '198.18.7.2', port: 80, isn: 9_000_000 });
    c.send('c', 'S').send('c', 'S', { seq: 3_000_000, dt: 0.0005 }); // 2: within the 3 ms out-of-order threshold
    c.send('s', 'SA').send('s', 'SA', { seq: 9_000_000, dt: 0.0005 }); // 4
    c.send('c', 'A', { dt: 0.05 }).send('c', 'PA', { payload: 'hello' });
    c.send('c', 'FA').send('c', 'FA', { seq: c.nextSeq('c') - 1, dt: 0.0005 }); // 8: within the iRTT
    const file = writeCapture(c.frames, tempFile('dup-syn-fin.pcapng'));
    const flags = trackFile(file).keys.map(analysisFlags);
    expect([flags[1], flags[3], flags[7]]).toEqual([['retransmission'], ['retransmission'], ['retransmission']]);
    expectTsharkAgrees(file);
  });

  it('a segment of more than one byte starting one below the next expected sequence is not out-of-order; two below still is', () => {
    const c = new Conversation({ address: '198.18.7.3', port: 45001, isn: 1000 }, { address: '198.18.7.4', port: 80, isn: 5000 });
    c.send('c', 'S').send('s', 'SA').send('c', 'A', { dt: 0.05 });
    c.send('c', 'PA', { payload: 'hello world' });
    c.send('c', 'PA', { payload: 'xhello', seq: c.nextSeq('c') - 1, dt: 0.0005 }); // 5: one below, within the iRTT
    c.send('c', 'PA', { payload: 'xhello', seq: c.nextSeq('c') - 1, dt: 1 }); // 6: one below, late
    c.send('c', 'PA', { payload: 'xyhello', seq: c.nextSeq('c') - 2, dt: 0.0005 }); // 7: two below
    const file = writeCapture(c.frames, tempFile('one-below.pcapng'));
    const flags = trackFile(file).keys.map(analysisFlags);
    expect(flags.slice(4)).toEqual([[], [], ['out_of_order']]);
    expectTsharkAgrees(file);
  });

  it('an acknowledgment number without the ACK flag is shown as it is, with tcp.ack.nonzero', () => {
    const c = new Conversation({ address: '198.18.7.5', port: 45002, isn: 1000 }, { address: '198.18.7.6', port: 80, isn: 5000 });
    c.send('c', 'S', { ack: 77 }).send('s', 'SA').send('c', 'A').send('s', 'R', { ack: 1234 }).send('s', 'R', { ack: 0 });
    const file = writeCapture(c.frames, tempFile('ack-nonzero.pcapng'));
    const t = trackFile(file);
    expect(t.keys.map((k) => k?.['tcp.ack'])).toEqual([77, 1, 1, 1234, 0]);
    expectTsharkAgrees(file);
    const nonzero = decodedKeys(file).map((k) => k['tcp.ack.nonzero'] === true);
    expect(nonzero).toEqual([true, false, false, true, false]);
    expect(tshark(file, ['tcp.ack.nonzero']).map((r) => r['tcp.ack.nonzero'] !== '')).toEqual(nonzero);
  });
});

describe.skipIf(!HAS_TSHARK)('fields Wireshark also puts elsewhere', () => {
  it('ip.version is 6 on IPv6 packets, so ip.version == 6 matches them', () => {
    const c = new Conversation({ address: '2001:db8::1', port: 45003, isn: 1 }, { address: '2001:db8::2', port: 80, isn: 2 });
    c.send('c', 'S').send('s', 'SA');
    const file = writeCapture(c.frames, tempFile('v6.pcapng'));
    expect(decodedKeys(file).map((k) => k['ip.version'])).toEqual([6, 6]);
    expect(tshark(file, ['ip.version']).map((r) => Number(r['ip.version']))).toEqual([6, 6]);
  });
});

describe.skipIf(!HAS_TSHARK || !HAS_SCAPY)('TLS picked up mid-stream', () => {
  it('a ClientHello and ServerHello in a connection whose handshake was not captured are recognised by content, as tshark does', () => {
    const script = `
from scapy.all import raw
from scapy.layers.tls.all import *
ch = TLS(msg=[TLSClientHello(ciphers=[0x1301, 0xc02f], ext=[TLS_Ext_ServerName(servernames=[ServerName(servername=b'mid.example.test')]), TLS_Ext_ALPN(protocols=[ProtocolName(protocol=b'h2')])])])
sh = TLS(msg=[TLSServerHello(version=0x0303, cipher=0xc02f)])
print(raw(ch).hex()); print(raw(sh).hex())`;
    const [ch, sh] = execFileSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' }).trim().split('\n').map((h) => Buffer.from(h, 'hex'));
    const c = new Conversation({ address: '198.18.7.7', port: 51000, isn: 70_000 }, { address: '198.18.7.8', port: 443, isn: 90_000 });
    // The capture starts after the handshake: earlier application data, then a new TLS session on the same connection.
    c.send('c', 'PA', { payload: new Uint8Array([0x17, 3, 3, 0, 2, 1, 2]) });
    c.send('s', 'A');
    c.send('c', 'PA', { payload: ch });
    c.send('s', 'PA', { payload: sh });
    const file = writeCapture(c.frames, tempFile('tls-midstream.pcapng'));
    const t = trackFile(file);
    const theirs = tshark(file, ['tls.handshake.extensions_server_name', 'tls.handshake.type', 'tls.handshake.ciphersuite']);
    expect(theirs[2]['tls.handshake.extensions_server_name']).toBe('mid.example.test');
    expect(t.keys[2]?.['tls.handshake.extensions_server_name']).toBe(theirs[2]['tls.handshake.extensions_server_name']);
    expect(t.keys.map((k) => (k?.['tls.handshake.type'] as number[] | undefined)?.join(',') ?? '')).toEqual(theirs.map((r) => r['tls.handshake.type']));
    expect(t.keys[3]?.['tls.handshake.ciphersuite']).toEqual([Number(theirs[3]['tls.handshake.ciphersuite'])]);
    expect(t.json[0].tls).toMatchObject({ sni: 'mid.example.test', alpn_offered: ['h2'] });
  });
});

describe.skipIf(!HAS_TSHARK)('SACK edges', () => {
  it('are relative to the peer\u2019s ISN as tshark shows them, with the raw edges beside them', () => {
    const c = new Conversation({ address: '198.18.7.9', port: 45004, isn: 4_000_000_000 }, { address: '198.18.7.10', port: 80, isn: 123_456 });
    c.send('c', 'S', { options: [{ kind: 'sack_perm' }] }).send('s', 'SA', { options: [{ kind: 'sack_perm' }] }).send('c', 'A');
    const s = c.nextSeq('c');
    c.send('c', 'PA', { payload: new Uint8Array(100) });
    c.send('c', 'PA', { payload: new Uint8Array(100), seq: s + 200 });
    c.send('c', 'PA', { payload: new Uint8Array(100), seq: s + 400 });
    c.send('s', 'A', { ack: s + 100, options: [{ kind: 'sack', blocks: [[(s + 400) >>> 0, (s + 500) >>> 0], [(s + 200) >>> 0, (s + 300) >>> 0]] }] });
    const file = writeCapture(c.frames, tempFile('sack.pcapng'));
    const pipeline = new FramePipeline();
    const rows: Array<Record<string, unknown>> = [];
    const reader = new CaptureReader({
      onFrame: (frame) => rows.push(pipeline.process({ frameNumber: rows.length + 1, linkType: frame.linkType, tsSeconds: frame.tsSeconds, tsNanos: frame.tsNanos, originalLength: frame.originalLength, data: frame.data }).fields),
    });
    reader.push(readFileSync(file));
    reader.end();
    const theirs = tshark(file, ['tcp.options.sack_le', 'tcp.options.sack_re'])[6];
    expect(rows[6]['tcp.options.sack_le']).toEqual(theirs['tcp.options.sack_le'].split(',').map(Number));
    expect(rows[6]['tcp.options.sack_re']).toEqual(theirs['tcp.options.sack_re'].split(',').map(Number));
    expect(rows[6]['tcp.options.sack_le']).toEqual([400, 200].map((n) => n + 1)); // relative numbers start at 1 after the SYN
    expect(rows[6]['tcp.options.sack_le_raw']).toEqual([(s + 400) >>> 0, (s + 200) >>> 0]);
    const raw = tshark(file, ['tcp.options.sack_le'], false, ['tcp.relative_sequence_numbers:FALSE'])[6];
    expect(rows[6]['tcp.options.sack_le_raw']).toEqual(raw['tcp.options.sack_le'].split(',').map(Number));
    // The detail tree writes each edge relative, with the raw value beside it.
    const last = c.frames[6].bytes;
    const { tree } = buildDetailTree(decodeFrame(last, 1), {
      number: 7,
      timeEpoch: '0',
      time: 0,
      tcp: { stream: 0, relativeSeq: 1, relativeAck: Number(rows[6]['tcp.ack']), nextSeq: 1, analysis: [], windowSize: null, timeRelative: 0, timeDelta: 0 },
    });
    const labels = JSON.stringify(tree);
    expect(labels).toContain(`SACK left edge: 401    (relative)    [raw: ${(s + 400) >>> 0}]`);
    expect(labels).toContain(`SACK right edge: 301    (relative)    [raw: ${(s + 300) >>> 0}]`);
  });
});

describe.skipIf(!HAS_TSHARK || !HAS_SCAPY)('an IPv4 total length beyond a frame the snap length did not cut', () => {
  it('bounds the packet by the frame, verifies the checksum over what is there and notes ip.bogus_ip_length, as tshark does', () => {
    const file = tempFile('long-ip-len.pcap');
    // Checksums computed by Scapy over the real segment; then ip.len claims 200 bytes the 59-byte frame never had.
    const script = `
from scapy.all import *
p = Ether(bytes(Ether()/IP(src='198.18.7.11', dst='198.18.7.12')/TCP(sport=1234, dport=80, flags='PA', seq=1000, ack=1)/b'hello'))
p[IP].len = 200
del p[IP].chksum
bad = Ether(bytes(p)); bad[TCP].chksum ^= 0x0101
wrpcap('${file}', [p, bad])`;
    execFileSync('/usr/bin/python3', ['-c', script], { stdio: 'ignore' });
    const ours = decodedKeys(file);
    const theirs = tshark(file, ['ip.len', 'tcp.len', 'tcp.checksum.status', 'ip.bogus_ip_length'], false, ['tcp.check_checksum:TRUE']);
    const status: Record<string, string> = { '0': 'bad', '1': 'good' };
    expect(ours.map((k) => [k['ip.len'], k['tcp.len'], k['tcp.checksum.status'], k['ip.bogus_ip_length'], k['_ws.malformed']])).toEqual(
      theirs.map((r) => [Number(r['ip.len']), Number(r['tcp.len']), status[r['tcp.checksum.status']], r['ip.bogus_ip_length'] !== '', undefined]),
    );
    expect(ours.map((k) => k['tcp.checksum.status'])).toEqual(['good', 'bad']);
    // The tracker counts the 5 bytes that exist, as tshark's tcp.nxtseq does.
    const t = trackFile(file);
    expect(t.keys[0]?.['tcp.nxtseq']).toBe(Number(tshark(file, ['tcp.nxtseq'])[0]['tcp.nxtseq']));
  });
});

describe.skipIf(!HAS_TSHARK)('data.data: a documented divergence', () => {
  it('equals tshark where tshark leaves the payload undissected; on ports tshark dissects (HTTP on 80) it stays data here, while tcp.payload agrees everywhere', () => {
    const all: Array<{ bytes: Uint8Array; tsSeconds: number; tsNanos: number }> = [];
    const request = 'GET / HTTP/1.1\r\nHost: a\r\n\r\n';
    // Bytes no dissector or heuristic claims, on a port nothing is registered for.
    const opaque = Uint8Array.from({ length: 40 }, (_, i) => (i * 37 + 5) & 0xff);
    new Conversation({ address: '198.18.7.13', port: 45010, isn: 1 }, { address: '198.18.7.14', port: 12345, isn: 2 }, all).send('c', 'PA', { payload: opaque });
    new Conversation({ address: '198.18.7.13', port: 45011, isn: 1 }, { address: '198.18.7.14', port: 80, isn: 2 }, all, 1e6).send('c', 'PA', { payload: request });
    const file = writeCapture(all, tempFile('data-data.pcapng'));
    const frames: Array<{ data?: string; payload?: string }> = [];
    const reader = new CaptureReader({
      onFrame: (frame) => {
        const decoded = decodeFrame(frame.data, frame.linkType, { frameLength: frame.originalLength });
        frames.push({ data: frameBytesField(decoded, 'data.data'), payload: frameBytesField(decoded, 'tcp.payload') });
      },
    });
    reader.push(readFileSync(file));
    reader.end();
    const theirs = tshark(file, ['data.data', 'tcp.payload']);
    const hex = (text: string) => text.replace(/:/g, '');
    expect(frames.map((f) => hex(f.payload ?? ''))).toEqual(theirs.map((r) => r['tcp.payload']));
    expect(hex(frames[0].data ?? '')).toBe(theirs[0]['data.data']);
    // Divergence: tshark dissects port 80 as HTTP, so it has no data.data there; this decoder
    // dissects no application protocol, so the bytes stay data.data (filter on tcp.payload to agree).
    expect(theirs[1]['data.data']).toBe('');
    expect(hex(frames[1].data ?? '')).toBe(theirs[1]['tcp.payload']);
  });
});
