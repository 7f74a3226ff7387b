/**
 * Malformed input: frames broken in each way the decoder must recognise, built by Scapy, must be
 * flagged with the matching reason, keep every layer before the damage, agree with the fast path,
 * and be seen as broken by tshark too (where tshark 4.0 considers it an error; exceptions named).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../../shared/wire/bytes';
import { decodeFrame, getFieldValue } from '../../../shared/wire/decode';
import { MALFORMED } from '../../../shared/wire/malformed';
import { runPython, runTshark, scapyAvailable, tempDir, tsharkAvailable } from './oracle/oracle';
import { expectSummaryAgrees } from './support/agreement';

const SCRIPT = String.raw`
import json
from scapy.all import Ether, IP, IPv6, TCP, UDP, ICMP, Dot1Q, IPv6ExtHdrHopByHop, Raw, raw
from scapy.layers.l2 import CookedLinux
A, B = "198.18.0.1", "198.18.0.2"
E = Ether(src="02:00:00:00:00:0a", dst="02:00:00:00:00:0b")
out = []
def add(name, reason, data, link=1, keeps=None):
    out.append({"name": name, "reason": reason, "hex": bytes(data).hex(), "linkType": link, "keeps": keeps or {}})
tcp = raw(E/IP(src=A, dst=B)/TCP(sport=1111, dport=2222))
add("ethernet header cut", "ethTruncated", tcp[:10])
add("IPv4 header cut", "ipTruncated", tcp[:14 + 12], keeps={"eth.type": 0x0800})
add("IHL below 5", "ipHeaderLengthShort", raw(E/IP(src=A, dst=B, ihl=4)/TCP()), keeps={"ip.src": A})
add("IPv4 total length below the header", "ipTotalLengthShort", raw(E/IP(src=A, dst=B, len=10)/TCP()), keeps={"ip.len": 10})
add("IPv4 option length 0", "ipOptionLength", raw(E/IP(src=A, dst=B, ihl=6, options=[])/Raw(b"\x07\x00\x00\x00")/TCP()), keeps={"ip.hdr_len": 24})
add("IPv4 option past the header", "ipOptionLength", raw(E/IP(src=A, dst=B, ihl=6, options=[])/Raw(b"\x07\x28\x04\x00")/TCP()), keeps={"ip.hdr_len": 24})
add("TCP header cut", "tcpTruncated", raw(E/IP(src=A, dst=B, proto=6)/Raw(raw(TCP(sport=1111))[:10])), keeps={"ip.proto": 6, "tcp.srcport": 1111})
add("TCP data offset below 5", "tcpDataOffsetShort", raw(E/IP(src=A, dst=B)/TCP(sport=1111, dataofs=4)), keeps={"tcp.srcport": 1111, "tcp.hdr_len": 16})
add("TCP data offset beyond the segment", "tcpDataOffsetBeyond", raw(E/IP(src=A, dst=B)/TCP(sport=1111, dataofs=15)), keeps={"tcp.hdr_len": 60})
add("TCP option length 0", "tcpOptionLength", raw(E/IP(src=A, dst=B)/TCP(sport=1111, dataofs=6)/Raw(b"\x4d\x00\x00\x00")), keeps={"tcp.hdr_len": 24})
add("TCP option length 1", "tcpOptionLength", raw(E/IP(src=A, dst=B)/TCP(sport=1111, dataofs=6)/Raw(b"\x02\x01\x00\x00")), keeps={"tcp.hdr_len": 24})
add("TCP option past the header", "tcpOptionLength", raw(E/IP(src=A, dst=B)/TCP(sport=1111, dataofs=6)/Raw(b"\x08\x0a\x00\x00")), keeps={"tcp.hdr_len": 24})
add("UDP length beyond the packet", "udpLength", raw(E/IP(src=A, dst=B)/UDP(sport=53, dport=53, len=100)), keeps={"udp.length": 100})
add("UDP length below 8", "udpLength", raw(E/IP(src=A, dst=B)/UDP(sport=5000, dport=5001, len=4)/Raw(b"abcd")), keeps={"udp.length": 4})
add("UDP header cut", "udpTruncated", raw(E/IP(src=A, dst=B, proto=17)/Raw(b"\x00\x35\x00")))
add("ICMP header cut", "icmpTruncated", raw(E/IP(src=A, dst=B, proto=1)/Raw(b"\x08\x00\x00\x00")))
add("IPv6 header cut", "ipv6Truncated", raw(E/IPv6(src="2001:db8::1", dst="2001:db8::2")/TCP())[:14 + 30])
add("IPv6 payload length beyond the frame", "ipv6PayloadLengthBeyond", raw(E/IPv6(src="2001:db8::1", dst="2001:db8::2", plen=500)/TCP(sport=1111)), keeps={"tcp.srcport": 1111})
add("IPv6 extension header longer than the payload", "ipv6ExtensionLength", raw(E/IPv6(src="2001:db8::1", dst="2001:db8::2", nh=0)/Raw(b"\x06\x05" + b"\x00" * 6)), keeps={"ipv6.nxt": 0})
add("IPv4 version field 5", "ipVersion", raw(E/IP(src=A, dst=B, version=5)/TCP()))
add("802.1Q tag cut", "vlanTruncated", raw(E/Dot1Q(vlan=5)/IP(src=A, dst=B))[:16])
add("Linux cooked header cut", "sllTruncated", raw(CookedLinux()/IP())[:12], link=113)
add("loopback header cut", "nullTruncated", b"\x02\x00", link=0)
add("raw IP with version 5", "rawVersion", b"\x55" + raw(IP(src=A, dst=B))[1:], link=101)
add("unknown link type", "unknownLinkType", raw(IP(src=A, dst=B)), link=147)
# Well-formed frames that look odd: Ethernet padding past ip.len, a TSO-style ip.len of 0
add("Ethernet padding after a short IP packet", None, raw(E/IP(src=A, dst=B)/TCP(sport=1111)) + b"\x00" * 6, keeps={"eth.padding": "00:00:00:00:00:00"})
add("segment with data", None, raw(E/IP(src=A, dst=B)/TCP(sport=1111)/Raw(b"x" * 100)), keeps={"tcp.len": 100})
add("TSO ip.len 0", None, raw(E/IP(src=A, dst=B, len=0)/TCP(sport=1111)/Raw(b"x" * 3000)), keeps={"tcp.len": 3000})
print(json.dumps(out))
`;

interface Case {
  name: string;
  reason: keyof typeof MALFORMED | null;
  hex: string;
  linkType: number;
  keeps: Record<string, number | string>;
}

const cases: Case[] = scapyAvailable ? JSON.parse(runPython(SCRIPT)) : [];

describe.skipIf(!scapyAvailable)('malformed frames are flagged with their reason', () => {
  it.each(cases.map((entry) => [entry.name, entry] as const))('%s', (_name, entry) => {
    const bytes = fromHex(entry.hex);
    const decoded = decodeFrame(bytes, entry.linkType);
    expect(decoded.malformed).toBe(entry.reason === null ? null : MALFORMED[entry.reason]);
    for (const [name, want] of Object.entries(entry.keeps)) {
      const got = getFieldValue(decoded, name);
      expect(got instanceof Uint8Array ? Array.from(got, (byte) => byte.toString(16).padStart(2, '0')).join(':') : got, name).toEqual(want);
    }
    expectSummaryAgrees(bytes, entry.linkType, entry.name);
  });

  it('a frame cut by the snap length inside its payload is not malformed; the TCP checksum is unverified', () => {
    const whole = fromHex(cases.find((entry) => entry.name === 'segment with data')?.hex ?? '');
    const captured = whole.slice(0, 64);
    const decoded = decodeFrame(captured, 1, { frameLength: whole.length });
    expect(decoded.malformed).toBeNull();
    expect(getFieldValue(decoded, 'tcp.srcport')).toBe(1111);
    expect(getFieldValue(decoded, 'tcp.len')).toBe(100);
    expect(getFieldValue(decoded, 'ip.checksum.status')).toBe('good');
    expect(getFieldValue(decoded, 'tcp.checksum.status')).toBe('unverified');
    // Without the wire length the frame is whole, so ip.len lies: as tshark, the packet ends with the frame (tests/unit/track/fidelity.test.ts).
    const whole64 = decodeFrame(captured, 1);
    expect(whole64.malformed).toBeNull();
    expect(getFieldValue(whole64, 'ip.bogus_ip_length')).toBe(true);
    expect(getFieldValue(whole64, 'tcp.len')).toBe(64 - 54);
  });
});

/**
 * tshark 4.0 reports these only as notes or warnings (or not at all), not as errors; the issue asks
 * for them to be flagged, so they are left out of the comparison by name.
 */
