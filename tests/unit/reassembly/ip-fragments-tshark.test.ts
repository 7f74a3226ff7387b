/**
 * IPv4/IPv6 fragment reassembly against tshark, on captures Scapy builds with fragment() and
 * fragment6(): in order, reversed, shuffled between whole TCP segments, overlapping with
 * conflicting bytes, a missing piece, two datagrams interleaved, and a fragmented QUIC Initial
 * (RFC 9001 A.2). For every frame the reassembly fields, the upper layers decoded from the
 * reassembled bytes, the tracking (tcp.stream) and the Protocol and Info columns must be tshark's.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaptureReader } from '../../../shared/files';
import { FramePipeline, processedFieldSource, type ProcessedFrame } from '../../../shared/pipeline/frame-pipeline';
import { IpReassembler } from '../../../shared/reassembly/ip-fragments';
import { reassembleFragment } from '../../../shared/reassembly/decoded';
import { summarize } from '../../../shared/wire/summarize';
import { createPacketSummary } from '../../../shared/wire/summary';
import { LINKTYPE_ETHERNET } from '../../../shared/wire/linktypes';
import { buildCli, runCliSync } from '../../support/cli';
import { RFC9001 } from '../quic/rfc9001-vectors';
import { normalise, runPythonFile, scapyAvailable, tempDir, tsharkAvailable, tsharkColumns } from '../wire/oracle/oracle';

const ready = scapyAvailable && tsharkAvailable;
const SCRIPT = path.join(path.dirname(new URL(import.meta.url).pathname), 'fragments.py');
const directory = ready ? tempDir('reassembly-') : '';
if (ready) runPythonFile(SCRIPT, [directory, RFC9001.clientProtectedPacket.replace(/\s/g, '')]);
const files = ready ? readdirSync(directory).filter((name) => name.endsWith('.pcap')).sort() : [];

const PREFERENCES = ['-o', 'udp.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE'];
/** Fields compared on every frame (ours absent where tshark prints nothing, and the reverse). */
const FIELDS = [
  'ip.flags.mf',
  'ip.frag_offset',
  'ip.fragment',
  'ip.fragment.count',
  'ip.reassembled.length',
  'ip.fragment.overlap',
  'ip.fragment.overlap.conflict',
  'ip.fragment.error',
  'ipv6.fraghdr.offset',
  'ipv6.fraghdr.more',
  'ipv6.fragment',
  'ipv6.fragment.count',
  'ipv6.reassembled.length',
  'udp.srcport',
  'udp.length',
  'udp.checksum.status',
  'tcp.stream',
  'tcp.len',
  'tcp.seq',
  'tcp.nxtseq',
  'tcp.checksum.status',
  'data.len',
  'quic.dcid',
  'tls.handshake.extensions_server_name',
];

function processFile(file: string): ProcessedFrame[] {
  const pipeline = new FramePipeline();
  const out: ProcessedFrame[] = [];
  const reader = new CaptureReader({
    onFrame: (frame) => out.push(pipeline.process({ frameNumber: out.length + 1, linkType: frame.linkType, tsSeconds: frame.tsSeconds, tsNanos: frame.tsNanos, originalLength: frame.originalLength, data: frame.data })),
  });
  reader.push(readFileSync(file));
  reader.end();
  return out;
}

describe.skipIf(!ready)('IP fragment reassembly agrees with tshark', () => {
  it('built every case', () => {
    expect(files).toEqual(['v4-interleaved.pcap', 'v4-missing.pcap', 'v4-overlap.pcap', 'v4-quic-initial.pcap', 'v4-tcp-shuffled.pcap', 'v4-udp.pcap', 'v6-tcp.pcap', 'v6-udp-reversed.pcap']);
  });

  it.each(files.filter((file) => file !== 'v4-quic-initial.pcap'))('%s: fields, tracking, Protocol and Info', (file) => {
    const pcap = path.join(directory, file);
    const ours = processFile(pcap);
    const rows = tsharkColumns(pcap, [...FIELDS, '_ws.col.Protocol', '_ws.col.Info'], 'a', PREFERENCES);
    expect(rows.length).toBe(ours.length);
    let reassembled = 0;
    ours.forEach((processed, index) => {
      const row = rows[index];
      const source = processedFieldSource(processed);
      FIELDS.forEach((name, column) => {
        const text = row[column] ?? '';
        const mine = source(name);
        if (text === '') {
          expect.soft(mine, `frame ${index + 1}: ${name} (tshark has none)`).toBeUndefined();
          return;
        }
        expect.soft(mine, `frame ${index + 1}: ${name} (tshark "${text}")`).toBeDefined();
        if (mine === undefined) return;
        const value = Array.isArray(mine) && !text.includes(',') && mine.length === 1 ? mine[0] : mine;
        expect.soft(value, `frame ${index + 1}: ${name} (tshark "${text}")`).toEqual(normalise(value, text, name));
      });
      expect.soft(processed.columns.protocol, `frame ${index + 1}: Protocol`).toBe(row[FIELDS.length]);
      expect.soft(processed.columns.info.trim(), `frame ${index + 1}: Info`).toBe((row[FIELDS.length + 1] ?? '').trim());
      if (source('ip.fragment') !== undefined || source('ipv6.fragment') !== undefined) reassembled++;
    });
    expect(reassembled).toBe(file === 'v4-missing.pcap' ? 1 : file === 'v4-interleaved.pcap' ? 2 : 1);
  });

  it('a fragmented QUIC Initial is decrypted on its last fragment, as tshark does (decode --json)', () => {
    const pcap = path.join(directory, 'v4-quic-initial.pcap');
    const cli = buildCli();
    const run = runCliSync(cli, ['decode', pcap, '--json']);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const rows = tsharkColumns(pcap, ['ip.fragment', 'quic.dcid', 'tls.handshake.extensions_server_name', '_ws.col.Protocol'], 'a', PREFERENCES);
    expect(lines.length).toBe(rows.length);
    const last = lines[lines.length - 1];
    const theirs = rows[rows.length - 1];
    expect(last['ip.fragment']).toEqual(theirs[0].split(',').map(Number));
    expect(last['quic.dcid']).toEqual([theirs[1]]);
    expect(last['tls.handshake.extensions_server_name']).toBe(theirs[2]);
    expect(theirs[2]).toBe('example.com');
    for (const line of lines.slice(0, -1)) expect(line['quic.dcid']).toBeUndefined();
    const analyze = runCliSync(cli, ['analyze', pcap, '--json']);
    const attempt = analyze.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>).find((object) => object.type === 'quic');
    expect(JSON.stringify(attempt)).toContain('example.com');
  });
});

