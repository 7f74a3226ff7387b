/**
 * The `handshake send --template` frames, read by tshark: each has the flags its name promises,
 * correct checksums and lengths, and the SYN carries Linux's options in Linux's order.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EncodeError, encodeFrame } from '../../../shared/craft/encode';
import { icmpEchoFrame, icmpErrorFrame, parseTcpFlags, TEMPLATE_NAMES, templateFrame, tcpFrame, udpFrame } from '../../../shared/craft/templates';
import { decodeFrame, getFieldValue } from '../../../shared/wire/decode';
import { runTshark, tempDir, tsharkAvailable } from '../wire/oracle/oracle';

const EXPECTED_FLAGS: Record<(typeof TEMPLATE_NAMES)[number], string> = {
  syn: '0x0002',
  synack: '0x0012',
  ack: '0x0010',
  rst: '0x0004',
  fin: '0x0011',
  data: '0x0018',
  keepalive: '0x0010',
};

function writePcap(file: string, frames: Uint8Array[], linkType = 1): void {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(linkType, 20);
  const records = frames.map((frame) => {
    const record = Buffer.alloc(16);
    record.writeUInt32LE(frame.length, 8);
    record.writeUInt32LE(frame.length, 12);
    return Buffer.concat([record, Buffer.from(frame)]);
  });
  writeFileSync(file, Buffer.concat([header, ...records]));
}

describe.skipIf(!tsharkAvailable)('templates as tshark reads them', () => {
  it('have their flags, good checksums and the Linux SYN options, over IPv4 and IPv6', () => {
    const frames = [
      ...TEMPLATE_NAMES.map((name) => encodeFrame(templateFrame(name))),
      ...TEMPLATE_NAMES.map((name) => encodeFrame(templateFrame(name, { src: '2001:db8::1', dst: '2001:db8::2' }))),
    ];
    const file = path.join(tempDir('craft-templates-'), 'templates.pcap');
    writePcap(file, frames);
    const rows = runTshark([
      '-r', file, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,',
      '-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE',
      '-e', 'tcp.flags', '-e', 'tcp.checksum.status', '-e', 'ip.checksum.status', '-e', 'tcp.option_kind', '-e', 'tcp.options.mss_val', '-e', 'tcp.options.wscale.shift', '-e', 'tcp.len', '-e', '_ws.malformed',
    ])
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => line.split('\t'));
    expect(rows).toHaveLength(frames.length);
    rows.forEach(([flags, tcpStatus, ipStatus, kinds, mss, shift, length, malformed], index) => {
      const name = TEMPLATE_NAMES[index % TEMPLATE_NAMES.length];
      expect(flags, name).toBe(EXPECTED_FLAGS[name]);
      expect(tcpStatus, name).toBe('1');
      if (index < TEMPLATE_NAMES.length) expect(ipStatus, name).toBe('1');
      expect(malformed, name).toBe('');
      if (name === 'syn' || name === 'synack') {
        expect(kinds, name).toBe('2,4,8,1,3');
        expect(mss).toBe('1460');
        expect(shift).toBe('7');
      }
      expect(length, name).toBe(name === 'data' ? '7' : '0');
    });
  });
});

describe('builders', () => {
  it('parse Scapy-style flag letters', () => {
    expect(parseTcpFlags('SA')).toBe(0x012);
    expect(parseTcpFlags('FPA')).toBe(0x019);
    expect(parseTcpFlags('N')).toBe(0x100);
    expect(() => parseTcpFlags('SX')).toThrow(EncodeError);
  });

  it('overrides win over template defaults', () => {
    const decoded = decodeFrame(encodeFrame(templateFrame('syn', { dstPort: 8443, seq: 7, options: [] })), 1);
    expect(getFieldValue(decoded, 'tcp.dstport')).toBe(8443);
    expect(getFieldValue(decoded, 'tcp.seq_raw')).toBe(7);
    expect(getFieldValue(decoded, 'tcp.hdr_len')).toBe(20);
  });

  it('build an ICMP port-unreachable quoting a crafted segment, decoded as a quoted layer set', () => {
    const probe = encodeFrame(tcpFrame({ src: '198.18.0.1', dst: '198.18.0.2', srcPort: 40000, dstPort: 9, linkType: 101 }));
    const reply = encodeFrame(icmpErrorFrame({ src: '198.18.0.2', dst: '198.18.0.1', type: 3, code: 3, quoted: probe.slice(0, 28) }));
    const decoded = decodeFrame(reply, 1);
    expect(decoded.malformed).toBeNull();
    expect(getFieldValue(decoded, 'icmp.checksum.status')).toBe('good');
    const quotedTcp = decoded.layers.find((layer) => layer.quoted && layer.kind === 'tcp');
    expect(quotedTcp?.fields.find((field) => field.name === 'tcp.dstport')?.value).toBe(9);
    expect(getFieldValue(decoded, 'tcp.dstport')).toBeUndefined(); // not confused with the outer headers
  });

  it('build UDP and ICMP echo frames over IPv4 and IPv6 with valid checksums', () => {
    for (const [src, dst] of [['198.18.0.1', '198.18.0.2'], ['2001:db8::1', '2001:db8::2']]) {
      const udp = decodeFrame(encodeFrame(udpFrame({ src, dst, srcPort: 5353, dstPort: 53, payload: 'query' })), 1);
      expect(getFieldValue(udp, 'udp.length')).toBe(13);
      expect(getFieldValue(udp, 'udp.checksum.status')).toBe('good');
      const echo = decodeFrame(encodeFrame(icmpEchoFrame({ src, dst, ident: 7, sequence: 3, payload: 'ping' })), 1);
      const kind = src.includes(':') ? 'icmpv6' : 'icmp';
      expect(getFieldValue(echo, `${kind}.type`)).toBe(kind === 'icmp' ? 8 : 128);
      expect(getFieldValue(echo, `${kind}.checksum.status`)).toBe('good');
    }
  });

  it('refuse mixed address families and link types that cannot carry the packet', () => {
    expect(() => tcpFrame({ src: '198.18.0.1', dst: '2001:db8::1', srcPort: 1, dstPort: 2 })).toThrow(EncodeError);
    expect(() => tcpFrame({ src: '198.18.0.1', dst: '198.18.0.2', srcPort: 1, dstPort: 2, linkType: 229 })).toThrow(EncodeError);
  });
});