const TSHARK_LENIENT = new Set([
  'TCP option length 0',
  'TCP option length 1',
  'TCP option past the header',
  'IPv6 payload length beyond the frame',
]);

describe.skipIf(!scapyAvailable || !tsharkAvailable)('tshark sees the same frames as broken', () => {
  it('flags (as malformed or an error) every Ethernet frame we flag, except the named lenient cases, and none we accept', () => {
    const ethernet = cases.filter((entry) => entry.linkType === 1);
    const directory = tempDir('wire-malformed-');
    const file = path.join(directory, 'malformed.pcap');
    const header = Buffer.from('d4c3b2a1020004000000000000000000ffff000001000000', 'hex');
    const records = ethernet.map((entry) => {
      const data = Buffer.from(entry.hex, 'hex');
      const record = Buffer.alloc(16);
      record.writeUInt32LE(data.length, 8);
      record.writeUInt32LE(data.length, 12);
      return Buffer.concat([record, data]);
    });
    writeFileSync(file, Buffer.concat([header, ...records]));
    const rows = runTshark(['-r', file, '-T', 'fields', '-E', 'occurrence=a', '-e', '_ws.malformed', '-e', '_ws.expert.severity', '-e', '_ws.expert.message'])
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => line.split('\t'));
    expect(rows).toHaveLength(ethernet.length);
    ethernet.forEach((entry, index) => {
      const [malformed, severities, messages] = rows[index];
      const errors = severities.split(',').filter((severity, at) => severity === '8388608' && !/checksum/i.test(messages.split(',')[at] ?? ''));
      const tsharkFlags = malformed !== '' || errors.length > 0;
      if (TSHARK_LENIENT.has(entry.name)) return;
      expect.soft(tsharkFlags, `${entry.name}: tshark said "${messages}"`).toBe(entry.reason !== null);
    });
  });
});
