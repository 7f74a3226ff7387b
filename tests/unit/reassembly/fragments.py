"""Fragmented captures for the reassembly tests, built with Scapy's fragment()/fragment6().

Usage: fragments.py DIRECTORY [QUIC_CLIENT_INITIAL_HEX]. Writes one pcap per case."""
import os
import random
import sys

from scapy.all import IP, IPv6, IPv6ExtHdrFragment, TCP, UDP, Ether, Raw, fragment, fragment6, wrpcap

out = sys.argv[1]
A, B = "198.18.0.1", "198.18.0.2"
A6, B6 = "2001:db8::1", "2001:db8::2"
MAC = dict(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
T0 = 1700000000.0


def write(name, packets):
    frames = []
    for i, packet in enumerate(packets):
        frame = Ether(**MAC) / packet if not isinstance(packet, Ether) else packet
        frame.time = T0 + i * 0.001
        frames.append(frame)
    wrpcap(os.path.join(out, name + ".pcap"), frames)


def pattern(n, seed):
    rng = random.Random(seed)
    return bytes(rng.randrange(256) for _ in range(n))


# UDP over IPv4, in order (Scapy's fragment()).
write("v4-udp", fragment(IP(src=A, dst=B, id=0x1234) / UDP(sport=41000, dport=42000) / Raw(pattern(3000, 1)), fragsize=1000))

# UDP over IPv6 (fragment6()), last fragment first.
v6 = fragment6(IPv6(src=A6, dst=B6) / IPv6ExtHdrFragment(id=0x77) / UDP(sport=41000, dport=42000) / Raw(pattern(3000, 2)), 1280)
write("v6-udp-reversed", list(reversed(v6)))

# A TCP connection whose data segment is fragmented and arrives shuffled, between whole segments.
def tcp(src, dst, sport, dport, flags, seq, ack, data=b"", ident=1):
    return IP(src=src, dst=dst, id=ident) / TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack, window=65535) / Raw(data) if data else IP(src=src, dst=dst, id=ident) / TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack, window=65535)

syn = tcp(A, B, 45000, 46000, "S", 1000, 0)
synack = tcp(B, A, 46000, 45000, "SA", 5000, 1001)
ack = tcp(A, B, 45000, 46000, "A", 1001, 5001)
segment = tcp(A, B, 45000, 46000, "PA", 1001, 5001, pattern(2400, 3), ident=0x4242)
pieces = fragment(segment, fragsize=800)
shuffled = [pieces[1], pieces[3], pieces[0], pieces[2]] if len(pieces) == 4 else list(reversed(pieces))
reply = tcp(B, A, 46000, 45000, "A", 5001, 3401)
fin = tcp(A, B, 45000, 46000, "FA", 3401, 5001)
write("v4-tcp-shuffled", [syn, synack, ack] + shuffled + [reply, fin])

# TCP over IPv6, fragmented, in order.
syn6 = IPv6(src=A6, dst=B6) / TCP(sport=45001, dport=46001, flags="S", seq=7, window=65535)
synack6 = IPv6(src=B6, dst=A6) / TCP(sport=46001, dport=45001, flags="SA", seq=70, ack=8, window=65535)
data6 = IPv6(src=A6, dst=B6) / IPv6ExtHdrFragment(id=0x99) / TCP(sport=45001, dport=46001, flags="PA", seq=8, ack=71, window=65535) / Raw(pattern(2000, 4))
write("v6-tcp", [syn6, synack6] + list(fragment6(data6, 1000)))

# Overlap: the second fragment repeats bytes 16..23 of the first with different contents.
udp = bytes(IP(src=A, dst=B, proto=17) / UDP(sport=41000, dport=42000) / Raw(pattern(40, 5)))[20:]
first = IP(src=A, dst=B, id=0x0505, proto=17, flags="MF", frag=0) / Raw(udp[0:24])
changed = bytes(b ^ 0xFF for b in udp[16:24]) + udp[24:32]
second = IP(src=A, dst=B, id=0x0505, proto=17, flags="MF", frag=2) / Raw(changed)
last = IP(src=A, dst=B, id=0x0505, proto=17, frag=4) / Raw(udp[32:48])
write("v4-overlap", [first, second, last])

# A missing piece: the middle fragment never arrives, then another datagram completes.
lost = fragment(IP(src=A, dst=B, id=0x0606) / UDP(sport=41000, dport=42000) / Raw(pattern(2500, 6)), fragsize=1000)
whole = fragment(IP(src=A, dst=B, id=0x0707) / UDP(sport=41000, dport=42000) / Raw(pattern(1500, 7)), fragsize=1000)
write("v4-missing", [lost[0], lost[2], whole[0], whole[1]])

# Two datagrams interleaved, with the same addresses and different identifications.
one = fragment(IP(src=A, dst=B, id=0x0101) / UDP(sport=41000, dport=42000) / Raw(pattern(1800, 8)), fragsize=1000)
two = fragment(IP(src=A, dst=B, id=0x0202) / UDP(sport=41000, dport=42000) / Raw(pattern(1800, 9)), fragsize=1000)
write("v4-interleaved", [one[0], two[0], one[1], two[1]])

# A QUIC client Initial (RFC 9001 A.2) sent over a path with a 576-byte MTU.
if len(sys.argv) > 2:
    initial = IP(src=A, dst=B, id=0x0909) / UDP(sport=50000, dport=443) / Raw(bytes.fromhex(sys.argv[2]))
    write("v4-quic-initial", fragment(initial, fragsize=552))
