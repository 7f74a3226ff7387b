/**
 * Explicit values win: a deliberately wrong checksum, data offset, header length or length is
 * written exactly as given (read back by Scapy, independently of our decoder), and values that do
 * not fit their field are refused with a clear error.
 */
import { describe, expect, it } from 'vitest';
import { EncodeError, encodeFrame } from '../../../shared/craft/encode';
import type { FrameSpec } from '../../../shared/craft/spec';
import { templateFrame, tcpFrame } from '../../../shared/craft/templates';
import { toHex } from '../../../shared/wire/bytes';
import { decodeFrame, getFieldValue } from '../../../shared/wire/decode';
import { MALFORMED } from '../../../shared/wire/malformed';
import { runPython, scapyAvailable } from '../wire/oracle/oracle';

/** Scapy's reading of an Ethernet frame: the fields a lie could hide in. */
function scapyReads(bytes: Uint8Array): Record<string, number> {
  const script = `
import sys, json
from scapy.all import Ether, IP, TCP, UDP
p = Ether(bytes.fromhex(sys.argv[1]))
out = {"ip.len": p[IP].len, "ip.hdr_len": p[IP].ihl * 4, "ip.checksum": p[IP].chksum}
if TCP in p and p[TCP].dataofs is not None: out.update({"tcp.hdr_len": p[TCP].dataofs * 4, "tcp.checksum": p[TCP].chksum})
if UDP in p: out.update({"udp.length": p[UDP].len, "udp.checksum": p[UDP].chksum})
print(json.dumps(out))
`;
  return JSON.parse(runPython(script, [toHex(bytes)]));
}

function withFields(spec: FrameSpec, layer: string, fields: Record<string, number>): FrameSpec {
  const copy = structuredClone(spec);
  const target = copy.layers.find((candidate) => candidate.layer === layer);
  if (!target) throw new Error(`no ${layer} layer`);
  Object.assign(target.fields, fields);
  return copy;
}

describe.skipIf(!scapyAvailable)('explicit values survive encoding unchanged', () => {
  const syn = templateFrame('syn');

  it.each([
    ['a wrong TCP checksum', 'tcp', { 'tcp.checksum': 0xdead }, null],
    ['a wrong IPv4 header checksum', 'ip', { 'ip.checksum': 0x0bad }, null],
    ['a data offset beyond the segment', 'tcp', { 'tcp.hdr_len': 60 }, MALFORMED.tcpDataOffsetBeyond],
    ['a data offset below 5', 'tcp', { 'tcp.hdr_len': 16 }, MALFORMED.tcpDataOffsetShort],
    ['an IHL below 5', 'ip', { 'ip.hdr_len': 16 }, MALFORMED.ipHeaderLengthShort],
  ] as const)('%s', (_what, layer, fields, reason) => {
    const bytes = encodeFrame(withFields(syn, layer, fields));
    const scapy = scapyReads(bytes);
    for (const [name, value] of Object.entries(fields)) expect(scapy[name], name).toBe(value);
    const decoded = decodeFrame(bytes, 1);
    expect(decoded.malformed).toBe(reason);
    for (const [name, value] of Object.entries(fields)) expect(getFieldValue(decoded, name), name).toBe(value);
    if (reason === null) {
      const statusName = Object.keys(fields)[0].replace('.checksum', '.checksum.status');
      expect(getFieldValue(decoded, statusName)).toBe('bad');
    }
  });

  it('an IPv4 total length beyond the frame is kept; the decoder bounds the packet by the frame, as tshark does', () => {
    const bytes = encodeFrame(withFields(syn, 'ip', { 'ip.len': 1000 }));
    expect(scapyReads(bytes)['ip.len']).toBe(1000);
    const decoded = decodeFrame(bytes, 1);
    expect(decoded.malformed).toBeNull();
    expect(getFieldValue(decoded, 'ip.len')).toBe(1000);
    expect(getFieldValue(decoded, 'ip.bogus_ip_length')).toBe(true);
  });

  it('a wrong UDP length and a zero checksum (none) are kept', () => {
    const spec: FrameSpec = {
      layers: [
        { layer: 'eth', fields: {} },
        { layer: 'ip', fields: { 'ip.src': '198.18.0.1', 'ip.dst': '198.18.0.2' } },
        { layer: 'udp', fields: { 'udp.length': 3, 'udp.checksum': 0 } },
        { layer: 'data', fields: {}, data: Uint8Array.from([1, 2, 3]) },
      ],
    };
    const bytes = encodeFrame(spec);
    expect(scapyReads(bytes)).toMatchObject({ 'udp.length': 3, 'udp.checksum': 0 });
    expect(decodeFrame(bytes, 1).malformed).toBe(MALFORMED.udpLength);
  });

  it('a TCP option with a lying length byte is written as given', () => {
    const bytes = encodeFrame(tcpFrame({ src: '198.18.0.1', dst: '198.18.0.2', srcPort: 1, dstPort: 2, options: [{ kind: 'raw', type: 2, data: Uint8Array.from([5, 0xb4]), length: 9 }] }));
    // Options start after 14 + 20 + 20 bytes; the padding after the 4 option bytes is automatic.
    expect(toHex(bytes.slice(54))).toBe('020905b4');
    expect(decodeFrame(bytes, 1).malformed).toBe(MALFORMED.tcpOptionLength);
  });

  it('single flag bits can be set on top of the automatic defaults', () => {
    const spec: FrameSpec = { layers: [{ layer: 'eth', fields: {} }, { layer: 'ip', fields: {} }, { layer: 'tcp', fields: { 'tcp.flags.ack': true, 'tcp.flags.push': 1 } }] };
    expect(getFieldValue(decodeFrame(encodeFrame(spec), 1), 'tcp.flags')).toBe(0x018);
    const both: FrameSpec = { layers: [{ layer: 'ip', fields: {} }, { layer: 'tcp', fields: { 'tcp.flags': 0x002, 'tcp.flags.ack': 'true' } }] };
    expect(getFieldValue(decodeFrame(encodeFrame(both), 101), 'tcp.flags')).toBe(0x012);
  });
});

