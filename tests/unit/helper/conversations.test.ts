/**
 * The helper's record of live conversations: what it owes each when the engine vanishes. Packets
 * in are built by Scapy; the RSTs out are read back by Scapy, which recomputes both checksums
 * (an independent oracle for the bytes), and their SEQ must be our next sequence number per
 * RFC 9293 (the last segment's SEQ plus its length, SYN and FIN counting one each).
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { LiveConversations } from '../../../electron/helper/conversations';
import { validateRequest } from '../../../electron/helper/protocol';
import { hasScapy, SCAPY_PYTHON, scapyMany } from '../../integration/capture/support';

const MACS = ['02:00:00:00:00:01', '02:00:00:00:00:02'] as const;

/** Scapy's reading of an RST we built: its fields, and whether each checksum equals the one Scapy computes. */
function scapyReads(packet: Uint8Array): { src: string; dst: string; sport: number; dport: number; seq: number; ack: number; flags: string; len: number; ipOk: boolean; tcpOk: boolean } {
  const script = `
from scapy.all import *
import sys, json
raw = bytes.fromhex(sys.argv[1])
p = IPv6(raw) if raw[0] >> 4 == 6 else IP(raw)
t = p[TCP]
again = p.copy()
del again[TCP].chksum
ip_ok = True
if raw[0] >> 4 == 4:
    del again.chksum
again = again.__class__(bytes(again))
if raw[0] >> 4 == 4:
    ip_ok = again.chksum == p.chksum
print(json.dumps({'src': p.src, 'dst': p.dst, 'sport': t.sport, 'dport': t.dport, 'seq': t.seq, 'ack': t.ack, 'flags': str(t.flags), 'len': len(t.payload), 'ipOk': ip_ok, 'tcpOk': again[TCP].chksum == t.chksum}))
`;
  return JSON.parse(execFileSync(SCAPY_PYTHON, ['-c', script, Buffer.from(packet).toString('hex')], { encoding: 'utf8' }));
}