/** One IPv4 fragment in an Ethernet frame (built here; only its bytes matter to the reassembler). */
function ipv4Fragment(id: number, offsetUnits: number, more: boolean, payloadLength: number, source = 1): Uint8Array {
  const frame = new Uint8Array(14 + 20 + payloadLength);
  frame.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]);
  const total = 20 + payloadLength;
  const flags = (more ? 0x2000 : 0) | offsetUnits;
  frame.set([0x45, 0, total >>> 8, total & 0xff, id >>> 8, id & 0xff, flags >>> 8, flags & 0xff, 64, 17, 0, 0, 198, 18, source >>> 8, source & 0xff, 198, 18, 0, 2], 14);
  return frame;
}

describe('held fragments are bounded', () => {
  it('a flood of never-completed fragments keeps at most the documented datagrams and bytes', () => {
    const reassembler = new IpReassembler({ maxDatagrams: 256, maxHeldBytes: 1 << 20 });
    const summary = createPacketSummary();
    for (let i = 0; i < 50_000; i++) {
      const frame = ipv4Fragment(i & 0xffff, 0, true, 1000, i >>> 16);
      summarize(frame, LINKTYPE_ETHERNET, summary);
      expect(reassembleFragment(reassembler, summary, i + 1, frame, 0, frame.length, frame.length)).toBeNull();
      const held = reassembler.held;
      expect(held.datagrams).toBeLessThanOrEqual(256);
      expect(held.bytes).toBeLessThanOrEqual(1 << 20);
    }
    expect(reassembler.evicted).toBeGreaterThan(49_000);
  });

  it('tiny overlapping fragments of one datagram are bounded by bytes too, and it still completes when room allows', () => {
    const reassembler = new IpReassembler({ maxDatagrams: 16, maxHeldBytes: 64 * 1024 });
    const summary = createPacketSummary();
    for (let i = 0; i < 20_000; i++) {
      const frame = ipv4Fragment(7, 1, true, 8);
      summarize(frame, LINKTYPE_ETHERNET, summary);
      reassembleFragment(reassembler, summary, i + 1, frame, 0, frame.length, frame.length);
      expect(reassembler.held.bytes).toBeLessThanOrEqual(64 * 1024 + 8 + 64);
    }
    const first = ipv4Fragment(9, 0, true, 16);
    const last = ipv4Fragment(9, 2, false, 8);
    summarize(first, LINKTYPE_ETHERNET, summary);
    expect(reassembleFragment(reassembler, summary, 1, first, 0, first.length, first.length)).toBeNull();
    summarize(last, LINKTYPE_ETHERNET, summary);
    expect(reassembleFragment(reassembler, summary, 2, last, 0, last.length, last.length)?.length).toBe(24);
  });

  it('a fragment reaching past 65535 bytes is refused, and a snap-length-cut fragment is not held', () => {
    const reassembler = new IpReassembler();
    const summary = createPacketSummary();
    const tooFar = ipv4Fragment(3, 8190, false, 200);
    summarize(tooFar, LINKTYPE_ETHERNET, summary);
    expect(reassembleFragment(reassembler, summary, 1, tooFar, 0, tooFar.length, tooFar.length)).toBeNull();
    expect(reassembler.held.datagrams).toBe(0);
    const cut = ipv4Fragment(4, 0, true, 100).slice(0, 60);
    summarize(cut, LINKTYPE_ETHERNET, summary, 134);
    expect(reassembleFragment(reassembler, summary, 2, cut, 0, cut.length, 134)).toBeNull();
    expect(reassembler.held.datagrams).toBe(0);
  });
});