describe('values that do not fit are refused clearly', () => {
  const base = (fields: Record<string, number | string | boolean>, layer: 'tcp' | 'ip' = 'tcp'): FrameSpec => ({
    layers: [{ layer: 'ip', fields: layer === 'ip' ? fields : {} }, { layer: 'tcp', fields: layer === 'tcp' ? fields : {} }],
  });

  it.each([
    [{ 'tcp.srcport': 70000 }, 'tcp', /tcp.srcport: out of range 0..65535/],
    [{ 'tcp.seq_raw': -1 }, 'tcp', /tcp.seq_raw: out of range/],
    [{ 'tcp.hdr_len': 22 }, 'tcp', /tcp.hdr_len: must be a multiple of 4/],
    [{ 'tcp.flags.syn': 'maybe' }, 'tcp', /tcp.flags.syn: expected a boolean/],
    [{ 'ip.src': '198.18.0.256' }, 'ip', /ip.src: not an IPv4 address/],
    [{ 'ip.ttl': 1.5 }, 'ip', /ip.ttl: expected an integer/],
    [{ 'tcp.nonsense': 1 }, 'tcp', /tcp.nonsense is not a field of the tcp layer/],
    [{ 'tcp.len': 1 }, 'tcp', /tcp.len is computed/],
    [{ 'tcp.options.mss_val': 1460 }, 'tcp', /tcpOptions/],
  ] as const)('%o', (fields, layer, message) => {
    expect(() => encodeFrame(base(fields, layer))).toThrow(EncodeError);
    expect(() => encodeFrame(base(fields, layer))).toThrow(message);
  });

  it('refuses automatic values that cannot fit: 44 bytes of TCP options, a 70,000-byte IPv4 packet', () => {
    const nops = Array.from({ length: 44 }, () => ({ kind: 'nop' as const }));
    expect(() => encodeFrame({ layers: [{ layer: 'ip', fields: {} }, { layer: 'tcp', fields: {}, tcpOptions: nops }] })).toThrow(/tcp.hdr_len: the computed value 64/);
    const huge = { layer: 'data' as const, fields: {}, data: new Uint8Array(70_000) };
    expect(() => encodeFrame({ layers: [{ layer: 'ip', fields: {} }, { layer: 'udp', fields: {} }, huge] })).toThrow(EncodeError);
  });

  it('accepts the text forms a command line gives', () => {
    const bytes = encodeFrame(base({ 'tcp.dstport': '8443', 'tcp.window_size_value': '0x1000', 'tcp.flags.syn': '1' }));
    const decoded = decodeFrame(bytes, 101);
    expect(getFieldValue(decoded, 'tcp.dstport')).toBe(8443);
    expect(getFieldValue(decoded, 'tcp.window_size_value')).toBe(0x1000);
    expect(getFieldValue(decoded, 'tcp.flags.syn')).toBe(true);
  });
});