describe.skipIf(!hasScapy)('the helper owes each live conversation an RST at SND.NXT (Scapy builds and reads)', () => {
  it('IPv4: follows SYN, data and FIN, ignores a retransmission, and builds a valid RST+ACK', () => {
    const [syn, data, retransmitted, fin] = scapyMany([
      "IP(src='198.18.0.1',dst='198.18.0.2')/TCP(sport=41000,dport=80,flags='S',seq=1000,options=[('MSS',1460)])",
      "IP(src='198.18.0.1',dst='198.18.0.2')/TCP(sport=41000,dport=80,flags='PA',seq=1001,ack=5001)/Raw(b'hello')",
      "IP(src='198.18.0.1',dst='198.18.0.2')/TCP(sport=41000,dport=80,flags='PA',seq=1001,ack=5001)/Raw(b'he')",
      "IP(src='198.18.0.1',dst='198.18.0.2')/TCP(sport=41000,dport=80,flags='FA',seq=1006,ack=5010)",
    ]);
    const live = new LiveConversations();
    live.note(syn, MACS[0], MACS[1]);
    live.note(data, null, null);
    live.note(retransmitted, null, null);
    const [reset] = live.takeResets();
    // 1001 + 5 bytes: the retransmission of 2 bytes does not move it back; the MACs are the first send's.
    expect(scapyReads(reset.packet)).toMatchObject({ seq: 1006, ack: 5001, flags: 'RA', len: 0, ipOk: true, tcpOk: true });
    expect([reset.ethSrc, reset.ethDst]).toEqual(MACS);

    live.note(syn, MACS[0], MACS[1]);
    live.note(data, null, null);
    live.note(fin, null, null);
    const resets = live.takeResets();
    expect(resets).toHaveLength(1);
    expect(scapyReads(resets[0].packet)).toMatchObject({ src: '198.18.0.1', dst: '198.18.0.2', sport: 41000, dport: 80, seq: 1007, ack: 5010, flags: 'RA', ipOk: true, tcpOk: true });
    // Taken once: a second look owes nothing.
    expect(live.takeResets()).toEqual([]);
  }, 120_000);

  it('IPv6: the RST carries its own payload length and a checksum over the IPv6 pseudo-header', () => {
    const [data] = scapyMany(["IPv6(src='2001:db8::1',dst='2001:db8::2')/TCP(sport=41000,dport=443,flags='PA',seq=4294967290,ack=7)/Raw(b'0123456789')"]);
    const live = new LiveConversations();
    live.note(data, MACS[0], MACS[1]);
    const [reset] = live.takeResets();
    // SEQ wraps modulo 2^32.
    expect(scapyReads(reset.packet)).toMatchObject({ dst: '2001:db8::2', dport: 443, seq: 4, ack: 7, flags: 'RA', len: 0, tcpOk: true });
  }, 120_000);

  it('owes nothing to a conversation the engine reset or ended itself; the others stay owed', () => {
    const packets = scapyMany([
      "IP(src='198.18.0.1',dst='198.18.0.2')/TCP(sport=7400,dport=50001,flags='SA',seq=1,ack=2)",
      "IP(src='198.18.0.1',dst='198.18.0.3')/TCP(sport=7400,dport=50002,flags='SA',seq=1,ack=2)",
      "IPv6(src='2001:db8::1',dst='2001:db8::2')/TCP(sport=7400,dport=50003,flags='SA',seq=1,ack=2)",
      "IP(src='198.18.0.1',dst='198.18.0.2')/TCP(sport=7400,dport=50001,flags='R',seq=2)",
    ]);
    const live = new LiveConversations();
    for (const packet of packets.slice(0, 3)) live.note(packet, MACS[0], MACS[1]);
    expect(live.size).toBe(3);
    live.note(packets[3], null, null); // our own RST ended the first
    expect(live.size).toBe(2);
    expect(live.end({ dst: '2001:db8:0:0:0:0:0:2', dport: 50003 })).toBe(1);
    expect(live.end({ dst: '198.18.0.3', dport: 1 })).toBe(0);
    expect(live.takeResets().map((r) => scapyReads(r.packet).dport)).toEqual([50002]);
    live.note(packets[0], null, null);
    expect(live.end()).toBe(1);
    expect(live.takeResets()).toEqual([]);
  }, 120_000);

  it('ignores what is not a TCP segment in an IP packet', () => {
    const [udp, arp] = scapyMany(["IP(src='198.18.0.1',dst='198.18.0.2')/UDP(sport=53,dport=53)", "ARP(pdst='198.18.0.2')"]);
    const live = new LiveConversations();
    live.note(udp, null, null);
    live.note(arp, null, null);
    live.note(new Uint8Array([0x45, 0, 0]), null, null);
    expect(live.size).toBe(0);
  }, 120_000);
});

describe('the protocol of conversation sends and their end', () => {
  it('accepts conversation sends of IP packets and end-conversations for all or one peer', () => {
    expect(validateRequest({ id: 1, cmd: 'send', frames: ['RQ=='], link: 'fill', conversation: true })).toMatchObject({ ok: true, value: { conversation: true } });
    expect(validateRequest({ id: 2, cmd: 'end-conversations' })).toEqual({ ok: true, value: { id: 2, cmd: 'end-conversations' }, id: 2 });
    expect(validateRequest({ id: 3, cmd: 'end-conversations', dst: '198.18.0.2', dport: 50001 })).toMatchObject({ ok: true, value: { dst: '198.18.0.2', dport: 50001 } });
  });

  it('refuses a bad flag, a conversation of link-layer frames, and a half-given or bad peer', () => {
    const refused = (request: Record<string, unknown>) => validateRequest(request).ok;
    expect(refused({ id: 1, cmd: 'send', frames: ['RQ=='], link: 'fill', conversation: 'yes' })).toBe(false);
    expect(refused({ id: 1, cmd: 'send', frames: ['RQ=='], link: 'as-is', conversation: true })).toBe(false);
    expect(refused({ id: 1, cmd: 'end-conversations', dst: '198.18.0.2' })).toBe(false);
    expect(refused({ id: 1, cmd: 'end-conversations', dport: 80 })).toBe(false);
    expect(refused({ id: 1, cmd: 'end-conversations', dst: '198.18.0.2', dport: 70000 })).toBe(false);
    expect(refused({ id: 1, cmd: 'end-conversations', dst: 'x'.repeat(65), dport: 80 })).toBe(false);
  });
});
