"""Re-fragments a capture with Scapy: every IPv4 packet whose payload is longer than FRAGSIZE
bytes becomes IP fragments of FRAGSIZE payload bytes (fragment()). With `v6`, every IPv4 packet is
first carried over IPv6 instead (2001:db8::/96 + the IPv4 address; checksums recomputed) and the
long ones cut by fragment6() behind a Fragment header. Other frames are kept as they are.

usage: /usr/bin/python3 refragment.py IN OUT FRAGSIZE [v6]
"""
import ipaddress
import sys

from scapy.all import IP, IPv6, IPv6ExtHdrFragment, TCP, UDP, Ether, fragment, fragment6, rdpcap, wrpcap

source, target, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
v6 = len(sys.argv) > 4 and sys.argv[4] == "v6"


def six(address):
    return str(ipaddress.IPv6Address(int(ipaddress.IPv6Address("2001:db8::")) + int(ipaddress.IPv4Address(address))))


out = []
ident = 0x4000
for frame in rdpcap(source):
    if IP not in frame:
        out.append(frame)
        continue
    ident += 1
    inner = frame[IP].payload.copy()
    if TCP in inner or UDP in inner:
        del inner.chksum
    if v6:
        packet = IPv6(src=six(frame[IP].src), dst=six(frame[IP].dst), hlim=64) / inner
        pieces = fragment6(IPv6(src=packet.src, dst=packet.dst, hlim=64) / IPv6ExtHdrFragment(id=ident) / inner, size + 48) if len(inner) > size else [packet]
    else:
        packet = frame[IP].copy()
        packet.flags = 0
        packet.id = ident
        del packet.chksum
        pieces = fragment(packet, fragsize=size) if len(frame[IP].payload) > size else [packet]
    for piece in pieces:
        wrapped = Ether(src=frame[Ether].src, dst=frame[Ether].dst) / piece
        wrapped.time = frame.time
        out.append(wrapped)
wrpcap(target, out)
